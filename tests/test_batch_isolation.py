# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""One item's failure costs no other item its result, whatever the generator does.

Offline: user generators whose batch call raises for the whole batch (split to isolate the
failing items, with bounded calls), in every batch path: chat, completion, streaming, tools,
prompts. And errors that name their cause: exhausted rounds name the last parse error.
"""

from __future__ import annotations

import asyncio
import math
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

import rigging as rg
from rigging.error import (
    CompletionExhaustedMaxRoundsError,
    ExhaustedMaxRoundsError,
    GenerationError,
    MessagesExhaustedMaxRoundsError,
    RiggingError,
)
from rigging.generator import GeneratedMessage, GeneratedText, GenerateParams, Generator
from rigging.generator.testing import EchoGenerator, FailingGenerator, FixedGenerator
from rigging.message import Message
from rigging.model import Answer

N = 200
ITEMS = [f"m{i}" for i in range(N)]
BAD = "m117"


class AllOrNothing(Generator):
    """Answers a batch only when no item in it is poisoned; raises for the whole batch else."""

    model: str = "all-or-nothing"
    poison: str = BAD
    calls: list[int] = []  # noqa: RUF012 - per-instance list set in __init__

    def __init__(self, **data: object) -> None:
        super().__init__(**data)
        self.calls = []

    def _check(self, texts: Sequence[str]) -> None:
        self.calls.append(len(texts))
        if any(self.poison in text for text in texts):
            raise GenerationError(f"batch of {len(texts)} refused", model=self.model)

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        texts = [str(m[-1].content) for m in messages]
        self._check(texts)
        return [GeneratedMessage.from_text(f"re {t}", stop_reason="stop") for t in texts]

    async def generate_texts(
        self, texts: Sequence[str], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedText]:
        self._check(texts)
        return [GeneratedText.from_text(f"re {t}", stop_reason="stop") for t in texts]


def _bound(count: int, failing: int) -> int:
    """Calls a bisection may make: the first, then two per level for each failing item."""
    return 1 + 2 * failing * math.ceil(math.log2(count))


async def test_chat_batch_include_fails_exactly_the_poisoned_item() -> None:
    generator = AllOrNothing()
    pipeline = generator.chat().catch(GenerationError, on_failed="include")
    chats = await pipeline.run_batch(ITEMS)
    assert [c.failed for c in chats] == [i == BAD for i in ITEMS]
    assert [c.last.content for c in chats if not c.failed] == [f"re {i}" for i in ITEMS if i != BAD]
    assert str(chats[117].error) == "batch of 1 refused"
    assert len(generator.calls) <= _bound(N, 1)
    assert sum(generator.calls) <= N * (1 + math.ceil(math.log2(N)))


async def test_chat_batch_skip_keeps_input_order() -> None:
    chats = await AllOrNothing().chat().catch(GenerationError).run_batch(ITEMS, on_failed="skip")
    assert [c.last.content for c in chats] == [f"re {i}" for i in ITEMS if i != BAD]


async def test_chat_batch_raise_carries_completed_chats() -> None:
    with pytest.raises(GenerationError) as info:
        await AllOrNothing().chat().run_batch(ITEMS)
    completed = info.value.completed  # type: ignore[attr-defined]
    assert [c.last.content for c in completed] == [f"re {i}" for i in ITEMS if i != BAD]
    # __notes__ is typed from Python 3.11 on; rigging sets it on 3.10 too.
    assert info.value.__notes__ == ["rigging: raised by the generator for item 117 in round 1"]  # type: ignore[attr-defined]


async def test_several_failing_items_and_max_concurrency() -> None:
    generator = FailingGenerator(fail_when="9")  # every item with a 9 in it, always
    pipeline = generator.chat().catch(GenerationError, on_failed="include")
    chats = await pipeline.run_batch(ITEMS, max_concurrency=64)
    assert [c.failed for c in chats] == ["9" in i for i in ITEMS]
    assert all(c.last.content == i for c, i in zip(chats, ITEMS, strict=True) if not c.failed)


async def test_completion_batch_include() -> None:
    generator = AllOrNothing()
    pipeline = generator.complete("").catch(GenerationError, on_failed="include")
    completions = await pipeline.run_batch(ITEMS)
    assert [c.failed for c in completions] == [i == BAD for i in ITEMS]
    assert completions[0].generated == "re m0"
    assert len(generator.calls) <= _bound(N, 1)


async def test_streamed_batch_include() -> None:
    pipeline = AllOrNothing().chat().catch(GenerationError, on_failed="include")
    async with pipeline.stream_batch(ITEMS) as events:
        async for _ in events:
            pass
    assert events.results is not None
    assert [c.failed for c in events.results] == [i == BAD for i in ITEMS]


async def test_streamed_batch_raise_carries_completed() -> None:
    stream = AllOrNothing().chat().stream_batch(ITEMS[100:120])
    with pytest.raises(GenerationError) as info:
        async for _ in stream:
            pass
    assert len(info.value.completed) == 19  # type: ignore[attr-defined]


async def test_tool_batch_include() -> None:
    def lookup(key: str) -> str:
        """Look a key up."""
        return f"value of {key}"

    class ToolCaller(AllOrNothing):
        async def generate_messages(
            self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage]:
            texts = [str(m[-1].content) for m in messages]
            self._check(texts)
            out = []
            for text in texts:
                if "<tool-result" in text:
                    out.append(GeneratedMessage.from_text(f"done: {text}", stop_reason="stop"))
                else:
                    call = f'<tool-call name="lookup">{{"key": "{text}"}}</tool-call>'
                    out.append(GeneratedMessage.from_text(call, stop_reason="stop"))
            return out

    items = ITEMS[100:140]
    pipeline = ToolCaller().chat().using(lookup, mode="native")
    chats = await pipeline.catch(GenerationError, on_failed="include").run_batch(items)
    assert [c.failed for c in chats] == [i == BAD for i in items]
    good = [(c, i) for c, i in zip(chats, items, strict=True) if not c.failed]
    assert all(f"value of {i}" in str(c.last.content) for c, i in good)


async def test_prompt_paths_keep_the_good_values() -> None:
    @rg.prompt
    async def echo(text: str) -> str:
        """Repeat {{ text }}"""

    transient = FailingGenerator(fail_on=17)  # item 17 of the batch fails once
    values = await echo.bind_many(transient.chat())(N, "x")
    assert len(values) == N

    bad = FailingGenerator(fail_when="Repeat")
    pipeline = EchoGenerator().chat().catch(GenerationError, on_failed="skip")
    values = await echo.bind_over(pipeline)([bad, EchoGenerator()], "y")
    assert len(values) == 2  # the failing generator's result is skipped

    include = EchoGenerator().chat().catch(GenerationError, on_failed="include")
    with pytest.raises(GenerationError) as info:
        await echo.bind_over(include)([bad, EchoGenerator()], "y")
    assert len(info.value.completed) == 2  # type: ignore[attr-defined]


async def test_a_generator_without_chat_support_fails_every_item_once() -> None:
    class TextOnly(Generator):
        model: str = "text-only"

    pipeline = TextOnly().chat().catch(NotImplementedError, on_failed="include")
    chats = await pipeline.run_batch(ITEMS[:16])
    assert all(isinstance(c.error, NotImplementedError) for c in chats)


async def test_credential_errors_are_not_split() -> None:
    class Refused(AllOrNothing):
        def _check(self, texts: Sequence[str]) -> None:
            self.calls.append(len(texts))
            raise GenerationError("401", model=self.model, status=401, auth=True)

    generator = Refused()
    pipeline = generator.chat().catch(GenerationError, on_failed="include")
    chats = await pipeline.run_batch(ITEMS[:64])
    assert all(c.failed for c in chats)
    assert generator.calls == [64]


# --- errors carry their cause ---------------------------------------------------------------


async def test_exhausted_rounds_name_the_last_parse_error() -> None:
    pipeline = FixedGenerator(text="no tags here").chat("q").until_parsed_as(Answer, max_rounds=2)
    with pytest.raises(MessagesExhaustedMaxRoundsError) as info:
        await pipeline.run()
    assert info.value.last_error == "Failed to find '<answer></answer>' in message"
    assert "last error: Failed to find '<answer></answer>'" in str(info.value)


async def test_exhausted_rounds_name_the_validation_error() -> None:
    class Count(rg.Model):
        value: int

    generator = FixedGenerator(text="<count><value>many</value></count>")
    pipeline = generator.chat("q").until_parsed_as(Count, max_rounds=1, attempt_recovery=True)
    chat = await pipeline.run(allow_failed=True)
    assert isinstance(chat.error, ExhaustedMaxRoundsError)
    assert "value" in str(chat.error.last_error)
    assert "int" in str(chat.error.last_error)


async def test_exhausted_rounds_of_a_prompt_name_the_parse_error() -> None:
    @rg.prompt(generator=FixedGenerator(text="<wrong>1</wrong>"))
    async def number() -> Answer:
        """Give a number."""

    with pytest.raises(MessagesExhaustedMaxRoundsError, match=r"last error: .*answer"):
        await number.set_(max_rounds=1)()


async def test_exhausted_rounds_name_a_custom_check() -> None:
    def never(message: Message) -> tuple[bool, list[Message]]:
        return True, [message]

    pipeline = EchoGenerator().chat("q").until(never, max_rounds=1)
    chat = await pipeline.run(allow_failed=True)
    assert "never() asked for another round" in str(chat.error)


async def test_completion_exhausted_rounds_name_the_parse_error() -> None:
    pipeline = FixedGenerator(text="nothing").complete("q").until_parsed_as(Answer, max_rounds=1)
    with pytest.raises(CompletionExhaustedMaxRoundsError, match="last error: Failed to find"):
        await pipeline.run()


async def test_a_result_that_is_not_a_result_fails_its_item_as_a_generation_error() -> None:
    class Sloppy(EchoGenerator):
        async def generate_messages(
            self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage]:
            out = list(await super().generate_messages(messages, params))
            out[1] = None  # type: ignore[call-overload]
            return out

    pipeline = Sloppy().chat().catch(GenerationError, on_failed="include")
    chats = await pipeline.run_batch(["a", "b", "c"])
    assert [c.failed for c in chats] == [False, True, False]
    assert "returned NoneType for an item, not a GeneratedMessage" in str(chats[1].error)


class NoReturn(Generator):
    """Forgets to return its answers (``None``), counting its calls."""

    model: str = "no-return"
    calls: list[int] = []  # noqa: RUF012 - per-instance list set in __init__

    def __init__(self, **data: object) -> None:
        super().__init__(**data)
        self.calls = []

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        self.calls.append(len(messages))
        return None  # type: ignore[return-value]

    async def generate_texts(
        self, texts: Sequence[str], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedText]:
        self.calls.append(len(texts))
        return None  # type: ignore[return-value]


@pytest.mark.parametrize("kind", ["chat", "completion"])
async def test_a_batch_method_returning_none_is_named_and_not_split(kind: str) -> None:
    """It failed every item with a bare ``'NoneType' object is not iterable`` after the
    batch had been split down to single items (2n - 1 calls, each a paid request)."""
    gen = NoReturn()
    pipeline = gen.chat() if kind == "chat" else gen.complete("")
    method = "generate_messages" if kind == "chat" else "generate_texts"
    results = await pipeline.catch(GenerationError, on_failed="include").run_batch(["a", "b", "c"])
    assert [r.failed for r in results] == [True] * 3
    expected = f"NoReturn.{method} returned NoneType, not a list with one result per input"
    assert all(str(r.error) == expected for r in results)
    assert gen.calls == [3]


async def test_settled_results_given_as_an_iterator_are_read_once() -> None:
    """An iterator was consumed by the trace, then ``len()`` of it escaped the run as a
    TypeError whatever the failure mode."""

    class Lazy(EchoGenerator):
        async def generate_messages_settled(
            self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage | Exception]:
            answered = await super().generate_messages_settled(messages, params)
            return iter(answered)  # type: ignore[return-value]

    chats = await Lazy().chat().run_batch(["a", "b"])
    assert [c.last.content for c in chats] == ["a", "b"]


def test_an_interrupt_in_one_half_of_a_split_batch_is_raised_from_the_run_alone() -> None:
    """The split halves of a failing batch were gathered: a `KeyboardInterrupt` in one half
    escaped from its task, stopped the event loop after the caller had handled it, and hid
    behind a ContextVar error."""
    code = """
