"""Names with a literal prefix (``tag="a:b"``, ``attr(name="xml:lang")``) read back as written.

pydantic-xml keeps such names as written when no ``ns``/``nsmap`` puts them in a namespace;
ElementTree, which it reads with, refused ``<a:b>`` (unbound prefix) and gave ``xml:lang`` as
the XML namespace's ``lang``, so the field was missing (or its default). Rules:
``docs/design/decisions-codec.md`` (Names with a literal prefix). The URIs here are used by no
other test (ElementTree's prefix registry is global).
"""

from __future__ import annotations

import types
import typing as t

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import rigging as rg
from rigging import parsing
from rigging._model.base import class_info
from rigging._model.plan import use_pydantic_xml
from rigging.error import XmlContentError
from rigging.model import Model, attr, element, wrapped
from rigging.stream import ModelStream

ATOM = "urn:rigging-test-prefixed:atom"


class Rec(Model, tag="pa:rec"):
    name: str = element()
    n: int = attr()


class Lang(Model, tag="lang"):
    lang: str = attr(name="xml:lang")
    text: str


class LangDefault(Model, tag="lang-default"):
    lang: str = attr(name="xml:lang", default="")
    body: str = element(default="")


class Prefixed(Model, tag="prefixed"):
    x: str = element(tag="pb:x")
    n: int = attr(name="pb:n")


class Wrapped(Model, tag="pw:wrapped"):
    v: str = wrapped("pw:outer/pw:inner", element(tag="pw:v"))
    items: list[str] = element(tag="pl:i", default_factory=list)


class Holder(Model, tag="ph:holder"):
    rec: Rec
    parts: list[Prefixed] = element(default_factory=list)
    lang: str = attr(name="xml:lang", default="en")


class Note(Model, tag="ps:note"):
    content: str


class Forbidding(Model, tag="pf:forbid", extra="forbid"):
    lang: str = attr(name="xml:lang")
    e: str = element(tag="pf:e")


class WithMapping(Model, tag="pm:map"):
    attrs: dict[str, str] = element(tag="pm:attrs")
    lang: str = attr(name="xml:lang")


class Entry(Model, tag="entry", ns="at", nsmap={"at": ATOM}):
    """Namespaced names next to literal ones: ``xml:lang`` and ``pk:kind`` stay as written."""

    lang: str = attr(name="xml:lang")
    title: str = element(ns="at")
    kind: str = attr(name="pk:kind", default="")


SHAPES: list[Model] = [
    Rec(name="a & b", n=1),
    Lang(lang="en", text="hello"),
    LangDefault(lang="fr", body="b"),
    Prefixed(x="<x>", n=3),
    Wrapped(v="deep", items=["1", "3"]),
    Holder(rec=Rec(name="r", n=2), parts=[Prefixed(x="p", n=4)], lang="de"),
    Note(content="a note"),
    Forbidding(lang="en", e="e"),
    WithMapping(attrs={"k": "v", "pz:q": "w"}, lang="it"),
    Entry(lang="en", title="t", kind="k"),
]
IDS = [type(m).__name__ for m in SHAPES]


ENTRY_POINTS = 7


def _entry_points(cls: type[Model], text: str) -> list[object]:
    """What each entry point gives for ``text`` (each on a message of its own)."""

    def message() -> rg.Message:
        return rg.Message("assistant", text)

    stream = ModelStream(cls)
    streamed = [p.model for piece in text for p in stream.feed(piece)]
    streamed += [p.model for p in stream.finish()]
    return [
        message().parse(cls),
        message().try_parse(cls),
        *message().parse_set(cls),
        *message().try_parse_many(cls),
        *[model for model, _ in cls.from_text(text)],
        *[model for model, _ in parsing.parse_set(text, cls)],
        *streamed,
    ]


