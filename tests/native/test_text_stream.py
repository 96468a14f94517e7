"""FFI edges of `rigging._native.TextStream` (the kept-text scanner behind `ModelStream`)."""

from __future__ import annotations

import gc
import weakref
from typing import Any

import pytest

from rigging._native import ScanError, Span, TextStream, scan

TEXT = "😀 東京 <answer n='1'>é🚀</answer> <fun-fact>a</fun-fact> <answer>cut"
TAGS = ["answer", "fun-fact"]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_spans_text_and_slices_agree_with_scan(size: int) -> None:
    stream = TextStream(TAGS, incomplete="close")
    spans: list[Span] = []
    for i in range(0, len(TEXT), size):
        spans += stream.feed(TEXT[i : i + size])
    spans += stream.finish()
    assert spans == scan(TEXT, TAGS, incomplete="close")
    assert stream.text == TEXT
    assert stream.position == len(TEXT)
    for span in spans:
        assert stream.slice(span.start, span.end) == TEXT[span.slice]
        assert stream.slice(span.inner_start, span.inner_end) == TEXT[span.inner_slice]


def test_long_non_ascii_text_slices_through_the_index() -> None:
    unit = "é東😀 <answer>ü</answer>\n"
    text = unit * 20_000  # ~600 KB, many index marks
    stream = TextStream(["answer"])
    spans: list[Span] = []
    for i in range(0, len(text), 4096):
        spans += stream.feed(text[i : i + 4096])
    assert len(spans) == 20_000
    assert all(stream.slice(s.inner_start, s.inner_end) == "ü" for s in spans)
    assert stream.slice(len(text) - 3, len(text)) == text[-3:]


def test_callback_gets_each_nonempty_batch_and_its_result_is_returned() -> None:
    batches: list[tuple[Span, ...]] = []

    def on_spans(spans: tuple[Span, ...]) -> tuple[Any, ...]:
        batches.append(spans)
        return tuple(("built", s.tag) for s in spans)

    stream = TextStream(TAGS, on_spans)
    assert stream.feed("<answer>x</ans") == ()
    assert batches == []
    assert stream.feed("wer> <fun-fact/>") == (("built", "answer"), ("built", "fun-fact"))
    assert [len(b) for b in batches] == [2]
    assert all(type(b) is tuple for b in batches)
    assert stream.feed("tail") == ()


def test_callback_may_read_and_even_feed_the_stream() -> None:
    stream: TextStream

    def reads(spans: tuple[Span, ...]) -> tuple[str, ...]:
        return tuple(stream.slice(s.inner_start, s.inner_end) for s in spans)

    stream = TextStream(["a"], reads)
    assert stream.feed("<a>hé</a>") == ("hé",)

    def feeds(spans: tuple[Span, ...]) -> tuple[Any, ...]:
        # No borrow is held while the callback runs, so the stream stays consistent.
        more = stream.feed("<a>y</a>" if len(stream.text) < 9 else "")
        return (*(s.start for s in spans), *more)

    stream = TextStream(["a"], feeds)
    assert stream.feed("<a>x</a>") == (0, 8)
    assert stream.text == "<a>x</a><a>y</a>"


def test_callback_errors_propagate() -> None:
    def boom(spans: tuple[Span, ...]) -> tuple[Any, ...]:
        raise KeyError("from the callback")

    stream = TextStream(["a"], boom)
    with pytest.raises(KeyError, match="from the callback"):
        stream.feed("<a>x</a>")
    assert stream.text == "<a>x</a>"  # the text was kept before the callback ran


def test_cycle_through_the_callback_is_collected() -> None:
    class Owner:
        def __init__(self) -> None:
            self.stream = TextStream(["a"], self.on_spans)

        def on_spans(self, spans: tuple[Span, ...]) -> tuple[Any, ...]:
            return tuple(spans)

    owner = Owner()
    ref = weakref.ref(owner)
    del owner
    gc.collect()
    assert ref() is None


def test_bad_arguments_and_states() -> None:
    stream = TextStream(["a"])
    with pytest.raises(TypeError, match="chunk must be str, not bytes"):
        stream.feed(b"<a>")  # type: ignore[arg-type]
    stream.feed("héllo")
    with pytest.raises(ValueError, match="slice 3:2 is not within the 5 code points fed"):
        stream.slice(3, 2)
    with pytest.raises(ValueError, match="slice 0:6"):
        stream.slice(0, 6)
    with pytest.raises(ScanError):
        TextStream(["bad name"])
    with pytest.raises(TypeError, match="not a str"):
        TextStream("a")
    assert repr(stream) == "TextStream(tags=['a'], incomplete='drop', position=5)"
    assert stream.finish() == []
    with pytest.raises(RuntimeError, match="finished"):
        stream.feed("x")
    assert stream.text == "héllo"


def test_large_chunk_releases_the_gil_and_agrees() -> None:
    text = ("x" * 50 + "<answer>é</answer>") * 2_000
    stream = TextStream(["answer"])
    assert list(stream.feed(text)) == scan(text, ["answer"])