import asyncio
import rigging as rg
from rigging.generator import GeneratedMessage

started, cancelled = [], []

class Flaky(rg.Generator):
    model: str = "flaky"

    async def generate_messages(self, messages, params):
        if len(messages) > 1:
            raise ValueError("batch too large")
        if messages[0][-1].content == "b":
            raise KeyboardInterrupt("ctrl-c during b")
        started.append(messages[0][-1].content)
        try:
            await asyncio.Event().wait()  # in flight until cancelled
        except asyncio.CancelledError:
            cancelled.append(messages[0][-1].content)
            raise
        return [GeneratedMessage.from_text("ok")]

async def main():
    try:
        await Flaky().chat().run_batch(["a", "b", "c", "d"])
    except KeyboardInterrupt as exc:
        print("caught", exc)
    # every item still in flight was cancelled and awaited before the interrupt was raised
    print("after", "a" in started, sorted(started) == sorted(cancelled))

asyncio.run(main())
print("end")
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["caught ctrl-c during b", "after True True", "end"]
    assert "never retrieved" not in done.stderr
    assert "different Context" not in done.stderr


class _CancelsOnB(Generator):
    """Answers "ok"; a call holding the input "b" raises a `CancelledError` of its own."""

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        if any(m[-1].content == "b" for m in messages):
            raise asyncio.CancelledError  # leaked from a library's own timeout
        return [GeneratedMessage.from_text("ok") for _ in messages]

    async def generate_texts(
        self, texts: Sequence[str], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedText]:
        if any(text.endswith("b") for text in texts):
            raise asyncio.CancelledError
        return [GeneratedText(text="ok", stop_reason="stop") for _ in texts]


