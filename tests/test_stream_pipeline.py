# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any

import pytest
from pydantic import PrivateAttr

from rigging.chat import Chat
from rigging.error import GenerationError
from rigging.generator import GeneratedMessage, GenerateParams, Generator
from rigging.generator.testing import ChunkedGenerator, FixedGenerator, ScriptedGenerator
from rigging.message import Message
from rigging.model import Answer, Question
from rigging.stream import (
    ChatEvent,
    ChatFinishedEvent,
    ChatStream,
    ModelParsedEvent,
    RoundFinishedEvent,
    StreamChunk,
    StreamFinish,
    TextDelta,
    TextDeltaEvent,
    ToolCallDelta,
    ToolCallFinishedEvent,
    ToolCallStartedEvent,
)


async def collect(stream: ChatStream) -> list[ChatEvent]:
    return [event async for event in stream]


def same_chat(a: Chat, b: Chat, *, same_generator: bool = True, usage: bool = True) -> None:
    """Equal apart from identity (uuid, timestamp) and per-request extras (and usage, which a
    stream closed early never receives)."""
    skip = {"uuid", "timestamp", "extra"} | (set() if same_generator else {"generator_id"})
    skip |= set() if usage else {"usage"}
    dump: Callable[[Chat], dict[str, Any]] = lambda chat: chat.model_dump(exclude=skip)  # noqa: E731
    strip: Callable[[dict[str, Any]], dict[str, Any]] = lambda d: {  # noqa: E731
        **d,
        "messages": [{**m, "uuid": None} for m in d["messages"]],
    }
    left, right = strip(dump(a)), strip(dump(b))
    left["generated"] = [{**m, "uuid": None} for m in left["generated"]]
    right["generated"] = [{**m, "uuid": None} for m in right["generated"]]
    assert left == right


async def test_default_stream_of_a_plain_generator_and_final_chat_equals_run() -> None:
    gen = FixedGenerator(model="x", text="Sure. <answer>4</answer>")
    pipeline = gen.chat("2+2?").until_parsed_as(Answer)
    events = await collect(pipeline.stream())
    kinds = [type(e).__name__ for e in events]
    assert kinds == [
        "TextDeltaEvent",
        "ModelParsedEvent",
        "RoundFinishedEvent",
        "ChatFinishedEvent",
    ]
    parsed = events[1]
    assert isinstance(parsed, ModelParsedEvent)
    assert (parsed.index, parsed.round, parsed.model, parsed.slice) == (
        0,
        1,
        Answer(content="4"),
        slice(6, 24),
    )
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    same_chat(final.chat, await pipeline.run())
    assert final.chat.last.parse(Answer).content == "4"


async def test_models_arrive_at_the_delta_that_closed_them() -> None:
    pieces = ["Q: <quest", "ion>why?</question", "> A: <answer x='>'>", "42</answer", ">!"]
    gen = ChunkedGenerator(replies=[pieces])
    pipeline = gen.chat("hi")
    events = await collect(pipeline.stream(models=[Question, Answer]))
    order = [
        (type(e).__name__, getattr(e, "text", None) or getattr(e, "model", None)) for e in events
    ]
    assert order[:7] == [
        ("TextDeltaEvent", pieces[0]),
        ("TextDeltaEvent", pieces[1]),
        ("TextDeltaEvent", pieces[2]),
        ("ModelParsedEvent", Question(content="why?")),
        ("TextDeltaEvent", pieces[3]),
        ("TextDeltaEvent", pieces[4]),
        ("ModelParsedEvent", Answer(content="42")),
    ]
    round_end = events[7]
    assert isinstance(round_end, RoundFinishedEvent)
    assert not round_end.stopped_early
    assert round_end.generated.message.content == "".join(pieces)
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    same_chat(final.chat, await pipeline.run())


async def test_early_stop_closes_the_stream_and_records_it() -> None:
    pieces = ["<answer>", "yes</answer>", *[" padding"] * 1000]
    gen = ChunkedGenerator(replies=[pieces])
    stream = gen.chat("q").until_parsed_as(Answer).stream()
    events = await collect(stream)
    assert gen.pieces_sent == [2]
    assert gen.closed == [True]
    assert gen.open_streams == 0
    round_end = next(e for e in events if isinstance(e, RoundFinishedEvent))
    assert round_end.stopped_early
    assert stream.chats is not None
    chat = stream.chats[0]
    assert chat.extra == {"stopped_early": True}
    assert chat.stop_reason == "stop"
    assert chat.last.content == "<answer>yes</answer>"
    # Same output, not streamed: the same chat apart from the early-stop record.
    plain = await ChunkedGenerator(replies=[pieces[:2]]).chat("q").until_parsed_as(Answer).run()
    same_chat(chat, plain, same_generator=False, usage=False)


