"""FFI edges of `rigging._native.scan` and `Span`."""

from __future__ import annotations

import re

import pytest

from rigging._native import RiggingError, ScanError, Span, TagStream, scan


def test_returns_spans_with_code_point_offsets() -> None:
    text = "😀 東京 café <answer id='1>2'>é🚀</answer> tail"
    (span,) = scan(text, ["answer"])
    assert isinstance(span, Span)
    assert text[span.slice] == "<answer id='1>2'>é🚀</answer>"
    assert text[span.inner_slice] == "é🚀"
    assert (span.tag, span.depth, span.self_closing, span.closed) == ("answer", 0, False, True)
    assert span.slice == slice(span.start, span.end)
    assert span.inner_slice == slice(span.inner_start, span.inner_end)


def test_field_types_and_repr() -> None:
    (span,) = scan("<a>x</a>", ("a",))
    assert all(
        type(v) is int for v in (span.start, span.end, span.inner_start, span.inner_end, span.depth)
    )
    assert type(span.self_closing) is bool
    assert repr(span) == (
        "Span(tag='a', start=0, end=8, inner_start=3, inner_end=4, depth=0, "
        "self_closing=False, closed=True)"
    )


def test_spans_are_frozen_equal_and_hashable() -> None:
    first = scan("<a>x</a>", ["a"])
    second = scan("<a>x</a>", ["a"])
    assert first == second
    assert len({*first, *second}) == 1
    assert first[0] != scan("<a>xy</a>", ["a"])[0]
    assert first[0] != "not a span"  # type: ignore[comparison-overlap]
    with pytest.raises(AttributeError):
        first[0].start = 3  # type: ignore[misc]


def test_rules_seen_from_python() -> None:
    text = "Use <answer> tags: <answer>hi</answer> <answers>no</answers> <answer/>"
    spans = scan(text, ["answer"])
    assert [text[s.inner_slice] for s in spans] == ["hi", ""]
    assert spans[1].self_closing
    nested = "<a>x <a>y</a> z</a>"
    assert [(nested[s.inner_slice], s.depth) for s in scan(nested, ["a"])] == [
        ("y", 1),
        ("x <a>y</a> z", 0),
    ]
    assert scan("<![CDATA[<a>x</a>]]><!-- <a>y</a> -->", ["a"]) == []


def test_incomplete_modes() -> None:
    text = "ok <answer>partial"
    assert scan(text, ["answer"]) == []
    assert scan(text, ["answer"], incomplete="drop") == []
    (span,) = scan(text, ["answer"], incomplete="close")
    assert (span.closed, text[span.inner_slice], span.end) == (False, "partial", len(text))


def test_bad_mode() -> None:
    with pytest.raises(ValueError, match="incomplete must be 'drop' or 'close', got \"yes\""):
        scan("", ["a"], incomplete="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("bad tag", "invalid tag name \"bad tag\": ' ' at index 3 is not a letter"),
        ("", "invalid tag name '': a tag name cannot be empty"),
        ("naïve", "invalid tag name \"naïve\": 'ï' at index 2"),
        # A lone surrogate is shown escaped (as `repr` shows it), not as U+FFFD.
        (
            "ab\udc80",
            re.escape("invalid tag name 'ab\\udc80': '\\udc80' at index 2 is a lone surrogate"),
        ),
    ],
)
def test_invalid_tag_names_are_named(name: str, message: str) -> None:
    with pytest.raises(ScanError, match=message) as caught:
        scan("<a>x</a>", ["a", name])
    assert isinstance(caught.value, RiggingError)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(ScanError, match=message):
        TagStream([name])


def test_tags_must_be_a_sequence_of_str() -> None:
    with pytest.raises(TypeError, match="not a str"):
        scan("<a>x</a>", "a")
    with pytest.raises(TypeError, match="tag names must be str, got int at index 1"):
        scan("<a>x</a>", ["a", 3])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        scan(b"<a>x</a>", ["a"])  # type: ignore[arg-type]


def test_large_text_with_many_spans() -> None:
    text = "é<answer>ok</answer>" * 20_000
    spans = scan(text, ["answer"])
    assert len(spans) == 20_000
    assert {text[s.inner_slice] for s in spans} == {"ok"}
    assert spans[-1].end == len(text)


def test_outermost_keeps_the_spans_no_other_holds_as_the_same_objects() -> None:
    from rigging._native import Tags, candidates, outermost

    text = "<a>x <a>y</a><a/></a> 😀 <a>z</a> <a/>"
    spans = scan(text, ["a"])
    kept = outermost(list(reversed(spans)))
    assert [text[s.slice] for s in kept] == ["<a>x <a>y</a><a/></a>", "<a>z</a>", "<a/>"]
    assert all(any(k is s for s in spans) for k in kept)
    # The rule of a name marked outermost in `Tags`.
    (marked,) = candidates(text, Tags(["a"], ["a"]))
    assert [s for s, _ in marked] == kept
    assert outermost([]) == []