async def _stream_batch(pipeline: rg.ChatPipeline, inputs: list[str]) -> list[rg.Chat]:
    stream = pipeline.stream_batch(inputs)
    async for _ in stream:
        pass
    assert stream.chats is not None
    return stream.chats


async def _run_abc(
    gen: Generator, runner: str, tmp_path: Path
) -> Sequence[rg.Chat | rg.Completion]:
    """Run the inputs "a", "b", "c" through `runner`, failed items included."""
    inputs = ["a", "b", "c"]
    if runner == "completion":
        pipeline = gen.complete("").catch(GenerationError, on_failed="include")
        return await pipeline.run_batch(inputs)
    chats = gen.chat().catch(GenerationError, on_failed="include")
    if runner == "stream_batch":
        return await _stream_batch(chats, inputs)
    path = tmp_path / "ck.jsonl" if runner == "checkpoint" else None
    return await chats.run_batch(inputs, checkpoint=path)


# Telling a stray `CancelledError` from the run's own cancellation needs `Task.cancelling()`
# (3.11+); on 3.10 every `CancelledError` propagates as before (`rigging._tasks.own_cancel_fails`).
_NEEDS_CANCELLING = pytest.mark.skipif(
    sys.version_info < (3, 11), reason="Task.cancelling() is Python 3.11+"
)