@pytest.mark.parametrize("model", SHAPES, ids=IDS)
def test_own_xml_parses_back_through_every_entry_point(model: Model) -> None:
    cls = type(model)
    pretty = model.to_pretty_xml()
    text = f"Answer:\n{pretty}\ndone"
    assert _entry_points(cls, text) == [model] * ENTRY_POINTS
    message = rg.Message("assistant", text)
    message.parse(cls)
    assert message.content == text  # normalised: already as written
    if cls is not Note:  # a simple model's text decodes no `&#161;` (prefixed or not)
        compact = model.to_xml().decode()
        assert parsing.parse(f"x {compact} y", cls)[0] == model


@pytest.mark.parametrize("model", SHAPES, ids=IDS)
def test_the_pydantic_xml_path_reads_the_same(model: Model) -> None:
    """A class that falls back to pydantic-xml (here on purpose) reads prefixed names as the
    codec does: its tree keeps them as written."""
    cls = type(model)
    twin = types.new_class(f"{cls.__name__}Twin", (cls,), {"tag": cls.__xml_tag__}, lambda ns: None)
    use_pydantic_xml(twin, "test: the pydantic-xml path")
    got: Model = parsing.parse(model.to_pretty_xml(), twin)[0]
    assert got.model_dump() == model.model_dump()


@pytest.mark.parametrize("cls", [type(m) for m in SHAPES], ids=IDS)
def test_the_filled_example_parses_back(cls: type[Model]) -> None:
    example = cls.xml_example()
    filled = example.replace('="int"', '="4"').replace(">int<", ">4<")
    model = parsing.parse(f"Reply: {filled}", cls)[0]
    if cls.is_simple():
        assert example == cls.xml_start_tag() + cls.xml_end_tag() == "<ps:note></ps:note>"
        return
    if cls is not WithMapping:  # shown as one placeholder attribute, written as the dict's
        assert model.to_pretty_xml() == filled  # a model of the placeholders writes it
    assert _entry_points(cls, filled) == [model] * ENTRY_POINTS


def test_the_issue_shapes_are_planned_and_read_as_written() -> None:
    """``xml:lang`` is the attribute named ``xml:lang`` (not missing, not its default), and
    ``<pa:rec>`` is the class's element (not an unbound prefix)."""
    for cls in (Rec, Lang, LangDefault, Prefixed, Wrapped, Holder):
        assert cls.codec_fallback_reason() is None, cls
    assert Lang.xml_example() == '<lang xml:lang="str">str</lang>'
    assert Rec.xml_start_tag() == "<pa:rec>"
    assert class_info(Rec).tag == "pa:rec"
    got = parsing.parse('<lang-default xml:lang="en"><body>x</body></lang-default>', LangDefault)
    assert got[0] == LangDefault(lang="en", body="x")
    written = '<lang xml:lang="en">hi</lang>'
    assert rg.Message("assistant", written).parse(Lang) == Lang(lang="en", text="hi")


def test_declarations_in_a_reply_change_no_literal_name() -> None:
    """A reply may declare a prefix the class writes literally: the name is still read as
    written, and the declaration is no attribute (the forbidding class takes it)."""
    text = '<pf:forbid xmlns:pf="urn:anything" xml:lang="en"><pf:e>1</pf:e></pf:forbid>'
    assert parsing.parse(text, Forbidding)[0] == Forbidding(lang="en", e="1")
    declared = '<pa:rec xmlns:pa="urn:anything" n="1"><name>a</name></pa:rec>'
    assert parsing.parse(declared, Rec)[0] == Rec(name="a", n=1)


def test_another_prefix_is_another_name() -> None:
    assert parsing.try_parse('<pz:rec n="1"><name>a</name></pz:rec>', Rec) is None
    with pytest.raises(ValidationError) as info:
        parsing.parse('<lang lang="en">hi</lang>', Lang)
    assert [(e["loc"], e["type"]) for e in info.value.errors()] == [(("lang",), "missing")]


# --- namespaced classes with literal names ----------------------------------------------------


