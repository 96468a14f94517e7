"""Copies of values, dumps, reprs and schemas with their secrets masked (or left out)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from rigging._redact.secret import MASK, is_secret_name, reveals
from rigging._redact.shapes import (
    _SCHEMA_NAMES,
    _SCHEMA_VALUES,
    _container,
    _plain,
    _secret_pair,
)
from rigging._redact.text import _mask_header_lines, _mask_json, mask_fragment, mask_urls


def redact_dump(data: Any, context: Any) -> Any:
    """A model's dump with its secrets masked, unless `context` is `REVEAL`."""
    return data if reveals(context) else redact_value(data)


def redact_repr_args(args: Iterable[tuple[str | None, Any]]) -> Iterable[tuple[str | None, Any]]:
    """Pydantic ``__repr_args__`` with secret fields masked and other values redacted."""
    for name, value in args:
        if name is not None and is_secret_name(name):
            yield name, MASK
        elif isinstance(value, str | dict | list | tuple):
            yield name, redact_value(value) if name is None else redact_field(name, value)
        else:
            yield name, value


ENDPOINT_NAMES = frozenset({"api_base", "base_url"})
"""Settings holding the URL requests go to: a fragment there is never sent, so it is taken
for a secret (``https://host/v1#sk-...``); see `mask_fragment`."""


def redact_field(name: Any, value: Any, *, drop: bool = False) -> Any:
    """`redact_value` of a value held under `name`: an endpoint URL's fragment masked too."""
    redacted = redact_value(value, drop=drop)
    if name in ENDPOINT_NAMES and isinstance(redacted, str):
        return mask_fragment(redacted, "" if drop else MASK)
    return redacted


def redact_value(value: Any, *, drop: bool = False) -> Any:
    """A copy of `value` with its secrets masked (or, with `drop`, left out).

    Dict entries and ``(name, value)`` pairs in lists under a secret name are masked
    (dropped); strings have URL secrets and the values of header lines under secret names
    (``Authorization: Bearer ...``) masked (removed); a string holding a container
    (``extra_headers='{"Authorization": ...}'``, a JSON array of pairs, a Python literal) is
    redacted inside. Lists, tuples and nested dicts are walked; other values are kept.

    Args:
        value: A parameter value, a params dict, span attributes...
        drop: Leave secrets out instead of masking them (for identifiers).

    Returns:
        The redacted copy.
    """
    if isinstance(value, str):
        inner = _container(value) if value[:1] in "{[" or value[:1].isspace() else None
        if inner is not None:
            redacted = redact_value(inner, drop=drop)
            if redacted != inner:
                return json.dumps(redacted, separators=(",", ":"), default=str)
        # JSON text that does not parse (a typo in an ``extra_headers`` string) still has
        # the values of its secret names masked, and so do header lines
        return mask_urls(_mask_header_lines(_mask_json(value), drop), "" if drop else MASK)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and is_secret_name(key):
                if not drop:
                    out[key] = MASK
            else:
                out[key] = redact_field(key, item, drop=drop)
        return out
    if isinstance(value, list | tuple):
        items: list[Any] = []
        for item in value:
            if _secret_pair(item):
                if not drop:
                    items.append(type(item)((item[0], MASK)))
            else:
                items.append(redact_value(item, drop=drop))
        return type(value)(items)
    return value


def redact_schema(value: Any, *, drop: bool = False) -> Any:
    """A copy of tool definitions or a JSON schema with its secrets masked (or dropped).

    Secrets are left out with `drop`. The keys of ``properties`` (and of definitions) are
    parameter names, never secrets: a tool parameter called ``password`` is kept. What a
    schema holds for a parameter with a secret name (``default``, ``const``, ``enum``,
    ``examples``) is masked (dropped), and every text has its URL secrets masked (user-info,
    secret query values). Pydantic models in `value` are dumped first.
    """
    return _redact_schema(_plain(value), drop, False)


def _redact_schema(node: Any, drop: bool, secret: bool) -> Any:
    if isinstance(node, str):
        return mask_urls(node, "" if drop else MASK)
    if isinstance(node, list):
        return [_redact_schema(item, drop, False) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[Any, Any] = {}
    for key, item in node.items():
        if secret and key in _SCHEMA_VALUES:
            if not drop:
                out[key] = MASK
        elif key in _SCHEMA_NAMES and isinstance(item, dict):
            out[key] = {
                name: _redact_schema(sub, drop, isinstance(name, str) and is_secret_name(name))
                for name, sub in item.items()
            }
        else:
            out[key] = _redact_schema(item, drop, False)
    return out
