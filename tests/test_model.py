import pytest
from pydantic import ValidationError, field_serializer

import rigging as rg
from rigging.error import MissingModelError, MultipleModelsError
from rigging.model import (
    BASIC_TYPES,
    Answer,
    CommaDelimitedAnswer,
    DelimitedAnswer,
    Description,
    ErrorModel,
    Instructions,
    Model,
    NewlineDelimitedAnswer,
    Primitive,
    Question,
    QuestionAnswer,
    SystemErrorModel,
    Thinking,
    ValidationErrorModel,
    XmlTagDescriptor,
    YesNoAnswer,
    attr,
    element,
    make_primitive,
    wrapped,
)


class FunFact(Model):
    fact: str


class LongNameForThing(Model, tag="short"):
    content: str


class Person(Model):
    name: str = attr()
    age: int = element()
    nicknames: list[str] = wrapped("nicknames", element(tag="nick", default_factory=list))


class Counter(Model):
    count: int


class OnlyAttr(Model):
    name: str = attr()


class Shouty(Model):
    content: str

    @field_serializer("content")
    def _upper(self, value: str) -> str:
        return value.upper()


def test_tags_from_class_name_or_explicit() -> None:
    assert FunFact.__xml_tag__ == "fun-fact"
    assert LongNameForThing.__xml_tag__ == "short"
    assert FunFact.xml_start_tag() == "<fun-fact>"
    assert FunFact.xml_end_tag() == "</fun-fact>"
    assert FunFact.xml_tags() == "<fun-fact></fun-fact>"
    assert isinstance(FunFact.__dict__["__xml_tag__"], XmlTagDescriptor)


def test_tags_are_not_inherited() -> None:
    class Base(Model, tag="base"):
        content: str

    class Child(Base):
        pass

    assert Base.__xml_tag__ == "base"
    assert Child.__xml_tag__ == "child"
    assert CommaDelimitedAnswer.__xml_tag__ == "comma-delimited-answer"


def test_parametrised_primitive_uses_parent_tag() -> None:
    assert Primitive[str].__xml_tag__ == "primitive"
    assert Primitive[int].is_simple()


@pytest.mark.parametrize(
    ("model", "simple"),
    [(FunFact, True), (Counter, True), (Person, False), (QuestionAnswer, False), (OnlyAttr, False)],
)
def test_is_simple(model: type[Model], simple: bool) -> None:
    assert model.is_simple() is simple


def test_basic_types() -> None:
    assert [int, str, float, bool] == BASIC_TYPES


def test_xml_example() -> None:
    assert FunFact.xml_example() == "<fun-fact></fun-fact>"
    assert Person.xml_example() == (
        '<person name="str">\n  <age>int</age>\n  <nicknames>\n    <nick>str</nick>\n'
        "    <nick>str</nick>\n  </nicknames>\n</person>"
    )


def test_to_pretty_xml_and_str() -> None:
    person = Person(name="Ann & Bo", age=3, nicknames=["a", "b"])
    assert person.to_pretty_xml() == (
        '<person name="Ann &amp; Bo">\n  <age>3</age>\n  <nicknames>\n    <nick>a</nick>\n'
        "    <nick>b</nick>\n  </nicknames>\n</person>"
    )
    assert str(person) == person.to_pretty_xml()
    assert FunFact(fact="a < b & <br>").to_pretty_xml() == "<fun-fact>a < b & <br></fun-fact>"
    assert Answer(content="").to_pretty_xml() == "<answer></answer>"
    assert Counter(count=4).to_pretty_xml() == "<counter>4</counter>"
    assert Shouty(content="hi").to_pretty_xml() == "<shouty>HI</shouty>"


@pytest.mark.parametrize("text", ["plain", "a &lt; b &amp;amp;", "é 🙂 <x/>", "  spaced  ", ""])
def test_plain_text_fast_path_matches_pydantic_xml(text: str) -> None:
    model = FunFact(fact=text)
    tree = model.to_xml_tree()
    import xml.etree.ElementTree as ET

    from rigging.util import unescape_xml

    escaped = ET.tostring(tree, encoding="unicode", short_empty_elements=False)
    slow = unescape_xml(escaped)
    if "&" in text:
        # 2.3 wrote entity text raw (`slow`), which a second parse decoded into other text;
        # a simple model's text that would not read back stays escaped.
        assert model.to_pretty_xml() == escaped
    else:
        assert model.to_pretty_xml() == slow
    [(again, _)] = FunFact.from_text(model.to_pretty_xml())
    assert again.fact == text


