"""2.3 user programs that must run unchanged: custom generators, tool objects, staged messages."""

from __future__ import annotations

import json
import typing as t
from collections.abc import Callable, Sequence
from typing import Annotated

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


class Weather(rg.Tool):
    name = "weather"
    description = "Get the weather"

    def get_for_city(self, city: Annotated[str, "The city name"]) -> str:
        """Get the weather for a city."""
        return f"sunny in {city}"


def _tool_reply(messages: Sequence[Message]) -> str:
    if "<tool-result" in messages[-1].content:
        return f"Done: {messages[-1].content}"
    return '<tool-call name="weather_get_for_city">{"city": "Paris"}</tool-call>'


@pytest.mark.parametrize("tool", [Weather(), Weather], ids=["object", "class"])
async def test_tool_objects_are_offered_natively_as_in_2_3(tool: object) -> None:
    generator = CallbackGenerator(model="cb", params=GenerateParams(), callback=_tool_reply)
    assert generator.supports_api_tools  # a custom generator: functions go through the API
    pipeline = generator.chat("Weather in Paris?").using(tool)
    assert pipeline.params is None or not pipeline.params.tools
    assert pipeline.chat.messages[0].role == "system"
    assert "weather_get_for_city" in pipeline.chat.messages[0].content
    chat = await pipeline.run()
    assert "sunny in Paris" in chat.last.content


def test_functions_and_an_explicit_mode_still_pick_the_api() -> None:
    def add(x: int, y: int) -> int:
        """Add."""
        return x + y

    generator = CallbackGenerator(model="cb", params=GenerateParams(), callback=_last)
    for pipeline in (
        generator.chat("x").using(add),
        generator.chat("x").using(Weather(), mode="api"),
        generator.chat("x").using(Weather(), add),
    ):
        assert pipeline.params is not None
        assert pipeline.params.tools
        assert all(m.role != "system" for m in pipeline.chat.messages)


def test_a_tool_description_has_2_3_to_pretty_xml() -> None:
    description = Weather().get_description()
    assert description.to_pretty_xml() == str(description)
    assert "weather_get_for_city" in description.to_pretty_xml()


async def test_a_message_changed_after_staging_does_not_change_the_pipeline() -> None:
    generator = CallbackGenerator(model="cb", params=GenerateParams(), callback=_last)
    system, user = Message("system", "Be brief."), Message("user", "")
    pipelines = []
    for question in ("first?", "second?"):
        user.content = question
        pipelines.append(generator.chat([system, user]))
    chats = [await p.run() for p in pipelines]
    assert [c.last.content for c in chats] == ["first?", "second?"]

    staged = Message("user", "added")
    pipeline = generator.chat("hi").add(staged, merge_strategy="none")
    chat = rg.Chat([staged])
    item = Message("user", "batch item")
    batch = await generator.chat().run_batch([[item]])
    staged.content = item.content = "changed"
    assert (await pipeline.run()).last.content == "added"
    assert chat.messages[0].content == "added"
    assert batch[0].messages[0].content == "batch item"
    assert pipeline.chat.all[-1].uuid == staged.uuid  # a copy keeps the uuid (2.3's `fit`)


class OneMessageGenerator(Generator):
    """Answers every item with the same `Message` object (a 2.3 mock pattern)."""

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        reply = Message("assistant", "Hello $name <answer>1</answer>")
        return [GeneratedMessage(message=reply) for _ in messages]


async def test_each_chat_owns_its_reply_when_the_generator_repeats_one_object() -> None:
    generator = OneMessageGenerator(model="one", params=GenerateParams())
    first, second, third = await generator.chat("x").run_many(3)
    assert first.last is not second.last
    assert second.last is not third.last
    first.last.parse(rg.model.Answer)
    first.last.strip(rg.model.Answer)
    second.last.content = "changed"
    assert third.last.content == "Hello $name <answer>1</answer>"
    assert third.last.parse(rg.model.Answer).content == "1"


class KeptReplyGenerator(Generator):
    """A 2.3-style test double that answers every call with the one message it keeps."""

    reply: Message = pydantic.Field(
        default_factory=lambda: Message("assistant", "Hi <answer>1</answer>")
    )

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        return [GeneratedMessage(message=self.reply) for _ in messages]


@pytest.mark.parametrize("runner", ["runs", "windows"])
async def test_a_reply_the_generator_keeps_is_copied_for_each_chat_across_calls(
    runner: str,
) -> None:
    """One run after another (or one batch in windows of one) with a generator that keeps
    its reply: the chats held the generator's own object, so changing or parsing one chat's
    reply changed every other chat's and every later answer."""
    generator = KeptReplyGenerator(model="kept", params=GenerateParams())
    if runner == "runs":
        chats = [await generator.chat("x").run() for _ in range(3)]
    else:
        chats = list(await generator.chat().run_batch(["a", "b", "c"], max_concurrency=1))
    first, second, third = chats
    assert len({id(first.last), id(second.last), id(third.last), id(generator.reply)}) == 4
    second.last.content = "changed"
    second.last.metadata["k"] = 1
    first.last.parse(rg.model.Answer)
    later = await generator.chat("y").run()
    for chat in (first, third, later):
        assert chat.last.all_content in ("Hi <answer>1</answer>", "Hi \n<answer>1</answer>")
    assert third.last.metadata == {}
    assert later.last.metadata == {}
    assert generator.reply.content == "Hi <answer>1</answer>"
    assert generator.reply.parts == []


def test_objects_in_params_extra_give_the_same_identifier_in_every_process() -> None:
    """A runtime object in ``params.extra`` was written as its ``str()``, memory address
    included: the identifier changed with every object, so a checkpointed run never
    resumed (its fingerprint differed) and a cache never hit."""

    def make() -> str:
        extra = {"client": Client(), "hook": lambda x: x, "format": ResponseFormat, "n": [1]}
        generator = CallbackGenerator(model="cb", params=GenerateParams(extra=extra))
        return generator.to_identifier()

    first, second = make(), make()
    assert first == second
    assert " at 0x" not in first
    assert "test_compat_23_programs.ResponseFormat" in first
    assert "<lambda>" in first


class LabelledGenerator(CallbackGenerator):
    label: str = ""


def test_a_generator_s_own_key_is_masked_wherever_its_identifier_would_show_it() -> None:
    """The api key repeated in a field no secret rule covers (not secret-named, not a URL)
    was written into the identifier as it is."""
    generator = LabelledGenerator(model="cb", api_key="gatewaypass", label="team-gatewaypass")
    identifier = generator.to_identifier()
    assert "gatewaypass" not in identifier
    assert "label=team-***" in identifier
