from collections.abc import Sequence

import pytest
from pydantic import ValidationError

from rigging import parsing
from rigging._model.plan import use_pydantic_xml
from rigging.error import MissingModelError, XmlContentError
from rigging.model import Answer, Model, QuestionAnswer, attr, element, wrapped
from rigging.stream import ModelStream


class FunFact(Model):
    fact: str


class Item(Model):
    name: str = attr()
    value: str = element()


class Tagged(Model):
    tags: list[str] = wrapped("tags", element(tag="tag", default_factory=list))


class Wrapper(Model):
    items: list[Item] = element(default_factory=list)


def slices(text: str, found: Sequence[tuple[Model, slice]]) -> list[str]:
    return [text[s] for _, s in found]


def test_parse_and_try_parse() -> None:
    text = "Sure! <answer>42</answer>"
    model, sl = parsing.parse(text, Answer)
    assert model == Answer(content="42")
    assert text[sl] == "<answer>42</answer>"
    assert parsing.try_parse(text, FunFact) is None
    assert parsing.try_parse(text, Answer) == (model, sl)
    with pytest.raises(MissingModelError, match="Failed to find '<fun-fact></fun-fact>'"):
        parsing.parse(text, FunFact)


def test_stray_start_tag_does_not_swallow_text() -> None:
    text = "Use <answer> tags: <answer>hi</answer>"
    model, sl = parsing.parse(text, Answer)
    assert model.content == "hi"
    assert text[sl] == "<answer>hi</answer>"


def test_hollow_example_echo_is_skipped() -> None:
    text = "Put it in <answer></answer> tags.\n<answer>Paris</answer>"
    assert parsing.parse(text, Answer)[0].content == "Paris"
    assert [m.content for m, _ in parsing.parse_set(text, Answer)] == ["Paris"]
    assert parsing.parse("<answer> </answer>", Answer)[0].content == " "
    assert parsing.parse("only <answer/> here", Answer)[0].content == ""


class _Call(Model, tag="call"):
    tool: str = attr()
    arg: int = attr(default=0)


class _CallByPydanticXml(Model, tag="call"):
    tool: str = attr()
    arg: int = attr(default=0)


use_pydantic_xml(_CallByPydanticXml, "test: the pydantic-xml path")


@pytest.mark.parametrize("cls", [_Call, _CallByPydanticXml])
def test_an_element_with_attribute_values_only_is_filled(cls: type[_Call]) -> None:
    """Nothing inside, but a visible attribute value: filled, so it wins over an echo."""
    echo = 'Example: <call tool=""/>. '
    for mine in ('<call tool="search" arg="3"/>', '<call tool="search" arg="3"></call>'):
        text = echo + "Mine: " + mine
        model, where = parsing.parse(text, cls)
        assert (model.tool, model.arg, text[where]) == ("search", 3, mine)
        assert [m.tool for m, _ in parsing.parse_set(text, cls)] == ["search"]
        stream = ModelStream(cls)
        fed = stream.feed(text)
        assert [(m.model.tool, m.hollow) for m in fed] == [("search", False)]
        assert [m.model.tool for m in (*fed, *stream.finish())] == ["search"]
    # Blank attribute values only: still the echo, used when nothing else is there.
    model, _ = parsing.parse('<call tool=" "/>', cls)
    assert model.tool == " "
    assert [m.tool for m, _ in parsing.parse_set(echo + '<call tool=" "/>', cls)] == ["", " "]


def test_a_simple_model_with_attributes_but_no_text_stays_hollow() -> None:
    text = '<answer id="1"></answer> then <answer>Paris</answer>'
    assert parsing.parse(text, Answer)[0].content == "Paris"
    stream = ModelStream(Answer)
    assert [m.model.content for m in stream.feed(text)] == ["Paris"]


def test_multiple_instances_in_order() -> None:
    text = "<fun-fact>a</fun-fact> mid <fun-fact>b</fun-fact> <fun-fact>c</fun-fact>"
    found = parsing.parse_set(text, FunFact)
    assert [m.fact for m, _ in found] == ["a", "b", "c"]
    assert slices(text, found) == [f"<fun-fact>{x}</fun-fact>" for x in "abc"]


