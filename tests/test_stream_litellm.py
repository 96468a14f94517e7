import asyncio
import json
from typing import Any

import pytest
from _servers.litellm_loop import litellm_generator
from _servers.litellm_loop import server as server
from _servers.litellm_loop import stub as stub
from _servers.openai_stub import Action, ErrorReply, OpenAIStub, RawReply, Reply, ToolCall

from rigging.chat import Chat
from rigging.error import GenerationError
from rigging.generator import GenerateParams
from rigging.generator.litellm_ import LiteLLMGenerator
from rigging.message import Message
from rigging.model import Answer, Model, Question
from rigging.stream import (
    ChatFinishedEvent,
    CompletionFinishedEvent,
    ModelParsedEvent,
    RoundFinishedEvent,
    StreamFinish,
    TextDelta,
    TextDeltaEvent,
    ToolCallDelta,
)

SECRET = "sk-rigging-STREAM-SECRET-42"

# As in test_generator_litellm: litellm caches HTTP clients per event loop, so the module
# shares one loop and closes them at the end. litellm's stream handler reads a pydantic
# attribute deprecated in 2.11 on tool-call chunks, and builds a pydantic schema over a
# TypedDict with ReadOnly items on first use: their warnings, not ours (under
# filterwarnings=error litellm would turn them into a MidStreamFallbackError).
pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning"),
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _gen(server: OpenAIStub, **kwargs: Any) -> LiteLLMGenerator:
    return litellm_generator(server, SECRET, **kwargs)


def _same(a: Chat, b: Chat) -> None:
    def dump(chat: Chat) -> dict[str, Any]:
        data = chat.model_dump(exclude={"uuid", "timestamp", "extra"})
        for message in (*data["messages"], *data["generated"]):
            message["uuid"] = None
            if message.get("tool_call_id"):
                message["tool_call_id"] = "id"  # the server numbers calls per request
            for call in message.get("tool_calls") or ():
                call["id"] = None  # the server numbers calls per request
        return data

    assert dump(a) == dump(b)
    assert set(a.extra) == set(b.extra)


async def _tasks_settle(before: int) -> int:
    current = asyncio.current_task()
    count = -1
    for _ in range(300):  # up to 3 s on a loaded machine
        count = len([t for t in asyncio.all_tasks() if t is not current and not t.done()])
        if count <= before:
            break
        await asyncio.sleep(0.01)
    return count


async def _server_idle(server: OpenAIStub, timeout: float = 3.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if server.in_flight == 0:
            return
        await asyncio.sleep(0.01)


async def test_stream_messages_yields_deltas_tool_calls_usage_and_stop(
    server: OpenAIStub,
) -> None:
    server.script(
        Reply(chunks=["Hi <ans", "wer>4", "2</answer>"], tool_calls=[ToolCall("add", {"a": 1})])
    )
    chunks = [c async for c in _gen(server).stream_messages([Message(role="user", content="q")])]
    assert chunks[:3] == [TextDelta("Hi <ans"), TextDelta("wer>4"), TextDelta("2</answer>")]
    calls = [c for c in chunks if isinstance(c, ToolCallDelta)]
    assert calls[0].name == "add"
    assert calls[0].id is not None
    assert "".join(c.arguments for c in calls) == '{"a": 1}'
    finish = chunks[-1]
    assert isinstance(finish, StreamFinish)
    assert finish.stop_reason == "tool_calls"
    assert finish.usage is not None
    assert finish.usage.total_tokens == finish.usage.input_tokens + finish.usage.output_tokens
    assert finish.extra["response_id"].startswith("chatcmpl-")
    body = server.requests[0].json
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def _event(delta: dict[str, Any], finish: str | None = None) -> str:
    chunk = {
        "id": "s1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return "data: " + json.dumps(chunk) + "\n\n"


_SSE = "text/event-stream"
_JSON_COMPLETION = {
    "id": "x",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "lost"}, "finish_reason": "stop"}
    ],
}


