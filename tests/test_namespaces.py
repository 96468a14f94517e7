"""Namespaced models parse back from their own XML and from their filled example.

Rules (``docs/design/decisions-codec.md``, Namespaces): the example and the search use the
element's name as the class writes it (``na:item``), with the declarations its XML carries; a
reply that leaves the declarations out gets the class's own; an unprefixed ``<item>`` or
another prefix is not the class's element.

Prefixes and namespace URIs here are used by no other test: ElementTree's prefix registry is
global, and a prefix registered for another URI changes how a class is written.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

import rigging as rg
from rigging import parsing
from rigging._model.base import class_info
from rigging.error import MissingModelError, XmlContentError
from rigging.generator.testing import FixedGenerator
from rigging.model import Model, attr, element, wrapped
from rigging.stream import ModelStream

A = "urn:rigging-test-ns:a"
B = "urn:rigging-test-ns:b"
D = "urn:rigging-test-ns:default"

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


class Item(Model, tag="item", ns="na", nsmap={"na": A}):
    name: str = element(ns="na")
    n: int = attr()


class PlainItem(Model, tag="item"):
    name: str = element()
    n: int = attr()


class Doc(Model, tag="doc", nsmap={"": D}):
    title: str = element()
    n: int = attr()


class Tagged(Model, tag="tagged", ns="na", nsmap={"na": A}, ns_attrs=True):
    label: str = element()
    n: int = attr()


class Part(Model, tag="part", ns="nb", nsmap={"nb": B}):
    v: str = element(ns="nb")


class Order(Model, tag="order", ns="na", nsmap={"na": A}):
    parts: list[Part] = element()
    tags: list[str] = wrapped("tags", element(tag="t", ns="na"), ns="na")
    note: str = element(default="")


class Holder(Model, tag="holder"):
    part: Part
    k: str = element()


class Note(Model, tag="note", ns="nb", nsmap={"nb": B}):
    text: str


class Node(Model, tag="node", ns="na", nsmap={"na": A}):
    name: str = attr()
    children: list[Node] = element(default_factory=list)


class Flag(Model, tag="flag", ns="na", nsmap={"na": A}):
    on: str = attr(default="")
    label: str = element(default="")


ISSUE = Item(name="a", n=1)
SHAPES: list[Model] = [
    ISSUE,
    Doc(title="t", n=2),
    Tagged(label="l", n=3),
    Order(parts=[Part(v="1"), Part(v="2")], tags=["p", "q"], note="n"),
    Holder(part=Part(v="z"), k="k"),
    Note(text="a < b & c"),
    Node(name="r", children=[Node(name="a", children=[Node(name="b")]), Node(name="c")]),
]

_DECLARATIONS = re.compile(r' xmlns(?::[\w.-]+)?="[^"]*"')


def _undeclared(xml: str) -> str:
    return _DECLARATIONS.sub("", xml)


def test_the_issue_shape_shows_writes_and_reads_its_prefixed_element() -> None:
    """The example was ``<item n="int">`` and nothing parsed back, not even the model's own
    XML; the example now is what the class writes, and every form below parses."""
    assert Item.xml_example() == (
        f'<na:item xmlns:na="{A}" n="int">\n  <na:name>str</na:name>\n</na:item>'
    )
    pretty = ISSUE.to_pretty_xml()
    assert pretty == f'<na:item xmlns:na="{A}" n="1">\n  <na:name>a</na:name>\n</na:item>'
    assert rg.Message("assistant", "here " + pretty).try_parse(Item) == ISSUE
    filled = Item.xml_example().replace('n="int"', 'n="1"').replace(">str<", ">a<")
    assert rg.Message("assistant", "here " + filled).try_parse(Item) == ISSUE
    assert Item.xml_start_tag() == f'<na:item xmlns:na="{A}">'
    assert Item.xml_end_tag() == "</na:item>"
    assert class_info(Item).tag == "na:item"


def test_an_unprefixed_element_is_not_the_class_s() -> None:
    """The decision: an element is found by the name the class writes. ``<item>`` is in no
    namespace (another model's, here `PlainItem`), so it is not an `Item`."""
    text = 'here <item n="1"><name>a</name></item>'
    assert rg.Message("assistant", text).try_parse(Item) is None
    with pytest.raises(MissingModelError, match=re.escape(f'<na:item xmlns:na="{A}">')):
        parsing.parse(text, Item)
    assert parsing.parse(text, PlainItem)[0] == PlainItem(name="a", n=1)


@pytest.mark.parametrize("model", SHAPES, ids=lambda m: type(m).__name__)
def test_own_xml_parses_back_and_is_kept_as_written(model: Model) -> None:
    cls = type(model)
    pretty = model.to_pretty_xml()
    message = rg.Message("assistant", f"Answer:\n{pretty}\ndone")
    assert message.parse(cls) == model
    assert message.content == f"Answer:\n{pretty}\ndone"  # normalised: already as written
    compact = model.to_xml().decode()
    assert parsing.parse(f"x {compact} y", cls)[0] == model
    assert parsing.parse(compact, cls)[0].to_pretty_xml() == pretty


@pytest.mark.parametrize("model", SHAPES, ids=lambda m: type(m).__name__)
def test_xml_without_its_declarations_parses_and_is_written_back_declared(model: Model) -> None:
    """Replies copy the prefixes and drop the ``xmlns``: the class's own are supplied."""
    cls = type(model)
    bare = _undeclared(model.to_pretty_xml())
    assert "xmlns" not in bare
    message = rg.Message("assistant", f"so {bare}")
    assert message.parse(cls) == model
    assert message.content == f"so {model.to_pretty_xml()}"
    assert parsing.parse(_undeclared(model.to_xml().decode()), cls)[0] == model


@pytest.mark.parametrize("cls", [type(m) for m in SHAPES], ids=lambda c: c.__name__)
def test_the_example_is_what_the_class_writes_and_parses_back(cls: type[Model]) -> None:
    example = cls.xml_example()
    filled = example.replace('="int"', '="4"')
    model = parsing.parse(f"Reply: {filled}", cls)[0]
    if cls.is_simple():
        assert example == cls.xml_start_tag() + cls.xml_end_tag()
        return
    assert model.to_pretty_xml() == filled  # a model of the placeholders writes the example
    assert parsing.parse(_undeclared(filled), cls)[0] == model


def test_a_default_namespace_is_written_with_elementtree_s_prefix() -> None:
    """ElementTree writes no default namespace: a namespace without a registered prefix gets
    ``ns0``, and the class is searched as ``ns0:doc``. Unprefixed children still read in the
    default namespace (the class's own ``nsmap`` is supplied), an unprefixed root does not."""
    assert Doc.xml_start_tag() == f'<ns0:doc xmlns:ns0="{D}">'
    assert Doc.xml_example() == (
        f'<ns0:doc xmlns:ns0="{D}" n="int">\n  <ns0:title>str</ns0:title>\n</ns0:doc>'
    )
    got = parsing.parse('<ns0:doc n="2"><title>t</title></ns0:doc>', Doc)[0]
    assert got == Doc(title="t", n=2)
    assert parsing.try_parse(f'<doc xmlns="{D}" n="2"><title>t</title></doc>', Doc) is None


def test_namespaced_attributes_take_the_prefix() -> None:
    assert Tagged.xml_example().startswith(f'<na:tagged xmlns:na="{A}" na:n="int">')
    reply = '<na:tagged na:n="5"><na:label>x</na:label></na:tagged>'
    assert parsing.parse(reply, Tagged)[0] == Tagged(label="x", n=5)
    unprefixed = '<na:tagged n="5"><na:label>x</na:label></na:tagged>'
    with pytest.raises(ValidationError) as info:  # its attribute is namespaced too
        parsing.parse(unprefixed, Tagged)
    assert [(e["loc"], e["type"]) for e in info.value.errors()] == [(("n",), "missing")]


def test_a_model_nesting_in_itself_is_read_from_its_outermost_element() -> None:
    tree = SHAPES[-1]
    found = parsing.parse_set("a " + tree.to_pretty_xml(), Node)
    assert [model for model, _ in found] == [tree]


# --- a wrong namespace is not the class's -----------------------------------------------------


def test_another_prefix_for_the_same_namespace_is_not_found() -> None:
    text = f'<nz:item xmlns:nz="{A}" n="1"><nz:name>a</nz:name></nz:item>'
    assert parsing.try_parse(text, Item) is None
    with pytest.raises(MissingModelError):
        parsing.parse(text, Item)


def test_a_declared_namespace_other_than_the_class_s_is_refused() -> None:
    text = '<na:item xmlns:na="urn:elsewhere" n="1"><na:name>a</na:name></na:item>'
    assert rg.Message("assistant", text).try_parse(Item) is None
    with pytest.raises(XmlContentError, match="urn:elsewhere"):
        parsing.parse(text, Item)


def test_children_without_their_prefix_are_missing_fields() -> None:
    with pytest.raises(ValidationError) as info:
        parsing.parse('<na:item n="1"><name>a</name></na:item>', Item)
    assert [(e["loc"], e["type"]) for e in info.value.errors()] == [(("name",), "missing")]


# --- several models, every entry point --------------------------------------------------------


MIXED = (
    "First "
    + PlainItem(name="plain", n=0).to_pretty_xml()
    + " then "
    + _undeclared(Item(name="spaced", n=9).to_pretty_xml())
    + " and "
    + Holder(part=Part(v="p"), k="k").to_pretty_xml()
)


def test_namespaced_and_plain_models_in_one_message() -> None:
    message = rg.Message("assistant", MIXED)
    models = message.parse_many(PlainItem, Item, Holder)
    assert models == [
        PlainItem(name="plain", n=0),
        Item(name="spaced", n=9),
        Holder(part=Part(v="p"), k="k"),
    ]
    assert Item(name="spaced", n=9).to_pretty_xml() in message.content  # declared again
    assert rg.Message("assistant", MIXED).try_parse_many(Item, Part) == [
        Item(name="spaced", n=9),
        Part(v="p"),
    ]
    assert [m for m, _ in parsing.parse_set(MIXED, Item)] == [Item(name="spaced", n=9)]
    assert rg.Message("assistant", MIXED).parse_set(PlainItem) == [PlainItem(name="plain", n=0)]


def test_strip_removes_the_namespaced_part() -> None:
    message = rg.Message("assistant", MIXED)
    message.parse_many(PlainItem, Item)
    removed = message.strip(Item)
    assert [part.model for part in removed] == [Item(name="spaced", n=9)]
    assert "na:item" not in message.content
    assert "<item" in message.content


def test_a_stream_finds_namespaced_models_piece_by_piece() -> None:
    stream = ModelStream(PlainItem, Item, Holder)
    got = [parsed.model for piece in MIXED for parsed in stream.feed(piece)]
    got += [parsed.model for parsed in stream.finish()]
    assert got == rg.Message("assistant", MIXED).parse_many(PlainItem, Item, Holder)


def test_an_echoed_empty_element_is_hollow_despite_its_declaration() -> None:
    """A namespace declaration is no attribute value: the echo does not fill the element."""
    text = f'Use <na:flag xmlns:na="{A}"/> like <na:flag xmlns:na="{A}" on="yes"/>'
    assert parsing.parse(text, Flag)[0] == Flag(on="yes")
    stream = ModelStream(Flag)
    assert [p.model for p in (*stream.feed(text), *stream.finish())] == [Flag(on="yes")]


async def test_until_parsed_as_takes_a_reply_without_declarations() -> None:
    reply = "Sure: " + _undeclared(ISSUE.to_pretty_xml())
    chat = await FixedGenerator(text=reply).chat("q").until_parsed_as(Item).run()
    assert chat.last.parse(Item) == ISSUE
    assert chat.last.content == "Sure: " + ISSUE.to_pretty_xml()


# --- adversarial input ------------------------------------------------------------------------


def test_an_unbound_prefix_is_a_clear_error() -> None:
    text = '<na:item n="1"><zz:name>a</zz:name></na:item>'
    assert parsing.try_parse(text, Item) is None
    with pytest.raises(XmlContentError, match="unbound prefix"):
        parsing.parse(text, Item)


def test_many_declarations_are_read_in_one_pass() -> None:
    many = " ".join(f'xmlns:p{i}="urn:rigging-test-ns:{i}"' for i in range(20_000))
    text = f'<na:item {many} n="1"><na:name>a</na:name></na:item>'
    assert parsing.parse(text, Item)[0] == ISSUE
    clashing = " ".join(f'xmlns:na="urn:rigging-test-ns:{i}"' for i in range(20_000))
    assert parsing.try_parse(f'<na:item {clashing} n="1"></na:item>', Item) is None


def test_entity_declarations_stay_refused() -> None:
    text = '<na:item n="1"><!DOCTYPE x [<!ENTITY e "boom">]><na:name>&e;</na:name></na:item>'
    with pytest.raises(XmlContentError, match="declaration"):
        parsing.parse(text, Item)


# --- ElementTree's prefixes are global --------------------------------------------------------


def test_a_prefix_registered_again_for_another_namespace_is_followed() -> None:
    """pydantic-xml registers each class's prefixes with ElementTree; a later class taking
    the prefix for another URI makes the earlier class write ``ns0``. Its search name and
    example follow, so its XML still parses back."""

    class First(Model, tag="first", ns="nq", nsmap={"nq": "urn:rigging-test-ns:q1"}):
        v: str = element()

    model = First(v="1")
    assert parsing.parse(model.to_pretty_xml(), First)[0] == model
    assert First.xml_start_tag().startswith("<nq:first ")

    class Second(Model, tag="second", ns="nq", nsmap={"nq": "urn:rigging-test-ns:q2"}):
        v: str = element()

    assert model.to_pretty_xml().startswith("<ns0:first ")
    assert First.xml_example().startswith("<ns0:first ")
    assert parsing.parse(model.to_pretty_xml(), First)[0] == model
    assert parsing.parse(Second(v="2").to_pretty_xml(), Second)[0] == Second(v="2")


def test_plain_classes_carry_no_namespace_facts() -> None:
    assert class_info(PlainItem).namespaces is None
    assert PlainItem.xml_start_tag() == "<item>"
    assert PlainItem.xml_example() == '<item n="int">\n  <name>str</name>\n</item>'


# --- round trips over values ------------------------------------------------------------------

_TEXT = st.text(
    st.characters(blacklist_categories=("Cs", "Cc", "Cn"), blacklist_characters="\ufeff")
    | st.sampled_from("\n\t<>&\"'"),
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() == s)


def _models() -> st.SearchStrategy[Model]:
    parts = st.builds(Part, v=_TEXT)
    ints = st.integers(-(10**6), 10**6)
    return st.one_of(
        st.builds(Item, name=_TEXT, n=ints),
        st.builds(Doc, title=_TEXT, n=ints),
        st.builds(Tagged, label=_TEXT, n=ints),
        st.builds(
            Order,
            parts=st.lists(parts, min_size=1, max_size=3),
            tags=st.lists(_TEXT, min_size=1, max_size=3),
            note=_TEXT,
        ),
        st.builds(Holder, part=parts, k=_TEXT),
        st.builds(Note, text=_TEXT),
    )


@SETTINGS
@given(model=_models(), declared=st.booleans())
def test_values_round_trip_through_every_namespaced_shape(model: Model, declared: bool) -> None:
    cls = type(model)
    written = [model.to_pretty_xml()]
    if not cls.is_simple():  # a simple model's text decodes no `&#161;` (namespaced or not)
        written.append(model.to_xml().decode())
    for xml in written:
        text = xml if declared else _undeclared(xml)
        got = parsing.parse(f"reply: {text} end", cls)[0]
        assert got == model, text
