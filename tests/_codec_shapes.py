"""Generated model classes, instances and XML texts for the native codec's property tests.

A *shape* is a list of `FieldShape`; `make_class` turns it into a `Model` subclass (search
mode ``unordered``, pydantic-xml's most lenient, so the reference path is as forgiving as it
can be). A field's type is a primitive, a ``Literal`` or a union of primitives (`PRIMS`);
`reference_class` makes the twin pydantic-xml parses for comparison, with the codec's one
deliberate extra acceptance for literals written out (`literal_reading`). `write_xml`
writes an instance's XML by hand with variations pydantic-xml never writes itself: quote
styles, CDATA, character references, bare ``&``, whitespace between children, unknown
children and reordered children.
"""

from __future__ import annotations

import random
import types
import typing as t
from dataclasses import dataclass, field

from hypothesis import strategies as st
from pydantic import BeforeValidator, Field, TypeAdapter

from rigging.model import Model, attr, element, wrapped

BASIC: tuple[type, ...] = (str, int, float, bool)
LITERALS: tuple[t.Any, ...] = (
    t.Literal[1, 2],
    t.Literal[True],
    t.Literal[1.5, -2.25],
    t.Literal["a", 1],
    t.Literal["1", 1],  # the text "1" is the string member
    t.Literal["x", "y"],
    t.Union[t.Literal[7], t.Literal["b", False]],  # noqa: UP007 - a union of literals
)
UNIONS: tuple[t.Any, ...] = (
    int | str,
    str | int,
    float | int,
    int | float,
    bool | int,
    float | str,
    t.Union[t.Literal[1, 2], str],  # noqa: UP007 - not all literals: text as read
)
PRIMS: tuple[t.Any, ...] = BASIC + LITERALS + UNIONS
KINDS = (
    "attr",
    "element",
    "optional",
    "text",
    "nested",
    "list",
    "list_nested",
    "wrapped",
    "wrapped_optional",
)


@dataclass
class FieldShape:
    name: str
    kind: str
    prim: t.Any = str
    nested: list[FieldShape] = field(default_factory=list)
    nested_cls: type[Model] | None = None
    description: str | None = None

    @property
    def tag(self) -> str:
        return f"t-{self.name}"


def _counter() -> t.Iterator[int]:
    n = 0
    while True:
        n += 1
        yield n


_IDS = _counter()


def make_class(shapes: list[FieldShape], prefix: str = "Gen") -> type[Model]:
    """A model class with one field per shape (nested classes built first)."""
    return _make(shapes, prefix, None)


def reference_class(shapes: list[FieldShape], cls: type[Model]) -> type[Model]:
    """The class pydantic-xml parses to compare with the codec's reading of ``cls``.

    ``cls`` itself, unless a field is a literal with a member that is not a string: then a
    twin (same tag, fields and nested shapes) whose literal fields read text as the codec
    does (`literal_reading`), the deliberate extra acceptance the comparisons name.
    """
    if not _has_table(shapes):
        return cls
    return _make(shapes, "Ref", cls.__xml_tag__)


def _has_table(shapes: list[FieldShape]) -> bool:
    return any(_literal_map(s.prim) or _has_table(s.nested) for s in shapes)


def _make(shapes: list[FieldShape], prefix: str, twin_of: str | None) -> type[Model]:
    """A class of ``shapes``; with ``twin_of`` (its tag) the reference twin, whose nested
    classes are twins too and whose literal fields read as the codec reads them."""
    annotations: dict[str, t.Any] = {}
    namespace: dict[str, t.Any] = {"__module__": __name__}
    for shape in shapes:
        nested_cls = None
        if shape.kind in ("nested", "list_nested"):
            nested_cls = _make(shape.nested, prefix + "Inner", twin_of and "inner")
            if twin_of is None:
                shape.nested_cls = nested_cls
        prim = shape.prim if twin_of is None else literal_reading(shape.prim)
        _add_field(annotations, namespace, shape, prim, nested_cls)
    namespace["__annotations__"] = annotations
    name = f"{prefix}{next(_IDS)}"
    return types.new_class(
        name,
        (Model,),
        {"tag": twin_of or name.lower(), "search_mode": "unordered"},
        lambda ns: ns.update(namespace),
    )


