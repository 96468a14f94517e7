"""Building results without re-validation, for the run loop's hot path.

Inputs of a run are already validated objects, so results are assembled the way pydantic's
`model_construct` does, minus its per-field default and alias handling (which costs more
than the rest of the per-chat work).
"""

from __future__ import annotations

import typing as t

from pydantic import BaseModel

__all__ = ["construct"]

ModelT = t.TypeVar("ModelT", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__


def construct(cls: type[ModelT], values: dict[str, t.Any]) -> ModelT:
    """An instance of `cls` from `values`, which must hold every field (no validation).

    Args:
        cls: A pydantic model without extra fields or private attributes.
        values: One value per field.

    Returns:
        The instance (equal to ``cls.model_construct(**values)``).
    """
    instance = _new(cls)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", set(values))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance
