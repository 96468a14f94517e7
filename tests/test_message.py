import base64
import json
from pathlib import Path

import pytest
from pydantic import ValidationError

import rigging as rg
from rigging.error import MissingModelError, XmlContentError
from rigging.message import (
    Content,
    ContentImageUrl,
    ContentText,
    ContentTypes,
    Message,
    MessageDict,
    Messages,
    ParsedMessagePart,
    PartDroppedWarning,
    Role,
)
from rigging.model import Answer, Model, QuestionAnswer, YesNoAnswer, attr, element
from rigging.tool.api import FunctionCall, ToolCall


class FunFact(Model):
    fact: str


class Person(Model):
    name: str = attr()
    age: int = element()


def make_call() -> ToolCall:
    return ToolCall(id="c1", function=FunctionCall(name="add", arguments='{"x": 1}'))


def test_construction_and_dedent() -> None:
    message = Message("user", "    hi\n    there")
    assert message.content == "hi\nthere"
    assert Message("user").content == ""
    assert Message(role="system", content="x").role == "system"
    assert Message("user", "no indent\n  kept").content == "no indent\n  kept"


def test_list_content_and_parts() -> None:
    image = ContentImageUrl.from_url("https://example.com/a.png", detail="low")
    message = Message("user", ["  look", image, ContentText(text="second")])
    assert message.content == "look\nsecond"
    assert isinstance(message.all_content, list)
    assert message.all_content[1] == image
    assert str(image) == "<ContentImageUrl 'https://example.com/a.png'>"
    assert str(message) == (
        "[user]:\n |- look\n |- <ContentImageUrl 'https://example.com/a.png'>\n |- second"
    )
    assert ContentTypes == (ContentText, ContentImageUrl)


def test_image_from_file(tmp_path: Path) -> None:
    png = tmp_path / "x.png"
    png.write_bytes(b"\x89PNG")
    image = ContentImageUrl.from_file(png)
    assert image.image_url.url == "data:image/png;base64," + base64.b64encode(b"\x89PNG").decode()
    odd = tmp_path / "blob.unknownext"
    odd.write_bytes(b"x")
    with pytest.raises(ValueError, match=r"cannot tell the MIME type of 'blob\.unknownext'"):
        ContentImageUrl.from_file(odd)
    assert ContentImageUrl.from_file(odd, mimetype="image/gif").image_url.url.startswith(
        "data:image/gif;base64,"
    )
    with pytest.raises(FileNotFoundError, match="image file not found"):
        ContentImageUrl.from_file(tmp_path / "missing.png")


def test_str_repr_len() -> None:
    message = Message("assistant", "hello", tool_calls=[make_call()])
    assert str(message) == '[assistant]: hello\n |- <ToolCall add({"x": 1})>'
    assert len(message) == 5
    text = repr(message)
    assert "content='hello'" in text
    assert "uuid" not in text
    # as the 2.3 home page prints messages
    assert (
        repr(Message("user", "Say hello!"))
        == "Message(role='user', parts=[], content='Say hello!')"
    )


def test_tool_calls_from_dicts() -> None:
    message = Message(
        "assistant",
        "",
        tool_calls=[{"id": "a", "function": {"name": "f", "arguments": "{}"}}],
    )
    assert message.tool_calls == [ToolCall(id="a", function=FunctionCall(name="f", arguments="{}"))]
    tool = Message("tool", "42", tool_call_id="a")
    assert tool.to_openai_spec() == {"role": "tool", "content": "42", "tool_call_id": "a"}


def test_to_openai_spec() -> None:
    message = Message("assistant", "hi", tool_calls=[make_call()])
    assert message.to_openai_spec() == {
        "role": "assistant",
        "content": "hi",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "add", "arguments": '{"x": 1}'}}
        ],
    }
    image = ContentImageUrl.from_url("https://e/x.png")
    assert Message("user", ["a", image]).to_openai_spec()["content"] == [
        {"type": "text", "text": "a"},
        {"type": "image_url", "image_url": {"url": "https://e/x.png", "detail": "auto"}},
    ]


def test_content_setter() -> None:
    message = Message("assistant", "<answer>1</answer>")
    message.parse(Answer)
    message.content = "  new"
    assert message.content == "new"
    assert message.parts == []
    image = ContentImageUrl.from_url("https://e/x.png")
    multi = Message("user", [image, "a", "b"])
    multi.content = "replaced"
    assert multi.all_content == [image, ContentText(text="replaced")]


def test_force_str_content() -> None:
    message = Message("user", ["a", ContentImageUrl.from_url("https://e/x.png"), "b"])
    assert message.force_str_content() is message
    assert message.all_content == "a\nb"


def test_parse_records_parts_and_normalises() -> None:
    message = Message(
        "assistant",
        "Use <answer> tags. <answer>42</answer> <person  name='Al'><age>3</age></person>",
    )
    assert message.parse(Answer).content == "42"
    person = message.parse(Person)
    assert person == Person(name="Al", age=3)
    assert message.content == (
        'Use <answer> tags. <answer>42</answer> <person name="Al">\n  <age>3</age>\n</person>'
    )
    assert [message.content[p.slice_] for p in message.parts] == [
        "<answer>42</answer>",
        '<person name="Al">\n  <age>3</age>\n</person>',
    ]
    assert message.models == [Answer(content="42"), person]
    message.parse(Answer)
    assert len(message.parts) == 2


def test_normalisation_shifts_later_parts() -> None:
    message = Message("assistant", "<yes-no-answer> YES </yes-no-answer> then <answer>x</answer>")
    message.parse_many(Answer, YesNoAnswer)
    assert message.content == "<yes-no-answer>yes</yes-no-answer> then <answer>x</answer>"
    assert [message.content[p.slice_] for p in message.parts] == [
        "<yes-no-answer>yes</yes-no-answer>",
        "<answer>x</answer>",
    ]


def test_parse_family_on_message() -> None:
    message = Message("assistant", "<answer></answer> <answer>a</answer> <answer>b</answer>")
    assert message.parse(Answer).content == "a"
    assert [m.content for m in message.parse_set(Answer)] == ["a", "b"]
    assert message.try_parse(FunFact) is None
    assert message.try_parse_set(FunFact) == []
    with pytest.raises(MissingModelError, match="Expected at least 3 Answer in message, found 2"):
        message.parse_set(Answer, minimum=3)
    with pytest.raises(MissingModelError):
        message.try_parse_set(FunFact, minimum=1)
    with pytest.raises(MissingModelError, match="Failed to find '<fun-fact></fun-fact>'"):
        message.parse(FunFact)
    with pytest.raises(MissingModelError):
        message.parse_many(Answer, FunFact)
    assert len(message.try_parse_many(Answer, FunFact)) == 2
    with pytest.raises(MissingModelError):
        message.try_parse_many(FunFact, fail_on_missing=True)


def test_nested_parts_and_crossing_parts() -> None:
    text = "<question-answer><question>q</question><answer>a</answer></question-answer>"
    message = Message("assistant", text)
    message.parse(QuestionAnswer)
    message.parse(Answer)
    assert [type(m).__name__ for m in message.models] == ["QuestionAnswer", "Answer"]
    assert message.content[message.parts[1].slice_] == "<answer>a</answer>"

    class Left(Model, tag="l"):
        content: str

    class Right(Model, tag="r"):
        content: str

    crossing = Message("assistant", "<l>1 <r>2</l> 3</r>")
    crossing.parse(Left)
    with pytest.raises(
        XmlContentError, match=r"<r> \(Right\) at 5..19 crosses <l> \(Left\) at 0..13"
    ):
        crossing.parse(Right)
    # The try_ forms leave a crossing element out instead (model output may be malformed).
    assert crossing.try_parse(Right) is None
    assert crossing.try_parse_many(Right) == []
    assert [p.model for p in crossing.parts] == [Left(content="1 <r>2")]
    both = Message("assistant", "<l>1 <r>2</l> 3</r> <r>4</r>")
    assert both.try_parse_many(Left, Right) == [Left(content="1 <r>2"), Right(content="4")]
    assert [both.content[p.slice_] for p in both.parts] == ["<l>1 <r>2</l>", "<r>4</r>"]
    with pytest.raises(ValueError, match="crosses"):  # (an XmlContentError)
        Message("assistant", "<l>1 <r>2</l> 3</r>").parse_many(Left, Right)


class _Ans(Model, tag="answer"):
    content: str


class _QA(Model, tag="qa"):
    q: str = element(tag="question")
    answer: _Ans = element()


