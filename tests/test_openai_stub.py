"""The loopback OpenAI-compatible server used by the generator tests, driven through httpx."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from _servers import (
    DropConnection,
    ErrorReply,
    OpenAIStub,
    RecordedRequest,
    Reply,
    ToolCall,
)
from _servers import openai_stub_fixture as openai_stub_fixture

CHAT = "/chat/completions"


def chat_body(text: str = "hello there", **extra: Any) -> dict[str, Any]:
    messages = [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": text},
    ]
    return {"model": "stub-model", "messages": messages, **extra}


def post(stub: OpenAIStub, path: str, body: Any, **kwargs: Any) -> httpx.Response:
    return httpx.post(stub.base_url + path, json=body, timeout=5, **kwargs)


def events(response: httpx.Response) -> list[Any]:
    """The `data:` payloads of a server-sent event stream, with `[DONE]` kept as a string."""
    out: list[Any] = []
    blocks = response.text.split("\n\n")
    assert blocks[-1] == "", "the stream ends with a blank line"
    for block in blocks[:-1]:
        assert block.startswith("data: "), block
        data = block.removeprefix("data: ")
        out.append(data if data == "[DONE]" else json.loads(data))
    return out


# --- replies ------------------------------------------------------------------------------


def test_default_reply_echoes_last_user_message(openai_stub: OpenAIStub) -> None:
    body = chat_body()
    body["messages"].append({"role": "assistant", "content": "earlier answer"})
    response = post(openai_stub, CHAT, body)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert data["id"].startswith("chatcmpl-")
    assert data["object"] == "chat.completion"
    assert data["model"] == "stub-model"
    assert data["choices"] == [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "hello there"},
            "finish_reason": "stop",
            "logprobs": None,
        }
    ]
    # Words stand for tokens: "be brief" + "hello there" + "earlier answer" in, 2 out.
    assert data["usage"] == {"prompt_tokens": 6, "completion_tokens": 2, "total_tokens": 8}


def test_echo_reads_text_parts(openai_stub: OpenAIStub) -> None:
    parts = [{"type": "text", "text": "a "}, {"type": "image_url"}, {"type": "text", "text": "b"}]
    data = post(openai_stub, CHAT, chat_body(parts)).json()  # type: ignore[arg-type]
    assert data["choices"][0]["message"]["content"] == "a b"


def test_scripted_replies_are_used_in_order(openai_stub: OpenAIStub) -> None:
    openai_stub.script("first", Reply("second", finish_reason="length"))
    first = post(openai_stub, CHAT, chat_body()).json()
    second = post(openai_stub, CHAT, chat_body()).json()
    third = post(openai_stub, CHAT, chat_body("back to echo")).json()
    assert first["choices"][0]["message"]["content"] == "first"
    assert second["choices"][0]["message"]["content"] == "second"
    assert second["choices"][0]["finish_reason"] == "length"
    assert third["choices"][0]["message"]["content"] == "back to echo"
    assert len({first["id"], second["id"], third["id"]}) == 3


def test_n_choices(openai_stub: OpenAIStub) -> None:
    data = post(openai_stub, CHAT, chat_body("same", n=3)).json()
    assert [c["index"] for c in data["choices"]] == [0, 1, 2]
    assert {c["message"]["content"] for c in data["choices"]} == {"same"}
    assert data["usage"]["completion_tokens"] == 3

    openai_stub.script(Reply(choices=["one", "two"]))
    data = post(openai_stub, CHAT, chat_body(n=3)).json()
    assert [c["message"]["content"] for c in data["choices"]] == ["one", "two", "one"]


def test_tool_calls(openai_stub: OpenAIStub) -> None:
    openai_stub.script(
        Reply(
            tool_calls=[
                ToolCall("get_weather", {"city": "Paris"}),
                ToolCall("noop", '{"x": 1}', id="call_given"),
            ]
        )
    )
    data = post(openai_stub, CHAT, chat_body(tools=[])).json()
    choice = data["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    message = choice["message"]
    assert message["content"] is None
    first, second = message["tool_calls"]
    assert first["type"] == "function"
    assert first["id"].startswith("call-")
    assert first["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert second["id"] == "call_given"
    assert json.loads(second["function"]["arguments"]) == {"x": 1}


def test_text_completions(openai_stub: OpenAIStub) -> None:
    body = {"model": "stub-model", "prompt": "Once upon", "n": 2}
    data = post(openai_stub, "/completions", body).json()
    assert data["object"] == "text_completion"
    assert data["id"].startswith("cmpl-")
    assert [c["text"] for c in data["choices"]] == ["Once upon", "Once upon"]
    assert data["usage"] == {"prompt_tokens": 2, "completion_tokens": 4, "total_tokens": 6}
    openai_stub.script(Reply(tool_calls=[ToolCall("f")]))
    response = post(openai_stub, "/completions", body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "tool calls are only available on /v1/chat/completions"
    )


def test_models(openai_stub: OpenAIStub) -> None:
    response = httpx.get(openai_stub.base_url + "/models")
    assert response.json() == {
        "object": "list",
        "data": [
            {
                "id": "stub-model",
                "object": "model",
                "created": 1_700_000_000,
                "owned_by": "rigging-tests",
            }
        ],
    }


# --- streaming ------------------------------------------------------------------------------


def test_stream_in_given_chunks(openai_stub: OpenAIStub) -> None:
    openai_stub.script(Reply(chunks=["Hel", "lo, ", "world"]))
    response = post(openai_stub, CHAT, chat_body(stream=True))
    assert response.headers["content-type"] == "text/event-stream"
    assert response.headers["transfer-encoding"] == "chunked"
    payloads = events(response)
    assert payloads[-1] == "[DONE]"
    chunks = payloads[:-1]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    assert all("usage" not in c for c in chunks), "no usage unless include_usage is asked"
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas == [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
        {"content": "lo, "},
        {"content": "world"},
        {},
    ]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_stream_include_usage(openai_stub: OpenAIStub) -> None:
    body = chat_body("a b c", stream=True, stream_options={"include_usage": True})
    payloads = events(post(openai_stub, CHAT, body))
    *chunks, usage_chunk, done = payloads
    assert done == "[DONE]"
    assert all(c["usage"] is None for c in chunks)
    assert usage_chunk["choices"] == []
    assert usage_chunk["usage"] == {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == "a b c"
    assert len(chunks) == 5, "role chunk, one chunk per word, finish chunk"


def test_stream_tool_calls_and_n(openai_stub: OpenAIStub) -> None:
    openai_stub.script(Reply(tool_calls=[ToolCall("lookup", {"q": "x"}, id="call_1")]))
    chunks = events(post(openai_stub, CHAT, chat_body(stream=True, n=2)))[:-1]
    for index in (0, 1):
        mine = [c["choices"][0] for c in chunks if c["choices"][0]["index"] == index]
        calls = [d["delta"]["tool_calls"][0] for d in mine if "tool_calls" in d["delta"]]
        assert calls[0] == {
            "index": 0,
            "id": "call_1",
            "type": "function",
            "function": {"name": "lookup", "arguments": ""},
        }
        assert "".join(c["function"]["arguments"] for c in calls) == '{"q": "x"}'
        assert mine[-1]["finish_reason"] == "tool_calls"


def test_stream_text_completion(openai_stub: OpenAIStub) -> None:
    openai_stub.script(Reply(chunks=["x", "y"]))
    body = {"model": "m", "prompt": ["p"], "stream": True}
    chunks = events(post(openai_stub, "/completions", body))[:-1]
    assert [c["choices"][0]["text"] for c in chunks] == ["x", "y", ""]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_stream_arrives_chunk_by_chunk(openai_stub: OpenAIStub) -> None:
    openai_stub.script(Reply(chunks=["a", "b", "c"], chunk_delay=0.1))
    seen: list[float] = []
    with httpx.stream("POST", openai_stub.base_url + CHAT, json=chat_body(stream=True)) as r:
        start = time.monotonic()
        for line in r.iter_lines():
            if line.startswith("data: "):
                seen.append(time.monotonic() - start)
    assert len(seen) == 6
    assert seen[-1] - seen[0] >= 0.45, "events are written as they are produced, not at the end"


def test_stream_dropped_midway(openai_stub: OpenAIStub) -> None:
    openai_stub.script(Reply(chunks=["one", "two", "three"], drop_after=1))
    received: list[str] = []
    with (
        pytest.raises(httpx.RemoteProtocolError),
        httpx.stream("POST", openai_stub.base_url + CHAT, json=chat_body(stream=True)) as r,
    ):
        received.extend(r.iter_lines())
    assert any('"one"' in line for line in received)
    assert not any('"two"' in line for line in received)


# --- failures ---------------------------------------------------------------------------------


def test_scripted_errors(openai_stub: OpenAIStub) -> None:
    openai_stub.script(
        ErrorReply(429, "Rate limit reached", code="rate_limit_exceeded", retry_after=2),
        ErrorReply(500, "boom", retry_after=0.5, headers={"x-request-id": "req_1"}),
        "fine",
    )
    limited = post(openai_stub, CHAT, chat_body(stream=True))
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "2"
    assert limited.json() == {
        "error": {
            "message": "Rate limit reached",
            "type": "rate_limit_error",
            "param": None,
            "code": "rate_limit_exceeded",
        }
    }
    broken = post(openai_stub, CHAT, chat_body())
    assert broken.status_code == 500
    assert broken.headers["retry-after"] == "0.5"
    assert broken.headers["x-request-id"] == "req_1"
    assert broken.json()["error"]["type"] == "server_error"
    assert post(openai_stub, CHAT, chat_body()).status_code == 200


def test_dropped_connection(openai_stub: OpenAIStub) -> None:
    openai_stub.script(DropConnection())
    with pytest.raises(httpx.RemoteProtocolError):
        post(openai_stub, CHAT, chat_body())
    assert post(openai_stub, CHAT, chat_body()).status_code == 200, "the server keeps serving"


@pytest.mark.parametrize(
    ("method", "path", "content", "status", "message"),
    [
        ("POST", "/v1/nothing", b"{}", 404, "no route for /v1/nothing"),
        ("GET", "/v1/chat/completions", b"", 405, "GET is not allowed"),
        (
            "POST",
            "/v1/chat/completions",
            b"{not json",
            400,
            "the request body must be a JSON object",
        ),
        ("POST", "/v1/chat/completions", b'{"messages": []}', 400, "'model' is required"),
        (
            "POST",
            "/v1/chat/completions",
            b'{"model": "m", "messages": []}',
            400,
            "'messages' must be a non-empty list",
        ),
        ("POST", "/v1/completions", b'{"model": "m"}', 400, "'prompt' is required"),
        (
            "POST",
            "/v1/completions",
            b'{"model": "m", "prompt": "p", "n": 0}',
            400,
            "'n' must be a positive integer",
        ),
    ],
)
def test_bad_requests(
    openai_stub: OpenAIStub, method: str, path: str, content: bytes, status: int, message: str
) -> None:
    url = f"http://127.0.0.1:{openai_stub.port}{path}"
    response = httpx.request(method, url, content=content)
    assert response.status_code == status
    assert response.json()["error"]["message"] == message


def test_malformed_http_gets_400(openai_stub: OpenAIStub) -> None:
    with socket.create_connection((openai_stub.host, openai_stub.port), timeout=5) as sock:
        sock.sendall(b"NONSENSE\r\n\r\n")
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"malformed request line 'NONSENSE'" in reply


# --- scripting by callable, delays, concurrency ----------------------------------------------


def test_handler_decides_from_the_request(openai_stub: OpenAIStub) -> None:
    def handler(request: RecordedRequest) -> Reply | ErrorReply | str:
        last = request.json["messages"][-1]["content"]
        return ErrorReply(503) if last == "fail" else last.upper()

    openai_stub.on_request(handler)
    assert post(openai_stub, CHAT, chat_body("shout")).json()["choices"][0]["message"] == {
        "role": "assistant",
        "content": "SHOUT",
    }
    assert post(openai_stub, CHAT, chat_body("fail")).status_code == 503
    openai_stub.script("queued first")
    assert post(openai_stub, CHAT, chat_body("x")).json()["choices"][0]["message"]["content"] == (
        "queued first"
    )


def test_handler_errors_become_500_and_are_kept() -> None:
    def handler(request: RecordedRequest) -> str:
        raise KeyError("missing")

    with OpenAIStub() as stub:
        stub.on_request(handler)
        response = post(stub, CHAT, chat_body())
    assert response.status_code == 500
    assert response.json()["error"]["message"] == "stub handler raised KeyError('missing')"
    assert [type(e) for e in stub.handler_errors] == [KeyError]


def test_delay(openai_stub: OpenAIStub) -> None:
    openai_stub.script(Reply("slow", delay=0.3), ErrorReply(429, delay=0.2))
    start = time.monotonic()
    assert post(openai_stub, CHAT, chat_body()).status_code == 200
    middle = time.monotonic()
    assert post(openai_stub, CHAT, chat_body()).status_code == 429
    assert middle - start >= 0.3
    assert time.monotonic() - middle >= 0.2


async def test_concurrency_counter(openai_stub: OpenAIStub) -> None:
    openai_stub.on_request(lambda request: Reply("ok", delay=0.3))
    async with httpx.AsyncClient(base_url=openai_stub.base_url, timeout=5) as client:
        responses = await asyncio.gather(*(client.post(CHAT, json=chat_body()) for _ in range(5)))
        assert [r.status_code for r in responses] == [200] * 5
        assert openai_stub.max_in_flight == 5
        assert openai_stub.in_flight == 0

        openai_stub.reset()
        openai_stub.on_request(lambda request: Reply("ok", delay=0.1))
        gate = asyncio.Semaphore(2)

        async def limited() -> int:
            async with gate:
                return (await client.post(CHAT, json=chat_body())).status_code

        assert await asyncio.gather(*(limited() for _ in range(6))) == [200] * 6
    assert openai_stub.max_in_flight == 2
    assert len(openai_stub.requests) == 6


# --- recording --------------------------------------------------------------------------------


def _request_in_background(
    stub: OpenAIStub, send: Callable[[], object]
) -> tuple[threading.Thread, list[BaseException]]:
    """Start `send` on a thread and wait (up to 5 s) until the stub is serving it; the list
    collects the `httpx.HTTPError` the request ends with, if any."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            send()
        except httpx.HTTPError as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 5
    while stub.in_flight == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    return thread, errors


