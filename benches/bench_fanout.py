"""Batch bookkeeping: `FanOut` against the list scans a pure-Python pipeline does every round.

Scenario: 100,000 items, up to 3 sends each; 10% of the items need a second round and 1% a
third. Every variant produces the same rounds and the same "finished since last time" lists
(what watchers receive), which each bench checks before it is timed.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest
from pytest_benchmark.fixture import BenchmarkFixture

from rigging._native import FanOut

N = 100_000
MAX_ROUNDS = 3

Result = tuple[list[list[int]], list[list[int]]]
Runner = Callable[[int, list[frozenset[int]]], Result]


def _again_sets() -> list[frozenset[int]]:
    """Items that ask for another round after round 1 and after round 2."""
    rng = random.Random(20240601)
    second = rng.sample(range(N), N // 10)
    third = rng.sample(second, N // 100)
    return [frozenset(second), frozenset(third), frozenset()]


AGAIN = _again_sets()


def run_list_scan(n: int, again_sets: list[frozenset[int]]) -> Result:
    """The baseline: scan every item for the next round and for newly finished ones."""
    states = ["pending"] * n
    sends = [0] * n
    watched = [False] * n
    rounds: list[list[int]] = []
    finished: list[list[int]] = []
    while True:
        batch = [i for i, s in enumerate(states) if s in ("pending", "again")]
        if not batch:
            break
        again = again_sets[len(rounds)]
        rounds.append(batch)
        for i in batch:
            sends[i] += 1
            if i not in again:
                states[i] = "done"
            elif sends[i] < MAX_ROUNDS:
                states[i] = "again"
            else:
                states[i] = "exhausted"
        new = [
            i
            for i, s in enumerate(states)
            if s in ("done", "failed", "exhausted") and not watched[i]
        ]
        for i in new:
            watched[i] = True
        finished.append(new)
    return rounds, finished


def run_fanout(n: int, again_sets: list[frozenset[int]]) -> Result:
    """`FanOut` marking one item per call."""
    table = FanOut(n, MAX_ROUNDS)
    rounds: list[list[int]] = []
    finished: list[list[int]] = []
    while not table.is_finished():
        batch = table.next_round()
        again = again_sets[len(rounds)]
        rounds.append(batch)
        for i in batch:
            if i in again:
                table.again(i)
            else:
                table.complete(i)
        finished.append(table.drain_finished())
    return rounds, finished


def run_fanout_batched(n: int, again_sets: list[frozenset[int]]) -> Result:
    """`FanOut` marking each round's outcomes with one call per outcome."""
    table = FanOut(n, MAX_ROUNDS)
    rounds: list[list[int]] = []
    finished: list[list[int]] = []
    while not table.is_finished():
        batch = table.next_round()
        again = again_sets[len(rounds)]
        rounds.append(batch)
        table.complete_many([i for i in batch if i not in again])
        table.again_many([i for i in batch if i in again])
        finished.append(table.drain_finished())
    return rounds, finished


@pytest.fixture(scope="module")
def expected() -> Result:
    rounds, finished = run_list_scan(N, AGAIN)
    assert [len(r) for r in rounds] == [N, N // 10, N // 100]
    assert sum(len(f) for f in finished) == N
    return rounds, finished


@pytest.mark.parametrize(
    "run",
    [run_list_scan, run_fanout, run_fanout_batched],
    ids=["list_scan", "fanout", "fanout_batched"],
)
def bench_fanout_three_rounds(benchmark: BenchmarkFixture, expected: Result, run: Runner) -> None:
    assert run(N, AGAIN) == expected
    benchmark.group = "fanout 100k items, 3 rounds"
    result = benchmark(run, N, AGAIN)
    assert result == expected


# Bookkeeping only: each round's outcomes are known in advance (sorted lists), so the timing
# leaves out the per-item decision that any pipeline makes anyway.

Plan = list[tuple[list[int], list[int]]]


def _plan(rounds: list[list[int]]) -> Plan:
    """Per round: the items completed and the items sent again."""
    return [
        ([i for i in batch if i not in again], [i for i in batch if i in again])
        for batch, again in zip(rounds, AGAIN, strict=True)
    ]


def plan_list_scan(n: int, plan: Plan) -> Result:
    states = ["pending"] * n
    sends = [0] * n
    watched = [False] * n
    rounds: list[list[int]] = []
    finished: list[list[int]] = []
    while True:
        batch = [i for i, s in enumerate(states) if s in ("pending", "again")]
        if not batch:
            break
        complete, again = plan[len(rounds)]
        rounds.append(batch)
        for i in batch:
            states[i] = "in_flight"
            sends[i] += 1
        for i in complete:
            states[i] = "done"
        for i in again:
            states[i] = "again" if sends[i] < MAX_ROUNDS else "exhausted"
        new = [
            i
            for i, s in enumerate(states)
            if s in ("done", "failed", "exhausted") and not watched[i]
        ]
        for i in new:
            watched[i] = True
        finished.append(new)
    return rounds, finished


def plan_fanout(n: int, plan: Plan) -> Result:
    table = FanOut(n, MAX_ROUNDS)
    rounds: list[list[int]] = []
    finished: list[list[int]] = []
    while not table.is_finished():
        complete, again = plan[len(rounds)]
        rounds.append(table.next_round())
        table.complete_many(complete)
        table.again_many(again)
        finished.append(table.drain_finished())
    return rounds, finished


@pytest.mark.parametrize("run", [plan_list_scan, plan_fanout], ids=["list_scan", "fanout"])
def bench_fanout_bookkeeping_only(
    benchmark: BenchmarkFixture, expected: Result, run: Callable[[int, Plan], Result]
) -> None:
    plan = _plan(expected[0])
    assert run(N, plan) == expected
    benchmark.group = "fanout bookkeeping only, 100k items, 3 rounds"
    result = benchmark(run, N, plan)
    assert result == expected
