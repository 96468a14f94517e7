"""`Chat` and `ChatList`: views, edits, copies, continuations and JSON round trips."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

import rigging as rg
from rigging.chat import Chat, ChatList, ChatPipeline
from rigging.error import MessagesExhaustedMaxRoundsError, RestoredError
from rigging.generator import GenerateParams
from rigging.generator.testing import EchoGenerator, FixedGenerator
from rigging.message import Message
from rigging.model import Answer


async def _chat() -> Chat:
    pipeline = EchoGenerator().chat([{"role": "system", "content": "be brief"}, "hello"])
    return await pipeline.run()


async def test_views_of_a_generated_chat() -> None:
    chat = await _chat()
    assert [m.role for m in chat.all] == ["system", "user", "assistant"]
    assert chat.prev == chat.messages
    assert chat.next == chat.generated
    assert chat.last.content == "hello"
    assert len(chat) == 3
    assert chat.conversation == "[system]: be brief\n\n[user]: hello\n\n[assistant]: hello"
    assert chat.message_dicts == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "hello"},
    ]
    assert chat.stop_reason == "stop"
    assert chat.usage is not None
    assert chat.usage.output_tokens == 1
    assert chat.failed is False
    assert chat.error is None
    assert chat.generator_id == "base!echo"


def test_last_of_an_empty_chat_names_the_problem() -> None:
    with pytest.raises(IndexError, match="holds no message"):
        _ = Chat([]).last


def test_constructor_accepts_strings_dicts_and_messages_copying_messages() -> None:
    message = Message("assistant", "hi")
    chat = Chat(["q", {"role": "user", "content": "more"}], [message])
    assert [m.role for m in chat.messages] == ["user", "user"]
    assert chat.generated[0] is not message  # a copy, as in 2.3 (same uuid)
    assert (chat.generated[0].uuid, chat.generated[0].content) == (message.uuid, "hi")


async def test_meta_mutates_and_returns_the_chat() -> None:
    chat = await _chat()
    assert chat.meta(score=1) is chat
    assert chat.metadata == {"score": 1}


def test_apply_templates_the_last_message_without_touching_shared_messages() -> None:
    shared = Message("assistant", "Hello $name")
    one, two = Chat(["hi"], [shared]), Chat(["hi"], [shared])
    assert one.apply(name="Ada") is one
    assert one.last.content == "Hello Ada"
    assert two.last.content == "Hello $name"
    only_inputs = Chat(["Hi $who"]).apply(who="you")
    assert only_inputs.last.content == "Hi you"


def test_apply_to_all_templates_every_message() -> None:
    chat = Chat(["Hi $a"], [Message("assistant", "Bye $a")]).apply_to_all(a="x")
    assert [m.content for m in chat.all] == ["Hi x", "Bye x"]


def test_strip_returns_a_clone_without_the_model() -> None:
    answer = Message("assistant", "Sure: <answer>42</answer>")
    answer.parse(Answer)
    chat = Chat(["q"], [answer])
    stripped = chat.strip(Answer)
    assert stripped.last.content == "Sure: "
    assert stripped.last.parts == []
    assert chat.last.content == "Sure: <answer>42</answer>"
    assert stripped.uuid != chat.uuid


def test_inject_system_content_inserts_or_appends_copy_on_write() -> None:
    chat = Chat(["q"])
    system = chat.inject_system_content("rules")
    assert chat.messages[0] is system
    assert system.role == "system"
    assert system.content == "rules"

    shared = Message("system", "base")
    one, two = Chat([shared, "q"]), Chat([shared, "q"])
    updated = one.inject_system_content("extra")
    assert updated.content == "base\n\nextra"
    assert one.messages[0] is updated
    assert two.messages[0].content == "base"


async def test_clone_copies_messages_and_gets_a_new_identity() -> None:
    chat = (await _chat()).meta(tag={"nested": [1]})
    clone = chat.clone()
    assert clone.uuid != chat.uuid
    assert clone.messages[0] is not chat.messages[0]
    assert clone.conversation == chat.conversation
    clone.metadata["tag"]["nested"].append(2)
    assert chat.metadata == {"tag": {"nested": [1]}}
    assert clone.generator is chat.generator
    assert clone.usage == chat.usage
    bare = chat.clone(only_messages=True)
    assert bare.metadata == {}
    assert bare.usage is None
    assert bare.conversation == chat.conversation


async def test_fork_goes_back_and_continue_goes_forward() -> None:
    chat = await _chat()
    forked = chat.fork("other")
    assert isinstance(forked, ChatPipeline)
    assert [m.content for m in forked.chat.messages] == ["be brief", "hello\nother"]
    continued = chat.continue_("next")
    assert [m.content for m in continued.chat.messages] == ["be brief", "hello", "hello", "next"]
    assert forked.chat.messages[0] is not chat.messages[0]
    result = await continued.run()
    assert result.last.content == "next"


async def test_restart_keeps_params_and_can_swap_the_generator() -> None:
    chat = await EchoGenerator().chat("hi").with_(temperature=0.5).run()
    pipeline = chat.restart()
    assert pipeline.params == chat.params
    other = FixedGenerator(text="fixed")
    assert (await chat.restart(generator=other).run()).last.content == "fixed"


def test_restart_without_generator_fails_clearly() -> None:
    with pytest.raises(ValueError, match="Cannot restart a chat without an associated generator"):
        Chat(["q"]).restart()


async def test_json_round_trip_keeps_parts_failure_and_generator_id() -> None:
    pipeline = EchoGenerator().chat("<answer>1</answer>").until_parsed_as(Answer)
    chat = await pipeline.with_(temperature=0.2).run()
    chat.meta(run=3)
    loaded = Chat.model_validate_json(chat.model_dump_json())
    assert loaded == chat
    assert loaded.last.parts[0].model == Answer(content="1")
    assert loaded.generator_id == chat.generator_id
    assert loaded.generator is not None

    failed = (
        await FixedGenerator(text="no")
        .chat("q")
        .until_parsed_as(Answer, max_rounds=1)
        .run(allow_failed=True)
    )
    assert isinstance(failed.error, MessagesExhaustedMaxRoundsError)
    dumped = failed.model_dump(mode="json")
    assert dumped["error"] == (
        "Exhausted max rounds (1) while generating; "
        "last error: Failed to find '<answer></answer>' in message"
    )
    assert dumped["failed"] is True
    loaded = Chat.model_validate_json(failed.model_dump_json())
    assert loaded == failed
    assert isinstance(loaded.error, RestoredError)
    assert str(loaded.error) == str(failed.error)


def test_json_shape_names_every_field() -> None:
    dumped = Chat(["q"]).model_dump(mode="json")
    assert set(dumped) == {
        "uuid",
        "timestamp",
        "messages",
        "generated",
        "metadata",
        "stop_reason",
        "usage",
        "extra",
        "error",
        "failed",
        "generator_id",
    }
    assert dumped["generator_id"] is None
    loaded = Chat.model_validate(dumped)
    assert loaded.generator is None
    assert loaded.messages[0].content == "q"


async def test_chat_list_to_json_gives_python_dumps() -> None:
    chats = await EchoGenerator().chat("hi").run_many(2)
    assert isinstance(chats, ChatList)
    dumps = chats.to_json()
    assert [d["uuid"] for d in dumps] == [c.uuid for c in chats]
    assert dumps[0]["generated"][0]["content"] == "hi"


async def test_top_level_chat_helper_and_generator_watchers() -> None:
    seen: list[int] = []

    async def watcher(chats: list[Chat]) -> None:
        seen.append(len(chats))

    generator = EchoGenerator().watch(watcher)
    pipeline = rg.chat(generator, "hi", GenerateParams(max_tokens=5))
    assert pipeline.params == GenerateParams(max_tokens=5)
    await pipeline.run()
    assert seen == [1]
    assert rg.chat(generator).chat.messages == []


async def test_run_results_equal_validated_chats() -> None:
    chat = await EchoGenerator().chat("hi").meta(k=1).run()
    rebuilt = Chat.model_validate(chat.model_dump())
    rebuilt_key = (rebuilt.messages, rebuilt.generated, rebuilt.metadata, rebuilt.uuid)
    assert rebuilt_key == (chat.messages, chat.generated, chat.metadata, chat.uuid)
    assert chat.model_fields_set == set(Chat.model_fields)
    chat.failed = True
    assert chat.failed is True
    one, two = await EchoGenerator().chat("hi").meta(k=1).run_many(2)
    one.meta(k=2)
    assert two.metadata == {"k": 1}


def test_await_runs_a_pipeline_from_sync_code() -> None:
    chat = rg.await_(EchoGenerator().chat("sync").run())
    assert chat.last.content == "sync"
    many = rg.await_(EchoGenerator().chat("a").run(), rg.complete(EchoGenerator(), "b").run())
    assert [type(r).__name__ for r in many] == ["Chat", "Completion"]


@pytest.mark.parametrize(
    "generator_id",
    ["transformers!org/model,trust_remote_code=true", "vllm!org/model,trust_remote_code=1"],
)
def test_a_chat_loaded_from_data_may_not_turn_on_remote_code(generator_id: str) -> None:
    """Loading data must not choose to run code: `trust_remote_code` runs the model
    repository's code when the model loads."""
    row = {"generator_id": generator_id, "messages": [{"role": "user", "content": "hi"}]}
    with pytest.raises(ValidationError, match="turns on trust_remote_code"):
        Chat.model_validate(row)
    with pytest.raises(ValidationError, match="turns on trust_remote_code"):
        Chat.model_validate_json(json.dumps(row))
    # The same id without the flag loads; a generator the caller made is kept as it is.
    plain = Chat.model_validate({**row, "generator_id": generator_id.split(",")[0]})
    assert plain.generator is not None
    assert getattr(plain.generator, "trust_remote_code", None) is False
    trusted = rg.get_generator(generator_id)
    assert Chat(messages=["hi"], generator=trusted).generator is trusted


