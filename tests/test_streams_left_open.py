"""Generator streams left open by their consumer close quietly when ``asyncio.run`` ends.

At its end ``asyncio.run`` closes every async generator still open, all at once. A stream
relayed by another generator (`LiteLLMGenerator.stream_messages` over its request stream,
a cache over the wrapped generator's stream), or holding a connection slot made by an
``asynccontextmanager`` (another async generator), was closed by the loop while the outer
generator's cleanup closed it too: shutdown printed "aclose(): asynchronous generator is
already running" or "generator didn't stop after athrow()". Under the provider's stream, the
HTTP stack is such a chain too (a dozen nested generators): on Python 3.10 with httpx2 the
loop closed an inner one while the one around it was closing it (the stream now owns them).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import rigging as rg

_LEFT_OPEN = """
import asyncio
import os
import sys
import tempfile

sys.path.insert(0, sys.argv[1])  # the tests folder: the loopback OpenAI stub
from _servers.litellm_loop import litellm_generator
from _servers.openai_stub import OpenAIStub, Reply
from rigging.generator import GenerateParams
from rigging.message import Message

opened = []  # held to the end: asyncio.run closes them itself

async def main(stub, scenario):
    gen = litellm_generator(stub, "sk-left-open")
    if "cached" in scenario:
        gen = gen.with_cache(os.path.join(tempfile.mkdtemp(), "cache.db"))
    # with a timeout, each read runs in a task of its own (the stream's idle limit)
    params = GenerateParams(timeout=60) if "timeout" in scenario else None
    if "messages" in scenario:
        stream = gen.stream_messages([Message("user", "hi")], params)
    else:
        stream = gen.stream_texts("hi", params)
    opened.append(stream)
    async for chunk in stream:
        print(scenario, type(chunk).__name__)
        break

with OpenAIStub() as stub:
    for scenario in sys.argv[2:]:
        print("scenario", scenario, file=sys.stderr)  # tells the failures apart
        # after its first piece the server sends only keep-alive comments: a stuck generation
        stub.script(Reply(chunks=["a", "b"], keepalive=0.05))
        asyncio.run(main(stub, scenario))
print("end")
"""

_SCENARIOS = [
    "messages",
    "texts",
    "cached_messages",
    "cached_texts",
    "timeout_messages",
    "timeout_texts",
]
_LEAKS = (
    "already running",
    "didn't stop",
    "Task was destroyed",
    "Traceback",
    "never retrieved",
    "error occurred",
)


def test_litellm_streams_left_open_close_quietly_when_asyncio_run_ends() -> None:
    tests = Path(__file__).parent
    env = {**os.environ, "PYTHONPATH": str(Path(rg.__file__).parent.parent)}
    done = subprocess.run(
        [sys.executable, "-c", _LEFT_OPEN, str(tests), *_SCENARIOS],
        capture_output=True,
        text=True,
        timeout=100,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"{s} TextDelta" for s in _SCENARIOS] + ["end"]
    for leak in _LEAKS:
        assert leak not in done.stderr, done.stderr


@pytest.mark.parametrize("fails", [False, True])
async def test_a_connection_slot_is_given_back_once(fails: bool) -> None:
    """The slot is a plain async context manager now: left normally or by an error, it
    gives its semaphore back once and counts the request out."""
    from rigging.generator._remote import _Throttle

    throttle = _Throttle(max_connections=1, min_delay=0.0)
    with pytest.raises(RuntimeError) if fails else contextlib.nullcontext():
        async with throttle.slot():
            assert (throttle.in_flight, throttle.semaphore.locked()) == (1, True)
            if fails:
                raise RuntimeError("request failed")
    assert (throttle.in_flight, throttle.peak, throttle.semaphore.locked()) == (0, 1, False)
    async with throttle.slot():  # free again
        assert throttle.in_flight == 1


def _closing_log(
    names: list[str],
    log: list[str],
    release: asyncio.Event | None = None,
    waiting: asyncio.Event | None = None,
) -> Any:
    """A chain of generators, outermost first, each closing the next with `aclose`; the
    innermost's cleanup sets `waiting` and waits for `release` (when given)."""

    async def link(index: int) -> Any:
        inner = link(index + 1) if index + 1 < len(names) else None
        try:
            if inner is not None:
                async for item in inner:
                    yield item
            else:
                yield 1
        finally:
            if inner is not None:
                await inner.aclose()
            elif release is not None:
                if waiting is not None:
                    waiting.set()
                await release.wait()
            await asyncio.sleep(0)
            log.append(names[index])

    return link(0)


async def test_generators_started_while_pulling_are_the_streams_and_close_in_order() -> None:
    from rigging.generator._owned import Owned

    owned, log = Owned(), list[str]()
    outer = _closing_log(["outer", "inner"], log)
    with owned.pulling():
        assert await outer.__anext__() == 1  # starts outer, then inner
    elsewhere = _closing_log(["elsewhere"], log)
    await elsewhere.__anext__()  # started outside the block: the loop's, not the stream's

    kept = []

    async def spawned() -> None:
        kept.append(_closing_log(["spawned"], log))  # held: not closed by its collection
        await kept[0].__anext__()

    with owned.pulling():
        await asyncio.ensure_future(spawned())  # another task, not adopted: not the stream's
    assert len(owned) == 2

    await owned.aclose()
    assert log == ["inner", "outer"]  # outer closed inner, then inner was already finished
    assert len(owned) == 0
    await elsewhere.aclose()
    await kept[0].aclose()


