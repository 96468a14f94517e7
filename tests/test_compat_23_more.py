# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""2.3 user programs that must keep running: tools, pipeline views, module names."""

from __future__ import annotations

import importlib.util
import typing as t
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


# --- assigning 2.3 pipeline attributes ------------------------------------------------------------


async def _then(result: t.Any) -> None:
    pass


def _pipeline(kind: str, responses: list[str]) -> rg.ChatPipeline | rg.CompletionPipeline:
    generator = ScriptedGenerator(responses=responses)
    return generator.chat("q") if kind == "chat" else generator.complete("q")


@pytest.mark.parametrize("kind", ["chat", "completion"])
async def test_pipeline_settings_are_assignable_as_in_2_3(kind: str) -> None:
    seen: list[str] = []

    async def then(result: t.Any) -> None:
        seen.append("then")

    async def map_(results: list[t.Any]) -> list[t.Any]:
        seen.append("map")
        return results

    async def watch(results: list[t.Any]) -> None:
        seen.append("watch")

    pipeline = _pipeline(kind, ["no", "<answer>1</answer>"] * 3)
    pipeline.catch(KeyError).then(_then)
    before = pipeline.clone()
    pipeline.metadata = {"run": 1}
    pipeline.params = rg.GenerateParams(temperature=0.5)
    pipeline.errors_to_fail_on = [ValueError, ValueError]
    pipeline.errors_to_exclude = {OSError}
    pipeline.then_callbacks = [then]
    pipeline.map_callbacks = (map_,)
    pipeline.watch_callbacks = [watch]
    pipeline.until_types = [rg.model.Answer]  # adds the parse check, as until_parsed_as
    pipeline.generator = ScriptedGenerator(responses=["no", "<answer>2</answer>"])
    result = await pipeline.run()
    assert result.metadata["run"] == 1
    assert sorted(seen) == ["map", "then", "watch"]
    assert (result.params.temperature if result.params else None) == 0.5
    assert "<answer>2</answer>" in str(result)  # the assigned generator, its second reply
    fork = pipeline.fork("more")
    for copy in (pipeline, pipeline.clone(), fork):
        assert copy.metadata == {"run": 1}
        assert (copy.errors_to_fail_on, copy.errors_to_exclude) == ({ValueError}, {OSError})
        assert (copy.then_callbacks, copy.map_callbacks) == ([then], [map_])
        assert (copy.watch_callbacks, copy.until_types) == ([watch], [rg.model.Answer])
    assert fork.metadata is not pipeline.metadata
    assert (before.metadata, before.params, before.errors_to_fail_on) == ({}, None, {KeyError})
    assert (before.then_callbacks, before.until_callbacks) == ([_then], [])
    pipeline.until_types = []  # no types left: the parse check goes too
    assert (pipeline.until_types, pipeline.until_callbacks) == ([], [])


def _sync(result: object) -> None:
    pass


@pytest.mark.parametrize("kind", ["chat", "completion"])
def test_an_assigned_setting_is_checked_as_its_method_checks_it(kind: str) -> None:
    pipeline = _pipeline(kind, ["x"])
    refused: list[tuple[str, object, type[Exception], str]] = [
        ("metadata", ["a"], TypeError, "metadata takes a dict"),
        ("metadata", {1: "a"}, TypeError, "keys must be str, got 1"),
        ("params", {"temperature": 0}, TypeError, "params takes GenerateParams or None"),
        ("errors_to_fail_on", [ValueError()], TypeError, "an instance: pass ValueError"),
        ("errors_to_exclude", "KeyError", TypeError, "list of exception classes"),
        ("then_callbacks", [_sync], TypeError, "then callback must be an async function"),
        ("map_callbacks", _watch, TypeError, "takes a list of async callables"),
        ("watch_callbacks", [_sync], TypeError, "watch callback must be an async function"),
        ("until_types", [str], TypeError, "takes Model classes, not <class 'str'>"),
        ("generator", "openai/gpt-4o", TypeError, r"use rigging\.get_generator"),
    ]
    for name, value, error, message in refused:
        with pytest.raises(error, match=message):
            setattr(pipeline, name, value)
    with pytest.raises(TypeError, match="then callback must be an async function"):
        pipeline.then(_sync)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="params takes GenerateParams or None"):
        pipeline.with_({"temperature": 0})  # type: ignore[arg-type]
    assert (pipeline.metadata, pipeline.params, pipeline.then_callbacks) == ({}, None, [])
    assert (pipeline.errors_to_fail_on, pipeline.until_types) == (set(), [])


def _stop(message: rg.Message) -> tuple[bool, list[rg.Message]]:
    return False, [message]