def test_reset_cuts_a_request_left_over_from_an_earlier_test(openai_stub: OpenAIStub) -> None:
    openai_stub.script(Reply("too late", delay=30))
    waiter, failed = _request_in_background(
        openai_stub, lambda: post(openai_stub, CHAT, chat_body())
    )
    assert openai_stub.in_flight == 1
    openai_stub.reset()
    assert (openai_stub.in_flight, openai_stub.max_in_flight) == (0, 0)
    waiter.join(5)
    assert not waiter.is_alive()
    assert failed, "the client saw its connection cut"
    assert post(openai_stub, CHAT, chat_body("again")).status_code == 200
    assert openai_stub.max_in_flight == 1


def test_requests_are_recorded(openai_stub: OpenAIStub) -> None:
    headers = {"Authorization": "Bearer sk-secret-123", "X-Trace": "t1"}
    body = chat_body("recorded", temperature=0.2)
    post(openai_stub, CHAT + "?api-version=1", body, headers=headers)
    httpx.get(openai_stub.base_url + "/models")
    first, second = openai_stub.requests
    assert (first.method, first.path) == ("POST", "/v1/chat/completions")
    assert first.query == "api-version=1"
    assert first.json == body
    assert json.loads(first.body) == body
    assert first.headers["authorization"] == "Bearer sk-secret-123"
    assert first.headers["x-trace"] == "t1"
    assert first.headers["content-type"] == "application/json"
    assert (second.method, second.path, second.json) == ("GET", "/v1/models", None)
    # The api key stays out of reprs.
    assert "sk-secret" not in repr(first)
    assert "authorization" in repr(first)
    assert first.redacted_headers()["authorization"] == "<redacted>"
    openai_stub.reset()
    assert openai_stub.requests == []


