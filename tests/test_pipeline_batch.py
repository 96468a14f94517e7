"""Fan-out runners: one generator call per round, re-sends, order, failures, knobs."""

from __future__ import annotations

import typing as t
from collections.abc import Sequence

import pytest
from pydantic import PrivateAttr

from rigging._pipeline.run import RunPlan, execute
from rigging.chat import Chat, ChatList, FailMode, RunState
from rigging.error import (
    ExhaustedMaxRoundsError,
    GenerationError,
    MessagesExhaustedMaxRoundsError,
    RiggingError,
)
from rigging.generator import GeneratedMessage, GenerateParams
from rigging.generator.testing import EchoGenerator, FailingGenerator, ScriptedGenerator
from rigging.message import Message
from rigging.model import Answer


class BatchEcho(EchoGenerator):
    """Echo that records the size of every `generate_messages` call and the inputs' objects."""

    _sizes: list[int] = PrivateAttr(default_factory=list)
    _inputs: list[Sequence[Message]] = PrivateAttr(default_factory=list)

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        self._sizes.append(len(messages))
        self._inputs.extend(messages)
        return await super().generate_messages(messages, params)


class Scripted(ScriptedGenerator):
    """Scripted replies that also records batch sizes."""

    _sizes: list[int] = PrivateAttr(default_factory=list)

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        self._sizes.append(len(messages))
        return await super().generate_messages(messages, params)


async def test_run_many_sends_one_batch_and_shares_input_messages() -> None:
    generator = BatchEcho()
    pipeline = generator.chat(["system says", "hi"])
    chats = await pipeline.run_many(50)
    assert isinstance(chats, ChatList)
    assert generator._sizes == [50]
    assert len({c.uuid for c in chats}) == 50
    first, second = chats[0], chats[1]
    assert first.messages[0] is second.messages[0] is pipeline.chat.messages[0]
    assert first.messages is not second.messages
    assert first.generated[0] is not second.generated[0]


async def test_only_items_needing_another_round_are_resent() -> None:
    # Items 0 and 2 answer correctly at once; 1 and 3 need a second round.
    generator = Scripted(
        responses=[
            "<answer>0</answer>",
            "bad",
            "<answer>2</answer>",
            "bad",
            "<answer>1</answer>",
            "<answer>3</answer>",
        ]
    )
    chats = await generator.chat("q").until_parsed_as(Answer).run_many(4)
    assert generator._sizes == [4, 2]
    assert [c.last.parse(Answer).content for c in chats] == ["0", "1", "2", "3"]


async def test_run_batch_appends_each_item_to_the_pipeline_messages() -> None:
    generator = BatchEcho()
    many = [
        "a",
        {"role": "user", "content": "b"},
        [Message("user", "c1"), "c2"],
        Message("user", "d"),
    ]
    chats = await generator.chat("base").run_batch(many)
    assert generator._sizes == [4]
    assert [c.last.content for c in chats] == ["a", "b", "c2", "d"]
    assert [m.content for m in chats[2].messages] == ["base", "c1", "c2"]
    assert chats[3].messages[1] is not many[3]  # copied on the way in, as in 2.3
    assert chats[3].messages[1].uuid == t.cast("Message", many[3]).uuid


async def test_run_batch_broadcasts_and_merges_params_per_item() -> None:
    generator = BatchEcho()
    params = [GenerateParams(temperature=t) for t in (0.1, 0.2, 0.3)]
    chats = await generator.chat("base").with_(max_tokens=7).run_batch(["x"], params)
    assert [c.last.content for c in chats] == ["x"] * 3
    assert [c.params.temperature for c in chats if c.params] == [0.1, 0.2, 0.3]
    assert [call.params.max_tokens for call in generator.calls] == [7, 7, 7]


