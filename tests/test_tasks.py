"""`rigging._tasks`: awaiting several awaitables without leaving a task or an error behind."""

from __future__ import annotations

import asyncio
import time
import typing as t
from collections.abc import Awaitable, Callable

import pytest

from rigging._tasks import gather_all, settle_all


async def test_gather_all_gives_results_in_order() -> None:
    second_done = asyncio.Event()

    async def first() -> int:
        await second_done.wait()
        return 1

    async def second() -> int:
        second_done.set()
        return 2

    assert await gather_all([first(), second()]) == [1, 2]
    assert await gather_all([second()]) == [2]
    assert await gather_all([]) == []


async def test_gather_all_cancels_the_others_on_the_first_error() -> None:
    started = asyncio.Event()
    cancelled: list[str] = []

    async def waits() -> int:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append("waits")
            raise
        return 0

    async def fails() -> int:
        await started.wait()
        raise ValueError("down")

    with pytest.raises(ValueError, match="down"):
        await gather_all([waits(), fails()])
    assert cancelled == ["waits"]
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


async def test_settle_all_keeps_each_error_as_its_outcome() -> None:
    async def value() -> int:
        return 3

    async def fails() -> int:
        raise ValueError("own")

    first, second = await settle_all([value(), fails()])
    assert first == 3
    assert isinstance(second, ValueError)


async def test_a_keyboard_interrupt_is_raised_from_the_callers_task() -> None:
    started = asyncio.Event()

    async def waits() -> int:
        started.set()
        await asyncio.Event().wait()
        return 0

    async def interrupts() -> int:
        await started.wait()
        raise KeyboardInterrupt("from a task")

    for run in (gather_all, settle_all):
        started.clear()
        with pytest.raises(KeyboardInterrupt, match="from a task"):
            await run([waits(), interrupts()])
        assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []


@pytest.mark.parametrize("run", [gather_all, settle_all])
async def test_waiting_stays_linear_when_tasks_end_one_by_one(
    run: Callable[[list[Awaitable[int]]], Awaitable[list[t.Any]]],
) -> None:
    """Each wake-up registered a callback on every pending task (`asyncio.wait` in a loop):
    4,000 tasks ending in turn took about 60 times as long as with `asyncio.gather`."""

    async def timed(wait: Callable[[list[Awaitable[int]]], Awaitable[list[t.Any]]]) -> float:
        events = [asyncio.Event() for _ in range(4000)]

        async def one(index: int) -> int:
            await events[index].wait()
            return index

        async def release() -> None:
            for event in events:
                event.set()
                await asyncio.sleep(0)  # one task ends per turn of the loop

        started = time.perf_counter()
        releasing = asyncio.ensure_future(release())
        assert list(await wait([one(i) for i in range(len(events))])) == list(range(4000))
        await releasing
        return time.perf_counter() - started

    async def gather(awaitables: list[Awaitable[int]]) -> list[int]:
        return list(await asyncio.gather(*awaitables))

    baseline = await timed(gather)
    assert await timed(run) < 15 * baseline + 0.2
