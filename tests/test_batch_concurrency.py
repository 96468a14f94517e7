"""Items of one batch do not wait on each other, and one item's error costs no other its result.

Deterministic: a callback that must see the other items' callbacks run waits on an
`asyncio.Event` only they set, bounded by `asyncio.wait_for`, so running the items one after
another fails the test (with a timeout error) instead of hanging it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import types
import typing as t
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, PrivateAttr

import rigging as rg
from rigging.error import GenerationError
from rigging.generator import GeneratedMessage, GenerateParams, Generator
from rigging.generator.testing import EchoGenerator, FailingGenerator
from rigging.message import Message
from rigging.model import Answer
from rigging.tool.api import FunctionCall, ToolCall

BOUND = 2.0
"""Seconds a callback waits for the others before the test counts it as run serially."""


class ToolCaller(Generator):
    """Calls the `tool` tool (native syntax) with the item's text, then answers."""

    model: str = "tool-caller"
    tool: str = "lookup"

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        out = []
        for dialog in messages:
            text = str(dialog[-1].content)
            if "<tool-result" in text or dialog[-1].role == "tool":
                out.append(GeneratedMessage.from_text(f"done: {text}", stop_reason="stop"))
            else:
                call = f'<tool-call name="{self.tool}">{{"key": "{text}"}}</tool-call>'
                out.append(GeneratedMessage.from_text(call, stop_reason="stop"))
        return out


