"""A loopback OpenAI-compatible HTTP/1.1 server for tests, built on asyncio streams.

The server listens on 127.0.0.1 with an ephemeral port and runs its own event loop in a
background thread, so synchronous and asynchronous clients alike can talk to it. It never
opens an outbound connection.

What each completion request gets back is scripted per test: queue actions with
`OpenAIStub.script` (consumed in arrival order), or install a callable with
`OpenAIStub.on_request`; with neither, the reply echoes the last user message (or the prompt).
Every request is recorded, and the server counts how many requests were open at once.

Endpoints: ``POST /v1/chat/completions``, ``POST /v1/completions`` (both with ``n`` and
``stream``, including ``stream_options.include_usage``) and ``GET /v1/models``.

Faults for fault-injection tests: `ErrorReply` (any status, ``Retry-After``), `DropConnection`
(no answer), `ResetMidBody` (a 200 head and part of the body, then a reset), `RawReply` (any
body: malformed JSON, ``"choices": []``, a choice without a message), `Hang` (no answer until
the client gives up), `Drip` (the response a byte at a time) and, for streams,
``Reply(drop_after=...)`` (cut after some events, optionally in the middle of one).
`OpenAIStub.attempts` counts the requests per prompt.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import re
import threading
from collections import Counter, deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from ._replies import (
    CREATED,
    chat_chunks,
    chat_response,
    message_text,
    text_chunks,
    text_response,
)
from ._wire import Connection, RecordedRequest, read_request

__all__ = [
    "Action",
    "Drip",
    "DropConnection",
    "ErrorReply",
    "Handler",
    "Hang",
    "OpenAIStub",
    "RawReply",
    "RecordedRequest",
    "Reply",
    "ResetMidBody",
    "ToolCall",
    "prompt_of",
]


@dataclass(frozen=True)
class ToolCall:
    """A function call the assistant asks for; `arguments` is JSON text or a mapping."""

    name: str
    arguments: str | Mapping[str, Any] = "{}"
    id: str | None = None

    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(dict(self.arguments))


@dataclass(frozen=True)
class Reply:
    """A successful completion.

    Attributes:
        content: The text of every choice (ignored when `chunks` is given).
        chunks: The text split the way a stream delivers it; joined for non-streamed replies.
        choices: Per-choice texts (choice ``i`` gets ``choices[i % len(choices)]``).
        tool_calls: Tool calls of every choice (chat only).
        finish_reason: Defaults to ``"tool_calls"`` with tool calls, else ``"stop"``.
        usage: Overrides the computed token counts (keys as in the OpenAI ``usage`` object).
        delay: Seconds to wait before replying.
        chunk_delay: Seconds to wait between streamed chunks.
        drop_after: For streams: close the connection abruptly after this many text chunks.
        cut_event: With `drop_after`: send the first half of the next event before the cut.
        keepalive: For streams: after the first text chunk, send only ``: keep-alive`` comments,
            one every this many seconds, until the client goes away (a stuck generation).
    """

    content: str = ""
    chunks: Sequence[str] | None = None
    choices: Sequence[str] | None = None
    tool_calls: Sequence[ToolCall] = ()
    finish_reason: str | None = None
    usage: Mapping[str, int] | None = None
    delay: float = 0.0
    chunk_delay: float = 0.0
    drop_after: int | None = None
    cut_event: bool = False
    keepalive: float | None = None

    def __post_init__(self) -> None:
        if self.chunks is not None and self.choices is not None:
            raise ValueError("give either chunks or choices, not both")
        if self.choices is not None and not self.choices:
            raise ValueError("choices must not be empty")

    def pieces(self, choice: int) -> list[str]:
        """The streamed pieces of choice `choice`."""
        if self.chunks is not None:
            return list(self.chunks)
        return re.findall(r"\s*\S+\s*|\s+", self.text(choice))

    def text(self, choice: int) -> str:
        if self.chunks is not None:
            return "".join(self.chunks)
        if self.choices is not None:
            return self.choices[choice % len(self.choices)]
        return self.content


@dataclass(frozen=True)
class ErrorReply:
    """An HTTP error with an OpenAI-style body ``{"error": {...}}``."""

    status: int
    message: str = "stub error"
    type: str | None = None
    code: str | None = None
    retry_after: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def body(self) -> dict[str, Any]:
        kind = self.type or _ERROR_TYPES.get(self.status, "server_error")
        return {"error": {"message": self.message, "type": kind, "param": None, "code": self.code}}


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}


@dataclass(frozen=True)
class DropConnection:
    """Close the connection without a response (after `delay` seconds)."""

    delay: float = 0.0


@dataclass(frozen=True)
class ResetMidBody:
    """Send a 200 head announcing the whole body, then part of it, then reset the connection."""

    delay: float = 0.0


@dataclass(frozen=True)
class RawReply:
    """Send `body` as it is: text or bytes verbatim, anything else as JSON (malformed shapes)."""

    body: Any
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0
    headers: Mapping[str, str] | None = None

    def payload(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return json.dumps(self.body).encode()


@dataclass(frozen=True)
class Drip:
    """Send the response (head included) one byte every `interval` seconds: a read timeout,
    which restarts on every byte, never fires. `body` as for `RawReply`; None: a head
    announcing a chunked body that never comes. The client is then waited for to go."""

    body: Any = None
    interval: float = 0.05
    status: int = 200
    content_type: str = "application/json"
    delay: float = 0.0


@dataclass(frozen=True)
class Hang:
    """Never answer: hold the request until the client gives up (or the stub is reset)."""

    delay: float = 0.0


Action = Reply | ErrorReply | DropConnection | ResetMidBody | RawReply | Hang | Drip
Handler = Callable[[RecordedRequest], "Action | str"]


class OpenAIStub:
    """The server. Use as a context manager, or call `start` and `stop`.

    Attributes:
        host: Always ``127.0.0.1``.
        port: The ephemeral port, once started.
        models: Model ids listed by ``GET /v1/models``.
        max_in_flight: The most requests open at the same time since start (or `reset`).
        connections_opened: TCP connections accepted since start (or `reset`).
        handler_errors: Exceptions raised by the `on_request` callable (each also became a 500).
    """

    host = "127.0.0.1"

    def __init__(self, *, models: Sequence[str] = ("stub-model",)) -> None:
        self.models = tuple(models)
        self.port = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.connections_opened = 0
        self.handler_errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._script: deque[Action | str] = deque()
        self._handler: Handler | None = None
        self._requests: list[RecordedRequest] = []
        self._ids = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self._serving: set[asyncio.Task[None]] = set()  # connections in the middle of a request

    # --- scripting and inspection (called from the test thread) ---------------------------

    @property
    def base_url(self) -> str:
        """The OpenAI base URL, ``http://127.0.0.1:<port>/v1``."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def open_connections(self) -> int:
        """Connections open now (idle keep-alive ones included)."""
        return len(self._connections)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    def attempts(self) -> Counter[str]:
        """How many completion requests arrived per prompt (the last user message, or the prompt).

        Fault-injection tests read attempt counts here: the server's own count, whatever
        the client reports.
        """
        return Counter(
            prompt_of(r)
            for r in self.requests
            if r.path in ("/v1/chat/completions", "/v1/completions") and isinstance(r.json, dict)
        )

    def script(self, *actions: Action | str) -> None:
        """Queue replies for the next completion requests; a plain string is a `Reply`."""
        with self._lock:
            self._script.extend(actions)

    def on_request(self, handler: Handler | None) -> None:
        """Decide replies with `handler` once the script queue is empty (None: echo)."""
        with self._lock:
            self._handler = handler

    def reset(self) -> None:
        """Start afresh: cut requests still being served, forget what was recorded and scripted.

        A request left over from an earlier test (a slow reply its client gave up on) is cut,
        so `in_flight` and `max_in_flight` count only what comes after. Idle keep-alive
        connections stay open.
        """
        loop = self._loop
        if loop is not None and loop.is_running():
            asyncio.run_coroutine_threadsafe(self._cut_serving(), loop).result(10)
        with self._lock:
            self._requests.clear()
            self._script.clear()
            self._handler = None
            self.max_in_flight = self.in_flight
            self.connections_opened = 0
            self.handler_errors.clear()

    # --- life cycle ---------------------------------------------------------------------

    def start(self) -> OpenAIStub:
        if self._thread is not None:
            raise RuntimeError("the stub server is already running")
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()
        thread = threading.Thread(
            target=self._serve, args=(loop, ready, failure), name="openai-stub", daemon=True
        )
        self._loop, self._thread = loop, thread
        thread.start()
        if not ready.wait(10) or failure:
            self.stop()
            raise RuntimeError(f"the stub server did not start: {failure}")
        return self

    def stop(self) -> None:
        """Close the listener and every connection, then end the loop thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        with contextlib.suppress(RuntimeError):  # loop already closed after a failed start
            loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        self._loop = self._thread = None
        if thread.is_alive():
            raise RuntimeError("the stub server thread did not stop within 10 s")

    def __enter__(self) -> OpenAIStub:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _serve(
        self, loop: asyncio.AbstractEventLoop, ready: threading.Event, failure: list[BaseException]
    ) -> None:
        asyncio.set_event_loop(loop)
        try:
            server = loop.run_until_complete(
                asyncio.start_server(self._on_connection, self.host, 0)
            )
            self._server = server
            self.port = server.sockets[0].getsockname()[1]
            ready.set()
            loop.run_forever()
            loop.run_until_complete(self._shutdown(server))
        except BaseException as exc:  # reported to start(), which stops the thread
            failure.append(exc)
            ready.set()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _cut_serving(self) -> None:
        tasks = list(self._serving)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _shutdown(self, server: asyncio.Server) -> None:
        server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        await server.wait_closed()

    # --- serving (on the loop thread) ---------------------------------------------------

    async def _on_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None  # the server runs each connection in a task of its own
        self._connections.add(task)
        self.connections_opened += 1
        conn = Connection(reader, writer)
        try:
            while True:
                request = await read_request(conn)
                if request is None:
                    break
                with self._lock:
                    self._requests.append(request)
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
                conn.finishing = self._request_done
                self._serving.add(task)
                try:
                    keep_open = await self._respond(conn, request)
                finally:
                    self._serving.discard(task)
                    conn.mark_finished()  # no reply was written (cancelled, or the handler raised)
                if not keep_open or not request.keep_alive:
                    break
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away
        except asyncio.CancelledError:
            # Cut by reset() or stop(). Ending normally keeps asyncio's connection callback
            # (which reads the task's result) from logging the cancellation as an error.
            pass
        finally:
            await conn.close()
            self._connections.discard(task)

    def _request_done(self) -> None:
        self.in_flight -= 1

    async def _respond(self, conn: Connection, request: RecordedRequest) -> bool:
        route = (request.method, request.path)
        if route == ("GET", "/v1/models"):
            data = [
                {"id": m, "object": "model", "created": CREATED, "owned_by": "rigging-tests"}
                for m in self.models
            ]
            return await conn.send_json(200, {"object": "list", "data": data})
        if request.path not in ("/v1/chat/completions", "/v1/completions"):
            return await _send_error(conn, ErrorReply(404, f"no route for {request.path}"))
        if request.method != "POST":
            return await _send_error(conn, ErrorReply(405, f"{request.method} is not allowed"))
        problem = _validate(request)
        if problem is not None:
            return await _send_error(conn, ErrorReply(400, problem))
        action = self._next_action(request)
        await asyncio.sleep(action.delay)
        if isinstance(action, DropConnection):
            conn.abort()
            return False
        if isinstance(action, ErrorReply):
            return await _send_error(conn, action)
        if isinstance(action, RawReply):
            return await conn.send_raw(
                action.status, action.payload(), action.content_type, action.headers
            )
        if isinstance(action, ResetMidBody):
            return await conn.send_partial(
                json.dumps(
                    chat_response("x", request.json, Reply(_echo_text(request)), 1, [])
                ).encode()
            )
        if isinstance(action, Hang):
            await conn.wait_closed_by_peer()
            return False
        if isinstance(action, Drip):
            body = None if action.body is None else RawReply(action.body).payload()
            return await conn.send_drip(action.status, body, action.content_type, action.interval)
        return await self._send_reply(conn, request, action)

    def _next_action(self, request: RecordedRequest) -> Action:
        with self._lock:
            queued = self._script.popleft() if self._script else None
            handler = self._handler
        if queued is None and handler is not None:
            try:
                queued = handler(request)
            except Exception as exc:
                self.handler_errors.append(exc)
                return ErrorReply(500, f"stub handler raised {exc!r}")
        if queued is None:
            queued = Reply(_echo_text(request))
        return Reply(queued) if isinstance(queued, str) else queued

    def _next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-stub{self._ids}"

    async def _send_reply(self, conn: Connection, request: RecordedRequest, reply: Reply) -> bool:
        body = request.json
        chat = request.path == "/v1/chat/completions"
        if not chat and reply.tool_calls:
            message = "tool calls are only available on /v1/chat/completions"
            return await _send_error(conn, ErrorReply(400, message))
        n = int(body.get("n") or 1)
        tool_ids = [self._next_id("call") if c.id is None else c.id for c in reply.tool_calls]
        response_id = self._next_id("chatcmpl" if chat else "cmpl")
        if not body.get("stream"):
            make = chat_response if chat else text_response
            return await conn.send_json(200, make(response_id, body, reply, n, tool_ids))
        options = body.get("stream_options") or {}
        usage = bool(options.get("include_usage"))
        events = (chat_chunks if chat else text_chunks)(
            response_id, body, reply, n, tool_ids, usage
        )
        return await conn.send_events(
            events, reply.chunk_delay, reply.drop_after, reply.cut_event, reply.keepalive
        )


async def _send_error(conn: Connection, error: ErrorReply) -> bool:
    headers = dict(error.headers)
    if error.retry_after is not None:
        seconds = error.retry_after
        whole = math.isfinite(seconds) and seconds == int(seconds)
        headers["retry-after"] = str(int(seconds)) if whole else str(seconds)  # "nan", "inf"
    return await conn.send_json(error.status, error.body(), headers)


def _validate(request: RecordedRequest) -> str | None:
    body = request.json
    if not isinstance(body, dict):
        return "the request body must be a JSON object"
    if not isinstance(body.get("model"), str):
        return "'model' is required"
    if request.path == "/v1/chat/completions":
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return "'messages' must be a non-empty list"
    elif not isinstance(body.get("prompt"), str | list):
        return "'prompt' is required"
    n = body.get("n", 1)
    if n is not None and (not isinstance(n, int) or isinstance(n, bool) or n < 1):
        return "'n' must be a positive integer"
    return None


def prompt_of(request: RecordedRequest) -> str:
    """The prompt of a completion request: its last user message, or its prompt text."""
    return _echo_text(request)


def _echo_text(request: RecordedRequest) -> str:
    body = request.json
    if request.path == "/v1/completions":
        prompt = body["prompt"]
        return str(prompt[-1]) if isinstance(prompt, list) and prompt else str(prompt or "")
    for message in reversed(body["messages"]):
        if isinstance(message, dict) and message.get("role") == "user":
            return message_text(message.get("content"))
    return ""
