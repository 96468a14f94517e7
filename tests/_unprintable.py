"""Validator errors pydantic-core cannot print: it raises their ``__str__`` failure instead."""

from __future__ import annotations


class UnprintableValueError(ValueError):
    """Its text cannot be built: ``__str__`` raises a `RuntimeError`."""

    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


class NotTextValueError(ValueError):
    """Its ``__str__`` returns no str (an int)."""

    def __str__(self) -> str:
        return 42  # type: ignore[return-value]
