"""2.3's tool options on today's tools: force, malformed-call recovery, prompt injection."""

from __future__ import annotations

import inspect
import typing as t

import pytest
from _scripted import Call, ScriptedChat
from _scripted import scripted as scripted  # fixture

import rigging as rg
from rigging._pipeline.drivers import FORCE_PROMPT
from rigging.error import MessagesExhaustedMaxRoundsError, UnknownToolError
from rigging.generator import get_generator
from rigging.generator.testing import ScriptedGenerator
from rigging.tool import ToolDescription, ToolResult
from rigging.tool.api import FunctionCall, ToolCall
from rigging.tool.native import NativeCall

CALLED: list[str] = []


def shout(text: str) -> str:
    """Shout the text."""
    CALLED.append(text)
    return text.upper()


class Weather(rg.Tool, name="weather", description="Weather data"):
    def forecast(self, city: str) -> str:
        """Forecast for a city."""
        return f"sunny in {city}"

    async def temperature(self, city: str) -> int:
        """Temperature in a city."""
        return 21


GOOD = '<tool-call name="shout">{"text": "hi"}</tool-call>'
BAD_JSON = '<tool-call name="shout">{text: hi}</tool-call>'


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    CALLED.clear()


# --- force ---------------------------------------------------------------------------------------


async def test_force_with_api_tools_requires_a_call_then_lets_the_model_answer(
    scripted: type[ScriptedChat],
) -> None:
    scripted.script = ["I know it already", Call("shout", {"text": "hi"}), "HI it is"]
    chat = await get_generator("gpt-4o").chat("x").using(shout, force=True).run()
    assert chat.last.content == "HI it is"
    choices = [seen.params.tool_choice for seen in scripted.seen]
    assert choices == ["required", "required", None]  # released after the tool round
    reminder = scripted.seen[1].messages[-1]
    assert (reminder.role, reminder.content) == ("user", FORCE_PROMPT)
    assert CALLED == ["hi"]


async def test_a_tool_choice_is_released_after_the_first_tool_round(
    scripted: type[ScriptedChat],
) -> None:
    choice = {"type": "function", "function": {"name": "shout"}}
    scripted.script = [Call("shout", {"text": "a"}), "done"]
    chat = await get_generator("gpt-4o").chat("x").using(shout, choice=choice).run()
    assert chat.last.content == "done"
    assert [seen.params.tool_choice for seen in scripted.seen] == [choice, None]


async def test_force_with_native_tools_re_asks_and_keeps_the_dialog() -> None:
    gen = ScriptedGenerator(responses=["no tools needed", GOOD, "final"])
    chat = await gen.chat("x").using_native_tools(shout, force=True).run()
    assert chat.last.content == "final"
    contents = [m.content for m in chat.messages[1:]]
    assert contents[:3] == ["x", "no tools needed", FORCE_PROMPT]
    assert contents[-1] == '<tool-result name="shout">HI</tool-result>'


async def test_force_with_drop_dialog_removes_the_refusal_once_a_tool_was_called() -> None:
    gen = ScriptedGenerator(responses=["no tools needed", GOOD, "final"])
    pipeline = gen.chat("x").using_native_tools(shout, force=True, drop_dialog=True)
    chat = await pipeline.run()
    assert [m.content for m in chat.messages[1:]] == [
        "x",
        GOOD,
        '<tool-result name="shout">HI</tool-result>',
    ]
    assert gen.calls[1].input[-1]["content"] == FORCE_PROMPT  # type: ignore[index]


async def test_force_runs_out_of_rounds_loudly() -> None:
    gen = ScriptedGenerator(responses=["no", "still no", "never"])
    pipeline = gen.chat("x").using_native_tools(shout, force=True, max_rounds=2)
    with pytest.raises(MessagesExhaustedMaxRoundsError) as info:
        await pipeline.run()
    assert info.value.max_rounds == 2
    assert len(gen.calls) == 3
    once = ScriptedGenerator(responses=["no"])
    failed = (
        await once.chat("x")
        .using_native_tools(shout, force=True, max_rounds=0)
        .run(allow_failed=True)
    )
    assert failed.failed
    assert isinstance(failed.error, MessagesExhaustedMaxRoundsError)


