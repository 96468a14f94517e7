"""Streamed chats report native (XML) tool calls as tool events, as they do API tool calls."""

import asyncio

from rigging.chat import Chat, ChatPipeline
from rigging.generator.testing import ChunkedGenerator, EchoGenerator
from rigging.stream import (
    ChatEvent,
    ChatFinishedEvent,
    ChatStream,
    RoundFinishedEvent,
    ToolCallFinishedEvent,
    ToolCallStartedEvent,
)

HANG_GUARD = 60.0
"""Seconds before a test that would otherwise hang fails instead (never reached when green)."""


def add_numbers(x: int, y: int) -> int:
    """Add two numbers."""
    return x + y


def shout(text: str) -> str:
    """Upper-case a text."""
    return text.upper()


async def collect(stream: ChatStream) -> list[ChatEvent]:
    return [event async for event in stream]


def tool_events(events: list[ChatEvent]) -> list[ChatEvent]:
    return [e for e in events if isinstance(e, ToolCallStartedEvent | ToolCallFinishedEvent)]


def final_chat(events: list[ChatEvent]) -> Chat:
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    return final.chat


def same_messages(a: Chat, b: Chat) -> None:
    def dump(chat: Chat) -> list[tuple[str, str]]:
        return [(m.role, m.content) for m in chat.all]

    assert dump(a) == dump(b)
    assert (a.failed, a.stop_reason) == (b.failed, b.stop_reason)


async def test_a_native_call_is_reported_started_then_finished() -> None:
    call = '<tool-call name="add_numbers">{"x":1,"y":2}</tool-call>'
    gen = ChunkedGenerator(replies=[[call], ["ok"]])
    pipeline = gen.chat("q").using(add_numbers, mode="native")
    events = await collect(pipeline.stream())
    reported = tool_events(events)
    assert [type(e) for e in reported] == [ToolCallStartedEvent, ToolCallFinishedEvent]
    started, finished = reported
    assert isinstance(started, ToolCallStartedEvent)
    assert isinstance(finished, ToolCallFinishedEvent)
    assert (started.index, started.round) == (finished.index, finished.round) == (0, 1)
    assert started.call == finished.call
    assert started.call.id == "native-0"
    assert started.call.function.name == "add_numbers"
    assert started.call.function.arguments == '{"x":1,"y":2}'
    chat = final_chat(events)
    assert finished.result is not None
    assert finished.result is chat.all[-2]  # the user message holding the results
    assert finished.result.content == '<tool-result name="add_numbers">3</tool-result>'
    # the events sit between the round that asked and the round that answers
    rounds = [i for i, e in enumerate(events) if isinstance(e, RoundFinishedEvent)]
    positions = [events.index(e) for e in reported]
    assert rounds[0] < positions[0] < positions[1] < rounds[1]
    same_messages(chat, await gen.chat("q").using(add_numbers, mode="native").run())


async def test_started_comes_before_the_tool_runs() -> None:
    may_run = asyncio.Event()
    ran: list[str] = []

    async def gated(text: str) -> str:
        """Wait for the test, then echo."""
        await may_run.wait()
        ran.append(text)
        return text

    call = '<tool-call name="gated">{"text":"hi"}</tool-call>'
    gen = ChunkedGenerator(replies=[[call], ["done"]])
    stream = gen.chat("q").using(gated, mode="native").stream()

    async def consume() -> list[ChatEvent]:
        seen: list[ChatEvent] = []
        async for event in stream:
            if isinstance(event, ToolCallStartedEvent):
                assert ran == []  # the call is reported before it runs
                may_run.set()
            seen.append(event)
        return seen

    events = await asyncio.wait_for(consume(), HANG_GUARD)
    assert ran == ["hi"]
    assert [type(e) for e in tool_events(events)] == [ToolCallStartedEvent, ToolCallFinishedEvent]


async def test_several_calls_keep_their_order_and_share_the_results_message() -> None:
    reply = (
        'First <tool-call name="add_numbers">{"x": 1, "y": 2}</tool-call> then '
        '<tool-call name="shout">{"text": "a &amp; b"}</tool-call> and '
        '<tool-call name="add_numbers">{"x": 3, "y": 4}</tool-call>'
    )
    replies = [[reply[:40], reply[40:]], ["all done"]]
    gen = ChunkedGenerator(replies=replies)
    events = await collect(gen.chat("q").using(add_numbers, shout, mode="native").stream())
    reported = tool_events(events)
    started = [e for e in reported if isinstance(e, ToolCallStartedEvent)]
    finished = [e for e in reported if isinstance(e, ToolCallFinishedEvent)]
    assert reported == [*started, *finished]  # every call starts before any is answered
    calls = [(e.call.id, e.call.function.name, e.call.function.arguments) for e in started]
    assert calls == [
        ("native-0", "add_numbers", '{"x": 1, "y": 2}'),
        ("native-1", "shout", '{"text": "a & b"}'),  # entities decoded, as the tool reads it
        ("native-2", "add_numbers", '{"x": 3, "y": 4}'),
    ]
    assert [e.call for e in finished] == [e.call for e in started]
    chat = final_chat(events)
    results = chat.all[-2]
    assert all(e.result is results for e in finished)
    assert results.content.splitlines() == [
        '<tool-result name="add_numbers">3</tool-result>',
        '<tool-result name="shout">A &amp; B</tool-result>',
        '<tool-result name="add_numbers">7</tool-result>',
    ]
    expected = (
        await ChunkedGenerator(replies=replies)
        .chat("q")
        .using(add_numbers, shout, mode="native")
        .run()
    )
    same_messages(chat, expected)


