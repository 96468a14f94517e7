"""Load JSON text nested deeper than pydantic's JSON parser reads.

pydantic writes JSON up to about 255 nested containers but its parser stops at 200, so a chat
whose metadata was nested 199 to 254 levels dumped fine and could not be loaded back. Text the
parser refuses for depth alone is read by Python's `json` (bounded by the recursion limit,
which is above what pydantic writes) and validated in Python mode.
"""

from __future__ import annotations

import json
import typing as t
from collections.abc import Callable

from pydantic import BaseModel, ValidationError

__all__ = ["load_json"]

ModelT = t.TypeVar("ModelT", bound=BaseModel)


def _too_deep(exc: ValidationError) -> bool:
    errors = exc.errors(include_url=False)
    return (
        len(errors) == 1
        and errors[0]["type"] == "json_invalid"
        and "recursion limit" in str(errors[0].get("msg", ""))
    )


def load_json(
    cls: type[ModelT],
    load: Callable[..., ModelT],
    json_data: str | bytes | bytearray,
    **kwargs: t.Any,
) -> ModelT:
    """``cls.model_validate_json(json_data, **kwargs)`` that also reads deeply nested text.

    Args:
        cls: The model class.
        load: The parent class's bound ``model_validate_json``.
        json_data: The JSON text.
        **kwargs: ``model_validate_json`` arguments.

    Returns:
        The model.

    Raises:
        pydantic.ValidationError: As ``model_validate_json`` (strict loading never falls back:
            Python mode is stricter about text values there).
    """
    try:
        return load(json_data, **kwargs)
    except ValidationError as exc:
        if kwargs.get("strict") or not _too_deep(exc):
            raise
        error = exc
    try:
        data = json.loads(json_data)
    except (ValueError, RecursionError):
        raise error from None
    return cls.model_validate(data, **kwargs)
