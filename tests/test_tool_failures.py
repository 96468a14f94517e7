"""Tools that fail in unusual ways, and tool calls with a time limit.

A tool is user code: whatever it raises, short of an interrupt or the run's own
cancellation, is its call's error (an ``Error: ...`` answer the model reads), never the
end of the run or of another item of a batch. A call past its ``timeout=`` is cancelled
(async tools) and answered with an error naming the tool and the limit.

Offline: `_Caller` answers each item by calling the tool its input names, then ``done``.
"""

from __future__ import annotations

import asyncio
import gc
import math
import time
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import pytest

import rigging as rg
from rigging.generator import GeneratedMessage, GenerateParams, Generator
from rigging.generator.testing import EchoGenerator
from rigging.message import Message
from rigging.tool import ApiTool, Tool, ToolType
from rigging.tool.api import FunctionCall, ToolCall, run_call

MODES: list[ToolType] = ["api", "native"]


class _Caller(Generator):
    """Calls the tool(s) named by the item's input (``"a+b"``: two calls), then says done."""

    supports_api_tools: ClassVar[bool] = True

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        return [_reply(list(conversation), self.api) for conversation in messages]

    @property
    def api(self) -> bool:
        return self.model == "api"


def _reply(conversation: list[Message], api: bool) -> GeneratedMessage:
    if conversation[-1].role == "tool" or "<tool-result" in conversation[-1].content:
        return GeneratedMessage.from_text("done", stop_reason="stop")
    names = conversation[-1].content.split("+")
    if not api:
        text = "".join(f'<tool-call name="{name}">{{}}</tool-call>' for name in names)
        return GeneratedMessage.from_text(text, stop_reason="stop")
    calls = [
        ToolCall(id=f"c{i}", function=FunctionCall(name=name, arguments="{}"))
        for i, name in enumerate(names)
    ]
    return GeneratedMessage(message=Message("assistant", "", tool_calls=calls))


def _results(chat: rg.Chat) -> list[str]:
    """The answers the tools gave, in call order (API: tool messages; native: elements)."""
    tool_messages = [m.content for m in chat.all if m.role == "tool"]
    if tool_messages:
        return tool_messages
    [answer] = [m.content for m in chat.all if m.role == "user" and "<tool-result" in m.content]
    return [part.split(">", 1)[1] for part in answer.split("</tool-result>") if part]


async def ok() -> str:
    """Answer ok."""
    return "ok"


class _Stray(BaseException):
    """A `BaseException` of a library's own, neither an interrupt nor a cancellation."""


def _raising(error: Callable[[], BaseException]) -> Callable[[], Any]:
    async def bad() -> str:
        """Fail."""
        raise error()

    return bad


def _sync_stop() -> Callable[[], Any]:
    def bad() -> str:
        """Fail."""
        raise StopIteration("sync")

    return bad


# --- stray BaseExceptions: the call's error, no one else's ------------------------------------