def test_parse_set_minimum() -> None:
    text = "<fun-fact>a</fun-fact>"
    assert len(parsing.parse_set(text, FunFact, minimum=1)) == 1
    with pytest.raises(MissingModelError, match="Expected at least 2 FunFact in message, found 1"):
        parsing.parse_set(text, FunFact, minimum=2)
    with pytest.raises(MissingModelError, match="Expected at least 1 FunFact"):
        parsing.try_parse_set("nothing", FunFact, minimum=1)
    assert parsing.try_parse_set("nothing", FunFact) == []
    with pytest.raises(MissingModelError):
        parsing.try_parse_set("nothing", FunFact, fail_on_missing=True)


def test_parse_many_and_try_parse_many() -> None:
    text = "<answer>1</answer> <fun-fact>f</fun-fact> <answer>2</answer>"
    found = parsing.parse_many(text, Answer, FunFact)
    assert [type(m).__name__ for m, _ in found] == ["Answer", "FunFact", "Answer"]
    with pytest.raises(MissingModelError):
        parsing.parse_many(text, Answer, QuestionAnswer)
    assert len(parsing.try_parse_many(text, Answer, QuestionAnswer)) == 2
    with pytest.raises(MissingModelError):
        parsing.try_parse_many(text, QuestionAnswer, fail_on_missing=True)


def test_nested_models() -> None:
    text = "x <question-answer><question>q</question><answer>a</answer></question-answer> y"
    [(qa, sl)] = parsing.parse_set(text, QuestionAnswer)
    assert qa.answer.content == "a"
    found = parsing.parse_many(text, QuestionAnswer, Answer)
    assert slices(text, found) == [text[sl], "<answer>a</answer>"]


def test_nested_same_tag_takes_innermost() -> None:
    text = "<answer>x <b>y <answer>z</answer></b></answer>"
    assert parsing.parse(text, Answer)[0].content == "z"
    text = "<answer>see <answer/> here</answer>"
    assert parsing.parse(text, Answer)[0].content == "see <answer/> here"


def test_exact_tag_names_only() -> None:
    text = "<answers>no</answers> <answer-key>no</answer-key> <answer>yes</answer>"
    assert [m.content for m, _ in parsing.parse_set(text, Answer)] == ["yes"]


def test_attributes_with_quoted_gt() -> None:
    text = '<item name="a > b"><value>1</value></item>'
    [(item, sl)] = parsing.parse_set(text, Item)
    assert item == Item(name="a > b", value="1")
    assert text[sl] == text


def test_lists_of_elements() -> None:
    text = (
        '<wrapper><item name="a"><value>1</value></item>'
        '<item name="b"><value>2</value></item></wrapper>'
    )
    [(wrapper, _)] = parsing.parse_set(text, Wrapper)
    assert [i.name for i in wrapper.items] == ["a", "b"]


def test_wrapped_lists() -> None:
    text = "Tags: <tagged><tags><tag>x</tag><tag>y &amp; z</tag></tags></tagged>"
    [(tagged, sl)] = parsing.parse_set(text, Tagged)
    assert tagged.tags == ["x", "y & z"]
    assert text[sl].startswith("<tagged>")
    assert tagged.to_pretty_xml() == (
        "<tagged>\n  <tags>\n    <tag>x</tag>\n    <tag>y &amp; z</tag>\n  </tags>\n</tagged>"
    )


def test_unicode_and_emoji_before_tag_slice_code_points() -> None:
    text = "東京 🙂🚀 naïve → <answer>ok 🙂</answer> ∑"
    model, sl = parsing.parse(text, Answer)
    assert model.content == "ok 🙂"
    assert text[sl] == "<answer>ok 🙂</answer>"
    assert sl.start == text.index("<answer>")


def test_cdata() -> None:
    text = "<answer><![CDATA[a < b && </answer> c]]></answer>"
    assert parsing.parse(text, Answer)[0].content == "a < b && </answer> c"
    text = '<item name="x"><value><![CDATA[1 < 2 & 3]]></value></item>'
    assert parsing.parse(text, Item)[0].value == "1 < 2 & 3"


