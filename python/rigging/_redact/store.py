"""The secret values this process has seen (`remember`), kept where every module can read them.

Below `text` and `paths`: URL masking masks a remembered value wherever it sits in a URL's
path, query or fragment (`rigging._redact.paths`), and `known` scrubs free text of them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from rigging._redact.secret import MIN_SECRET_LENGTH

_known: set[str] = set()
_known_lock = threading.Lock()
_known_sorted: tuple[str, ...] = ()


def remember(secrets: Iterable[str]) -> None:
    """Add secret values to those `redact_known` removes (for logs and spans).

    Values shorter than `MIN_SECRET_LENGTH` are not remembered: text is never searched for
    them.
    """
    global _known_sorted
    new = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH} - _known
    if not new:
        return
    with _known_lock:
        _known.update(new)
        _known_sorted = tuple(sorted(_known, key=len, reverse=True))


def known_sorted() -> tuple[str, ...]:
    """The remembered values, longest first (read without a lock: the tuple is replaced)."""
    return _known_sorted


def known_secrets() -> frozenset[str]:
    """The secret values remembered so far."""
    return frozenset(_known)