async def test_early_stop_waits_for_every_type_and_can_be_turned_off() -> None:
    pieces = ["<answer>1</answer>", " <question>2</question>", " tail"]
    gen = ChunkedGenerator(replies=[pieces])
    pipeline = gen.chat("q").until_parsed_as(Answer, Question)
    chat = (await collect(pipeline.stream()))[-1]
    assert isinstance(chat, ChatFinishedEvent)
    assert gen.pieces_sent == [2]
    assert chat.chat.last.content == "<answer>1</answer> <question>2</question>"
    chat = (await collect(pipeline.stream(stop_when_parsed=False)))[-1]
    assert isinstance(chat, ChatFinishedEvent)
    assert gen.pieces_sent == [2, 3]
    assert chat.chat.extra == {}


async def test_stop_when_parsed_with_models_only() -> None:
    gen = ChunkedGenerator(replies=[["<answer>1</answer>", " more"]])
    stream = gen.chat("q").stream(models=[Answer], stop_when_parsed=True)
    await collect(stream)
    assert gen.pieces_sent == [1]
    assert stream.chats is not None
    assert stream.chats[0].extra == {"stopped_early": True}


async def test_stop_when_parsed_needs_types() -> None:
    pipeline = FixedGenerator(model="x", text="hi").chat("q")
    with pytest.raises(ValueError, match=r"stop_when_parsed=True needs model types"):
        pipeline.stream(stop_when_parsed=True)
    with pytest.raises(ValueError, match="on_failed='skip' needs several results"):
        pipeline.stream(on_failed="skip")
    with pytest.raises(ValueError, match="max_concurrency must be 1 or more, got 0"):
        pipeline.stream_many(2, max_concurrency=0)


async def test_until_rounds_are_numbered_and_the_chat_matches_run() -> None:
    def make() -> ScriptedGenerator:
        return ScriptedGenerator(responses=["no tags", "<answer>ok</answer>"])

    events = await collect(make().chat("q").until_parsed_as(Answer, max_rounds=2).stream())
    rounds = [(e.round, e.stopped_early) for e in events if isinstance(e, RoundFinishedEvent)]
    assert rounds == [(1, False), (2, False)]  # one-chunk default stream: nothing to stop
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    same_chat(final.chat, await make().chat("q").until_parsed_as(Answer, max_rounds=2).run())


async def test_stream_many_interleaves_items_and_equals_run_many() -> None:
    pieces = ["<answer>", "a", "</answer>"]
    gen = ChunkedGenerator(replies=[pieces], delay=0.001)
    pipeline = gen.chat("q").until_parsed_as(Answer)
    stream = pipeline.stream_many(4)
    events = await collect(stream)
    deltas = [e.index for e in events if isinstance(e, TextDeltaEvent)]
    assert sorted(deltas) == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert deltas != sorted(deltas)  # interleaved
    parsed = sorted(e.index for e in events if isinstance(e, ModelParsedEvent))
    assert parsed == [0, 1, 2, 3]
    finished = [e for e in events if isinstance(e, ChatFinishedEvent)]
    assert [e.index for e in finished] == [0, 1, 2, 3]
    assert events[-4:] == finished
    again = ChunkedGenerator(replies=[pieces], delay=0.001)
    expected = await again.chat("q").until_parsed_as(Answer).run_many(4)
    for event, chat in zip(finished, expected, strict=True):
        same_chat(event.chat, chat, usage=False)  # stopped at the closing piece


async def test_stream_many_with_params_and_concurrency_limit() -> None:
    gen = ChunkedGenerator(replies=[["x"]])
    params = [GenerateParams(temperature=0.1), None]
    stream = gen.chat("q").stream_many(2, params=params, max_concurrency=1)
    events = await collect(stream)
    assert [e.index for e in events if isinstance(e, RoundFinishedEvent)] == [0, 1]
    assert stream.chats is not None
    assert stream.chats[0].params == GenerateParams(temperature=0.1)


class Handler:
    max_rounds = 2

    async def __call__(self, message: Message) -> list[Message] | None:
        if not message.tool_calls:
            return None
        return [
            Message(role="tool", content=f"ran {c.function.name}", tool_call_id=c.id)
            for c in message.tool_calls
        ]


