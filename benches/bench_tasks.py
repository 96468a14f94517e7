"""Settling many tasks that end one by one: `settle_all`/`gather_all` against `asyncio.gather`.

The first `settle_all` waited with `asyncio.wait` in a loop, which registers a callback on every
pending task at each wake-up: 4,000 tasks ending in turn took about 60 times as long as with
`asyncio.gather`. Each bench stores ``ratio`` (its time over `asyncio.gather`'s, min over
rounds, timed in alternation in one run); linear waiting keeps it near 1.
"""

from __future__ import annotations

import asyncio
import time
import typing as t
from collections.abc import Awaitable, Callable

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from rigging._tasks import gather_all, settle_all

TASKS = 4_000
Wait = Callable[[list[Awaitable[int]]], Awaitable[list[t.Any]]]


async def _gather(awaitables: list[Awaitable[int]]) -> list[int]:
    return list(await asyncio.gather(*awaitables))


def _one_by_one(wait: Wait) -> float:
    """Seconds for `wait` over `TASKS` tasks that end one per turn of the loop."""

    async def main() -> float:
        events = [asyncio.Event() for _ in range(TASKS)]

        async def one(index: int) -> int:
            await events[index].wait()
            return index

        async def release() -> None:
            for event in events:
                event.set()
                await asyncio.sleep(0)

        started = time.perf_counter()
        releasing = asyncio.ensure_future(release())
        assert list(await wait([one(i) for i in range(TASKS)])) == list(range(TASKS))
        await releasing
        return time.perf_counter() - started

    return asyncio.run(main())


@pytest.mark.parametrize("wait", [settle_all, gather_all], ids=["settle_all", "gather_all"])
def bench_waiting_for_tasks_that_end_one_by_one(benchmark: BenchmarkFixture, wait: Wait) -> None:
    times: dict[str, list[float]] = {"ours": [], "gather": []}

    def pair() -> None:
        times["gather"].append(_one_by_one(_gather))
        times["ours"].append(_one_by_one(wait))

    benchmark.group = "tasks"
    benchmark.pedantic(pair, rounds=3, warmup_rounds=0, iterations=1)
    if not benchmark.disabled:
        best = {key: min(values) for key, values in times.items()}
        benchmark.extra_info.update(
            ours_ms=round(best["ours"] * 1e3, 2),
            gather_ms=round(best["gather"] * 1e3, 2),
            ratio=round(best["ours"] / best["gather"], 2),
        )
