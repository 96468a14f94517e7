"""Everything that dumps loads back, however deeply its free-form values nest.

pydantic writes JSON nested up to about 255 containers deep but its parser stopped at 200: a
chat whose metadata nested 199 to 254 levels dumped fine and could not be loaded back.
"""

from __future__ import annotations

import typing as t

import pytest
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

import rigging as rg
from rigging.generator import GeneratedMessage, GeneratedText


def _nested(depth: int) -> dict[str, t.Any]:
    root: dict[str, t.Any] = {}
    node = root
    for _ in range(depth - 1):
        node["a"] = {}
        node = node["a"]
    node["leaf"] = [1.5, None, "x"]
    return root


def _deepest(make: t.Callable[[int], BaseModel]) -> tuple[int, str]:
    """The deepest nesting that still dumps (the writer's own limit), and its JSON."""
    low, high = 1, 400
    while low < high:
        middle = (low + high + 1) // 2
        try:
            make(middle).model_dump_json()
            low = middle
        except PydanticSerializationError:
            high = middle - 1
    return low, make(low).model_dump_json()


MAKERS: dict[str, t.Callable[[int], BaseModel]] = {
    "chat metadata": lambda d: rg.Chat([rg.Message("user", "hi")], metadata=_nested(d)),
    "message metadata in a chat": lambda d: rg.Chat(
        [rg.Message("user", "hi", metadata=_nested(d))]
    ),
    "message": lambda d: rg.Message("assistant", "hi", metadata=_nested(d)),
    "completion": lambda d: rg.Completion("a", "b", metadata=_nested(d)),
    "generated message": lambda d: GeneratedMessage(
        message=rg.Message("assistant", "hi"), extra=_nested(d)
    ),
    "generated text": lambda d: GeneratedText(text="hi", extra=_nested(d)),
}


@pytest.mark.parametrize("name", list(MAKERS))
def test_the_deepest_dump_loads_back_equal(name: str) -> None:
    make = MAKERS[name]
    depth, text = _deepest(make)
    assert depth > 200  # past the parser's own limit: the fallback is what reads it
    cls = type(make(1))
    loaded = cls.model_validate_json(text)
    assert loaded.model_dump_json() == text
    assert cls.model_validate_json(text.encode()).model_dump_json() == text


def test_other_invalid_json_keeps_its_error() -> None:
    with pytest.raises(ValidationError, match=r"type=json_invalid"):
        rg.Chat.model_validate_json('{"messages": [')
    broken = "[" * 300  # too deep and not JSON either: the parser's own error
    with pytest.raises(ValidationError, match="recursion limit"):
        rg.Message.model_validate_json(broken)


def test_strict_loading_does_not_fall_back() -> None:
    _, text = _deepest(MAKERS["message"])
    with pytest.raises(ValidationError, match="recursion limit"):
        rg.Message.model_validate_json(text, strict=True)