class ToolGenerator(ChunkedGenerator):
    async def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        first = not self.calls
        async for chunk in super().stream_messages(messages, params):
            if first and isinstance(chunk, StreamFinish):
                yield ToolCallDelta(0, id="c1", name="look", arguments='{"q"')
                yield ToolCallDelta(0, arguments=": 1}")
                yield StreamFinish("tool_calls")
                continue
            yield chunk


async def test_tool_calls_are_reported_and_the_dialog_kept() -> None:
    gen = ToolGenerator(replies=[["calling"], ["<answer>done</answer>"]])
    pipeline = gen.chat("q").add_tool_handler(Handler()).until_parsed_as(Answer)
    events = await collect(pipeline.stream())
    started = [e for e in events if isinstance(e, ToolCallStartedEvent)]
    finished = [e for e in events if isinstance(e, ToolCallFinishedEvent)]
    assert [(e.round, e.call.id, e.call.function.arguments) for e in started] == [
        (1, "c1", '{"q": 1}')
    ]
    assert len(finished) == 1
    assert finished[0].result is not None
    assert finished[0].result.content == "ran look"
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    assert [m.role for m in final.chat.all] == ["user", "assistant", "tool", "assistant"]
    assert final.chat.last.content == "<answer>done</answer>"


async def test_generator_errors_raise_from_the_iteration_or_fail_the_chat() -> None:
    gen = ScriptedGenerator(responses=[GenerationError("boom", model="s")])
    with pytest.raises(GenerationError, match="boom"):
        await collect(gen.chat("q").stream())
    gen = ScriptedGenerator(responses=[GenerationError("boom", model="s")])
    stream = gen.chat("q").catch(GenerationError).stream(allow_failed=True)
    events = await collect(stream)
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    assert final.chat.failed
    assert str(final.chat.error) == "boom"


def _our_tasks() -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not current and not t.done()]


async def test_aclose_after_break_cancels_the_run_and_closes_streams() -> None:
    gen = ChunkedGenerator(replies=[["tick "] * 10_000], delay=0.001)
    before = len(_our_tasks())
    async with gen.chat("q").stream_many(3) as stream:
        seen = 0
        async for event in stream:
            seen += isinstance(event, TextDeltaEvent)
            if seen == 10:
                break
        assert len(_our_tasks()) > before
    assert gen.open_streams == 0
    assert gen.closed == [True, True, True]
    assert max(gen.pieces_sent) < 100
    assert len(_our_tasks()) == before
    assert stream.chats is None
    assert [e async for e in stream] == []


async def test_cancelling_the_consumer_task_cancels_the_run() -> None:
    gen = ChunkedGenerator(replies=[["tick "] * 10_000], delay=0.001)
    before = len(_our_tasks())
    started = asyncio.Event()

    async def consume() -> None:
        async for _ in gen.chat("q").stream():
            started.set()

    task = asyncio.create_task(consume())
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert gen.open_streams == 0
    assert gen.closed == [True]
    assert len(_our_tasks()) == before


async def test_abandoned_stream_is_cancelled_when_collected() -> None:
    gen = ChunkedGenerator(replies=[["tick "] * 10_000], delay=0.001)
    before = len(_our_tasks())
    stream = gen.chat("q").stream()
    await stream.__anext__()
    del stream
    for _ in range(400):  # at most 2 s on a loaded machine; a few ms as a rule
        await asyncio.sleep(0.005)
        if gen.open_streams == 0:
            break
    assert gen.closed == [True]
    assert len(_our_tasks()) == before


async def test_nothing_is_sent_before_iteration() -> None:
    gen = ChunkedGenerator(replies=[["x"]])
    stream = gen.chat("q").stream()
    await stream.aclose()
    assert gen.pieces_sent == []


async def test_prompt_stream_ends_with_the_typed_value() -> None:
    import rigging as rg
    from rigging.stream import PromptFinishedEvent

    gen = ChunkedGenerator(replies=[["<int>4", "2</int>", " and more"] + [" x"] * 50])

    @rg.prompt(generator=gen)
    def answer(question: str) -> int:
        """Answer."""

    stream = answer.stream("6*7?")
    events = [e async for e in stream]
    last = events[-1]
    assert isinstance(last, PromptFinishedEvent)
    assert last.value == 42
    assert stream.value == 42
    assert gen.pieces_sent == [2]  # a single value: the stream closed once it was parsed
    parsed = [e for e in events if isinstance(e, ModelParsedEvent)]
    assert [getattr(e.model, "content", None) for e in parsed] == [42]
    assert isinstance(events[-2], ChatFinishedEvent)
    assert await answer.bind(ChunkedGenerator(replies=[["<int>42</int>"]]))("6*7?") == 42


