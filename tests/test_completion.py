"""Completions: the raw-text pipeline built on the same implementation as chats."""

from __future__ import annotations

import pytest

import rigging as rg
from rigging.completion import Completion, CompletionList, CompletionPipeline
from rigging.error import CompletionExhaustedMaxRoundsError, GenerationError, RestoredError
from rigging.generator import GenerateParams
from rigging.generator.testing import EchoGenerator, FailingGenerator, ScriptedGenerator
from rigging.model import Answer


async def test_run_completes_text_and_fills_the_result() -> None:
    generator = EchoGenerator(prefix=">")
    completion = await generator.complete("Once").with_(max_tokens=3).run()
    assert isinstance(completion, Completion)
    assert (completion.text, completion.generated, completion.all) == ("Once", ">Once", "Once>Once")
    assert len(completion) == 9
    assert completion.stop_reason == "stop"
    assert generator.calls[0].params.max_tokens == 3
    assert completion.generator_id == "base!echo,prefix=>,max_tokens=3"


async def test_run_many_and_run_batch_keep_order_and_item_prompts() -> None:
    pipeline = rg.complete(EchoGenerator(), "P:")
    many = await pipeline.run_many(3)
    assert isinstance(many, CompletionList)
    assert [c.generated for c in many] == ["P:"] * 3
    batch = await pipeline.run_batch(["a", "b"], [GenerateParams(seed=1), GenerateParams(seed=2)])
    assert [(c.text, c.generated) for c in batch] == [("P:a", "P:a"), ("P:b", "P:b")]
    assert [c.params.seed for c in batch if c.params] == [1, 2]
    assert batch.to_json()[0]["text"] == "P:a"
    with pytest.raises(TypeError, match="run_batch items must be str, got int at 1"):
        await pipeline.run_batch(["a", 2])


async def test_until_retries_from_the_same_prompt_while_any_check_rejects() -> None:
    generator = ScriptedGenerator(responses=["short", "longer one", "long enough and ok"])
    pipeline = generator.complete("p").until(lambda text: len(text) < 6)
    pipeline.until(lambda text: "ok" not in text)
    completion = await pipeline.run()
    assert completion.generated == "long enough and ok"
    assert [call.input for call in generator.calls] == ["p", "p", "p"]


async def test_until_use_all_text_sees_the_prompt() -> None:
    seen: list[str] = []

    def check(text: str) -> bool:
        seen.append(text)
        return False

    await EchoGenerator().complete("abc").until(check, use_all_text=True).run()
    assert seen == ["abcabc"]


async def test_until_parsed_as_and_exhaustion_modes() -> None:
    generator = ScriptedGenerator(responses=["nothing", "<answer>1</answer>"])
    completion = await generator.complete("q").until_parsed_as(Answer).run()
    assert completion.generated == "<answer>1</answer>"

    failing = ScriptedGenerator(responses=["x"], cycle=True).complete("q")
    failing.until_parsed_as(Answer, max_rounds=2)
    with pytest.raises(CompletionExhaustedMaxRoundsError, match=r"Exhausted max rounds \(2\)"):
        await failing.run()
    failed = await failing.run(allow_failed=True)
    assert failed.failed
    assert isinstance(failed.error, CompletionExhaustedMaxRoundsError)
    assert failed.error.completion == "x"
    assert failed.generated == "x"
    assert await failing.run_many(2, on_failed="skip") == []


async def test_generator_errors_follow_catch() -> None:
    pipeline = FailingGenerator(fail_on=1).complete("q").catch(GenerationError)
    completion = await pipeline.run(allow_failed=True)
    assert completion.failed
    assert completion.generated == ""
    assert isinstance(completion.error, GenerationError)


async def test_clone_keeps_failure_settings_and_copies_are_independent() -> None:
    base = EchoGenerator().complete("a").catch(GenerationError, on_failed="include").meta(k=[1])
    clone = base.clone()
    assert clone.on_failed == "include"
    assert clone.errors_to_fail_on == {GenerationError}
    clone.metadata["k"].append(2)
    assert base.metadata == {"k": [1]}
    fork = base.fork("b")
    assert (base.text, fork.text, len(fork)) == ("a", "ab", 2)
    assert base.clone(only_text=True).on_failed == "raise"
    assert base.apply().text == "a"
    assert EchoGenerator().complete("hi $x").apply(x="you").text == "hi you"
    assert repr(base).startswith("CompletionPipeline(")


async def test_restart_seeds_with_the_prompt_and_continue_with_everything() -> None:
    completion = await EchoGenerator().complete("abc").run()
    assert isinstance(completion.restart(), CompletionPipeline)
    assert completion.restart().text == "abc"
    assert completion.fork("d").text == "abcd"
    assert completion.continue_("!").text == "abcabc!"
    with pytest.raises(ValueError, match="Cannot restart a completion without an associated"):
        Completion("t", "g").restart()


async def test_meta_returns_a_clone_and_clone_copies() -> None:
    """As in 2.3 (spec 4.11): it mutated and returned the completion itself."""
    first = await EchoGenerator().complete("x").run()
    completion = first.meta(a=1)
    assert completion is not first
    assert (first.metadata, completion.metadata) == ({}, {"a": 1})
    assert completion.uuid != first.uuid
    assert (completion.text, completion.generated) == (first.text, first.generated)
    assert completion.meta(b=[2]).metadata == {"a": 1, "b": [2]}
    assert completion.metadata == {"a": 1}
    clone = completion.clone()
    assert clone.uuid != completion.uuid
    assert clone.metadata == {"a": 1}
    assert completion.clone(only_messages=True).metadata == {}


async def test_json_round_trip_with_failure_and_without_generator() -> None:
    completion = await EchoGenerator().complete("x").run()
    loaded = Completion.model_validate_json(completion.model_dump_json())
    assert loaded == completion
    failed = (
        await FailingGenerator(fail_on=1)
        .complete("q")
        .catch(GenerationError)
        .run(allow_failed=True)
    )
    reloaded = Completion.model_validate_json(failed.model_dump_json())
    assert reloaded == failed
    assert isinstance(reloaded.error, RestoredError)
    bare = Completion("t", "g")
    assert Completion.model_validate_json(bare.model_dump_json()) == bare


async def test_then_map_watch_on_completions() -> None:
    watched: list[Completion] = []

    async def watch(items: list[Completion]) -> None:
        watched.extend(items)

    async def then(item: Completion) -> Completion:
        return item.clone().meta(done=True)

    async def keep_first(items: list[Completion]) -> list[Completion]:
        return items[:1]

    pipeline = EchoGenerator().complete("q").watch(watch).then(then).map(keep_first)
    results = await pipeline.run_many(3)
    assert len(watched) == 3
    assert len(results) == 1
    assert results[0].metadata == {"done": True}


async def test_run_over_completions() -> None:
    results = await EchoGenerator(prefix="a").complete("q").run_over(EchoGenerator(prefix="b"))
    assert [c.generated for c in results] == ["bq", "aq"]
