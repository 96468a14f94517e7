# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""Where prompt inputs turn names into tags: dict keys, dataclass fields, parameters.

Data never becomes markup, two names never share an element silently, and a name that gives
no tag, or a model class the codec refuses, is refused when the prompt is decorated.
"""

from __future__ import annotations

import typing as t
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Annotated

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rigging as rg
from rigging.model import Model


@rg.prompt
def _scores(scores: dict[str, int]) -> rg.Chat:
    """Score."""


def _element(scores: dict[str, int]) -> str:
    text = _scores.render(scores)
    assert text.startswith("Score.\n\n")
    return text[len("Score.\n\n") :].rstrip("\n")


# --- dict keys -------------------------------------------------------------------------------


def test_a_key_that_is_a_tag_name_is_written_as_it_is() -> None:
    # 2.3 wrote keys as written; keys were kebab-cased since, so `a_b` and `a-b` (and
    # `Item1`/`item-1`) gave one tag and the model could not tell the entries apart
    keys = ["x", "FooBar", "item1", "a_b", "a-b", "_lead", "tail-", "a.b", "café", "entry"]
    assert _element({k: n for n, k in enumerate(keys)}) == (
        "<scores>\n<x>0</x>\n<FooBar>1</FooBar>\n<item1>2</item1>\n<a_b>3</a_b>\n"
        "<a-b>4</a-b>\n<_lead>5</_lead>\n<tail->6</tail->\n<a.b>7</a.b>\n<café>8</café>\n"
        "<entry>9</entry>\n</scores>"
    )


def test_one_plain_key_keeps_the_2_3_layout() -> None:
    assert _element({"x": 1}) == "<scores><x>1</x></scores>"


@pytest.mark.parametrize(
    ("key", "written"),
    [
        ("a></d><x", '<entry key="a&gt;&lt;/d&gt;&lt;x">1</entry>'),  # no injected elements
        ('a" b="c', '<entry key="a&quot; b=&quot;c">1</entry>'),  # no injected attribute
        ("", '<entry key="">1</entry>'),  # was <>1</>
        ("_", "<_>1</_>"),  # a name, as written (was <>1</>)
        ("1a", '<entry key="1a">1</entry>'),
        ("New York", '<entry key="New York">1</entry>'),
        ("a:b", '<entry key="a:b">1</entry>'),  # a prefix would be an undeclared namespace
        ("-a", '<entry key="-a">1</entry>'),
        ("&amp;", '<entry key="&amp;amp;">1</entry>'),  # every & escaped: reads back as is
        ("two\nlines\t", '<entry key="two&#10;lines&#9;">1</entry>'),
        ("\u02c2", '<entry key="\u02c2">1</entry>'),  # an XML 1.0 5th-edition name expat refuses
    ],
)
def test_a_key_that_is_not_a_tag_name_is_an_escaped_attribute(key: str, written: str) -> None:
    assert _element({key: 1}) == f"<scores>{written}</scores>"


def _read_back(element: str) -> dict[str, int]:
    root = ET.fromstring(element)  # well-formed: raises otherwise
    assert root.tag == "scores"
    found: dict[str, int] = {}
    for child in root:
        assert len(child) == 0  # nothing nested: no key opened an element
        key = child.attrib["key"] if child.attrib else child.tag
        assert child.tag == "entry" or not child.attrib
        assert key not in found  # no entry shadows another
        found[key] = int(child.text or "")
    return found


# Characters XML can hold: no lone surrogates, no C0 controls but tab and line breaks, and
# not U+FFFE/U+FFFF (a key holding those cannot be written in any XML)
_XML_CHAR = st.characters(
    exclude_categories=["Cs"],
    exclude_characters="".join(chr(c) for c in range(32) if chr(c) not in "\t\n\r")
    + "\ufffe\uffff",
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(_XML_CHAR, max_size=8), st.integers(0, 99), max_size=6))
def test_every_dict_reads_back_exactly_from_the_prompt(scores: dict[str, int]) -> None:
    assert _read_back(_element(scores)) == scores


@dataclass
class _Survey:
    answers: dict[str, str]


def test_keys_inside_a_dataclass_field_follow_the_same_rule() -> None:
    @rg.prompt
    def survey(s: _Survey) -> rg.Chat:
        """Survey."""

    text = survey.render(_Survey({"a_b": "1", "a-b": "2", "</answers>": "3"}))
    assert (
        "<answers>\n<a_b>1</a_b>\n<a-b>2</a-b>\n"
        '<entry key="&lt;/answers&gt;">3</entry>\n</answers>' in text
    )


# --- names of parameters and dataclass fields --------------------------------------------------


@dataclass
class _Blank:
    _: str
    a: str


@dataclass
class _Twins:
    _a: str
    a: str


@dataclass
class _CamelTwins:
    fooBar: str  # noqa: N815
    foo_bar: str


@dataclass
class _SameCtx:
    a: Annotated[str, rg.Ctx("same")]
    b: Annotated[str, rg.Ctx("same")]


@dataclass
class _Outer:
    inner: _Blank


@dataclass
class _Digit:
    _1: str


def _taking(hint: object) -> t.Callable[..., t.Any]:
    def f(x: str) -> str:
        """Take it."""
        return ""

    f.__annotations__ = {"x": hint, "return": str}
    return f


@pytest.mark.parametrize(
    ("hint", "message"),
    [
        (_Blank, r"prompt f\(\), parameter 'x'\._: its name gives no XML tag"),
        (list[_Blank], r"prompt f\(\), parameter 'x'\._: its name gives no XML tag"),
        (_Outer, r"prompt f\(\), parameter 'x'\.inner\._: its name gives no XML tag"),
        (_Digit, r"parameter 'x'\._1: its name gives the tag '1', which is not an XML name"),
        (_Twins, r"the fields '_a' and 'a' of dataclass _Twins both give the tag 'a'"),
        (_CamelTwins, r"fields 'fooBar' and 'foo_bar' of dataclass _CamelTwins both give the "),
        (_SameCtx, r"fields 'a' and 'b' of dataclass _SameCtx both give the tag 'same'"),
    ],
)
def test_dataclass_fields_without_a_tag_of_their_own_are_refused(
    hint: object, message: str
) -> None:
    with pytest.raises(TypeError, match=message):
        rg.prompt(_taking(hint))


def test_a_parameter_whose_tag_is_not_a_name_is_refused() -> None:
    def f(_1: str) -> str:
        """Take it."""
        return ""

    with pytest.raises(
        TypeError, match=r"prompt f\(\), parameter '_1': its name gives the tag '1', which is not"
    ):
        rg.prompt(f)


def test_an_output_dataclass_field_without_a_tag_is_refused_by_name() -> None:
    def f(x: str) -> _Blank:
        """Take it."""
        raise NotImplementedError

    with pytest.raises(
        TypeError, match=r"prompt f\(\), return type: the field '_' gives no XML tag"
    ):
        rg.prompt(f)


# --- model classes the codec refuses -------------------------------------------------------------


class _Declaring(Model):
    d: str = rg.attr(name="xmlns:d")
    e: str = rg.element()


_REFUSED = r"model _Declaring: field 'd' \(an attribute\) is named 'xmlns:d', which cannot be read"


@pytest.mark.parametrize(
    ("param", "returns", "where"),
    [
        (str, _Declaring, r"prompt f\(\), return type: "),
        (str, list[_Declaring], r"prompt f\(\), return type: "),
        (str, tuple[_Declaring, str], r"prompt f\(\), return type: "),
        (_Declaring, str, r"prompt f\(\), parameter 'x': "),
        (list[_Declaring], str, r"prompt f\(\), parameter 'x': "),
    ],
)
def test_a_model_the_codec_refuses_is_refused_when_decorating(
    param: object, returns: object, where: str
) -> None:
    def f(x: str) -> str:
        """Take it."""
        return ""

    f.__annotations__ = {"x": param, "return": returns}
    with pytest.raises(TypeError, match=where + _REFUSED):
        rg.prompt(f)


def test_an_example_of_such_a_model_is_refused_when_decorating() -> None:
    example = _Declaring.model_construct(d="1", e="2")

    def f(x: str) -> str:
        """Take it."""
        return ""

    f.__annotations__ = {"x": str, "return": Annotated[str, rg.Ctx(example=example)]}
    with pytest.raises(TypeError, match=r"prompt f\(\), return type: " + _REFUSED):
        rg.prompt(f)


def test_make_prompt_refuses_such_a_model_when_made() -> None:
    with pytest.raises(TypeError, match=r"return type: " + _REFUSED):
        rg.make_prompt("Answer.", _Declaring)


def test_a_model_defined_later_is_left_to_its_first_use() -> None:
    class Early(Model):
        later: Later  # defined below, after the prompt

    def f(x: str) -> str:
        """Take it."""
        return ""

    f.__annotations__ = {"x": str, "return": Early}
    early = rg.prompt(f)  # no refusal: the class is not complete yet

    class Later(Model):
        v: str = rg.element()

    Early.model_rebuild(_types_namespace={"Later": Later})
    assert "<early>" in early.render("x")
