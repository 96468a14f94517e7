import random
import sys
from pathlib import Path
from typing import Any, cast

import pytest
from pydantic import ValidationError, field_validator

from rigging._native import Span
from rigging.message import Message
from rigging.model import Answer, Model, Question, QuestionAnswer, Thinking, YesNoAnswer
from rigging.parsing import try_parse_many
from rigging.stream import ModelStream, ParsedModel

sys.path.insert(0, str(Path(__file__).parent.parent / "benches"))
from corpus import MB, make_corpus


class Tagged(Model, tag="tagged"):
    content: str


def feed_all(stream: ModelStream[Any], pieces: list[str]) -> list[tuple[int, ParsedModel[Model]]]:
    """Every emitted model with the number of the piece that emitted it (len(pieces) = finish)."""
    out = [(k, found) for k, piece in enumerate(pieces) for found in stream.feed(piece)]
    return out + [(len(pieces), found) for found in stream.finish()]


def key(model: Model, where: slice) -> tuple[int, int, str, str]:
    return (where.start, where.stop, type(model).__name__, model.model_dump_json())


def one_shot(text: str, *types: type[Model]) -> list[tuple[int, int, str, str]]:
    return sorted(key(m, s) for m, s in try_parse_many(text, *types))


def streamed(pieces: list[str], *types: type[Model]) -> list[tuple[int, int, str, str]]:
    return sorted(key(f.model, f.slice) for _, f in feed_all(ModelStream(*types), pieces))


TEXT = (
    "Thé 東京 🙂 <question a=\"x>y\" b='é'>Why ≤ 2?</question> stray <answer> here "
    "<answer>42 🚀</answer> and <thinking>\nhm <b>bold</b>\n</thinking> end"
)


def test_every_split_position_gives_each_model_once_at_its_closing_piece() -> None:
    expected = one_shot(TEXT, Answer, Question, Thinking)
    assert len(expected) == 3
    for cut in range(len(TEXT) + 1):
        pieces = [TEXT[:cut], TEXT[cut:]]
        emitted = feed_all(ModelStream(Answer, Question, Thinking), pieces)
        assert sorted(key(f.model, f.slice) for _, f in emitted) == expected, cut
        for piece_no, found in emitted:
            closed_in = 0 if found.slice.stop <= cut else 1
            assert piece_no == closed_in, (cut, found)


def test_every_three_way_split_of_a_tag_with_attributes_and_multibyte_text() -> None:
    text = 'é<answer x="a>b">ü🙂</answer>東'
    expected = one_shot(text, Answer)
    for i in range(len(text) + 1):
        for j in range(i, len(text) + 1):
            assert streamed([text[:i], text[i:j], text[j:]], Answer) == expected, (i, j)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 7, 64])
def test_fixed_size_chunks_match_one_shot_parse_on_the_corpus(size: int) -> None:
    text = make_corpus(60_000, seed=size)
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    types = (Answer, Question, Thinking)
    assert streamed(pieces, *types) == one_shot(text, *types)


def test_random_chunks_match_one_shot_parse_on_1mb() -> None:
    text = make_corpus(MB, seed=99)
    rng = random.Random(5)
    pieces, at = [], 0
    while at < len(text):
        step = rng.randint(1, 40)
        pieces.append(text[at : at + step])
        at += step
    types = (Answer, Question, Thinking, QuestionAnswer)
    assert streamed(pieces, *types) == one_shot(text, *types)


def test_nested_same_tag_gives_the_innermost_only() -> None:
    text = "<answer>x <answer>inner</answer> y</answer> <answer>next</answer>"
    found = feed_all(ModelStream(Answer), list(text))
    assert [cast("Answer", f.model).content for _, f in found] == ["inner", "next"]
    assert one_shot(text, Answer) == streamed(list(text), Answer)


def test_self_closing_inside_an_element_does_not_make_it_outer() -> None:
    text = "<answer>a <answer/> b</answer>"
    assert streamed(list(text), Answer) == one_shot(text, Answer)