async def test_batch_size_errors_name_the_lengths() -> None:
    pipeline = EchoGenerator().chat("base")
    with pytest.raises(ValueError, match="Can't fit many of length 2 to 3"):
        await pipeline.run_batch(["a", "b"], [GenerateParams()] * 3)
    with pytest.raises(ValueError, match="The number of params must be 2, got 1"):
        await pipeline.run_many(2, params=[GenerateParams()])
    with pytest.raises(ValueError, match="count must be 0 or more, got -1"):
        await pipeline.run_many(-1)
    assert await pipeline.run_many(0) == []


async def test_a_failing_item_never_loses_the_others() -> None:
    generator = FixedFailing(bad=frozenset({2}))
    pipeline = generator.chat("q").until_parsed_as(Answer, max_rounds=1)
    chats = await pipeline.run_many(4, on_failed="include")
    assert [c.failed for c in chats] == [False, False, True, False]
    assert isinstance(chats[2].error, MessagesExhaustedMaxRoundsError)
    assert chats[2].error.index == 2
    generator = FixedFailing(bad=frozenset({2}))
    skipped = (
        await generator.chat("q")
        .until_parsed_as(Answer, max_rounds=1)
        .run_many(4, on_failed="skip")
    )
    assert len(skipped) == 3
    generator = FixedFailing(bad=frozenset({2}))
    with pytest.raises(MessagesExhaustedMaxRoundsError) as info:
        await generator.chat("q").until_parsed_as(Answer, max_rounds=1).run_many(4)
    assert info.value.index == 2


class FixedFailing(EchoGenerator):
    """First call: answers correctly except items in `bad`; later calls never answer."""

    bad: frozenset[int] = frozenset()
    _rounds: int = PrivateAttr(default=0)

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        self._rounds += 1
        first = self._rounds == 1
        return [
            GeneratedMessage.from_text(
                "<answer>ok</answer>" if first and i not in self.bad else "oops"
            )
            for i in range(len(messages))
        ]


async def test_caught_generator_error_marks_only_the_items_in_flight() -> None:
    # Round 1: all four answer; items 1 and 3 fail parsing and are re-sent in round 2,
    # where the generator raises. Items 0 and 2 must keep their completed chats.
    generator = Scripted(
        responses=[
            "<answer>0</answer>",
            "bad",
            "<answer>2</answer>",
            "bad",
            GenerationError("down", model="scripted"),
        ]
    )
    pipeline = generator.chat("q").until_parsed_as(Answer).catch(GenerationError)
    chats = await pipeline.run_many(4, on_failed="include")
    assert [c.failed for c in chats] == [False, True, False, True]
    assert isinstance(chats[1].error, GenerationError)
    assert chats[0].last.content == "<answer>0</answer>"


async def test_generator_errors_in_a_batch_name_the_item_and_round() -> None:
    generator = FailingGenerator(fail_when="bad")
    with pytest.raises(GenerationError) as info:
        await generator.chat().run_batch(["ok 0", "ok 1", "bad 2", "ok 3", "ok 4"])
    # __notes__ is typed from Python 3.11 on; rigging sets it on 3.10 too.
    assert info.value.__notes__ == ["rigging: raised by the generator for item 2 in round 1"]  # type: ignore[attr-defined]
    # The run raised, but the chats it finished ride along on the error, in input order.
    completed = info.value.completed  # type: ignore[attr-defined]
    assert [c.last.content for c in completed] == ["ok 0", "ok 1", "ok 3", "ok 4"]


async def test_a_transient_batch_failure_is_retried_by_splitting_the_batch() -> None:
    generator = FailingGenerator(fail_on=3)  # the 3rd item raises once, then never again
    chats = await generator.chat().run_batch([f"m{i}" for i in range(5)])
    assert [c.last.content for c in chats] == [f"m{i}" for i in range(5)]