@pytest.mark.parametrize(
    "text",
    [
        "Close it with </fun-fact> then stop",
        "a <fun-fact> nested",
        "<![CDATA[x]]>",
        "<!-- note -->",
        "<!DOCTYPE x>",
        "a &lt; b",
        "&amp;lt;",
        "tom &amp jerry",
    ],
)
def test_a_simple_models_text_always_parses_back(text: str) -> None:
    """Its pretty XML is what parsing writes into the message: read again, it must give the
    same text (2.3 wrote it raw, and a prompt's second parse read a shorter value)."""
    model = FunFact(fact=text)
    [(again, _)] = FunFact.from_text(model.to_pretty_xml())
    assert again.fact == text
    message = rg.Message("assistant", f"Fact: {model.to_pretty_xml()}")
    assert message.parse(FunFact).fact == text
    assert rg.Message("assistant", message.content).parse(FunFact).fact == text


def test_from_text_simple_and_slices() -> None:
    text = "🙂 é <fun-fact>one</fun-fact> and <fun-fact>two</fun-fact>"
    found = FunFact.from_text(text)
    assert [m.fact for m, _ in found] == ["one", "two"]
    assert [text[s] for _, s in found] == ["<fun-fact>one</fun-fact>", "<fun-fact>two</fun-fact>"]


def test_from_text_missing() -> None:
    with pytest.raises(MissingModelError, match=r"Failed to find '<fun-fact></fun-fact>'"):
        FunFact.from_text("nothing here <fun-facts>x</fun-facts>")


def test_from_text_invalid_names_tag_and_snippet() -> None:
    with pytest.raises(ValidationError) as info:
        Counter.from_text("count: <counter>many</counter>")
    message = str(info.value)
    assert "Counter in <counter> at 7" in message
    assert "'<counter>many</counter>'" in message
    assert "int_parsing" in str(info.value.errors()[0]["type"])


def test_from_text_keeps_valid_and_skips_invalid() -> None:
    found = Counter.from_text("<counter>x</counter><counter>2</counter>")
    assert [m.count for m, _ in found] == [2]


def test_from_text_complex_attributes_and_wrapped() -> None:
    text = (
        'Here: <person name="Ann" extra="a > b"><age>30</age>'
        "<nicknames><nick>A</nick><nick>Annie</nick></nicknames></person>!"
    )
    [(person, sl)] = Person.from_text(text)
    assert person == Person(name="Ann", age=30, nicknames=["A", "Annie"])
    assert text[sl].startswith("<person")
    assert text[sl].endswith("</person>")


def test_ensure_valid_single_attr() -> None:
    with pytest.raises(ValueError, match="Model 'OnlyAttr' has a single attr\\(\\) field"):
        OnlyAttr.from_text('<only-attr name="x"></only-attr>')


def test_one_from_text() -> None:
    text = "<answer>a</answer> <answer>longest</answer> <answer>bb</answer>"
    model, sl = Answer.one_from_text(text)
    assert model.content == "longest"
    assert text[sl] == "<answer>longest</answer>"
    assert Answer.one_from_text("<answer>x</answer>", fail_on_many=True)[0].content == "x"
    with pytest.raises(MultipleModelsError, match=r"Expected one 'answer' \(Answer\).*found 3"):
        Answer.one_from_text(text, fail_on_many=True)


