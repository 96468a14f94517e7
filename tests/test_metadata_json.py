"""Metadata in a chat's or message's JSON: a too-deep value is named, surrogates in keys."""

from __future__ import annotations

import json
import typing as t

import pytest
from pydantic_core import PydanticSerializationError

import rigging as rg
from rigging.generator.testing import EchoGenerator


def _nested(levels: int) -> dict[str, t.Any]:
    root: dict[str, t.Any] = {}
    current = root
    for _ in range(levels):
        child: dict[str, t.Any] = {}
        current["k"] = [child]
        current = child
    return root


def test_a_too_deep_metadata_value_is_named_by_its_path() -> None:
    message = rg.Message("user", "hi", metadata={"fine": {"a": [1]}, "deep": _nested(200)})
    with pytest.raises(PydanticSerializationError) as info:
        message.model_dump_json()
    text = str(info.value)
    assert "Maximum serialization depth exceeded" in text  # still pydantic's words
    assert "Message.metadata['deep']['k'][0]['k'][0]" in text
    assert "'fine'" not in text
    assert "more characters clipped]" in text  # the path is clipped
    assert len(text) < 1000


async def test_a_chat_names_the_path_too() -> None:
    chat = await EchoGenerator().chat("hi").meta(deep=_nested(200)).run()
    with pytest.raises(PydanticSerializationError, match=r"Chat\.metadata\['deep'\]\['k'\]"):
        chat.model_dump_json()


def test_a_too_deep_value_with_lone_surrogates_is_named_too() -> None:
    metadata = {"s\ud83d": "v\ud83d", "deep": _nested(200)}
    with pytest.raises(PydanticSerializationError, match=r"Message\.metadata\['deep'\]"):
        rg.Message("user", "hi", metadata=metadata).model_dump_json()


@pytest.mark.parametrize("indent", [None, 2])
@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_a_lone_surrogate_in_a_key_is_one_replacement_character_as_in_a_value(
    indent: int | None, ensure_ascii: bool
) -> None:
    metadata = {"a\ud83d": {"b\udc00": "v\ud83d"}, "list": ["\ud83d"]}
    message = rg.Message("user", "x\ud83d", metadata=metadata)
    text = message.model_dump_json(indent=indent, ensure_ascii=ensure_ascii)
    loaded = json.loads(text)
    assert loaded["metadata"] == {"a\ufffd": {"b\ufffd": "v\ufffd"}, "list": ["\ufffd"]}
    assert loaded["content"] == "x\ufffd"
    assert message.metadata == metadata  # the message itself keeps its surrogates


async def test_a_chat_with_surrogate_keys_round_trips_with_one_replacement_each() -> None:
    chat = await EchoGenerator().chat("hi").meta(**{"k\ud83d": {"\udc00": 1}}).run()
    loaded = rg.Chat.model_validate_json(chat.model_dump_json())
    assert loaded.metadata == {"k\ufffd": {"\ufffd": 1}}
    assert "k\ud83d" in chat.metadata
