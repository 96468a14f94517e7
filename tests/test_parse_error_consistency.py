"""Every parse entry point takes an error raised while validating as the element's failure.

pydantic-core raises a validator error's own ``__str__`` failure in its place (a
`RuntimeError`, a `KeyError`, a `TypeError` for a non-str), and a validator's error other
than `ValueError`/`AssertionError` as it is. The strict forms raise a `ValidatorRaisedError`
(a `RiggingError` and `ValueError`, like the other parse failures) naming the class and the
original error's type; the ``try_`` forms and `ModelStream` skip the element as an invalid
one. Interrupts propagate.
"""

from __future__ import annotations

import copy
import pickle
import typing as t

import pytest
from _unprintable import NotTextValueError, UnprintableValueError
from pydantic import field_validator, model_validator

import rigging as rg
from rigging import parsing
from rigging.error import RiggingError, ValidatorRaisedError
from rigging.model import Model, element
from rigging.stream import ModelStream

# What the validator raises -> the type pydantic lets through, as the error names it.
KINDS = [
    (UnprintableValueError, "RuntimeError: no text for this error"),
    (NotTextValueError, "TypeError: __str__ returned non-string (type int)"),
    (KeyError, "KeyError: 'bad'"),
]

raising: type[Exception] = UnprintableValueError


def _check(value: int) -> int:
    if value < 0:
        raise raising("bad")
    if value == 99:
        raise KeyboardInterrupt
    return value


class Score(Model):
    """Simple: read from the inner text."""

    value: int

    _v = field_validator("value")(classmethod(lambda cls, v: _check(v)))


class Item(Model):
    """Planned: read by the native codec."""

    name: str = element()
    value: int = element()

    _v = field_validator("value")(classmethod(lambda cls, v: _check(v)))


class Other(Model):
    content: str


class Holder(Model):
    """No plan (a before model validator over nested models): read by pydantic-xml."""

    item: Item = element()

    @model_validator(mode="before")
    @classmethod
    def _same(cls, data: t.Any) -> t.Any:
        return data


def _text(cls: type[Model], value: int, tail: str = "") -> str:
    if cls is Score:
        return f"<score>{value}</score>{tail}"
    inner = f"<item><name>n{tail}</name><value>{value}</value></item>"
    return inner if cls is Item else f"<holder>{inner}</holder>"


CLASSES = [Score, Item, Holder]
SURROGATE = "\ud83d"  # a lone surrogate sends parsing one element at a time in Python


@pytest.fixture(params=KINDS, ids=[k[0].__name__ for k in KINDS])
def kind(request: pytest.FixtureRequest) -> t.Iterator[str]:
    global raising
    raising, named = request.param
    yield named
    raising = UnprintableValueError


def test_the_classes_take_the_three_reading_paths() -> None:
    assert Score.is_simple()
    assert Item.codec_fallback_reason() is None
    assert Holder.codec_fallback_reason() is not None


def _strict(cls: type[Model], text: str) -> list[t.Callable[[], object]]:
    def message() -> rg.Message:  # a fresh one per call
        return rg.Message("assistant", text)

    return [
        lambda: message().parse(cls),
        lambda: message().parse_set(cls),
        lambda: message().parse_many(cls),
        lambda: message().try_parse_many(cls, fail_on_missing=True),
        lambda: parsing.parse(text, cls),
        lambda: parsing.parse_set(text, cls),
        lambda: parsing.parse_many(text, cls),
        lambda: parsing.try_parse_set(text, cls, fail_on_missing=True),
        lambda: cls.from_text(text),
        lambda: cls.one_from_text(text),
    ]


def _lenient(cls: type[Model], text: str) -> list[t.Callable[[], t.Any]]:
    def streamed() -> list[Model]:
        stream = ModelStream(cls)
        return [p.model for p in (*stream.feed(text), *stream.finish())]

    return [
        lambda: rg.Message("assistant", text).try_parse(cls),
        lambda: rg.Message("assistant", text).try_parse_set(cls),
        lambda: rg.Message("assistant", text).try_parse_many(cls),
        lambda: parsing.try_parse(text, cls),
        lambda: parsing.try_parse_set(text, cls),
        lambda: parsing.try_parse_many(text, cls),
        streamed,
    ]


@pytest.mark.parametrize("tail", ["", SURROGATE], ids=["native", "surrogate"])
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_strict_forms_raise_a_rigging_error_naming_the_class_and_type(
    kind: str, cls: type[Model], tail: str
) -> None:
    text = _text(cls, -1, tail)
    for parse in _strict(cls, text):
        with pytest.raises(ValidatorRaisedError) as info:
            parse()
        error = info.value
        assert isinstance(error, RiggingError)
        assert isinstance(error, ValueError)
        assert f"raised {kind}" in str(error)
        tag = cls.xml_start_tag()
        assert str(error).startswith(f"validating {cls.__name__} in {tag} at 0: ")
        assert error.raised == kind
        assert error.__cause__ is not None
        assert type(error.__cause__).__name__ == kind.split(":")[0]


@pytest.mark.parametrize("tail", ["", SURROGATE], ids=["native", "surrogate"])
@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_try_forms_skip_the_element_as_an_invalid_one(
    kind: str, cls: type[Model], tail: str
) -> None:
    text = _text(cls, -1, tail)
    for parse in _lenient(cls, text):
        assert parse() in (None, []), parse
    both = _text(cls, -1, tail) + " " + _text(cls, 2, tail)
    for parse in [*_strict(cls, both), *_lenient(cls, both)]:
        got = parse()
        assert got, parse
        assert "value=2" in repr(got)


def test_one_types_raised_error_costs_no_other_type_its_models(kind: str) -> None:
    text = "<score>-1</score> <other>fine</other>"
    assert rg.Message("assistant", text).try_parse_many(Score, Other) == [Other(content="fine")]
    assert [m for m, _ in parsing.try_parse_many(text, Score, Other)] == [Other(content="fine")]
    with pytest.raises(ValidatorRaisedError, match="validating Score in <score> at 0"):
        parsing.parse_many(text, Other, Score)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_an_interrupt_still_propagates_from_every_form(cls: type[Model]) -> None:
    text = _text(cls, 99)
    for parse in [*_strict(cls, text), *_lenient(cls, text)]:
        with pytest.raises(KeyboardInterrupt):
            parse()


def test_the_error_survives_copy_and_pickle() -> None:
    with pytest.raises(ValidatorRaisedError) as info:
        parsing.parse("<score>-1</score>", Score)
    error = info.value
    for copied in (copy.copy(error), copy.deepcopy(error), pickle.loads(pickle.dumps(error))):
        assert type(copied) is ValidatorRaisedError
        assert str(copied) == str(error)
        assert (copied.model, copied.tag, copied.position, copied.raised) == (
            "Score",
            "score",
            0,
            "RuntimeError: no text for this error",
        )
        assert copied.snippet == "<score>-1</score>"


def test_a_class_not_fully_defined_is_the_class_s_error_not_an_element_s() -> None:
    class Report(Model, tag="report"):
        finding: NotDefinedYet = element()  # type: ignore[name-defined]  # noqa: F821

    text = "<report><finding><text>a</text></finding></report>"
    calls: list[t.Callable[[], object]] = [
        lambda: parsing.parse(text, Report),
        lambda: parsing.try_parse(text, Report),
        lambda: rg.Message("assistant", text).try_parse(Report),
        lambda: ModelStream(Report).feed(text),
    ]
    for call in calls:
        with pytest.raises(TypeError, match="Report is not fully defined"):
            call()