@_NEEDS_CANCELLING
@pytest.mark.parametrize("runner", ["run_batch", "checkpoint", "stream_batch", "completion"])
async def test_a_stray_cancelled_error_of_the_generator_fails_its_item_alone(
    runner: str, tmp_path: Path
) -> None:
    results = await _run_abc(_CancelsOnB(model="g"), runner, tmp_path)
    assert [r.failed for r in results] == [False, True, False]
    assert isinstance(results[1].error, GenerationError)
    assert "raised CancelledError although the run was not cancelled" in str(results[1].error)
    if runner == "checkpoint":
        assert len((tmp_path / "ck.jsonl").read_text().splitlines()) == 3  # header, a, c


@_NEEDS_CANCELLING
async def test_a_stray_cancelled_error_in_run_over_fails_that_generator_alone() -> None:
    pipeline = FixedGenerator(model="f", text="ok").chat("b")
    pipeline = pipeline.catch(GenerationError, on_failed="include")
    chats = await pipeline.run_over(_CancelsOnB(model="g"))
    assert [c.failed for c in chats] == [True, False]


@_NEEDS_CANCELLING
async def test_a_stray_cancelled_error_of_a_then_callback_or_tool_fails_its_item_alone() -> None:
    async def then(chat: rg.Chat) -> None:
        if chat.all[0].content == "b":
            raise asyncio.CancelledError

    class Tools:
        max_rounds = 1

        async def __call__(self, message: Message) -> list[Message] | None:
            if message.content == "ok-b":
                raise asyncio.CancelledError
            return None

    pipeline = FixedGenerator(model="f", text="ok").chat().then(then)
    chats = await pipeline.catch(RiggingError, on_failed="include").run_batch(["a", "b", "c"])
    assert [c.failed for c in chats] == [False, True, False]
    assert "then callback" in str(chats[1].error)

    gen = EchoGenerator(model="e", prefix="ok-")
    pipeline = gen.chat().add_tool_handler(Tools()).catch(RiggingError, on_failed="include")
    chats = await pipeline.run_batch(["a", "b", "c"])
    assert [c.failed for c in chats] == [False, True, False]
    assert "the tools of item 1 raised CancelledError" in str(chats[1].error)


