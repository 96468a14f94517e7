"""`Model.to_xml()` from the native codec: byte-identical to pydantic-xml's ``to_xml()``.

Every case compares with ``BaseXmlModel.to_xml(model)`` (pydantic-xml's tree written by
``ElementTree.tostring``) and, where the native path is meant to run, proves it ran by making
pydantic-xml's serializer unusable while ``to_xml()`` is called.
"""

from __future__ import annotations

import enum
import typing as t
import xml.etree.ElementTree as ET

import pytest
from pydantic import field_serializer
from pydantic_xml import BaseXmlModel

from rigging._model import base
from rigging._model.plan import codec_of, use_pydantic_xml
from rigging.message import Message
from rigging.model import Model, attr, element, wrapped


class Spot(Model, tag="spot"):
    file: str = attr()
    line: int = attr(default=0)


# A default given inside wrapped(...) is invisible to type checkers (pydantic-xml's dataclass
# transform reads only wrapped's own default): calls leaving such fields out say so.
class Finding(Model, tag="finding"):
    id: str = attr()
    severity: str = element()
    title: str = element()
    spot: Spot | None = element(default=None)
    tags: list[str] = wrapped("tags", element(tag="tag", default_factory=list))
    note: str | None = element(default=None)


class Noted(Model, tag="noted"):
    kind: str = attr(default="")
    body: str = ""
    child: str = element(default="")


class Level(enum.Enum):
    LOW = "low"
    HIGH = "high"


class Numbers(Model, tag="numbers"):
    flag: bool = attr(default=False)
    count: int = element(default=0)
    ratio: float = element(default=0.0)
    level: Level = element(default=Level.LOW)
    flags: list[bool] = element(tag="f", default_factory=list)


class Wrapped(Model, tag="wrapped"):
    a: str | None = wrapped("w", attr(default=None))
    b: str | None = wrapped("w/v", element(default=None))
    items: list[str] | None = wrapped("q", element(tag="i", default=None))
    spot: Spot | None = wrapped("r", element(default=None))


class Empty(Model, tag="nothing"):
    pass


class Simple(Model, tag="simple"):
    value: str


class Skipping(Model, tag="skipping", skip_empty=True):
    a: str | None = attr(default=None)
    b: str | None = element(default=None)
    c: str = element(default="")


class Holder(Model, tag="holder"):
    inner: Skipping = element(default_factory=Skipping)
    d: str = element(default="")


class Namespaced(Model, tag="signed", ns="s", nsmap={"s": "urn:s"}):
    v: str = element(default="x")


class Twin(Model, tag="twin"):
    v: str = attr(default="é")


use_pydantic_xml(Twin)


def reference(model: Model, **options: t.Any) -> str | bytes:
    """What pydantic-xml's own ``to_xml`` writes, with a raw ``\r`` (only text writes one)
    as ``&#13;``, which rigging writes so that the value reads back (a parser reads a raw one
    as ``\n``)."""
    written = BaseXmlModel.to_xml(model, **options)
    if isinstance(written, bytes):
        return written.replace(b"\r", b"&#13;")
    return written.replace("\r", "&#13;")


def native_to_xml(model: Model, monkeypatch: pytest.MonkeyPatch) -> str | bytes:
    """``model.to_xml()`` with pydantic-xml's serializer out of reach."""
    with monkeypatch.context() as patch:

        def refuse(*args: object, **kwargs: object) -> t.NoReturn:
            raise AssertionError("pydantic-xml was asked to serialize")

        patch.setattr(BaseXmlModel, "to_xml", refuse)
        patch.setattr(BaseXmlModel, "to_xml_tree", refuse)
        return model.to_xml()


def test_std_backend_takes_the_native_path() -> None:
    assert base.NATIVE_TO_XML  # pydantic-xml writes with xml.etree here (no lxml installed)


def test_finding_renders_natively(monkeypatch: pytest.MonkeyPatch) -> None:
    model = Finding(
        id="F-1",
        severity="high",
        title="SQL injection",
        spot=Spot(file="a.py", line=3),
        tags=["sqli", "auth"],
    )
    expected = (
        b'<finding id="F-1"><severity>high</severity><title>SQL injection</title>'
        b'<spot file="a.py" line="3" /><tags><tag>sqli</tag><tag>auth</tag></tags>'
        b"<note /></finding>"
    )
    assert reference(model) == expected
    assert native_to_xml(model, monkeypatch) == expected