@pytest.mark.parametrize(
    "reply",
    [
        RawReply(b"", content_type=_SSE),
        RawReply("data: [DONE]\n\n", content_type=_SSE),
        RawReply(_JSON_COMPLETION),  # a JSON completion where events were asked for
        RawReply(  # a tool-call delta litellm cannot read, under a `tool_calls` finish
            _event({"role": "assistant", "tool_calls": [{"index": 0, "id": "c", "function": None}]})
            + _event({}, "tool_calls")
            + "data: [DONE]\n\n",
            content_type=_SSE,
        ),
        RawReply(
            _event({"content": "partial"}) + _event({}, "tool_calls") + "data: [DONE]\n\n",
            content_type=_SSE,
        ),
    ],
)
async def test_a_stream_that_delivers_no_message_is_an_error(
    server: OpenAIStub, reply: RawReply
) -> None:
    """litellm makes up a `stop` chunk for a body without events and drops a tool-call delta
    it cannot read: these streams looked like successful, empty answers."""
    server.script(reply)
    with pytest.raises(GenerationError, match=r"stream from model .* ended after \d+ chunk"):
        async for _ in _gen(server, max_retries=0).stream_messages([Message("user", "q")]):
            pass


async def test_a_stream_that_only_keeps_alive_ends_after_the_timeout(server: OpenAIStub) -> None:
    """The HTTP read timeout restarts on any bytes, so a server sending keep-alive comments
    after its first chunk kept the stream open forever, `timeout` or not."""
    server.script(Reply(chunks=["Thinking", " more"], keepalive=0.05))
    chunks: list[Any] = []
    stream = _gen(server, max_retries=0).stream_messages(
        [Message("user", "q")], GenerateParams(timeout=1)
    )

    async def drain() -> None:
        async for chunk in stream:
            chunks.append(chunk)

    with pytest.raises(GenerationError, match=r"sent no chunk for 1 s \(the timeout\) after \d"):
        await drain()
    assert chunks == [TextDelta("Thinking")]


async def test_an_empty_answer_still_streams(server: OpenAIStub) -> None:
    server.script(Reply(content=""))
    chunks = [c async for c in _gen(server).stream_messages([Message("user", "q")])]
    assert isinstance(chunks[-1], StreamFinish)
    assert chunks[-1].stop_reason == "stop"
    # a finish reason of the provider's own is an answer even without a message
    server.script(RawReply(_event({}, "content_filter") + "data: [DONE]\n\n", content_type=_SSE))
    chunks = [c async for c in _gen(server).stream_messages([Message("user", "q")])]
    assert isinstance(chunks[-1], StreamFinish)
    assert chunks[-1].stop_reason == "content_filter"


async def test_stream_and_non_stream_give_the_same_generated_message(server: OpenAIStub) -> None:
    reply = Reply(chunks=["a <answer>", "b</answer>"], tool_calls=[ToolCall("f", {"x": "é"})])
    server.script(reply, reply)
    gen = _gen(server)
    events = [e async for e in gen.chat("q").stream()]
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    _same(final.chat, await gen.chat("q").run())
    assert final.chat.last.tool_calls is not None
    assert final.chat.last.tool_calls[0].function.arguments == '{"x": "\\u00e9"}'


TEXT = "Été: <question id=\"a>b\" n='東'>why 🙂?</question> ok <answer>42 ≤ 43</answer>!"


async def test_every_chunk_boundary_through_the_server(server: OpenAIStub) -> None:
    gen = _gen(server)
    server.script(TEXT)
    expected = await gen.chat("q").until_parsed_as(Question, Answer).run()
    for cut in range(1, len(TEXT)):
        server.reset()
        server.script(Reply(chunks=[TEXT[:cut], TEXT[cut:]]))
        pipeline = gen.chat("q").until_parsed_as(Question, Answer)
        events = [e async for e in pipeline.stream(stop_when_parsed=False)]
        received = 0
        parsed: list[tuple[Model, int]] = []
        for event in events:
            if isinstance(event, TextDeltaEvent):
                received += len(event.text)
            elif isinstance(event, ModelParsedEvent):
                # emitted right after the delta holding its closing '>'
                assert received - len(events_text(events, event)) < event.slice.stop <= received
                parsed.append((event.model, event.slice.stop))
        assert [type(m) for m, _ in parsed] == [Question, Answer], cut
        final = events[-1]
        assert isinstance(final, ChatFinishedEvent)
        _same(final.chat, expected)


def events_text(events: list[Any], parsed: ModelParsedEvent) -> str:
    """The text of the delta just before `parsed`."""
    position = events.index(parsed)
    for event in reversed(events[:position]):
        if isinstance(event, TextDeltaEvent):
            return event.text
    raise AssertionError("no delta before the model")