async def test_prompt_stream_of_a_list_reads_to_the_end() -> None:
    import rigging as rg
    from rigging.stream import PromptFinishedEvent

    gen = ChunkedGenerator(replies=[["<str>a</str>", "<str>b</str>", " end"]])

    @rg.prompt(generator=gen)
    def names() -> list[str]:
        """Names."""

    async with names.stream() as stream:
        events = [e async for e in stream]
    last = events[-1]
    assert isinstance(last, PromptFinishedEvent)
    assert last.value == ["a", "b"]
    assert gen.pieces_sent == [3]


async def test_prompt_stream_without_generator() -> None:
    import rigging as rg

    @rg.prompt
    def nothing() -> str:
        """Nothing."""

    with pytest.raises(RuntimeError, match=r"prompt nothing\(\) has no generator"):
        nothing.stream()


async def test_stream_batch_tags_items_and_equals_run_batch() -> None:
    def make() -> ChunkedGenerator:
        return ChunkedGenerator(replies=[["<answer>", "x</answer>"]])

    stream = make().chat("base").stream_batch(["a", "b", "c"], models=[Answer])
    events = await collect(stream)
    parsed = sorted(e.index for e in events if isinstance(e, ModelParsedEvent))
    assert parsed == [0, 1, 2]
    assert stream.chats is not None
    expected = await make().chat("base").run_batch(["a", "b", "c"])
    for got, want in zip(stream.chats, expected, strict=True):
        same_chat(got, want)
    with pytest.raises(ValueError, match="Can't fit many of length 2 to 3"):
        make().chat("q").stream_batch(["a", "b"], [None, None, None])
    broadcast = make().chat("q").stream_batch("a", [None, None])
    assert len([e async for e in broadcast if isinstance(e, ChatFinishedEvent)]) == 2


async def test_slices_index_the_streamed_text_even_when_the_message_is_dedented() -> None:
    pieces = ["  <answer>x</answer>", "\n  y"]
    events = await collect(ChunkedGenerator(replies=[pieces]).chat("q").stream(models=[Answer]))
    streamed = "".join(e.text for e in events if isinstance(e, TextDeltaEvent))
    parsed = next(e for e in events if isinstance(e, ModelParsedEvent))
    assert streamed[parsed.slice] == "<answer>x</answer>"
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    assert final.chat.last.content == "<answer>x</answer>\ny"  # Message dedents its content


async def test_a_surrogate_pair_split_across_chunks_is_one_character_again() -> None:
    """A provider cutting an emoji's UTF-16 halves apart: the content held two lone
    surrogates (written as two U+FFFD on dump) and the parsed model differed."""
    pieces = ["h\u00e9llo \ud83d", "\ude00 <answer>\ud83d", "\ude00</answer> \ud83d"]
    gen = ChunkedGenerator(replies=[pieces])
    events = await collect(gen.chat("hi").stream(models=[Answer]))
    texts = [e.text for e in events if isinstance(e, TextDeltaEvent)]
    assert "".join(texts) == "h\u00e9llo \U0001f600 <answer>\U0001f600</answer> \ud83d"
    [parsed] = [e.model for e in events if isinstance(e, ModelParsedEvent)]
    assert parsed == Answer(content="\U0001f600")
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    assert final.chat.last.content == "h\u00e9llo \U0001f600 <answer>\U0001f600</answer> \ud83d"
    assert final.chat.last.parse(Answer).content == "\U0001f600"


class _ExitsAfterHandled(Generator):
    """Streams one piece, then raises ``SystemExit(3)`` once the consumer handled it."""

    model: str = "exits"
    _handled: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)

    async def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        yield TextDelta("first ")
        await self._handled.wait()
        raise SystemExit(3)