@pytest.mark.parametrize("others", [0, 1, 2])
def test_normalising_a_simple_model_adds_no_markup_to_the_message(others: int) -> None:
    """Its text raw would add tags the element held escaped: other elements read them."""
    tail = " <fun-fact>f</fun-fact>" * others  # one part, or several (the native layout)
    for text, answer in (
        (
            "<qa><answer>see &lt;question&gt;x&lt;/question&gt;</answer>"
            "<question>real</question></qa>",
            "see <question>x</question>",
        ),
        ("<qa><question>q</question><answer>a &lt;/qa&gt; b</answer></qa>", "a </qa> b"),
        ("<qa><question>q</question><answer><![CDATA[a </qa> b]]></answer></qa>", "a </qa> b"),
    ):
        message = Message("assistant", text + tail)
        parsed = message.parse_many(_Ans, FunFact) if others else [message.parse(_Ans)]
        assert parsed[0] == _Ans(content=answer)
        qa = message.parse(_QA)
        assert qa.answer.content == answer
        assert qa == _QA.from_text(text)[0][0]
        assert Message("assistant", message.content).parse(_Ans) == _Ans(content=answer)
    # Markup the element held as written stays raw (2.3's simple-model XML).
    message = Message("assistant", "<answer id='1'>Use <b>x</b> here</answer>" + tail)
    message.parse(_Ans)
    assert message.content.startswith("<answer>Use <b>x</b> here</answer>")


def test_strip() -> None:
    message = Message(
        "assistant", "a <answer>1</answer> b <fun-fact>f</fun-fact> c <answer>2</answer>"
    )
    message.parse_many(Answer, FunFact)
    removed = message.strip(Answer)
    assert [p.model for p in removed] == [Answer(content="1"), Answer(content="2")]
    assert message.content == "a  b <fun-fact>f</fun-fact> c "
    assert message.content[message.parts[0].slice_] == "<fun-fact>f</fun-fact>"
    assert message.strip(Answer) == []
    with pytest.raises(MissingModelError, match=r"Could not find <answer> \(Answer\) in message"):
        message.strip(Answer, fail_on_missing=True)


def test_strip_takes_nested_parts_along() -> None:
    message = Message(
        "assistant",
        "x <question-answer><question>q</question><answer>a</answer></question-answer> y",
    )
    message.parse_many(QuestionAnswer, Answer)
    removed = message.strip(QuestionAnswer)
    assert [type(p.model) for p in removed] == [QuestionAnswer, Answer]
    assert message.content == "x  y"
    assert message.parts == []


def test_strip_of_a_nested_part_unrecords_the_part_holding_it() -> None:
    """The holder's element no longer reads as its model (its slice would lie)."""
    message = Message(
        "assistant",
        "x <question-answer><question>q</question><answer>a</answer></question-answer> "
        "<answer>b</answer> <fun-fact>f</fun-fact> y",
    )
    message.parse_many(QuestionAnswer, Answer, FunFact)
    removed = message.strip(Answer)
    assert [p.model for p in removed] == [Answer(content="a"), Answer(content="b")]
    assert message.content == (
        "x <question-answer><question>q</question></question-answer>  <fun-fact>f</fun-fact> y"
    )
    assert [p.model for p in message.parts] == [FunFact(fact="f")]
    assert message.content[message.parts[0].slice_] == "<fun-fact>f</fun-fact>"


def test_list_content_parse_and_strip() -> None:
    image = ContentImageUrl.from_url("https://e/x.png")
    message = Message("user", ["see <answer>1</answer> here", image, "and <answer>2</answer>!"])
    assert [m.content for m in message.parse_set(Answer)] == ["1", "2"]
    assert [message.content[p.slice_] for p in message.parts] == [
        "<answer>1</answer>",
        "<answer>2</answer>",
    ]
    message.strip(Answer)
    assert message.all_content == [
        ContentText(text="see  here"),
        image,
        ContentText(text="and !"),
    ]


def test_list_content_strip_across_parts_fails() -> None:
    message = Message("user", ["<answer>1", "2</answer>"])
    assert message.parse(Answer).content == "1\n2"
    with pytest.raises(NotImplementedError, match="spans two text parts"):
        message.strip(Answer)