class Barrier:
    """Opens once `count` parties arrived; `wait` fails after `BOUND` seconds."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.arrived = 0
        self.open = asyncio.Event()

    async def wait(self) -> None:
        self.arrived += 1
        if self.arrived >= self.count:
            self.open.set()
        await asyncio.wait_for(self.open.wait(), BOUND)


@pytest.mark.parametrize("streamed", [False, True])
async def test_tools_of_the_items_of_a_round_run_concurrently(streamed: bool) -> None:
    items = [f"k{i}" for i in range(4)]
    barrier = Barrier(len(items))

    async def lookup(key: str) -> str:
        """Look a key up."""
        await barrier.wait()  # a TimeoutError here becomes the tool's error text
        return f"value of {key}"

    pipeline = ToolCaller().chat().using(lookup, mode="native")
    if streamed:
        async with pipeline.stream_batch(items) as stream:
            async for _ in stream:
                pass
        chats = stream.results
        assert chats is not None
    else:
        chats = await pipeline.run_batch(items)
    assert [f"value of {i}" in str(c.last.content) for c, i in zip(chats, items, strict=True)] == [
        True
    ] * len(items)


async def test_concurrent_tools_respect_max_concurrency() -> None:
    active = 0
    peak = 0

    async def lookup(key: str) -> str:
        """Look a key up."""
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        for _ in range(3):
            await asyncio.sleep(0)
        active -= 1
        return f"value of {key}"

    pipeline = ToolCaller().chat().using(lookup, mode="native")
    chats = await pipeline.run_batch([f"k{i}" for i in range(6)], max_concurrency=2)
    assert all("value of" in str(c.last.content) for c in chats)
    assert peak == 2


async def test_a_tool_handler_that_raises_fails_its_item_only() -> None:
    items = ["a", "b", "bad"]
    raised = asyncio.Event()

    class Handler:
        max_rounds = 3

        async def __call__(self, message: Message, /) -> Sequence[Message] | None:
            text = str(message.content)
            if "<tool-call" not in text:
                return None
            if '"bad"' in text:
                raised.set()
                raise ValueError("handler down for bad")
            # The others finish only once the failing item's handler ran.
            await asyncio.wait_for(raised.wait(), BOUND)
            return [Message("user", "<tool-result>ok</tool-result>")]

    pipeline = ToolCaller().chat().add_tool_handler(Handler())
    chats = await pipeline.catch(ValueError, on_failed="include").run_batch(items)
    assert [c.failed for c in chats] == [False, False, True]
    assert "handler down for bad" in str(chats[2].error)
    assert all("done:" in str(c.last.content) for c in chats[:2])


async def test_a_cancelled_run_leaves_no_tool_running() -> None:
    started = 0
    all_started = asyncio.Event()
    cancelled = 0

    async def lookup(key: str) -> str:
        """Never answers."""
        nonlocal started, cancelled
        started += 1
        if started == 3:
            all_started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled += 1
            raise
        return key  # pragma: no cover

    pipeline = ToolCaller().chat().using(lookup, mode="native")
    task = asyncio.ensure_future(pipeline.run_batch(["a", "b", "c"]))
    await asyncio.wait_for(all_started.wait(), BOUND)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled == 3
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


class Unprintable:
    """A tool result whose text cannot be built."""

    def __str__(self) -> str:
        raise RuntimeError("cannot print me")


class Handle:
    """Not JSON-serialisable."""


class Row(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    key: str
    handle: object = None


def _lookup_junk(key: str) -> object:
    """Look a key up; some keys give results that cannot become message content."""
    if key == "unprintable":
        return Unprintable()
    if key == "unserialisable":
        return Row(key=key, handle=Handle())
    return Row(key=key)


@pytest.mark.parametrize("mode", ["native", "api"])
async def test_a_tool_result_that_cannot_be_converted_is_that_tool_calls_error_text(
    mode: str,
) -> None:
    class ApiCaller(Generator):
        model: str = "api-caller"
        supports_api_tools: ClassVar[bool] = True

        async def generate_messages(
            self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage]:
            out = []
            for dialog in messages:
                last = dialog[-1]
                if last.role == "tool":
                    out.append(GeneratedMessage.from_text(f"done: {last.content}"))
                    continue
                arguments = json.dumps({"key": str(last.content)})
                call = ToolCall(
                    id="c1", function=FunctionCall(name="_lookup_junk", arguments=arguments)
                )
                message = Message("assistant", "", tool_calls=[call])
                out.append(GeneratedMessage(message=message, stop_reason="tool_calls"))
            return out

    items = ["a", "unserialisable", "unprintable", "d"]
    generator: Generator = ApiCaller() if mode == "api" else ToolCaller(tool="_lookup_junk")
    pipeline = generator.chat().using(_lookup_junk, mode=mode)  # type: ignore[arg-type]
    chats = await pipeline.run_batch(items)
    texts = [str(c.last.content) for c in chats]
    assert '"key":"a"' in texts[0]
    assert '"key":"d"' in texts[3]
    for text, kind, problem in [
        (texts[1], "Row", "PydanticSerializationError"),
        (texts[2], "Unprintable", "RuntimeError: cannot print me"),
    ]:
        assert f"the result of tool '_lookup_junk' ({kind}) could not be converted" in text
        assert problem in text


def test_tool_execute_never_raises_on_a_result_it_cannot_convert() -> None:
    class Junk(rg.Tool):
        name = "junk"
        description = "Gives junk."

        def give(self) -> object:
            """Give junk."""
            return Unprintable()

    result = Junk().execute(ToolCall(id="1", function=FunctionCall(name="give", arguments="{}")))
    assert result.error
    assert "could not be converted to message content" in str(result.content)
    assert "RuntimeError: cannot print me" in str(result.content)


async def test_a_then_callback_that_raises_lets_the_others_finish_before_the_run_raises() -> None:
    raised = asyncio.Event()
    finished: list[str] = []

    async def then(chat: rg.Chat) -> None:
        if chat.last.content == "bad":
            raised.set()
            raise ValueError("then down for bad")
        await asyncio.wait_for(raised.wait(), BOUND)
        await asyncio.sleep(0)
        finished.append(str(chat.last.content))

    pipeline = EchoGenerator().chat().then(then)
    with pytest.raises(ValueError, match="then down for bad") as info:
        await pipeline.run_batch(["a", "bad", "c"])
    assert sorted(finished) == ["a", "c"]  # settled before the run raised
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
    assert [c.last.content for c in info.value.completed] == ["a", "bad", "c"]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("returned", "what"),
    [(None, "got NoneType"), ("pair", "got a list holding str at 1")],
)
async def test_a_map_callback_returning_no_result_list_keeps_the_results_as_completed(
    returned: str | None, what: str
) -> None:
    async def bad_map(chats: list[rg.Chat]) -> t.Any:
        return None if returned is None else [chats[0], "not a chat"]

    pipeline = EchoGenerator().chat().map(bad_map)
    with pytest.raises(rg.error.CallbackResultError, match=what) as info:
        await pipeline.run_batch(["a", "b"])
    assert [c.last.content for c in info.value.completed] == ["a", "b"]  # type: ignore[attr-defined]


_INTERRUPTED = """
import asyncio
import rigging as rg
from rigging.generator.testing import EchoGenerator

