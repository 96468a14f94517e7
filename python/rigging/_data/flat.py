"""Chats as flat rows (one per message) and as pandas DataFrames, with a lossless way back.

Every value a `Chat` dumps to JSON is kept: chat fields (id, timestamp, metadata, generator id,
stop reason, usage, extra, failure and error text) and every message field (id, role, content
or content parts, parsed parts, tool calls, metadata). Rows of one chat keep the order of its
messages (``messages`` first, then ``generated``), and each row records its message's place
(``generated`` and ``message_index``), so a chat written twice loads back once. 2.3's columns
come first, in 2.3's order; the columns 2.3 lacked follow them.
"""

from __future__ import annotations

import json
import typing as t
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

from pydantic_core import PydanticSerializationError

from rigging._data.unwritable import listing, unwritable
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
)
"""2.3's columns repeating the chat's fields on each of its rows (first in a row)."""

MESSAGE_COLUMNS = (
    "generated",
    "message_id",
    "role",
    "parts",
    "content",
    "tool_calls",
    "tool_call_id",
)
"""2.3's columns holding one message (after `CHAT_COLUMNS`)."""

EXTRA_COLUMNS = ("chat_failed", "chat_error", "message_metadata")
"""Columns 2.3 rows lacked: after every 2.3 column, so 2.3 code reading columns by position
(``df.iloc[:, 7]``, ``row.values()``) reads what it read before."""

ROW_COLUMNS = (*CHAT_COLUMNS, *MESSAGE_COLUMNS, *EXTRA_COLUMNS)
"""Every column that rebuilds a message and its chat's fields, in row order."""