async def test_without_force_a_plain_answer_is_final() -> None:
    gen = ScriptedGenerator(responses=["plain"])
    chat = await gen.chat("x").using_native_tools(shout).run()
    assert chat.last.content == "plain"


# --- malformed native calls ------------------------------------------------------------------


async def test_malformed_call_is_answered_with_the_error_by_default() -> None:
    gen = ScriptedGenerator(responses=[BAD_JSON, GOOD, "final"])
    chat = await gen.chat("x").using_native_tools(shout).run()
    contents = [m.content for m in chat.messages]
    assert BAD_JSON in contents
    assert any("not valid JSON" in c for c in contents)
    assert chat.last.content == "final"


async def test_malformed_call_dropped_after_recovery_with_drop_dialog() -> None:
    gen = ScriptedGenerator(responses=[BAD_JSON, GOOD, "final"])
    chat = await gen.chat("x").using_native_tools(shout, drop_dialog=True).run()
    assert BAD_JSON not in [m.content for m in chat.messages]
    assert not any("not valid JSON" in m.content for m in chat.messages)
    second = gen.calls[1].input
    assert isinstance(second, list)
    assert "not valid JSON" in second[-1]["content"]  # the model did see the error


async def test_malformed_call_without_recovery_regenerates_and_runs_nothing() -> None:
    mixed = GOOD + '<tool-call name="ghost">{}</tool-call>'
    gen = ScriptedGenerator(responses=[mixed, GOOD, "final"])
    chat = await gen.chat("x").using_native_tools(shout, attempt_recovery=False).run()
    assert CALLED == ["hi"]  # the valid call of the malformed turn did not run
    second = gen.calls[1].input
    assert isinstance(second, list)
    assert second == gen.calls[0].input
    assert mixed not in [m.content for m in chat.messages]


async def test_malformed_calls_exhaust_max_rounds() -> None:
    gen = ScriptedGenerator(responses=[BAD_JSON] * 3)
    with pytest.raises(MessagesExhaustedMaxRoundsError):
        await gen.chat("x").using_native_tools(shout, max_rounds=2).run()
    assert len(gen.calls) == 3


def test_using_bounds_are_checked() -> None:
    pipeline = ScriptedGenerator(responses=[]).chat("x")
    with pytest.raises(ValueError, match=r"max_rounds must be from 0 to 1,000,000, got -1"):
        pipeline.using(shout, max_rounds=-1)
    with pytest.raises(ValueError, match=r"choice= applies to API tools only"):
        pipeline.using(shout, choice="required", mode="native")


# --- prompt injection and fixed modes --------------------------------------------------------


async def test_inject_prompt_toggles_the_tool_description() -> None:
    native = (
        ScriptedGenerator(responses=[]).chat("x").using_native_tools(shout, inject_prompt=False)
    )
    assert [m.role for m in native.chat.messages] == ["user"]
    api = ScriptedGenerator(responses=[]).chat("x").using_api_tools(shout)
    assert [m.role for m in api.chat.messages] == ["user"]
    assert api.params is not None
    assert api.params.tools is not None
    described = (
        ScriptedGenerator(responses=[]).chat("x").using(shout, mode="api", inject_prompt=True)
    )
    assert '<tool name="shout">' in described.chat.messages[0].content


def test_using_native_then_api_refuses_to_mix() -> None:
    pipeline = ScriptedGenerator(responses=[]).chat("x").using_native_tools(shout)
    with pytest.raises(ValueError, match="Cannot mix API and native tools"):
        pipeline.using_api_tools(Weather())


def test_chat_inject_tool_prompt() -> None:
    chat = rg.Chat([rg.Message("system", "Be brief."), rg.Message("user", "hi")])
    system = chat.inject_tool_prompt([Weather()])
    assert system.content.startswith("Be brief.\n\n# Tools")
    assert '<tool name="weather_forecast">' in system.content


# --- Tool / ApiTool surface ------------------------------------------------------------------


