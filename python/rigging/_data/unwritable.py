"""Where a chat holds what JSON cannot carry: the chat, the message and the path, named.

Paths read as ``messages[0].metadata['odd key'].x`` (``messages[i]`` or ``generated[i]`` is
the message; a path without one is a chat field). The walks are iterative (any depth).
"""

from __future__ import annotations

import math
import typing as t
from collections.abc import Iterable

from pydantic_core import to_jsonable_python

from rigging._pipeline.chat import Chat
from rigging._surrogates import deepest_path
from rigging.error import _clip, _safe_str

__all__ = ["listing", "non_finite", "unwritable"]

_TOO_DEEP = "Maximum serialization depth exceeded"
_PATH_LIMIT = 300
"""Most characters of a path an error names (before the clip's mark)."""
_REASON_LIMIT = 1000
"""Most characters of one chat's reason an error names (before the clip's mark)."""
_SHOWN = 10
"""Most chats an error message names (all of them are on the error's attributes)."""


def non_finite(source: t.Any) -> list[str]:
    """The NaN and infinite floats of a JSON-mode dump, as ``path = value``, in order."""
    found: list[str] = []
    for path, value in _leaves(source):
        if isinstance(value, float) and not math.isfinite(value):
            found.append(f"{_clip(path, _PATH_LIMIT)} = {value!r}")
    return found


def unwritable(chat: Chat, error: Exception) -> str:
    """Why dumping `chat` to JSON raised `error`, naming the path of the value at fault.

    Args:
        chat: The chat whose dump failed.
        error: What the dump raised.

    Returns:
        ``path: what is wrong`` (the error's own text when no value can be singled out).
    """
    text = _safe_str(error)
    if _TOO_DEEP in text:
        path, depth = deepest_path(chat)
        path = path.removeprefix(type(chat).__name__).lstrip(".")
        return (
            f"{_clip(path, _PATH_LIMIT)}: nested {depth} levels deep, deeper than JSON is "
            f"written ({_TOO_DEEP})"
        )
    found = _unserializable(chat)
    if found is not None:
        return found
    return f"it cannot be written as JSON ({_clip(text, _REASON_LIMIT)})"


def listing(failed: Iterable[tuple[str, str]]) -> str:
    """``chat <id>: <reason>; ...`` for the first few chats, with how many more there are."""
    items = list(failed)
    shown = "; ".join(
        f"chat {chat_id}: {_clip(why, _REASON_LIMIT)}" for chat_id, why in items[:_SHOWN]
    )
    more = f" (and {len(items) - _SHOWN} more)" if len(items) > _SHOWN else ""
    return shown + more


def _unserializable(chat: Chat) -> str | None:
    """``path: error`` for the first value of the chat that JSON has no form for, if any."""
    try:
        data = chat.model_dump()  # Python mode: values pydantic cannot write stay as they are
    except Exception:  # a custom serializer that raises, a cycle: no single value to name
        return None
    for path, value in _leaves(data):
        try:
            to_jsonable_python(value)
        except Exception as exc:
            return f"{_clip(path, _PATH_LIMIT)}: {_clip(_safe_str(exc, named=True), 300)}"
    return None


def _leaves(data: t.Any) -> t.Iterator[tuple[str, t.Any]]:
    """Each value of nested dicts, lists, tuples and sets that is none of them, with its path."""
    stack: list[tuple[str, t.Any]] = [("", data)]
    seen: set[int] = set()
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            if id(value) in seen:
                continue
            seen.add(id(value))
            stack.extend(reversed([(_child(path, key), v) for key, v in value.items()]))
        elif isinstance(value, list | tuple | set | frozenset):
            if id(value) in seen:
                continue
            seen.add(id(value))
            stack.extend(reversed([(f"{path}[{i}]", v) for i, v in enumerate(value)]))
        else:
            yield path.lstrip("."), value


def _child(path: str, key: t.Any) -> str:
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{_clip(repr(key), 40)}]"