STRAYS: dict[str, tuple[Callable[[], Any], str]] = {
    "GeneratorExit": (_raising(lambda: GeneratorExit("closed")), "GeneratorExit: closed"),
    "own BaseException": (_raising(lambda: _Stray("odd")), "_Stray: odd"),
    "StopIteration in a coroutine": (
        _raising(lambda: StopIteration("async")),
        "RuntimeError: coroutine raised StopIteration",
    ),
    "StopIteration in a sync tool": (_sync_stop(), "RuntimeError: coroutine raised StopIteration"),
    "StopAsyncIteration": (_raising(lambda: StopAsyncIteration("end")), "StopAsyncIteration: end"),
}


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("stray", list(STRAYS))
async def test_a_stray_base_exception_of_a_tool_is_its_error_text(
    mode: ToolType, stray: str
) -> None:
    """GeneratorExit went past ``except Exception`` and ended the whole batch."""
    bad, text = STRAYS[stray]
    pipeline = _Caller(model=mode).chat().using(ok, bad, mode=mode)
    chats = await pipeline.run_batch(["ok", "bad", "ok+bad", "ok"])
    assert [c.failed for c in chats] == [False] * 4
    assert [c.last.content for c in chats] == ["done"] * 4
    assert _results(chats[0]) == ["ok"]
    assert _results(chats[1]) == [f"Error: tool 'bad' raised {text}"]
    assert _results(chats[2]) == ["ok", f"Error: tool 'bad' raised {text}"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_stray_cancelled_error_of_a_tool_is_its_error_text(mode: ToolType) -> None:
    """A tool's own CancelledError (a library's timeout) cancelled the whole run on 3.10 and
    failed its chat on 3.11+; it is the call's error, like any other the tool raises."""
    bad = _raising(asyncio.CancelledError)
    pipeline = _Caller(model=mode).chat("ok+bad").using(ok, bad, mode=mode)
    chats = await pipeline.run_many(3)
    expected = "Error: tool 'bad' raised CancelledError although the run was not cancelled"
    for chat in chats:
        assert not chat.failed
        assert _results(chat) == ["ok", expected]


def test_tool_execute_answers_a_stray_base_exception() -> None:
    class Closer(Tool, name="closer", description="Closes things"):
        def shut(self) -> str:
            """Shut."""
            raise GeneratorExit("shut")

    call = ToolCall(id="c", function=FunctionCall(name="closer_shut", arguments="{}"))
    result = Closer().execute(call)
    assert result.error
    assert str(result) == "Error: tool 'closer_shut' raised GeneratorExit: shut"


@pytest.mark.parametrize("mode", MODES)
async def test_cancelling_the_run_still_cancels_it_and_its_tool_calls(mode: ToolType) -> None:
    started, events = asyncio.Event(), []

    async def wait() -> str:
        """Wait for ever."""
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            events.append("tool cancelled")
            raise
        return "never"

    pipeline = _Caller(model=mode).chat().using(ok, wait, mode=mode)
    run = asyncio.ensure_future(pipeline.run_batch(["ok", "ok+wait", "wait"]))
    await started.wait()
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert events == ["tool cancelled", "tool cancelled"]
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    gc.collect()


# --- timeout= ---------------------------------------------------------------------------------


def _hanging(events: list[str]) -> Callable[[], Any]:
    async def hang() -> str:
        """Wait for an event that is never set."""
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        return "never"

    return hang


TIMED_OUT = "Error: tool 'hang' did not finish within its timeout of 0.05 seconds and was cancelled"


@pytest.mark.parametrize("how", ["using", "using_api_tools", "using_native_tools"])
async def test_a_call_past_its_timeout_is_cancelled_and_answered(how: str) -> None:
    events: list[str] = []
    mode = "native" if how == "using_native_tools" else "api"
    pipeline = _Caller(model=mode).chat()
    tools = (ok, _hanging(events))
    if how == "using":
        pipeline = pipeline.using(*tools, timeout=0.05)
    else:
        pipeline = getattr(pipeline, how)(*tools, timeout=0.05)
    chats = await pipeline.run_batch(["hang", "ok", "ok+hang"])
    assert [c.failed for c in chats] == [False] * 3
    assert [c.last.content for c in chats] == ["done"] * 3
    assert [_results(c) for c in chats] == [[TIMED_OUT], ["ok"], ["ok", TIMED_OUT]]
    assert events == ["cancelled", "cancelled"]


@pytest.mark.parametrize("mode", MODES)
async def test_a_sync_tool_cannot_be_interrupted_and_its_result_counts(mode: ToolType) -> None:
    """A sync tool runs on the event loop: the limit cannot stop it, nor drop its answer."""

    def slow() -> str:
        """Block the event loop for longer than the limit."""
        time.sleep(0.2)
        return "finished late"

    chat = await _Caller(model=mode).chat("slow").using(slow, mode=mode, timeout=0.05).run()
    assert _results(chat) == ["finished late"]


async def test_timeouts_belong_to_the_tools_of_their_using_call() -> None:
    events: list[str] = []
    pipeline = _Caller(model="api").chat("hang+ok").using(_hanging(events), timeout=0.05)
    pipeline = pipeline.using(ok)
    [handler] = pipeline.tool_handlers
    assert handler.timeouts == {"hang": 0.05}  # type: ignore[attr-defined]
    pipeline = pipeline.using(rg.ApiTool(ok, name="ok2"), timeout=3)
    [handler] = pipeline.tool_handlers
    assert handler.timeouts == {"hang": 0.05, "ok2": 3.0}  # type: ignore[attr-defined]
    chat = await pipeline.run()
    assert _results(chat) == [TIMED_OUT, "ok"]


async def test_api_tool_execute_and_run_call_take_a_timeout() -> None:
    events: list[str] = []
    tool = ApiTool(_hanging(events))
    call = ToolCall(id="c", function=FunctionCall(name="hang", arguments="{}"))
    answer = await tool.execute(call, timeout=0.05)
    assert (answer.content, answer.tool_call_id) == (TIMED_OUT, "c")
    assert await run_call(tool, "{}", timeout=0.05) == TIMED_OUT
    assert await run_call(ApiTool(ok), "{}", timeout=0.05) == "ok"
    assert events == ["cancelled", "cancelled"]


@pytest.mark.parametrize(
    ("timeout", "error"),
    [
        (0, ValueError),
        (-1.0, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        ("1", TypeError),
        (True, TypeError),
    ],
)
def test_a_bad_timeout_is_refused(timeout: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="timeout must be"):
        _Caller(model="api").chat().using(ok, timeout=timeout)


def test_timeout_is_an_added_keyword_with_no_limit_by_default() -> None:
    import inspect

    for name in ("using", "using_api_tools", "using_native_tools"):
        parameter = inspect.signature(getattr(rg.ChatPipeline, name)).parameters["timeout"]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        assert parameter.default is None


# --- a tool handler of one's own (and callbacks) raising a stray BaseException ---------------


async def test_a_stray_base_exception_of_a_tool_handler_fails_its_item_alone() -> None:
    """A hook given to `add_tool_handler` answers nothing itself: what it raises is its
    item's failure (as an exception is), not the end of the batch."""

    class Tools:
        max_rounds = 1

        async def __call__(self, message: Message) -> list[Message] | None:
            if message.content == "b":
                raise GeneratorExit("closed")
            return None

    pipeline = EchoGenerator(model="e").chat().add_tool_handler(Tools())
    chats = await pipeline.catch(rg.error.RiggingError, on_failed="include").run_batch(
        ["a", "b", "c"]
    )
    assert [c.failed for c in chats] == [False, True, False]
    assert str(chats[1].error) == "the tools of item 1 raised GeneratorExit"
    assert isinstance(chats[1].error, rg.error.RiggingError)
    assert isinstance(chats[1].error.__cause__, GeneratorExit)


async def test_a_stray_base_exception_of_a_callback_is_an_error_not_the_runs_end() -> None:
    """A then callback's fails its item alone; a map callback's is raised as an error
    (as an exception of a map callback is), not as the stray `BaseException` itself."""

    async def then(chat: rg.Chat) -> None:
        if chat.last.content == "b":
            raise _Stray("odd")

    async def map_(chats: list[rg.Chat]) -> list[rg.Chat]:
        raise _Stray("odd")

    pipeline = EchoGenerator(model="e").chat().catch(rg.error.RiggingError, on_failed="include")
    chats = await pipeline.clone().then(then).run_batch(["a", "b", "c"])
    assert [c.failed for c in chats] == [False, True, False]
    assert str(chats[1].error).endswith(".then raised _Stray")
    with pytest.raises(rg.error.RiggingError, match=r"map callback .*map_ raised _Stray"):
        await pipeline.clone().map(map_).run_batch(["a", "b", "c"])


def test_a_checkpoints_fingerprint_tells_time_limits_apart() -> None:
    """A limit decides answers: a checkpoint written under another one is not resumed."""
    from rigging._pipeline.checkpoint import pipeline_fingerprint

    def fingerprint(**kwargs: Any) -> str:
        pipeline = _Caller(model="api").chat("ok").using(ok, **kwargs)
        return pipeline_fingerprint(pipeline, "run_batch")

    assert len({fingerprint(), fingerprint(timeout=1), fingerprint(timeout=2)}) == 3
    assert fingerprint() == fingerprint(timeout=None)
