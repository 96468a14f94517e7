"""What a secret is (by its name; a template names one and holds none) and how one is shown."""

from __future__ import annotations

import functools
import html
import json
import urllib.parse
from typing import Any

from rigging import _native

MASK = "***"
"""What a secret is shown as."""

MIN_SECRET_LENGTH = 4
"""Shorter values are not searched for in text (they would mask ordinary words and letters),
nor remembered: they are masked only where they stand as values (under a secret name, as
user-info or a query value, as a template literal given a secret name)."""

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


@functools.lru_cache(maxsize=1024)
def _forms(secret: str) -> tuple[str, ...]:
    r"""`secret` and the forms it takes when echoed encoded, as URLs and JSON bodies hold it.

    Percent-encoded (``/`` kept or not, ``+`` for a space or not; the escapes' hex case
    is matched by `_mask_lowercase_escapes`), JSON-escaped (``/`` escaped or not,
    non-ASCII as ``\u`` escapes or not) and HTML-escaped: a key with ``/``, ``+`` or
    ``=`` in it (a base64 key) comes back so from a server echoing the URL or body it got.
    """
    forms = {secret}
    for encoded in (
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret, safe="/"),
        urllib.parse.quote_plus(secret, safe=""),
        urllib.parse.quote_plus(secret, safe="/"),
    ):
        forms.add(encoded)
    for ascii_only in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        forms.update((escaped, escaped.replace("/", "\\/")))
    forms.add(html.escape(secret))
    return tuple(f for f in forms if len(f) >= MIN_SECRET_LENGTH)