async def test_an_interrupt_of_the_run_is_raised_when_the_consumer_stops_early() -> None:
    """The run's task carries a `SystemExit` out as a value that only the end of the
    iteration raised: a consumer that broke off first closed the stream, and the process
    went on as if nothing had happened."""
    gen = _ExitsAfterHandled()
    stream = gen.chat("q").stream()

    async def consume() -> None:
        async with stream:
            async for event in stream:
                assert isinstance(event, TextDeltaEvent)
                gen._handled.set()
                await asyncio.wait(_our_tasks())  # the run has raised and its task ended
                break

    with pytest.raises(SystemExit) as caught:
        await consume()
    assert caught.value.code == 3
    assert _our_tasks() == []
    await stream.aclose()  # raised once: closing again is quiet


# What a non-streaming generator's `generate_messages` may wrongly answer for item "b".
_BAD_ANSWERS: dict[str, Callable[[], Any]] = {
    "none": lambda: [None],
    "wrong type": lambda: ["ok"],
    "not a list": lambda: None,
    "two results": lambda: [GeneratedMessage.from_text("x"), GeneratedMessage.from_text("y")],
    "no result": list,
}


class _BadForB(Generator):
    """Answers "ok", except with `bad` for the conversation ending in "b"."""

    bad: str

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        if messages[-1][-1].content == "b":
            return _BAD_ANSWERS[self.bad]()  # type: ignore[no-any-return]
        return [GeneratedMessage.from_text("ok") for _ in messages]


@pytest.mark.parametrize("bad", sorted(_BAD_ANSWERS))
async def test_a_bad_answer_to_the_default_stream_fails_its_item_alone(bad: str) -> None:
    pipeline = _BadForB(model="g", bad=bad).chat().catch(GenerationError, on_failed="include")
    stream = pipeline.stream_batch(["a", "b", "c"])
    await collect(stream)
    chats = stream.chats
    assert chats is not None
    assert [c.failed for c in chats] == [False, True, False]
    assert [c.last.content for c in chats if not c.failed] == ["ok", "ok"]
    assert isinstance(chats[1].error, GenerationError)
    assert "generate_messages returned" in str(chats[1].error)
    with pytest.raises(GenerationError, match="generate_messages returned"):
        await collect(_BadForB(model="g", bad=bad).chat("b").stream())


class _YieldsJunk(Generator):
    async def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[Any]:
        yield TextDelta("half")
        if messages[-1].content == "b":
            yield "not a chunk"
        yield StreamFinish("stop")


async def test_a_custom_stream_yielding_a_non_chunk_fails_its_item_alone() -> None:
    pipeline = _YieldsJunk(model="g").chat().catch(GenerationError, on_failed="include")
    stream = pipeline.stream_batch(["a", "b"])
    await collect(stream)
    assert stream.chats is not None
    assert [c.failed for c in stream.chats] == [False, True]
    assert "_YieldsJunk.stream_messages yielded str, not a TextDelta" in str(stream.chats[1].error)


class _NotAStream(Generator):
    async def stream_messages(  # type: ignore[override]
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> list[StreamChunk]:
        return [StreamFinish("stop")]


async def test_a_stream_method_returning_no_async_iterable_is_a_generation_error() -> None:
    with pytest.raises(GenerationError, match="returned coroutine, not an async iterable"):
        await collect(_NotAStream(model="g").chat("q").stream())


class _BrokenEnd(Generator):
    """Streams "ok" properly, except for the conversation ending in "b": `ending` there."""

    ending: str

    async def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        yield TextDelta("half an ans" if messages[-1].content == "b" else "ok")
        if messages[-1].content != "b":
            yield StreamFinish("stop")
        elif self.ending == "second finish":
            yield StreamFinish("stop")
            yield StreamFinish("length")
        elif self.ending == "text after finish":
            yield StreamFinish("stop")
            yield TextDelta("wer")


@pytest.mark.parametrize(
    ("ending", "message"),
    [
        ("no finish", "ended without a StreamFinish"),
        ("second finish", "yielded a StreamFinish after its StreamFinish"),
        ("text after finish", "yielded a TextDelta after its StreamFinish"),
    ],
)
async def test_a_stream_without_exactly_one_final_finish_fails_its_item(
    ending: str, message: str
) -> None:
    pipeline = _BrokenEnd(model="g", ending=ending).chat().catch(GenerationError)
    stream = pipeline.stream_batch(["a", "b", "c"], on_failed="include")
    await collect(stream)
    assert stream.chats is not None
    assert [c.failed for c in stream.chats] == [False, True, False]
    assert message in str(stream.chats[1].error)
    with pytest.raises(GenerationError, match=message):
        await collect(_BrokenEnd(model="g", ending=ending).chat("b").stream())
