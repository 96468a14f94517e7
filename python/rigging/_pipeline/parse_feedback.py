"""What a failed parse check (`until_parsed_as`, chat or completion) sends back: why, per type.

With one model type the text is that type's error as the parser gave it. With several, the
parse of all types stops at the first failing one, so each type is parsed again on its own
and the feedback lists every failing type, each named with its class and tag: the model
learns what to fix in one round, not one type per round.
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Sequence

from pydantic import ValidationError

from rigging.error import RiggingError, ValidatorRaisedError, _raised_while, _safe_str
from rigging.parsing import parse_many

__all__ = ["Failure", "parse_failure", "validating"]

Failure = tuple[bool, str]
"""A failed parse check: whether every failure is a pydantic validation error, and the text."""


def validating(types: Sequence[type[t.Any]]) -> str:
    """``validating the reply as A or B``: what a parse check was doing when it failed."""
    return "validating the reply as " + " or ".join(m.__name__ for m in types)


def parse_failure(
    parse: Callable[[], object], text: str, types: Sequence[type[t.Any]]
) -> Failure | None:
    """Run ``parse`` (the check's parse of ``text`` as all ``types``); why it failed, or None.

    Any `Exception` is a failure (a validator's error pydantic let through included); an
    interrupt (a `BaseException` only) propagates.

    Args:
        parse: Parses ``text`` as every type, raising the first failure.
        text: The checked text.
        types: The model types.

    Returns:
        None when ``parse`` worked; else whether every failure is a validation error, and
        the feedback text (not clipped).
    """
    try:
        parse()
    except Exception as exc:
        first = exc
    else:
        return None
    if len(types) > 1:
        each = _each_failure(text, types)
        if each:
            validation = all(isinstance(exc, ValidationError) for _, exc in each)
            return validation, "\n\n".join(
                f"{_named(cls)}: {_describe(exc, [cls])}" for cls, exc in each
            )
    # One type, or types that parse alone and fail together (their elements cross).
    return isinstance(first, ValidationError), _describe(first, types)


def _each_failure(text: str, types: Sequence[type[t.Any]]) -> list[tuple[type[t.Any], Exception]]:
    """The types that fail to parse from ``text`` on their own, with their errors."""
    failures: list[tuple[type[t.Any], Exception]] = []
    for cls in types:
        try:
            parse_many(text, cls)
        except Exception as exc:
            failures.append((cls, exc))
    return failures


def _named(cls: type[t.Any]) -> str:
    """``Answer (<answer>)``: a model type as feedback names it."""
    try:
        return f"{cls.__name__} ({cls.xml_start_tag()})"
    except Exception:  # not a model class after all: its name alone
        return str(cls.__name__)


def _describe(exc: Exception, types: Sequence[type[t.Any]]) -> str:
    """The feedback text of one failure to parse as ``types``."""
    if isinstance(exc, ValidatorRaisedError) or not isinstance(exc, RiggingError | ValueError):
        # Raised while validating, not reported as a validation error: named with its type.
        return _raised_while(validating(types), exc)
    return _safe_str(exc) or type(exc).__name__
