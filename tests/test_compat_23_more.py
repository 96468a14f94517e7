# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""2.3 user programs that must keep running: tools, pipeline views, module names."""

from __future__ import annotations

import importlib.util
from collections.abc import Awaitable, Callable
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


# --- 2.3 pipeline attributes: until_callbacks, tools, tool flags, on_failed ---------------------


def _never(message: rg.Message) -> tuple[bool, list[rg.Message]]:
    return False, [message]


def _text_ok(text: str) -> bool:
    return False


def test_chat_until_callbacks_are_2_3_tuples_with_the_parse_check_callable() -> None:
    pipeline = ScriptedGenerator(responses=["x"]).chat("q")
    assert pipeline.until_callbacks == []
    assert pipeline.until_types == []
    pipeline.until(_never, attempt_recovery=False, max_rounds=2)
    pipeline.until_parsed_as(rg.model.Answer, attempt_recovery=True, max_rounds=4)
    assert pipeline.until_types == [rg.model.Answer]
    # 2.3 code unpacks the four fields and reads max_rounds.
    rows = [(c, recover, drop, rounds) for c, recover, drop, rounds in pipeline.until_callbacks]
    assert rows[0] == (_never, False, True, 2)
    check, recover, drop, rounds = rows[1]
    assert (recover, drop, rounds) == (True, True, 4)
    assert max(rounds for *_, rounds in pipeline.until_callbacks) == 4
    # The parse check's entry runs the same check as the pipeline.
    good = rg.Message("assistant", "<answer>42</answer>")
    assert check(good) == (False, [good])
    again, feedback = check(rg.Message("assistant", "no tags"))
    assert again is True
    assert len(feedback) == 2
    assert "answer" in feedback[1].content
    with pytest.raises(TypeError, match=r"until_callbacks is a read-only.*use until\("):
        pipeline.until_callbacks.append((_never, True, True, 1))


def test_completion_until_callbacks_are_2_3_tuples() -> None:
    pipeline = ScriptedGenerator(responses=["x"]).complete("q")
    assert pipeline.until_callbacks == []
    pipeline.until(_text_ok, use_all_text=True, max_rounds=1).until_parsed_as(rg.model.Answer)
    (first, all_text, rounds), (check, parse_all, parse_rounds) = pipeline.until_callbacks
    assert (first, all_text, rounds) == (_text_ok, True, 1)
    assert (parse_all, parse_rounds) == (False, 5)
    assert check("<answer>1</answer>") is False  # True asks for another generation
    assert check("nothing") is True
    with pytest.raises(TypeError, match=r"until_callbacks is a read-only"):
        pipeline.until_callbacks.clear()


def add(x: int, y: int) -> int:
    """Add two numbers."""
    return x + y


def test_tool_lists_and_flags_of_a_pipeline_read_as_in_2_3() -> None:
    fresh = ScriptedGenerator(responses=["x"]).chat("q")
    assert (fresh.api_tools, fresh.native_tools) == ([], [])
    assert (fresh.inject_native_tool_prompt, fresh.force_native_tool) == (True, False)
    native = ScriptedGenerator(responses=["x"]).chat("q").using_native_tools(add, force=True)
    assert [tool.name for tool in native.native_tools] == ["add"]
    assert native.api_tools == []
    assert (native.inject_native_tool_prompt, native.force_native_tool) == (True, True)
    quiet = ScriptedGenerator(responses=["x"]).chat("q")
    quiet.using_native_tools(add, inject_prompt=False)
    assert quiet.inject_native_tool_prompt is False  # the tools were not described
    api = ScriptedGenerator(responses=["x"]).chat("q").using(add, Forecast(), mode="api")
    assert [tool.name for tool in api.api_tools] == ["add", "forecast_city"]
    assert (api.native_tools, api.force_native_tool) == ([], False)
    assert api.clone().api_tools == api.api_tools
    with pytest.raises(TypeError, match=r"api_tools is a read-only.*use using\("):
        api.api_tools.append(api.api_tools[0])
    with pytest.raises(TypeError, match=r"native_tools is a read-only.*use using\("):
        native.native_tools.pop()