def test_tool_execute_and_call_outside_a_pipeline() -> None:
    weather = Weather()
    api_call = ToolCall(
        id="1", function=FunctionCall(name="weather_forecast", arguments='{"city": "Oslo"}')
    )
    assert weather.execute(api_call) == ToolResult("weather", "forecast", "sunny in Oslo")
    assert weather(NativeCall("temperature", '{"city": "Oslo"}')).content == "21"
    unknown = weather(NativeCall("rain", "{}"))
    assert unknown.error
    assert "no tool named 'rain'" in str(unknown)
    bad = weather(NativeCall("forecast", "{}"))
    assert bad.error
    assert "Field required" in bad.content
    with pytest.raises(TypeError, match="cannot execute int"):
        weather.execute(3)


async def test_tool_execute_inside_a_running_loop_closes_the_coroutine_it_cannot_run() -> None:
    made: list[t.Coroutine[t.Any, t.Any, str]] = []

    async def later() -> str:
        return "never"

    class Lazy(rg.Tool, name="lazy", description="Hands back a coroutine"):
        def answer(self) -> t.Any:
            """Answer later."""
            made.append(later())
            return made[-1]

    result = Lazy().execute(NativeCall("answer", "{}"))  # blocking is refused here
    assert result.error
    assert "cannot block inside a running event loop" in str(result)
    assert inspect.getcoroutinestate(made[0]) == inspect.CORO_CLOSED  # no "never awaited"


def test_tool_get_description() -> None:
    description = Weather().get_description()
    assert isinstance(description, ToolDescription)
    assert (description.name, description.description) == ("weather", "Weather data")
    assert [f.name for f in description.functions] == ["weather_forecast", "weather_temperature"]
    assert '<tool name="weather_temperature">' in str(description)


async def test_api_tool_schema_name_description_and_unknown_call() -> None:
    tool = rg.ApiTool(shout)
    assert (tool.name, tool.description) == ("shout", "Shout the text.")
    assert tool.schema == tool.parameters_schema
    assert tool.schema["properties"] == {"text": {"type": "string"}}
    call = ToolCall(id="1", function=FunctionCall(name="other", arguments="{}"))
    with pytest.raises(UnknownToolError) as info:
        await tool.execute(call)
    assert info.value.tool_name == "other"
    with pytest.raises(ValueError, match="tool name"):
        tool.name = "bad name"


# --- 2.3 custom generators -------------------------------------------------------------------


class _Custom23(rg.Generator):
    """A generator written for 2.3: it reads ``params.tools`` and answers with API tool calls
    (it declares nothing about tools, as 2.3 generators could not)."""

    async def generate_messages(
        self, messages: t.Sequence[t.Sequence[rg.Message]], params: t.Sequence[rg.GenerateParams]
    ) -> t.Sequence[rg.GeneratedMessage]:
        out = []
        for conversation, item in zip(messages, params, strict=True):
            last = conversation[-1]
            if last.role == "tool":
                out.append(rg.GeneratedMessage.from_text(f"the tool said {last.content}"))
                continue
            names = [tool.function.name for tool in item.tools or []]
            assert names == ["shout"], "the tools reach the provider through the API"
            function = FunctionCall(name="shout", arguments='{"text": "hi"}')
            call = ToolCall(id="c1", function=function)
            message = rg.Message("assistant", "", tool_calls=[call])
            out.append(rg.GeneratedMessage(message=message, stop_reason="tool_calls"))
        return out


async def test_a_23_custom_generator_gets_function_tools_through_the_api() -> None:
    """2.3 offered functions as API tools on any generator; a custom generator that calls
    them must still have its calls run (native mode ignored them)."""
    assert _Custom23.supports_api_tools
    chat = await _Custom23(model="m").chat("shout hi").using(shout).run()
    assert CALLED == ["hi"]
    assert [m.role for m in chat.all] == ["user", "assistant", "tool", "assistant"]
    assert chat.last.content == "the tool said HI"
    assert "tool-call" not in chat.conversation  # no native tool prompt was injected
    # The shipped text-only generators keep native tools.
    assert not ScriptedGenerator.supports_api_tools
    assert not rg.get_generator("http!m").supports_api_tools
