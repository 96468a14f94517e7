"""The parse fast paths give exactly what the general paths give.

- `Model.to_pretty_xml` renders simple models as ``<tag>text</tag>`` without pydantic-xml:
  equal to the pydantic-xml rendering (indented, explicit end tag, entities decoded) for
  many values, and switched off for models whose rendering it cannot know.
- Parsed parts, simple parsed models and run results share one read-only fields set per
  class (`rigging._model.fast.SharedFieldsSet`): pydantic's own updates still work, copies
  get a plain set, in-place changes are refused with a clear error.
"""

from __future__ import annotations

import copy
import pickle
import re
import sys
import textwrap
import typing as t
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ConfigDict, PlainSerializer, field_serializer, model_validator

from rigging import _native
from rigging._message.content import ParsedMessagePart
from rigging._message.parts import make_part
from rigging._model.base import class_info
from rigging._model.fast import SharedFieldsSet, construct
from rigging.chat import Chat
from rigging.error import ValidatorRaisedError
from rigging.generator import GeneratedMessage, GenerateParams, Generator
from rigging.message import Message
from rigging.model import Answer, Model, attr, element, make_primitive
from rigging.util import unescape_xml


class Text(Model):
    content: str


class Count(Model):
    count: int


class Ratio(Model):
    value: float


class Flag(Model):
    on: bool


class Upper(Model):
    content: t.Annotated[str, PlainSerializer(lambda v: v.upper())]


class Decorated(Model):
    content: str

    @field_serializer("content")
    def _dump(self, value: str) -> str:
        return f"[{value}]"


class Spaced(Model, tag="spaced", ns="x", nsmap={"x": "urn:x"}):
    content: str


class Excluded(Model):
    content: str = "hidden"


class Loose(Model):
    model_config = ConfigDict(extra="allow")
    content: str


class Picky(Model):
    content: str
    calls: t.ClassVar[int] = 0

    @classmethod
    def ensure_valid(cls) -> None:
        cls.calls += 1


def _slow_pretty(model: Model) -> str:
    """The pydantic-xml rendering `to_pretty_xml` must equal."""
    tree = model.to_xml_tree()
    ET.indent(tree, "  ")
    return unescape_xml(ET.tostring(tree, encoding="unicode", short_empty_elements=False))


TEXT = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00\r"),
    max_size=40,
) | st.sampled_from(
    ["", " ", "a &amp; b", "&amp;lt;", "<b>x</b>", "]]>", "<![CDATA[x]]>", "</text>", "<text a"]
)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_str_shortcut_equals_pydantic_xml(value: str) -> None:
    model = Text(content=value)
    assert class_info(Text).shortcut is str
    [(again, _)] = Text.from_text(model.to_pretty_xml())
    assert again.content == value  # the text always reads back
    if unescape_xml(value) != value or re.search(r"<(?:!|/?text(?=[\s/>]|$))", value):
        # 2.3 wrote it raw, and a second parse read other text: it stays escaped
        escaped = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        assert model.to_pretty_xml() == f"<text>{escaped}</text>"
    else:
        assert model.to_pretty_xml() == _slow_pretty(model) == f"<text>{value}</text>"


@settings(max_examples=200, deadline=None)
@given(st.integers() | st.sampled_from([0, -1, 10**30, -(10**30)]))
def test_int_shortcut_equals_pydantic_xml(value: int) -> None:
    model = Count(count=value)
    assert class_info(Count).shortcut is int
    assert model.to_pretty_xml() == _slow_pretty(model)


@settings(max_examples=300, deadline=None)
@given(st.floats() | st.sampled_from([0.0, -0.0, 1e16, 1e-7, 0.1 + 0.2, float("inf")]))
def test_float_shortcut_equals_pydantic_xml(value: float) -> None:
    model = Ratio(value=value)
    assert class_info(Ratio).shortcut is float
    assert model.to_pretty_xml() == _slow_pretty(model)


@pytest.mark.parametrize("value", [True, False])
def test_bool_shortcut_equals_pydantic_xml(value: bool) -> None:
    model = Flag(on=value)
    assert class_info(Flag).shortcut is bool
    assert model.to_pretty_xml() == _slow_pretty(model) == f"<flag>{str(value).lower()}</flag>"