def _add_field(
    annotations: dict[str, t.Any],
    namespace: dict[str, t.Any],
    shape: FieldShape,
    prim: t.Any,  # a field annotation: the shape's type, or Optional of it
    nested_cls: type[Model] | None,
) -> None:
    kind = shape.kind
    extra: dict[str, t.Any] = {}
    if shape.description:
        extra["description"] = shape.description
    if kind in ("optional", "wrapped_optional"):
        prim = t.Optional[prim]  # noqa: UP045 - a runtime annotation
        extra["default"] = None
    if kind == "attr":
        annotations[shape.name], namespace[shape.name] = prim, attr(**extra)
    elif kind in ("element", "optional"):
        annotations[shape.name] = prim
        namespace[shape.name] = element(tag=shape.tag, **extra)
    elif kind == "text":
        annotations[shape.name] = prim
        if extra:
            namespace[shape.name] = Field(**extra)
    elif kind == "nested":
        annotations[shape.name] = nested_cls
        namespace[shape.name] = element(tag=shape.tag, **extra)
    elif kind == "list":
        annotations[shape.name] = list[prim]
        namespace[shape.name] = element(tag=shape.tag, default_factory=list, **extra)
    elif kind == "list_nested":
        annotations[shape.name] = list[nested_cls]  # type: ignore[valid-type]
        namespace[shape.name] = element(tag=shape.tag, default_factory=list, **extra)
    elif kind in ("wrapped", "wrapped_optional"):
        annotations[shape.name] = prim
        namespace[shape.name] = wrapped(f"w-{shape.name}", element(tag=shape.tag, **extra))


def _literal_map(prim: t.Any) -> dict[str, t.Any]:
    """The codec's rule for a field of type ``prim``, written out: when every value of the
    type is a ``Literal`` member, each member that is not a string by its rendering (its
    `prim_text`), unless that text is a string member or an earlier member's."""
    origin = t.get_origin(prim)
    if origin is t.Literal:
        members = list(t.get_args(prim))
    elif origin in (t.Union, types.UnionType) and all(
        t.get_origin(arg) is t.Literal for arg in t.get_args(prim)
    ):
        members = [member for arg in t.get_args(prim) for member in t.get_args(arg)]
    else:
        return {}
    strings = {member for member in members if type(member) is str}
    table: dict[str, t.Any] = {}
    for member in members:
        text = prim_text(member)
        if type(member) is not str and text not in strings and text not in table:
            table[text] = member
    return table


def literal_reading(prim: t.Any) -> t.Any:
    """``prim`` for pydantic-xml, reading a literal member's rendering as that member (the
    codec's deliberate extra acceptance); ``prim`` itself when the rule changes nothing."""
    table = _literal_map(prim)
    if not table:
        return prim

    def read(v: t.Any) -> t.Any:
        if type(v) is not str:
            return v
        return table[v] if v in table else table.get(v.strip(), v)  # as the codec's lookup

    return t.Annotated[prim, BeforeValidator(read)]


def read_back(prim: t.Any, value: t.Any) -> t.Any:
    """What the text of ``value`` (its `prim_text`) reads back as in a field of type ``prim``:
    ``value`` itself for a basic type, else the codec's rule, then lax validation (a union
    reads ``"3"`` as the string ``"3"`` when it has ``str``)."""
    if prim in BASIC:
        return value
    return TypeAdapter(literal_reading(prim)).validate_python(prim_text(value), strict=False)


TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cn"))
    | st.sampled_from("<>&\"' \n\t"),
    min_size=1,
    max_size=10,
)


HOSTILE_TEXT = st.lists(
    st.characters(exclude_categories=["Cs"])  # any code point a str holds, astral included
    | st.sampled_from([*"<>&\"' \n\t\r\x01\x7f\x80\u00e9\u2028\U0001f600"])
    | st.sampled_from(["]]>", "&amp;", "&#10;", "\r\n", "<![CDATA[", "</a>"]),
    min_size=1,
    max_size=10,
).map("".join)
"""Values for rendering: markup characters, entities, line ends, control and non-ASCII
characters (``TEXT`` keeps to what the parse tests can write back)."""


def prim_values(prim: t.Any, text: st.SearchStrategy[str] = TEXT) -> st.SearchStrategy[t.Any]:
    origin = t.get_origin(prim)
    if origin is t.Literal:
        return st.sampled_from(t.get_args(prim))
    if origin in (t.Union, types.UnionType):
        return st.one_of(*(prim_values(arg, text) for arg in t.get_args(prim)))
    if prim is str:
        return st.just("") | text  # "" is written as an empty element, empty text or a=""
    if prim is int:
        return st.integers(-(10**6), 10**6)
    if prim is float:
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    return st.booleans()


def field_shapes(depth: int = 0) -> st.SearchStrategy[list[FieldShape]]:
    kinds = (
        KINDS
        if depth == 0
        else ("attr", "element", "optional", "list", "wrapped", "wrapped_optional")
    )

    @st.composite
    def build(draw: st.DrawFn) -> list[FieldShape]:
        count = draw(st.integers(2, 5))
        shapes: list[FieldShape] = []
        has_text = False
        for index in range(count):
            kind = draw(st.sampled_from(kinds))
            if kind == "text":
                if has_text:
                    kind = "element"
                has_text = True
            shape = FieldShape(f"f{index}", kind, draw(st.sampled_from(PRIMS)))
            if kind in ("nested", "list_nested"):
                shape.nested = draw(field_shapes(depth + 1))
            shapes.append(shape)
        return shapes

    return build()


