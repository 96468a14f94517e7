"""A parse check with several types names every failing type in its feedback."""

from __future__ import annotations

import pytest
from pydantic import field_validator

import rigging as rg
from rigging.error import ExhaustedMaxRoundsError
from rigging.generator.testing import ScriptedGenerator
from rigging.model import Answer, Question


class UnprintableError(ValueError):
    def __str__(self) -> str:
        raise RuntimeError("no text")


class Score(rg.Model):
    value: int

    @field_validator("value")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 0:
            raise UnprintableError
        return value


def _sent(gen: ScriptedGenerator, call: int) -> str:
    sent = gen.calls[call].input
    assert isinstance(sent, list)
    return str(sent[-1]["content"])


async def test_every_failing_type_is_named_with_its_class_and_tag() -> None:
    gen = ScriptedGenerator(
        responses=["<score>-1</score>", "<answer>a</answer><question>q</question><score>1</score>"]
    )
    pipeline = gen.chat("x").until_parsed_as(Answer, Question, Score, attempt_recovery=True)
    chat = await pipeline.run()
    assert not chat.failed
    sent = _sent(gen, 1)
    assert sent.startswith("<system-error>Answer (<answer>): Failed to find")
    assert "Question (<question>): Failed to find" in sent
    # A raised error names the failing type only, not every type of the check.
    assert "Score (<score>): validating the reply as Score raised RuntimeError: no text" in (sent)


async def test_only_the_failing_type_is_named() -> None:
    gen = ScriptedGenerator(responses=["<answer>a</answer>", "<answer>a</answer><score>1</score>"])
    await gen.chat("x").until_parsed_as(Answer, Score, attempt_recovery=True).run()
    sent = _sent(gen, 1)
    assert "Score (<score>): Failed to find" in sent
    assert "Answer" not in sent


async def test_validation_errors_of_every_type_are_a_validation_error_model() -> None:
    class Num(rg.Model):
        n: int

    gen = ScriptedGenerator(responses=["<num>x</num><score>y</score>", "<num>1</num>"])
    pipeline = gen.chat("x").until_parsed_as(Num, Score, attempt_recovery=True, max_rounds=1)
    chat = await pipeline.catch(on_failed="include").run()
    sent = _sent(gen, 1)
    assert sent.startswith("<validation-error>Num (<num>): 1 validation error for Num")
    assert "Score (<score>): 1 validation error for Score" in sent
    assert chat.failed


async def test_a_completion_check_names_every_failing_type() -> None:
    gen = ScriptedGenerator(responses=["<score>-1</score>"])
    pipeline = gen.complete("x: ").until_parsed_as(Answer, Score, max_rounds=0)
    with pytest.raises(ExhaustedMaxRoundsError) as info:
        await pipeline.run()
    last = info.value.last_error
    assert last is not None
    assert last.startswith("Answer (<answer>): Failed to find '<answer></answer>'")
    assert "Score (<score>): validating the reply as Score raised RuntimeError: no text" in last


async def test_one_type_keeps_its_feedback_text() -> None:
    gen = ScriptedGenerator(responses=["nothing", "<answer>a</answer>"])
    await gen.chat("x").until_parsed_as(Answer, attempt_recovery=True).run()
    assert _sent(gen, 1).startswith(
        "<system-error>Failed to find '<answer></answer>' in message</system-error>"
    )
