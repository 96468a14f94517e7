"""Primitive models and the ready-made models of 2.3 (Answer, Question, YesNoAnswer, …)."""

from __future__ import annotations

import typing as t

from pydantic import (
    BeforeValidator,
    create_model,
    field_serializer,
    field_validator,
)
from pydantic_xml import element

from rigging._model.base import Model
from rigging.error import _safe_str
from rigging.util import to_xml_tag

__all__ = [
    "Answer",
    "CommaDelimitedAnswer",
    "DelimitedAnswer",
    "Description",
    "ErrorModel",
    "Instructions",
    "NewlineDelimitedAnswer",
    "Primitive",
    "PrimitiveT",
    "Question",
    "QuestionAnswer",
    "SystemErrorModel",
    "Thinking",
    "ValidationErrorModel",
    "YesNoAnswer",
    "make_primitive",
]

PrimitiveT = t.TypeVar("PrimitiveT", int, str, float, bool)
"""The type of a `Primitive`'s content."""


def _strip(value: t.Any) -> t.Any:
    return value.strip() if isinstance(value, str) else value


class Primitive(Model, t.Generic[PrimitiveT]):
    """A model of one value between its tags; surrounding whitespace of text input is removed."""

    content: t.Annotated[PrimitiveT, BeforeValidator(_strip)]
    """The value."""


_PRIMITIVES: dict[tuple[t.Any, ...], t.Any] = {}


@t.overload
def make_primitive(
    name: str,
    *,
    tag: str | None = None,
    doc: str | None = None,
    validator: t.Callable[[str], str | None] | None = None,
    strip_content: bool = True,
) -> type[Primitive[str]]: ...
@t.overload
def make_primitive(
    name: str,
    type_: type[PrimitiveT],
    *,
    tag: str | None = None,
    doc: str | None = None,
    validator: t.Callable[[str], str | None] | None = None,
    strip_content: bool = True,
) -> type[Primitive[PrimitiveT]]: ...
def make_primitive(
    name: str,
    type_: type[t.Any] = str,
    *,
    tag: str | None = None,
    doc: str | None = None,
    validator: t.Callable[[str], str | None] | None = None,
    strip_content: bool = True,
) -> type[Primitive[t.Any]]:
    """Create a `Primitive` model class with a single ``content`` field.

    Classes are cached: the same arguments give the same class, so calling this per parse does
    not build a new pydantic class each time.

    Args:
        name: The class name.
        type_: The type of ``content`` (``int``, ``str``, ``float`` or ``bool``).
        tag: The tag; derived from ``name`` when omitted.
        doc: The class docstring.
        validator: Called with the content; its return value replaces the content, ``None``
            keeps it, raising rejects it.
        strip_content: Remove surrounding whitespace of text input.

    Returns:
        The model class.
    """
    key = (name, type_, tag, doc, validator, strip_content)
    cached = _PRIMITIVES.get(key)
    if cached is not None:
        return t.cast("type[Primitive[t.Any]]", cached)

    def check(cls: type, value: t.Any) -> t.Any:
        del cls
        if validator is None:
            return value
        replaced = validator(value)
        return value if replaced is None else replaced

    annotation: t.Any = t.Annotated[type_, BeforeValidator(_strip)] if strip_content else type_
    base: t.Any = Primitive[type_]  # type: ignore[valid-type]
    validators: dict[str, t.Any] = {
        "content_validator": field_validator("content")(classmethod(check))
    }
    created = t.cast(
        "type[Primitive[t.Any]]",
        create_model(
            name,
            __base__=base,
            __doc__=doc,
            __cls_kwargs__={"tag": tag or to_xml_tag(name)},
            __validators__=validators,
            content=(annotation, ...),
        ),
    )
    _PRIMITIVES[key] = created
    return created


class ErrorModel(Model, tag="error"):
    """An error message, e.g. fed back to a language model; built from a str or an exception."""

    content: str
    """The error text."""

    @field_validator("content", mode="before")
    @classmethod
    def _from_exception(cls, value: t.Any) -> t.Any:
        return _safe_str(value) if isinstance(value, Exception) else value


class SystemErrorModel(ErrorModel, tag="system-error"):
    """A parse or tool failure reported back to a language model."""


class ValidationErrorModel(ErrorModel, tag="validation-error"):
    """A validation failure reported back to a language model."""


class Thinking(Model):
    """Free-form reasoning (``<thinking>``)."""

    content: str
    """The text."""


class Question(Model):
    """A question (``<question>``)."""

    content: str
    """The text."""


class Answer(Model):
    """An answer (``<answer>``)."""

    content: str
    """The text."""


class QuestionAnswer(Model):
    """A question and its answer (``<question-answer>``)."""

    question: Question = element()
    """The question."""
    answer: Answer = element()
    """The answer."""


class Description(Model):
    """A description (``<description>``)."""

    content: str
    """The text."""


class Instructions(Model):
    """Instructions (``<instructions>``)."""

    content: str
    """The text."""


class DelimitedAnswer(Model):
    """A list written as text, split on the delimiter that occurs most (``, - / |``)."""

    content: str
    """The raw text."""
    _delimiters: t.ClassVar[list[str]] = [",", "-", "/", "|"]

    @field_validator("content", mode="before")
    @classmethod
    def _must_be_text(cls, value: t.Any) -> t.Any:
        if not isinstance(value, str):
            raise ValueError(f"{cls.__name__} content must be text, got {type(value).__name__}")
        return value

    @property
    def items(self) -> list[str]:
        """The pieces of the content.

        Split on the delimiter giving most pieces (the first on ties), each piece stripped of
        whitespace and quotes, empty pieces dropped.
        """
        best = max(self._delimiters, key=self.content.count)
        pieces = (piece.strip(" \"'\t\r\n") for piece in self.content.split(best))
        return [piece for piece in pieces if piece]


class CommaDelimitedAnswer(DelimitedAnswer):
    """A comma-separated list; text without commas is a one-item list."""

    _delimiters: t.ClassVar[list[str]] = [","]


class NewlineDelimitedAnswer(DelimitedAnswer):
    """One item per line."""

    _delimiters: t.ClassVar[list[str]] = ["\n"]


class YesNoAnswer(Model):
    """A yes/no answer: text starting with yes/true or no/false (any case) or a real bool."""

    boolean: bool
    """The answer."""

    @field_validator("boolean", mode="before")
    @classmethod
    def _parse(cls, value: t.Any) -> bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            if text.startswith(("yes", "true")):
                return True
            if text.startswith(("no", "false")):
                return False
        raise ValueError(f"expected yes/no or true/false, got {value!r}")

    @field_serializer("boolean")
    def _dump(self, value: bool) -> str:
        return "yes" if value else "no"
