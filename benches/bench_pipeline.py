"""Framework overhead per chat in run_many / run_batch, against an upstream-style loop.

The generator answers instantly in-process and times itself, so the framework's own cost
per chat is ``(CPU time of the run - CPU time inside the generator) / n`` (process CPU time,
so other load on the machine does not count); the best round is stored in each bench's
``extra_info["overhead_us_per_chat"]``, the median in ``overhead_us_per_chat_median``. Every
cyclic garbage collection during the run is part of that overhead (also one that starts
while the generator builds a reply); the median share is ``gc_us_per_chat_median`` and the
best round without it ``overhead_without_gc_us_per_chat``.
Targets (issue 5): under 12 us for plain runs and under 30 us with ``until_parsed_as``
when the first answer parses.

Run: ``python -m pytest benches/bench_pipeline.py --benchmark-only``.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Sequence
from typing import Any

import pytest
from pydantic import PrivateAttr

from rigging.chat import Chat
from rigging.generator import GeneratedMessage, GenerateParams, Generator
from rigging.message import Message
from rigging.model import Answer

REPLY = "Sure. <answer>42</answer>"
INPUTS = [Message("system", "You answer in tags."), Message("user", "What is six times seven?")]


class GcClock:
    """CPU time spent in the cyclic garbage collector (``gc.callbacks``) while entered."""

    def __init__(self) -> None:
        self.spent = 0.0
        self._start = 0.0

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._start = time.process_time()
        else:
            self.spent += time.process_time() - self._start

    def __enter__(self) -> GcClock:
        gc.callbacks.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self)


GC = GcClock()
"""Counts every collection during a run, including those that start inside the generator."""


class ZeroLatency(Generator):
    """Replies at once with `REPLY` and accumulates the time spent building replies.

    Collections that happen to start while it builds replies are not counted as its time:
    they walk every object of the run, so they are charged to the run (see `GC`).
    """

    model: str = "zero"
    _spent: float = PrivateAttr(default=0.0)

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        start, collected = time.process_time(), GC.spent
        out = [
            GeneratedMessage(message=Message("assistant", REPLY), stop_reason="stop")
            for _ in messages
        ]
        self._spent += time.process_time() - start - (GC.spent - collected)
        return out


def _items(n: int) -> list[list[Message]]:
    return [[Message("user", f"item {i}")] for i in range(n)]


async def _ours(generator: Generator, kind: str, n: int, until: bool, items: Any) -> list[Chat]:
    pipeline = generator.chat(INPUTS)
    if until:
        pipeline.until_parsed_as(Answer)
    if kind == "many":
        return await pipeline.run_many(n)
    return await pipeline.run_batch(items)


async def _baseline(generator: Generator, kind: str, n: int, until: bool, items: Any) -> list[Chat]:
    """Upstream 2.3 shape: deep copies per state, validated Chat per result, O(N) rescans."""
    inputs = [[m.model_copy(deep=True) for m in INPUTS] for _ in range(n)]
    if kind == "batch":
        inputs = [
            state + [m.model_copy(deep=True) for m in item]
            for state, item in zip(inputs, items, strict=True)
        ]
    extra: list[list[Message]] = [[] for _ in range(n)]
    results: list[Chat | None] = [None] * n
    while pending := [i for i in range(n) if results[i] is None]:
        generated = await generator.generate_messages(
            [inputs[i] + extra[i] for i in pending], [GenerateParams() for _ in pending]
        )
        for i, item in zip(pending, generated, strict=True):
            message = item.message
            if until:
                message.parse_many(Answer)
            results[i] = Chat(
                [m.model_copy(deep=True) for m in inputs[i]],
                [message.model_copy(deep=True)],
                generator=generator,
                params=GenerateParams(),
                stop_reason=item.stop_reason,
            )
    return [r for r in results if r is not None]


def _run(
    impl: Any,
    kind: str,
    n: int,
    until: bool,
    items: Any,
    log: list[float],
    gc_log: list[float] | None = None,
) -> list[Chat]:
    # Not asyncio.run: on CPython 3.11 it reprs the main task (and so its result, every chat)
    # when it restores the SIGINT handler, which would be timed as framework cost.
    generator = ZeroLatency()
    loop = asyncio.new_event_loop()
    with GC:
        start, collected = time.process_time(), GC.spent
        try:
            chats: list[Chat] = loop.run_until_complete(impl(generator, kind, n, until, items))
        finally:
            loop.close()
        total = time.process_time() - start
    log.append((total - generator._spent) / n * 1e6)
    if gc_log is not None:
        gc_log.append((GC.spent - collected) / n * 1e6)
    return chats


def _run_and_drop(*args: Any) -> int:
    """`_run` for the timed rounds: the chats are dropped before the next round starts.

    pytest-benchmark keeps a round's return value until the next round has returned, so
    returning the chats would keep the previous round's 10,000 chats alive during the next
    one and double the heap every full garbage collection walks, which no single run has.
    """
    return len(_run(*args))


CASES = [
    pytest.param(kind, n, until, id=f"{kind}-{n}-{'until' if until else 'plain'}")
    for kind in ("many", "batch")
    for n in (1_000, 10_000)
    for until in (False, True)
]


def _same(ours: list[Chat], base: list[Chat]) -> None:
    assert [c.conversation for c in ours] == [c.conversation for c in base]
    assert [[p.model for p in c.last.parts] for c in ours] == [
        [p.model for p in c.last.parts] for c in base
    ]


@pytest.mark.parametrize(("kind", "n", "until"), CASES)
def bench_pipeline(benchmark: Any, kind: str, n: int, until: bool) -> None:
    items = _items(n)
    _same(_run(_ours, kind, n, until, items, []), _run(_baseline, kind, n, until, items, []))
    benchmark.group = f"pipeline-{kind}-{n}-{'until' if until else 'plain'}"
    _bench_ours(benchmark, kind, n, until, items)


@pytest.mark.parametrize(("kind", "n", "until"), [c for c in CASES if c.values[1] == 10_000])
def bench_pipeline_frozen_heap(benchmark: Any, kind: str, n: int, until: bool) -> None:
    """The same runs after `gc.freeze()` (undone afterwards): the start-up heap (modules,
    pydantic-core validators, pytest) is left out of every collection, as an application can
    do once it has started. What remains of the GC share is the run's own objects."""
    items = _items(n)
    benchmark.group = f"pipeline-{kind}-{n}-{'until' if until else 'plain'}"
    gc.collect()
    gc.freeze()
    try:
        _bench_ours(benchmark, kind, n, until, items)
    finally:
        gc.unfreeze()