@pytest.mark.parametrize("kind", ["chat", "completion"])
async def test_on_failed_is_assignable_as_in_2_3(kind: str) -> None:
    generator = ScriptedGenerator(responses=["no answer"] * 4)
    pipeline: rg.ChatPipeline | rg.CompletionPipeline = (
        generator.chat("q") if kind == "chat" else generator.complete("q")
    )
    pipeline.until_parsed_as(rg.model.Answer, max_rounds=0)
    before = pipeline.clone()
    pipeline.on_failed = "include"
    assert pipeline.on_failed == "include"
    result = await pipeline.run()  # the exhausted item comes back failed instead of raising
    assert result.failed
    assert (pipeline.clone().on_failed, pipeline.fork("more").on_failed) == ("include", "include")
    assert before.on_failed == "raise"  # a copy made before is its own pipeline
    bare = (
        pipeline.clone(only_messages=True)
        if isinstance(pipeline, rg.ChatPipeline)
        else pipeline.clone(only_text=True)
    )
    assert bare.on_failed == "raise"  # as the other failure settings, left out
    with pytest.raises(ValueError, match="on_failed must be one of") as assigned:
        pipeline.on_failed = "ignore"  # type: ignore[assignment]
    with pytest.raises(ValueError, match="on_failed must be one of") as caught:
        pipeline.catch(on_failed="ignore")  # type: ignore[arg-type]
    assert str(assigned.value) == str(caught.value)
    assert pipeline.on_failed == "include"


# --- Prompt.watch_callbacks is a list, as in 2.3 ------------------------------------------------


async def test_prompt_watch_callbacks_is_a_list_that_takes_effect() -> None:
    seen: list[int] = []

    async def watcher(chats: list[rg.Chat]) -> None:
        seen.append(len(chats))

    generator = ScriptedGenerator(responses=["<str>a</str>", "<str>b</str>"])

    @generator.prompt
    def say() -> str:
        """Say something."""

    assert say.watch_callbacks == []
    assert say.watch(watcher).watch_callbacks == [watcher]
    other = say.clone()
    other.watch_callbacks.append(_watch)  # a clone has its own list
    assert say.watch_callbacks == [watcher]
    say.watch_callbacks.clear()
    say.watch_callbacks.append(watcher)  # an in-place change is what the next call uses
    assert await say() == "a"
    assert seen == [1]
    given: list[Callable[..., Awaitable[object]]] = [watcher]
    assert rg.Prompt(watch_callbacks=given).watch_callbacks is given  # a dataclass field
    assert rg.Prompt(watch_callbacks=(watcher,)).watch_callbacks == [watcher]  # type: ignore[arg-type]


# --- error types 2.3 code catches ---------------------------------------------------------------


def test_binding_a_prompt_to_a_bad_target_is_a_value_and_type_error() -> None:
    @rg.prompt
    def echo(word: str) -> rg.Chat:
        """Say {{ word }}."""

    for error in (ValueError, TypeError, rg.error.RiggingError):
        with pytest.raises(error, match=r"cannot bind a prompt to int"):
            echo.bind(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"cannot bind a prompt to list"):
        echo.bind_many([])  # type: ignore[arg-type]


def test_a_tool_with_a_blank_name_is_a_value_and_type_error() -> None:
    for error in (ValueError, TypeError):
        with pytest.raises(error, match=r"Blank needs a non-empty 'name'"):

            class Blank(rg.Tool, name=" ", description="d"):
                def go(self) -> str:
                    return "x"

    with pytest.raises(ValueError, match=r"Empty needs a non-empty 'description'"):

        class Empty(rg.Tool, name="empty", description=""):
            def go(self) -> str:
                return "x"

    with pytest.raises(TypeError, match=r"Unnamed needs a non-empty 'name'") as missing:

        class Unnamed(rg.Tool, description="d"):
            def go(self) -> str:
                return "x"

    assert not isinstance(missing.value, ValueError)  # a missing name is a TypeError, as in 2.3


def test_one_from_text_fail_on_many_is_also_a_type_error() -> None:
    text = "<answer>a</answer> <answer>b</answer>"
    for error in (TypeError, ValueError, rg.error.MultipleModelsError):
        with pytest.raises(error, match="found 2"):
            rg.model.Answer.one_from_text(text, fail_on_many=True)
