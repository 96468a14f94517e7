"""FFI edges of `splice` and `strip_spans`: types, code-point offsets, errors."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rigging._native import RiggingError, SpliceError, splice, strip_spans


def test_returns_str_and_list_of_tuples_or_none() -> None:
    text, spans = splice("hello world", [(0, 5, "HELLO!")], [(6, 11), (1, 3)])
    assert text == "HELLO! world"
    assert spans == [(7, 12), None]
    assert type(text) is str
    assert type(spans) is list
    assert type(spans[0]) is tuple


def test_spans_default_to_empty() -> None:
    assert splice("abc", [(1, 2, "")]) == ("ac", [])
    assert strip_spans("abc", [(1, 2)]) == ("ac", [])


def test_accepts_any_sequences_in_any_order() -> None:
    text, spans = splice("hello", ((5, 5, "!"), (0, 1, "H")), [(1, 5)])
    assert text == "Hello!"
    assert spans == [(1, 5)]


def test_offsets_are_code_points() -> None:
    text = "😀 <a>é</a> 東京 <b>x</b>"
    part_a = (text.index("<a>"), text.index("</a>") + 4)
    part_b = (text.index("<b>"), text.index("</b>") + 4)
    new, spans = splice(text, [(*part_a, "<a>éé</a>")], [part_a, part_b, (0, 1)])
    assert new == "😀 <a>éé</a> 東京 <b>x</b>"
    a, b, emoji = spans
    assert a is not None
    assert b is not None
    assert new[a[0] : a[1]] == "<a>éé</a>"
    assert new[b[0] : b[1]] == "<b>x</b>"
    assert emoji == (0, 1)


def test_strip_removes_overlapping_ranges_and_remaps() -> None:
    text = "keep <x>drop</x> keep <y>drop</y> end"
    x = (text.index("<x>"), text.index("</x>") + 4)
    y = (text.index("<y>"), text.index("</y>") + 4)
    inner = (x[0] + 3, x[1] - 4)
    tail = (text.index("end"), len(text))
    new, spans = strip_spans(text, [y, x, inner], [tail, x, inner])
    assert new == "keep  keep  end"
    t, gone, inside = spans
    assert t is not None
    assert new[t[0] : t[1]] == "end"
    assert gone == (5, 5)
    assert inside is None


def test_insertions_apply_in_given_order() -> None:
    new, spans = splice("ab", [(1, 1, "2"), (1, 1, "3"), (0, 0, "1")], [(0, 2), (1, 1)])
    assert new == "1a23b"
    assert spans == [(1, 5), (2, 3)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: splice("abc", [(0, 4, "x")]),
            "edit 0 (0, 4) is not a range within the text of length 3 "
            "(expected 0 <= start <= end <= 3)",
        ),
        (
            lambda: splice("😀😀", [(0, 1, ""), (2, 1, "")]),
            "edit 1 (2, 1) is not a range within the text of length 2 "
            "(expected 0 <= start <= end <= 2)",
        ),
        (
            lambda: splice("abcdef", [(3, 5, "x"), (0, 4, "y")]),
            "edit 0 (3, 5) overlaps edit 1 (0, 4) in the text of length 6 "
            "(edits may touch but not overlap)",
        ),
        (
            lambda: splice("abc", [], [(0, 1), (2, 9)]),
            "span 1 (2, 9) is not a range within the text of length 3 "
            "(expected 0 <= start <= end <= 3)",
        ),
        (
            lambda: splice("abc", [(-1, 1, "x")]),
            "edit 0 (-1, 1) has a negative offset in the text of length 3 "
            "(expected 0 <= start <= end <= 3)",
        ),
        (
            lambda: strip_spans("abc", [(0, 1), (1, 7)]),
            "range to remove 1 (1, 7) is not a range within the text of length 3 "
            "(expected 0 <= start <= end <= 3)",
        ),
        (
            lambda: strip_spans("abc", [(0, 1)], [(0, -2)]),
            "span 0 (0, -2) has a negative offset in the text of length 3 "
            "(expected 0 <= start <= end <= 3)",
        ),
    ],
)
def test_errors_name_the_item_and_text_length(call: Callable[[], object], message: str) -> None:
    with pytest.raises(SpliceError, match=f"^{re.escape(message)}$"):
        call()


def test_splice_error_is_a_value_error_and_rigging_error() -> None:
    with pytest.raises(ValueError, match="overlaps") as info:
        splice("abcd", [(0, 2, ""), (1, 3, "")])
    assert isinstance(info.value, RiggingError)


def test_wrong_shapes_and_types_are_rejected() -> None:
    with pytest.raises(ValueError, match="expected tuple of length 3, but got tuple of length 2"):
        splice("abc", [(0, 1)])  # type: ignore[list-item]
    with pytest.raises(TypeError, match="Can't extract `str` to `Vec`"):
        strip_spans("abc", "ab")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        splice("abc", [(0, 1, 2)])  # type: ignore[list-item]


def test_large_text() -> None:
    text = "é" * 100_000
    remove = [(i, i + 3) for i in range(0, 100_000, 10)]
    keep = [(i + 5, i + 8) for i in range(0, 100_000, 10)]
    new, spans = strip_spans(text, remove, keep)
    assert len(new) == 70_000
    assert spans[-1] == (69_995, 69_998)


def _naive_strip(text: str, remove: list[tuple[int, int]]) -> str:
    gone: set[int] = set()
    for start, end in remove:
        gone.update(range(start, end))
    return "".join(ch for i, ch in enumerate(text) if i not in gone)


@st.composite
def _strip_case(draw: st.DrawFn) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    text = draw(st.text(alphabet="ab é東😀<>", max_size=30))
    bound = st.integers(0, len(text))
    pairs = st.lists(st.tuples(bound, bound).map(lambda p: (min(p), max(p))), max_size=6)
    return text, draw(pairs), draw(pairs)


@given(_strip_case())
def test_strip_matches_naive_python(
    case: tuple[str, list[tuple[int, int]], list[tuple[int, int]]],
) -> None:
    text, remove, spans = case
    new, mapped = strip_spans(text, remove, spans)
    assert new == _naive_strip(text, remove)
    for (start, end), got in zip(spans, mapped, strict=True):
        if (start, end) in remove:
            continue  # equal to a removed range: empty, or gone if merged into a larger one
        cut = any(s < p < e for s, e in remove for p in (start, end))
        assert (got is None) == cut
        if got is None:
            continue
        # A surviving span holds its old text minus the removals inside it.
        inside = [(s - start, e - start) for s, e in remove if start <= s and e <= end]
        assert new[got[0] : got[1]] == _naive_strip(text[start:end], inside)
