"""FFI edges of `candidates` and `place_parts`: what the message layer's parsing relies on."""

from __future__ import annotations

import itertools
import typing as t

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rigging import _native
from rigging._native import Found, SpliceError, Tags, candidates, scan


class Pretty:
    """A stand-in model whose pretty XML is fixed."""

    def __init__(self, xml: object) -> None:
        self.xml = xml

    def to_pretty_xml(self) -> object:
        return self.xml


class Other(Pretty):
    """Another model class."""


def _pair(model: object, where: slice) -> tuple[object, slice]:
    return model, where


def place_parts(
    text: str | None,
    models: list[t.Any],
    spans: list[tuple[int, int]],
    first_new: int,
    make: t.Any,
) -> tuple[str | None, list[t.Any] | None]:
    """`_native.place_parts` with the new models given from ``first_new`` on."""
    found = [
        Found(m, slice(*s), False)
        for m, s in zip(models[first_new:], spans[first_new:], strict=True)
    ]
    return _native.place_parts(text, models[:first_new], spans[:first_new], found, make)


def test_candidates_are_the_innermost_elements_in_position_order() -> None:
    text = "<a>use <a>x</a><a/></a> <a>z</a>"
    [spans] = candidates(text, ["a"])
    assert [(s.start, s.end, hollow) for s, hollow in spans] == [
        (7, 15, False),
        (15, 19, True),
        (24, 32, False),
    ]
    assert candidates(text, Tags(["a"])) == [spans]
    assert candidates("no tags", ["a", "b"]) == [[], []]
    assert candidates(text, ["a", "a"]) == [spans, spans]
    with pytest.raises(TypeError):
        candidates(text, "a")


_PIECES = ["<a>", "</a>", "<a/>", "<b>", "</b>", "<b x='", "'", ">", "<", " ", "x", "<!--", "-->"]


@given(st.lists(st.sampled_from(_PIECES), max_size=16))
def test_candidates_follow_the_rule_per_name_whatever_else_is_scanned(pieces: list[str]) -> None:
    text = "".join(pieces)
    both = candidates(text, ["a", "b"])
    for index, name in enumerate(["a", "b"]):
        spans = sorted(scan(text, [name]), key=lambda s: (s.start, -s.end))
        pairs = [s for s in spans if not s.self_closing]
        outer = {a.start for a, b in itertools.pairwise(pairs) if b.start < a.end}
        kept = [s for s in spans if s.self_closing or s.start not in outer]
        blank = [s.self_closing or not text[s.inner_start : s.inner_end].strip() for s in kept]
        expected = list(zip(kept, blank, strict=True))
        assert candidates(text, [name]) == [expected]
        assert both[index] == expected


@given(st.sampled_from([chr(c) for c in range(0x3001)] + ["\U0001f600", "\ud800"]))
def test_hollow_is_what_str_isspace_says(char: str) -> None:
    text = f"<a>{char}{char}</a>"
    assert candidates(text, ["a"])[0][0][1] == text[3:5].isspace()


def test_hollow_agrees_with_isspace_on_every_whitespace_character() -> None:
    spaces = [chr(c) for c in range(0x110000) if chr(c).isspace()]
    rust_only = ["\u180e", "\u200b", "\ufeff"]  # not whitespace to either
    text = "".join(f"<a>{c}</a>" for c in spaces + rust_only)
    flags = [hollow for _, hollow in candidates(text, ["a"])[0]]
    assert flags == [True] * len(spaces) + [False] * len(rust_only)


def test_place_parts_normalises_standalone_new_parts_only() -> None:
    text = "x <q><a>1</a></q> <a>2</a> <a>3</a>"
    models = [Pretty("<q/>"), Pretty("<a>one</a>"), Pretty("<a>two</a>"), Pretty("<a>3</a>")]
    spans = [(2, 17), (5, 13), (18, 26), (27, 35)]
    new_text, placed = place_parts(text, models, spans, 1, _pair)
    # The old part and the part inside it keep their text; the last one is already pretty.
    assert new_text == "x <q><a>1</a></q> <a>two</a> <a>3</a>"
    assert placed is not None
    assert [(models.index(m), (s.start, s.stop, s.step)) for m, s in placed] == [
        (0, (2, 17, None)),
        (1, (5, 13, None)),
        (2, (18, 28, None)),
        (3, (29, 37, None)),
    ]


def test_place_parts_without_change_or_on_list_content() -> None:
    model = Pretty("<a>1</a>")
    assert place_parts("<a>1</a>", [model], [(0, 8)], 0, _pair) == (None, [(model, slice(0, 8))])
    assert place_parts(None, [model], [(0, 8)], 0, _pair) == (None, [(model, slice(0, 8))])


def test_place_parts_adds_a_model_once_per_range_and_class() -> None:
    one, two, other = Pretty("<a>1</a>"), Pretty("<a>1</a>"), Other("<a>1</a>")
    text = "<a>1</a>"
    assert place_parts(text, [one, two], [(0, 8), (0, 8)], 1, _pair) == (None, None)
    _, placed = place_parts(text, [one, two, other], [(0, 8), (0, 8), (0, 8)], 0, _pair)
    assert placed == [(one, slice(0, 8)), (other, slice(0, 8))]


def test_place_parts_keeps_lone_surrogates() -> None:
    text = "\ud800 <a> 1 </a> \udfff"
    model = Pretty("<a>\udc00</a>")
    new_text, placed = place_parts(text, [model], [(2, 12)], 0, _pair)
    assert new_text == "\ud800 <a>\udc00</a> \udfff"
    assert placed == [(model, slice(2, 10))]