async def {kind}(arg):
    if {condition}:
        raise KeyboardInterrupt
    await asyncio.sleep(0)

async def other(arg):
    await asyncio.sleep(0)

async def main():
    pipeline = EchoGenerator().chat().{kind}({kind}{extra})
    await pipeline.run_batch(["a", "b", "c"])

try:
    asyncio.run(main())
except KeyboardInterrupt:
    print("interrupted")
"""


def _run_python(source: str) -> subprocess.CompletedProcess[str]:
    """Run `source` in a fresh interpreter (development mode) with this package, bounded."""
    env = {**os.environ, "PYTHONPATH": str(Path(rg.__file__).parent.parent)}
    return subprocess.run(
        [sys.executable, "-X", "dev", "-c", source],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )


@pytest.mark.parametrize(
    ("kind", "condition", "extra"),
    [("then", "arg.last.content == 'b'", ""), ("watch", "True", ", other")],
)
def test_a_keyboard_interrupt_in_a_callback_leaves_no_unretrieved_task(
    kind: str, condition: str, extra: str
) -> None:
    source = _INTERRUPTED.format(kind=kind, condition=condition, extra=extra)
    done = _run_python(source)
    assert done.stdout.strip() == "interrupted", done.stderr
    assert "never retrieved" not in done.stderr


_INTERRUPTED_IN_A_TASK = """
import asyncio
import os
import sys
import tempfile
import rigging as rg
from rigging.generator import GeneratedMessage

class Interrupting(rg.Generator):
    model: str = "interrupting"

    async def generate_messages(self, messages, params):
        out = []
        for dialog in messages:
            if dialog[-1].content == "b":
                raise {kind}("during b")
            out.append(GeneratedMessage.from_text("ok"))
        return out

async def consume(events):
    async for _ in events:
        pass

async def main(path):
    pipeline = Interrupting().chat()
    runs = {{
        "checkpoint": lambda: pipeline.run_batch(["a", "b", "c"], checkpoint=path),
        "iter_batch": lambda: consume(pipeline.iter_batch(["a", "b", "c"], max_concurrency=1)),
        "stream_batch": lambda: consume(pipeline.stream_batch(["a", "b", "c"])),
        "run_over": lambda: Interrupting().chat("b").run_over(
            Interrupting(model="other"), checkpoint=path
        ),
    }}
    try:
        await runs["{runner}"]()
    except {kind} as exc:
        print("caught", exc)
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    print("tasks left", len(others))

asyncio.run(main(os.path.join(tempfile.mkdtemp(), "run.jsonl")))
print("end")
"""


@pytest.mark.parametrize("kind", ["KeyboardInterrupt", "SystemExit"])
@pytest.mark.parametrize("runner", ["checkpoint", "iter_batch", "stream_batch", "run_over"])
def test_an_interrupt_in_a_windowed_or_streamed_run_is_raised_from_the_callers_task(
    runner: str, kind: str
) -> None:
    """Checkpointed runs, `iter_batch` and streams run their items in tasks of their own: a
    `KeyboardInterrupt` or `SystemExit` raised there stopped the event loop from that task,
    the caller got a bare `CancelledError`, and ``asyncio.run`` raised the interrupt again
    after the caller had handled it."""
    source = _INTERRUPTED_IN_A_TASK.format(runner=runner, kind=kind)
    done = _run_python(source)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["caught during b", "tasks left 0", "end"], done.stderr
    assert "never retrieved" not in done.stderr


class _ExitsOnB(Generator):
    """Answers ``a`` at once; raises ``SystemExit(3)`` for ``b`` once ``a`` was handled."""

    model: str = "exits-on-b"
    _handled: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        if any(dialog[-1].content == "b" for dialog in messages):
            await self._handled.wait()
            raise SystemExit(3)
        return [GeneratedMessage.from_text("ok", stop_reason="stop") for _ in messages]


async def test_an_interrupt_of_another_window_is_raised_when_the_consumer_stops_early() -> None:
    """Stopping `iter_batch` cancels the windows still going; one that had already ended with
    a `SystemExit` (carried out of its task) was dropped with them, and the process went on."""
    gen = _ExitsOnB()

    async def consume() -> None:
        # max_concurrency 2: windows of one item, two in flight
        async with contextlib.aclosing(gen.chat().iter_batch(["a", "b"], max_concurrency=2)) as it:
            async for index, _ in it:
                assert index == 0
                gen._handled.set()
                current = asyncio.current_task()
                await asyncio.wait([t for t in asyncio.all_tasks() if t is not current])
                break  # "b"'s window has ended with the interrupt

    with pytest.raises(SystemExit) as caught:
        await consume()
    assert caught.value.code == 3
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


_LEFT_OPEN = """
import asyncio
import rigging as rg
from rigging.generator import GeneratedMessage

