# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""Streams read by several tasks, closed from another task, and fed malformed chunks."""

import asyncio
import gc
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from pydantic import PrivateAttr

import rigging as rg
from rigging.error import GenerationError
from rigging.generator import GenerateParams, Generator, Usage
from rigging.generator.testing import ChunkedGenerator
from rigging.message import Message
from rigging.stream import (
    ChatFinishedEvent,
    MessageAssembler,
    PromptFinishedEvent,
    StreamFinish,
    TextDelta,
    TextDeltaEvent,
    ToolCallDelta,
)

_BAD_CHUNKS: dict[str, tuple[Any, str]] = {
    "bytes text": (TextDelta(b"half"), "TextDelta whose text is bytes, not a str"),  # type: ignore[arg-type]
    "None text": (TextDelta(None), "TextDelta whose text is NoneType"),  # type: ignore[arg-type]
    "str index": (ToolCallDelta("0", id="c"), "ToolCallDelta whose index is str"),  # type: ignore[arg-type]
    "bool index": (ToolCallDelta(True, id="c"), "ToolCallDelta whose index is bool"),
    "int id": (ToolCallDelta(0, id=5), "ToolCallDelta whose id is int"),  # type: ignore[arg-type]
    "int name": (ToolCallDelta(0, name=7), "ToolCallDelta whose name is int"),  # type: ignore[arg-type]
    "bytes arguments": (ToolCallDelta(0, arguments=b"{}"), "whose arguments is bytes"),  # type: ignore[arg-type]
    "int stop reason": (StreamFinish(5), "StreamFinish whose stop_reason is int"),  # type: ignore[arg-type]
    "str usage": (StreamFinish("stop", "lots"), "StreamFinish whose usage is str"),  # type: ignore[arg-type]
    "None extra": (StreamFinish("stop", None, None), "StreamFinish whose extra is NoneType"),  # type: ignore[arg-type]
    "usage dict of the wrong fields": (
        StreamFinish("stop", {"input_tokens": "lots"}),  # type: ignore[arg-type]
        "yielded chunks that build no result",
    ),
}


class _BadChunkForB(Generator):
    """Streams "ok" in two pieces, except that the stream for "b" yields `bad` after "half"."""

    bad: Any

    async def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[Any]:
        async for chunk in self._chunks(str(messages[-1].content)):
            yield chunk

    async def stream_texts(
        self, text: str, params: GenerateParams | None = None
    ) -> AsyncIterator[Any]:
        async for chunk in self._chunks(text):
            yield chunk

    async def _chunks(self, prompt: str) -> AsyncIterator[Any]:
        yield TextDelta("half" if prompt == "b" else "ok")
        if prompt == "b":
            yield self.bad
        if not isinstance(self.bad, StreamFinish) or prompt != "b":
            yield StreamFinish("stop")


@pytest.mark.parametrize("bad", sorted(_BAD_CHUNKS))
async def test_a_chunk_field_of_the_wrong_type_fails_its_item_alone(bad: str) -> None:
    chunk, message = _BAD_CHUNKS[bad]
    generator = _BadChunkForB(model="g", bad=chunk)
    chats = generator.chat().catch(GenerationError, on_failed="include")
    completions = generator.complete("").catch(GenerationError, on_failed="include")
    for stream in (chats.stream_batch(["a", "b", "c"]), completions.stream_batch(["a", "b", "c"])):
        events = [event async for event in stream]
        assert stream.results is not None
        assert [r.failed for r in stream.results] == [False, True, False]
        assert message in str(stream.results[1].error)
        assert "_BadChunkForB.stream_" in str(stream.results[1].error)
        texts = [e.text for e in events if isinstance(e, TextDeltaEvent)]
        assert all(isinstance(text, str) for text in texts)