def test_place_parts_errors() -> None:
    with pytest.raises(ValueError, match="Incoming part 5:15 overlaps the part 0:10 without"):
        place_parts("x" * 20, [Pretty("a"), Pretty("b")], [(0, 10), (5, 15)], 1, _pair)
    with pytest.raises(SpliceError, match="span 0 \\(0, 30\\) is not a range"):
        place_parts("x" * 20, [Pretty("a")], [(0, 30)], 0, _pair)
    with pytest.raises(TypeError, match="to_pretty_xml\\(\\) must return a str"):
        place_parts("x" * 20, [Pretty(3)], [(0, 3)], 0, _pair)


def test_place_parts_builds_pydantic_parts_without_validation() -> None:
    from pydantic import BaseModel, ConfigDict

    from rigging._model.fast import construct, shared_fields_set

    class Part(BaseModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        model: object
        where: slice

    class Plain(BaseModel):
        n: int

    shared = shared_fields_set(Part)
    text = "<a>1</a> <a>2</a>"
    models = [Pretty("<a>one</a>"), Pretty("<a>2</a>")]
    new_text, placed = place_parts(
        text, models, [(0, 8), (9, 17)], 0, (Part, "model", "where", shared)
    )
    assert new_text == "<a>one</a> <a>2</a>"
    assert placed is not None
    expected = [construct(Part, {"model": models[0], "where": slice(0, 10)})]
    expected.append(construct(Part, {"model": models[1], "where": slice(11, 19)}))
    assert placed == expected
    assert all(type(p) is Part and p.model_fields_set is shared for p in placed)
    assert placed[0].__pydantic_extra__ is None
    assert placed[0].__pydantic_private__ is None
    with pytest.raises(TypeError):  # the class must be a type object.__new__ accepts
        place_parts(text, models, [(0, 8), (9, 17)], 0, (Plain(n=1), "model", "where", shared))
    with pytest.raises(ValueError, match="length 4"):
        place_parts(text, models, [(0, 8), (9, 17)], 0, (Part, "model", "where"))


def test_part_maker_builds_what_construct_builds() -> None:
    from pydantic import BaseModel, ConfigDict

    from rigging._message.content import ParsedMessagePart
    from rigging._message.parts import make_part, part_at
    from rigging._model.fast import construct, shared_fields_set
    from rigging.model import Model

    class Part(BaseModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        model: object
        where: slice

    shared = shared_fields_set(Part)
    make = _native.PartMaker((Part, "model", "where", shared))
    model = Pretty("<a/>")
    part = make(model, 3, 7)
    assert part == construct(Part, {"model": model, "where": slice(3, 7)})
    assert part.where == slice(3, 7)
    assert part.where.step is None  # as `place_parts` makes it
    assert part.model is model
    assert part.model_fields_set is shared
    assert part.__pydantic_extra__ is None
    assert part.__pydantic_private__ is None
    assert make(model, 3, 7) is not part  # a new part per call

    class Tag(Model):
        text: str

    tag = Tag(text="x")
    built = part_at(tag, 0, 12)
    assert type(built) is ParsedMessagePart
    validated = ParsedMessagePart(model=tag, slice_=slice(0, 12))
    assert built == make_part(tag, slice(0, 12)) == validated
    assert built.model_dump() == validated.model_dump()
    with pytest.raises(TypeError, match="PartMaker takes"):
        _native.PartMaker(_pair)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="length 4"):
        _native.PartMaker((Part, "model", "where"))  # type: ignore[arg-type]


def test_place_parts_refuses_malformed_arguments() -> None:
    model = Pretty("<a>1</a>")
    with pytest.raises(ValueError, match="1 models for 0 spans"):
        _native.place_parts("<a>1</a>", [model], [], [], _pair)
    with pytest.raises(TypeError):
        _native.place_parts("<a>1</a>", [], [], [(model, slice(0, 8))], _pair)  # type: ignore[list-item]
    with pytest.raises(TypeError):  # plan_of must give a plan or None
        _native.place_parts("<a>1</a> ", [], [], [Found(model, slice(0, 8), False)], _pair, repr)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="step"):
        Found(model, slice(0, 8, 1), False)
    with pytest.raises(ValueError, match="non-negative int"):
        Found(model, slice(-1, 8), False)


def _prefer_filled_then_sort(lists: list[list[Found[t.Any]]]) -> list[Found[t.Any]]:
    """`merge_filled` written out in Python: what `found_many` did before it was native."""
    merged: list[Found[t.Any]] = []
    for found in lists:
        filled = [item for item in found if not item.hollow]
        merged.extend(found if len(found) == 1 or not filled else filled)
    return sorted(merged, key=lambda item: item.start)


@given(
    st.lists(
        st.lists(st.tuples(st.integers(0, 6), st.booleans()), max_size=5),
        max_size=4,
    )
)
def test_merge_filled_keeps_filled_results_and_sorts_stably(
    shape: list[list[tuple[int, bool]]],
) -> None:
    lists = [
        [
            Found(f"m{i}.{j}", slice(start, start + 1), hollow)
            for j, (start, hollow) in enumerate(each)
        ]
        for i, each in enumerate(shape)
    ]
    got = _native.merge_filled(lists)
    expected = _prefer_filled_then_sort(lists)
    assert [item.model for item in got] == [item.model for item in expected]


def test_merge_filled_refuses_what_is_not_found() -> None:
    with pytest.raises(TypeError):
        _native.merge_filled([[object()]])  # type: ignore[arg-type]
