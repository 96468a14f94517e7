"""A generator's fields without their secrets: what pickled chats and completions carry.

`Generator._without_secrets` and its `_field_without_secrets` hook are built on these
functions. An object that knows how to drop its own secrets (a nested generator, a
`GenerateParams`: both have ``_without_secrets``, the contract `rigging._secret_pickle` uses)
cleans itself; containers and strings are cleaned entry by entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import SecretBytes, SecretStr

from rigging._redact import is_secret_name, redact_value

if TYPE_CHECKING:
    from rigging.generator.base import Generator

__all__ = ["copy_without_secrets", "field_without_secrets", "without_secrets_in"]

G = TypeVar("G", bound="Generator")


def without_secrets_in(value: Any) -> Any:
    """`value` without secrets (see `field_without_secrets`).

    Args:
        value: A field's value.

    Returns:
        The cleaned value, or `value` itself when it holds none.
    """
    if callable(getattr(type(value), "_without_secrets", None)):  # a generator, params
        return value._without_secrets()
    if isinstance(value, SecretStr | SecretBytes):
        return None
    if isinstance(value, list | tuple):
        items = [without_secrets_in(item) for item in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, dict):
        mapped = {key: without_secrets_in(item) for key, item in value.items()}
        clean = redact_value(mapped, drop=True)
        return value if clean == value else clean
    if isinstance(value, str):
        clean = redact_value(value, drop=True)
        return value if clean == value else clean
    return value


def field_without_secrets(name: str, value: Any) -> Any:
    """The value of field `name` without secrets (`Generator._field_without_secrets`).

    Args:
        name: The field's name (a secret name makes the value None).
        value: Its value.

    Returns:
        The cleaned value, or `value` itself when it holds none.
    """
    if is_secret_name(name):
        return None
    return without_secrets_in(value)


def copy_without_secrets(generator: G) -> G:
    """A new generator of the same class with every field through `_field_without_secrets`.

    Args:
        generator: The generator.

    Returns:
        The copy, with the same fields set and fresh private state.
    """
    fields: dict[str, Any] = {
        name: generator._field_without_secrets(name, value)
        for name, value in generator.__dict__.items()
    }
    clean = type(generator).model_construct(set(generator.model_fields_set), **fields)
    return cast("G", clean)  # the pydantic plugin types model_construct as the base
