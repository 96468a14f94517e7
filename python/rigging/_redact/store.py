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


_seen_once: dict[str, None] = {}
"""Values `remember_repeated` met once so far (insertion order; at most `SEEN_ONCE_MAX`)."""
SEEN_ONCE_MAX = 4096


def remember_repeated(secrets: Iterable[str]) -> None:
    """`remember` each value the second time it is given here.

    For what one rendered request holds at its secret places: a secret the spec makes the
    same way each time (a key built by an expression) is remembered from its second
    request on, while a value made per request (an idempotency key, a nonce) never is, so
    the process's known secrets, and the time of each scrub, do not grow with every request.
    The values met once are bounded (the oldest are forgotten first).
    """
    again: list[str] = []
    with _known_lock:
        for secret in secrets:
            if len(secret) < MIN_SECRET_LENGTH or secret in _known:
                continue
            if secret in _seen_once:
                del _seen_once[secret]
                again.append(secret)
                continue
            _seen_once[secret] = None
            if len(_seen_once) > SEEN_ONCE_MAX:
                del _seen_once[next(iter(_seen_once))]
    remember(again)


def known_sorted() -> tuple[str, ...]:
    """The remembered values, longest first (read without a lock: the tuple is replaced)."""
    return _known_sorted


def known_secrets() -> frozenset[str]:
    """The secret values remembered so far."""
    return frozenset(_known)
