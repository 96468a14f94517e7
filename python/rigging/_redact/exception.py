"""`redact_exception`: scrub an exception, and every error linked to it, of its secrets."""

from __future__ import annotations

import contextlib
import types
from collections.abc import Callable
from typing import Any

from rigging._redact.objects import _slot_values, _withheld
from rigging._redact.scrub import _Scrub
from rigging._redact.secret import is_secret_name

#: Attributes exceptions hold natively, outside ``__dict__`` (``OSError.filename``,
#: ``UnicodeError.object``, ``AttributeError.obj``...). Not ``StopIteration.value``: a
#: return value on its way, not an error's payload.
_NATIVE_ATTRIBUTES = (
    "filename",
    "filename2",
    "strerror",
    "text",
    "msg",
    "object",
    "reason",
    "name",
    "path",
    "obj",
    "code",
)


def _linked(exc: BaseException) -> list[BaseException]:
    """The exceptions `exc` leads to: its cause, its context and a group's members."""
    linked = [e for e in (exc.__cause__, exc.__context__) if e is not None]
    members = getattr(exc, "exceptions", None)  # an exception group (3.11+ or the backport)
    if isinstance(members, tuple | list):
        linked.extend(e for e in members if isinstance(e, BaseException))
    return linked


def _replace(exc: BaseException, name: str, value: Any) -> None:
    """Set an attribute of `exc`, through ``__dict__`` when its class refuses (frozen)."""
    try:
        setattr(exc, name, value)
    except Exception:
        attributes = getattr(exc, "__dict__", None)
        if isinstance(attributes, dict) and name in attributes:
            attributes[name] = value


def _attributes(exc: BaseException) -> dict[str, Any]:
    """The attributes of an exception: ``__dict__``, slots and the native ones that are set."""
    attributes = getattr(exc, "__dict__", None)
    values: dict[str, Any] = dict(attributes) if isinstance(attributes, dict) else {}
    for name, value in _slot_values(exc):
        values.setdefault(name, value)
    for name in _NATIVE_ATTRIBUTES:
        descriptor = getattr(type(exc), name, None)
        if name not in values and isinstance(
            descriptor, types.MemberDescriptorType | types.GetSetDescriptorType
        ):
            with contextlib.suppress(Exception):
                values[name] = getattr(exc, name)
    return values


def _scrub_printed(items: Any, scrub: _Scrub) -> Any:
    """An exception's args or notes, scrubbed: the same type, and every text redacted.

    They print with the error (a span records them), so their texts are redacted even past
    the bounds of the walk, which a large value elsewhere in the chain may have used up.
    """
    if not isinstance(items, tuple | list):
        return scrub.value(items, 1)
    new = [
        scrub.text(item, False)
        if isinstance(item, str)
        else scrub.data(item, False)
        if isinstance(item, bytes | bytearray)
        else scrub.value(item, 1)
        for item in items
    ]
    if all(a is b for a, b in zip(new, items, strict=True)):
        return items
    return tuple(new) if isinstance(items, tuple) else new


def _scrub_one(exc: BaseException, scrub: _Scrub) -> None:
    """Scrub the args, notes and attributes of one exception in place."""
    with contextlib.suppress(Exception):  # args a class will not take: left as they are
        args = _scrub_printed(exc.args, scrub)
        if args is not exc.args:
            exc.args = args
    for name, value in _attributes(exc).items():
        if name.startswith("__") and name != "__notes__":  # notes print with the error
            continue
        try:
            if name == "__notes__":
                redacted = _scrub_printed(value, scrub)
            else:
                redacted = scrub.value(value, 1, is_secret_name(name))
        except Exception:  # nothing is kept of a value that could not be scrubbed
            redacted = _withheld(value)
        if redacted is not value:
            _replace(exc, name, redacted)


def redact_exception(
    exc: BaseException, redact: Callable[[str], str], *, thorough: bool = True
) -> BaseException:
    """Scrub an exception, and everything reachable from it, of its secrets, in place.

    For errors raised with what a provider sent back (a 400/401 that echoes the key in its
    body or its headers), the cause of a `GenerationError` and errors leaving a span. The
    exception, its cause, its context and a group's members (and theirs in turn) keep their
    types; in each, the args, the notes (``add_note``) and every attribute are replaced by
    values without secrets (`_Scrub`):

    - strs and bytes (a body) are redacted with `redact`; a value under a secret name
      (``api_key``, an ``Authorization`` header) is `MASK` whatever it holds;
    - dicts, lists, tuples, sets and mappings (``httpx.Headers``, multi-dicts) become
      scrubbed copies of the same type where possible (a plain dict otherwise);
    - httpx requests and responses become scrubbed copies: method, URL (user-info and secret
      query values masked), status, headers and body (when it was read); a response's
      connection and stream are left behind;
    - rigging's own objects are kept (generators, chats and params mask their secrets in
      reprs, dumps and pickles; a run error keeps its ``completed`` chats);
    - any other object is searched (its attributes, items and closures, at most
      `_MAX_PROBE` values) and, when it holds a secret or is too large to tell, replaced by
      the text `_withheld` naming its type.

    Objects the caller holds are never changed: only the exceptions' own attributes are
    replaced. The walk is bounded (`_MAX_VISITS` values, `_MAX_DEPTH` levels; what lies
    beyond is withheld) and never raises. Not ``thorough`` (errors leaving a span: often the
    caller's own, whose objects it may still read), what lies past the bounds and objects too
    large or unreadable to search are kept: only what is found to hold a secret is replaced.
    Tracebacks are not searched: their frames hold
    the locals of every caller (the generator, with its key, among them); pickles and
    formatted tracebacks carry none of them.

    Args:
        exc: The exception.
        redact: Maps a text to its redacted form (e.g. a generator's ``_redact``).
        thorough: Withhold what cannot be searched, as well as what holds a secret.

    Returns:
        The same exception.
    """
    scrub = _Scrub(redact, thorough)
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        scrub.alive.append(current)
        with contextlib.suppress(Exception):
            pending.extend(_linked(current))
        with contextlib.suppress(Exception):  # `_scrub_one` withholds what it cannot scrub
            _scrub_one(current, scrub)
        pending.extend(scrub.found)
        scrub.found.clear()
    return exc


def redact_data(value: Any, redact: Callable[[str], str]) -> Any:
    """`value` without secrets: itself when it holds none, else a scrubbed copy.

    For what a provider sent back and a result keeps (a response's id, fields of its own):
    a server may echo the request's key there. The same walk as `redact_exception` (strs
    through `redact`, a value under a secret name masked, containers copied, other objects
    holding a secret withheld, bounded), never raising.

    Args:
        value: The data (a result's ``extra``).
        redact: Maps a text to its redacted form (e.g. a request's redactor).

    Returns:
        `value`, or its scrubbed copy.
    """
    try:
        return _Scrub(redact).value(value, 0)
    except Exception:  # nothing is kept of a value that could not be scrubbed
        return _withheld(value)