class Waits(rg.Generator):
    model: str = "waits"

    async def generate_messages(self, messages, params):
        if messages[0][-1].content != "a":
            await asyncio.Event().wait()
        return [GeneratedMessage.from_text("ok") for _ in messages]

async def main():
    global results  # held to the end: asyncio.run cancels its windows itself
    results = Waits().chat().iter_batch(["a", "b", "c"], max_concurrency=3)
    async for index, _ in results:
        print("got", index)
        break

asyncio.run(main())
print("end")
"""


def test_windows_cancelled_at_shutdown_are_not_reported_as_failed() -> None:
    """A window's group counts a `CancelledError` nobody asked for as its failure; the
    windows of an `iter_batch` left open that ``asyncio.run`` cancels at shutdown were
    cancelled for real, and must not be reported as failed windows then."""
    done = _run_python(_LEFT_OPEN)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["got 0", "end"], done.stderr
    assert "unhandled exception" not in done.stderr
    assert "CancelledError although nothing" not in done.stderr


_ABANDONED = """
import asyncio
import os
import sys
import tempfile
import rigging as rg
from rigging.generator import GeneratedMessage

HANG = True  # item "c" never finishes (until cancelled)
cancelled = []

class Waits(rg.Generator):
    model: str = "waits"

    async def generate_messages(self, messages, params):
        text = messages[0][-1].content
        if text == "c" and HANG:
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                cancelled.append(text)
                raise
        return [GeneratedMessage.from_text("ok") for _ in messages]

async def inputs():
    for text in ["a", "b", "c"]:
        yield text

PATH = os.path.join(tempfile.mkdtemp(), "run.jsonl")
got = []
opened = []  # what main opened and left open, held to the end of asyncio.run

def open_batch():
    pipeline = Waits().chat()
    # max_concurrency 3: windows of one item, all three in flight
    if "{scenario}" == "async_source":
        return pipeline.iter_batch(inputs(), max_concurrency=3)
    if "{scenario}" == "checkpoint":
        return pipeline.iter_batch(["a", "b", "c"], max_concurrency=3, checkpoint=PATH)
    if "{scenario}" == "stream":
        return pipeline.stream_batch(["a", "b", "c"])
    return pipeline.iter_batch(["a", "b", "c"], max_concurrency=3)

async def consume(results, first):
    async for item in results:
        got.append(item[0] if isinstance(item, tuple) else type(item).__name__)
        first.set()
        if len(got) == (2 if "{scenario}" == "checkpoint" else 1):
            break  # left open: nothing closes it before asyncio.run ends

async def main():
    first = asyncio.Event()
    results = open_batch()
    if "{scenario}" == "cancelled_consumer":  # asyncio.run cancels it, waiting for "c"
        opened.append(asyncio.ensure_future(consume(results, first)))
        await first.wait()
        return
    if "{scenario}" != "dropped":
        opened.append(results)
    await consume(results, first)