async def test_merging_into_the_last_user_message_keeps_images() -> None:
    """Merging joined only the two texts: an image in either message was silently dropped."""
    from rigging.message import ContentImageUrl, ContentText

    image = ContentImageUrl(image_url={"url": "data:image/png;base64,iVBORw0KGgo="})
    gen = EchoGenerator()
    chat = await gen.chat("You will get an image next.").run()
    asked = Message("user", [ContentText(text="What is in this picture?"), image])
    await chat.fork(asked).run()
    sent = gen.calls[-1].input
    assert isinstance(sent, list)
    assert sent[-1]["content"] == [
        {"type": "text", "text": "You will get an image next."},
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": image.image_url.url, "detail": "auto"}},
    ]
    staged = gen.chat(Message("user", [ContentText(text="Describe this."), image]))
    staged.add("Be brief.")
    (merged,) = staged.chat.messages
    assert merged.all_content == [
        ContentText(text="Describe this."),
        image,
        ContentText(text="Be brief."),
    ]
    assert merged.content == "Describe this.\nBe brief."  # the text reads as before
    text_only = gen.chat("a").add("b")
    assert [m.all_content for m in text_only.chat.messages] == ["a\nb"]


def test_chat_data_with_messages_of_the_wrong_type_names_the_field() -> None:
    """A chat file whose messages or generated hold numbers failed with "'int' object is
    not iterable", naming neither the field nor the entry."""
    user = {"role": "user", "content": "x"}
    cases = {
        "messages must be a message": {"messages": 5},
        "generated must be a message": {"messages": [user], "generated": 5},
        r"messages\[1\] must be a Message, a dict or a str, got int": {"messages": [user, 7]},
        r"generated\[0\] must be .* got list": {"messages": [user], "generated": [[user]]},
    }
    for match, data in cases.items():
        with pytest.raises(TypeError, match=match):
            rg.Chat.model_validate_json(json.dumps(data))
        with pytest.raises(TypeError, match=match):
            rg.Chat.model_validate(data)
    assert rg.Chat((Message("user", "x"),)).messages[0].content == "x"
