"""moto's S3 server on 127.0.0.1 for a test, emptied before it stops.

moto keeps its buckets per process, across servers, and its stored objects delete their
spooled files from ``__del__``: left to interpreter shutdown, that prints "Exception
ignored ... sys.meta_path is None" on some Pythons. Resetting moto's backends through its
``/moto-api/reset`` endpoint while the server still runs disposes of them in time.
"""

from __future__ import annotations

import contextlib
import urllib.request
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def moto_server() -> Iterator[tuple[Any, str]]:
    """Start moto's threaded server; yield it and its endpoint URL; reset and stop it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    try:
        yield server, endpoint
    finally:
        try:
            reset = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
            with urllib.request.urlopen(reset, timeout=30) as answer:
                assert answer.status == 200
        finally:
            server.stop()
