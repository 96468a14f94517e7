"""Decoding HTTP spec text (base64 of JSON/YAML, JSON, or YAML) within its limits.

Used by `rigging.generator._http_spec`, which re-exports `load_spec_text`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import yaml  # type: ignore[import-untyped]


def load_spec_text(text: str) -> Any:
    """Decode spec text: base64 of JSON/YAML, JSON, or YAML.

    Args:
        text: The spec text.

    Returns:
        The decoded object (validated as `HTTPSpec` afterwards).

    Raises:
        ValueError: The text is neither JSON nor YAML; the message says so.
    """
    stripped = text.strip()
    try:
        decoded = base64.b64decode(stripped, validate=True).decode("utf-8")
        if decoded.lstrip()[:1] in {"{", "r"}:  # a JSON object or YAML starting with request:
            stripped = decoded
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    try:
        return json.loads(stripped)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    except ValueError:
        pass
    try:
        loaded = yaml.safe_load(stripped)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None
    except yaml.YAMLError as exc:
        # Where and what, never PyYAML's snippet of the text (it may quote a literal secret).
        problem = getattr(exc, "problem", None) or type(exc).__name__
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ValueError(f"spec text is not valid base64, JSON or YAML: {problem}{where}") from None
    _check_expanded(loaded)
    return loaded


_TOO_DEEP = "spec text is nested too deeply to be read"


MAX_SPEC_VALUES = 100_000
"""Most values (containers and scalars) a spec text may expand to."""


def _check_expanded(value: Any) -> None:
    """Refuse YAML whose aliases expand to more than `MAX_SPEC_VALUES` values.

    PyYAML builds an alias as a reference to its anchor's object, so ten lines of anchors,
    each a list of ten aliases to the one before, load at once as 10**10 values that every
    later step (validation, dumps, reprs, rendering) walks one by one. The walk stops at
    the limit.
    """
    pending = [value]
    seen = 0
    while pending:
        node = pending.pop()
        seen += 1
        if seen > MAX_SPEC_VALUES:
            raise ValueError(
                f"spec text expands to more than {MAX_SPEC_VALUES:,} values (YAML aliases "
                "repeat their anchor's value wherever they appear); refused"
            )
        if isinstance(node, dict):
            pending.extend(node.keys())
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