def test_escaped_and_unescaped_ampersands() -> None:
    assert parsing.parse("<answer>a &amp; b & c &lt;</answer>", Answer)[0].content == "a & b & c <"
    text = '<item name="R&amp;D & co"><value>x & y &amp; z</value></item>'
    item = parsing.parse(text, Item)[0]
    assert item.name == "R&D & co"
    assert item.value == "x & y & z"


def test_lt_in_text() -> None:
    assert parsing.parse("<answer>3 < 4 and 5 > 2</answer>", Answer)[0].content == "3 < 4 and 5 > 2"
    # The native codec is as lenient as the scanner: a `<` that starts no tag is text.
    assert parsing.parse('<item name="x"><value>3 < 4</value></item>', Item)[0].value == "3 < 4"


def test_unclosed_tags() -> None:
    with pytest.raises(MissingModelError):
        parsing.parse("<answer>never closed", Answer)
    text = "<answer>first <answer>second</answer> <answer>dangling"
    assert parsing.parse(text, Answer)[0].content == "second"


def test_invalid_content_error_names_tag_and_snippet() -> None:
    with pytest.raises(ValidationError) as info:
        parsing.parse("blah <item name='x'></item>", Item)
    message = str(info.value)
    assert "Item in <item> at 5" in message
    assert "<item name='x'></item>" in message
    assert "value" in message


def test_longest_failure_is_reported() -> None:
    text = "<item name='a'></item> <item name='b'><wrong>1</wrong></item>"
    with pytest.raises(ValidationError, match="Item in <item> at 23"):
        parsing.parse(text, Item)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def test_billion_laughs_never_expanded() -> None:
    text = f'<item name="x">{BILLION_LAUGHS}<value>&lol3;</value></item>'
    with pytest.raises(XmlContentError, match="declaration, which is never expanded") as info:
        parsing.parse(text, Item)
    assert info.value.tag == "item"
    assert info.value.position == 0
    simple = f"<answer>{BILLION_LAUGHS}&lol3;</answer>"
    assert "&lol3;" in parsing.parse(simple, Answer)[0].content


def test_external_entity_never_resolved() -> None:
    text = '<item name="x"><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><value>&e;</value></item>'
    with pytest.raises(XmlContentError, match="never expanded"):
        parsing.parse(text, Item)
    text = '<item name="x"><value>&e;</value></item>'
    assert parsing.parse(text, Item)[0].value == "&e;"


@pytest.mark.parametrize(
    ("text", "answers"),
    [
        ("<answer> x > y " * 20_000, []),
        ("<" * 300_000, []),
        ("<answer>" * 50_000 + "core" + "</answer>" * 50_000, ["core"]),
        ("</answer>" * 50_000, []),
        ("<answer> x > y " * 20_000 + "<answer>end</answer>", ["end"]),
    ],
)
def test_adversarial_inputs(text: str, answers: list[str]) -> None:
    # The 2.3 regex needs hours on the first input; the per-test timeout guards against hangs.
    assert [m.content for m, _ in parsing.try_parse_set(text, Answer)] == answers
    assert parsing.try_parse_set(text, Item) == []


def test_cdata_sections_split_as_the_regex_split_them_in_one_pass() -> None:
    """`split_cdata` gives what the lazy regex gave (it took quadratic time on many
    unterminated starts), on every arrangement of starts, ends and text."""
    import itertools
    import re

    from rigging._model.extract import split_cdata

    regex = re.compile(r"(<!\[CDATA\[.*?\]\]>)", re.DOTALL)
    atoms = ["<![CDATA[", "]]>", "x", "]]", "<![CDATA", "\n"]
    for size in range(6):
        for parts in itertools.product(atoms, repeat=size):
            text = "".join(parts)
            assert split_cdata(text) == regex.split(text), text
    flood = "<![CDATA[a" * 20_000  # no section ends: all text, found in one pass
    assert split_cdata(flood) == [flood]
