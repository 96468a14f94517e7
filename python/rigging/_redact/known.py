"""The secret values this process has seen, and the logging filter that scrubs them."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

from pydantic import BaseModel

from rigging._redact.find import secret_values
from rigging._redact.secret import is_secret_name
from rigging._redact.store import known_secrets, known_sorted, remember, remember_repeated
from rigging._redact.text import redact_text

__all__ = [
    "RedactFilter",
    "environment_secrets",
    "known_secrets",
    "redact_known",
    "remember",
    "remember_params",
    "remember_repeated",
]


def redact_known(text: str) -> str:
    """`redact_text` with every secret value a generator of this process has held."""
    return redact_text(text, known_sorted())


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