def test_primitive_classes_take_the_shortcut() -> None:
    number = make_primitive("Number", int)
    parsed = Message("assistant", "<number> 7 </number>").parse(number)
    assert class_info(number).shortcut is int
    assert parsed.to_pretty_xml() == _slow_pretty(parsed) == "<number>7</number>"


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (Upper(content="hi"), "<upper>HI</upper>"),
        (Decorated(content="hi"), "<decorated>[hi]</decorated>"),
        (Spaced(content="hi"), '<x:spaced xmlns:x="urn:x">hi</x:spaced>'),
    ],
)
def test_no_shortcut_when_rendering_is_customised(model: Model, expected: str) -> None:
    assert class_info(type(model)).shortcut is None
    assert model.to_pretty_xml() == _slow_pretty(model) == expected


def test_no_shortcut_for_unexpected_value_types() -> None:
    model = Count.model_construct(count="7")  # type: ignore[arg-type]  # not validated: the slow path renders it
    assert model.to_pretty_xml() == _slow_pretty(model)


def test_overridden_ensure_valid_is_called_on_every_parse() -> None:
    before = Picky.calls
    Message("assistant", "<picky>a</picky>").parse(Picky)
    Message("assistant", "<picky>b</picky>").parse(Picky)
    assert Picky.calls == before + 2
    assert not class_info(Picky).ready
    assert class_info(Answer).ready


def test_normalised_content_is_not_rewritten() -> None:
    message = Message("assistant", "ok <answer>42</answer> done")
    content = message.all_content
    message.parse(Answer)
    assert message.all_content is content
    assert message.parts[0].slice_ == slice(3, 22)


def test_content_is_rewritten_to_pretty_xml() -> None:
    message = Message("assistant", "ok <answer >a &amp; <![CDATA[x]]></answer> done")
    assert message.parse(Answer).content == "a & x"
    assert message.content == "ok <answer>a & x</answer> done"
    assert message.content[message.parts[0].slice_] == "<answer>a & x</answer>"
    assert message.model_fields_set >= {"all_content", "parts"}
    # A `<b>` the element held in CDATA is not added to the message as a tag: escaped.
    message = Message("assistant", "ok <answer >a &amp; <![CDATA[<b>]]></answer> done")
    assert message.parse(Answer).content == "a & <b>"
    assert message.content == "ok <answer>a &amp; &lt;b&gt;</answer> done"
    assert Message("assistant", message.content).parse(Answer).content == "a & <b>"


def test_element_already_pretty_after_wide_characters_is_not_rewritten() -> None:
    pretty = _Issue(id="1", title="t 🚀", where=_Where(file="a", line=2)).to_pretty_xml()
    message = Message("assistant", f"🚀 é {pretty} ∑")
    content = message.all_content
    assert message.parse(_Issue).title == "t 🚀"
    assert message.all_content is content
    assert message.parts[0].slice_ == slice(4, 4 + len(pretty))


class _Custom(Model, tag="custom"):
    value: str = attr()
    other: int = attr()