async def test_early_stop_closes_the_http_stream(server: OpenAIStub) -> None:
    pieces = ["<answer>", "yes</answer>", *[" more"] * 2000]
    server.script(Reply(chunks=pieces, chunk_delay=0.002))
    before = await _tasks_settle(10**6)
    stream = _gen(server).chat("q").until_parsed_as(Answer).stream()
    events = [e async for e in stream]
    assert stream.chats is not None
    chat = stream.chats[0]
    assert chat.extra["stopped_early"] is True
    assert chat.last.content == "<answer>yes</answer>"
    assert chat.last.parse(Answer).content == "yes"
    assert next(e for e in events if isinstance(e, RoundFinishedEvent)).stopped_early
    await _server_idle(server)
    assert server.in_flight == 0  # the server saw the client go (2000 chunks take 4 s)
    assert await _tasks_settle(before) <= before


async def test_breaking_out_closes_the_connection_and_leaves_no_task(server: OpenAIStub) -> None:
    server.script(*[Reply(chunks=["tick "] * 3000, chunk_delay=0.002)] * 3)
    before = await _tasks_settle(10**6)
    async with _gen(server).chat("q").stream_many(3) as stream:
        seen = set()
        async for event in stream:
            if isinstance(event, TextDeltaEvent):
                seen.add(event.index)
            if len(seen) == 3:
                break
        assert server.in_flight == 3
    await _server_idle(server)
    assert server.in_flight == 0
    assert server.max_in_flight == 3
    assert await _tasks_settle(before) <= before


async def test_cancelling_the_consumer_closes_the_connection(server: OpenAIStub) -> None:
    server.script(Reply(chunks=["tick "] * 3000, chunk_delay=0.002))
    before = await _tasks_settle(10**6)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in _gen(server).chat("q").stream():
            first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    assert server.in_flight == 1
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await _server_idle(server)
    assert server.in_flight == 0
    assert await _tasks_settle(before) <= before


async def test_opening_is_retried_and_errors_keep_the_key_out(server: OpenAIStub) -> None:
    server.script(ErrorReply(429, retry_after=0), Reply(chunks=["<answer>1</answer>"]))
    chunks = [c async for c in _gen(server).stream_messages([Message(role="user", content="q")])]
    assert chunks[0] == TextDelta("<answer>1</answer>")
    assert len(server.requests) == 2
    server.reset()
    server.script(*[ErrorReply(503)] * 3)
    with pytest.raises(
        GenerationError, match=r"failed after 3 attempt\(s\); last error: HTTP 503"
    ) as info:
        [c async for c in _gen(server).stream_messages([Message(role="user", content="q")])]
    assert SECRET not in str(info.value)


async def test_a_stream_that_breaks_midway_is_not_retried(server: OpenAIStub) -> None:
    server.script(Reply(chunks=["a", "b", "c", "d"], drop_after=2))
    received: list[Any] = []

    async def read() -> None:
        async for chunk in _gen(server).stream_messages([Message(role="user", content="q")]):
            received.append(chunk)

    with pytest.raises(
        GenerationError, match=r"stream from model 'openai/stub-model' broke after 3 chunk"
    ) as info:
        await read()
    assert received == [TextDelta("a"), TextDelta("b")]
    assert len(server.requests) == 1
    assert SECRET not in str(info.value)


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


async def test_api_tools_stream_their_calls_and_match_run(server: OpenAIStub) -> None:
    from rigging.stream import ToolCallFinishedEvent, ToolCallStartedEvent

    script: list[Action | str] = [
        Reply(tool_calls=[ToolCall("add", {"a": 1, "b": 2})]),
        "<answer>3</answer>",
    ]
    server.script(*script)
    gen = _gen(server)
    events = [e async for e in gen.chat("1+2?").using(add, mode="api").stream()]
    started = [e for e in events if isinstance(e, ToolCallStartedEvent)]
    finished = [e for e in events if isinstance(e, ToolCallFinishedEvent)]
    assert [(e.round, e.call.function.name) for e in started] == [(1, "add")]
    assert finished[0].result is not None
    assert "3" in finished[0].result.content
    assert [e.round for e in events if isinstance(e, RoundFinishedEvent)] == [1, 2]
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    assert server.requests[0].json["tools"][0]["function"]["name"] == "add"
    server.reset()
    server.script(*script)
    _same(final.chat, await gen.chat("1+2?").using(add, mode="api").run())