def test_hollow_elements_wait_for_finish_and_only_without_filled_ones() -> None:
    stream = ModelStream(Answer, Question)
    assert stream.feed("Use <answer></answer> like <question> </question>") == ()
    emitted = stream.feed(" ok <answer>yes</answer>")
    assert [cast("Answer", f.model).content for f in emitted] == ["yes"]
    rest = stream.finish()
    assert [(type(f.model), f.hollow, f.slice) for f in rest] == [(Question, True, slice(27, 49))]


def test_hollow_elements_of_a_filled_type_are_not_kept() -> None:
    """Once every type of a tag is filled, `finish` can give none of its hollow models: an
    echoed example repeated many times costs no memory per element."""
    stream = ModelStream(Answer, Question)
    stream.feed("<answer/> <question/>")
    assert {tag: len(kept or ()) for tag, kept in stream._hollow.items()} == {
        "answer": 5,
        "question": 5,
    }
    stream.feed("<answer>42</answer>")
    assert stream._hollow["answer"] is None
    for _ in range(200):
        assert stream.feed("<answer/><answer> </answer>") == ()
    assert stream._hollow["answer"] is None
    assert [(type(f.model), f.slice) for f in stream.finish()] == [(Question, slice(10, 21))]


def test_hollow_elements_before_any_filled_one_are_kept_compactly() -> None:
    """A flood of echoed `<answer/>` with no answer keeps a few integers per element (a
    built model each would take hundreds of bytes), and `finish` still builds them all."""
    import tracemalloc

    stream = ModelStream(Answer)
    piece = "<answer/>" * 100
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(200):
            assert stream.feed(piece) == ()
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 20_000 * 64, f"{kept / 20_000:.0f} bytes per hollow element"
    found = stream.finish()
    assert len(found) == 20_000
    assert all(f.hollow and f.model.content == "" for f in found)
    assert [f.slice.start for f in found[:3]] == [0, 9, 18]


def test_hollow_elements_of_types_sharing_a_tag_are_kept_until_both_are_filled() -> None:
    class Other(Model, tag="answer"):
        content: str

    stream = ModelStream(Answer, Other, Question)
    stream.feed("<question></question><answer/>")
    assert stream.feed("<answer>x</answer>") != ()  # both types of the tag are filled
    assert stream._hollow["answer"] is None
    assert [type(f.model) for f in stream.finish()] == [Question]


def test_invalid_elements_are_skipped_like_the_one_shot_parse() -> None:
    text = "<yes-no-answer>maybe</yes-no-answer> <yes-no-answer>yes</yes-no-answer>"
    found = feed_all(ModelStream(YesNoAnswer), [text[:20], text[20:]])
    assert [(k, cast("YesNoAnswer", f.model).boolean) for k, f in found] == [(1, True)]
    with pytest.raises(ValidationError):
        YesNoAnswer.from_text(text[:37])


def test_xml_models_and_entity_declarations() -> None:
    text = (
        "<question-answer><question>q &amp; a</question><answer>1 &lt; 2</answer></question-answer>"
        '<question-answer><!DOCTYPE x [<!ENTITY e "boom">]><question>&e;</question>'
        "<answer>x</answer></question-answer>"
    )
    found = feed_all(ModelStream(QuestionAnswer), list(text))
    assert len(found) == 1
    model = found[0][1].model
    assert isinstance(model, QuestionAnswer)
    assert model.question.content == "q & a"
    assert model.answer.content == "1 < 2"
    assert streamed(list(text), QuestionAnswer) == one_shot(text, QuestionAnswer)


def test_types_sharing_a_tag_both_get_the_element() -> None:
    class Other(Model, tag="answer"):
        content: str

    found = feed_all(ModelStream(Answer, Other), ["<answer>", "v</answer>"])
    assert sorted(type(f.model).__name__ for _, f in found) == ["Answer", "Other"]


def test_complete_and_parsed_types() -> None:
    stream = ModelStream(Answer, Question, Answer)
    assert stream.types == (Answer, Question)
    stream.feed("<answer>1</answer>")
    assert not stream.complete()
    assert stream.parsed_types == {Answer}
    stream.feed("<question>2</question>")
    assert stream.complete()
    assert stream.text == "<answer>1</answer><question>2</question>"


