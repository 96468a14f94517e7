import pytest

from rigging.error import GenerationError
from rigging.generator import GenerateParams, get_identifier
from rigging.generator.testing import (
    EchoGenerator,
    FailingGenerator,
    FixedGenerator,
    ScriptedGenerator,
)
from rigging.message import Message


def _conv(text: str) -> list[Message]:
    return [Message(role="system", content="sys"), Message(role="user", content=text)]


async def test_echo_replies_with_last_message_and_records_params() -> None:
    gen = EchoGenerator(prefix="> ", params=GenerateParams(temperature=0.1))
    results = await gen.generate_messages(
        [_conv("one"), _conv("two")], [GenerateParams(), GenerateParams(max_tokens=3)]
    )
    assert [r.message.content for r in results] == ["> one", "> two"]
    assert all(r.message.role == "assistant" and r.stop_reason == "stop" for r in results)
    assert results[0].usage is not None
    assert results[0].usage.output_tokens == 2
    assert gen.calls[1].params.max_tokens == 3
    assert gen.calls[1].params.temperature == 0.1
    assert gen.calls[0].input == [
        {"role": "system", "content": "sys"},
        {"role": "user", "content": "one"},
    ]
    texts = await gen.generate_texts(["abc"], [GenerateParams()])
    assert texts[0].text == "> abc"


async def test_fixed_always_replies_the_same() -> None:
    gen = FixedGenerator(text="42")
    results = await gen.generate_texts(["a", "b"], [GenerateParams()] * 2)
    assert [r.text for r in results] == ["42", "42"]


async def test_scripted_replies_in_order_then_fails_clearly() -> None:
    gen = ScriptedGenerator(responses=["a", "b"])
    first = await gen.generate_messages([_conv("x")], [GenerateParams()])
    second = await gen.generate_texts(["y"], [GenerateParams()])
    assert first[0].message.content == "a"
    assert second[0].text == "b"
    with pytest.raises(GenerationError, match="ran out of responses after 2 item"):
        await gen.generate_texts(["z"], [GenerateParams()])


async def test_scripted_cycles_and_raises_scripted_exceptions() -> None:
    gen = ScriptedGenerator(responses=["a", ValueError("boom on 2")], cycle=True)
    assert (await gen.generate_texts(["1"], [GenerateParams()]))[0].text == "a"
    with pytest.raises(ValueError, match="boom on 2"):
        await gen.generate_texts(["2"], [GenerateParams()])
    assert (await gen.generate_texts(["3"], [GenerateParams()]))[0].text == "a"
    with pytest.raises(GenerationError, match="no responses"):
        await ScriptedGenerator().generate_texts(["x"], [GenerateParams()])


@pytest.mark.parametrize("limit", [None, 2, 3])
async def test_scripted_failure_in_a_batch_fails_only_its_own_item(limit: int | None) -> None:
    # each item gets its own turn of the script, in order, whatever the batch size: a scripted
    # exception fails only its item and no turn is consumed twice or handed to another item
    script: list[str | Exception] = ["first", GenerationError("down", model="s"), "third", "4th"]
    gen = ScriptedGenerator(responses=script)
    chats = (
        await gen.chat("Hi")
        .catch(GenerationError)
        .run_batch(["a", "b", "c", "d"], on_failed="include", max_concurrency=limit)
    )
    assert [c.failed for c in chats] == [False, True, False, False]
    assert [c.last.content for c in chats if not c.failed] == ["first", "third", "4th"]
    assert "down" in str(chats[1].error)
    sent = [c.input[-1] for c in gen.calls if isinstance(c.input, list)]
    assert [m["content"] for m in sent] == ["a", "b", "c", "d"]
    texts = ScriptedGenerator(responses=script)
    done = (
        await texts.complete("")
        .catch(GenerationError)
        .run_batch(["a", "b", "c", "d"], on_failed="include", max_concurrency=limit)
    )
    assert [c.generated if not c.failed else None for c in done] == ["first", None, "third", "4th"]


async def test_failing_raises_on_the_kth_item() -> None:
    gen = FailingGenerator(fail_on=3, message="planned")
    ok = await gen.generate_texts(["a", "b"], [GenerateParams()] * 2)
    assert [r.text for r in ok] == ["a", "b"]
    with pytest.raises(GenerationError, match=r"planned \(item 3\)"):
        await gen.generate_texts(["c"], [GenerateParams()])


async def test_batch_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="got 2 inputs but 1 params"):
        await EchoGenerator().generate_texts(["a", "b"], [GenerateParams()])


def test_testing_generators_serialise_under_base_unless_registered() -> None:
    assert get_identifier(FixedGenerator(text="hi")) == "base!fixed,text=hi"


async def test_a_scripted_exception_does_not_break_reprs_and_dumps() -> None:
    gen = ScriptedGenerator(responses=["hello", ValueError("scripted failure")])
    chat = await gen.chat("hi").run()
    assert "hello" in repr(chat)
    assert chat.model_dump_json()
    assert gen.to_identifier().endswith("responses=hello;<raises ValueError: scripted failure>")
    failed = await gen.chat("again").catch(ValueError, on_failed="include").run()
    assert failed.failed
    assert str(failed.error) == "scripted failure"


def test_a_generator_needs_a_model_name() -> None:
    """An empty name has no connection string: every chat of it failed to dump, later."""
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="the model name must not be empty"):
        EchoGenerator(model="")