class _ExitsOnB(Generator):
    """Answers "ok"; a call holding the input "b" raises a stray `GeneratorExit`."""

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        if any(m[-1].content == "b" for m in messages):
            raise GeneratorExit("closed twice")  # a generator's close handled wrongly
        return [GeneratedMessage.from_text("ok") for _ in messages]

    async def generate_texts(
        self, texts: Sequence[str], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedText]:
        if any(text.endswith("b") for text in texts):
            raise GeneratorExit("closed twice")
        return [GeneratedText(text="ok", stop_reason="stop") for _ in texts]


class _SettledExitsOnB(_ExitsOnB):
    """Overrides the settled call itself, so the pipeline's own guard meets the exit."""

    async def generate_messages_settled(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage | Exception]:
        return await self.generate_messages(messages, params)


@pytest.mark.parametrize("runner", ["run_batch", "checkpoint", "stream_batch", "completion"])
async def test_a_stray_generator_exit_of_the_generator_fails_its_item_alone(
    runner: str, tmp_path: Path
) -> None:
    results = await _run_abc(_ExitsOnB(model="g"), runner, tmp_path)
    assert [r.failed for r in results] == [False, True, False]
    error = results[1].error
    assert isinstance(error, GenerationError)
    assert "raised GeneratorExit; the item(s) it was for failed" in str(error)
    assert isinstance(error.__cause__, GeneratorExit)
    if runner == "checkpoint":
        assert len((tmp_path / "ck.jsonl").read_text().splitlines()) == 3  # header, a, c


async def test_a_stray_generator_exit_of_a_settled_call_fails_its_round_not_the_run() -> None:
    ok = FixedGenerator(model="f", text="ok")
    pipeline = ok.chat("b").catch(GenerationError, on_failed="include")
    chats = await pipeline.run_over(_SettledExitsOnB(model="g"))
    assert [c.failed for c in chats] == [True, False]
    assert "generator _SettledExitsOnB raised GeneratorExit" in str(chats[0].error)


async def test_an_interrupt_of_the_generator_still_ends_the_run() -> None:
    class Interrupts(_ExitsOnB):
        async def generate_messages(
            self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage]:
            raise KeyboardInterrupt

    pipeline = Interrupts(model="g").chat().catch(GenerationError, on_failed="include")
    with pytest.raises(KeyboardInterrupt):
        await pipeline.run_batch(["a", "b"])
