"""Generator streams left open by their consumer close quietly when ``asyncio.run`` ends.

At its end ``asyncio.run`` closes every async generator still open, all at once. A stream
relayed by another generator (`LiteLLMGenerator.stream_messages` over its request stream,
a cache over the wrapped generator's stream), or holding a connection slot made by an
``asynccontextmanager`` (another async generator), was closed by the loop while the outer
generator's cleanup closed it too: shutdown printed "aclose(): asynchronous generator is
already running" or "generator didn't stop after athrow()".
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

import rigging as rg

_LEFT_OPEN = """
import asyncio
import os
import sys
import tempfile

sys.path.insert(0, sys.argv[1])  # the tests folder: the loopback OpenAI stub
from _servers.litellm_loop import litellm_generator
from _servers.openai_stub import OpenAIStub, Reply
from rigging.message import Message

opened = []  # held to the end: asyncio.run closes them itself

async def main(stub, scenario):
    gen = litellm_generator(stub, "sk-left-open")
    if scenario.startswith("cached"):
        gen = gen.with_cache(os.path.join(tempfile.mkdtemp(), "cache.db"))
    if scenario.endswith("messages"):
        stream = gen.stream_messages([Message("user", "hi")])
    else:
        stream = gen.stream_texts("hi")
    opened.append(stream)
    async for chunk in stream:
        print(scenario, type(chunk).__name__)
        break

with OpenAIStub() as stub:
    for scenario in sys.argv[2:]:
        print("scenario", scenario, file=sys.stderr)  # tells the failures apart
        # after its first piece the server sends only keep-alive comments: a stuck generation
        stub.script(Reply(chunks=["a", "b"], keepalive=0.05))
        asyncio.run(main(stub, scenario))
print("end")
"""

_SCENARIOS = ["messages", "texts", "cached_messages", "cached_texts"]
_LEAKS = (
    "already running",
    "didn't stop",
    "Task was destroyed",
    "Traceback",
    "never retrieved",
    "error occurred",
)


def test_litellm_streams_left_open_close_quietly_when_asyncio_run_ends() -> None:
    tests = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": str(Path(rg.__file__).parent.parent)}
    done = subprocess.run(
        [sys.executable, "-c", _LEFT_OPEN, str(tests), *_SCENARIOS],
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{s} TextDelta" for s in _SCENARIOS] + ["end"]
    for leak in _LEAKS:
        assert leak not in done.stderr, done.stderr


@pytest.mark.parametrize("fails", [False, True])
async def test_a_connection_slot_is_given_back_once(fails: bool) -> None:
    """The slot is a plain async context manager now: left normally or by an error, it
    gives its semaphore back once and counts the request out."""
    from rigging.generator._remote import _Throttle

    throttle = _Throttle(max_connections=1, min_delay=0.0)
    with pytest.raises(RuntimeError) if fails else contextlib.nullcontext():
        async with throttle.slot():
            assert (throttle.in_flight, throttle.semaphore.locked()) == (1, True)
            if fails:
                raise RuntimeError("request failed")
    assert (throttle.in_flight, throttle.peak, throttle.semaphore.locked()) == (0, 1, False)
    async with throttle.slot():  # free again
        assert throttle.in_flight == 1