POSITION_COLUMN = "message_index"
"""The message's index in its list (``messages`` or ``generated``, as the ``generated`` column
says). Last column of a row, so the columns before it keep their places."""

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
    lists), so every row can be written with `json.dumps`. The last column,
    ``message_index``, is the message's index in ``messages`` or ``generated`` (``generated``
    says which): `unflatten_chats` uses it to load a chat written twice once.

    Args:
        chats: A chat or several.

    Returns:
        The rows, in chat order, messages before generated messages.

    Raises:
        pydantic_core.PydanticSerializationError: Some chats cannot be written as JSON (a
            value JSON has no form for, metadata nested too deeply); raised after every chat
            was tried, naming each one and the path of the value at fault.
    """
    rows: list[dict[str, t.Any]] = []
    for dump in _json_dumps(_as_list(chats)):
        head = {
            "chat_id": dump["uuid"],
            "chat_metadata": dump["metadata"],
            "chat_generator_id": dump["generator_id"],
            "chat_timestamp": dump["timestamp"],
            "chat_stop_reason": dump["stop_reason"],
            "chat_usage": dump["usage"],
            "chat_extra": dump["extra"],
        }
        tail = {"chat_failed": dump["failed"], "chat_error": dump["error"]}
        for generated, key in ((False, "messages"), (True, "generated")):
            for index, message in enumerate(dump[key]):
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
                        **tail,
                        "message_metadata": message["metadata"],
                        POSITION_COLUMN: index,
                    }
                )
    return rows


def _json_dumps(chats: list[Chat]) -> list[dict[str, t.Any]]:
    """The JSON-mode dump of each chat; an error naming every chat that has none.

    Raises:
        pydantic_core.PydanticSerializationError: Some chats cannot be dumped (a `ValueError`,
            as pydantic's own errors there): each is named with the path of the value at fault.
    """
    dumps: list[dict[str, t.Any]] = []
    failed: list[tuple[str, str]] = []
    first: Exception | None = None
    for chat in chats:
        try:
            dumps.append(chat.model_dump(mode="json"))
        except (ValueError, TypeError, RecursionError) as exc:  # see `unwritable`
            failed.append((str(chat.uuid), unwritable(chat, exc)))
            first = first or exc
    if failed:
        raise PydanticSerializationError(
            f"{len(failed)} of {len(chats)} chats cannot be written as JSON rows: {listing(failed)}"
        ) from first
    return dumps


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


def _chat_fields(row: Mapping[str, t.Any]) -> dict[str, t.Any]:
    """The chat's own fields, as one of its rows repeats them."""
    return {
        "uuid": row["chat_id"],
        "timestamp": row["chat_timestamp"],
        "metadata": _decode(row.get("chat_metadata"), "chat_metadata") or {},
        "generator_id": row.get("chat_generator_id"),
        "stop_reason": row.get("chat_stop_reason") or "unknown",
        "usage": _decode(row.get("chat_usage"), "chat_usage"),
        "extra": _decode(row.get("chat_extra"), "chat_extra") or {},
        "failed": bool(row.get("chat_failed", False)),
        "error": row.get("chat_error"),
    }


def _chat(head: Mapping[str, t.Any], rows: Sequence[Mapping[str, t.Any]]) -> Chat:
    messages = [_message(r) for r in rows if not r["generated"]]
    generated = [_message(r) for r in rows if r["generated"]]
    data = {**_chat_fields(head), "messages": messages, "generated": generated}
    return Chat.model_validate(data)


Position = tuple[bool, int]
"""Where a row's message sits in its chat: (in ``generated``, index in that list)."""


def _index(row: Mapping[str, t.Any], number: int) -> int | None:
    """The row's ``message_index`` (None: not recorded, a row written before the column).

    Integral floats are accepted: a DataFrame column with missing values holds floats.
    """
    value = row.get(POSITION_COLUMN)
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not hasattr(value, "__index__") or int(value) < 0:
        raise ValueError(
            f"row {number}: column {POSITION_COLUMN!r} must be an int of 0 or more, got {value!r}"
        )
    return int(value)


def _canonical(row: Mapping[str, t.Any], columns: Iterable[str]) -> str:
    """`columns` of a row as one JSON text (nested columns decoded, keys sorted)."""
    values = {
        column: _decode(row.get(column), column) if column in _JSON_COLUMNS else row.get(column)
        for column in columns
    }
    return json.dumps(values, sort_keys=True, default=str)


def _rebuilt(row: Mapping[str, t.Any]) -> str:
    """What a row rebuilds (its message and its chat's fields) as one JSON text."""
    chat = Chat.model_validate({**_chat_fields(row), "messages": [], "generated": []})
    fields = chat.model_dump(mode="json", exclude={"messages", "generated"})
    message = _message(row).model_dump(mode="json")
    return json.dumps([fields, message], sort_keys=True, default=str)


def _same(first: Mapping[str, t.Any], second: Mapping[str, t.Any]) -> bool:
    """Whether two rows are copies of one message of one chat.

    Copies hold the same values, or values rebuilding the same message and chat fields (JSON
    text against a value, a timestamp against its ISO text).
    """
    columns = ROW_COLUMNS
    if _canonical(first, columns) == _canonical(second, columns):
        return True
    return _rebuilt(first) == _rebuilt(second)


def _conflict(
    chat_id: str,
    position: Position,
    numbers: tuple[int, int],
    rows: tuple[Mapping[str, t.Any], ...],
) -> ValueError:
    generated, index = position
    differ = [
        column
        for column in ROW_COLUMNS
        if _canonical(rows[0], [column]) != _canonical(rows[1], [column])
    ]
    where = f"{'generated' if generated else 'messages'}[{index}]"
    return ValueError(
        f"chat {chat_id}: rows {numbers[0]} and {numbers[1]} both hold its {where} but differ "
        f"(in {', '.join(differ) or 'their rebuilt values'}): they are two versions of the "
        "chat and rows do not say which is newer; keep the rows of one version (e.g. those of "
        "its last write) and load again"
    )


def _one_per_position(
    chat_id: str, rows: Sequence[tuple[int, Mapping[str, t.Any]]]
) -> list[Mapping[str, t.Any]]:
    """The rows of one chat, one per message position, in message order (see `unflatten_chats`).

    Args:
        chat_id: The chat (for errors).
        rows: The chat's rows with their row numbers, in input order.

    Returns:
        The rows to rebuild the chat from.

    Raises:
        ValueError: Two rows of one position differ, or a ``message_index`` is not an int.
    """
    indices = [_index(row, number) for number, row in rows]
    if all(index is None for index in indices):  # written before message_index: row order
        return [row for _, row in rows]
    kept: dict[Position, tuple[int, Mapping[str, t.Any]]] = {}
    for (number, row), index in zip(rows, indices, strict=True):
        if index is None:
            continue
        position = (bool(row["generated"]), index)
        seen = kept.get(position)
        if seen is None:
            kept[position] = (number, row)
        elif not _same(seen[1], row):
            raise _conflict(chat_id, position, (seen[0], number), (seen[1], row))
    # Rows without an index take the next place of their list, in row order: a copy of the
    # row there (the chat saved before and after the column existed) is dropped; another
    # message (a row made by hand, as 2.3 code makes them) goes after the list's last place.
    unrecorded = {False: 0, True: 0}
    for (number, row), index in zip(rows, indices, strict=True):
        if index is not None:
            continue
        generated = bool(row["generated"])
        position = (generated, unrecorded[generated])
        unrecorded[generated] += 1
        seen = kept.get(position)
        if seen is None:
            kept[position] = (number, row)
        elif not _same(seen[1], row):
            last = max(index for list_, index in kept if list_ == generated)
            kept[(generated, last + 1)] = (number, row)
    return [kept[position][1] for position in sorted(kept)]


def unflatten_chats(messages: Iterable[Mapping[str, t.Any]]) -> list[Chat]:
    """Rebuild chats from rows made by `flatten_chats` (or read back from a JSONL file).

    Rows are grouped by ``chat_id``; chats come back in the order their first row appears,
    with the chat fields of that first row. Nested columns may be values or their JSON text.

    Each message is placed by its row's ``generated`` and ``message_index`` (in that order
    whatever the row order, e.g. after a DataFrame shuffle), so a chat written twice (a JSONL
    file appended twice, a DataFrame concatenated with itself) loads once: rows of the same
    place that rebuild the same message and chat fields are copies, and one is kept. A chat
    may hold one message (one ``message_id``) at several places; each place is kept. Two rows
    of one place that differ are two versions of the chat (changed, then saved again): rows
    carry no write time, and their order is what a sort or concatenation made of it, so no
    copy can be trusted as the newer one and a `ValueError` names the chat and the place
    instead of picking one (or mixing both when the versions differ in length).

    Rows without ``message_index`` (written before the column existed, or by hand) load as
    they always did: every row is a message, in row order. Mixed with rows of the same chat
    that have it, each such row takes the next place of its list, in row order: a copy of
    the row there is dropped (the chat saved before and after the column existed), and a
    different message (a row made by hand) goes after the last message of its list.

    Args:
        messages: The rows, one per message (2.3's parameter name).

    Returns:
        The chats.

    Raises:
        ValueError: A row lacks a required column, a text column is not JSON, a
            ``message_index`` is not an int of 0 or more, or two rows of one chat hold
            different messages (or chat fields) at the same place.
    """
    groups: dict[str, list[tuple[int, Mapping[str, t.Any]]]] = {}
    for number, row in enumerate(messages):
        missing = [c for c in ("chat_id", "message_id", "role", "generated") if c not in row]
        if missing:
            raise ValueError(f"row {number} lacks column(s) {', '.join(missing)}")
        groups.setdefault(str(row["chat_id"]), []).append((number, row))
    return [
        _chat(group[0][1], _one_per_position(chat_id, group)) for chat_id, group in groups.items()
    ]


def _pandas() -> t.Any:
    return import_optional("pandas", extra="data", purpose="DataFrame conversion")


def chats_to_df(chats: Chat | Iterable[Chat]) -> pd.DataFrame:
    """Turn chats into a DataFrame with one row per message (see `flatten_chats`).

    Column types: ids, roles' text columns and nested values are pandas ``string`` (nested
    values as JSON text, missing ones as ``<NA>``), ``chat_timestamp`` is
    ``datetime64[us]``, ``generated`` and ``chat_failed`` are ``bool``, ``role`` is
    ``category``, ``message_index`` is ``int64``. Message ``content`` is the text, or JSON
    text of the content parts when the message holds a list; ``content_is_list`` says which.
    The columns are those of `flatten_chats` (``message_index`` last), with
    ``content_is_list`` before ``message_index``.

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
    columns = [*ROW_COLUMNS, "content_is_list", POSITION_COLUMN]
    df = pd.DataFrame(rows, columns=columns, dtype=object)  # no inference: see below
    typed = ("chat_timestamp", "generated", "chat_failed", "role", "content_is_list")
    text = [c for c in columns if c not in (*typed, POSITION_COLUMN)]
    # Python-backed strings: pyarrow's (pandas 3's default) cannot hold a lone surrogate,
    # which chats can (a model's half emoji).
    df = df.astype(dict.fromkeys(text, pd.StringDtype("python")))
    df["chat_timestamp"] = _timestamps(pd, df["chat_timestamp"])
    df = df.astype(
        {"generated": bool, "chat_failed": bool, "content_is_list": bool, POSITION_COLUMN: "int64"}
    )
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

    Rows are read as by `unflatten_chats`: a chat whose rows appear twice (the DataFrame
    concatenated with itself) comes back once, and rows without ``message_index`` (a frame
    made before the column existed; missing values after concatenating one) keep their order.

    Args:
        df: The DataFrame (rows of one chat may be anywhere).

    Returns:
        The chats, in the order their first row appears.

    Raises:
        ModuleNotFoundError: pandas is not installed.
        ValueError: A required column is missing, a JSON column does not hold JSON, or two
            rows of one chat hold different messages at the same place.
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
