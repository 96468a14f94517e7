"""Strip 1,000 parts from a 1 MB message and remap 1,000 other parts: native vs plain Python."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import cache

from pytest_benchmark.fixture import BenchmarkFixture

from benches.corpus import MB, make_corpus
from rigging._native import strip_spans

Spans = list[tuple[int, int]]
Result = tuple[str, list[tuple[int, int] | None]]
PARTS = 1_000


@cache
def _case() -> tuple[str, Spans, Spans]:
    text = make_corpus(MB)
    answers = [m.span() for m in re.finditer(r"<answer>.*?</answer>", text, re.DOTALL)]
    others = r"<(thinking|fun-fact|question)\b[^>]*>.*?</\1>"
    thinking = [m.span() for m in re.finditer(others, text, re.DOTALL)]
    remove = answers[:: len(answers) // PARTS][:PARTS]
    # Parts of one message do not overlap: keep the other tags that miss every removed part.
    starts = [s for s, _ in remove]
    ends = [e for _, e in remove]
    disjoint = [
        (s, e)
        for s, e in thinking
        # Disjoint when every removed part that starts before `e` ends by `s`.
        if bisect_right(ends, s) == bisect_left(starts, e)
    ]
    keep = disjoint[:: len(disjoint) // PARTS][:PARTS]
    assert len(remove) == len(keep) == PARTS
    # Hand the removed parts over out of order.
    return text, remove[::-1], keep


def python_strip(text: str, remove: Spans, spans: Spans) -> Result:
    """Upstream's approach: slice and concatenate per removed part, then shift later parts."""
    pending = list(remove)
    kept: list[tuple[int, int] | None] = list(spans)
    while pending:
        start, end = pending.pop(0)
        text = text[:start] + text[end:]
        width = end - start
        pending = [(s - width, e - width) if s >= end else (s, e) for s, e in pending]
        for i, span in enumerate(kept):
            if span is not None and span[0] >= end:
                kept[i] = (span[0] - width, span[1] - width)
    return text, kept


def bench_strip_native(benchmark: BenchmarkFixture) -> None:
    text, remove, keep = _case()
    expected = python_strip(text, remove, keep)
    assert benchmark(strip_spans, text, remove, keep) == expected


def bench_strip_python(benchmark: BenchmarkFixture) -> None:
    text, remove, keep = _case()
    expected = strip_spans(text, remove, keep)
    assert benchmark(python_strip, text, remove, keep) == expected