def test_text_keeps_pieces_not_yet_scanned() -> None:
    stream = ModelStream(Tagged)
    stream.feed("no close yet ")
    stream.feed("<tagged")
    assert stream.text == "no close yet <tagged"
    assert stream.finish() == []


def test_errors() -> None:
    with pytest.raises(ValueError, match="ModelStream needs at least one model type"):
        ModelStream()

    class OnlyAttr(Model):
        value: str = __import__("rigging.model", fromlist=["attr"]).attr()

    with pytest.raises(ValueError, match="Model 'OnlyAttr' has a single attr\\(\\) field"):
        ModelStream(OnlyAttr)
    for wrong in (int, "answer", Answer(content="x")):
        with pytest.raises(ValueError, match="ModelStream parses Model classes, not"):
            ModelStream(Answer, wrong)  # type: ignore[arg-type, type-var]
    stream = ModelStream(Answer)
    stream.finish()
    with pytest.raises(RuntimeError, match="this ModelStream is finished; create a new one"):
        stream.feed("x")
    with pytest.raises(RuntimeError, match="this ModelStream is finished; create a new one"):
        stream.feed("x>")
    with pytest.raises(RuntimeError, match="this ModelStream is already finished"):
        stream.finish()


class Fragile(Model, tag="item"):
    """A model whose own validator has a bug: it raises `KeyError` (or an interrupt) on some
    values, which pydantic does not turn into a validation error."""

    content: str

    @field_validator("content")
    @classmethod
    def _buggy(cls, value: str) -> str:
        if value == "bug":
            raise KeyError(value)
        if value == "stop":
            raise KeyboardInterrupt
        return value


def contents(found: Any) -> list[str]:
    return [f.model.content for f in found]


def test_an_element_whose_validator_raises_is_skipped_as_an_invalid_one() -> None:
    """pydantic lets such errors through (a validator's `KeyError`, or its own error for a
    validator error it cannot print): the element failed, as an invalid one, and the
    ``try_`` parses skip it too."""
    stream = ModelStream(Fragile)
    piece = "<item>a</item><item>bug</item><item>b</item><item>bug</item><item>c</item>"
    assert contents(stream.feed(piece)) == ["a", "b", "c"]
    assert stream.parsed_types == {Fragile}
    assert contents(stream.feed("<item>d</item><item>bug</item>")) == ["d"]
    assert contents(stream.finish()) == []
    assert [m.content for m in Message("assistant", piece).try_parse_set(Fragile)] == [
        "a",
        "b",
        "c",
    ]


def test_an_interrupt_in_a_validator_goes_up_at_once_and_later_elements_are_kept() -> None:
    stream = ModelStream(Fragile)
    with pytest.raises(KeyboardInterrupt):
        stream.feed("<item>a</item><item>stop</item><item>b</item><item>c</item>")
    # The element being built when interrupted is lost; the ones after it are built by the
    # next call, even one that completes no element, after the one built before.
    assert contents(stream.feed("<it")) == ["a", "b", "c"]
    with pytest.raises(KeyboardInterrupt):
        stream.feed("em>stop</item><item>d</item><item>bug</item><item>e</item>")
    # `finish` builds the held spans (the one whose validator raises is skipped).
    assert contents(stream.finish()) == ["d", "e"]
    with pytest.raises(RuntimeError, match="already finished"):
        stream.finish()


class FragileHollow(Model, tag="h"):
    """Its validator has a bug on blank contents: only `finish` builds those."""

    content: str

    @field_validator("content")
    @classmethod
    def _buggy(cls, value: str) -> str:
        if value == " ":
            raise KeyError("blank")
        if value == "  ":
            raise KeyboardInterrupt
        return value


def test_finish_skips_a_hollow_element_whose_validator_raises() -> None:
    stream = ModelStream(Fragile, FragileHollow)
    stream.feed("<item/> <h> </h> <h/>")
    found = stream.finish()
    assert [(type(f.model).__name__, f.slice.start, f.hollow) for f in found] == [
        ("Fragile", 0, True),
        ("FragileHollow", 17, True),
    ]
    with pytest.raises(RuntimeError, match="finished"):
        stream.feed("<item>late</item>")
    with pytest.raises(RuntimeError, match="already finished"):
        stream.finish()


