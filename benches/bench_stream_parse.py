"""Models parsed while a 1 MB answer streams in 4-byte chunks, against parsing it at the end.

Three lines over the same deltas of the shared corpus (types `Answer`, `Question`,
`Thinking`, about 2,900 models):

- ``streamed``: `ModelStream.feed` on every delta, then `finish` (what `ChatPipeline.stream`
  does per item);
- ``buffered``: collect the deltas, join them, then one `try_parse_many` (the non-streaming
  way to consume the same stream);
- ``one_shot``: `try_parse_many` on the already-joined text (the parse alone);
- ``floor``: the streamed loop calling an empty Python function per delta (what any per-delta
  API costs before doing anything).

Time to first model: the streamed path has its first model after a few hundred bytes; the
buffered path only after the last delta. Each bench first checks that all lines find the same
models.

Total scanner cost: `rigging._native.TagStream` fed the same 4-byte chunks against one
`rigging._native.scan` of the whole text (same spans). The streamed benches record in
``extra_info`` their ratio to the one-shot line (min of a few timed runs of it), and the
paired 1 MB / 0.1 MB ratios show that both streamed lines are linear.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

import pytest
from corpus import MB, make_corpus
from paired import paired_ratio

from rigging import _native
from rigging.model import Answer, Model, Question, Thinking
from rigging.parsing import try_parse_many
from rigging.stream import ModelStream, ParsedModel

TYPES: tuple[type[Model], ...] = (Answer, Question, Thinking)
TAGS = ["answer", "question", "thinking"]
Key = tuple[int, int, str, str]
T = TypeVar("T")


def deltas_of(text: str, size: int = 4) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def streamed(deltas: list[str]) -> list[tuple[Model, slice]]:
    stream = ModelStream(*TYPES)
    feed = stream.feed
    found: list[ParsedModel[Model]] = []
    for delta in deltas:
        found += feed(delta)
    found += stream.finish()
    return [(item.model, item.slice) for item in found]


def buffered(deltas: list[str]) -> list[tuple[Model, slice]]:
    parts: list[str] = []
    add = parts.append
    for delta in deltas:
        add(delta)
    return try_parse_many("".join(parts), *TYPES)


def _nothing(delta: str) -> list[tuple[Model, slice]]:
    return []


def empty_call_per_delta(deltas: list[str]) -> list[tuple[Model, slice]]:
    """The floor of any per-delta API: the streamed loop calling a function that does nothing."""
    found: list[tuple[Model, slice]] = []
    feed = _nothing
    for delta in deltas:
        found += feed(delta)
    return found


def one_shot(text: str) -> list[tuple[Model, slice]]:
    return try_parse_many(text, *TYPES)


def first_model(deltas: list[str]) -> int:
    """Characters received when the first model came out of the stream."""
    stream = ModelStream(*TYPES)
    received = 0
    for delta in deltas:
        received += len(delta)
        if stream.feed(delta):
            return received
    raise AssertionError("no model in the corpus")


def scanned_in_chunks(deltas: list[str]) -> list[_native.Span]:
    scanner = _native.TagStream(TAGS)
    feed = scanner.feed
    spans: list[_native.Span] = []
    for delta in deltas:
        spans += feed(delta)
    spans += scanner.finish()
    return spans


def scanned_whole(text: str) -> list[_native.Span]:
    return _native.scan(text, TAGS)


def record_ratio(benchmark: Any, name: str, baseline: Any, *args: Any) -> None:
    """Store ``min(this bench) / min(baseline)`` in extra_info (timed runs of the baseline)."""
    if benchmark.disabled:
        return
    best = min(_timed(baseline, *args) for _ in range(5))
    benchmark.extra_info[f"{name}_min_ms"] = round(best * 1e3, 3)
    benchmark.extra_info[f"ratio_to_{name}"] = round(benchmark.stats.stats.min / best, 2)


def _timed(func: Any, *args: Any) -> float:
    start = time.perf_counter()
    func(*args)
    return time.perf_counter() - start


def span_keys(spans: list[_native.Span]) -> list[tuple[str, int, int, int, int, bool]]:
    return sorted(
        (s.tag, s.start, s.end, s.inner_start, s.inner_end, s.self_closing) for s in spans
    )


def keys(found: list[tuple[Model, slice]]) -> list[Key]:
    return sorted((s.start, s.stop, type(m).__name__, m.model_dump_json()) for m, s in found)


@pytest.fixture(scope="module")
def deltas_1mb(corpus_1mb: str) -> list[str]:
    return deltas_of(corpus_1mb)


@pytest.fixture(scope="module")
def expected_1mb(corpus_1mb: str) -> list[Key]:
    return keys(one_shot(corpus_1mb))


def test_all_lines_find_the_same_models(
    corpus_1mb: str, deltas_1mb: list[str], expected_1mb: list[Key]
) -> None:
    assert len(expected_1mb) > 1000
    assert keys(streamed(deltas_1mb)) == expected_1mb
    assert keys(buffered(deltas_1mb)) == expected_1mb


def bench_streamed_4_byte_deltas_1mb(
    benchmark: Any, deltas_1mb: list[str], expected_1mb: list[Key]
) -> None:
    benchmark.group = "parse a 1 MB answer, 4-byte deltas"
    assert keys(benchmark(streamed, deltas_1mb)) == expected_1mb
    record_ratio(benchmark, "buffered", buffered, deltas_1mb)
    record_ratio(benchmark, "one_shot", one_shot, "".join(deltas_1mb))


def bench_buffered_then_parse_1mb(
    benchmark: Any, deltas_1mb: list[str], expected_1mb: list[Key]
) -> None:
    benchmark.group = "parse a 1 MB answer, 4-byte deltas"
    assert keys(benchmark(buffered, deltas_1mb)) == expected_1mb


def bench_one_shot_parse_1mb(benchmark: Any, corpus_1mb: str, expected_1mb: list[Key]) -> None:
    benchmark.group = "parse a 1 MB answer, 4-byte deltas"
    assert keys(benchmark(one_shot, corpus_1mb)) == expected_1mb


def bench_floor_empty_call_per_delta_1mb(benchmark: Any, deltas_1mb: list[str]) -> None:
    benchmark.group = "parse a 1 MB answer, 4-byte deltas"
    assert benchmark(empty_call_per_delta, deltas_1mb) == []
    record_ratio(benchmark, "one_shot", one_shot, "".join(deltas_1mb))


def bench_time_to_first_model_streamed(benchmark: Any, deltas_1mb: list[str]) -> None:
    benchmark.group = "time to first model, 1 MB answer"
    at = benchmark(first_model, deltas_1mb)
    benchmark.extra_info["chars_received_at_first_model"] = at
    assert at < 2_000


def bench_time_to_first_model_buffered(benchmark: Any, deltas_1mb: list[str]) -> None:
    benchmark.group = "time to first model, 1 MB answer"
    found = benchmark(buffered, deltas_1mb)
    benchmark.extra_info["chars_received_at_first_model"] = sum(map(len, deltas_1mb))
    assert found


def paired_linear(benchmark: Any, line: Callable[[list[str]], T]) -> tuple[T, str]:
    """``line`` on the 4-byte deltas of ten distinct 0.1 MB answers against one 1 MB answer,
    in pairs (see `paired.py`): about 10 when linear. Returns the 1 MB result and its text."""
    small = [deltas_of(make_corpus(MB // 10, seed=seed)) for seed in range(100, 110)]
    big = deltas_of(make_corpus(MB, seed=11))
    found = paired_ratio(
        benchmark, [partial(line, d) for d in small], lambda: line(big), label="1mb_over_0_1mb"
    )
    return found, "".join(big)


def bench_streamed_linear(benchmark: Any) -> None:
    """Streamed 4-byte deltas, 0.1 MB against 1 MB in pairs."""
    benchmark.group = "streamed 4-byte deltas, 1 MB / 0.1 MB, paired"
    found, text = paired_linear(benchmark, streamed)
    assert keys(found) == keys(one_shot(text))


def bench_scanner_4_byte_chunks_1mb(benchmark: Any, corpus_1mb: str, deltas_1mb: list[str]) -> None:
    benchmark.group = "scanner alone, 1 MB answer"
    expected = span_keys(scanned_whole(corpus_1mb))
    assert len(expected) > 1000
    assert span_keys(benchmark(scanned_in_chunks, deltas_1mb)) == expected
    record_ratio(benchmark, "one_shot_scan", scanned_whole, corpus_1mb)


def bench_scanner_one_shot_1mb(benchmark: Any, corpus_1mb: str) -> None:
    benchmark.group = "scanner alone, 1 MB answer"
    assert len(benchmark(scanned_whole, corpus_1mb)) > 1000


def bench_scanner_chunks_linear(benchmark: Any) -> None:
    """The scanner fed 4-byte chunks, 0.1 MB against 1 MB in pairs."""
    benchmark.group = "scanner 4-byte chunks, 1 MB / 0.1 MB, paired"
    found, text = paired_linear(benchmark, scanned_in_chunks)
    assert span_keys(found) == span_keys(scanned_whole(text))