def test_clone_keeps_everything_but_uuid() -> None:
    image = ContentImageUrl.from_url("https://e/x.png")
    message = Message(
        "assistant", ["<answer>1</answer>", image], tool_calls=[make_call()], tool_call_id="t"
    )
    message.parse(Answer)
    copy = message.clone()
    assert copy.uuid != message.uuid
    assert copy.all_content == message.all_content
    assert copy.tool_calls == message.tool_calls
    assert copy.tool_call_id == "t"
    assert copy.parts == message.parts
    assert copy.parts is not message.parts
    assert copy.tool_calls is not message.tool_calls


def test_meta_returns_a_copy() -> None:
    message = Message("user", "x", metadata={"a": 1})
    tagged = message.meta(b=2)
    assert tagged.metadata == {"a": 1, "b": 2}
    assert message.metadata == {"a": 1}


def test_apply_and_apply_to_list() -> None:
    message = Message("user", "Hello $name, ${greeting}! $unknown")
    applied = message.apply(name="Ann", greeting="hi")
    assert applied.content == "Hello Ann, hi! $unknown"
    assert applied.uuid != message.uuid
    assert message.content == "Hello $name, ${greeting}! $unknown"
    listed = Message("user", ["$x", ContentImageUrl.from_url("https://e/x.png")]).apply(x="y")
    assert listed.content == "y"
    # A mixed list, beyond the declared `Messages` (all dicts or all messages): fit takes each.
    out = Message.apply_to_list(["$x", {"role": "system", "content": "$x!"}], x="1")  # type: ignore[arg-type]
    assert [(m.role, m.content) for m in out] == [("user", "1"), ("system", "1!")]


def test_fit_and_fit_as_list() -> None:
    message = Message("assistant", "x")
    fitted = Message.fit(message)
    assert fitted == message
    assert fitted is not message
    assert fitted.uuid == message.uuid
    assert Message.fit("hi").role == "user"
    as_dict: MessageDict = {"role": "system", "content": "s"}
    assert Message.fit(as_dict).role == "system"
    assert [m.content for m in Message.fit_as_list("one")] == ["one"]
    assert len(Message.fit_as_list(message)) == 1
    assert len(Message.fit_as_list(as_dict)) == 1
    many: Messages = [as_dict, as_dict]
    assert len(Message.fit_as_list(many)) == 2


def test_from_model() -> None:
    message = Message.from_model([Answer(content="a"), FunFact(fact="f")], suffix="done")
    assert message.role == "user"
    assert message.content == "<answer>a</answer>\n<fun-fact>f</fun-fact>\n\ndone"
    assert [message.content[p.slice_] for p in message.parts] == [
        "<answer>a</answer>",
        "<fun-fact>f</fun-fact>",
    ]
    single = Message.from_model(Answer(content="x"), role="assistant")
    assert single.content == "<answer>x</answer>\n"
    assert single.models == [Answer(content="x")]


def test_serialization_round_trip_keeps_parts() -> None:
    image = ContentImageUrl.from_url("https://e/x.png")
    message = Message(
        "assistant",
        ["<answer>1</answer> <yes-no-answer>yes</yes-no-answer>", image],
        tool_calls=[make_call()],
    )
    message.parse_many(Answer, YesNoAnswer)
    dumped = message.model_dump()
    assert list(dumped) == [
        "uuid",
        "role",
        "parts",
        "content",
        "tool_calls",
        "tool_call_id",
        "metadata",
    ]
    assert dumped["parts"][0] == {
        "model": {"content": "1"},
        "slice_": [0, 18],
        "model_class": "rigging._model.stock:Answer",
    }
    loaded = Message.model_validate_json(message.model_dump_json())
    assert loaded == message
    assert isinstance(loaded.parts[1].model, YesNoAnswer)
    assert Message.model_validate(dumped) == message


def test_round_trip_local_class_and_unknown_class() -> None:
    class Local(Model):
        content: str

    message = Message("assistant", "  <local>x</local>")
    message.parse(Local)
    assert Message.model_validate_json(message.model_dump_json()) == message
    data = message.model_dump(mode="json")
    data["parts"][0]["model_class"] = "nowhere.module:Gone"
    with pytest.warns(PartDroppedWarning, match="'nowhere.module:Gone' is not defined"):
        loaded = Message.model_validate(data)
    assert [p.model.model_class for p in loaded.parts] == ["nowhere.module:Gone"]  # type: ignore[attr-defined]
    assert loaded.content == message.content
    assert loaded.model_dump(mode="json") == data