def test_make_primitive() -> None:
    score_model = make_primitive("Score", int)
    assert score_model.__xml_tag__ == "score"
    assert score_model.is_simple()
    assert score_model.from_text("<score> 7 </score>")[0][0].content == 7
    assert make_primitive("Score", int) is score_model

    def no_bad(value: str) -> str | None:
        if "bad" in value:
            raise ValueError("bad content")
        return value.upper() if value.startswith("up:") else None

    note_model: type[Primitive[str]] = make_primitive(
        "Note", tag="n", doc="A note.", validator=no_bad, strip_content=False
    )
    assert note_model.__doc__ == "A note."
    assert note_model(content=" keep ").content == " keep "
    assert note_model(content="up:x").content == "UP:X"
    with pytest.raises(ValidationError, match="bad content"):
        note_model(content="bad")
    assert issubclass(note_model, Primitive)


def test_primitive_strips_text() -> None:
    assert Primitive[str](content="  x ").content == "x"
    assert Primitive[int](content=" 3 ").content == 3  # type: ignore[arg-type]


@pytest.mark.parametrize("model", [Thinking, Question, Answer, Description, Instructions])
def test_simple_stock_models(model: type[Model]) -> None:
    tag = model.__xml_tag__
    [(parsed, _)] = model.from_text(f"x <{tag}>hello</{tag}> y")
    assert parsed.content == "hello"  # type: ignore[attr-defined]
    assert parsed.to_pretty_xml() == f"<{tag}>hello</{tag}>"


def test_error_models() -> None:
    assert ErrorModel.__xml_tag__ == "error"
    assert SystemErrorModel.__xml_tag__ == "system-error"
    assert ValidationErrorModel.__xml_tag__ == "validation-error"
    assert ErrorModel(content=ValueError("boom")).content == "boom"  # type: ignore[arg-type]
    assert SystemErrorModel(content="x").to_pretty_xml() == "<system-error>x</system-error>"
    assert (
        ValidationErrorModel.from_text("<validation-error>v</validation-error>")[0][0].content
        == "v"
    )


def test_question_answer() -> None:
    qa = QuestionAnswer(question=Question(content="q"), answer=Answer(content="a"))
    assert qa.to_pretty_xml() == (
        "<question-answer>\n  <question>q</question>\n  <answer>a</answer>\n</question-answer>"
    )
    [(parsed, _)] = QuestionAnswer.from_text(f"noise {qa.to_pretty_xml()} noise")
    assert parsed == qa


def test_delimited_answers() -> None:
    assert DelimitedAnswer(content="a, b, 'c'").items == ["a", "b", "c"]
    assert DelimitedAnswer(content="a-b-c, d").items == ["a", "b", "c, d"]
    assert DelimitedAnswer(content="a | b").items == ["a", "b"]
    assert CommaDelimitedAnswer(content="single").items == ["single"]
    assert CommaDelimitedAnswer(content="a-b, c").items == ["a-b", "c"]
    assert NewlineDelimitedAnswer(content="one\ntwo, 2\n\n").items == ["one", "two, 2"]
    with pytest.raises(ValidationError, match="content must be text, got int"):
        DelimitedAnswer(content=3)  # type: ignore[arg-type]
    [(parsed, _)] = CommaDelimitedAnswer.from_text(
        "<comma-delimited-answer>x, y</comma-delimited-answer>"
    )
    assert parsed.items == ["x", "y"]


@pytest.mark.parametrize(
    ("text", "value"),
    [(" Yes ", True), ("TRUE!", True), ("no way", False), ("False", False)],
)
def test_yes_no_answer_parses(text: str, value: bool) -> None:
    [(parsed, _)] = YesNoAnswer.from_text(f"<yes-no-answer>{text}</yes-no-answer>")
    assert parsed.boolean is value


def test_yes_no_answer_rejects_and_serializes() -> None:
    with pytest.raises(ValidationError, match="expected yes/no or true/false, got 'maybe'"):
        YesNoAnswer.from_text("<yes-no-answer>maybe</yes-no-answer>")
    assert YesNoAnswer(boolean=True).boolean is True
    assert YesNoAnswer(boolean=False).to_pretty_xml() == "<yes-no-answer>no</yes-no-answer>"
    assert YesNoAnswer(boolean=True).model_dump() == {"boolean": "yes"}


def test_top_level_exports() -> None:
    assert rg.Model is Model
    assert rg.attr is attr
    assert rg.element is element
    assert rg.wrapped is wrapped
