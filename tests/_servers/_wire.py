"""HTTP/1.1 framing for the stub server: read requests, write JSON and server-sent events."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

__all__ = ["Connection", "RecordedRequest", "read_request"]

_SECRET_HEADERS = frozenset({"authorization", "api-key", "x-api-key", "proxy-authorization"})
MAX_BODY = 32 * 1024 * 1024


@dataclass(frozen=True, repr=False)
class RecordedRequest:
    """One request as the server received it.

    Attributes:
        method: ``GET``, ``POST``, ...
        path: The path without the query string.
        query: The query string (without ``?``), or ``""``.
        headers: Header names in lower case; repeated headers are joined with ``", "``.
        body: The raw body.
        json: The body parsed as JSON, or ``None`` when it is empty or not JSON.
        keep_alive: Whether the client allows the connection to be reused.
    """

    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes
    json: Any
    keep_alive: bool

    def __repr__(self) -> str:
        # Header values may hold api keys: show only the names.
        names = ", ".join(sorted(self.headers))
        return f"RecordedRequest({self.method} {self.path}, headers=[{names}], {len(self.body)} B)"

    def redacted_headers(self) -> dict[str, str]:
        """The headers with credentials replaced by ``"<redacted>"``."""
        return {k: "<redacted>" if k in _SECRET_HEADERS else v for k, v in self.headers.items()}


class Connection:
    """One client connection on the server's event loop."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        # Called once, just before a response's last bytes are written (or the connection is
        # cut): a client holding the whole reply then always sees the server's bookkeeping done,
        # even though the server runs on another thread.
        self.finishing: Callable[[], None] | None = None

    def mark_finished(self) -> None:
        """Run the `finishing` callback, once (later calls do nothing)."""
        finishing, self.finishing = self.finishing, None
        if finishing is not None:
            finishing()

    async def send_json(
        self, status: int, payload: Any, headers: Mapping[str, str] | None = None
    ) -> bool:
        """Write a whole JSON response; True (the connection stays usable)."""
        body = json.dumps(payload).encode()
        head = {"content-type": "application/json", "content-length": str(len(body))}
        self.mark_finished()
        self.writer.write(_head(status, {**head, **(headers or {})}) + body)
        await self.writer.drain()
        return True

    async def send_raw(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> bool:
        """Write a whole response with `body` as it is; True (the connection stays usable)."""
        head = {"content-type": content_type, "content-length": str(len(body)), **(headers or {})}
        self.mark_finished()
        self.writer.write(_head(status, head) + body)
        await self.writer.drain()
        return True

    async def send_partial(self, body: bytes) -> bool:
        """Write a 200 head announcing `body`, then its first half, then reset; False."""
        head = {"content-type": "application/json", "content-length": str(len(body))}
        self.writer.write(_head(200, head) + body[: len(body) // 2])
        await self.writer.drain()
        self.abort()
        return False

    async def send_drip(
        self, status: int, body: bytes | None, content_type: str, interval: float
    ) -> bool:
        """Write a response one byte every `interval` seconds, then wait for the client to go.

        With `body` None the head announces a chunked body that never comes. Stops early when
        the client goes away. Returns False (the connection is not reused).
        """
        head = {"content-type": content_type}
        head.update(
            {"transfer-encoding": "chunked"} if body is None else {"content-length": str(len(body))}
        )
        data = _head(status, head) + (body or b"")
        try:
            for index in range(len(data)):
                if index:
                    await asyncio.sleep(interval)
                if self.writer.is_closing():
                    break
                self.writer.write(data[index : index + 1])
                await self.writer.drain()
        except (ConnectionError, OSError):
            pass
        await self.wait_closed_by_peer()
        return False

    async def wait_closed_by_peer(self) -> None:
        """Wait until the client closes the connection (it gave up), reading nothing else."""
        with contextlib.suppress(ConnectionError, OSError):
            while await self.reader.read(65536):
                pass
        self.mark_finished()

    async def send_events(
        self,
        events: Sequence[tuple[str, bool]],
        chunk_delay: float,
        drop_after: int | None,
        cut_event: bool = False,
        keepalive: float | None = None,
    ) -> bool:
        """Stream ``data: ...`` events in chunked encoding.

        `events` pairs each event's data with whether it carries a text piece; with
        `drop_after`, the connection is cut after that many text events (with `cut_event`,
        in the middle of the next one); with `keepalive`, after the first text event only
        ``: keep-alive`` comments follow, every `keepalive` seconds, until the client goes
        away. Returns False when the connection was cut.
        """
        head = {
            "content-type": "text/event-stream",
            "cache-control": "no-cache",
            "transfer-encoding": "chunked",
        }
        self.writer.write(_head(200, head))
        sent_text = 0
        for number, (data, is_text) in enumerate(events):
            if drop_after is not None and is_text and sent_text >= drop_after:
                if cut_event:
                    half = f"data: {data}"[: len(data) // 2].encode()
                    self.writer.write(b"%x\r\n%s\r\n" % (len(half), half))
                await self.writer.drain()
                self.abort()
                return False
            if number and chunk_delay:
                await asyncio.sleep(chunk_delay)
            event = f"data: {data}\n\n".encode()
            self.writer.write(b"%x\r\n%s\r\n" % (len(event), event))
            await self.writer.drain()
            sent_text += is_text
            if keepalive is not None and sent_text:
                comment = b": keep-alive\n\n"
                try:
                    for _ in range(100_000):  # ends when the client goes away, in practice
                        await asyncio.sleep(keepalive)
                        if self.writer.is_closing():
                            break
                        self.writer.write(b"%x\r\n%s\r\n" % (len(comment), comment))
                        await self.writer.drain()
                except (ConnectionError, OSError):
                    pass
                self.abort()
                return False
        self.mark_finished()
        self.writer.write(b"0\r\n\r\n")
        await self.writer.drain()
        return True

    def abort(self) -> None:
        """Cut the connection without a response (the client sees a reset or an early EOF)."""
        self.mark_finished()
        self.writer.transport.abort()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
            await self.writer.wait_closed()


def _head(status: int, headers: Mapping[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} {HTTPStatus(status).phrase}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class _BadRequestError(Exception):
    pass


async def read_request(conn: Connection) -> RecordedRequest | None:
    """The next request, or None at a clean end of stream or after answering a malformed one."""
    try:
        head = await conn.reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            await _reject(conn, "the request head is incomplete")
        return None
    except asyncio.LimitOverrunError:
        await _reject(conn, "the request head is too large")
        return None
    try:
        return await _parse(conn, head)
    except _BadRequestError as exc:
        await _reject(conn, str(exc))
        return None


async def _parse(conn: Connection, head: bytes) -> RecordedRequest:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequestError(f"malformed request line {lines[0]!r}")
    method, target, version = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise _BadRequestError(f"malformed header line {line!r}")
        key = name.strip().lower()
        headers[key] = f"{headers[key]}, {value.strip()}" if key in headers else value.strip()
    body = await _read_body(conn.reader, headers)
    path, _, query = target.partition("?")
    connection = headers.get("connection", "").lower()
    keep_alive = "keep-alive" in connection if version == "HTTP/1.0" else "close" not in connection
    try:
        payload = json.loads(body) if body else None
    except ValueError:
        payload = None
    return RecordedRequest(method, path, query, headers, body, payload, keep_alive)


async def _read_body(reader: asyncio.StreamReader, headers: Mapping[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        total = 0
        while True:
            size_line = await reader.readuntil(b"\r\n")
            try:
                size = int(size_line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _BadRequestError("malformed chunk size") from None
            total += size
            if total > MAX_BODY:
                raise _BadRequestError("the request body is too large")
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers expected
                return b"".join(chunks)
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
    length = headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_BODY:
        raise _BadRequestError(f"bad content-length {length!r}")
    return await reader.readexactly(int(length))


async def _reject(conn: Connection, message: str) -> None:
    body = {"error": {"message": message, "type": "invalid_request_error", "param": None}}
    with contextlib.suppress(ConnectionError):
        await conn.send_json(400, body, {"connection": "close"})
