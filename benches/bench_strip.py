"""Strip 1,000 parts from a 1 MB message and remap 1,000 other parts: native vs plain Python.

Also the dedent of message construction: `Message("assistant", text)` of 250 KB of the corpus
(code blocks give it indented lines) against `textwrap.dedent`, which 2.3 runs there.
"""

from __future__ import annotations

import re
import textwrap
import time
from bisect import bisect_left, bisect_right
from functools import cache
from typing import Any

from corpus import MB, make_corpus
from pytest_benchmark.fixture import BenchmarkFixture

from rigging._native import has_indented_line, strip_spans
from rigging.message import Message

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


@cache
def _dedent_cases() -> dict[str, str]:
    corpus = make_corpus(MB // 4)
    indented = "\n".join("    " + line if line else line for line in corpus.split("\n"))
    return {"corpus": corpus, "indented": indented}


def bench_message_dedent_ratio(benchmark: Any) -> None:
    """Construction of a 250 KB message, native dedent against `textwrap.dedent` (fresh `str`
    per call, as model output is), in alternation; the figures per case in ``extra_info``."""
    cases = _dedent_cases()
    # The corpus has indented lines (so the dedent runs) and no shared margin; the indented
    # case loses four spaces per line.
    assert has_indented_line(cases["corpus"])
    assert cases["indented"] != textwrap.dedent(cases["indented"])
    for text in cases.values():
        assert Message("assistant", text).content == textwrap.dedent(text)
    times: dict[str, list[float]] = {}

    def pair() -> None:
        for name, text in cases.items():
            for side, run in (
                ("native", Message),
                ("textwrap", lambda _, text: textwrap.dedent(text)),
            ):
                given = text.encode().decode()
                start = time.perf_counter()
                run("assistant", given)
                times.setdefault(f"{name}_{side}", []).append(time.perf_counter() - start)

    benchmark.pedantic(pair, rounds=10, warmup_rounds=1, iterations=1)
    if not benchmark.disabled:
        best = {key: min(values) for key, values in times.items()}
        for name in cases:
            native, other = best[f"{name}_native"], best[f"{name}_textwrap"]
            benchmark.extra_info[f"{name}_native_ms"] = round(native * 1e3, 3)
            benchmark.extra_info[f"{name}_textwrap_ms"] = round(other * 1e3, 3)
            benchmark.extra_info[f"{name}_ratio"] = round(other / native, 2)
