# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""The deprecated ChatPipeline.run_prompt* wrappers still work and say what to use instead."""

import pytest

import rigging as rg
from rigging.generator.testing import ScriptedGenerator


@rg.prompt
async def capital(country: str) -> str:
    """What is the capital of {{ country }}?"""


async def test_run_prompt_warns_and_returns_the_typed_output() -> None:
    pipeline = ScriptedGenerator(model="s", responses=["<str>Paris</str>"]).chat()
    with pytest.warns(DeprecationWarning, match=r"run_prompt\(\) is deprecated; use prompt.bind"):
        result = await pipeline.run_prompt(capital, "France")
    assert result == "Paris"


async def test_run_prompt_many_runs_count_times() -> None:
    pipeline = ScriptedGenerator(model="s", responses=["<str>A</str>", "<str>B</str>"]).chat()
    with pytest.warns(DeprecationWarning, match="bind_many"):
        results = await pipeline.run_prompt_many(capital, 2, "France")
    assert results == ["A", "B"]


async def test_run_prompt_over_includes_the_pipeline_generator() -> None:
    pipeline = ScriptedGenerator(model="own", responses=["<str>Own</str>"]).chat()
    other = ScriptedGenerator(model="other", responses=["<str>Other</str>"])
    with pytest.warns(DeprecationWarning, match="bind_over"):
        results = await pipeline.run_prompt_over(capital, [other], "France")
    assert sorted(results) == ["Other", "Own"]