def test_literal_names_next_to_namespaced_ones() -> None:
    entry = Entry(lang="en", title="t", kind="k")
    assert entry.to_pretty_xml() == (
        f'<at:entry xmlns:at="{ATOM}" xml:lang="en" pk:kind="k">\n'
        "  <at:title>t</at:title>\n</at:entry>"
    )
    bare = '<at:entry xml:lang="en" pk:kind="k"><at:title>t</at:title></at:entry>'
    assert parsing.parse(bare, Entry)[0] == entry  # the class's declaration supplied
    # other prefixed names are resolved as ElementTree resolves them
    spaced = '<at:entry xml:lang="en" xml:space="keep"><at:title>t</at:title></at:entry>'
    assert parsing.parse(spaced, Entry)[0] == Entry(lang="en", title="t")
    unbound = '<at:entry xml:lang="en"><at:title>t</at:title><zz:x/></at:entry>'
    assert parsing.try_parse(unbound, Entry) is None
    with pytest.raises(XmlContentError, match="unbound prefix 'zz'"):
        parsing.parse(unbound, Entry)
    with pytest.raises(ValidationError):  # unprefixed: not the namespaced child
        parsing.parse('<at:entry xml:lang="en"><title>t</title></at:entry>', Entry)


# --- shapes that cannot be read back are refused at first use ---------------------------------


class Inner(Model, tag="inner"):
    v: str = attr(name="xmlns:v")


class Outer(Model):
    inner: Inner


def _refused_classes() -> list[tuple[t.Callable[[], type[Model]], str]]:
    def declaring() -> type[Model]:
        class Declaring(Model):
            d: str = attr(name="xmlns:d")
            e: str = element()

        return Declaring

    def declaring_tag() -> type[Model]:
        class DeclaringTag(Model, tag="xmlns:t"):
            v: str = attr()
            e: str = element()

        return DeclaringTag

    def nested_declaring() -> type[Model]:
        return Outer

    def in_default_namespace() -> type[Model]:
        class InDefault(Model, nsmap={"": "urn:rigging-test-prefixed:d"}):
            x: str = element(tag="p:y")

        return InDefault

    def inherited_namespace() -> type[Model]:
        class Inherits(Model, ns="q", nsmap={"q": "urn:rigging-test-prefixed:q"}):
            x: str = element(tag="p:y")

        return Inherits

    def bound() -> type[Model]:
        class Bound(Model, ns="q", nsmap={"q": "urn:rigging-test-prefixed:q2"}):
            x: str = attr(name="q:x")
            e: str = element()

        return Bound

    def written_prefix() -> type[Model]:  # ElementTree writes a default namespace as ns0
        class WrittenPrefix(Model, nsmap={"": "urn:rigging-test-prefixed:d2"}):
            x: str = attr(name="ns0:x")
            y: str = element()

        return WrittenPrefix

    return [
        (declaring, "model Declaring: field 'd' (an attribute) is named 'xmlns:d'"),
        (declaring_tag, "model DeclaringTag: the tag is named 'xmlns:t'"),
        (nested_declaring, "model Outer: field 'v' of its nested model Inner (an attribute)"),
        (in_default_namespace, "model InDefault: field 'x' (an element) is named '{urn"),
        (inherited_namespace, "the name 'p:y' has a prefix and is in the namespace"),
        (bound, "binds the prefix 'q' to the namespace 'urn:rigging-test-prefixed:q2', so"),
        (bound, "'q:x' there is a name in that namespace, not the name as written; use ns='q'"),
        (written_prefix, "binds the prefix 'ns0' to the namespace 'urn:rigging-test-prefixed:d2'"),
    ]


@pytest.mark.parametrize(("make", "message"), _refused_classes())
def test_names_that_cannot_read_back_are_refused_at_first_use(
    make: t.Callable[[], type[Model]], message: str
) -> None:
    cls = make()
    for use in (
        cls.xml_example,
        lambda: parsing.try_parse("<x/>", cls),
        lambda: rg.Message("assistant", "text").try_parse(cls),
        lambda: ModelStream(cls).feed("<x>"),
    ):
        with pytest.raises(TypeError, match="cannot be read back") as info:
            use()
        assert message in str(info.value)