def test_parsed_message_part_validation() -> None:
    part = ParsedMessagePart(model=Answer(content="a"), slice_=[1, 3])
    assert part.slice_ == slice(1, 3)
    with pytest.raises(ValidationError, match="expected a slice or a \\[start, stop\\] pair"):
        ParsedMessagePart(model=Answer(content="a"), slice_="1:3")
    with pytest.raises(ValidationError, match="names no model class"):
        ParsedMessagePart.model_validate({"model": {"content": "a"}, "slice_": [0, 1]})


def test_aliases_and_exports() -> None:
    role: Role = "tool"
    content: Content = ContentText(text="x")
    assert role == "tool"
    assert str(content) == "x"
    assert rg.Message is Message
    assert rg.MessageDict is MessageDict
    assert rg.ContentText is ContentText
    assert rg.ContentImageUrl is ContentImageUrl


def test_json_schema_builds() -> None:
    schema = Message.model_json_schema()
    assert "content" in schema["properties"]


def test_part_classes_are_not_imported_from_unrelated_packages() -> None:
    from rigging._model.base import lookup_model

    assert lookup_model("rigging.model:Answer") is Answer
    assert lookup_model("rigging._model.stock:Answer") is Answer
    assert lookup_model("antigravity:Thing") is None
    assert lookup_model("json:JSONDecoder") is None
    assert lookup_model("rigging.model:Nope") is None
    assert lookup_model("no-colon") is None


def test_new_text_through_all_content_drops_the_parts_that_pointed_into_it() -> None:
    message = rg.Message("assistant", "hello <answer>x</answer> world")
    message.parse(Answer)
    message.all_content = "totally different text here"
    assert message.parts == []
    message.strip(Answer)
    assert message.content == "totally different text here"  # 2.3 cut 'totallere'
    same = rg.Message("assistant", "a <answer>x</answer> b")
    same.parse(Answer)
    same.all_content = "a <answer>x</answer> b"  # the same text: the parts still fit
    assert len(same.parts) == 1


def test_content_given_as_one_dict_is_one_part_and_other_types_are_refused() -> None:
    message = rg.Message("user", {"type": "text", "text": "x"})  # type: ignore[arg-type]
    assert message.content == "x"
    assert len(message.all_content) == 1
    for wrong in (5, b"bytes", 2.5):
        with pytest.raises(TypeError, match="content must be a str or a list of content parts"):
            rg.Message("user", wrong)  # type: ignore[arg-type]


def test_nan_and_infinities_in_metadata_survive_a_json_round_trip() -> None:
    chat = rg.Chat(
        [rg.Message("user", "hi").meta(score=float("inf"))],
        metadata={"lp": float("-inf")},
        extra={"logprob": float("-inf"), "nan": float("nan")},
    )
    again = rg.Chat.model_validate_json(chat.model_dump_json())
    assert again.metadata == {"lp": float("-inf")}
    assert again.messages[0].metadata == {"score": float("inf")}
    assert again.extra["logprob"] == float("-inf")
    assert again.extra["nan"] != again.extra["nan"]  # NaN (2.3 wrote null and read None)


def test_loaded_parts_must_fit_the_content() -> None:
    message = rg.Message("assistant", "hello <answer>x</answer> world")
    message.parse(Answer)
    data = json.loads(message.model_dump_json())
    part = data["parts"][0]
    for where in ([50, 10], [-5, 3], [0, 200], [2**63, 2**63 + 1]):
        with pytest.raises(ValidationError, match="does not fit the content"):
            rg.Message.model_validate({**data, "parts": [dict(part, slice_=where)]})
    crossing = [dict(part, slice_=[0, 10]), dict(part, slice_=[5, 20])]
    with pytest.raises(ValidationError, match="parts 0 and 1 cross each other"):
        rg.Message.model_validate({**data, "parts": crossing})
    nested = [dict(part, slice_=[0, 30]), dict(part, slice_=[6, 24]), dict(part, slice_=[6, 24])]
    assert len(rg.Message.model_validate({**data, "parts": nested}).parts) == 3
    assert rg.Message.model_validate_json(message.model_dump_json()) == message