async def test_an_adopted_task_starts_generators_for_the_stream() -> None:
    from rigging.generator._owned import Owned

    owned, log = Owned(), list[str]()
    gen = _closing_log(["read"], log)
    with owned.pulling():
        read = asyncio.ensure_future(gen.__anext__())
        owned.adopt(read)
        assert await read == 1
    assert len(owned) == 1
    await owned.aclose()
    assert log == ["read"]


async def test_one_failing_close_does_not_keep_the_others_open() -> None:
    from rigging.generator._owned import Owned

    async def refuses() -> Any:
        try:
            yield 1
        finally:
            raise RuntimeError("connection reset while closing")

    owned, log = Owned(), list[str]()
    bad, good = refuses(), _closing_log(["good"], log)
    with owned.pulling():
        await bad.__anext__()
        await good.__anext__()
    await owned.aclose()
    assert log == ["good"]
    assert bad.ag_frame is None  # finished, its error dropped


async def test_finished_generators_are_not_kept() -> None:
    """A stream reading for long holds only a bounded number of generators (no growth per
    chunk): finished ones are dropped as new ones come."""
    from rigging.generator._owned import Owned

    owned = Owned()
    with owned.pulling():
        for _ in range(1_000):
            async for _item in _closing_log(["short-lived"], []):
                pass
    assert len(owned) <= 32


def test_a_cancelled_close_hands_the_rest_to_the_loop() -> None:
    """The stream's close was cancelled midway: the generators it had not closed yet are
    registered with the loop then, which closes them at its end (as before they were
    claimed)."""
    from rigging.generator._owned import Owned

    log: list[str] = []
    loop = asyncio.new_event_loop()

    async def scenario() -> None:
        owned = Owned()
        release, waiting = asyncio.Event(), asyncio.Event()
        first = _closing_log(["first"], log, release, waiting)
        second = _closing_log(["second"], log)
        with owned.pulling():
            await first.__anext__()
            await second.__anext__()
        closing = asyncio.ensure_future(owned.aclose())
        await waiting.wait()  # first's cleanup is under way
        closing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await closing
        assert log == []  # neither closed yet
        assert len(owned) == 0  # both handed back

    try:
        loop.run_until_complete(scenario())
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
    assert "second" in log  # the loop closed what the stream could not


def test_a_stream_dropped_in_a_cycle_closes_its_generators_in_order() -> None:
    """A stream dropped unclosed inside a reference cycle is collected with its generators:
    each one's finalizer scheduled its own close, all at once (the loop's report: "aclose():
    asynchronous generator is already running"). The stream's close, scheduled by the loop,
    closes them in order instead."""
    import gc

    from rigging.generator._owned import Owned

    log: list[str] = []
    errors: list[str] = []
    loop = asyncio.new_event_loop()
    loop.set_exception_handler(lambda _loop, context: errors.append(context["message"]))

    async def stream(done: asyncio.Event, box: list[Any]) -> Any:
        owned = Owned()
        chain = _closing_log(["outer", "middle", "inner"], log)
        try:
            with owned.pulling():
                item = await chain.__anext__()
            yield item
        finally:
            await owned.aclose()
            done.set()

    async def scenario() -> None:
        done = asyncio.Event()
        box: list[Any] = []
        opened = stream(done, box)
        box.append(opened)  # stream -> its frame -> box -> stream: only the collector frees it
        await opened.__anext__()
        del opened, box
        assert gc.collect() > 0
        await asyncio.wait_for(done.wait(), 60)  # a bound, not a timing: it is set at once

    gc.disable()  # collected when the test says so
    try:
        loop.run_until_complete(scenario())
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        gc.enable()
        gc.collect()  # a close task that failed reports it when it is freed
        loop.close()
    assert log == ["inner", "middle", "outer"]
    assert errors == []


async def test_under_a_hook_of_someone_elses_nothing_is_claimed() -> None:
    """Another library's hook in front of the loop's is left alone (not wrapped again on
    every read): the stream then claims nothing, and the loop closes its generators."""
    import sys

    from rigging.generator._owned import Owned

    loops = sys.get_asyncgen_hooks()
    seen: list[object] = []

    def theirs(generator: Any) -> None:
        seen.append(generator)
        assert loops.firstiter is not None
        loops.firstiter(generator)

    sys.set_asyncgen_hooks(firstiter=theirs, finalizer=loops.finalizer)
    try:
        owned, log = Owned(), list[str]()
        gen = _closing_log(["theirs"], log)
        for _ in range(100):
            with owned.pulling():
                pass
        with owned.pulling():
            await gen.__anext__()
        assert sys.get_asyncgen_hooks().firstiter is theirs
        assert len(owned) == 0
        assert seen == [gen]
        await gen.aclose()
    finally:
        sys.set_asyncgen_hooks(*loops)