def test_an_interrupt_in_finish_drops_that_element_and_the_next_call_goes_on() -> None:
    stream = ModelStream(FragileHollow)
    stream.feed("<h/> <h>  </h> <h/>")
    with pytest.raises(KeyboardInterrupt):
        stream.finish()
    assert [f.slice.start for f in stream.finish()] == [0, 15]


def test_a_validator_bug_in_one_type_leaves_another_type_of_the_tag() -> None:
    class Plain(Model, tag="item"):
        content: str

    stream = ModelStream(Fragile, Plain)
    found = stream.feed("<item>bug</item>")
    assert [(type(f.model).__name__, cast("Plain", f.model).content) for f in found] == [
        ("Plain", "bug")
    ]
    assert stream.finish() == []


def test_text_stream_slices_refuse_ranges_outside_what_was_fed() -> None:
    from rigging import _native

    stream = _native.TextStream(["a"])
    stream.feed("é<a>x</a>")
    assert stream.slice(1, 9) == "<a>x</a>"
    for start, end in ((-1, 2), (0, -1), (3, 2), (0, 10), (-(2**40), 2)):
        with pytest.raises(ValueError, match=f"slice {start}:{end} is not within the 9 code"):
            stream.slice(start, end)


def test_linear_on_adversarial_input() -> None:
    # 200k unclosed starts then one element, fed one character at a time.
    text = "<answer>" * 20_000 + "<answer>end</answer>"
    found = feed_all(ModelStream(Answer), list(text))
    assert [cast("Answer", f.model).content for _, f in found] == ["end"]


def test_docstring_examples_run() -> None:
    import doctest

    import rigging._model.stream
    import rigging.stream

    for module in (rigging.stream, rigging._model.stream):
        result = doctest.testmod(module)
        assert result.attempted > 0
        assert result.failed == 0


class CountingStream(ModelStream[Model]):
    """Counts the Python side's work: span batches, spans, and the characters it slices."""

    def __init__(self, *types: type[Model]) -> None:
        self.batches = 0
        self.spans = 0
        self.sliced: list[int] = []
        super().__init__(*types)
        native = self._text
        sliced = self.sliced

        class Counting:
            text = property(lambda _: native.text)

            def slice(self, start: int, end: int) -> str:
                sliced.append(end - start)
                return native.slice(start, end)

            def finish(self) -> list[Span]:
                return native.finish()

        self._text = Counting()  # type: ignore[assignment]

    def _on_spans(self, spans: tuple[Span, ...]) -> tuple[ParsedModel[Model], ...]:
        self.batches += 1
        self.spans += len(spans)
        return super()._on_spans(spans)


@pytest.mark.parametrize("size", [1, 4, 33])
def test_python_is_called_only_for_pieces_that_close_and_slices_each_element_once(
    size: int,
) -> None:
    text = make_corpus(50_000, seed=3) + "<answer>" * 5_000 + "<answer>" + "x" * 10_000
    pieces = [text[i : i + size] for i in range(0, len(text), size)]
    stream = CountingStream(Answer, Question)
    found = feed_all(stream, pieces)
    assert stream.text == text
    assert 0 < stream.batches <= sum(">" in p for p in pieces)
    # At most one slice per closed element, and candidates do not overlap here.
    assert len(found) <= len(stream.sliced) <= stream.spans
    assert sum(stream.sliced) <= len(text)


def test_non_str_pieces_are_refused() -> None:
    stream = ModelStream(Answer)
    with pytest.raises(TypeError, match="chunk must be str, not bytes"):
        stream.feed(b"<answer>x</answer>")  # type: ignore[arg-type]
    assert [found.model.content for found in stream.feed("<answer>x</answer>")] == ["x"]


def test_a_dropped_stream_is_collected() -> None:
    import gc
    import weakref

    stream = ModelStream(Answer)
    stream.feed("<answer>x</answer> <answer>open")
    ref = weakref.ref(stream)
    del stream
    gc.collect()
    assert ref() is None
