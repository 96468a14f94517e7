"""What a secret is (by its name; a template names one and holds none) and how one is shown."""

from __future__ import annotations

import functools
from typing import Any

from rigging import _native

MASK = "***"
"""What a secret is shown as."""

MIN_SECRET_LENGTH = 4
"""Shorter values are not searched for in free text (they would mask ordinary words)."""

REVEAL: dict[str, Any] = {"rigging_reveal_secrets": True}
"""Serialisation context under which params and generators dump their secrets (for requests
and identifiers only; every other dump masks them)."""


def reveals(context: Any) -> bool:
    """Whether a serialisation `context` is `REVEAL`."""
    return isinstance(context, dict) and context.get("rigging_reveal_secrets") is True


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether a parameter, field or header called `name` holds a secret.

    Args:
        name: The name (any case, any separators).

    Returns:
        True for names such as ``api_key``, ``API_KEY``, ``aws_secret_access_key``,
        ``azure_ad_token``, ``Authorization``, ``X-Api-Key``; False for ``max_tokens``.
    """
    return bool(_native.is_secret_name(name))


def _is_template(value: str) -> bool:
    return "{{" in value or "{%" in value
