"""A small stand-in for the Elasticsearch HTTP API on 127.0.0.1 (no real server runs here).

It serves what rigging's data helpers and watchers use: index exists / create / put mapping,
``_bulk`` (index, create, delete) and ``_search`` with ``match_all``, ``term`` and ``ids``
queries. Documents are kept as the JSON the client sent. Every response carries the product
header the official client checks. Requests are recorded for assertions.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["ElasticStub"]


@dataclass
class _Index:
    mappings: dict[str, Any] = field(default_factory=dict)
    docs: dict[str, dict[str, Any]] = field(default_factory=dict)


def _refuse(constant: str) -> Any:
    raise ValueError(f"Non-standard token '{constant}'")


def _lookup(source: Any, path: str) -> Any:
    for key in path.split("."):
        if not isinstance(source, dict) or key not in source:
            return None
        source = source[key]
    return source


def _matches(source: dict[str, Any], doc_id: str, query: dict[str, Any]) -> bool:
    if not query or "match_all" in query:
        return True
    if "ids" in query:
        return doc_id in query["ids"]["values"]
    if "term" in query:
        ((path, wanted),) = query["term"].items()
        if isinstance(wanted, dict):
            wanted = wanted["value"]
        return bool(_lookup(source, path) == wanted)
    raise ValueError(f"unsupported query {query!r}")


class ElasticStub:
    """Start with ``with ElasticStub() as es:``; ``es.url`` is the base URL."""

    def __init__(self) -> None:
        self.indices: dict[str, _Index] = {}
        self.requests: list[tuple[str, str]] = []
        self.lock = threading.Lock()
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return None

            def _body(self) -> bytes:
                length = int(self.headers.get("Content-Length") or 0)
                return self.rfile.read(length) if length else b""

            def _send(self, status: int, payload: Any = None) -> None:
                data = b"" if payload is None else json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("X-Elastic-Product", "Elasticsearch")
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _handle(self) -> None:
                path = self.path.split("?", 1)[0].strip("/")
                with stub.lock:
                    stub.requests.append((self.command, path))
                    status, payload = stub.route(self.command, path, self._body())
                self._send(status, payload)

            do_GET = do_POST = do_PUT = do_HEAD = do_DELETE = _handle  # noqa: N815

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Base URL of the server."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> ElasticStub:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    # --- routing (called under the lock) -----------------------------------------------------

    def route(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        parts = path.split("/") if path else []
        if parts == ["_bulk"] or parts[-1:] == ["_bulk"]:
            return self._bulk(body)
        if len(parts) == 2 and parts[1] == "_search":
            return self._search(parts[0], json.loads(body or b"{}"))
        if len(parts) == 2 and parts[1] == "_mapping" and method == "PUT":
            if parts[0] not in self.indices:
                return 404, {"error": {"type": "index_not_found_exception"}, "status": 404}
            props = json.loads(body).get("properties", {})
            self.indices[parts[0]].mappings.setdefault("properties", {}).update(props)
            return 200, {"acknowledged": True}
        if len(parts) == 1 and method == "HEAD":
            return (200 if parts[0] in self.indices else 404), None
        if len(parts) == 1 and method == "PUT":
            if parts[0] in self.indices:
                return 400, {"error": {"type": "resource_already_exists_exception"}}
            mappings = json.loads(body or b"{}").get("mappings", {})
            self.indices[parts[0]] = _Index(mappings=mappings)
            return 200, {"acknowledged": True, "index": parts[0]}
        return 404, {"error": f"stand-in does not serve {method} /{path}"}

    def _bulk(self, body: bytes) -> tuple[int, Any]:
        try:  # as Elasticsearch: JSON has no NaN or Infinity
            lines = [json.loads(line, parse_constant=_refuse) for line in body.splitlines() if line]
        except ValueError as exc:
            return 400, {"error": {"type": "x_content_parse_exception", "reason": str(exc)}}
        items: list[dict[str, Any]] = []
        position = 0
        while position < len(lines):
            ((op, meta),) = lines[position].items()
            position += 1
            index = self.indices.setdefault(meta["_index"], _Index())
            doc_id = str(meta["_id"])
            if op == "delete":
                found = index.docs.pop(doc_id, None) is not None
                items.append({op: {"_id": doc_id, "status": 200 if found else 404}})
                continue
            source = lines[position]
            position += 1
            if op == "create" and doc_id in index.docs:
                items.append({op: {"_id": doc_id, "status": 409, "error": {"type": "conflict"}}})
                continue
            created = doc_id not in index.docs
            index.docs[doc_id] = source
            items.append(
                {op: {"_index": meta["_index"], "_id": doc_id, "status": 201 if created else 200}}
            )
        errors = any(item[next(iter(item))]["status"] >= 300 for item in items)
        return 200, {"took": 1, "errors": errors, "items": items}

    def _search(self, name: str, body: dict[str, Any]) -> tuple[int, Any]:
        if name not in self.indices:
            return 404, {"error": {"type": "index_not_found_exception"}, "status": 404}
        query = body.get("query", {})
        hits = [
            {"_index": name, "_id": doc_id, "_score": 1.0, "_source": source}
            for doc_id, source in self.indices[name].docs.items()
            if _matches(source, doc_id, query)
        ]
        size = body.get("size")
        if size is not None:
            hits = hits[: int(size)]
        total = {"value": len(hits), "relation": "eq"}
        return 200, {"took": 1, "timed_out": False, "hits": {"total": total, "hits": hits}}
