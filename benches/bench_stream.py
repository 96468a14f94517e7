"""`TagStream` fed a 1 MB answer in 4-byte chunks, against one `scan` of the whole text.

From Python the 4-byte run is dominated by the ~250k calls themselves, so the group also
times the bare chunking loop (no scanner) to show what the scanner adds per chunk.
"""

from __future__ import annotations

from typing import Any

import pytest
from corpus import MB, TAGS, make_corpus

from rigging._native import Span, TagStream, scan


def chunks_of(text: str, size: int) -> list[bytes]:
    data = text.encode()
    return [data[i : i + size] for i in range(0, len(data), size)]


def streamed(chunks: list[bytes]) -> list[Span]:
    stream = TagStream(TAGS, incomplete="close")
    spans: list[Span] = []
    for chunk in chunks:
        spans += stream.feed(chunk)
    return spans + stream.finish()


def bare_loop(chunks: list[bytes]) -> int:
    total = 0
    for chunk in chunks:
        total += len(chunk)
    return total


@pytest.fixture(scope="module")
def chunks_1mb(corpus_1mb: str) -> list[bytes]:
    return chunks_of(corpus_1mb, 4)


def test_stream_equals_scan(corpus_1mb: str, chunks_1mb: list[bytes]) -> None:
    assert streamed(chunks_1mb) == scan(corpus_1mb, TAGS, incomplete="close")


def bench_scan_whole_1mb(benchmark: Any, corpus_1mb: str) -> None:
    benchmark.group = "stream 1 MB"
    assert benchmark(scan, corpus_1mb, TAGS, incomplete="close")


def bench_stream_4_byte_chunks_1mb(benchmark: Any, chunks_1mb: list[bytes]) -> None:
    benchmark.group = "stream 1 MB"
    assert benchmark(streamed, chunks_1mb)


def bench_bare_chunk_loop_1mb(benchmark: Any, chunks_1mb: list[bytes]) -> None:
    benchmark.group = "stream 1 MB"
    assert benchmark(bare_loop, chunks_1mb) == sum(map(len, chunks_1mb))


@pytest.mark.parametrize("size", [MB // 10, MB])
def bench_stream_4_byte_chunks_linear(benchmark: Any, size: int) -> None:
    benchmark.group = "stream 4-byte chunks, 0.1 MB vs 1 MB"
    text = make_corpus(size, seed=7)
    chunks = chunks_of(text, 4)
    assert benchmark(streamed, chunks) == scan(text, TAGS, incomplete="close")
