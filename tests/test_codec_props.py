"""Property tests: the native codec against pydantic-xml on generated model classes.

- parse: on texts written in declaration order (any quoting, CDATA, character references,
  bare ``&``, whitespace between children, unknown children) the native codec builds the
  same model as pydantic-xml in its most lenient search mode, or both refuse; field types
  are primitives, ``Literal``s and unions of primitives;
- except where a field holds ``""`` written as an empty element or text: pydantic-xml reads
  it as missing (refused, or the default), the codec as ``""`` (``None`` for an unwrapped
  optional field), a deliberate difference checked against the model's own values
  (`read_back_empty`);
- a literal member that is not a string reads back from its rendering (``"1"`` as ``1``,
  ``"true"`` as ``True``), where pydantic-xml refuses it: a deliberate extra acceptance, so
  for such classes the reference is pydantic-xml parsing a twin whose literal fields apply
  that one rule (`_codec_shapes.reference_class`);
- reordered children (fields interleaved at random, each list in order) give the native
  codec the same model as the ordered text: a deliberate extra acceptance;
- render: ``to_pretty_xml`` is byte-identical to pydantic-xml's pretty XML, and parses back;
  ``to_xml()`` (native for planned classes) is byte-identical to pydantic-xml's ``to_xml()``,
  also for hostile values (markup, entities, line ends, control and non-ASCII characters).
"""

from __future__ import annotations

import itertools
import re
import typing as t

from _codec_shapes import (
    HOSTILE_TEXT,
    STYLES,
    FieldShape,
    Style,
    field_shapes,
    make_class,
    prim_text,
    prim_values,
    read_back,
    reference_class,
    values_for,
    write_xml,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic_core import to_jsonable_python
from pydantic_xml import BaseXmlModel

from rigging._model.base import Model, class_info
from rigging._model.extract import build, build_pydantic_xml
from rigging._model.plan import codec_of
from rigging.error import XmlContentError

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


class _Span(t.NamedTuple):
    start: int
    end: int
    inner_start: int
    inner_end: int
    self_closing: bool


def _span(text: str) -> t.Any:
    return _Span(0, len(text), text.index(">") + 1, text.rindex("<"), False)


def outcome(build_one: t.Callable[[], Model]) -> Model | str:
    try:
        return build_one()
    except (ValidationError, XmlContentError, ValueError) as exc:
        return f"refused: {type(exc).__name__}"


def native(cls: type[Model], text: str) -> Model | str:
    return outcome(lambda: build(cls, class_info(cls), text, _span(text)))


def reference(cls: type[Model], text: str) -> Model | str:
    return outcome(lambda: build_pydantic_xml(cls, class_info(cls).tag, text, _span(text)))


def same(a: Model | str, b: Model | str) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str)
    if type(a) is not type(b):  # a reference twin: the same values, of the same types
        return repr(a.model_dump()) == repr(b.model_dump())
    return a == b


def _renders_children(shapes: list[FieldShape], model: Model) -> bool:
    """Whether ``model``'s XML has child elements (`Model.to_pretty_xml` then indents it)."""
    for shape in shapes:
        value = getattr(model, shape.name)
        if shape.kind in ("element", "optional", "wrapped", "nested"):
            return True
        if shape.kind == "wrapped_optional" and value is not None:
            return True
        if shape.kind in ("list", "list_nested") and value:
            return True
    return False


def reads_empty(shapes: list[FieldShape], model: Model, pretty: bool = False) -> bool:
    """Whether a field of ``model`` (nested ones included) holds ``""`` written as an empty
    element or text that the codec reads as ``""`` and pydantic-xml as missing: an element
    (wrapped or not, optional below a wrapper) or the text of an element without children
    (``pretty``: as `Model.to_pretty_xml` writes it, which indents an element with children,
    so its empty text is not empty there)."""
    for shape in shapes:
        value = getattr(model, shape.name)
        if shape.kind in ("element", "wrapped", "wrapped_optional") and value == "":
            return True
        indented = pretty and _renders_children(shapes, model)
        if shape.kind == "text" and value == "" and not indented:
            return True
        if shape.kind == "nested" and reads_empty(shape.nested, value, pretty):
            return True
        if shape.kind == "list_nested" and any(reads_empty(shape.nested, v, pretty) for v in value):
            return True
    return False


