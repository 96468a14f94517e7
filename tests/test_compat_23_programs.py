"""2.3 user programs that must run unchanged: custom generators, tool objects, staged messages."""

from __future__ import annotations

import json
import typing as t
from collections.abc import Callable, Sequence

import pydantic
import pytest

import rigging as rg
from rigging.generator import GeneratedMessage, GenerateParams, Generator
from rigging.message import Message


class CallbackGenerator(Generator):
    """A 2.3-style test generator: a field holds the function that writes each reply."""

    callback: t.Any = None

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        return [GeneratedMessage.from_text(self.callback(m)) for m in messages]


class Client:
    """A runtime object a generator may hold (not a pydantic type)."""


class ClientGenerator(CallbackGenerator):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    client: Client | None = None
    hidden: Client | None = pydantic.Field(default=None, exclude=True)
    retries: int = 2


def _last(messages: Sequence[Message]) -> str:
    return messages[-1].content


class ResponseFormat(pydantic.BaseModel):
    answer: str


@pytest.mark.parametrize(
    "make",
    [
        lambda: CallbackGenerator(model="cb", params=GenerateParams(), callback=_last),
        lambda: ClientGenerator(
            model="cb", params=GenerateParams(), callback=_last, client=Client(), hidden=Client()
        ),
        lambda: CallbackGenerator(
            model="cb",
            params=GenerateParams(extra={"response_format": ResponseFormat, "hook": print}),
            callback=_last,
        ),
    ],
    ids=["function-field", "object-fields", "objects-in-extra"],
)
async def test_a_generator_holding_runtime_objects_still_names_its_chats(
    make: Callable[[], CallbackGenerator],
) -> None:
    generator = make()
    chat = await generator.chat("hi").run()
    identifier = chat.generator_id
    assert identifier is not None
    assert identifier.startswith("base!cb")
    assert "function" not in identifier.split(",", 1)[0]
    assert repr(chat)
    assert json.loads(chat.model_dump_json())["generator_id"] == identifier
    rows = rg.data.flatten_chats([chat])
    assert rows[0]["chat_generator_id"] == identifier


def test_fields_json_cannot_carry_are_left_out_and_the_others_kept() -> None:
    generator = ClientGenerator(
        model="cb", params=GenerateParams(temperature=0.5), callback=_last, client=Client()
    )
    generator.retries = 3
    assert generator.to_identifier() == "base!cb,retries=3,temperature=0.5"
