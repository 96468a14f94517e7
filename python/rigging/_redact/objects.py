"""Reading objects for `redact_exception` without running their code, and rebuilding mappings."""

from __future__ import annotations

import collections
import contextlib
import functools
import types
import weakref
from collections.abc import Mapping
from typing import Any

from rigging._redact.secret import is_secret_name

#: Objects searched neither for secrets nor by `redact_exception`: code and runtime state
#: (a traceback's frames hold the locals of every caller; see `redact_exception`).
_NOT_SEARCHED = (
    type,
    types.ModuleType,
    types.CodeType,
    types.FrameType,
    types.TracebackType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    weakref.ReferenceType,
)


def _withheld(value: Any, why: str = "it held a secret") -> str:
    """The stand-in of a value that held a secret and could not be copied without it."""
    kind = type(value)
    return f"<{kind.__module__}.{kind.__qualname__} withheld: {why}>"


def _rigging_owned(value: Any) -> bool:
    """Whether `value` is an object of one of rigging's own classes (or of a subclass).

    Generators, params, chats and rigging's models mask their secrets in reprs, dumps and
    pickles themselves; a run error's ``completed`` chats must keep their generator.
    """
    return any(
        cls.__module__ == "rigging" or cls.__module__.startswith("rigging.")
        for cls in type(value).__mro__[:-1]
    )


def _slot_values(value: Any) -> list[tuple[str, Any]]:
    """The ``__slots__`` attributes of `value` that are set (read without running code)."""
    out: list[tuple[str, Any]] = []
    for cls in type(value).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            descriptor = cls.__dict__.get(name)
            if isinstance(descriptor, types.MemberDescriptorType):
                with contextlib.suppress(AttributeError):
                    out.append((name, descriptor.__get__(value, cls)))
    return out


def _parts(value: Any) -> list[tuple[Any, bool]]:
    """What an object holds, as ``(value, under a secret name)``: for `_Scrub.holds`."""
    parts: list[tuple[Any, bool]] = []
    if isinstance(value, BaseException):
        parts.extend((v, False) for v in (value.args, value.__cause__, value.__context__))
    if isinstance(value, Mapping):
        for key, item in value.items():
            parts.append((key, False))
            parts.append((item, isinstance(key, str | bytes) and _secret_key(key)))
    elif isinstance(value, list | tuple | set | frozenset | collections.deque):
        parts.extend((item, False) for item in value)
    elif isinstance(value, types.MethodType | types.BuiltinMethodType):
        parts.append((value.__self__, False))
    elif isinstance(value, functools.partial):
        parts.extend((v, False) for v in (value.func, value.args, value.keywords))
    elif isinstance(value, types.FunctionType):
        cells = value.__closure__ or ()
        parts.extend((c.cell_contents, False) for c in cells if _cell_set(c))
        parts.extend((v, False) for v in (value.__defaults__, value.__kwdefaults__))
    attributes = vars(value) if hasattr(value, "__dict__") else None
    if isinstance(attributes, dict):
        parts.extend((v, isinstance(k, str) and is_secret_name(k)) for k, v in attributes.items())
    parts.extend((v, is_secret_name(k)) for k, v in _slot_values(value))
    return parts


def _cell_set(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


def _secret_key(key: str | bytes) -> bool:
    """Whether a mapping key (a header name, as text or bytes) names a secret."""
    return is_secret_name(key.decode("latin-1") if isinstance(key, bytes) else key)


def _read(message: Any) -> bytes | None:
    """The body of an httpx request or response, or None when it was never read."""
    try:
        content = message.content
    except Exception:  # RequestNotRead / ResponseNotRead: a stream nobody read
        return None
    return content if isinstance(content, bytes) else None


def _items(value: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """The pairs of a mapping, each value of a multi-mapping included (``multi_items``)."""
    multi = getattr(value, "multi_items", None)
    if callable(multi):
        return list(multi())
    return list(value.items())


def _same_kind(kind: Any, pairs: list[tuple[Any, Any]]) -> Any:
    """A mapping of `kind` holding `pairs`, or a plain dict when `kind` does not take them.

    The copy is checked to hold exactly `pairs` (a constructor may ignore or add items).
    """
    joined = _joined(pairs)
    for made, expected in ((pairs, pairs), (joined, list(joined.items()))):
        with contextlib.suppress(Exception):
            copy = kind(made)
            if isinstance(copy, Mapping) and _items(copy) == expected:
                return copy
    return joined


def _joined(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """A dict of `pairs`; values of a repeated text key are joined by ``", "`` (as HTTP does)."""
    out: dict[Any, Any] = {}
    for key, item in pairs:
        if key in out and isinstance(out[key], str) and isinstance(item, str):
            out[key] = f"{out[key]}, {item}"
        else:
            out[key] = item
    return out