async def test_chat_until_callbacks_are_assignable_as_2_3_tuples() -> None:
    pipeline = ScriptedGenerator(responses=["x"]).chat("q").until(_never, max_rounds=2)
    pipeline.until_parsed_as(rg.model.Answer)
    pipeline.until_callbacks = pipeline.until_callbacks[1:]  # the parse check stays
    assert [rounds for *_, rounds in pipeline.until_callbacks] == [5]
    pipeline.until_callbacks = [(_stop, False, True, 0), *pipeline.until_callbacks]
    assert next(c for c, *_ in pipeline.until_callbacks) is _stop
    clone = pipeline.clone()
    pipeline.until_callbacks = []
    assert (pipeline.until_callbacks, len(clone.until_callbacks)) == ([], 2)
    pipeline.until_callbacks = [(_stop, False, True, 1)]
    assert (await pipeline.run()).last.content == "x"  # the assigned check ran and passed
    other = ScriptedGenerator(responses=["x"]).chat("q").until_parsed_as(rg.model.Question)
    with pytest.raises(AttributeError, match=r"parse check at position 0.*until_parsed_as\("):
        pipeline.until_callbacks = other.until_callbacks  # checks types this one lacks
    with pytest.raises(ValueError, match="max_rounds"):
        pipeline.until_callbacks = [(_stop, False, True, -1)]
    with pytest.raises(TypeError, match=r"takes \(callback, attempt_recovery.*position 0"):
        pipeline.until_callbacks = [(_stop, False)]  # type: ignore[list-item]
    assert [c for c, *_ in pipeline.until_callbacks] == [_stop]


def test_completion_until_callbacks_are_assignable_as_2_3_tuples() -> None:
    pipeline = ScriptedGenerator(responses=["x"]).complete("q").until_parsed_as(rg.model.Answer)
    pipeline.until_callbacks = [(_text_ok, True, 1), *pipeline.until_callbacks]
    (first, all_text, rounds), (_, _, parse_rounds) = pipeline.until_callbacks
    assert (first, all_text, rounds, parse_rounds) == (_text_ok, True, 1, 5)
    with pytest.raises(TypeError, match=r"until callback .* must be a plain"):
        pipeline.until_callbacks = [(_watch, False, 1)]  # type: ignore[list-item]


def test_tool_attributes_name_the_method_to_use_when_assigned() -> None:
    pipeline = ScriptedGenerator(responses=["x"]).chat("q").using_native_tools(add)
    refused = [
        ("api_tools", [], r"using\(\.\.\., mode='api'\)"),
        ("native_tools", [], r"using_native_tools\(\.\.\.\)"),
        ("inject_native_tool_prompt", False, r"using_native_tools\(\.\.\., inject_prompt="),
        ("force_native_tool", True, r"using_native_tools\(\.\.\., force="),
    ]
    for name, value, use in refused:
        with pytest.raises(AttributeError, match=rf"pipeline\.{name} cannot be assigned.*{use}"):
            setattr(pipeline, name, value)
    assert [tool.name for tool in pipeline.native_tools] == ["add"]


async def test_the_staged_chat_and_text_are_used_as_2_3_code_changes_them() -> None:
    pipeline = ScriptedGenerator(responses=["a", "b", "c"]).chat("q")
    pipeline.chat.generated.append(rg.Message("assistant", "earlier"))  # where 2.3 added
    pipeline.add("next")  # joins the generated list, as in 2.3
    assert [m.content for m in pipeline.chat.generated] == ["earlier", "next"]
    chat = await pipeline.run()
    assert [m.content for m in chat.messages] == ["q", "earlier", "next"]
    pipeline.chat = rg.Chat([rg.Message("user", "fresh")])
    assert [m.content for m in (await pipeline.run()).messages] == ["fresh"]
    with pytest.raises(TypeError, match=r"pipeline\.chat takes a Chat, got list"):
        pipeline.chat = [rg.Message("user", "x")]  # type: ignore[assignment]
    completion = ScriptedGenerator(responses=["x"]).complete("q")
    completion.text += " more"
    assert (await completion.run()).text == "q more"
    with pytest.raises(TypeError, match=r"pipeline\.text takes a str, got bytes"):
        completion.text = b"q"  # type: ignore[assignment]


async def test_changing_a_generators_watch_callbacks_in_place_takes_effect() -> None:
    seen: list[int] = []

    async def watcher(chats: list[rg.Chat]) -> None:
        seen.append(len(chats))

    generator = ScriptedGenerator(responses=["x"])
    generator.watch_callbacks.append(watcher)
    assert generator.watch_callbacks == [watcher]
    await generator.chat("q").run()
    assert seen == [1]
    generator.watch_callbacks.clear()
    assert generator.chat("q").watch_callbacks == []