# --- any prefixed names -----------------------------------------------------------------------

_NCNAME = st.from_regex(r"[a-z_][a-z0-9._-]{0,5}", fullmatch=True)
_PREFIX = _NCNAME.filter(lambda p: p != "xmlns")
_QNAME = st.builds(lambda p, n: f"{p}:{n}", _PREFIX, _NCNAME)
_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cn"), blacklist_characters="\ufeff")
    | st.sampled_from("\n\t<>&\"'"),
    min_size=1,  # pydantic-xml reads an empty element as missing
    max_size=8,
).filter(lambda s: s.strip() == s)


QUALIFIED = "urn:rigging-test-prefixed:property"


@st.composite
def _prefixed_models(draw: st.DrawFn) -> Model:
    """A class of prefixed (and plain) names; some also have a name in a namespace (prefix
    ``pq``, which the literal names then do not use)."""
    namespaced = draw(st.booleans())
    qname = _QNAME.filter(lambda n: not n.startswith("pq:")) if namespaced else _QNAME
    tag = draw(qname)
    names = st.one_of(qname, st.just("xml:lang"), _NCNAME)
    attrs = draw(st.lists(names, max_size=3, unique=True))
    elements = draw(st.lists(names.filter(lambda n: n != tag), min_size=1, max_size=3, unique=True))
    namespace: dict[str, t.Any] = {"__module__": __name__}
    annotations: dict[str, t.Any] = {}
    for i, name in enumerate(attrs):
        annotations[f"a{i}"], namespace[f"a{i}"] = str, attr(name=name)
    for i, name in enumerate(elements):
        annotations[f"e{i}"], namespace[f"e{i}"] = str, element(tag=name)
    options: dict[str, t.Any] = {"tag": tag}
    if namespaced:
        options["nsmap"] = {"pq": QUALIFIED}
        annotations["q"], namespace["q"] = str, element(tag="q", ns="pq")
    namespace["__annotations__"] = annotations
    cls = types.new_class("Gen", (Model,), options, lambda ns: ns.update(namespace))
    return t.cast("Model", cls(**{field: draw(_TEXT) for field in annotations}))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(model=_prefixed_models(), pydantic_xml=st.booleans())
def test_prefixed_names_round_trip(model: Model, pydantic_xml: bool) -> None:
    """Every entry point reads the model's own XML, compact XML and filled example back, on
    the codec's path and on pydantic-xml's (for a namespaced class, pydantic-xml's alone)."""
    cls = type(model)
    if pydantic_xml:
        use_pydantic_xml(cls, "test: the pydantic-xml path")
    elif "q" not in cls.model_fields:
        assert cls.codec_fallback_reason() is None
    pretty = model.to_pretty_xml()
    got = _entry_points(cls, f"Answer: {pretty} done")
    dumps = [m.model_dump() for m in t.cast("list[Model]", got)]
    assert dumps == [model.model_dump()] * ENTRY_POINTS
    compact = model.to_xml().decode()
    assert parsing.parse(compact, cls)[0].model_dump() == model.model_dump()
    example = cls.xml_example()
    assert parsing.parse(example, cls)[0].to_pretty_xml() == example


def test_a_class_s_own_from_xml_reads_the_text() -> None:
    """The literal reading replaces pydantic-xml's parse, never a class's own ``from_xml``."""
    seen: list[str] = []

    class Own(Model, tag="po:own"):
        lang: str = attr(name="xml:lang", default="")
        e: str = element()

        @classmethod
        def from_xml(cls, source: str | bytes, *args: t.Any, **kwargs: t.Any) -> t.Any:
            seen.append(source if isinstance(source, str) else source.decode())
            return cls(e="from its own reader")

    assert Own.codec_fallback_reason() == "Own: a custom from_xml"
    got = parsing.parse('<po:own xml:lang="en"><e>x</e></po:own>', Own)[0]
    assert got == Own(e="from its own reader")
    assert seen == ['<po:own xml:lang="en"><e>x</e></po:own>']