asyncio.run(main())
print("cancelled", cancelled)
if "{scenario}" == "checkpoint":  # the first item was taken: recorded, not run again
    HANG = False
    async def rerun():
        results = Waits().chat().iter_batch(["a", "b", "c"], max_concurrency=3, checkpoint=PATH)
        return sorted([index async for index, _ in results])
    print("rerun", asyncio.run(rerun()) == sorted({{0, 1, 2}} - {{got[0]}}))
print("end")
"""

_LEAKS = ("already running", "Task was destroyed", "Traceback", "never retrieved", "error occurred")


@pytest.mark.parametrize(
    "scenario",
    ["held", "async_source", "checkpoint", "dropped", "cancelled_consumer", "stream"],
)
def test_a_run_left_open_closes_cleanly_when_asyncio_run_ends(scenario: str) -> None:
    """``asyncio.run`` closes every async generator still open at its end, all at once: an
    `iter_batch` left open nested another generator, which the loop closed too while the
    outer one's cleanup did, and shutdown printed "aclose(): asynchronous generator is
    already running". Left open in any way (held, dropped, its consumer's task cancelled,
    reading an async generator of the caller's; a stream likewise), the run ends quietly,
    its windows cancelled, and with a checkpoint the item taken is recorded."""
    done = _run_python(_ABANDONED.format(scenario=scenario))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "cancelled ['c']", done.stderr
    assert lines[1:] == (["rerun True", "end"] if scenario == "checkpoint" else ["end"])
    for leak in _LEAKS:
        assert leak not in done.stderr, done.stderr


class SecondRoundForOdd(Generator):
    """Items ``m<odd>`` answer unparsable text first, so they need a second round."""

    model: str = "second-round"
    _seen: dict[str, int] = PrivateAttr(default_factory=dict)

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        out = []
        for dialog in messages:
            text = str(dialog[0].content)
            count = self._seen[text] = self._seen.get(text, 0) + 1
            first_of_odd = int(text[1:]) % 2 == 1 and count == 1
            answer = "not yet" if first_of_odd else f"<answer>{text}</answer>"
            out.append(GeneratedMessage.from_text(answer, stop_reason="stop"))
        return out


async def _run(pipeline: rg.ChatPipeline, items: list[str], *, streamed: bool) -> list[rg.Chat]:
    """`run_batch`, or `stream_batch` iterated to its end."""
    if not streamed:
        return await pipeline.run_batch(items)
    async with pipeline.stream_batch(items) as stream:
        async for _ in stream:
            pass
    assert stream.results is not None
    return stream.results


@pytest.mark.parametrize("streamed", [False, True])
async def test_a_watcher_that_raises_loses_no_result_keeps_watching_and_leaves_none_running(
    streamed: bool,
) -> None:
    failing_calls = 0
    seen: list[int] = []
    failed = asyncio.Event()

    async def failing(chats: list[rg.Chat]) -> None:
        nonlocal failing_calls
        failing_calls += 1
        failed.set()
        raise RuntimeError("watcher down")

    async def slow(chats: list[rg.Chat]) -> None:
        await asyncio.wait_for(failed.wait(), BOUND)  # still running when `failing` raised
        await asyncio.sleep(0)
        seen.append(len(chats))

    items = [f"m{i}" for i in range(6)]
    pipeline = SecondRoundForOdd().chat().until_parsed_as(Answer).watch(failing, slow)
    with pytest.raises(RuntimeError, match="watcher down") as info:
        await _run(pipeline, items, streamed=streamed)
    # A watcher that raised still gets the later rounds' items (a sink that failed on some
    # items must still store the others); the first error is raised at the end.
    assert failing_calls == 2
    assert seen == [3, 3]  # the other watcher saw every item, both rounds
    completed = info.value.completed  # type: ignore[attr-defined]
    assert [c.last.content for c in completed] == [f"<answer>{i}</answer>" for i in items]
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "watch callback" in notes
    assert "later watch callback calls of this run that raised too: 1" in notes
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


class UnprintableWatcherError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


@pytest.mark.parametrize(
    ("error", "note"),
    [
        (RuntimeError("watcher down"), "RuntimeError: watcher down"),
        (
            UnprintableWatcherError(),
            "UnprintableWatcherError: <the error's text could not be built>",
        ),
    ],
)
async def test_an_item_error_mentions_a_watcher_error_of_the_same_run(
    error: Exception, note: str
) -> None:
    async def failing(chats: list[rg.Chat]) -> None:
        raise error

    class FailsSecondRound(SecondRoundForOdd):
        async def generate_messages(
            self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage]:
            if any(self._seen.get(str(d[0].content)) for d in messages):
                raise GenerationError("provider down", model=self.model)
            return await super().generate_messages(messages, params)

    pipeline = FailsSecondRound().chat().until_parsed_as(Answer).watch(failing)
    with pytest.raises(GenerationError) as info:
        await pipeline.run_batch(["m0", "m1"])
    assert f"watch callback also failed: {note}" in " ".join(getattr(info.value, "__notes__", []))
    assert [c.last.content for c in info.value.completed] == ["<answer>m0</answer>"]  # type: ignore[attr-defined]


async def _async_check(message: object) -> t.Any:
    return False, []


class _AsyncCheck:
    async def __call__(self, message: object) -> bool:
        return False


@pytest.mark.parametrize("check", [_async_check, _AsyncCheck()])
def test_async_until_callbacks_are_refused_at_registration(check: t.Any) -> None:
    with pytest.raises(TypeError, match=r"until callback .*must be a plain \(not async\) function"):
        EchoGenerator().chat().until(check)
    with pytest.raises(TypeError, match=r"until callback .*must be a plain \(not async\) function"):
        EchoGenerator().complete("x").until(check)
    with pytest.raises(TypeError, match="until callback must be a function"):
        EchoGenerator().chat().until(t.cast("t.Any", "not callable"))


async def test_an_until_callback_returning_an_awaitable_fails_its_items_with_a_type_error() -> None:
    def check(message: object) -> t.Any:  # not seen as async when registered
        return _async_check(message)

    chats = (
        await EchoGenerator()
        .chat()
        .until(check)
        .catch(TypeError)
        .run_batch(["a"], on_failed="include")
    )
    assert isinstance(chats[0].error, TypeError)
    assert "returned coroutine" in str(chats[0].error)
    completions = (
        await EchoGenerator()
        .complete("x")
        .until(check)
        .catch(TypeError)
        .run_batch(["a"], on_failed="include")
    )
    assert isinstance(completions[0].error, TypeError)


@pytest.mark.parametrize(
    ("feedback", "got"), [("xyz", "(bool, str)"), ([None], "a list holding a NoneType")]
)
async def test_until_feedback_that_is_not_messages_is_a_type_error_naming_the_check(
    feedback: object, got: str
) -> None:
    def junk_check(message: Message) -> t.Any:
        return True, feedback

    pipeline = EchoGenerator().chat().until(junk_check, attempt_recovery=True)
    with pytest.raises(TypeError) as info:
        await pipeline.run_batch(["a"])
    assert "junk_check must return (bool, list[Message])" in str(info.value)
    assert got in str(info.value)


async def test_an_exception_object_raised_again_carries_the_new_runs_results() -> None:
    shared = GenerationError("provider down", model="x")

    class Refuses(Generator):
        model: str = "refuses"

        async def generate_messages_settled(
            self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage | Exception]:
            texts = [str(m[-1].content) for m in messages]
            return [shared if x == "bad" else GeneratedMessage.from_text(f"re {x}") for x in texts]

    pipeline = Refuses().chat()
    for run in ("one", "two"):
        with pytest.raises(GenerationError) as info:
            await pipeline.run_batch([f"{run}-a", "bad", f"{run}-c"])
        assert info.value is shared
        completed = info.value.completed  # type: ignore[attr-defined]
        assert [c.last.content for c in completed] == [f"re {run}-a", f"re {run}-c"]


async def test_an_inner_runs_completed_is_kept_by_the_outer_run() -> None:
    inner = EchoGenerator().chat().then(_refuse_b)

    async def then(chat: rg.Chat) -> None:
        await inner.run_batch(["inner-a", "b"])

    with pytest.raises(ValueError, match="no b") as info:
        await EchoGenerator().chat().then(then).run_batch(["outer"])
    assert [c.last.content for c in info.value.completed] == ["inner-a", "b"]  # type: ignore[attr-defined]


async def _refuse_b(chat: rg.Chat) -> None:
    if chat.last.content == "b":
        raise ValueError("no b")


async def test_a_then_error_in_skip_mode_names_the_input_index() -> None:
    async def then(chat: rg.Chat) -> None:
        if chat.last.content == "d":
            raise ValueError("cannot post-process d")

    pipeline = FailingGenerator(fail_when="b").chat().catch(GenerationError).then(then)
    with pytest.raises(ValueError, match="cannot post-process d") as info:
        await pipeline.run_batch(["a", "b", "c", "d"], on_failed="skip")
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert ".then for item 3 after the run" in notes


async def test_a_run_over_error_names_the_generator() -> None:
    good = EchoGenerator(model="good")
    bad = FailingGenerator(fail_when="", model="bad")
    with pytest.raises(GenerationError) as info:
        await EchoGenerator().chat("hi").run_over(good, bad)
    notes = " ".join(getattr(info.value, "__notes__", []))
    assert "run_over run on generator 1 (" in notes
    assert "bad" in notes.split("run_over run on generator 1")[1]


def _chat() -> t.Any:  # untyped: the tests pass arguments of the wrong types on purpose
    return EchoGenerator().chat("hi")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: _chat().run_many("3"), TypeError, "count must be an int, got str"),
        (lambda: _chat().run_many(2.5), TypeError, "count must be an int, got float"),
        (lambda: _chat().run_many(2, max_concurrency="2"), TypeError, "max_concurrency must be"),
        (lambda: _chat().run_many(2, max_concurrency=1.5), TypeError, "max_concurrency must be"),
        (lambda: _chat().run_batch(["a"], params=[{"t": 1}]), TypeError, r"params\[0\] must be"),
        (lambda: _chat().run_batch(["a"], params=GenerateParams()), TypeError, "params must be"),
        (lambda: _chat().run_over(None), TypeError, "run_over takes generators"),
        (lambda: _chat().run_batch(None), TypeError, "run_batch takes a list of inputs"),
        (lambda: _chat().run_batch([1, 2]), TypeError, "run_batch items must be .* int at 0"),
        (lambda: _chat().run_batch(["a", None]), TypeError, "NoneType at 1"),
        (lambda: _drain(_chat().stream_many(-1)), ValueError, "count must be 0 or more"),
        (lambda: _drain(_chat().stream_many("2")), TypeError, "count must be an int"),
    ],
)
async def test_bad_arguments_of_batch_runners_are_named(
    call: t.Callable[[], t.Awaitable[object]], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        await call()


async def _drain(stream: t.Any) -> None:
    async for _ in stream:
        pass


async def test_iter_batch_runs_no_async_generator_but_the_one_it_hands_out() -> None:
    """What `iter_batch` runs inside (its windows, the reading of its inputs) is no async
    generator: ``asyncio.run`` would close such a generator at shutdown at the same time as
    the one handed out, whose cleanup closes it too (see the test above)."""
    package = str(Path(rg.__file__).parent)
    hooks = sys.get_asyncgen_hooks()
    started: list[str] = []

    def firstiter(agen: t.AsyncGenerator[t.Any, t.Any]) -> None:
        code = agen.ag_code if isinstance(agen, types.AsyncGeneratorType) else None
        if code is not None and code.co_filename.startswith(package):
            started.append(code.co_name)
        if hooks.firstiter is not None:
            hooks.firstiter(agen)

    async def inputs() -> t.AsyncIterator[str]:
        for i in range(10):
            yield f"m{i}"

    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=hooks.finalizer)
    try:
        pipeline = EchoGenerator().chat()
        whole = [i async for i, _ in pipeline.iter_batch(inputs(), max_concurrency=2)]
        async with contextlib.aclosing(pipeline.iter_batch(["a", "b", "c"])) as results:
            async for _ in results:
                break
    finally:
        sys.set_asyncgen_hooks(*hooks)
    assert sorted(whole) == list(range(10))
    assert started == ["iter_results", "iter_results"]
