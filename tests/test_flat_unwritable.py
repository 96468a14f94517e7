"""Rows and DataFrames of chats that cannot be written: each chat named, with the value's path."""

from __future__ import annotations

import typing as t
from collections.abc import Callable

import pytest
from _nesting import nested_dicts
from pydantic_core import PydanticSerializationError

import rigging as rg
from rigging.data import chats_to_df, flatten_chats


def _chat(*texts: str) -> rg.Chat:
    return rg.Chat([rg.Message("user", text) for text in texts], [rg.Message("assistant", "ok")])


def _frame(chats: list[rg.Chat]) -> object:
    pytest.importorskip("pandas")
    return chats_to_df(chats)


WRITERS: dict[str, Callable[[list[rg.Chat]], object]] = {
    "flatten_chats": flatten_chats,
    "chats_to_df": _frame,
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_too_deep_metadata_names_the_chat_the_message_and_the_path(writer: str) -> None:
    good, deep = _chat("a"), _chat("b", "c")
    deep.messages[1].metadata["tree"] = {"k": [nested_dicts(300)]}
    with pytest.raises(PydanticSerializationError) as info:
        WRITERS[writer]([good, deep])
    text = str(info.value)
    assert text.startswith("1 of 2 chats cannot be written as JSON rows: ")
    assert f"chat {deep.uuid}: messages[1].metadata['tree']['k'][0]['a']['a']" in text
    assert "Maximum serialization depth exceeded" in text
    assert str(good.uuid) not in text
    assert isinstance(info.value, ValueError)  # as the unnamed error it replaces


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_chat_that_cannot_be_written_is_named(writer: str) -> None:
    odd, raw, good = _chat("a"), _chat("b"), _chat("c")
    odd.generated[0].metadata["handle"] = object()
    raw.extra["blob"] = {"data": b"\xff"}
    with pytest.raises(PydanticSerializationError) as info:
        WRITERS[writer]([odd, good, raw])
    text = str(info.value)
    assert text.startswith("2 of 3 chats cannot be written as JSON rows: ")
    assert f"chat {odd.uuid}: generated[0].metadata.handle: PydanticSerializationError: " in text
    assert f"chat {raw.uuid}: extra.blob.data: UnicodeDecodeError: " in text
    assert str(good.uuid) not in text


def test_a_cycle_is_named_by_chat() -> None:
    loop: dict[str, t.Any] = {}
    loop["self"] = loop
    chat = _chat("a")
    chat.metadata["loop"] = loop
    named = f"chat {chat.uuid}: it cannot be written as JSON .Circular reference"
    with pytest.raises(PydanticSerializationError, match=named):
        flatten_chats(chat)