def read_back_empty(shapes: list[FieldShape], model: Model, pretty: bool = False) -> Model:
    """The model the codec reads from ``model``'s XML (`write_xml`, or ``pretty``).

    The codec's rule for empty values: ``""`` for a ``str`` field; ``None`` for an optional
    field without a wrapper, whose ``None`` is written as an empty element too (so its ``""``
    comes back as ``None``); an optional field below a wrapper (no wrapper for ``None``) keeps
    its ``""``. ``pretty`` text next to children is the indentation `Model.to_pretty_xml`
    writes when it is blank (as in pydantic-xml).
    """
    values: dict[str, t.Any] = {}
    for shape in shapes:
        value = getattr(model, shape.name)
        if shape.kind == "optional" and value == "":
            value = None
        elif shape.kind == "text" and pretty and isinstance(value, str) and not value.strip():
            value = "\n  " if _renders_children(shapes, model) else value
        elif shape.kind == "nested":
            value = read_back_empty(shape.nested, value, pretty)
        elif shape.kind == "list_nested":
            value = [read_back_empty(shape.nested, v, pretty) for v in value]
        elif shape.kind == "list":  # as any value: a union or literal reads its text its way
            value = [read_back(shape.prim, v) for v in value]
        elif value is not None:
            value = read_back(shape.prim, value)
        values[shape.name] = value
    return type(model)(**values)


@st.composite
def cases(draw: st.DrawFn) -> tuple[list[FieldShape], type[Model], Model]:
    shapes = draw(field_shapes())
    cls = make_class(shapes)
    assert cls.codec_fallback_reason() is None, cls.codec_fallback_reason()
    values = draw(values_for(shapes))
    return shapes, cls, cls(**values)


@SETTINGS
@given(cases(), STYLES, st.booleans())
def test_parse_matches_pydantic_xml(
    case: tuple[list[FieldShape], type[Model], Model], style: Style, extra: bool
) -> None:
    shapes, cls, instance = case
    tag = class_info(cls).tag
    text = write_xml(shapes, instance, tag, Style(**{**style.__dict__, "extra": extra}))
    ours, theirs = native(cls, text), reference(reference_class(shapes, cls), text)
    if reads_empty(shapes, instance):  # the deliberate difference: empty elements and text
        assert ours == read_back_empty(shapes, instance), (text, ours)
        assert not same(ours, theirs), (text, ours, theirs)
    else:
        assert same(ours, theirs), (text, ours, theirs)


@SETTINGS
@given(cases(), STYLES, st.integers(0, 2**16))
def test_reordered_children_parse_the_same(
    case: tuple[list[FieldShape], type[Model], Model], style: Style, seed: int
) -> None:
    shapes, cls, instance = case
    tag = class_info(cls).tag
    ordered = write_xml(shapes, instance, tag, style)
    shuffled = write_xml(
        shapes, instance, tag, Style(**{**style.__dict__, "shuffle": seed, "extra": True})
    )
    assert same(native(cls, shuffled), native(cls, ordered)), shuffled


