"""Streaming completion pipelines (`CompletionPipeline.stream*`) with in-process generators."""

import asyncio
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest

from rigging.completion import Completion
from rigging.error import CompletionExhaustedMaxRoundsError, GenerationError
from rigging.generator import GeneratedText, GenerateParams
from rigging.generator.testing import ChunkedGenerator, FixedGenerator
from rigging.model import Answer, Question
from rigging.stream import (
    CompletionEvent,
    CompletionFinishedEvent,
    CompletionStream,
    ModelParsedEvent,
    RoundFinishedEvent,
    StreamChunk,
    StreamFinish,
    TextDelta,
    TextDeltaEvent,
)


class ChunkedTexts(ChunkedGenerator):
    """`ChunkedGenerator` whose `fail_on_call`-th reply raises instead."""

    fail_on_call: int | None = None

    def _pieces(self, index: int) -> list[str]:
        if index == self.fail_on_call:
            raise GenerationError("provider is down", model=self.model)
        return super()._pieces(index)


async def collect(stream: CompletionStream) -> list[CompletionEvent]:
    return [event async for event in stream]


def same(a: Completion, b: Completion, *, same_generator: bool = True, usage: bool = True) -> None:
    """Equal apart from identity and extras (and usage, never received by a stream closed early)."""
    skip = {"uuid", "timestamp", "extra"} | (set() if same_generator else {"generator_id"})
    skip |= set() if usage else {"usage"}
    assert a.model_dump(exclude=skip) == b.model_dump(exclude=skip)


def kinds(events: Sequence[object]) -> list[str]:
    return [type(event).__name__ for event in events]


async def test_default_stream_texts_is_one_chunk_and_the_completion_equals_run() -> None:
    gen = FixedGenerator(model="fixed", text=" <answer>4</answer>")
    pipeline = gen.complete("2+2 =").until_parsed_as(Answer)
    stream = pipeline.stream()
    events = await collect(stream)
    assert kinds(events) == [
        "TextDeltaEvent",
        "ModelParsedEvent",
        "RoundFinishedEvent",
        "CompletionFinishedEvent",
    ]
    round_end = events[2]
    assert isinstance(round_end, RoundFinishedEvent)
    assert isinstance(round_end.generated, GeneratedText)
    assert not round_end.stopped_early  # a one-chunk default is never cut short
    final = events[-1]
    assert isinstance(final, CompletionFinishedEvent)
    assert final.index == 0
    assert stream.completions == [final.completion]
    same(final.completion, await pipeline.run())
    assert final.completion.all == "2+2 = <answer>4</answer>"


async def test_models_arrive_at_the_piece_that_closed_them() -> None:
    pieces = ["Q: <quest", "ion>why?</question", "> A: <answer>", "42</answer> end"]
    gen = ChunkedTexts(replies=[pieces])
    events = await collect(gen.complete("p").stream(models=[Question, Answer]))
    order = [
        (type(e).__name__, e.text if isinstance(e, TextDeltaEvent) else type(e.model).__name__)
        for e in events
        if isinstance(e, TextDeltaEvent | ModelParsedEvent)
    ]
    assert order == [
        ("TextDeltaEvent", pieces[0]),
        ("TextDeltaEvent", pieces[1]),
        ("TextDeltaEvent", pieces[2]),
        ("ModelParsedEvent", "Question"),
        ("TextDeltaEvent", pieces[3]),
        ("ModelParsedEvent", "Answer"),
    ]
    answer = next(
        e for e in events if isinstance(e, ModelParsedEvent) and isinstance(e.model, Answer)
    )
    assert "".join(pieces)[answer.slice] == "<answer>42</answer>"
    final = events[-1]
    assert isinstance(final, CompletionFinishedEvent)
    assert final.completion.generated == "".join(pieces)


async def test_early_stop_closes_the_stream_and_records_it() -> None:
    pieces = ["<answer>", "yes</answer>", *[" padding"] * 1000]
    gen = ChunkedTexts(replies=[pieces])
    stream = gen.complete("q").until_parsed_as(Answer).stream()
    events = await collect(stream)
    assert gen.pieces_sent == [2]
    assert gen.open_streams == 0
    round_end = next(e for e in events if isinstance(e, RoundFinishedEvent))
    assert round_end.stopped_early
    assert stream.completions is not None
    completion = stream.completions[0]
    assert completion.generated == "<answer>yes</answer>"
    assert completion.extra == {"stopped_early": True}
    assert completion.stop_reason == "stop"
    plain = await ChunkedTexts(replies=[pieces[:2]]).complete("q").until_parsed_as(Answer).run()
    assert completion.usage is None
    same(completion, plain, same_generator=False, usage=False)