@pytest.mark.parametrize("bad", [k for k in sorted(_BAD_CHUNKS) if "usage dict" not in k])
def test_the_assembler_refuses_a_chunk_field_of_the_wrong_type(bad: str) -> None:
    chunk, message = _BAD_CHUNKS[bad]
    assembler = MessageAssembler()
    with pytest.raises(TypeError, match=message.split(" whose ")[-1]):
        assembler.add(chunk)
    assembler.add(StreamFinish("stop", Usage(input_tokens=1, output_tokens=2, total_tokens=3)))
    assert assembler.result().usage == Usage(input_tokens=1, output_tokens=2, total_tokens=3)


async def test_two_tasks_reading_one_stream_share_its_events_and_both_end() -> None:
    pieces = ["one ", "two ", "three ", "four"]
    alone = [e async for e in ChunkedGenerator(replies=[pieces]).chat().stream_many(2)]
    stream = ChunkedGenerator(replies=[pieces]).chat().stream_many(2)

    async def read() -> list[Any]:
        return [event async for event in stream]

    first, second = await asyncio.gather(read(), read())
    both = first + second
    assert len(both) == len(alone)
    assert len([e for e in both if isinstance(e, ChatFinishedEvent)]) == 2
    assert stream.chats is not None
    assert len(stream.chats) == 2
    assert [e async for e in stream] == []


class _Stalls(Generator):
    """Yields one piece, sets `sent`, then waits for a release that never comes."""

    _sent: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)
    _closed: int = PrivateAttr(default=0)

    async def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[Any]:
        try:
            yield TextDelta("<str>started")
            self._sent.set()
            await asyncio.Event().wait()
            yield StreamFinish("stop")
        finally:
            self._closed += 1


async def test_closing_from_another_task_ends_the_reading_task_quietly() -> None:
    generator = _Stalls(model="g")
    stream = generator.chat("q").stream()
    reader = asyncio.create_task(_read(stream))
    await generator._sent.wait()
    await stream.aclose()
    events = await reader  # not cancelled: nobody cancelled the reader
    assert [type(e) for e in events] == [TextDeltaEvent]
    assert generator._closed == 1
    assert stream.chats is None


async def _read(stream: Any) -> list[Any]:
    return [event async for event in stream]


async def test_a_prompt_stream_read_by_two_tasks_ends_with_one_value() -> None:
    gen = ChunkedGenerator(replies=[["<str>a", "b</str>", " and more"]])

    @rg.prompt(generator=gen)
    def answer() -> str:
        """Answer."""

    stream = answer.stream()
    first, second = await asyncio.gather(_read(stream), _read(stream))
    finished = [e for e in first + second if isinstance(e, PromptFinishedEvent)]
    assert [e.value for e in finished] == ["ab"]
    assert stream.value == "ab"


async def test_a_prompt_stream_closed_from_another_task_ends_quietly() -> None:
    generator = _Stalls(model="g")

    @rg.prompt(generator=generator)
    def answer() -> str:
        """Answer."""

    stream = answer.stream()
    reader = asyncio.create_task(_read(stream))
    await generator._sent.wait()
    await stream.aclose()
    assert [type(e) for e in await reader] == [TextDeltaEvent]
    assert stream.value is None


class _BreaksLate(Generator):
    """Yields one piece, then breaks once `go` is set."""

    _go: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)
    _ended: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)

    async def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[Any]:
        try:
            yield TextDelta("started")
            await self._go.wait()
            raise RuntimeError("the provider broke")
        finally:
            self._ended.set()


async def test_a_dropped_stream_whose_run_failed_after_the_reader_left_logs_nothing() -> None:
    loop = asyncio.get_running_loop()
    reported: list[dict[str, Any]] = []
    old = loop.get_exception_handler()
    loop.set_exception_handler(lambda _, context: reported.append(context))
    try:
        generator = _BreaksLate(model="g")
        stream = generator.chat("q").stream()
        async for _ in stream:
            break
        generator._go.set()  # the run fails on its own, after the reader left
        await generator._ended.wait()  # its task ended in the same step
        del stream  # unread and unclosed: collected here (the run holds no reference to it)
        gc.collect()
        assert reported == []
    finally:
        loop.set_exception_handler(old)
