"""An error whose text cannot be built fails only its own item, with a message naming its type.

Every path here meets an exception from user code, a provider, a store or the OS whose
``__str__`` raises (or gives no str). Turning it into text must not raise a second,
unrelated error that fails the whole run or loses the other items' results.
"""

from __future__ import annotations

import typing as t

import pytest

from rigging._model.stock import SystemErrorModel
from rigging.error import _safe_str
from rigging.generator.testing import EchoGenerator

BROKEN = "<the error's text could not be built>"


class UnprintableError(Exception):
    """An error whose text cannot be built."""

    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


class UnprintableValueError(ValueError):
    """A `ValueError` whose text cannot be built."""

    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


class NotTextError(Exception):
    """An error whose ``__str__`` gives no str."""

    def __str__(self) -> str:
        return 42  # type: ignore[return-value]


class Shouting(str):
    """A str subclass whose own methods raise."""

    def upper(self) -> str:
        raise RuntimeError("not this one")


class SubclassTextError(Exception):
    def __str__(self) -> str:
        return Shouting("quiet text")


# --- the helper itself ------------------------------------------------------------------------


def test_safe_str_names_the_type_when_the_text_cannot_be_built() -> None:
    assert _safe_str(UnprintableError()) == "UnprintableError"
    assert _safe_str(NotTextError()) == "NotTextError"
    assert _safe_str(UnprintableError(), named=True) == f"UnprintableError: {BROKEN}"
    assert _safe_str(NotTextError(), named=True) == f"NotTextError: {BROKEN}"
    assert _safe_str(ValueError("bad value"), named=True) == "ValueError: bad value"
    assert _safe_str(ValueError("bad value")) == "bad value"
    assert _safe_str(ValueError(), named=True) == "ValueError"
    assert _safe_str(ValueError()) == ""  # as before: an empty text stays empty
    text = _safe_str(SubclassTextError())
    assert type(text) is str
    assert text.upper() == "QUIET TEXT"


def test_an_error_model_built_from_an_unprintable_error_names_its_type() -> None:
    assert SystemErrorModel(content=UnprintableError()).content == "UnprintableError"  # type: ignore[arg-type]


# --- tools ------------------------------------------------------------------------------------


def explode() -> t.Any:
    raise UnprintableError()


class Schemaless:
    @classmethod
    def __get_pydantic_core_schema__(cls, source: t.Any, handler: t.Any) -> t.Any:
        raise UnprintableError()


def test_a_tool_whose_type_hints_raise_an_unprintable_error_is_refused_by_name() -> None:
    def lookup(key: str) -> str:
        """Look a key up."""
        return key

    lookup.__annotations__ = {"key": "explode()", "return": "str"}
    with pytest.raises(TypeError) as got:
        EchoGenerator().chat().using(lookup)
    assert (
        str(got.value)
        == f"tool 'lookup': cannot resolve the type hints: UnprintableError: {BROKEN}"
    )


def test_a_tool_whose_argument_type_raises_an_unprintable_error_is_refused_by_name() -> None:
    def lookup(key: Schemaless) -> str:
        """Look a key up."""
        return ""

    with pytest.raises(TypeError) as got:
        EchoGenerator().chat().using(lookup)
    assert (
        str(got.value) == f"tool 'lookup': unsupported argument types: UnprintableError: {BROKEN}"
    )
