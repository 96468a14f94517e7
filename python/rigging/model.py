"""Structured output models: the `Model` base class, primitives and ready-made models.

Public facade over ``rigging._model``. ``attr``, ``element`` and ``wrapped`` are pydantic-xml's
field helpers. Parsing rules and the choices made against 2.3 are listed in
``docs/decisions-messages.md``.
"""

from __future__ import annotations

from pydantic_xml import attr, element, wrapped

from rigging._model.base import BASIC_TYPES, Model, ModelT, XmlTagDescriptor
from rigging._model.stock import (
    Answer,
    CommaDelimitedAnswer,
    DelimitedAnswer,
    Description,
    ErrorModel,
    Instructions,
    NewlineDelimitedAnswer,
    Primitive,
    PrimitiveT,
    Question,
    QuestionAnswer,
    SystemErrorModel,
    Thinking,
    ValidationErrorModel,
    YesNoAnswer,
    make_primitive,
)

__all__ = [
    "BASIC_TYPES",
    "Answer",
    "CommaDelimitedAnswer",
    "DelimitedAnswer",
    "Description",
    "ErrorModel",
    "Instructions",
    "Model",
    "ModelT",
    "NewlineDelimitedAnswer",
    "Primitive",
    "PrimitiveT",
    "Question",
    "QuestionAnswer",
    "SystemErrorModel",
    "Thinking",
    "ValidationErrorModel",
    "XmlTagDescriptor",
    "YesNoAnswer",
    "attr",
    "element",
    "make_primitive",
    "wrapped",
]
