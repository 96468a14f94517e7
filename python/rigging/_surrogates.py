r"""Lone surrogates (``"\\ud83d"``, half of a cut emoji): a ``str`` can hold them, UTF-8 cannot.

Scanning and span arithmetic handle them natively (see ``docs/design/decisions-messages.md``). Here:

- `scrub` replaces each one by U+FFFD, which serialisation uses so that dumping a chat
  never raises;
- `stand_in` swaps them, reversibly, for private-use code points the text does not already
  hold, so an XML parser (which needs UTF-8) can read an element that contains them and the
  parsed values get the original surrogates back (`restore`).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, to_json

from rigging.error import _clip

__all__ = [
    "REPLACEMENT",
    "SurrogatePairs",
    "deepest_path",
    "dump_json",
    "has_surrogates",
    "join_pairs",
    "restore",
    "scrub",
    "scrub_data",
    "stand_in",
]

REPLACEMENT = "\ufffd"
"""What a lone surrogate becomes in serialised output (U+FFFD REPLACEMENT CHARACTER)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
_BLOCK = 0x800  # one stand-in per surrogate code point
_PRIVATE = re.compile("[\U000f0000-\U0010ffff]")
_BLOCKS = [0xF0000 + i * _BLOCK for i in range(64)]  # planes 15 and 16
# Numeric character references as the codec decodes them: any leading zeros, then few enough
# digits to name a character.
_REFERENCE = re.compile(r"&#(x0*[0-9a-fA-F]{1,6}|0*[0-9]{1,7});")


def has_surrogates(text: str) -> bool:
    """Whether `text` holds a lone surrogate."""
    return _SURROGATE.search(text) is not None


def scrub(text: str) -> str:
    """`text` with each lone surrogate replaced by U+FFFD (same length, same offsets)."""
    return _SURROGATE.sub(REPLACEMENT, text) if has_surrogates(text) else text