HOSTILE = [
    "",
    " ",
    "  \n ",
    "<a>&amp;</a>",
    "a < b & c > d",
    "\"double\" and 'single'",
    "line\nfeed",
    "tab\there",
    "carriage\rreturn",
    "crlf\r\nend",
    "caf\u00e9 \u00fc\u00df \u4e2d\u6587",
    "astral \U0001f600 \U00010348",
    "\u2028\u2029\u0085\u00a0",
    "\x01\x7f\x80",
    "]]> <![CDATA[x]]>",
    "&#10; &lt; &bogus;",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_escaping_matches_element_tree(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Attribute values: ``& < > "`` and ``\\n \\r \\t`` as references; text: ``& < >``
    and ``\\r``; everywhere, non-ASCII as decimal references; nothing else changes."""
    for model in (
        Noted(kind=value, body=value, child=value),
        Finding(id=value, severity=value, title=value, tags=[value, value], note=value),
    ):
        expected = reference(model)
        assert isinstance(expected, bytes)
        assert native_to_xml(model, monkeypatch) == expected
        expected.decode("ascii")  # pure ASCII


def test_escaping_examples(monkeypatch: pytest.MonkeyPatch) -> None:
    model = Noted(kind='<&>"\n\r\t\u00e9', body='<&>"\n\r\t\u00e9\U0001f600', child="")
    expected = (
        b'<noted kind="&lt;&amp;&gt;&quot;&#10;&#13;&#09;&#233;">'
        b'&lt;&amp;&gt;"\n&#13;\t&#233;&#128512;<child /></noted>'
    )
    assert reference(model) == expected
    assert native_to_xml(model, monkeypatch) == expected


def test_empty_elements_are_short(monkeypatch: pytest.MonkeyPatch) -> None:
    cases: list[tuple[Model, bytes]] = [
        (Empty(), b"<nothing />"),
        (Noted(), b'<noted kind=""><child /></noted>'),
        (Noted(body=" "), b'<noted kind=""> <child /></noted>'),
        (
            Finding(id="", severity="", title=""),  # type: ignore[call-arg]
            b'<finding id=""><severity /><title /><tags /><note /></finding>',
        ),
    ]
    for model, expected in cases:
        assert reference(model) == expected
        assert native_to_xml(model, monkeypatch) == expected


def test_numbers_bools_and_enums(monkeypatch: pytest.MonkeyPatch) -> None:
    for model in (
        Numbers(),
        Numbers(flag=True, count=-12, ratio=1e-07, level=Level.HIGH, flags=[True, False]),
        Numbers(ratio=-0.0, count=10**30),
        Numbers(ratio=float("inf")),  # encoded as null: written empty, as pydantic-xml does
        Numbers(ratio=float("nan")),
    ):
        assert native_to_xml(model, monkeypatch) == reference(model)
    assert Numbers(flag=True).to_xml().startswith(b'<numbers flag="true">')


def test_wrapped_none_writes_no_wrapper(monkeypatch: pytest.MonkeyPatch) -> None:
    model = Wrapped()  # type: ignore[call-arg]
    assert reference(model) == b"<wrapped />"
    assert native_to_xml(model, monkeypatch) == b"<wrapped />"
    assert model.to_pretty_xml() == model.pydantic_xml_pretty() == "<wrapped></wrapped>"
    full = Wrapped(a="1", b="2", items=[], spot=Spot(file="f"))
    expected = (
        b'<wrapped><w a="1"><v><b>2</b></v></w><q /><r><spot file="f" line="0" /></r></wrapped>'
    )
    assert reference(full) == expected
    assert native_to_xml(full, monkeypatch) == expected
    assert full.to_pretty_xml() == full.pydantic_xml_pretty()


def test_simple_models_stay_escaped(monkeypatch: pytest.MonkeyPatch) -> None:
    model = Simple(value="a<b & \u00e9")
    assert (
        native_to_xml(model, monkeypatch)
        == reference(model)
        == b"<simple>a&lt;b &amp; &#233;</simple>"
    )
    assert model.to_pretty_xml() == "<simple>a<b & \u00e9</simple>"  # unchanged: raw text


def test_non_ascii_names_are_references(monkeypatch: pytest.MonkeyPatch) -> None:
    class Cafe(Model, tag="caf\u00e9"):
        n: str = attr(name="n\u00f6m", default="\u00e9")

    model = Cafe()
    assert (
        native_to_xml(model, monkeypatch)
        == reference(model)
        == (b'<caf&#233; n&#246;m="&#233;" />')
    )


@pytest.mark.parametrize(
    "options",
    [
        {"skip_empty": True},
        {"exclude_none": True},
        {"exclude_unset": True},
        {"encoding": "unicode"},
        {"encoding": "utf-8"},
        {"short_empty_elements": False},
    ],
)
def test_options_go_to_pydantic_xml(options: dict[str, t.Any]) -> None:
    model = Finding(id="\u00e9", severity="high", title="t", spot=Spot(file="a"))  # type: ignore[call-arg]
    assert model.to_xml(**options) == reference(model, **options)
    if options.get("encoding") == "unicode":
        assert isinstance(model.to_xml(**options), str)


def test_options_are_not_rendered_natively(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[dict[str, t.Any]] = []

    def tree(self: BaseXmlModel, **kw: t.Any) -> ET.Element:
        seen.append(kw)
        return ET.Element("pydantic-xml")

    monkeypatch.setattr(BaseXmlModel, "to_xml_tree", tree)
    model = Noted()
    assert model.to_xml(exclude_none=True) == b"<pydantic-xml />"
    assert seen == [{"skip_empty": False, "exclude_none": True, "exclude_unset": False}]
    assert model.to_xml(encoding="unicode") == "<pydantic-xml />"
    assert model.to_xml() != model.to_xml(skip_empty=True)  # default arguments: native


def test_classes_without_native_rendering_use_pydantic_xml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert codec_of(Namespaced) is None
    assert codec_of(Twin) is None
    skipping = codec_of(Skipping)
    assert skipping is not None  # parsed natively,
    assert not skipping.renders  # not rendered natively
    holder = codec_of(Holder)
    assert holder is not None
    assert not holder.renders  # a nested class skips empties
    models: list[Model] = [Namespaced(), Twin(), Skipping(), Holder(), Skipping(a="x", c="y")]
    for model in models:
        assert model.to_xml() == reference(model)
        assert model.to_pretty_xml() == model.pydantic_xml_pretty()
    assert Skipping().to_xml() == b"<skipping />"
    assert Holder().to_xml() == b"<holder><skipping /><d /></holder>"
    monkeypatch.setattr(BaseXmlModel, "to_xml_tree", lambda self, **kw: ET.Element("pyd"))
    for model in models:
        assert model.to_xml() == b"<pyd />"


def test_other_backends_are_left_to_pydantic_xml(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(base, "NATIVE_TO_XML", False)  # as when lxml is installed
    monkeypatch.setattr(BaseXmlModel, "to_xml_tree", lambda self, **kw: ET.Element("pyd"))
    assert Noted().to_xml() == b"<pyd />"


def test_lone_surrogates_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    model = Noted(body="a\ud800b")
    expected = reference(model)
    assert expected == b'<noted kind="">a&#55296;b<child /></noted>'
    assert model.to_xml() == expected
    monkeypatch.setattr(BaseXmlModel, "to_xml_tree", lambda self, **kw: ET.Element("pyd"))
    assert model.to_xml() == b"<pyd />"  # the native renderer could not take it


class Hidden(Model, tag="hidden"):
    secret: str = wrapped("box", element(default="s"))
    level: Level = wrapped("lv", attr(default=Level.HIGH))

    @field_serializer("secret")
    def _hide(self, value: str) -> None:
        return None


class WrappedLevel(Model, tag="wrapped-level"):
    level: Level = wrapped("lv", attr(default=Level.HIGH))
    plain: str | None = wrapped("p", element(default=None))


def test_wrapped_values_that_encode_to_none_keep_their_wrapper() -> None:
    """pydantic-xml decides on the value (not None: wrapper written), its encoding is None:
    the native renderers, which only see encodings, leave such plans to pydantic-xml."""
    codec = codec_of(Hidden)
    assert codec is not None
    assert codec.wrapped
    model = Hidden()  # type: ignore[call-arg]
    assert reference(model) == b'<hidden><box><secret /></box><lv level="high" /></hidden>'
    assert model.to_xml() == reference(model)
    assert model.to_pretty_xml() == model.pydantic_xml_pretty()


def test_wrapped_plain_values_render_natively(monkeypatch: pytest.MonkeyPatch) -> None:
    model = WrappedLevel(level="low")  # type: ignore[arg-type, call-arg]
    assert model.level is Level.LOW  # an enum: encoding needed, so pydantic-xml writes it
    assert (
        model.to_xml() == reference(model) == b'<wrapped-level><lv level="low" /></wrapped-level>'
    )
    plain = WrappedLevel.model_construct(level="low", plain="x")  # type: ignore[arg-type]  # plain values: native
    assert native_to_xml(plain, monkeypatch) == reference(plain)


def test_parsed_parts_of_classes_without_native_rendering_match_pydantic_xml() -> None:
    """The normalisation written back into message content renders as `to_pretty_xml` does,
    also for a `skip_empty` class (parsed natively, rendered by pydantic-xml)."""
    message = Message("assistant", 'x <skipping a="1"><b></b><c>y</c></skipping> z')
    model = message.parse(Skipping)
    assert model == Skipping(a="1", c="y")
    assert message.content == f"x {model.pydantic_xml_pretty()} z"
    assert message.content == 'x <skipping a="1">\n  <c>y</c>\n</skipping> z'
    several = Message(
        "assistant", '<skipping a="2"><b></b></skipping> <skipping>\n<c>v</c></skipping>'
    )
    models = several.parse_set(Skipping)  # several parts: laid out natively in one call
    assert len(models) == 2
    assert several.content == " ".join(m.pydantic_xml_pretty() for m in models)
    assert several.content == '<skipping a="2"></skipping> <skipping>\n  <c>v</c>\n</skipping>'
    # An element that reads as blank (an echo) gives way to one with content.
    echo = Message("assistant", "<skipping><b></b></skipping> <skipping>\n<c>v</c></skipping>")
    assert echo.parse_set(Skipping) == [Skipping(c="v")]
