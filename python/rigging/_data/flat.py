"""Chats as flat rows (one per message) and as pandas DataFrames, with a lossless way back.

Every value a `Chat` dumps to JSON is kept: chat fields (id, timestamp, metadata, generator id,
stop reason, usage, extra, failure and error text) and every message field (id, role, content
or content parts, parsed parts, tool calls, metadata). Rows of one chat keep the order of its
messages (``messages`` first, then ``generated``).
"""

from __future__ import annotations

import json
import typing as t
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from rigging._deps import import_optional
from rigging._pipeline.chat import Chat
from rigging.message import Message

if t.TYPE_CHECKING:
    import pandas as pd

__all__ = ["chats_to_df", "df_to_chats", "flatten_chats", "unflatten_chats"]

CHAT_COLUMNS = (
    "chat_id",
    "chat_metadata",
    "chat_generator_id",
    "chat_timestamp",
    "chat_stop_reason",
    "chat_usage",
    "chat_extra",
    "chat_failed",
    "chat_error",
)
"""Columns that repeat the chat's fields on each of its rows."""

MESSAGE_COLUMNS = (
    "generated",
    "message_id",
    "role",
    "parts",
    "content",
    "tool_calls",
    "tool_call_id",
    "message_metadata",
)
"""Columns holding one message."""

_JSON_COLUMNS = (
    "chat_metadata",
    "chat_usage",
    "chat_extra",
    "parts",
    "tool_calls",
    "message_metadata",
)
"""Columns whose values are JSON-encoded strings in a DataFrame (dicts/lists in rows)."""


def _as_list(chats: Chat | Iterable[Chat]) -> list[Chat]:
    return [chats] if isinstance(chats, Chat) else list(chats)


def flatten_chats(chats: Chat | Iterable[Chat]) -> list[dict[str, t.Any]]:
    """Turn chats into rows, one per message, each repeating its chat's fields.

    Values are JSON-compatible (ids and timestamps as strings, nested values as dicts and
    lists), so every row can be written with `json.dumps`.

    Args:
        chats: A chat or several.

    Returns:
        The rows, in chat order, messages before generated messages.
    """
    rows: list[dict[str, t.Any]] = []
    for chat in _as_list(chats):
        dump = chat.model_dump(mode="json")
        head = {
            "chat_id": dump["uuid"],
            "chat_metadata": dump["metadata"],
            "chat_generator_id": dump["generator_id"],
            "chat_timestamp": dump["timestamp"],
            "chat_stop_reason": dump["stop_reason"],
            "chat_usage": dump["usage"],
            "chat_extra": dump["extra"],
            "chat_failed": dump["failed"],
            "chat_error": dump["error"],
        }
        for generated, key in ((False, "messages"), (True, "generated")):
            for message in dump[key]:
                rows.append(
                    {
                        **head,
                        "generated": generated,
                        "message_id": message["uuid"],
                        "role": message["role"],
                        "parts": message["parts"],
                        "content": message["content"],
                        "tool_calls": message["tool_calls"],
                        "tool_call_id": message["tool_call_id"],
                        "message_metadata": message["metadata"],
                    }
                )
    return rows