async def test_until_retries_are_new_rounds_and_exhaustion_fails_the_completion() -> None:
    gen = ChunkedTexts(replies=[["no tags"], ["<answer>", "ok</answer>"]])
    events = await collect(gen.complete("q").until_parsed_as(Answer, max_rounds=3).stream())
    rounds = [e.round for e in events if isinstance(e, RoundFinishedEvent)]
    assert rounds == [1, 2]
    final = events[-1]
    assert isinstance(final, CompletionFinishedEvent)
    assert final.completion.generated == "<answer>ok</answer>"
    assert [call.input for call in gen.calls] == ["q", "q"]

    never = ChunkedTexts(replies=[["no tags"]])
    pipeline = never.complete("q").until_parsed_as(Answer, max_rounds=2)
    with pytest.raises(CompletionExhaustedMaxRoundsError):
        await collect(pipeline.stream())
    stream = pipeline.stream(allow_failed=True)
    events = await collect(stream)
    assert stream.completions is not None
    failed = stream.completions[0]
    assert failed.failed
    assert isinstance(failed.error, CompletionExhaustedMaxRoundsError)
    assert [e.round for e in events if isinstance(e, RoundFinishedEvent)] == [1, 2, 3]


async def test_stream_many_and_batch_tag_items_and_equal_the_runs() -> None:
    def gen() -> ChunkedTexts:
        return ChunkedTexts(replies=[["<answer>", "1</answer>"], ["<answer>2", "</answer>"]])

    events = await collect(gen().complete("n=").stream_many(4, models=[Answer]))
    finished = [e for e in events if isinstance(e, CompletionFinishedEvent)]
    assert [e.index for e in finished] == [0, 1, 2, 3]
    assert events[-4:] == finished
    assert {e.index for e in events if isinstance(e, TextDeltaEvent)} == {0, 1, 2, 3}
    expected = await gen().complete("n=").run_many(4)
    for event, completion in zip(finished, expected, strict=True):
        same(event.completion, completion)

    stream = gen().complete("base ").stream_batch(["a", "b"], max_concurrency=1)
    await collect(stream)
    assert stream.completions is not None
    assert [c.text for c in stream.completions] == ["base a", "base b"]
    batch = await gen().complete("base ").run_batch(["a", "b"])
    for got, want in zip(stream.completions, batch, strict=True):
        same(got, want)
    with pytest.raises(ValueError, match="Can't fit many of length 2 to 3"):
        gen().complete("x").stream_batch(["a", "b"], [GenerateParams()] * 3)


async def test_generator_errors_raise_or_fail_the_completion() -> None:
    gen = ChunkedTexts(replies=[["fine"]], fail_on_call=2)
    with pytest.raises(GenerationError, match="provider is down"):
        await collect(gen.complete("q").stream_many(3))
    gen = ChunkedTexts(replies=[["fine"]], fail_on_call=2)
    stream = gen.complete("q").catch(GenerationError).stream_many(3, on_failed="include")
    await collect(stream)
    assert stream.completions is not None
    assert len(stream.completions) == 3
    assert any(c.failed for c in stream.completions)
    assert all(str(c.error) == "provider is down" for c in stream.completions if c.failed)
    with pytest.raises(ValueError, match="skip"):
        gen.complete("q").stream(on_failed="skip")


async def test_closing_early_cancels_the_run_and_closes_every_stream() -> None:
    gen = ChunkedTexts(replies=[["tick "] * 10_000], delay=0.001)
    async with gen.complete("q").stream_many(3) as stream:
        seen = 0
        async for event in stream:
            seen += isinstance(event, TextDeltaEvent)
            if seen == 10:
                break
    assert gen.open_streams == 0
    assert max(gen.pieces_sent) < 100
    assert stream.completions is None
    assert [e async for e in stream] == []


async def test_nothing_is_sent_before_iteration() -> None:
    gen = ChunkedTexts(replies=[["x"]])
    stream: Any = gen.complete("q").stream()
    await asyncio.sleep(0)
    assert gen.calls == []
    await stream.aclose()


class _NoneForB(FixedGenerator):
    """Answers its text, except None for the prompt ending in "b"."""

    async def generate_texts(
        self, texts: Sequence[str], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedText]:
        if texts[-1].endswith("b"):
            return [None]  # type: ignore[list-item]
        return await super().generate_texts(texts, params)


async def test_a_bad_answer_to_the_default_text_stream_fails_its_item_alone() -> None:
    pipeline = _NoneForB(model="g", text="ok").complete("").catch(GenerationError)
    stream = pipeline.stream_batch(["a", "b", "c"], on_failed="include")
    await collect(stream)
    assert stream.completions is not None
    assert [c.failed for c in stream.completions] == [False, True, False]
    assert "returned NoneType for an item, not a GeneratedText" in str(stream.completions[1].error)


class _NoFinishForB(FixedGenerator):
    async def stream_texts(
        self, text: str, params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        yield TextDelta("cut")
        if not text.endswith("b"):
            yield StreamFinish("stop")


async def test_a_text_stream_that_ends_without_a_finish_fails_its_item() -> None:
    pipeline = _NoFinishForB(model="g", text="ok").complete("").catch(GenerationError)
    stream = pipeline.stream_batch(["a", "b"], on_failed="include")
    await collect(stream)
    assert stream.completions is not None
    assert [c.failed for c in stream.completions] == [False, True]
    assert "ended without a StreamFinish" in str(stream.completions[1].error)