def scrub_data(data: Any) -> Any:
    """`scrub` applied to every str (keys included) of nested dicts, lists and tuples."""
    if isinstance(data, str):
        return scrub(data)
    if isinstance(data, dict):
        return {scrub_data(k): scrub_data(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [scrub_data(v) for v in data]
    return data


def stand_in(text: str) -> tuple[str, Callable[[str], str]]:
    """Swap the surrogates of `text` for private-use code points it does not hold.

    Args:
        text: Text with lone surrogates.

    Returns:
        The swapped text and the function that swaps them back in any str. When the text
        already uses every candidate block (only a text built for it would), surrogates become
        U+FFFD and the function returns its input.
    """
    used = {(ord(c) - 0xF0000) // _BLOCK for c in set(_PRIVATE.findall(text))}
    # A character reference decodes to its character later: its block is taken too.
    for digits in set(_REFERENCE.findall(text)):
        code = int(digits[1:], 16) if digits[0] == "x" else int(digits)
        if 0xF0000 <= code <= 0x10FFFF:
            used.add((code - 0xF0000) // _BLOCK)
    base = next((b for i, b in enumerate(_BLOCKS) if i not in used), None)
    if base is None:
        return scrub(text), lambda s: s
    forward, back = _tables(base)
    return text.translate(forward), lambda s: s.translate(back)


@functools.cache
def _tables(base: int) -> tuple[dict[int, int], dict[int, int]]:
    """The `str.translate` tables from surrogates to the block at ``base`` and back."""
    forward = {0xD800 + i: base + i for i in range(_BLOCK)}
    return forward, {v: k for k, v in forward.items()}


def restore(value: Any, back: Callable[[str], str]) -> Any:
    """Apply `back` to every str inside `value` (models are updated in place).

    Args:
        value: A parsed value: str, model, list, tuple, set or dict of them.
        back: The function `stand_in` returned.

    Returns:
        The value with its strs swapped back.
    """
    if isinstance(value, str):
        return back(value)
    if isinstance(value, BaseModel):
        for name, item in list(value.__dict__.items()):
            restored = restore(item, back)
            if restored is not item:
                object.__setattr__(value, name, restored)
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(restore(v, back) for v in value)
    if isinstance(value, dict):
        return {restore(k, back): restore(v, back) for k, v in value.items()}
    return value


def dump_json(model: BaseModel, dump: Callable[..., str], **kwargs: Any) -> str:
    """``model.model_dump_json(**kwargs)`` that never fails on a lone surrogate.

    Pydantic refuses to write a str holding one; then the JSON-mode dump is written with each
    surrogate, in a value or a key, as one U+FFFD (the only change: every other value is
    written as pydantic would). A value nested deeper than pydantic writes raises pydantic's
    error with the path of the deepest value (``Message.metadata['a']['b'][0]``), clipped.

    Args:
        model: The model.
        dump: The parent class's bound ``model_dump_json``.
        **kwargs: ``model_dump_json`` arguments.

    Returns:
        The JSON text.
    """
    try:
        try:
            return dump(**kwargs)
        except PydanticSerializationError as exc:
            if "surrogates not allowed" not in str(exc):
                raise
        return _dump_scrubbed(model, **kwargs)
    except ValueError as exc:  # pydantic's, or its model_dump's plain ValueError
        if _TOO_DEEP not in str(exc):
            raise
        path, depth = deepest_path(model)
        raise PydanticSerializationError(
            f"{exc}: {depth} nested levels at {_clip(path, _PATH_LIMIT)}"
        ) from exc


def _dump_scrubbed(model: BaseModel, **kwargs: Any) -> str:
    """The JSON of `model` with each lone surrogate (in keys and values) as one U+FFFD."""
    indent = kwargs.pop("indent", None)
    ensure_ascii = bool(kwargs.pop("ensure_ascii", False))
    try:
        # Keys are scrubbed before pydantic sees them: its JSON mode writes a key's lone
        # surrogate as three U+FFFD (one per byte), a value's stays for `scrub_data`.
        copied = _scrubbed(model)
    except RecursionError:  # deeper than Python recurses: pydantic refuses it anyway
        copied = model
    data = scrub_data(copied.model_dump(mode="json", **kwargs))
    if ensure_ascii:
        separators = (",", ":") if indent is None else None
        return json.dumps(data, ensure_ascii=True, indent=indent, separators=separators)
    return to_json(data, indent=indent).decode()


def _scrubbed(value: Any) -> Any:
    """`value` with every str inside it (keys included) scrubbed; models are copied."""
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, BaseModel):
        update = {}
        for name, item in value.__dict__.items():
            new = _scrubbed(item)
            if new is not item:
                update[name] = new
        if not update:
            return value
        copied = value.model_copy()  # (not `update=`: it would mark the fields as set)
        copied.__dict__.update(update)
        return copied
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(_scrubbed(v) for v in value)
    if isinstance(value, dict):
        return {_scrubbed(k): _scrubbed(v) for k, v in value.items()}
    return value


_TOO_DEEP = "Maximum serialization depth exceeded"
_PATH_LIMIT = 300
"""Most characters of the path a too-deep dump's error names (before the clip's mark)."""


def deepest_path(value: Any) -> tuple[str, int]:
    """The path to the most deeply nested container in `value`, and how many levels deep.

    Walks models (by field), dicts (by key), lists, tuples and sets (by index) without
    recursion, each container once (a cycle ends the walk there).

    Returns:
        The path (``Message.metadata['a'][0]``) and its depth in containers.
    """
    labels: list[tuple[int, str]] = []  # (parent's index, label) per container reached
    stack: list[tuple[Any, int, int]] = [(value, 1, -1)]
    seen: set[int] = set()
    best, best_depth = -1, 0
    while stack:
        item, depth, node = stack.pop()  # node: the index of its label (-1: the root)
        if id(item) in seen:
            continue
        seen.add(id(item))
        if node < 0:
            labels.append((-1, type(item).__name__))
            node = 0
        if depth > best_depth:
            best, best_depth = node, depth
        for label, child in _children(item):
            if isinstance(child, BaseModel | dict | list | tuple | set | frozenset):
                labels.append((node, label))
                stack.append((child, depth + 1, len(labels) - 1))
    return _joined(labels, best), best_depth


def _children(item: Any) -> list[tuple[str, Any]]:
    if isinstance(item, BaseModel):
        return [(f".{name}", child) for name, child in item.__dict__.items()]
    if isinstance(item, dict):
        return [(f"[{_clip(repr(key), 40)}]", child) for key, child in item.items()]
    if isinstance(item, list | tuple | set | frozenset):
        return [(f"[{index}]", child) for index, child in enumerate(item)]
    return []


def _joined(labels: list[tuple[int, str]], node: int) -> str:
    parts: list[str] = []
    while node >= 0:
        node, label = labels[node]
        parts.append(label)
    return "".join(reversed(parts))


def join_pairs(text: str) -> str:
    """`text` with each high/low surrogate pair written as the one character it encodes.

    Two halves that arrived in separate chunks are two code points once joined as strs; lone
    surrogates are kept as they are.
    """
    if not has_surrogates(text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")


class SurrogatePairs:
    """Rejoins surrogate pairs split across stream chunks.

    A provider may cut an emoji's UTF-16 halves apart: a chunk ending with a high surrogate
    keeps it for the next one.
    """

    def __init__(self) -> None:
        self.held = ""

    def push(self, text: str) -> str:
        """The text of this chunk to hand on (the held half first, a trailing high one held)."""
        text, self.held = self.held + text, ""
        if text and "\ud800" <= text[-1] <= "\udbff":
            text, self.held = text[:-1], text[-1]
        return join_pairs(text)

    def flush(self) -> str:
        """A high surrogate still held when the stream ended (a lone one)."""
        held, self.held = self.held, ""
        return held
