"""The secret values inside values, models and schemas (what free text is searched for)."""

from __future__ import annotations

from collections.abc import Container
from typing import Any

from pydantic import BaseModel

from rigging import _native
from rigging._redact.mask import ENDPOINT_NAMES
from rigging._redact.paths import path_secrets
from rigging._redact.secret import MIN_SECRET_LENGTH, _is_template, is_secret_name
from rigging._redact.shapes import (
    _SCHEMA_NAMES,
    _SCHEMA_VALUES,
    _container,
    _plain,
    _secret_pair,
)
from rigging._redact.text import _header_line_secrets, fragment_secrets, query_secrets


def _secrets_in(value: Any, secret: bool, out: list[str]) -> None:
    if isinstance(value, str):
        if secret and not _is_template(value):  # "{{ api_key }}" names a secret, holds none
            out.append(value)
            out.extend(value.split()[1:])  # "Bearer sk-..." echoed as "sk-..."
        out.extend(_native.userinfo_of(value))
        out.extend(info.partition(":")[2] for info in _native.userinfo_of(value))
        out.extend(query_secrets(value))
        out.extend(path_secrets(value))
        out.extend(_header_line_secrets(value))
        inner = _container(value) if "{" in value or "[" in value else None
        if inner is not None:
            _secrets_in(inner, secret, out)
    elif isinstance(value, dict):
        for key, item in value.items():
            if item is None or isinstance(item, bool):
                continue
            _secrets_in(item, secret or (isinstance(key, str) and is_secret_name(key)), out)
            if key in ENDPOINT_NAMES and isinstance(item, str):
                out.extend(fragment_secrets(item))
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            if _secret_pair(item):  # [("Authorization", "Bearer ...")]
                _secrets_in(item[1], True, out)
            else:
                _secrets_in(item, secret, out)
    elif isinstance(value, BaseModel):  # nested params or settings: their fields by name
        _model_secrets(value, secret, out)
    elif secret and isinstance(value, int | float) and not isinstance(value, bool):
        out.append(str(value))


def schema_secrets(value: Any) -> list[str]:
    """The secret values of tool definitions or a JSON schema (those `redact_schema` masks).

    Args:
        value: Tool definitions, a tool choice or a schema (pydantic models are dumped).

    Returns:
        The values, long enough to be searched for (`MIN_SECRET_LENGTH`).
    """
    out: list[str] = []
    _schema_secrets(_plain(value), False, out)
    return [s for s in dict.fromkeys(out) if len(s) >= MIN_SECRET_LENGTH]


def _schema_secrets(node: Any, secret: bool, out: list[str]) -> None:
    """The secret values of a schema, as `redact_schema` masks them (for `secret_values`)."""
    if isinstance(node, str):
        _secrets_in(node, False, out)
    elif isinstance(node, list):
        for item in node:
            _schema_secrets(item, False, out)
    elif isinstance(node, dict):
        for key, item in node.items():
            if secret and key in _SCHEMA_VALUES:
                _secrets_in(item, True, out)
            elif key in _SCHEMA_NAMES and isinstance(item, dict):
                for name, sub in item.items():
                    _schema_secrets(sub, isinstance(name, str) and is_secret_name(name), out)
            else:
                _schema_secrets(item, False, out)


def _model_secrets(model: BaseModel, secret: bool, out: list[str]) -> None:
    """`_secrets_in` of a model's fields by name.

    Fields its class names in ``__not_secret__`` hold schemas and are searched as schemas
    (`schema_secrets`); those it names in ``__endpoints__`` hold the URL requests go to, and
    their fragment is a secret as an `api_base`'s is (an HTTP spec's ``url``).
    """
    schemas: Container[str] = getattr(type(model), "__not_secret__", ())
    endpoints: Container[str] = getattr(type(model), "__endpoints__", ())
    for name, item in model.__dict__.items():
        if name in schemas:
            _schema_secrets(_plain(item), False, out)
        else:
            _secrets_in({name: item}, secret, out)
            if name in endpoints and isinstance(item, str):
                out.extend(fragment_secrets(item))


def secret_values(value: Any) -> list[str]:
    """The secret values inside `value`: those under secret names, and URL user-info.

    Args:
        value: A dict of parameters or fields (nested dicts, lists and JSON-object strings
            are searched too).

    Returns:
        The values, long enough to be searched for (`MIN_SECRET_LENGTH`).
    """
    out: list[str] = []
    _secrets_in(value, False, out)
    return [s for s in dict.fromkeys(out) if len(s) >= MIN_SECRET_LENGTH]