async def test_streamed_calls_sharing_an_id_are_reported_and_answered_apart(
    server: OpenAIStub,
) -> None:
    from rigging.stream import ToolCallFinishedEvent, ToolCallStartedEvent

    server.script(
        Reply(
            tool_calls=[
                ToolCall("add", {"a": 1, "b": 2}, id="x"),
                ToolCall("add", {"a": 3, "b": 4}, id="x"),
            ]
        ),
        "<answer>done</answer>",
    )
    events = [e async for e in _gen(server).chat("sums?").using(add, mode="api").stream()]
    started = [e.call.id for e in events if isinstance(e, ToolCallStartedEvent)]
    finished = [
        (e.call.id, e.result.content if e.result else None)
        for e in events
        if isinstance(e, ToolCallFinishedEvent)
    ]
    assert started == ["x", "x_1"]
    assert finished == [("x", "3"), ("x_1", "7")]
    sent = server.requests[1].json["messages"]
    assert [m.get("tool_call_id") for m in sent[2:]] == ["x", "x_1"]


# --- completions (/v1/completions) ------------------------------------------------------------


async def test_stream_texts_yields_deltas_usage_and_stop(server: OpenAIStub) -> None:
    server.script(Reply(chunks=["Hi <ans", "wer>4", "2</answer>"]))
    chunks = [c async for c in _gen(server).stream_texts("Say:")]
    assert chunks[:3] == [TextDelta("Hi <ans"), TextDelta("wer>4"), TextDelta("2</answer>")]
    finish = chunks[-1]
    assert isinstance(finish, StreamFinish)
    assert finish.stop_reason == "stop"
    assert finish.usage is not None
    assert finish.usage.total_tokens == finish.usage.input_tokens + finish.usage.output_tokens
    assert finish.extra["response_id"]
    request = server.requests[0]
    assert request.path == "/v1/completions"
    assert request.json["prompt"] == "Say:"
    assert request.json["stream"] is True
    assert SECRET not in repr(chunks)


async def test_a_text_stream_closes_its_connection_when_it_ends(server: OpenAIStub) -> None:
    # litellm's OpenAI text path builds an SDK client per call and leaves it open: its
    # connection lingered until the client was collected.
    idle_before = server.open_connections
    gen = _gen(server)
    for _ in range(5):
        server.script(Reply(chunks=["a", "b"]))
        chunks = [c async for c in gen.stream_texts("Say:")]
        assert chunks[:2] == [TextDelta("a"), TextDelta("b")]
    for _ in range(300):
        if server.open_connections <= idle_before:
            break
        await asyncio.sleep(0.01)
    assert server.connections_opened == 5
    assert server.open_connections <= idle_before


async def test_completion_stream_equals_run_at_every_chunk_boundary(server: OpenAIStub) -> None:
    gen = _gen(server)
    server.script(TEXT)
    expected = await gen.complete("p: ").until_parsed_as(Question, Answer).run()
    for cut in range(1, len(TEXT), 7):
        server.reset()
        server.script(Reply(chunks=[TEXT[:cut], TEXT[cut:]]))
        pipeline = gen.complete("p: ").until_parsed_as(Question, Answer)
        events = [e async for e in pipeline.stream(stop_when_parsed=False)]
        parsed = [type(e.model) for e in events if isinstance(e, ModelParsedEvent)]
        assert parsed == [Question, Answer], cut
        final = events[-1]
        assert isinstance(final, CompletionFinishedEvent)
        dump = {"uuid", "timestamp", "extra"}
        assert final.completion.model_dump(exclude=dump) == expected.model_dump(exclude=dump)
        assert final.completion.usage == expected.usage


async def test_completion_early_stop_closes_the_http_stream(server: OpenAIStub) -> None:
    server.script(Reply(chunks=["<answer>", "yes</answer>", *[" more"] * 2000], chunk_delay=0.002))
    before = await _tasks_settle(10**6)
    stream = _gen(server).complete("q").until_parsed_as(Answer).stream()
    [e async for e in stream]
    assert stream.completions is not None
    completion = stream.completions[0]
    assert completion.extra["stopped_early"] is True
    assert completion.generated == "<answer>yes</answer>"
    await _server_idle(server)
    assert server.in_flight == 0  # the server saw the client go (2000 chunks take 4 s)
    assert await _tasks_settle(before) <= before