@SETTINGS
@given(cases())
def test_render_matches_pydantic_xml_and_parses_back(
    case: tuple[list[FieldShape], type[Model], Model],
) -> None:
    shapes, cls, instance = case
    rendered = instance.to_pretty_xml()
    assert rendered == instance.pydantic_xml_pretty()
    codec = codec_of(cls)
    assert codec is not None
    direct = codec.native.render_model(instance)  # read from the instance, not encoded
    assert direct is None or direct == codec.native.render(
        to_jsonable_python(instance, by_alias=False)
    )
    assert str(instance) == rendered
    ours, theirs = native(cls, rendered), reference(reference_class(shapes, cls), rendered)
    if reads_empty(shapes, instance, pretty=True):  # the deliberate difference, as above
        assert ours == read_back_empty(shapes, instance, pretty=True), (rendered, ours)
        assert not same(ours, theirs), (rendered, ours, theirs)
    else:
        assert same(ours, theirs), (rendered, ours, theirs)


@st.composite
def hostile_cases(draw: st.DrawFn) -> tuple[type[Model], Model]:
    shapes = draw(field_shapes())
    cls = make_class(shapes)
    return cls, cls(**draw(values_for(shapes, HOSTILE_TEXT)))


def _check_to_xml(instance: Model) -> None:
    codec = codec_of(type(instance))
    assert codec is not None
    # pydantic-xml + ElementTree, default arguments; a raw `\r` (text only) as `&#13;`
    expected = t.cast("bytes", BaseXmlModel.to_xml(instance)).replace(b"\r", b"&#13;")
    assert instance.to_xml() == expected
    direct = codec.native.render_compact_model(instance)
    encoded = codec.native.render_compact(to_jsonable_python(instance, by_alias=False))
    assert encoded == expected  # the encoded path, whatever render_compact_model says
    assert direct is None or direct == expected


@SETTINGS
@given(cases())
def test_to_xml_matches_pydantic_xml(case: tuple[list[FieldShape], type[Model], Model]) -> None:
    _check_to_xml(case[2])


@SETTINGS
@given(hostile_cases())
def test_to_xml_and_pretty_xml_match_pydantic_xml_for_hostile_values(
    case: tuple[type[Model], Model],
) -> None:
    _, instance = case
    _check_to_xml(instance)
    assert instance.to_pretty_xml() == instance.pydantic_xml_pretty()


def _escape_all(text: str) -> str:
    """Escaped for text and attribute values alike (attribute values turn raw line ends and
    tabs into spaces, so they are written as character references)."""
    table = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "\n": "&#10;", "\t": "&#9;"}
    return "".join(table.get(char, char) for char in text)


@st.composite
def filled_examples(draw: st.DrawFn) -> tuple[type[Model], str, Model]:
    """A generated class whose fields are described ``@n@``, its example with every
    placeholder filled with a drawn value, and the model those values make."""
    shapes = draw(field_shapes())
    numbers = itertools.count()

    def describe(group: list[FieldShape]) -> None:
        for shape in group:
            shape.description = f"@{next(numbers)}@"
            describe(shape.nested)

    describe(shapes)
    cls = make_class(shapes)
    fills: dict[str, t.Any] = {}

    def expected(group: list[FieldShape], model_cls: type[Model]) -> Model:
        values: dict[str, t.Any] = {}
        for shape in group:
            if shape.kind in ("nested", "list_nested"):
                assert shape.nested_cls is not None
                nested = expected(shape.nested, shape.nested_cls)
                values[shape.name] = [nested, nested] if shape.kind == "list_nested" else nested
                continue
            value = draw(prim_values(shape.prim).filter(lambda v: str(v).strip() != ""))
            assert shape.description is not None
            fills[shape.description] = value
            value = read_back(shape.prim, value)  # "3" in an `int | str` field is a string
            values[shape.name] = [value, value] if shape.kind == "list" else value
        return model_cls(**values)

    model = expected(shapes, cls)
    text = re.sub(r"@\d+@", lambda m: _escape_all(prim_text(fills[m.group()])), cls.xml_example())
    return cls, text, model


@SETTINGS
@given(filled_examples())
def test_filled_example_parses_back(case: tuple[type[Model], str, Model]) -> None:
    cls, text, model = case
    assert native(cls, text) == model, text