async def test_an_exception_raised_again_carries_only_its_latest_note() -> None:
    kept = RuntimeError("the same object every time")

    class Stale(EchoGenerator):
        async def generate_messages(
            self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage]:
            if any("bad" in str(m[-1].content) for m in messages):
                raise kept
            return await super().generate_messages(messages, params)

    kept.__notes__ = ["the user's own note"]  # type: ignore[attr-defined]  # add_note: 3.11+
    for batch, bad in ((["bad"], 0), (["ok", "ok", "bad"], 2)):
        with pytest.raises(RuntimeError) as info:
            await Stale().chat().run_batch(batch, max_concurrency=1)  # a round per item
        assert info.value is kept
        notes = info.value.__notes__  # type: ignore[attr-defined]
        assert notes == [
            "the user's own note",
            f"rigging: raised by the generator for item {bad} in round {bad + 1}",
        ]


async def test_wrong_result_count_is_reported() -> None:
    class Short(EchoGenerator):
        async def generate_messages(
            self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage]:
            return [GeneratedMessage.from_text("x")]

    with pytest.raises(GenerationError, match="Short returned 1 results for 3 inputs in round 1"):
        await Short().chat("q").run_many(3)
    # Like any generator error, it fails the batch's items: kept as failed results when the
    # pipeline catches it, and a generator of `run_over` that miscounts fails its run alone.
    caught = await Short().chat("q").catch(GenerationError).run_many(3, on_failed="include")
    assert [c.failed for c in caught] == [True, True, True]
    assert all("1 results for 3 inputs" in str(c.error) for c in caught)
    assert await Short().chat("q").catch(RiggingError).run_many(3, on_failed="skip") == []
    with pytest.raises(GenerationError, match="0 results for 1 inputs") as info:
        await EchoGenerator().chat("q").run_over(Empty(), on_failed="include")
    assert [c.last.content for c in info.value.completed] == ["q"]  # type: ignore[attr-defined]
    pipeline = EchoGenerator().chat("q").catch(GenerationError)
    kept = await pipeline.run_over(Empty(), on_failed="include")
    assert [c.failed for c in kept] == [True, False]
    assert kept[1].last.content == "q"


class Empty(EchoGenerator):
    """Answers no item at all."""

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        return []


async def test_max_concurrency_chunks_the_calls_and_keeps_order() -> None:
    generator = BatchEcho()
    chats = await generator.chat("base").run_batch([str(i) for i in range(10)], max_concurrency=4)
    assert generator._sizes == [4, 4, 2]
    assert [c.last.content for c in chats] == [str(i) for i in range(10)]
    with pytest.raises(ValueError, match="max_concurrency must be 1 or more, got 0"):
        await generator.chat("q").run_many(2, max_concurrency=0)


async def test_watchers_get_each_chat_once_map_and_then_run_once() -> None:
    watched: list[Chat] = []
    mapped: list[int] = []

    async def watch(chats: list[Chat]) -> None:
        watched.extend(chats)

    async def map_(chats: list[Chat]) -> list[Chat]:
        mapped.append(len(chats))
        return list(reversed(chats))

    async def then(chat: Chat) -> None:
        chat.meta(thens=chat.metadata.get("thens", 0) + 1)

    generator = Scripted(responses=["bad", "<answer>1</answer>", "<answer>2</answer>"])
    pipeline = generator.chat("q").until_parsed_as(Answer).watch(watch).map(map_).then(then)
    chats = await pipeline.run_many(2)
    assert sorted(c.uuid for c in watched) == sorted(c.uuid for c in chats)
    assert mapped == [2]
    # Item 0 needed a second round ("<answer>2</answer>"); the map reversed the list.
    assert [c.last.content for c in chats] == ["<answer>1</answer>", "<answer>2</answer>"]
    assert all(c.metadata["thens"] == 1 for c in chats)


async def test_run_over_runs_each_generator_and_callbacks_once() -> None:
    counts: list[int] = []

    async def then(chat: Chat) -> None:
        counts.append(1)

    one, two = BatchEcho(prefix="1:"), BatchEcho(prefix="2:")
    pipeline = one.chat("q").then(then)
    chats = await pipeline.run_over(two)
    assert [c.last.content for c in chats] == ["2:q", "1:q"]
    assert len(counts) == 2
    only = await pipeline.run_over(two, include_original=False)
    assert [c.last.content for c in only] == ["2:q"]


