"""2.3 user programs that must keep running: tools, pipeline views, module names."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Annotated

import pytest

import rigging as rg
from rigging.generator.testing import ScriptedGenerator


class Forecast(rg.Tool):
    """A 2.3-style tool whose name and description are properties."""

    @property
    def name(self) -> str:  # type: ignore[override]
        return "forecast"

    @property
    def description(self) -> str:  # type: ignore[override]
        return "Weather forecasts"

    def city(self, city: Annotated[str, "The city name"]) -> str:
        """The forecast for a city."""
        return f"sunny in {city}"


async def test_a_tool_may_give_its_name_and_description_as_properties() -> None:
    description = Forecast().get_description()
    assert (description.name, description.description) == ("forecast", "Weather forecasts")
    assert [f.name for f in description.functions] == ["forecast_city"]
    generator = ScriptedGenerator(
        responses=['<tool-call name="forecast_city">{"city": "Oslo"}</tool-call>', "done"]
    )
    chat = await generator.chat("weather?").using(Forecast()).run()
    assert "sunny in Oslo" in chat.conversation
    assert chat.last.content == "done"


def test_a_property_name_is_still_checked_when_the_tool_is_used() -> None:
    class Blank(rg.Tool, description="d"):
        @property
        def name(self) -> str:  # type: ignore[override]
            return " "

        def go(self) -> str:
            return "x"

    with pytest.raises(TypeError, match=r"Blank needs a non-empty 'name'"):
        Blank().get_description()


async def _watch(chats: list[rg.Chat]) -> None:
    pass


async def _watch_completions(completions: list[rg.Completion]) -> None:
    pass


def test_changing_a_pipeline_setting_in_place_is_refused_not_lost() -> None:
    """2.3's pipelines held these lists and sets themselves; here they are copies, so an
    in-place change (2.3 code appending a callback) raises instead of doing nothing."""
    import copy
    import pickle

    pipeline = ScriptedGenerator(responses=["x"]).chat("q").watch(_watch).catch(ValueError)
    changes: list[tuple[Callable[[], object], str, str]] = [
        (lambda: pipeline.watch_callbacks.append(_watch), "watch_callbacks", "watch"),
        (lambda: pipeline.then_callbacks.extend([_watch]), "then_callbacks", "then"),
        (lambda: pipeline.map_callbacks.insert(0, _watch), "map_callbacks", "map"),
        (lambda: pipeline.until_types.append(rg.model.Answer), "until_types", "until_parsed_as"),
        (lambda: pipeline.errors_to_fail_on.add(KeyError), "errors_to_fail_on", "catch"),
        (lambda: pipeline.errors_to_exclude.update({KeyError}), "errors_to_exclude", "catch"),
        (lambda: pipeline.tool_handlers.clear(), "tool_handlers", "add_tool_handler"),
    ]
    for change, setting, use in changes:
        with pytest.raises(TypeError, match=rf"pipeline\.{setting} is a read-only.*use {use}\("):
            change()
    completion = ScriptedGenerator(responses=["x"]).complete("q").watch(_watch_completions)
    with pytest.raises(TypeError, match="watch_callbacks is a read-only"):
        completion.watch_callbacks.append(_watch_completions)
    # Reading, comparing and combining work as on a list or a set; copies are plain.
    assert pipeline.watch_callbacks == [_watch]
    assert pipeline.errors_to_fail_on == {ValueError}
    assert [*pipeline.watch_callbacks, _watch] == [_watch, _watch]
    assert type(copy.copy(pipeline.watch_callbacks)) is list
    assert type(copy.deepcopy(pipeline.errors_to_fail_on)) is set
    assert pickle.loads(pickle.dumps(pipeline.then_callbacks)) == []
    assert pipeline.watch_callbacks == [_watch]  # nothing changed


def test_2_3_module_names_still_import() -> None:
    """Names the reference lists for these modules (spec section 1) import from them."""
    from rigging.generator import get_transformers_lazy, get_vllm_lazy, registry
    from rigging.generator.base import (
        LazyGenerator,
        get_generator,
        get_identifier,
        register_generator,
        trace_messages,
        trace_str,
    )
    from rigging.logging import trace_messages as logging_trace_messages
    from rigging.prompt import P, R

    assert get_generator is registry.get_generator
    assert (get_identifier, register_generator) == (
        registry.get_identifier,
        registry.register_generator,
    )
    assert LazyGenerator is registry.LazyGenerator
    assert trace_messages is logging_trace_messages
    assert callable(trace_str)
    assert (repr(P), repr(R)) == ("~P", "~R")
    for loader, extra in ((get_vllm_lazy, "vllm"), (get_transformers_lazy, "transformers")):
        if importlib.util.find_spec(extra) is None:
            with pytest.raises(ImportError, match=rf"rigging\[{extra}\]"):
                loader()
        else:
            assert issubclass(loader(), rg.Generator)
    with pytest.raises(ImportError, match="cannot import name 'nothing_here'"):
        from rigging.generator.base import nothing_here  # noqa: F401