async def test_each_tool_round_is_reported_in_its_own_round() -> None:
    first = '<tool-call name="add_numbers">{"x":1,"y":2}</tool-call>'
    second = '<tool-call name="shout">{"text":"go"}</tool-call>'
    gen = ChunkedGenerator(replies=[[first], [second], ["fin"]])
    events = await collect(gen.chat("q").using(add_numbers, shout, mode="native").stream())
    reported = [(type(e).__name__, e.round, e.call.function.name) for e in tool_events(events)]  # type: ignore[union-attr]
    assert reported == [
        ("ToolCallStartedEvent", 1, "add_numbers"),
        ("ToolCallFinishedEvent", 1, "add_numbers"),
        ("ToolCallStartedEvent", 2, "shout"),
        ("ToolCallFinishedEvent", 2, "shout"),
    ]
    assert final_chat(events).last.content == "fin"


async def test_a_malformed_call_is_reported_with_its_feedback() -> None:
    call = '<tool-call name="nope">{}</tool-call>'
    gen = ChunkedGenerator(replies=[[call], ["sorry"]])
    events = await collect(gen.chat("q").using(add_numbers, mode="native").stream())
    reported = tool_events(events)
    assert [type(e) for e in reported] == [ToolCallStartedEvent, ToolCallFinishedEvent]
    finished = reported[1]
    assert isinstance(finished, ToolCallFinishedEvent)
    assert finished.call.function.name == "nope"
    assert finished.result is not None
    assert finished.result.content.startswith('<tool-result name="nope">')
    expected = (
        await ChunkedGenerator(replies=[[call], ["sorry"]])
        .chat("q")
        .using(add_numbers, mode="native")
        .run()
    )
    same_messages(final_chat(events), expected)


async def test_a_malformed_turn_regenerated_without_running_has_no_result() -> None:
    call = '<tool-call name="add_numbers">not json</tool-call>'
    gen = ChunkedGenerator(replies=[[call], ["plain"]])
    pipeline = gen.chat("q").using(add_numbers, mode="native", attempt_recovery=False)
    events = await collect(pipeline.stream())
    reported = tool_events(events)
    assert [type(e) for e in reported] == [ToolCallStartedEvent, ToolCallFinishedEvent]
    finished = reported[1]
    assert isinstance(finished, ToolCallFinishedEvent)
    assert finished.result is None
    assert final_chat(events).last.content == "plain"


async def test_call_markup_without_native_tools_is_not_reported() -> None:
    call = '<tool-call name="add_numbers">{"x":1,"y":2}</tool-call>'
    gen = ChunkedGenerator(replies=[[call]])
    events = await collect(gen.chat("q").stream())
    assert tool_events(events) == []
    assert final_chat(events).last.content == call


async def test_stream_batch_reports_native_calls_per_item() -> None:
    calls = [
        '<tool-call name="add_numbers">{"x":1,"y":1}</tool-call>',
        '<tool-call name="add_numbers">{"x":2,"y":2}</tool-call>',
    ]

    def pipeline() -> ChatPipeline:
        # the echo repeats each item's call, then the results (which call nothing)
        return EchoGenerator().chat().using(add_numbers, mode="native")

    stream = pipeline().stream_batch(calls)
    events = await collect(stream)
    finished = [e for e in events if isinstance(e, ToolCallFinishedEvent)]
    assert sorted((e.index, e.round, e.call.function.arguments) for e in finished) == [
        (0, 1, '{"x":1,"y":1}'),
        (1, 1, '{"x":2,"y":2}'),
    ]
    for e in finished:
        assert e.result is not None
        assert e.result.content.endswith(f">{2 * (e.index + 1)}</tool-result>")
    assert stream.chats is not None
    expected = await pipeline().run_batch(calls)
    for got, want in zip(stream.chats, expected, strict=True):
        same_messages(got, want)
