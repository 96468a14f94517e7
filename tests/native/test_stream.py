"""FFI edges of `rigging._native.TagStream`."""

from __future__ import annotations

import pytest

from rigging._native import Span, TagStream, scan

TEXT = "😀 東京 <answer n='1'>é🚀</answer> <fun-fact>a</fun-fact> <answer>cut"
TAGS = ["answer", "fun-fact"]


def feed_all(stream: TagStream, chunks: list[str] | list[bytes]) -> list[Span]:
    spans: list[Span] = []
    for chunk in chunks:
        spans.extend(stream.feed(chunk))
    return spans + stream.finish()


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 1000])
def test_bytes_chunks_split_inside_characters(size: int) -> None:
    data = TEXT.encode()
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    stream = TagStream(TAGS, incomplete="close")
    assert feed_all(stream, chunks) == scan(TEXT, TAGS, incomplete="close")


def test_str_chunks_and_global_offsets() -> None:
    stream = TagStream(TAGS)
    assert stream.feed("😀 東京 <ans") == ()
    assert stream.position == 9
    assert stream.feed("wer n='1'>é🚀</answer") == ()
    (span,) = stream.feed(">")
    assert TEXT[span.slice] == "<answer n='1'>é🚀</answer>"
    assert TEXT[span.inner_slice] == "é🚀"


def test_each_span_comes_with_its_closing_chunk_once() -> None:
    stream = TagStream(["a"])
    seen = [stream.feed(c) for c in ["<a>x</", "a", ">", "<a/", ">"]]
    assert [len(s) for s in seen] == [0, 0, 1, 0, 1]
    assert stream.finish() == []


def test_mixed_str_and_bytes() -> None:
    stream = TagStream(["a"])
    spans = stream.feed("é<a>") + stream.feed(b"\xc3") + stream.feed(b"\xa9</a>")
    assert [(s.start, s.inner_start, s.inner_end) for s in spans] == [(1, 4, 5)]


def test_position_counts_complete_code_points() -> None:
    stream = TagStream(["a"])
    stream.feed("😀".encode()[:2])
    assert stream.position == 0
    stream.feed("😀".encode()[2:])
    assert stream.position == 1


def test_invalid_utf8_is_rejected_and_stream_goes_on() -> None:
    stream = TagStream(["a"])
    stream.feed("<a>")
    with pytest.raises(ValueError, match="not valid UTF-8: invalid byte at byte 4 of the stream"):
        stream.feed(b"x\xff")
    assert stream.position == 3
    assert [s.inner_start for s in stream.feed("y</a>")] == [3]


def test_truncated_character_at_finish() -> None:
    stream = TagStream(["a"])
    stream.feed(b"ab\xe6\x9d")
    with pytest.raises(
        ValueError, match="ended inside a multi-byte UTF-8 character starting at byte 2"
    ):
        stream.finish()


def test_feed_after_finish_is_a_runtime_error() -> None:
    stream = TagStream(["a"], incomplete="close")
    stream.feed("<a>open")
    (span,) = stream.finish()
    assert not span.closed
    with pytest.raises(RuntimeError, match=r"the tag stream is finished; feed\(\) and finish\(\)"):
        stream.feed("more")
    with pytest.raises(RuntimeError, match="finished"):
        stream.finish()


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="chunk must be str or bytes, not int"):
        TagStream(["a"]).feed(3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not a str"):
        TagStream("a")
    with pytest.raises(ValueError, match='invalid tag name "a b"'):
        TagStream(["a b"])
    with pytest.raises(ValueError, match="incomplete must be 'drop' or 'close'"):
        TagStream(["a"], incomplete="keep")  # type: ignore[arg-type]


def test_repr() -> None:
    stream = TagStream(["a", "fun-fact"], incomplete="close")
    stream.feed("héllo")
    assert repr(stream) == "TagStream(tags=['a', 'fun-fact'], incomplete='close', position=5)"


def test_large_chunk_releases_the_gil_and_agrees() -> None:
    text = "<a>" + "é" * 50_000 + "</a>"
    stream = TagStream(["a"])
    (span,) = stream.feed(text.encode())
    assert span == scan(text, ["a"])[0]