def _bench_ours(benchmark: Any, kind: str, n: int, until: bool, items: Any) -> None:
    log: list[float] = []
    gc_log: list[float] = []
    benchmark.pedantic(
        _run_and_drop, args=(_ours, kind, n, until, items, log, gc_log), rounds=5, iterations=1
    )
    benchmark.extra_info["overhead_us_per_chat"] = round(min(log), 2)
    benchmark.extra_info["overhead_us_per_chat_median"] = round(statistics.median(log), 2)
    # Part of the overhead above: the cyclic collector walking the heap (the chats the run
    # keeps included); the rest is rigging's own code.
    benchmark.extra_info["gc_us_per_chat_median"] = round(statistics.median(gc_log), 2)
    benchmark.extra_info["overhead_without_gc_us_per_chat"] = round(
        min(total - spent for total, spent in zip(log, gc_log, strict=True)), 2
    )


@pytest.mark.parametrize(("kind", "n", "until"), CASES)
def bench_pipeline_baseline(benchmark: Any, kind: str, n: int, until: bool) -> None:
    items = _items(n)
    log: list[float] = []
    benchmark.group = f"pipeline-{kind}-{n}-{'until' if until else 'plain'}"
    benchmark.pedantic(
        _run_and_drop, args=(_baseline, kind, n, until, items, log), rounds=3, iterations=1
    )
    benchmark.extra_info["overhead_us_per_chat"] = round(min(log), 2)
