"""`rigging._tasks`: awaiting several awaitables without leaving a task or an error behind."""

from __future__ import annotations

import asyncio

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