async def test_run_over_keeps_failed_items_per_mode() -> None:
    good, bad = EchoGenerator(), FailingGenerator(fail_on=1)
    pipeline = good.chat("q").catch(GenerationError)
    chats = await pipeline.run_over(bad, on_failed="include")
    assert [c.failed for c in chats] == [True, False]
    skipped = await pipeline.run_over(FailingGenerator(fail_on=1), on_failed="skip")
    assert len(skipped) == 1


async def test_progress_bar_counts_every_item(capsys: pytest.CaptureFixture[str]) -> None:
    chats = await EchoGenerator().chat("q").run_many(3, progress="chats")
    assert len(chats) == 3
    assert "chats" in capsys.readouterr().err


class _Looping:
    """A driver that always asks for another round: the table's send budget must stop it."""

    budget = 2
    has_tools = False

    def request(self, state: RunState) -> object:
        return state.inputs

    async def generate(self, requests: list[object], params: list[GenerateParams]) -> list[object]:
        return requests

    async def tools(self, state: RunState, generated: object) -> bool:
        return False

    def advance(self, state: RunState, generated: object) -> bool:
        return True

    def finish(self, state: RunState) -> object:
        return state.inputs

    def failed(self, state: RunState, error: BaseException) -> object:
        return error


@pytest.mark.parametrize("mode", ["include", "raise"])
async def test_the_fanout_send_budget_bounds_every_item(mode: FailMode) -> None:
    states = [RunState("a", GenerateParams(), 0), RunState("b", GenerateParams(), 1)]
    plan: RunPlan[object] = RunPlan(_Looping(), states, mode, (), (), ())
    if mode == "raise":
        with pytest.raises(ExhaustedMaxRoundsError, match=r"max rounds \(2\)"):
            await execute(plan)
        return
    results = await execute(plan)
    assert all(isinstance(r, ExhaustedMaxRoundsError) for r in results)
    errors = t.cast("list[ExhaustedMaxRoundsError]", results)
    assert [(r.index, r.round) for r in errors] == [(0, 2), (1, 2)]


def test_iter_batch_refuses_bad_arguments_when_called() -> None:
    pipeline = EchoGenerator().chat("q")
    for bad in (5, None, 2.5):
        with pytest.raises(TypeError, match=f"iterable of inputs, got {type(bad).__name__}"):
            pipeline.iter_batch(bad)  # type: ignore[arg-type]
    for total in (-1, 2.0, True):
        with pytest.raises(ValueError, match="total must be a count"):
            pipeline.iter_batch(["a"], total=total)  # type: ignore[arg-type]


async def test_iter_batch_takes_async_iterables_and_a_total() -> None:
    async def inputs() -> t.AsyncIterator[str]:
        for text in ("a", "b"):
            yield text

    pipeline = EchoGenerator().chat()
    found = sorted([(i, c.last.content) async for i, c in pipeline.iter_batch(inputs(), total=2)])
    assert found == [(0, "a"), (1, "b")]


# --- a then callback's caught error fails its item alone ----------------------------------------


class _OddError(Exception):
    """Raised by `_then` for item "b"."""


async def _then(chat: Chat) -> Chat:
    if chat.last.content == "b":
        raise _OddError("bad item b")
    return chat.meta(ok=True)


async def test_a_caught_then_error_fails_its_item_and_the_others_keep_theirs() -> None:
    pipeline = EchoGenerator().chat().then(_then).catch(_OddError)
    chats = await pipeline.run_batch(["a", "b", "c"], on_failed="include")
    assert [(c.last.content, c.failed, c.metadata) for c in chats] == [
        ("a", False, {"ok": True}),
        ("b", True, {}),
        ("c", False, {"ok": True}),
    ]
    assert isinstance(chats[1].error, _OddError)
    assert any("then callback" in note for note in getattr(chats[1].error, "__notes__", []))
    skipped = await pipeline.run_batch(["a", "b", "c"], on_failed="skip")
    assert [(c.last.content, c.metadata) for c in skipped] == [
        ("a", {"ok": True}),
        ("c", {"ok": True}),
    ]