def test_a_to_pretty_xml_set_after_parsing_is_used(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Message("assistant", '<custom value="a" other="1"/>').parse(_Custom).other == 1
    monkeypatch.setattr(_Custom, "to_pretty_xml", lambda self: "<custom custom='yes'/>")
    message = Message("assistant", 'x <custom value="b" other="2"/> y')
    assert message.parse(_Custom).value == "b"
    assert message.all_content == "x <custom custom='yes'/> y"
    assert message.parts[0].slice_ == slice(2, 2 + len("<custom custom='yes'/>"))


class _Broken(Model, tag="broken"):
    value: str = attr()
    size: int = attr()

    @model_validator(mode="after")
    def _fail(self) -> _Broken:
        raise RuntimeError("validator bug")


def test_an_error_of_the_validator_that_is_no_value_error_fails_the_element() -> None:
    message = Message("assistant", '<broken value="a" size="1"/>')
    with pytest.raises(ValidatorRaisedError, match="raised RuntimeError: validator bug") as info:
        message.parse(_Broken)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert not message.parts
    assert message.try_parse(_Broken) is None
    assert not message.parts


def test_parse_alone_answers_the_general_path_when_not_one_valid_element() -> None:
    from rigging._message.parts import part_maker
    from rigging._model.entries import alone_entry

    info = class_info(_Issue)
    entry = alone_entry(_Issue, info)
    assert entry is not None
    tags = info.tags
    assert tags is not None
    plan, renders = entry
    validate = _Issue.__pydantic_validator__.validate_python

    def alone(text: str) -> t.Any:
        return _native.parse_alone(text, tags, plan, validate, renders, part_maker())

    one = '<issue id="1"><title>t</title><where file="a" line="2"/></issue>'
    part, new_text = alone(one)
    assert part.model.id == "1"
    assert new_text == part.model.to_pretty_xml()
    assert part.slice_ == slice(0, len(new_text))
    found, failed, count = alone(one + one)
    assert (len(found), failed, count) == (2, [], 2)
    found, failed, count = alone('<issue id="1"><title>t</title></issue>')
    assert (found, count) == ([], 1)
    assert isinstance(failed[0][1], ValueError)
    assert alone("nothing") == ([], [], 0)
    assert alone("\ud800 " + one) is None  # lone surrogates: the general path reads them
    with pytest.raises(ValueError, match="one class"):
        _native.parse_alone(
            one, _native.Tags(["issue", "where"]), plan, validate, renders, part_maker()
        )


def test_hollow_and_filled_single_element() -> None:
    assert Message("assistant", "<answer> \n</answer>").try_parse(Answer) == Answer(content=" \n")
    assert Message("assistant", "<answer/>").parse_set(Answer) == [Answer(content="")]


def test_made_part_equals_validated_part() -> None:
    model = Answer(content="x")
    made = make_part(model, slice(1, 18))
    validated = ParsedMessagePart(model=model, slice_=slice(1, 18))
    assert made == validated
    assert made.model_dump() == validated.model_dump()
    assert made.model_dump_json() == validated.model_dump_json()
    assert made.model_fields_set == validated.model_fields_set


def test_parsed_models_share_a_read_only_fields_set() -> None:
    first = Message("assistant", "<answer>1</answer>")
    second = Message("assistant", "<answer>2</answer>")
    a, b = first.parse(Answer), second.parse(Answer)
    assert a.model_fields_set is b.model_fields_set
    assert isinstance(a.model_fields_set, SharedFieldsSet)
    assert first.parts[0].model_fields_set is second.parts[0].model_fields_set
    a.content = "changed"  # pydantic adds the (present) field name: allowed, nothing changes
    assert a.content == "changed"
    assert b.model_fields_set == {"content"}
    assert a.model_dump(exclude_unset=True) == {"content": "changed"}
    with pytest.raises(TypeError, match="shared by every instance of the class"):
        a.model_fields_set.discard("content")
    with pytest.raises(TypeError, match="copy it first"):
        a.model_fields_set.add("other")
    with pytest.raises(TypeError, match="cannot be changed in place"):
        a.model_fields_set |= {"other"}  # type: ignore[misc]


def test_copies_of_shared_fields_sets_are_plain_sets() -> None:
    model = Message("assistant", "<answer>1</answer>").parse(Answer)
    for copied in (
        model.model_copy(),
        model.model_copy(deep=True),
        copy.copy(model),
        pickle.loads(pickle.dumps(model)),
    ):
        assert copied == model
        assert type(copied.model_fields_set) is set
        copied.model_fields_set.add("extra")  # a private plain set: allowed
        assert model.model_fields_set == {"content"}
    updated = model.model_copy(update={"content": "2"})
    assert (updated.content, type(updated.model_fields_set)) == ("2", set)


def test_models_allowing_extra_fields_keep_their_own_set() -> None:
    first = Message("assistant", "<loose>1</loose>").parse(Loose)
    second = Message("assistant", "<loose>2</loose>").parse(Loose)
    assert first.model_fields_set is not second.model_fields_set
    first.note = "x"  # type: ignore[attr-defined]  # an extra field
    assert first.model_fields_set == {"content", "note"}
    assert second.model_fields_set == {"content"}


def test_construct_equals_model_construct() -> None:
    values: dict[str, t.Any] = {"model": Answer(content="x"), "slice_": slice(0, 17)}
    built = construct(ParsedMessagePart, dict(values))
    assert built == ParsedMessagePart.model_construct(**values)
    assert built.model_fields_set == {"model", "slice_"}


class _Fixed(Generator):
    async def generate_messages(
        self, messages: t.Sequence[t.Sequence[Message]], params: t.Sequence[GenerateParams]
    ) -> t.Sequence[GeneratedMessage]:
        reply = "<answer>42</answer>"
        return [
            GeneratedMessage(message=Message("assistant", reply), stop_reason="stop")
            for _ in messages
        ]


async def test_run_results_share_a_fields_set_and_stay_assignable() -> None:
    chats = await _Fixed(model="fixed").chat("q").until_parsed_as(Answer).run_many(3)
    assert len({id(chat.model_fields_set) for chat in chats}) == 1
    chats[0].failed = True
    chats[0].metadata["k"] = 1
    assert [chat.failed for chat in chats] == [True, False, False]
    assert [chat.metadata for chat in chats] == [{"k": 1}, {}, {}]
    assert chats[0].model_fields_set == set(Chat.model_fields)
    loaded = Chat.model_validate_json(chats[1].model_dump_json())
    assert loaded == chats[1]
    assert chats[1].last.parse(Answer) == Answer(content="42")


def test_messages_made_by_init_share_one_fields_set_copied_on_write() -> None:
    first, second = Message("user", "hi"), Message("assistant", "yo")
    assert first.model_fields_set is second.model_fields_set
    assert isinstance(first.model_fields_set, SharedFieldsSet)
    names = {"role", "all_content", "parts", "tool_calls", "tool_call_id"}
    assert first.model_fields_set == names
    # Dumps of unset fields are unchanged by the sharing.
    assert set(first.model_dump(exclude_unset=True)) == {
        "role",
        "content",
        "parts",
        "tool_calls",
        "tool_call_id",
    }
    first.role = "system"  # a field already in the set: still shared
    assert first.model_fields_set is second.model_fields_set
    first.metadata = {"k": 1}  # another field: this message gets its own set
    assert type(first.model_fields_set) is set
    assert first.model_fields_set == names | {"metadata"}
    assert second.model_fields_set == names
    assert "metadata" in first.model_dump(exclude_unset=True)
    assert "metadata" not in second.model_dump(exclude_unset=True)
    with pytest.raises(TypeError, match="copy it first"):
        second.model_fields_set.add("uuid")
    # Keyword extras and copies get plain sets.
    assert type(Message("user", "x", metadata={"a": 1}).model_fields_set) is set
    assert type(second.model_copy().model_fields_set) is set
    assert pickle.loads(pickle.dumps(second)) == second


def _validated(role: str, content: str | None, tool_call_id: str | None = None) -> Message:
    """A message built by pydantic's validation (the path `Message(...)` skips for text)."""
    return Message.model_validate(
        {"role": role, "content": content or "", "tool_call_id": tool_call_id}
    )


@pytest.mark.parametrize(
    ("role", "content", "tool_call_id"),
    [
        ("user", "hi", None),
        ("assistant", None, None),
        ("system", "", None),
        ("tool", "result", "call-1"),
        ("user", "\ud800 lone surrogate", None),
    ],
)
def test_text_messages_equal_validated_messages(
    role: str, content: str | None, tool_call_id: str | None
) -> None:
    made = Message(role, content, tool_call_id=tool_call_id)  # type: ignore[arg-type]
    validated = _validated(role, content, tool_call_id)
    assert made.model_dump(exclude={"uuid"}) == validated.model_dump(exclude={"uuid"})
    assert made.__dict__.keys() == validated.__dict__.keys()
    assert made.uuid.version == 4
    assert made.__pydantic_extra__ is None
    assert made.__pydantic_private__ is None
    assert made == made.model_copy(deep=True)


def test_text_messages_dedent_and_still_check_their_role() -> None:
    assert Message("user", "  a\n  b").content == "a\nb"
    with pytest.raises(ValueError, match="Input should be 'system', 'user'"):
        Message("bogus", "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="tool_call_id"):
        Message("tool", "x", tool_call_id=3)  # type: ignore[arg-type]


class _Where(Model, tag="where"):
    file: str = attr()
    line: int = attr()


class _Issue(Model, tag="issue"):
    id: str = attr()
    title: str = element()
    where: _Where


@pytest.mark.parametrize(
    "text",
    [
        'x <issue id="1"><title>t</title><where file="a" line="2"/></issue> y',
        '<issue id="1">\n  <title>t</title>\n  <where file="a" line="2"></where>\n</issue>',
        'a <issue id="1"><title>t</title></issue> b',  # invalid: no <where>
        '<issue id="1">\n  <title>t ∑ &lt;</title>\n  <where file="a" line="2"/>\n</issue>',
        '<issue id="1"><title>t</title><where file="a" line="x"/></issue> <issue',
        "no element here",
        '<issue id="1"><title>a</title><where file="a" line="1"/></issue> and '
        '<issue id="2"><title>b</title><where file="b" line="2"/></issue>',
        "<answer>1</answer>",
    ],
)
@pytest.mark.parametrize("cls", [_Issue, Answer])
@pytest.mark.parametrize("around", [("", ""), ("🚀 é ", " ∑ ü")])
def test_one_type_parse_equals_the_general_path(
    text: str, cls: type[Model], around: tuple[str, str]
) -> None:
    from rigging._message.parts import add_parts
    from rigging.parsing import found_many

    text = around[0] + text + around[1]  # code points of 2 and 4 bytes before the element

    def general(message: Message) -> list[Model]:
        found = found_many(message.content, cls, fail_on_missing=True)
        add_parts(message, found)
        return [item.model for item in found]

    fast, slow = Message("assistant", text), Message("assistant", text)
    try:
        expected: list[Model] | Exception = general(slow)
    except Exception as exc:
        expected = exc
    if isinstance(expected, Exception):
        with pytest.raises(type(expected)) as raised:
            fast.parse(cls)
        assert str(raised.value) == str(expected)
        assert fast.all_content == text
        assert not fast.parts
        return
    assert fast.parse(cls) == expected[0]
    assert fast.all_content == slow.all_content
    assert fast.parts == slow.parts
    again = Message("assistant", text)
    assert again.parse_many(cls) == expected
    assert again.parts == slow.parts


@given(st.text(alphabet=st.sampled_from(["a", " ", "\t", "\n", "\r", "é", "\u3000", "<"])))
@settings(max_examples=300)
def test_message_dedent_equals_textwrap(text: str) -> None:
    assert Message("user", text).content == textwrap.dedent(text)


_DEDENT_ALPHABET = ["a", " ", "\t", "\n", "\r", "\x0c", "é", "東", "🚀", "\u3000", "\ud800", "<"]


@given(
    st.lists(st.text(alphabet=st.sampled_from(_DEDENT_ALPHABET), max_size=12), max_size=12),
    st.sampled_from(["", " ", "  ", "\t", " \t", "    "]),
    st.integers(min_value=1, max_value=400),
)
@settings(max_examples=300)
def test_native_dedent_equals_textwrap(lines: list[str], margin: str, repeat: int) -> None:
    """Margins shared or not, blank lines, lone surrogates, and texts long enough for the
    ASCII and the block-table offset paths."""
    text = "\n".join(margin + line for line in lines * (repeat if repeat > 300 else 1))
    expected = textwrap.dedent(text)
    out = _native.dedent(text)
    assert out == expected
    if expected == text:
        assert out is text  # nothing removed: the same object, no copy


def test_native_dedent_leaves_no_utf8_copy_on_the_content() -> None:
    """A non-ASCII text is read through a temporary bytes: CPython's cached UTF-8 (which
    `sys.getsizeof` counts) is not made for a message that may never be parsed."""
    text = ("東京 " * 300 + "\n    code\n") * 20
    text = text.encode().decode()  # a fresh str, as model output is
    size = sys.getsizeof(text)
    message = Message("user", text)
    assert message.content is text  # no shared margin: unchanged
    assert sys.getsizeof(message.content) == size


def test_native_dedent_of_long_texts() -> None:
    ascii_text = "\n".join(f"    line {n}\n      more\n   \t " for n in range(3_000))
    wide = ascii_text.replace("more", "mehr 🚀 東京 \ud800")
    for text in (ascii_text, wide, "\n" + wide, wide.replace("    line 7", "line 7")):
        assert _native.dedent(text) == textwrap.dedent(text)


class _CheckedMessage(Message):
    model_config = ConfigDict(validate_assignment=True)


def test_messages_validating_assignments_parse_like_plain_ones() -> None:
    text = 'see <issue id="7"><title>t</title><where file="a" line="2"/></issue>'
    # The pydantic plugin gives a subclass a fields-only __init__, hiding Message's own.
    checked, plain = _CheckedMessage("assistant", text), Message("assistant", text)  # type: ignore[call-arg]
    assert checked.parse(_Issue) == plain.parse(_Issue)
    assert checked.all_content == plain.all_content
    assert checked.parts == plain.parts
    assert checked.model_fields_set >= {"all_content", "parts"}


class _User(Model, tag="user"):
    name: str = element()
    email: str = element()


_ECHO = "Format: <user><name></name><email> </email></user>\n"
_FILLED = "<user><name>Bob</name><email>bob@x.io</email></user>"


@pytest.mark.parametrize("prefix", ["", "\ud800 "])  # lone surrogates take the other path
def test_an_echoed_empty_template_does_not_beat_the_answer(prefix: str) -> None:
    """Since an empty element reads as "", an echoed template validated and, not being blank
    inside, won over the answer after it (parse, parse_set and until_parsed_as)."""
    reply = prefix + _ECHO + _FILLED
    assert Message("assistant", reply).parse(_User) == _User(name="Bob", email="bob@x.io")
    assert Message("assistant", reply).parse_set(_User) == [_User(name="Bob", email="bob@x.io")]
    both = Message("assistant", reply + " <answer>1</answer>").parse_many(_User, Answer)
    assert both == [_User(name="Bob", email="bob@x.io"), Answer(content="1")]
    alone = Message("assistant", prefix + _ECHO)  # with nothing better, the echo is the model
    assert alone.parse(_User) == _User(name="", email=" ")
    patch = (
        'Use <patch file=""><diff></diff></patch>, then <patch file="a.py"><diff></diff></patch>'
    )
    assert Message("assistant", patch).parse(_Patch) == _Patch(file="a.py", diff="")


class _Patch(Model, tag="patch"):
    file: str = attr()
    diff: str = element()


def test_a_streamed_echoed_template_waits_for_the_answer() -> None:
    from rigging.stream import ModelStream

    stream = ModelStream(_User)
    first = [p.model for p in stream.feed(_ECHO)]
    second = [p.model for p in stream.feed(_FILLED)]
    assert (first, second) == ([], [_User(name="Bob", email="bob@x.io")])
    assert stream.finish() == []
    lone = ModelStream(_User)
    assert list(lone.feed(_ECHO)) == []
    [held] = lone.finish()
    assert (held.model, held.hollow) == (_User(name="", email=" "), True)


class _Step(Model, tag="step"):
    note: t.Optional[str] = element(default=None)  # noqa: UP045


class _Plan(Model, tag="plan"):
    steps: list[_Step] = element(default_factory=list)


class _Marker(Model, tag="urgent"):
    why: t.Optional[str] = attr(default=None)  # noqa: UP045


class _Ticket(Model, tag="ticket"):
    title: str = element(default="")
    urgent: t.Optional[_Marker] = None  # noqa: UP045


def test_nested_models_present_without_text_are_content_not_an_echo() -> None:
    """The count or presence of nested elements (`<step/>`, an `<urgent/>` marker) is the
    value: such an element is filled, not hollow, and wins over an empty one before it."""
    from rigging.stream import ModelStream

    text = "<plan></plan>\n<plan><step/><step/><step/></plan>"
    three = _Plan(steps=[_Step(), _Step(), _Step()])
    assert Message("assistant", text).parse(_Plan) == three
    assert Message("assistant", text).parse_set(_Plan) == [three]
    stream = ModelStream(_Plan)
    assert [p.model for p in stream.feed(text)] == [three]
    assert stream.finish() == []
    ticket = "<ticket></ticket> <ticket><urgent/></ticket>"
    assert Message("assistant", ticket).parse(_Ticket) == _Ticket(urgent=_Marker())
    echo = '<ticket><title> </title><urgent why=""/></ticket> <ticket><title>x</title></ticket>'
    assert Message("assistant", echo).parse(_Ticket) == _Ticket(title="x")


class _Shown(Model, tag="shown"):
    id: str = attr()
    title: str = element()


def test_the_one_element_path_follows_a_replaced_to_pretty_xml(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The class's arguments for the native one-element call are cached; a `to_pretty_xml`
    replaced after a first parse is still what normalises the element."""
    text = 'x <shown id="1"><title>t</title></shown> y'
    message = Message("assistant", text)
    assert message.parse(_Shown).id == "1"
    assert message.content == f"x {_Shown(id='1', title='t').to_pretty_xml()} y"

    def custom(self: _Shown, **kwargs: t.Any) -> str:
        return f'<shown id="{self.id}"><title>{self.title.upper()}</title></shown>'

    monkeypatch.setattr(_Shown, "to_pretty_xml", custom)
    again = Message("assistant", text)
    assert again.parse(_Shown).title == "t"
    assert again.content == 'x <shown id="1"><title>T</title></shown> y'