def _decode(value: t.Any, column: str) -> t.Any:
    """Accept a column either as its JSON text (DataFrame, 2.3 rows) or as the value itself."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"column {column!r} holds text that is not JSON: {exc}") from None
    return value


def _message(row: Mapping[str, t.Any]) -> Message:
    data = {
        "uuid": row["message_id"],
        "role": row["role"],
        "content": row["content"],
        "parts": _decode(row.get("parts"), "parts") or [],
        "tool_calls": _decode(row.get("tool_calls"), "tool_calls"),
        "tool_call_id": row.get("tool_call_id"),
        "metadata": _decode(row.get("message_metadata"), "message_metadata") or {},
    }
    return Message.model_validate(data)


def _chat(rows: Sequence[Mapping[str, t.Any]]) -> Chat:
    first = rows[0]
    messages = [_message(r) for r in rows if not r["generated"]]
    generated = [_message(r) for r in rows if r["generated"]]
    data = {
        "uuid": first["chat_id"],
        "timestamp": first["chat_timestamp"],
        "messages": messages,
        "generated": generated,
        "metadata": _decode(first.get("chat_metadata"), "chat_metadata") or {},
        "generator_id": first.get("chat_generator_id"),
        "stop_reason": first.get("chat_stop_reason") or "unknown",
        "usage": _decode(first.get("chat_usage"), "chat_usage"),
        "extra": _decode(first.get("chat_extra"), "chat_extra") or {},
        "failed": bool(first.get("chat_failed", False)),
        "error": first.get("chat_error"),
    }
    return Chat.model_validate(data)


def unflatten_chats(messages: Iterable[Mapping[str, t.Any]]) -> list[Chat]:
    """Rebuild chats from rows made by `flatten_chats` (or read back from a JSONL file).

    Rows are grouped by ``chat_id``; chats come back in the order their first row appears and
    messages in row order. Nested columns may be values or their JSON text.

    Args:
        messages: The rows, one per message (2.3's parameter name).

    Returns:
        The chats.

    Raises:
        ValueError: A row lacks a required column, or a text column is not JSON.
    """
    groups: dict[str, list[Mapping[str, t.Any]]] = {}
    for number, row in enumerate(messages):
        missing = [c for c in ("chat_id", "message_id", "role", "generated") if c not in row]
        if missing:
            raise ValueError(f"row {number} lacks column(s) {', '.join(missing)}")
        groups.setdefault(str(row["chat_id"]), []).append(row)
    return [_chat(group) for group in groups.values()]


def _pandas() -> t.Any:
    return import_optional("pandas", extra="data", purpose="DataFrame conversion")


def chats_to_df(chats: Chat | Iterable[Chat]) -> pd.DataFrame:
    """Turn chats into a DataFrame with one row per message (see `flatten_chats`).

    Column types: ids, roles' text columns and nested values are pandas ``string`` (nested
    values as JSON text, missing ones as ``<NA>``), ``chat_timestamp`` is
    ``datetime64[us]``, ``generated`` and ``chat_failed`` are ``bool``, ``role`` is
    ``category``. Message ``content`` is the text, or JSON text of the content parts when the
    message holds a list; ``content_is_list`` says which.

    Args:
        chats: A chat or several.

    Returns:
        The DataFrame; `df_to_chats` turns it back into equal chats.

    Raises:
        ModuleNotFoundError: pandas is not installed (``pip install 'rigging[data]'``).
    """
    pd = _pandas()
    rows = flatten_chats(chats)
    for row in rows:
        for column in _JSON_COLUMNS:
            value = row[column]
            row[column] = None if value is None else json.dumps(value)
        content = row["content"]
        row["content_is_list"] = not isinstance(content, str)
        if not isinstance(content, str):
            row["content"] = json.dumps(content)
    columns = [*CHAT_COLUMNS, *MESSAGE_COLUMNS, "content_is_list"]
    df = pd.DataFrame(rows, columns=columns, dtype=object)  # no inference: see below
    text = [c for c in columns if c not in ("chat_timestamp", "generated", "chat_failed", "role")]
    text.remove("content_is_list")
    # Python-backed strings: pyarrow's (pandas 3's default) cannot hold a lone surrogate,
    # which chats can (a model's half emoji).
    df = df.astype(dict.fromkeys(text, pd.StringDtype("python")))
    df["chat_timestamp"] = _timestamps(pd, df["chat_timestamp"])
    df = df.astype({"generated": bool, "chat_failed": bool, "content_is_list": bool})
    df["role"] = df["role"].astype("category")
    return df


def _timestamps(pd: t.Any, stamps: t.Any) -> t.Any:
    """``chat_timestamp`` as datetimes: one column type when the chats allow it.

    Naive, or aware with one offset: ``datetime64[us]`` (with that zone). Aware with several
    offsets (winter and summer time): in UTC, the same instants. Naive and aware mixed: the
    Python datetimes as they are (object), since no one column type holds both. Decided
    from the values first: pandas 2 warns where pandas 3 raises on mixed offsets.
    """
    values = [datetime.fromisoformat(stamp) for stamp in stamps]
    offsets = {value.utcoffset() for value in values}
    if None in offsets and len(offsets) > 1:
        return pd.Series(values, index=stamps.index, dtype=object)
    utc = len(offsets) > 1
    return pd.to_datetime(stamps, format="ISO8601", utc=utc).dt.as_unit("us")


def _cell(value: t.Any, pd: t.Any) -> t.Any:
    if value is None:
        return None
    if value is pd.NA or (isinstance(value, float) and value != value):
        return None
    return value


def df_to_chats(df: pd.DataFrame) -> list[Chat]:
    """Rebuild chats from a DataFrame made by `chats_to_df`.

    Args:
        df: The DataFrame (rows of one chat may be anywhere; their order is kept).

    Returns:
        The chats, in the order their first row appears.

    Raises:
        ModuleNotFoundError: pandas is not installed.
        ValueError: A required column is missing or a JSON column does not hold JSON.
    """
    pd = _pandas()
    rows: list[dict[str, t.Any]] = []
    for record in df.to_dict(orient="records"):
        row = {str(k): _cell(v, pd) for k, v in record.items()}
        timestamp = row.get("chat_timestamp")
        if isinstance(timestamp, pd.Timestamp):
            row["chat_timestamp"] = timestamp.to_pydatetime()
        if row.pop("content_is_list", False):
            row["content"] = _decode(row["content"], "content")
        row["generated"] = bool(row.get("generated"))
        rows.append(row)
    return unflatten_chats(rows)
