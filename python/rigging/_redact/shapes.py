"""The shapes secrets sit in inside data: containers spelled as text, pairs, schemas."""

from __future__ import annotations

import ast
import json
from typing import Any

from pydantic import BaseModel

from rigging._redact.secret import is_secret_name

_MAX_PARSED = 100_000
"""Longest text searched for a header container as JSON."""
_MAX_LITERAL = 10_000
"""Longest text read as a Python literal (a header container's ``repr``)."""


def _container(text: str) -> dict[Any, Any] | list[Any] | None:
    """The dict or list a string spells as JSON or as a Python literal, or None.

    Header containers arrive as text too (``'{"Authorization": ...}'``, a JSON array of
    pairs, a ``repr`` of a dict, JSON with a trailing comma).
    """
    stripped = text.strip()
    if len(stripped) > _MAX_PARSED or not (
        (stripped.startswith("{") and stripped.endswith("}"))
        or (stripped.startswith("[") and stripped.endswith("]"))
    ):
        return None
    value: Any
    try:
        value = json.loads(stripped)
    except RecursionError:  # nested too deeply to be a header container
        return None
    except ValueError:
        if len(stripped) > _MAX_LITERAL:
            return None
        try:
            value = ast.literal_eval(stripped)
        except Exception:  # any malformed or too deeply nested text is no container
            return None
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, dict | list) or not _shallow(value):
        return None
    return value


_MAX_NESTING = 32
"""Containers nested deeper than this are no header container (and the walks recurse)."""


def _shallow(value: Any) -> bool:
    """Whether `value` nests dicts and lists at most `_MAX_NESTING` deep.

    Walked without recursion: Python 3.13's JSON parser reads 5000 nested brackets without
    complaint, and the redaction walks would then exceed the recursion limit.
    """
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > _MAX_NESTING:
            return False
        children = node.values() if isinstance(node, dict) else node
        pending.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list | tuple)
        )
    return True


def _secret_pair(item: Any) -> bool:
    """Whether `item` is a ``(name, value)`` pair under a secret name (a header in a list)."""
    return (
        isinstance(item, list | tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and is_secret_name(item[0])
    )


_SCHEMA_VALUES = frozenset({"default", "const", "enum", "examples", "example"})
"""The keywords of a JSON schema that hold values (a property's default, allowed values)."""
_SCHEMA_NAMES = frozenset({"properties", "patternProperties", "$defs", "definitions"})
"""The keywords of a JSON schema whose keys are names (of parameters or definitions)."""


def _plain(value: Any) -> Any:
    """`value` with pydantic models dumped to JSON-like data (tool definitions)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value