def test_chunked_request_body(openai_stub: OpenAIStub) -> None:
    payload = json.dumps(chat_body("chunked")).encode()

    def parts() -> Any:
        yield payload[:10]
        yield payload[10:]

    response = httpx.post(openai_stub.base_url + CHAT, content=parts())
    assert response.json()["choices"][0]["message"]["content"] == "chunked"
    assert openai_stub.requests[0].headers["transfer-encoding"] == "chunked"


def test_openai_client_reads_the_replies(openai_stub: OpenAIStub) -> None:
    openai_stub.script(Reply(tool_calls=[ToolCall("f", {"a": 1})]), Reply(chunks=["x", "y"]))
    with openai.OpenAI(base_url=openai_stub.base_url, api_key="sk-test", max_retries=0) as client:
        completion = client.chat.completions.create(
            model="stub-model", messages=[{"role": "user", "content": "hi"}]
        )
        calls = completion.choices[0].message.tool_calls
        assert calls is not None
        call: Any = calls[0]
        assert (call.function.name, call.function.arguments) == ("f", '{"a": 1}')
        stream = client.chat.completions.create(
            model="stub-model",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        pieces = [c.choices[0].delta.content for c in stream if c.choices]
        assert "".join(p or "" for p in pieces) == "xy"
    assert openai_stub.requests[0].headers["authorization"] == "Bearer sk-test"


# --- life cycle -----------------------------------------------------------------------------


def test_shutdown_leaves_nothing_behind() -> None:
    before = set(threading.enumerate())
    stub = OpenAIStub().start()
    assert stub.host == "127.0.0.1"
    assert stub.base_url == f"http://127.0.0.1:{stub.port}/v1"
    stub.script(Reply("never sent", delay=30))
    client = httpx.Client(timeout=30)  # keeps an idle keep-alive connection open
    assert client.get(stub.base_url + "/models").status_code == 200

    waiter, hung = _request_in_background(
        stub, lambda: client.post(stub.base_url + CHAT, json=chat_body())
    )
    started = time.monotonic()
    stub.stop()
    assert time.monotonic() - started < 2, "stop does not wait for the 30 s reply"
    waiter.join(5)
    client.close()
    assert hung, "the in-flight request was cut"
    assert set(threading.enumerate()) == before
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((stub.host, stub.port), timeout=1).close()
    stub.stop()  # idempotent


def test_start_twice_is_refused() -> None:
    with OpenAIStub() as stub, pytest.raises(RuntimeError, match="already running"):
        stub.start()


def test_reply_validation() -> None:
    with pytest.raises(ValueError, match="either chunks or choices"):
        Reply(chunks=["a"], choices=["b"])
    with pytest.raises(ValueError, match="choices must not be empty"):
        Reply(choices=[])