def values_for(
    shapes: list[FieldShape], text: st.SearchStrategy[str] = TEXT
) -> st.SearchStrategy[dict[str, t.Any]]:
    parts: dict[str, st.SearchStrategy[t.Any]] = {}
    for shape in shapes:
        value = prim_values(shape.prim, text)
        if shape.kind in ("optional", "wrapped_optional"):
            parts[shape.name] = st.none() | value
        elif shape.kind == "nested":
            cls = shape.nested_cls
            assert cls is not None
            # mypy cannot type a lambda with a default argument against `map`'s callable.
            parts[shape.name] = values_for(shape.nested, text).map(lambda v, c=cls: c(**v))  # type: ignore[misc]
        elif shape.kind == "list":
            parts[shape.name] = st.lists(value.filter(lambda v: v != ""), max_size=3)
        elif shape.kind == "list_nested":
            cls = shape.nested_cls
            assert cls is not None
            item = values_for(shape.nested, text).map(lambda v, c=cls: c(**v))  # type: ignore[misc]
            parts[shape.name] = st.lists(item, max_size=3)
        else:
            parts[shape.name] = value
    return st.fixed_dictionaries(parts)


@dataclass(frozen=True)
class Style:
    """How `write_xml` varies the text."""

    indent: bool = False
    cdata: bool = False
    refs: bool = False
    single_quotes: bool = False
    shuffle: int | None = None
    extra: bool = False


STYLES = st.builds(
    Style,
    indent=st.booleans(),
    cdata=st.booleans(),
    refs=st.booleans(),
    single_quotes=st.booleans(),
)


def prim_text(value: t.Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _escape_text(text: str, style: Style) -> str:
    if style.cdata and text and "]]>" not in text:
        return f"<![CDATA[{text}]]>"
    out = []
    for index, char in enumerate(text):
        following = text[index + 1 : index + 2]
        if char == "&":
            bare_ok = style.refs and not (following.isalnum() or following == "#")
            out.append("&" if bare_ok else "&amp;")
        elif char == "<":
            out.append("&#60;" if style.refs else "&lt;")
        elif char == ">":
            out.append("&#x3E;" if style.refs else ">")
        else:
            out.append(char)
    return "".join(out)


def _escape_attr(text: str, quote: str) -> str:
    replacements = {
        "&": "&amp;",
        "<": "&lt;",
        "\n": "&#10;",
        "\t": "&#9;",
        quote: "&#34;" if quote == '"' else "&apos;",
    }
    return "".join(replacements.get(char, char) for char in text)


def write_xml(shapes: list[FieldShape], model: Model, tag: str, style: Style) -> str:
    """The element of ``model`` written by hand in ``style``."""
    quote = "'" if style.single_quotes else '"'
    attrs = "".join(
        f" {s.name}={quote}{_escape_attr(prim_text(getattr(model, s.name)), quote)}{quote}"
        for s in shapes
        if s.kind == "attr"
    )
    text = "".join(
        _escape_text(prim_text(getattr(model, s.name)), style) for s in shapes if s.kind == "text"
    )
    groups: list[list[str]] = []
    for shape in shapes:
        value = getattr(model, shape.name)
        if shape.kind in ("element", "optional"):
            groups.append([f"<{shape.tag}>{_escape_text(prim_text(value), style)}</{shape.tag}>"])
        elif shape.kind == "wrapped_optional" and value is None:
            continue  # no wrapper, as pydantic-xml writes it
        elif shape.kind in ("wrapped", "wrapped_optional"):
            inner = f"<{shape.tag}>{_escape_text(prim_text(value), style)}</{shape.tag}>"
            groups.append([f"<w-{shape.name}>{inner}</w-{shape.name}>"])
        elif shape.kind == "nested":
            groups.append([write_xml(shape.nested, value, shape.tag, style)])
        elif shape.kind == "list":
            groups.append(
                [f"<{shape.tag}>{_escape_text(prim_text(v), style)}</{shape.tag}>" for v in value]
            )
        elif shape.kind == "list_nested":
            groups.append([write_xml(shape.nested, v, shape.tag, style) for v in value])
    if style.shuffle is None:
        children = [child for group in groups for child in group]
    else:  # interleave the fields' children at random, each field's items in order
        rng = random.Random(style.shuffle)
        pending = [list(group) for group in groups if group]
        children = []
        while pending:
            group = rng.choice(pending)
            children.append(group.pop(0))
            if not group:
                pending.remove(group)
    # Unknown children are ignored, except in the text of a model no field of which reads
    # children: there they are markup of the text, kept in it (a named extra acceptance,
    # `test_markup_inside_text_survives_parsing_and_normalising`), unlike pydantic-xml.
    reads_children = any(s.kind not in ("attr", "text") for s in shapes)
    has_text = any(s.kind == "text" for s in shapes)
    if style.extra and (reads_children or not has_text):
        children.insert(len(children) // 2, '<zz-unknown a="1">junk <b>bold</b></zz-unknown>')
        children.append("<zz-unknown/>")
    gap = "\n  " if style.indent else ""
    return f"<{tag}{attrs}>{text}{''.join(child + gap for child in children)}</{tag}>"
