"""The native model codec: plans, fallbacks with reasons, deliberate differences from
pydantic-xml (each named and checked), errors and rendering of the shapes it supports."""

from __future__ import annotations

import enum
import functools
import typing as t

import pytest
from pydantic import (
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import to_jsonable_python
from pydantic_xml import BaseXmlModel, computed_attr
from pydantic_xml import element as xml_element
from pydantic_xml.element.element import XmlElementReader
from typing_extensions import Self, TypeAliasType

from rigging import _native, parsing
from rigging._model.base import class_info
from rigging._model.entries import lax_validate
from rigging._model.plan import (
    FieldSpec,
    codec_of,
    fallback_reason,
    literal_table,
    use_pydantic_xml,
)
from rigging.error import MissingModelError, ValidatorRaisedError, XmlContentError
from rigging.message import Message
from rigging.model import Model, attr, element, wrapped
from rigging.stream import ModelStream


class Location(Model):
    file: str = attr()
    line: int = attr()


class Finding(Model):
    id: str = attr()
    severity: str = element()
    title: str = element()
    location: Location
    tags: list[str] = wrapped("tags", element(tag="tag", default_factory=list))
    note: t.Optional[str] = element(default=None)  # noqa: UP045


FINDING = (
    '<finding id="F-1">\n  <severity>high</severity>\n  <title>SQL injection in login</title>\n'
    '  <location file="app/auth.py" line="42"></location>\n  <tags>\n    <tag>sqli</tag>\n'
    "    <tag>auth</tag>\n  </tags>\n  <note></note>\n</finding>"
)


def test_finding_is_planned_and_round_trips() -> None:
    assert Finding.codec_fallback_reason() is None
    assert codec_of(Finding) is codec_of(Finding)  # compiled once, cached on the class
    model = parsing.parse("Here: " + FINDING, Finding)[0]
    assert model.location == Location(file="app/auth.py", line=42)
    assert model.tags == ["sqli", "auth"]
    assert model.to_pretty_xml() == FINDING == model.pydantic_xml_pretty()


def test_message_content_is_normalised_by_the_plan() -> None:
    message = Message(
        "assistant",
        'x <finding id="F-1"><title>t</title><severity>low</severity>'
        '<location line="1" file="a"/></finding> y',
    )
    finding = message.parse(Finding)
    assert message.content == f"x {finding.to_pretty_xml()} y"


# --- deliberate differences from pydantic-xml, each named -----------------------------------

REST = '<severity>x</severity><location file="f" line="1"/>'


def test_difference_bare_less_than_is_text() -> None:
    text = f'<finding id="1"><title>a < b <c d</title>{REST}</finding>'
    assert parsing.parse(text, Finding)[0].title == "a < b <c d"


def test_difference_unpaired_child_tags_are_text() -> None:
    text = f'<finding id="1"><title>use <b> here</title>{REST}</finding>'
    assert parsing.parse(text, Finding)[0].title == "use <b> here"


def test_difference_any_child_order_and_unknown_children() -> None:
    text = (
        '<finding id="1"><extra>x</extra><location file="f" line="1"/><tags><tag>b</tag></tags>'
        "<severity>low</severity><why>?</why><title>t</title></finding>"
    )
    model = parsing.parse(text, Finding)[0]
    assert (model.title, model.severity, model.tags) == ("t", "low", ["b"])


def test_difference_empty_list_items_are_kept() -> None:
    class Numbers(Model):
        items: list[str] = element(tag="i", default_factory=list)
        name: str = attr(default="n")

    # pydantic-xml ends a list at its first empty item; we keep every item.
    assert parsing.parse("<numbers><i>1</i><i></i><i>3</i></numbers>", Numbers)[0].items == [
        "1",
        "",
        "3",
    ]


class Patch(Model):
    file: str = attr()
    diff: str = element()


def test_difference_an_empty_element_is_an_empty_string() -> None:
    """A present element with neither text nor children gives ``""`` to a field whose type
    takes a plain ``str``; pydantic-xml reads it as missing ("Field required"), so a model's
    own XML did not read back and an answer's ``<diff></diff>`` failed."""
    patch = Patch(file="a.py", diff="")
    for xml in (
        patch.to_pretty_xml(),
        patch.to_xml().decode(),
        '<patch file="a.py"><diff/></patch>',
    ):
        assert Patch.from_text(xml)[0][0] == patch
        assert parsing.parse(xml, Patch)[0] == patch
        assert Message("assistant", f"Here: {xml}").parse(Patch) == patch
    assert patch.to_pretty_xml() == '<patch file="a.py">\n  <diff></diff>\n</patch>'

    class Twin(Patch, tag="patch"):
        pass

    use_pydantic_xml(Twin, "test: the pydantic-xml path")
    with pytest.raises(ValidationError, match="Field required"):
        parsing.parse(patch.to_pretty_xml(), Twin)


Name = t.NewType("Name", str)
Alias = TypeAliasType("Alias", str)


class Blank(str, enum.Enum):
    NONE = ""
    SOME = "some"


def test_every_string_type_reads_an_empty_element_as_an_empty_string() -> None:
    class Strings(Model):
        id: str = attr()
        default: str = element(default="unset")
        annotated: t.Annotated[str, "meta"] = element()
        constrained: t.Annotated[str, StringConstraints(max_length=3)] = element()
        new_type: Name = element()
        alias: Alias = element()
        literal: t.Literal["", "x"] = element()
        choice: Blank = element()
        below: str = wrapped("w", element(tag="below"))

    assert Strings.codec_fallback_reason() is None
    model = Strings(
        id="", default="", annotated="", constrained="", new_type=Name(""), alias="", literal="",
        choice=Blank.NONE, below="",
    )  # fmt: skip
    assert parsing.parse(model.to_pretty_xml(), Strings)[0] == model
    assert parsing.parse(model.to_xml().decode(), Strings)[0] == model

    class Text(Model):
        id: str = attr()
        content: str

    for xml in ('<text id="1"></text>', '<text id="1"/>', '<text id="1"><!-- c --></text>'):
        assert parsing.parse(xml, Text)[0] == Text(id="1", content="")

    class Short(Model):
        id: str = attr()
        word: t.Annotated[str, StringConstraints(min_length=1)] = element()

    # The type's own rules judge the "" (not a "Field required" for a field that is there).
    with pytest.raises(ValidationError, match="at least 1 character"):
        parsing.parse('<short id="1"><word></word></short>', Short)


def test_only_an_empty_element_of_a_string_type_reads_as_an_empty_string() -> None:
    class Mixed(Model):
        id: str = attr()
        count: int = element(default=3)
        text: str = element(default="unset")

    # Other types keep pydantic-xml's reading (missing: the default applies); an element
    # that holds markup is not empty, it holds that markup as text; blank text is text.
    assert parsing.parse('<mixed id="1"><count/><text><b>x</b></text></mixed>', Mixed)[0] == Mixed(
        id="1", text="<b>x</b>"
    )
    assert parsing.parse('<mixed id="1"><text> </text></mixed>', Mixed)[0].text == " "
    patch = parsing.parse('<patch file="a"><diff><b>x</b></diff></patch>', Patch)[0]
    assert patch.diff == "<b>x</b>"


def test_optional_fields_read_the_empty_value_none_renders_as() -> None:
    """``None`` renders as an empty element (no wrapper below a ``wrapped`` path), as ``""``
    does: an empty element reads as ``None`` for a type that takes it, unless its wrapper is
    there (then only ``""`` could have written it). ``""`` in an unwrapped optional field
    reads back as ``None``: the one value that cannot round trip."""

    class Note(Model):
        id: str = attr()
        required: t.Optional[str] = element()  # noqa: UP045
        default: t.Optional[str] = element(default="unset")  # noqa: UP045
        number: t.Optional[int] = element(default=3)  # noqa: UP045
        below: t.Optional[str] = wrapped("w", element(tag="below", default=None))  # noqa: UP045

    nones = Note(id="1", required=None, default=None, number=None, below=None)
    empties = Note(id="1", required="", default="", number=None, below="")
    for model, expected in ((nones, nones), (empties, nones.model_copy(update={"below": ""}))):
        for xml in (model.to_pretty_xml(), model.to_xml().decode()):
            assert parsing.parse(xml, Note)[0] == expected, xml
    assert nones.to_pretty_xml() == empties.to_pretty_xml().replace(
        "\n  <w>\n    <below></below>\n  </w>", ""
    )

    class Remark(Model):
        id: str = attr()
        content: t.Optional[str] = "unset"  # noqa: UP045

    for content in (None, ""):
        xml = Remark(id="1", content=content).to_pretty_xml()
        assert xml == '<remark id="1"></remark>'
        assert parsing.parse(xml, Remark)[0] == Remark(id="1", content=None)


def test_empty_attributes_read_as_their_value() -> None:
    class Tagged(Model):
        name: str = attr()
        label: t.Optional[str] = attr(default=None)  # noqa: UP045
        size: t.Optional[int] = attr(default=3)  # noqa: UP045

    # A str takes "" (as in pydantic-xml), also an optional one: an attribute has no other
    # way to be empty, so `label=None` reads back as "". An optional type that cannot take
    # "" gets None (pydantic-xml hands it "", refused as "not a valid integer").
    model = Tagged(name="", label=None, size=None)
    assert model.to_pretty_xml() == '<tagged name="" label="" size=""></tagged>'
    assert parsing.parse(model.to_pretty_xml(), Tagged)[0] == Tagged(name="", label="", size=None)


def test_model_stream_reads_empty_elements_as_one_shot_parsing_does() -> None:
    from rigging.model import Answer
    from rigging.stream import ModelStream

    text = 'Sure. <patch file="a.py"><diff></diff></patch> and <patch file="b"><diff/></patch>'
    stream = ModelStream(Patch)
    found = [item for i in range(0, len(text), 3) for item in stream.feed(text[i : i + 3])]
    assert [item.model for item in found] == [Patch(file="a.py", diff=""), Patch(file="b", diff="")]
    assert [(item.model, item.slice) for item in found] == parsing.parse_set(text, Patch)
    assert stream.finish() == []
    # A simple model's empty element is hollow: given at the end, as ``""``.
    answers = ModelStream(Answer)
    assert not answers.feed("<answer></answer>")
    assert [item.model for item in answers.finish()] == [Answer(content="")]


def test_difference_lenient_attributes_and_references() -> None:
    text = (
        "<finding id=F9><title>&#65;&#x42; &bogus; & ok</title><severity>x</severity>"
        "<location file='f' line=1/></finding>"
    )
    model = parsing.parse(text, Finding)[0]
    assert (model.id, model.title, model.location.line) == ("F9", "AB &bogus; & ok", 1)


def test_difference_characters_xml_forbids_are_text_as_written() -> None:
    """Control characters (other than tab, LF, CR) and U+FFFE/U+FFFF are kept, in text and in
    attributes, like any other character; pydantic-xml refuses the whole element."""
    text = (
        '<finding id="a\x00b"><title>x\x0by\x1b[0mz\ufffe</title><severity>\x7f\x0c</severity>'
        '<location file="f\x01" line="1"/></finding>'
    )
    model = parsing.parse(text, Finding)[0]
    assert (model.id, model.title, model.severity) == ("a\x00b", "x\x0by\x1b[0mz\ufffe", "\x7f\x0c")
    assert model.location.file == "f\x01"
    assert parsing.parse(model.to_pretty_xml(), Finding)[0] == model  # and they render back

    class Twin(Finding, tag="finding"):
        pass

    use_pydantic_xml(Twin, "test: the pydantic-xml path")
    with pytest.raises(XmlContentError, match="not well-formed"):
        parsing.parse(text, Twin)


def test_difference_several_untagged_fields_are_child_elements() -> None:
    class User(Model):
        name: str
        email: str
        age: int

    assert User.codec_fallback_reason() is None
    user = parsing.parse("<user><age>3</age><name>Ann</name><email>a@b</email></user>", User)[0]
    assert user == User(name="Ann", email="a@b", age=3)
    assert str(user) == "<user>\n  <name>Ann</name>\n  <email>a@b</email>\n  <age>3</age>\n</user>"


class Lit(Model, tag="lit"):
    n: t.Literal[1, 2] = attr()
    flag: t.Literal[True, "maybe"] = attr()
    ratio: t.Literal[1.5, 2.25] = element()  # type: ignore[valid-type]
    mixed: t.Literal["a", 1] = element()
    maybe: t.Optional[t.Literal[1, 2]] = element(default=None)  # noqa: UP045
    picks: list[t.Literal[1, 2]] = element(tag="pick", default_factory=list)
    deep: t.Literal[3] = wrapped("w", element(tag="x"))


class LitText(Model, tag="lit-text"):
    value: t.Literal[0, 1]
    kind: str = attr(default="k")


def _pydantic_xml_twin(cls: type[Model]) -> type[Model]:
    twin = type(cls.__name__, (cls,), {}, tag=cls.__xml_tag__)
    use_pydantic_xml(twin, "test: the pydantic-xml path")
    return twin


def test_difference_literal_members_read_back_from_their_rendering() -> None:
    """pydantic's lax mode reads no text as an int, bool or float literal member, so the
    model's own XML (``n="1"``) and a reply that follows its example did not parse. The
    codec hands the validator the member whose rendering is the text read; the pydantic-xml
    path (classes without a plan) still refuses it."""
    model = Lit(n=1, flag=True, ratio=1.5, mixed=1, maybe=2, picks=[2, 1], deep=3)
    pretty = model.to_pretty_xml()
    assert pretty.startswith('<lit n="1" flag="true">\n  <ratio>1.5</ratio>\n  <mixed>1</mixed>')
    for xml in (pretty, model.to_xml().decode()):
        assert parsing.parse(xml, Lit)[0] == model
    with pytest.raises(ValidationError, match="Input should be 1 or 2"):
        parsing.parse(pretty, _pydantic_xml_twin(Lit))
    example = Lit.xml_example()
    assert example.startswith('<lit n="1|2" flag="true|maybe">\n  <ratio>1.5|2.25</ratio>')
    filled = (
        example.replace("1|2", "2")
        .replace("true|maybe", "maybe")
        .replace("1.5|2.25", "2.25")
        .replace("a|1", "a")
    )
    assert parsing.parse(filled, Lit)[0] == Lit(
        n=2, flag="maybe", ratio=2.25, mixed="a", maybe=2, picks=[2, 2], deep=3
    )
    assert parsing.parse("<lit-text>1</lit-text>", LitText)[0].value == 1
    # The rendering itself, with or without whitespace around it (as pydantic reads an int):
    # no other spelling of a member.
    spaced = pretty.replace('n="1"', 'n=" 1 "').replace("<ratio>1.5", "<ratio>\n  1.5 ")
    assert parsing.parse(spaced, Lit)[0] == model
    for other in ('n="01"', 'n="+1"', 'flag="True"', 'flag="1"'):
        bad = (
            pretty.replace('n="1"', other)
            if other[0] == "n"
            else pretty.replace('flag="true"', other)
        )
        assert parsing.try_parse(bad, Lit) is None, bad
    assert parsing.try_parse(pretty.replace("<ratio>1.5", "<ratio>1.50"), Lit) is None


def _strip_text(value: t.Any) -> t.Any:
    return int(value.strip())  # text only, as pydantic-xml hands it


def test_a_string_member_wins_and_raw_validators_see_the_text() -> None:
    class Mixed(Model):
        value: t.Literal["1", 1] = attr()
        other: t.Literal[1, 2] | int = attr()  # not only members: the text as read

    assert literal_table(Mixed, "value") is None  # "1" is the string member
    assert literal_table(Mixed, "other") is None
    model = parsing.parse('<mixed value="1" other="2"/>', Mixed)[0]
    assert (model.value, model.other) == ("1", 2)

    class Raw(Model):
        a: t.Annotated[t.Literal[1, 2], BeforeValidator(_strip_text)] = attr()
        b: t.Literal[1, 2] = attr()
        c: t.Literal[1, 2] = attr()

        @field_validator("b", mode="before")
        @classmethod
        def _b(cls, value: t.Any) -> t.Any:
            return _strip_text(value)

    assert [literal_table(Raw, name) for name in ("a", "b")] == [None, None]
    assert literal_table(Raw, "c") == [("1", 1), ("2", 2)]
    raw = parsing.parse('<raw a=" 1" b="2 " c="1"/>', Raw)[0]
    assert (raw.a, raw.b, raw.c) == (1, 2, 1)

    class Before(Model):
        n: t.Literal[1, 2] = attr()
        m: str = element(default="")

        @model_validator(mode="before")
        @classmethod
        def _see(cls, data: t.Any) -> t.Any:
            assert data["n"] == "1"  # the text, as pydantic-xml hands it
            return {**data, "n": int(data["n"])}

    assert literal_table(Before, "n") is None
    assert parsing.parse('<before n="1"/>', Before)[0].n == 1


class Mixed(Model, tag="mixed"):
    kind: str = attr()
    value: int | str = element()
    items: list[int | str] = element(tag="item", default_factory=list)
    maybe: t.Optional[float | int] = element(default=None)  # noqa: UP045
    size: int | bool | None = attr(default=None)


def test_unions_of_primitives_are_planned_and_read_as_pydantic_xml_reads_them() -> None:
    """They fell back to pydantic-xml, whose example showed ``<mixed><kind/>...``: a reply
    that followed it did not parse. pydantic-xml hands their validator the text, as for one
    primitive: so does the codec (``"3"`` in an ``int | str`` field is the string)."""
    assert Mixed.codec_fallback_reason() is None
    twin = _pydantic_xml_twin(Mixed)
    for text in (
        '<mixed kind="k"><value>3</value><item>1</item><item>a</item><maybe>2</maybe></mixed>',
        '<mixed kind="k" size="true"><value>x</value><maybe>2.5</maybe></mixed>',
        '<mixed kind="k" size="7"><value>0</value><item>2</item><maybe></maybe></mixed>',
        '<mixed kind="k" size="2.5"><value>1.5</value></mixed>',
    ):
        ours, theirs = parsing.try_parse(text, Mixed), parsing.try_parse(text, twin)
        assert repr(ours and ours[0].model_dump()) == repr(theirs and theirs[0].model_dump())
    # The empty-element difference holds for a union that takes str: "" (pydantic-xml: missing).
    empty = '<mixed kind="k"><value></value></mixed>'
    assert parsing.parse(empty, Mixed)[0].value == ""
    assert parsing.try_parse(empty, twin) is None
    model = Mixed(kind="k", value=3, items=[1, "a"], maybe=3, size=True)
    assert (model.maybe, model.size) == (3, True)
    assert model.to_pretty_xml() == model.pydantic_xml_pretty()
    assert model.to_xml() == BaseXmlModel.to_xml(model)
    assert Mixed.xml_example() == (
        '<mixed kind="str" size="int|bool">\n  <value>int|str</value>\n  <item>int|str</item>'
        "\n  <item>int|str</item>\n  <maybe>float|int</maybe>\n</mixed>"
    )


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydantic: serializing an unexpected type
def test_union_values_of_another_type_render_from_their_encoding() -> None:
    """A value of one of a union's primitive types exactly is written as it is; another
    (never validated) as pydantic encodes it, as pydantic-xml writes it (`True` in a
    ``float | int`` field is ``1.0``)."""
    codec = codec_of(Mixed)
    assert codec is not None
    plain = Mixed.model_construct(kind="k", value="v", items=[1, "a"], maybe=3, size=False)
    assert codec.native.render_model(plain) == plain.pydantic_xml_pretty()
    for changes in ({"maybe": True}, {"items": [1.5]}, {"value": 2.5}, {"size": 1.0}):
        odd = plain.model_copy(update=changes)
        assert codec.native.render_model(odd) is None
        assert odd.to_pretty_xml() == odd.pydantic_xml_pretty()
        assert odd.to_xml() == BaseXmlModel.to_xml(odd)


def test_one_untagged_field_with_attributes_is_the_text() -> None:
    class Note(Model):
        kind: str = attr()
        body: str

    note = parsing.parse('<note kind="k">hello <b>x</b> &amp; more</note>', Note)[0]
    # ElementTree (pydantic-xml) reads the text before the first child, "hello "; with no
    # field reading children, the markup is part of the text.
    assert note.body == "hello <b>x</b> & more"
    assert str(Note(kind="k", body="a&b")) == '<note kind="k">a&amp;b</note>'


def test_markup_inside_text_survives_parsing_and_normalising() -> None:
    """A tester's case: the text after a child element was cut off, and normalising the
    message then deleted it from the content."""

    class Txt(Model, tag="txt"):
        a: str = attr(default="")
        text: str

    class Review(Model, tag="review"):
        title: str = element()
        body: str = element()

    message = Message("assistant", '<txt a="1">Use <b>bold</b> for emphasis, and x<y too.</txt>')
    assert message.parse(Txt).text == "Use <b>bold</b> for emphasis, and x<y too."
    assert "for emphasis" in message.content
    assert message.parse(Txt).text == "Use <b>bold</b> for emphasis, and x<y too."  # again
    text = "<review><title>SQL <i>injection</i> in login</title><body>See <a>x</a>.</body></review>"
    message = Message("assistant", text)
    review = message.parse(Review)
    assert (review.title, review.body) == ("SQL <i>injection</i> in login", "See <a>x</a>.")
    assert Message("assistant", message.content).parse(Review) == review
    # A model whose fields read children keeps ElementTree's text before the first child.

    class Mixed(Model, tag="mixed"):
        note: str = element()
        text: str

    assert parsing.parse("<mixed>intro <note>n</note></mixed>", Mixed)[0].text == "intro "


# --- errors ---------------------------------------------------------------------------------


def test_declarations_refused_before_building() -> None:
    text = '<finding id="1"><!DOCTYPE x [<!ENTITY e "boom">]><title>&e;</title></finding>'
    with pytest.raises(
        XmlContentError, match=r"<finding> at 0 holds a document type or entity declaration"
    ):
        parsing.parse(text, Finding)


def test_depth_limit_is_an_error_not_recursion() -> None:
    deep = "<a>" * 500 + "</a>" * 500
    text = f'<finding id="1"><title>t</title><severity>s</severity><x>{deep}</x></finding>'
    with pytest.raises(
        XmlContentError, match=rf"nests elements deeper than the limit of {_native.CODEC_MAX_DEPTH}"
    ):
        parsing.parse(text, Finding)
    assert parsing.try_parse(text, Finding) is None


class _Forbidding(Model, tag="g", extra="forbid"):  # a class pydantic-xml reads
    id: str = attr()
    title: str = element()


def test_depth_limit_holds_for_classes_pydantic_xml_reads() -> None:
    """pydantic-xml recurses per level: a deep element was a RecursionError, even from the
    ``try_`` forms and streams."""
    assert _Forbidding.codec_fallback_reason() is not None
    deep = "<x>" * 600 + "</x>" * 600
    for inside in (deep, f"<title>t{deep}</title>"):
        text = f'intro <g id="a"><title>t</title>{inside}</g>'
        with pytest.raises(
            XmlContentError,
            match=rf"<g> at 6 nests elements deeper than the limit of {_native.CODEC_MAX_DEPTH}",
        ):
            parsing.parse(text, _Forbidding)
        assert parsing.try_parse(text, _Forbidding) is None
        assert parsing.try_parse_set(text, _Forbidding) == []
        assert Message("assistant", text).try_parse(_Forbidding) is None
        stream = ModelStream(_Forbidding)
        assert stream.feed(text) == ()
        assert stream.finish() == []
    shallow = '<g id="a"><title>t</title>' + "<x>" * 20 + "</x>" * 20 + "</g>"
    assert parsing.parse(shallow, _Forbidding)[0].title == "t"


def test_validation_error_title_names_class_tag_position_and_snippet() -> None:
    text = 'intro <finding id="1"><title>t</title></finding>'
    with pytest.raises(ValidationError) as info:
        parsing.parse(text, Finding)
    assert info.value.title.startswith("Finding in <finding> at 6: '<finding id=")
    assert {e["loc"][0] for e in info.value.errors()} == {"severity", "location"}


# --- fallbacks, each with its reason --------------------------------------------------------


class Namespaced(Model, ns="x", nsmap={"x": "urn:x"}):
    value: str = element()
    other: str = element()


class WithUnion(Model):
    value: t.Union[Location, Finding] = element()  # noqa: UP007 - a union of models
    name: str = attr()


class Forbidding(Model, extra="forbid"):
    value: str = element()
    name: str = attr()


class WithComputed(Model):
    value: str = element()
    name: str = attr()

    @computed_attr
    def upper(self) -> str:
        return self.value.upper()


class WithXmlValidator(Model):
    value: str = element()
    name: str = attr()

    @classmethod
    def _read(cls, element: XmlElementReader, field_name: str) -> t.Any:
        return "fixed"


WithXmlValidator.__xml_field_validators__["value"] = WithXmlValidator._read  # type: ignore[assignment]


class WithDict(Model):
    attrs: dict[str, str] = xml_element(tag="attrs")
    name: str = attr()


class HoldsNamespaced(Model):
    inner: Namespaced
    name: str = attr()


@pytest.mark.parametrize(
    ("cls", "reason"),
    [
        (Namespaced, "Namespaced: namespaces"),
        (WithUnion, "field 'value': union.ModelSerializer"),
        (Forbidding, "Forbidding: extra='forbid'"),
        (WithXmlValidator, "custom XML field validators"),
        (WithDict, "field 'attrs': mapping"),
        (HoldsNamespaced, "field 'inner': namespaced name"),
    ],
)
def test_fallback_reasons(cls: type[Model], reason: str) -> None:
    found = cls.codec_fallback_reason()
    assert found is not None
    assert reason.lower() in found.lower(), found
    assert codec_of(cls) is None


def test_classes_with_computed_fields_parse_natively_and_render_through_pydantic_xml() -> None:
    """Computed fields are written, never read. Such classes fell back to pydantic-xml for
    parsing too, whose list reader stops at the first empty item: `<step></step>` lost every
    step after it, with no error, also in the model's own round trip."""

    class Steps(Model):
        name: str = attr()
        steps: list[str] = element(tag="step", default_factory=list)

        @computed_attr
        def count(self) -> int:
            return len(self.steps)

    codec = codec_of(Steps)
    assert codec is not None
    assert not codec.renders
    assert fallback_reason(Steps) is None
    text = '<steps name="p" count="9"><step>boot</step><step></step><step>run</step></steps>'
    model = parsing.parse(text, Steps)[0]
    assert model.steps == ["boot", "", "run"]
    assert model.to_pretty_xml() == model.pydantic_xml_pretty()
    assert 'count="3"' in model.to_pretty_xml()
    assert parsing.parse(model.to_pretty_xml(), Steps)[0] == model
    assert parsing.parse(model.to_xml().decode(), Steps)[0] == model
    computed = parsing.parse(
        '<with-computed name="n" upper="X"><value>v</value></with-computed>', WithComputed
    )[0]
    assert 'upper="V"' in computed.to_pretty_xml()


def test_fallback_classes_still_parse_and_render() -> None:
    text = '<with-union name="n"><location file="f" line="3"/></with-union>'
    model = parsing.parse(text, WithUnion)[0]
    assert (model.value, model.name) == (Location(file="f", line=3), "n")
    assert str(model) == model.pydantic_xml_pretty()
    forbidding = '<forbidding name="n"><value>v</value><zz>1</zz></forbidding>'
    with pytest.raises(ValidationError):
        parsing.parse(forbidding, Forbidding)


def test_validators_see_the_parsed_values() -> None:
    class Checked(Model):
        name: str = attr()
        score: int = element()

        @field_validator("score")
        @classmethod
        def positive(cls, value: int) -> int:
            if value < 0:
                raise ValueError("negative")
            return value

    assert fallback_reason(Checked) is None
    assert parsing.parse('<checked name="a"><score>2</score></checked>', Checked)[0].score == 2
    assert parsing.try_parse('<checked name="a"><score>-2</score></checked>', Checked) is None


def test_aliases_and_excluded_fields() -> None:
    class Aliased(Model):
        real: str = element(tag="shown", alias="other")
        hidden: str = element(default="h", exclude=True)
        name: str = attr()

    model = parsing.parse('<aliased name="n"><shown>v</shown></aliased>', Aliased)[0]
    assert model.real == "v"
    assert str(model) == model.pydantic_xml_pretty()


# --- streaming, examples ----------------------------------------------------------------------


def test_model_stream_uses_the_codec() -> None:
    from rigging.stream import ModelStream

    text = (
        'Sure. <finding id="F-2"><title>a < b</title><severity>low</severity>'
        '<location line="7" file="x.py"/><extra/></finding> done'
    )
    stream = ModelStream(Finding)
    found = [item for i in range(0, len(text), 3) for item in stream.feed(text[i : i + 3])]
    assert [item.model for item in found] == [parsing.parse(text, Finding)[0]]
    # pydantic-xml would have refused this element
    assert found[0].model.title == "a < b"
    assert stream.finish() == []


def test_examples_parse_back_and_field_less_models_self_close() -> None:
    class ResetSession(Model):
        pass

    assert ResetSession.xml_example() == "<reset-session/>"
    assert parsing.parse("ok <reset-session/>", ResetSession)[0] == ResetSession()
    example = Finding.xml_example()
    assert '<finding id="str">' in example
    assert '<location file="str" line="int"></location>' in example
    assert example.count("<tag>str</tag>") == 2

    class Labels(Model):
        items: set[str] = element(tag="i")
        kind: t.Literal["a", "b"] = attr()

    assert Labels.xml_example() == '<labels kind="a|b">\n  <i>str</i>\n  <i>str</i>\n</labels>'
    filled = example.replace('line="int"', 'line="3"')
    assert parsing.parse(filled, Finding)[0].tags == ["str", "str"]


class StrictFinding(Model, tag="finding"):
    """Falls back to pydantic-xml for how it reads values, not for where its fields live."""

    model_config = ConfigDict(extra="forbid")
    id: str = attr()
    severity: str = element()
    location: Location
    tags: list[str] = wrapped("tags", element(tag="tag", default_factory=list))


class ValidatedFinding(Model, tag="finding"):
    id: str = attr()
    location: Location
    title: str = element()

    @model_validator(mode="before")
    @classmethod
    def _keep(cls, data: t.Any) -> t.Any:
        return data


class ComputedFinding(Model, tag="finding"):
    id: str = attr()
    title: str = element()

    @property
    def _shout(self) -> str:
        return self.title.upper()

    # pydantic-xml's overloads leave out a property given with a name, and the plugin wants an
    # annotation that would make this a field.
    loud = computed_attr(_shout, name="loud")  # type: ignore[call-overload, pydantic-field]  # written by pydantic-xml, never read


class SignedFinding(Model, tag="finding", ns="s", nsmap={"s": "urn:s"}):
    id: str = attr()
    title: str = element()


@pytest.mark.parametrize("cls", [StrictFinding, ValidatedFinding, ComputedFinding])
def test_examples_of_fallback_classes_come_from_their_shape_and_parse_back(
    cls: type[Model],
) -> None:
    """A class read by pydantic-xml for a reason that leaves its XML shape alone gets the
    plan's example (attributes as attributes, nested models expanded): 2.3's one empty child
    per field (`<id/>`) did not parse back."""
    assert cls is ComputedFinding or fallback_reason(cls) is not None
    example = cls.xml_example()
    assert example.startswith('<finding id="str">')
    assert "<id" not in example
    assert "loud" not in example
    filled = example.replace('line="int"', 'line="3"')
    model = parsing.parse(f"Here: {filled}", cls)[0]
    assert model.id == "str"  # type: ignore[attr-defined]


def test_a_class_whose_shape_has_no_plan_is_shown_from_its_field_metadata() -> None:
    """It showed one empty child per field (``<finding><id/>...``), attributes included.
    Namespaced names are written as the class writes them (see ``test_namespaces.py``)."""
    assert fallback_reason(SignedFinding) is not None
    assert SignedFinding.xml_example() == (
        '<s:finding xmlns:s="urn:s" id="str">\n  <s:title>str</s:title>\n</s:finding>'
    )


class Mark(Model):
    at: int = attr()


class Pick(Model, tag="pick"):
    name: str = attr()
    choice: t.Union[Location, Mark] = element()  # noqa: UP007 - a union of models
    each: list[t.Union[Mark, Location]] = element(tag="each", default_factory=list)  # noqa: UP007


class Mapped(Model, tag="mapped"):
    name: str = attr()
    attrs: dict[str, int] = xml_element(tag="attrs")
    pair: tuple[int, str] = element(tag="p")
    location: Location


class Hooked(Model, tag="hooked"):
    name: str = attr()
    location: Location
    value: str = element()  # last: the hook takes no element, so none is skipped


def _fixed(cls: type, element: XmlElementReader, field_name: str) -> str:
    return "fixed"


Hooked.__xml_field_validators__["value"] = _fixed


@pytest.mark.parametrize(
    ("cls", "example", "fills", "expected"),
    [
        (
            Pick,
            '<pick name="str">\n  <location file="str" line="int"></location>\n'
            '  <each at="int"></each>\n  <each at="int"></each>\n</pick>',
            {'"int"': '"4"'},
            Pick(name="str", choice=Location(file="str", line=4), each=[Mark(at=4)] * 2),
        ),
        (
            Mapped,
            '<mapped name="str">\n  <attrs key="int"></attrs>\n  <p>int</p>\n  <p>str</p>\n'
            '  <location file="str" line="int"></location>\n</mapped>',
            {'"int"': '"4"', ">int<": ">5<"},
            Mapped(
                name="str",
                attrs={"key": 4},
                pair=(5, "str"),
                location=Location(file="str", line=4),
            ),
        ),
        (
            Hooked,
            '<hooked name="str">\n  <location file="str" line="int"></location>\n'
            "  <value>str</value>\n</hooked>",
            {'"int"': '"4"'},
            Hooked(name="str", value="fixed", location=Location(file="str", line=4)),
        ),
    ],
)
def test_examples_of_shapes_without_a_plan_parse_back(
    cls: type[Model], example: str, fills: dict[str, str], expected: Model
) -> None:
    """A union of models has a plan of its shape (its first choice shown); mapping and
    tuple fields and custom XML hooks have none, and are shown from the fields' metadata:
    either way, filling the placeholders gives a reply that parses."""
    assert fallback_reason(cls) is not None
    assert cls.xml_example() == example
    for placeholder, value in fills.items():
        example = example.replace(placeholder, value)
    assert parsing.parse(f"Here: {example}", cls)[0] == expected


class Early(Model):
    later: Later  # defined below: the class is incomplete until rebuilt
    name: str = attr()


def test_incomplete_class_is_planned_once_complete() -> None:
    assert "not fully defined" in (Early.codec_fallback_reason() or "")
    Early.model_rebuild()
    assert Early.codec_fallback_reason() is None
    assert parsing.parse('<early name="n"><later x="1"/></early>', Early)[0].later.x == "1"


class Later(Model):
    x: str = attr()


# --- rendering straight from instances ------------------------------------------------------


class Level(enum.Enum):
    LOW = "low"


class _Text(str):
    pass


class _Spot(Model, tag="spot"):
    file: str = attr()
    line: int = attr()


class _Report(Model, tag="report"):
    score: float = attr()
    done: bool = element()
    note: str | None = element(default=None)
    tags: list[str] = element(tag="tag", default_factory=list)
    spots: list[_Spot] = element(tag="spot", default_factory=list)
    level: Level = element(default=Level.LOW)


class _Shown(Model, tag="shown"):
    name: str = attr()
    secret: str = element(default="", exclude=True)


class _Loud(Model, tag="loud"):
    name: str = attr()

    @field_serializer("name")
    def _upper(self, value: str) -> str:
        return value.upper()


class _WideSpot(_Spot, tag="spot"):
    column: int = attr(default=0)


def _encoded_render(model: Model) -> str:
    codec = codec_of(type(model))
    assert codec is not None
    return codec.native.render(to_jsonable_python(model, by_alias=False))


def test_plain_instances_render_from_their_fields() -> None:
    report = _Report(
        score=0.5,
        done=True,
        tags=["a", "b"],
        spots=[_Spot(file="x.py", line=3)],
        level=Level.LOW,
    )
    codec = codec_of(_Report)
    assert codec is not None
    assert codec.native.render_model(report) is None  # the enum value needs encoding
    plain = report.model_copy(update={"level": "low"})  # a plain str where the enum was
    direct = codec.native.render_model(plain)
    assert direct is not None
    assert direct == _encoded_render(plain) == plain.pydantic_xml_pretty()


@pytest.mark.parametrize(
    "changes",
    [
        {"score": float("inf")},  # encoded as null
        {"tags": ("a", "b")},  # a tuple, not a list
        {"spots": [_WideSpot(file="x", line=1, column=2)]},  # a subclass instance
        {"note": _Text("subclass of str")},
    ],
)
def test_values_that_encoding_changes_are_not_read_directly(changes: dict[str, t.Any]) -> None:
    report = _Report.model_construct(
        score=1.0,
        done=False,
        note=None,
        tags=[],
        spots=[],
        level="low",  # type: ignore[arg-type]
    )
    report.__dict__.update(changes)
    codec = codec_of(_Report)
    assert codec is not None
    assert codec.native.render_model(report) is None


@pytest.mark.parametrize("model", [_Shown(name="a", secret="s"), _Loud(name="a")])
def test_classes_with_custom_serialization_always_encode(model: Model) -> None:
    codec = codec_of(type(model))
    assert codec is not None
    assert codec.native.render_model(model) is None
    assert model.to_pretty_xml() == model.pydantic_xml_pretty()


def test_plan_classes_must_match_the_models() -> None:
    with pytest.raises(ValueError, match="one per model"):
        _native.CodecPlan([("a", [])], [_Spot, _Spot])


def test_plan_empty_readings_must_match_the_fields() -> None:
    spec = ("x", "x", (), "element", "x", -1, False)
    plan = _native.CodecPlan([("a", [spec])], None, None, [["str"]])
    assert plan.parse("<a><x/></a>") == {"x": ""}
    assert _native.CodecPlan([("a", [spec])], None, None, [["none"]]).parse("<a><x/></a>") == {
        "x": None
    }
    assert _native.CodecPlan([("a", [spec])]).parse("<a><x/></a>") == {}  # pydantic-xml's
    with pytest.raises(ValueError, match="expected empty with one list per model"):
        _native.CodecPlan([("a", [spec])], None, None, [[]])
    with pytest.raises(ValueError, match='unknown empty reading "blank"'):
        _native.CodecPlan([("a", [spec])], None, None, [["blank"]])


def test_plan_types_and_literal_tables_are_checked() -> None:
    text: FieldSpec = ("v", "v", (), "attr", "v", -1, False)
    nested: FieldSpec = ("m", "m", (), "element", "m", 0, False)
    _native.CodecPlan([("a", [text])], None, [["int|str|float|bool"]])
    _native.CodecPlan([("a", [text])], None, [["encoded"]])
    for bad in ("int|", "list", "encoded|int", "Int"):
        with pytest.raises(ValueError, match="unknown declared type"):
            _native.CodecPlan([("a", [text])], None, [[bad]])
    with pytest.raises(ValueError, match="one entry per field"):
        _native.CodecPlan([("a", [text])], literals=[[None, None]])
    with pytest.raises(ValueError, match="nested model field"):
        _native.CodecPlan([("a", [nested])], literals=[[[("1", 1)]]])
    plan = _native.CodecPlan([("a", [text])], literals=[[[("1", 1), ("true", True)]]])
    assert plan.parse('<a v="1"/>') == {"v": 1}
    assert plan.parse('<a v="true"/>')["v"] is True
    assert plan.parse('<a v="01"/>') == {"v": "01"}


# --- CodecPlan.extract: every candidate of a text in one native call -------------------------


def _plan_and_spans(text: str) -> tuple[_native.CodecPlan, list[tuple[_native.Span, bool]]]:
    codec = codec_of(Finding)
    assert codec is not None
    return codec.native, _native.candidates(text, ["finding"])[0]


def test_extract_keeps_each_candidates_own_outcome() -> None:
    bad_xml = '<finding id="x"><!ENTITY e "boom"><title>&e;</title></finding>'
    invalid = '<finding id="F-3"><severity>low</severity></finding>'  # no title, no location
    text = f"é😀 {FINDING} then {invalid} and {bad_xml} and {FINDING.replace('F-1', 'F-2')}"
    plan, spans = _plan_and_spans(text)
    done = plan.extract(text, spans, Finding.__pydantic_validator__.validate_python)
    assert done is not None
    found, failed = done
    assert [item.model.id for item in found] == ["F-1", "F-2"]
    assert [text[item.slice] for item in found] == [FINDING, FINDING.replace("F-1", "F-2")]
    assert all(type(item) is _native.Found and not item.hollow for item in found)
    assert found[0].slice == slice(spans[0][0].start, spans[0][0].end)  # no step, like slice(a, b)
    kinds = [(text[span.slice], type(exc), unreadable) for span, exc, unreadable in failed]
    assert kinds[0][0] == invalid
    assert issubclass(kinds[0][1], ValidationError)
    assert kinds[0][2] is False
    assert kinds[1] == (bad_xml, ValueError, True)


def test_extract_takes_any_exception_of_the_validator_as_the_element_s_failure() -> None:
    """pydantic-core raises a validator error's own ``__str__`` failure in its place, so any
    `Exception` is the element's; an interrupt goes up."""
    plan, spans = _plan_and_spans(FINDING)

    def broken(data: dict[str, t.Any]) -> Finding:
        raise KeyError("the element's failure")

    result = plan.extract(FINDING, spans, broken)
    assert result is not None
    found, failed = result
    assert found == []
    [(span, error, unreadable)] = failed
    assert (span.start, type(error), unreadable) == (0, KeyError, False)

    def interrupted(data: dict[str, t.Any]) -> Finding:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        plan.extract(FINDING, spans, interrupted)


def test_extract_refuses_spans_of_another_text_and_leaves_surrogates_to_the_caller() -> None:
    plan, spans = _plan_and_spans(f"{FINDING} {FINDING}")
    with pytest.raises(ValueError, match="outside the text"):
        plan.extract(FINDING, spans, Finding.__pydantic_validator__.validate_python)
    plan, spans = _plan_and_spans(f"é{FINDING}")  # starts inside the text, ends past it
    with pytest.raises(ValueError, match="outside the text"):
        plan.extract(FINDING, spans, Finding.__pydantic_validator__.validate_python)
    lone = f"\ud800 {FINDING}"
    plan, spans = _plan_and_spans(lone)
    assert plan.extract(lone, spans, Finding.__pydantic_validator__.validate_python) is None
    assert parsing.parse(lone, Finding)[0].id == "F-1"  # the one-at-a-time path


def test_extract_all_scans_once_and_reads_each_tag_with_its_entry() -> None:
    invalid = '<finding id="F-3"><severity>low</severity></finding>'
    text = f"é😀 {FINDING} <spot file='a' line='1'/> {invalid} <answer>x</answer>"
    validate = Finding.__pydantic_validator__.validate_python
    codec = codec_of(Finding)
    assert codec is not None
    tags = _native.Tags(["finding", "answer", "missing", "finding"])
    done = _native.extract_all(text, tags, [(codec.native, validate), None, None, None])
    assert done is not None
    read, answers, missing, again = done
    assert isinstance(read, tuple)
    found, failed, count = read
    assert count == 2
    assert [item.model.id for item in found] == ["F-1"]
    assert [text[item.slice] for item in found] == [FINDING]
    [(span, exc, unreadable)] = failed
    assert (text[span.slice], span.tag, unreadable) == (invalid, "finding", False)
    assert isinstance(exc, ValidationError)
    # Entries without a plan get the candidates, as `candidates` gives them.
    assert answers == _native.candidates(text, ["answer"])[0]
    assert missing == []
    assert again == _native.candidates(text, ["finding"])[0]


def test_extract_all_checks_its_entries_and_leaves_surrogates_to_the_caller() -> None:
    codec = codec_of(Finding)
    assert codec is not None
    entry = (codec.native, Finding.__pydantic_validator__.validate_python)
    with pytest.raises(ValueError, match="expected 2 entries, one per tag"):
        _native.extract_all(FINDING, _native.Tags(["finding", "x"]), [entry])
    lone = f"\ud800 {FINDING}"
    assert _native.extract_all(lone, _native.Tags(["finding"]), [entry]) is None
    assert Message("assistant", lone).parse(Finding).id == "F-1"  # the one-at-a-time path


class Strict(Model, tag="strict"):
    """A (planned) model whose validator has a bug: it raises an error that is not a
    ValueError."""

    kind: str = attr(default="plain")
    value: str = element()

    @field_validator("value")
    @classmethod
    def _buggy(cls, value: str) -> str:
        if value == "boom":
            raise LookupError(f"validator bug on {value!r}")
        return value


def test_extract_all_takes_a_validator_bug_as_its_element_s_failure_and_goes_on() -> None:
    classes = (Location, Strict, Finding)
    entries = []
    for cls in classes:
        codec = codec_of(cls)
        assert codec is not None
        entries.append((codec.native, cls.__pydantic_validator__.validate_python))
    text = (
        '<strict><value>fine</value></strict> <location file="a" line="1"/> '
        f"<strict><value>boom</value></strict> {FINDING}"
    )
    done = _native.extract_all(text, _native.Tags([class_info(c).tag for c in classes]), entries)
    assert done is not None
    assert len(done) == 3  # the tags after the failing element are read too
    located, strict, finding = done
    assert isinstance(located, tuple)
    assert [f.model.file for f in located[0]] == ["a", "app/auth.py"]
    assert isinstance(strict, tuple)
    assert [f.model.value for f in strict[0]] == ["fine"]
    [(span, error, unreadable)] = strict[1]
    assert (span.tag, isinstance(error, LookupError), unreadable) == ("strict", True, False)
    assert "validator bug on 'boom'" in str(error)
    assert isinstance(finding, tuple)
    assert [f.model.id for f in finding[0]] == ["F-1"]


def test_errors_of_several_types_come_in_type_order() -> None:
    """A type's MissingModelError comes before a later type's validator bug, as it would
    with one extraction per type; the bug fails its element, as an invalid one."""
    text = '<strict><value>boom</value></strict> <location file="a" line="1"/>'
    with pytest.raises(MissingModelError, match="finding"):
        Message("assistant", text).parse_many(Finding, Strict)
    with pytest.raises(MissingModelError, match="finding"):
        parsing.parse_many(text, Finding, Strict, Location)
    found = Message("assistant", text).try_parse_many(Location, Strict)
    assert [type(m) for m in found] == [Location]
    with pytest.raises(ValidatorRaisedError, match=r"raised LookupError: .*validator bug") as info:
        Message("assistant", text).try_parse_many(Location, Strict, fail_on_missing=True)
    assert isinstance(info.value.__cause__, LookupError)
    assert Message("assistant", text).try_parse_many(Finding, Strict) == []
    with pytest.raises(ValidatorRaisedError, match="validating Strict in <strict> at 0"):
        Message("assistant", text).parse(Strict)  # one type, one-element path
    assert [
        m.value for m, _ in parsing.try_parse_set("<strict><value>ok</value></strict>", Strict)
    ] == ["ok"]


class _Interrupt(BaseException):
    """Stands for KeyboardInterrupt / SystemExit raised while a validator runs."""


class Interrupted(Model, tag="interrupted"):
    kind: str = attr(default="plain")
    value: str = element()

    @field_validator("value")
    @classmethod
    def _interrupt(cls, value: str) -> str:
        raise _Interrupt(value)


def test_an_interrupt_in_a_validator_is_never_held_back() -> None:
    """Only an Exception waits for its type's turn; a BaseException goes up at once, even
    when an earlier type would raise MissingModelError."""
    text = "<interrupted><value>x</value></interrupted>"
    with pytest.raises(_Interrupt):
        parsing.parse_many(text, Finding, Interrupted)
    with pytest.raises(_Interrupt):
        Message("assistant", text).try_parse_many(Finding, Interrupted, fail_on_missing=True)
    with pytest.raises(_Interrupt):
        Message("assistant", text).parse(Interrupted)


def test_found_is_a_plain_value() -> None:
    model = Location(file="a", line=1)
    found = _native.Found(model, slice(3, 9), False)
    assert found == _native.Found(Location(file="a", line=1), slice(3, 9), False)
    assert found != _native.Found(model, slice(3, 9), True)
    assert found != (model, slice(3, 9), False)  # type: ignore[comparison-overlap]
    assert repr(found) == f"Found(model={model!r}, slice=slice(3, 9, None), hollow=False)"
    assert _native.Found[Location] is _native.Found
    assert found.start == found.slice.start == 3
    with pytest.raises(AttributeError):
        found.hollow = True  # type: ignore[misc]


class Shouted(Location):
    def to_pretty_xml(self) -> str:
        return super().to_pretty_xml().upper()


def test_normalising_many_parts_keeps_an_overridden_to_pretty_xml() -> None:
    message = Message(
        "assistant",
        '<shouted file="a" line="1"/> and <location file="b" line="2"/> '
        '<shouted line="3" file="c"></shouted>',
    )
    found = message.try_parse_many(Shouted, Location)
    assert [type(m).__name__ for m in found] == ["Shouted", "Location", "Shouted"]
    assert message.content == (
        '<SHOUTED FILE="A" LINE="1"></SHOUTED> and <location file="b" line="2"></location> '
        '<SHOUTED FILE="C" LINE="3"></SHOUTED>'
    )
    assert [message.content[p.slice_] for p in message.parts] == [m.to_pretty_xml() for m in found]


class _Base(Model, tag="base"):
    name: str = attr()
    note: str = element(default="")


class _Derived(_Base, tag="derived"):
    size: int = element()


def test_a_subclass_has_its_own_plan_and_facts_after_its_parent_was_used() -> None:
    parent = Message("assistant", '<base name="a"><note>n</note></base>').parse(_Base)
    assert parent.name == "a"
    assert class_info(_Base).tag == "base"
    # The parent's facts and plan are reachable from the subclass by attribute lookup; the
    # subclass must still get its own.
    assert class_info(_Derived).tag == "derived"
    assert class_info(_Derived).owner is _Derived
    plan = codec_of(_Derived)
    assert plan is not None
    assert plan is not codec_of(_Base)
    child = Message("assistant", '<derived name="b"><size>3</size></derived>').parse(_Derived)
    assert (child.name, child.size) == ("b", 3)
    assert str(child) == '<derived name="b">\n  <note></note>\n  <size>3</size>\n</derived>'
    assert codec_of(_Base) is not None
    assert class_info(_Base).owner is _Base


class _Later(Model, tag="later"):
    ref: _NotYetDefined = element()  # type: ignore[name-defined]  # noqa: F821


def test_a_class_not_fully_defined_does_not_stop_the_others_from_parsing() -> None:
    text = f"see {FINDING}"
    found = parsing.try_parse_many(text, Finding, _Later)
    assert [type(model) for model, _ in found] == [Finding]
    assert [type(m) for m in Message("assistant", text).try_parse_many(Finding, _Later)] == [
        Finding
    ]


def test_a_class_with_unresolved_references_says_which_name_is_missing() -> None:
    """It failed deep in pydantic or pydantic-xml with a bare AssertionError ("this is a bug!
    please report it", "model ... is partially initialized")."""

    class Report(Model, tag="report"):
        finding: NotYet = element()
        summary: str = element()

    text = "<report><finding><text>a</text></finding><summary>s</summary></report>"
    calls = (
        Report.xml_example,
        lambda: Report.from_text(text),
        lambda: Message("assistant", text).parse(Report),
    )
    for call in calls:
        with pytest.raises(TypeError, match="Report is not fully defined: name 'NotYet' is not"):
            call()

    class NotYet(Model, tag="finding"):
        text: str = element()

    Report.model_rebuild(_types_namespace={"NotYet": NotYet})  # a local class: named for pydantic
    assert Message("assistant", text).parse(Report).finding.text == "a"
    assert "<finding>" in Report.xml_example()


def test_carriage_returns_in_element_text_survive_their_own_xml() -> None:
    """ElementTree writes a `\r` in text raw and every parser reads it back as `\n`, so
    `a\r\nb` came back as `a\nb` through both renderers and both parsers."""
    from rigging._model.plan import use_pydantic_xml

    class Note(Model, tag="note"):
        title: str = attr()
        body: str = element()

    class Fallback(Model, tag="note"):
        title: str = attr()
        body: str = element()

    use_pydantic_xml(Fallback, "test: the pydantic-xml path")
    for cls in (Note, Fallback):
        model = cls(title="t\r\n", body="a\r\nb\rc")
        for xml in (model.to_pretty_xml(), model.to_xml().decode()):
            assert "\r" not in xml
            assert cls.from_text(xml)[0][0] == model
            assert Message("assistant", xml).parse(cls) == model


# --- found by differential fuzzing against pydantic-xml (stop 25) ----------------------------


class Deep(Model, tag="n"):
    v: str = attr(default="")
    child: t.Optional[Deep] = element(tag="n", default=None)  # noqa: UP045


def _deep(levels: int) -> Deep:
    model = Deep()
    for _ in range(levels):
        model = Deep(child=model)
    return model


def test_rendering_very_deep_models_fails_like_pydantic_xml_not_the_process() -> None:
    """The instance walks stop at a fixed depth and hand over to the encoded path, which
    refuses what pydantic-xml refuses; nothing recurses past the stack."""
    for render in (Deep.to_xml, Deep.to_pretty_xml, str):
        with pytest.raises(ValueError, match="Maximum serialization depth exceeded"):
            render(_deep(20_000))
    with pytest.raises(ValueError, match="Maximum serialization depth exceeded"):
        BaseXmlModel.to_xml(_deep(20_000))
    for levels in (150, 201, 240):  # below pydantic's limit: both paths write the same
        model = _deep(levels)
        assert model.to_xml() == BaseXmlModel.to_xml(model)
        assert model.to_pretty_xml() == model.pydantic_xml_pretty()
    codec = codec_of(Deep)
    assert codec is not None
    encoded: dict[str, t.Any] = {}
    inner = encoded
    for _ in range(5_000):
        inner["child"] = {}
        inner = inner["child"]
    with pytest.raises(ValueError, match="models nest deeper than the limit of 256"):
        codec.native.render(encoded)
    with pytest.raises(ValueError, match="max_depth 100000 is above the limit of 256"):
        codec.native.parse("<n/>", max_depth=100_000)


class Scored(Model, tag="scored"):
    label: str = attr(default="x")
    value: float = element(default=0)
    count: int = element(default=0)
    maybe: t.Optional[float] = element(default=0)  # noqa: UP045
    many: list[float] = element(tag="m", default_factory=lambda: [1, 2.5])


def test_values_pydantic_never_validated_render_as_pydantic_xml_writes_them() -> None:
    """Defaults, assignments and model_construct may hold a value of another type than the
    field's (0 in a float field, True in an int field): written as encoded, not as held."""
    assigned = Scored()
    assigned.count = True
    assigned.value = 10**30
    for model in (Scored(), assigned, Scored.model_construct(value=3, count=False)):
        assert model.to_xml() == BaseXmlModel.to_xml(model)
        assert model.to_pretty_xml() == model.pydantic_xml_pretty()
    assert "<value>0.0</value>" in Scored().to_pretty_xml()
    message = Message("assistant", "<scored><value>1</value></scored>")
    assert message.parse(Scored).value == 1.0
    assert "<value>1.0</value>" in message.content


def test_strict_models_are_read_laxly_as_pydantic_xml_reads_them() -> None:
    class Strict(Model, tag="strict-model"):
        model_config = ConfigDict(strict=True)
        n: int = element()
        ok: bool = attr(default=False)

    assert Strict.codec_fallback_reason() is None
    text = '<strict-model ok="true"><n>3</n></strict-model>'
    assert parsing.parse(text, Strict)[0] == Strict(n=3, ok=True)
    assert Message("assistant", f"x {text}").parse(Strict) == Strict(n=3, ok=True)


def test_a_custom_model_validate_is_called_as_pydantic_xml_calls_it() -> None:
    class Shout(Model, tag="shout"):
        e: str = element()

        @classmethod
        def model_validate(cls, obj: t.Any, **kwargs: t.Any) -> Self:
            return super().model_validate({**obj, "e": obj["e"].upper()}, **kwargs)

    class Bumped(Model, tag="bumped"):
        content: int

        @classmethod
        def model_validate(cls, obj: t.Any, **kwargs: t.Any) -> Self:
            return super().model_validate({"content": int(obj["content"]) + 1}, **kwargs)

    assert "custom model_validate" in (Shout.codec_fallback_reason() or "")
    assert parsing.parse("<shout><e>abc</e></shout>", Shout)[0].e == "ABC"
    assert parsing.parse("<bumped>4</bumped>", Bumped)[0].content == 5  # a simple model


_SEEN: list[str] = []


class Spot(Model, tag="spot"):
    file: str = attr()


class Outer(Model, tag="outer"):
    key: str = attr()
    spot: Spot

    @model_validator(mode="before")
    @classmethod
    def _look(cls, data: t.Any) -> t.Any:
        _SEEN.append(type(data["spot"]).__name__)
        return data


def test_a_raw_validator_over_nested_models_keeps_pydantic_xml() -> None:
    """pydantic-xml hands a parent's before/wrap validators built nested models; the codec
    would hand them dicts, so such classes fall back (and see instances)."""
    reason = Outer.codec_fallback_reason() or ""
    assert "before model validator over nested models" in reason
    _SEEN.clear()
    assert parsing.parse('<outer key="k"><spot file="a"/></outer>', Outer)[0].spot.file == "a"
    assert _SEEN == ["Spot"]


def test_references_and_attribute_floods_parse_like_pydantic_xml() -> None:
    class Ref(Model, tag="ref"):
        a: str = attr(default="")
        e: str = element()

    class Twin(Ref, tag="ref"):
        pass

    use_pydantic_xml(Twin, "test: the pydantic-xml path")
    for text in (
        '<ref a="&#x0000000041;"><e>&#0000000066;&#x+41;</e></ref>',
        "<ref " + " ".join(f'a{i}="v"' for i in range(3_000)) + ' a="first"><e>y</e></ref>',
    ):
        native, theirs = parsing.parse(text, Ref)[0], parsing.parse(text, Twin)[0]
        assert native.model_dump() == theirs.model_dump()


def test_literal_prefixed_names_are_planned_and_namespaced_ones_fall_back() -> None:
    """A prefix without ``ns``/``nsmap`` is part of the name to pydantic-xml, and the codec
    reads names as written; a name pydantic-xml resolves (``{uri}x``) keeps pydantic-xml."""

    class Lang(Model, tag="lang"):
        lang: str = attr(name="xml:lang", default="")
        e: str = element(default="")

    class Prefixed(Model, tag="a:b"):
        e: str = element(default="")
        f: str = attr(default="")

    assert Lang.codec_fallback_reason() is None
    assert Prefixed.codec_fallback_reason() is None
    assert parsing.parse('<lang xml:lang="en"><e>x</e></lang>', Lang)[0] == Lang(lang="en", e="x")
    assert parsing.parse('<a:b f="1"><e>x</e></a:b>', Prefixed)[0] == Prefixed(e="x", f="1")
    assert HoldsNamespaced.codec_fallback_reason() == (
        "field 'inner': namespaced name '{urn:x}namespaced'"
    )


class TreeNode(Model, tag="node"):
    name: str = attr()
    children: list[TreeNode] = element(default_factory=list)


TreeNode.model_rebuild()


def test_a_model_that_nests_in_itself_is_read_from_its_outermost_element() -> None:
    """The innermost-element rule (an echo inside an answer) picked the deepest leaf of a
    tree: a tree's own XML gave back its grandchild, never its root."""
    from rigging.stream import ModelStream

    tree = TreeNode(name="root", children=[TreeNode(name="kid", children=[TreeNode(name="leaf")])])
    assert class_info(TreeNode).outermost
    assert not class_info(Finding).outermost
    for xml in (tree.to_pretty_xml(), tree.to_xml().decode()):
        assert [m for m, _ in TreeNode.from_text(xml)] == [tree]
        assert Message("assistant", f"Here: {xml} done").parse(TreeNode) == tree
    second = TreeNode(name="second", children=[TreeNode(name="x")])
    compact = tree.to_xml().decode()
    text = f"a {tree.to_pretty_xml()} b {second.to_xml().decode()} <node name='stray'> {compact}"
    expected = [tree, second, tree]
    assert Message("assistant", text).parse_set(TreeNode) == expected
    assert [m for m, _ in parsing.try_parse_many(text, TreeNode, Finding)] == expected
    for step in (1, 5, 64):  # streamed, an element is built when its outermost element closes
        stream = ModelStream(TreeNode)
        found = [
            p.model for i in range(0, len(text), step) for p in stream.feed(text[i : i + step])
        ]
        assert found + [p.model for p in stream.finish()] == expected
    example = TreeNode.xml_example()
    filled = example.replace('"str"', '"n"')
    assert TreeNode.from_text(filled)[0][0].children[0].name == "n"


class StrictInner(Model, tag="strict-inner"):
    model_config = ConfigDict(strict=True)
    k: int = attr()


class StrictOuter(Model, tag="strict-outer"):
    n: int = element(strict=True)
    inner: StrictInner
    plain: int = element(default=0)


class StrictOuterTwin(StrictOuter, tag="strict-outer"):
    pass


use_pydantic_xml(StrictOuterTwin, "test: the pydantic-xml path")


def test_strictness_anywhere_in_the_schema_is_overridden_as_pydantic_xml_overrides_it() -> None:
    outer, inner, twin = StrictOuter, StrictInner, StrictOuterTwin
    text = '<strict-outer><n>3</n><strict-inner k="4"/><plain>5</plain></strict-outer>'
    # Read as text, the values fail a strict validation: the codec must validate laxly.
    with pytest.raises(ValidationError):
        outer.__pydantic_validator__.validate_python({"n": "3", "inner": {"k": "4"}})
    ours = parsing.parse(text, outer)[0]
    assert ours.model_dump() == parsing.parse(text, twin)[0].model_dump()
    assert ours.model_dump() == {"n": 3, "inner": {"k": 4}, "plain": 5}
    assert Message("assistant", f"x {text}").parse(outer).model_dump() == ours.model_dump()
    # Strictness in a nested class or a field binds `strict=False`; a class without any
    # validates through `validate_python` itself, with no keyword on the hot path.
    for cls in (outer, inner):
        bound = lax_validate(cls)
        assert isinstance(bound, functools.partial)
        assert bound.keywords == {"strict": False}
    assert lax_validate(Finding) == Finding.__pydantic_validator__.validate_python
    assert lax_validate(Finding) is lax_validate(Finding)
