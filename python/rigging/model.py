"""Structured output models: the `Model` base class, primitives and ready-made models.

Public facade over ``rigging._model``. ``attr``, ``element`` and ``wrapped`` are pydantic-xml's
field helpers. Parsing rules and the choices made against 2.3 are listed in
``docs/design/decisions-messages.md``.
"""

from __future__ import annotations

import importlib
import typing as t

from pydantic_xml import attr, element, wrapped

from rigging._exports import public_dir as _public_dir
from rigging._model.base import BASIC_TYPES, Model, ModelT, XmlTagDescriptor

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

# The ready-made models are built on first access: fourteen pydantic-xml classes are a good
# part of `import rigging` (see docs/design/decisions-foundation.md).
_STOCK = frozenset(name for name in __all__ if name not in globals())

if t.TYPE_CHECKING:
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


def __getattr__(name: str) -> object:
    """Load the ready-made models on first access."""
    if name in _STOCK:
        value = getattr(importlib.import_module("rigging._model.stock"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'rigging.model' has no attribute {name!r}")


__dir__ = _public_dir(globals())
