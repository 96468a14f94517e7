"""Size ratios measured in pairs of equal length, for the linearity figures of the benches.

Two effects inflate a ratio of separately taken minima on this kind of machine:

- the min of a long call is hit by more interruptions than the min of a short one;
- a small input timed over and over stays in the core's cache (2 MB of L2 here), a big one
  cannot, so the small calls run on warm memory that a real stream never has.

A paired round therefore runs the small calls back to back, one per *distinct* small input
(as many bytes in all as the big input, so both sides touch memory alike), keeping the
fastest single call too, and then the big call once: both sides take about as long and come
from the same stretch of time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")


def paired_ratio(
    benchmark: Any,
    smalls: Sequence[Callable[[], object]],
    big: Callable[[], T],
    *,
    rounds: int = 15,
    label: str = "10mb_over_1mb",
) -> T:
    """Time the ``smalls`` (each once, in turn) and ``big`` in pairs; return ``big()``'s last
    result.

    ``extra_info`` gets ``ratio_<label>``: ``len(smalls)`` times the min of ``big`` over the
    min of the back-to-back small calls, exactly ``len(smalls)`` for linear work; and
    ``ratio_of_single_minima`` (min of ``big`` over the fastest single small call) beside it.
    """
    factor = len(smalls)
    times: dict[str, list[float]] = {"single": [], "many": [], "big": []}

    def pair() -> T:
        single = float("inf")
        many = time.perf_counter()
        for small in smalls:
            start = time.perf_counter()
            small()
            single = min(single, time.perf_counter() - start)
        times["many"].append(time.perf_counter() - many)
        times["single"].append(single)
        start = time.perf_counter()
        found = big()
        times["big"].append(time.perf_counter() - start)
        return found

    found: T = benchmark.pedantic(pair, rounds=rounds, warmup_rounds=1, iterations=1)
    if not benchmark.disabled:
        single, many, big_min = (min(times[key]) for key in ("single", "many", "big"))
        benchmark.extra_info.update(
            min_small_ms=round(single * 1e3, 3),
            min_many_small_ms=round(many * 1e3, 3),
            min_big_ms=round(big_min * 1e3, 3),
            **{f"ratio_{label}": round(factor * big_min / many, 2)},
            ratio_of_single_minima=round(big_min / single, 2),
        )
    return found