async def test_a_later_then_callback_sees_the_failed_item_only_when_included() -> None:
    seen: list[tuple[str, bool]] = []

    async def record(chat: Chat) -> None:
        seen.append((chat.last.content, chat.failed))

    pipeline = EchoGenerator().chat().then(_then).then(record).catch(_OddError)
    await pipeline.run_batch(["a", "b", "c"], on_failed="include")
    assert sorted(seen) == [("a", False), ("b", True), ("c", False)]
    seen.clear()
    await pipeline.run_batch(["a", "b", "c"], on_failed="skip")
    assert sorted(seen) == [("a", False), ("c", False)]


async def test_an_uncaught_then_error_still_propagates_with_the_results() -> None:
    for pipeline, mode in (
        (EchoGenerator().chat().then(_then), "include"),  # not listed in catch
        (EchoGenerator().chat().then(_then).catch(_OddError), "raise"),
        (EchoGenerator().chat().then(_then).catch(Exception, exclude=[_OddError]), "skip"),
    ):
        with pytest.raises(_OddError) as caught:
            await pipeline.run_batch(["a", "b", "c"], on_failed=t.cast("FailMode", mode))
        assert [c.last.content for c in caught.value.completed] == ["a", "b", "c"]  # type: ignore[attr-defined]


async def test_iter_batch_fails_a_then_error_alone_too() -> None:
    pipeline = EchoGenerator().chat().then(_then).catch(_OddError)
    got = [
        (i, c.last.content, c.failed)
        async for i, c in pipeline.iter_batch(["a", "b", "c"], on_failed="include")
    ]
    assert sorted(got) == [(0, "a", False), (1, "b", True), (2, "c", False)]
    got = [
        (i, c.last.content, c.failed)
        async for i, c in pipeline.iter_batch(["a", "b", "c"], on_failed="skip")
    ]
    assert sorted(got) == [(0, "a", False), (2, "c", False)]


async def test_a_caught_then_error_fails_one_completion_alone() -> None:
    async def then(completion: t.Any) -> t.Any:
        if completion.generated == "b":
            raise _OddError("bad completion b")
        return None

    pipeline = EchoGenerator().complete("").then(then).catch(_OddError)
    done = await pipeline.run_batch(["a", "b", "c"], on_failed="include")
    assert [(c.generated, c.failed) for c in done] == [("a", False), ("b", True), ("c", False)]


async def test_results_get_their_own_copy_of_the_pipeline_metadata() -> None:
    """A shallow copy let results share mutable metadata with each other and the pipeline."""
    import threading

    lock = threading.Lock()  # cannot be deep-copied: shared, as before

    async def tag(chat: Chat) -> Chat:
        chat.metadata["tags"].append(chat.last.content)
        chat.metadata["nested"]["seen"] += 1
        return chat

    pipeline = EchoGenerator().chat("hi").meta(tags=[], nested={"seen": 0}, lock=lock, n=1)
    pipeline.then(tag)
    chats = await pipeline.run_batch(["a", "b", "c"])
    assert [c.metadata["tags"] for c in chats] == [["a"], ["b"], ["c"]]
    assert [c.metadata["nested"] for c in chats] == [{"seen": 1}] * 3
    assert all(c.metadata["lock"] is lock for c in chats)
    assert pipeline.metadata == {"tags": [], "nested": {"seen": 0}, "lock": lock, "n": 1}
    again = await pipeline.run_many(2)
    assert [c.metadata["tags"] for c in again] == [["hi"], ["hi"]]
