"""The secret values this process has seen, and the logging filter that scrubs them."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable

from pydantic import BaseModel

from rigging._redact.find import secret_values
from rigging._redact.secret import MIN_SECRET_LENGTH, is_secret_name
from rigging._redact.text import redact_text

_known: set[str] = set()
_known_lock = threading.Lock()
_known_sorted: tuple[str, ...] = ()


def redact_known(text: str) -> str:
    """`redact_text` with every secret value a generator of this process has held."""
    return redact_text(text, _known_sorted)


def remember(secrets: Iterable[str]) -> None:
    """Add secret values to those `redact_known` removes (for logs and spans)."""
    global _known_sorted
    new = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH} - _known
    if not new:
        return
    with _known_lock:
        _known.update(new)
        _known_sorted = tuple(sorted(_known, key=len, reverse=True))


def remember_params(params: Iterable[BaseModel]) -> None:
    """Remember the secret values of request params (values under secret names, headers...).

    A request's own secrets (``with_(extra={"api_key": ...})``) are then scrubbed from the
    logs, spans and errors of the run, as the generator's are.
    """
    for unique in {id(p): p for p in params}.values():
        remember(secret_values(unique))


_MIN_ENV_SECRET = 8
"""Shorter environment values are not taken for keys (``DISABLE_AUTH=false``)."""


def environment_secrets() -> list[str]:
    """The values of environment variables under secret names that look like keys.

    ``OPENAI_API_KEY``, ``AZURE_AD_TOKEN``...: values of at least `_MIN_ENV_SECRET`
    characters that are not a plain word (``DISABLE_AUTH=disabled`` is no key).

    Returns:
        The values.
    """
    return [
        value
        for name, value in os.environ.items()
        if len(value) >= _MIN_ENV_SECRET
        and not value.isalpha()
        and name not in _NOT_SECRET_ENV
        and is_secret_name(name)
    ]


# The shell's working directories: `pwd` is a secret word, but these hold paths, and masking
# them hid every path under the current directory in error messages (`'***/cache.db'`).
_NOT_SECRET_ENV = frozenset({"PWD", "OLDPWD"})


def known_secrets() -> frozenset[str]:
    """The secret values remembered so far."""
    return frozenset(_known)


class RedactFilter(logging.Filter):
    """A logging filter that scrubs remembered secrets and URL user-info from each record.

    The message is formatted once (``getMessage``) and replaced by its redacted text; an
    attached traceback is formatted and redacted too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` in place; never drops it."""
        message = record.getMessage()
        redacted = redact_known(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact_known(text)
            record.exc_info = None
        return True
