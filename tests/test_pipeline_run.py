"""Single runs: params, builders, copies, until checks, recovery, failure modes, callbacks."""

from __future__ import annotations

import typing as t
from collections.abc import Sequence

import pytest

from rigging.chat import Chat, ChatPipeline
from rigging.error import ExhaustedMaxRoundsError, GenerationError, MessagesExhaustedMaxRoundsError
from rigging.generator import GenerateParams
from rigging.generator.testing import (
    EchoGenerator,
    FailingGenerator,
    FixedGenerator,
    ScriptedGenerator,
)
from rigging.message import Message
from rigging.model import Answer, Question

# --- params -------------------------------------------------------------------------------------


async def test_params_merge_generator_then_pipeline_then_forks() -> None:
    generator = EchoGenerator(params=GenerateParams(temperature=0.1, top_p=0.5))
    base = generator.chat("hi").with_(max_tokens=10)
    hot = base.fork("again").with_(temperature=1.5)
    await base.run()
    await hot.run()
    first, second = generator.calls
    assert (first.params.temperature, first.params.top_p, first.params.max_tokens) == (0.1, 0.5, 10)
    assert (second.params.temperature, second.params.max_tokens) == (1.5, 10)
    assert base.params == GenerateParams(max_tokens=10)


async def test_copy_with_always_returns_a_copy() -> None:
    pipeline = EchoGenerator().chat("hi")
    first = pipeline.copy_with(temperature=0.3)
    second = first.copy_with(GenerateParams(max_tokens=4), top_p=0.5)
    assert pipeline.params is None
    assert first is not pipeline
    assert first.params == GenerateParams(temperature=0.3)
    assert second.params == GenerateParams(temperature=0.3, max_tokens=4, top_p=0.5)
    chat = await second.run()
    assert chat.params == second.params
    assert chat.generator_id == "base!echo,temperature=0.3,max_tokens=4,top_p=0.5"


async def test_with_sets_params_first_then_copies_as_in_2_3() -> None:
    pipeline = EchoGenerator().chat("hi")
    assert pipeline.with_(temperature=0) is pipeline  # a bare statement works, as in 2.3
    assert pipeline.params == GenerateParams(temperature=0)
    run_params = (await pipeline.run()).params
    assert run_params is not None
    assert run_params.temperature == 0
    fork = pipeline.with_(max_tokens=4)
    assert fork is not pipeline
    assert pipeline.params == GenerateParams(temperature=0)
    assert fork.params == GenerateParams(temperature=0, max_tokens=4)
    fork.add("more")
    assert len(pipeline.chat) == 1  # the copy's content is its own


def test_with_merges_keyword_fields_over_params() -> None:
    pipeline = EchoGenerator().chat("hi").with_(GenerateParams(max_tokens=4), temperature=0.5)
    assert pipeline.params == GenerateParams(max_tokens=4, temperature=0.5)


# --- content builders ---------------------------------------------------------------------------


def test_add_merges_user_messages_by_default() -> None:
    pipeline = EchoGenerator().chat("one").add("two")
    assert [m.content for m in pipeline.chat.messages] == ["one\ntwo"]
    pipeline.add(Message("assistant", "a")).add(Message("assistant", "b"))
    assert [m.content for m in pipeline.chat.messages] == ["one\ntwo", "a", "b"]
    pipeline.add(Message("assistant", "c"), merge_strategy="all")
    assert pipeline.chat.messages[-1].content == "b\nc"
    pipeline.add("x").add("y", merge_strategy="none")
    assert [m.content for m in pipeline.chat.messages[-2:]] == ["x", "y"]
    assert len(pipeline) == 5


async def test_fork_and_clone_do_not_share_state() -> None:
    async def watcher(chats: list[Chat]) -> None:
        return None

    base = EchoGenerator().chat("hi").meta(level={"a": 1})
    fork = base.fork("more").watch(watcher).meta(extra=True)
    fork.metadata["level"]["a"] = 2
    assert base.watch_callbacks == []
    assert base.metadata == {"level": {"a": 1}}
    assert [m.content for m in base.chat.messages] == ["hi"]
    assert [m.content for m in fork.chat.messages] == ["hi\nmore"]
    clone = base.clone()
    clone.chat.messages[0].content = "changed"
    assert base.chat.messages[0].content == "hi"
    assert (await base.run()).last.content == "hi"
    assert (await fork.run()).last.content == "hi\nmore"


def test_clone_only_messages_drops_configuration() -> None:
    base = EchoGenerator().chat("hi").until_parsed_as(Answer).meta(a=1).catch(ValueError)
    bare = base.clone(only_messages=True)
    assert bare.until_types == []
    assert bare.metadata == {}
    assert bare.errors_to_fail_on == set()
    full = base.clone()
    assert full.until_types == [Answer]
    assert full.errors_to_fail_on == {ValueError}


async def test_apply_fills_placeholders_in_a_copy() -> None:
    base = EchoGenerator().chat(["Hello $name", Message("assistant", "ok"), "Bye $name"])
    applied = base.apply(name="Ada")
    assert applied.chat.messages[-1].content == "Bye Ada"
    assert applied.chat.messages[0].content == "Hello $name"
    assert base.chat.messages[-1].content == "Bye $name"
    every = base.apply_to_all(name="Bo")
    assert [m.content for m in every.chat.messages] == ["Hello Bo", "ok", "Bye Bo"]
    assert (await every.run()).last.content == "Bye Bo"


# --- until checks -------------------------------------------------------------------------------


async def test_until_parsed_as_recovers_with_dialog() -> None:
    generator = ScriptedGenerator(responses=["no tags", "<answer>42</answer>"])
    pipeline = generator.chat("q").until_parsed_as(Answer, attempt_recovery=True, drop_dialog=False)
    chat = await pipeline.run()
    assert [m.role for m in chat.generated] == ["assistant", "user", "assistant"]
    assert "<system-error>" in chat.generated[1].content
    assert "Rewrite your entire message" in chat.generated[1].content
    assert chat.last.parts[0].model == Answer(content="42")
    second_request = t.cast("list[dict[str, t.Any]]", generator.calls[1].input)
    assert [m["role"] for m in second_request] == ["user", "assistant", "user"]


async def test_until_parsed_as_recovery_dropping_the_dialog() -> None:
    generator = ScriptedGenerator(responses=["no tags", "<answer>42</answer>"])
    chat = await generator.chat("q").until_parsed_as(Answer, attempt_recovery=True).run()
    assert [m.content for m in chat.generated] == ["<answer>42</answer>"]


async def test_until_parsed_as_without_recovery_regenerates_from_the_inputs() -> None:
    generator = ScriptedGenerator(responses=["bad", "<answer>x</answer>"])
    chat = await generator.chat("q").until_parsed_as(Answer).run()
    assert [m.content for m in chat.generated] == ["<answer>x</answer>"]
    assert [call.input for call in generator.calls] == [[{"role": "user", "content": "q"}]] * 2


async def test_validation_errors_are_fed_back_as_validation_error_models() -> None:
    generator = ScriptedGenerator(
        responses=["<question>a</question>", "<question>a</question><answer>b</answer>"]
    )
    pipeline = generator.chat("q").until_parsed_as(Question, Answer, attempt_recovery=True)
    chat = await pipeline.run()
    assert [type(p.model) for p in chat.last.parts] == [Question, Answer]
    feedback = t.cast("list[dict[str, t.Any]]", generator.calls[1].input)[-1]["content"]
    assert "answer" in feedback
    assert feedback.endswith("Rewrite your entire message with all the required elements.")


async def test_until_parsed_as_registers_one_check_and_adds_types() -> None:
    pipeline = EchoGenerator().chat("q").until_parsed_as(Answer, max_rounds=2)
    pipeline.until_parsed_as(Question, max_rounds=9)
    assert pipeline.until_types == [Answer, Question]
    assert [spec.max_rounds for spec in pipeline.settings.untils] == [2]
    with pytest.raises(ValueError, match="at least one model type"):
        pipeline.until_parsed_as()


@pytest.mark.parametrize(
    ("recovery", "generated"), [(True, 7), (False, 1)], ids=["recovery", "no-recovery"]
)
async def test_exhaustion_keeps_the_last_dialog(recovery: bool, generated: int) -> None:
    pipeline = FixedGenerator(text="never").chat("q")
    pipeline.until_parsed_as(Answer, attempt_recovery=recovery, max_rounds=3)
    chat = await pipeline.run(allow_failed=True)
    assert chat.failed
    assert isinstance(chat.error, MessagesExhaustedMaxRoundsError)
    assert chat.error.max_rounds == 3
    assert chat.error.last_message is not None
    assert chat.error.last_message.content == "never"
    assert (len(chat.messages), len(chat.generated)) == (1, generated)
    assert chat.last.role == "assistant"


async def test_exhaustion_raises_with_item_and_round_context() -> None:
    pipeline = FixedGenerator(text="never").chat("q").until_parsed_as(Answer, max_rounds=2)
    with pytest.raises(ExhaustedMaxRoundsError, match=r"Exhausted max rounds \(2\)") as info:
        await pipeline.run()
    assert (info.value.index, info.value.round) == (0, 3)
    # __notes__ is typed from Python 3.11 on; rigging sets it on 3.10 too.
    assert info.value.__notes__ == ["rigging: raised by processing for item 0 in round 3"]  # type: ignore[attr-defined]


async def test_run_refuses_skip_and_validates_modes() -> None:
    pipeline = EchoGenerator().chat("q")
    with pytest.raises(ValueError, match="on_failed='skip' needs several results"):
        await pipeline.run(on_failed="skip")
    with pytest.raises(ValueError, match="on_failed must be one of"):
        await pipeline.run(on_failed="ignore")  # type: ignore[arg-type]


async def test_custom_until_callback_with_zero_rounds_fails_at_once() -> None:
    def never(message: Message) -> tuple[bool, list[Message]]:
        return True, [message]

    chat = await EchoGenerator().chat("q").until(never, max_rounds=0).run(allow_failed=True)
    assert chat.failed
    assert isinstance(chat.error, ExhaustedMaxRoundsError)
    with pytest.raises(ValueError, match="max_rounds must be from 0 to 1,000,000, got -1"):
        EchoGenerator().chat("q").until(never, max_rounds=-1)


async def test_until_callbacks_run_in_order_each_on_its_own_stage() -> None:
    seen: list[tuple[str, str]] = []

    def first(message: Message) -> tuple[bool, list[Message]]:
        seen.append(("first", message.content))
        return message.content == "a", [message]

    def second(message: Message) -> tuple[bool, list[Message]]:
        seen.append(("second", message.content))
        if message.content == "b":
            return True, [message, Message("user", "try again")]
        return False, [message]

    generator = ScriptedGenerator(responses=["a", "b", "c"])
    chat = await generator.chat("q").until(first).until(second, drop_dialog=False).run()
    assert seen == [("first", "a"), ("first", "b"), ("second", "b"), ("second", "c")]
    assert [m.content for m in chat.generated] == ["b", "try again", "c"]


async def test_until_callback_returning_the_wrong_shape_is_named() -> None:
    def bad(message: Message) -> bool:
        return False

    pipeline = EchoGenerator().chat("q").until(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"must return \(bool, list\[Message\]\), got bool"):
        await pipeline.run()


# --- errors and catch ---------------------------------------------------------------------------


async def test_generator_error_propagates_with_context() -> None:
    pipeline = FailingGenerator(fail_on=1).chat("q")
    with pytest.raises(GenerationError, match=r"scripted failure \(item 1\)") as info:
        await pipeline.run()
    # __notes__ is typed from Python 3.11 on; rigging sets it on 3.10 too.
    assert info.value.__notes__ == ["rigging: raised by the generator for item 0 in round 1"]  # type: ignore[attr-defined]


async def test_caught_generator_error_gives_a_failed_chat() -> None:
    pipeline = FailingGenerator(fail_on=1).chat("q").catch(GenerationError)
    with pytest.raises(GenerationError):
        await pipeline.run()
    chat = await FailingGenerator(fail_on=1).chat("q").catch(GenerationError).run(allow_failed=True)
    assert chat.failed
    assert isinstance(chat.error, GenerationError)
    assert chat.generated == []
    excluded = FailingGenerator(fail_on=1).chat("q").catch(Exception, exclude=[GenerationError])
    with pytest.raises(GenerationError):
        await excluded.run(allow_failed=True)


async def test_catch_sets_the_default_mode() -> None:
    def boom(message: Message) -> tuple[bool, list[Message]]:
        raise KeyError("broken check")

    pipeline = EchoGenerator().chat("q").until(boom).catch(KeyError, on_failed="include")
    assert pipeline.on_failed == "include"
    chat = await pipeline.run()
    assert chat.failed
    assert isinstance(chat.error, KeyError)


# --- then / map / watch -------------------------------------------------------------------------


async def test_then_may_replace_or_keep_the_chat() -> None:
    async def keep(chat: Chat) -> None:
        chat.meta(kept=True)

    async def replace(chat: Chat) -> Chat:
        return chat.clone().meta(replaced=True)

    chat = await EchoGenerator().chat("q").then(keep).then(replace).run()
    assert chat.metadata == {"kept": True, "replaced": True}


async def test_then_and_map_must_be_async_and_return_the_right_type() -> None:
    def sync(chat: Chat) -> None:
        return None

    with pytest.raises(TypeError, match="then callback must be an async function"):
        EchoGenerator().chat("q").then(sync)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="map callback must be an async function"):
        EchoGenerator().chat("q").map(sync)  # type: ignore[arg-type]

    async def wrong(chat: Chat) -> str:
        return "nope"

    with pytest.raises(TypeError, match="must return a Chat or None, got str"):
        await EchoGenerator().chat("q").then(wrong).run()  # type: ignore[arg-type]

    async def wrong_map(chats: list[Chat]) -> list[str]:
        return ["x"]

    with pytest.raises(TypeError, match="must return a list of Chat"):
        await EchoGenerator().chat("q").map(wrong_map).run()  # type: ignore[arg-type]


async def test_then_errors_carry_the_item() -> None:
    async def explode(chat: Chat) -> None:
        raise RuntimeError("then failed")

    with pytest.raises(RuntimeError, match="then failed") as info:
        await EchoGenerator().chat("q").then(explode).run()
    # __notes__ is typed from Python 3.11 on; rigging sets it on 3.10 too.
    assert "for item 0 after the run" in info.value.__notes__[0]  # type: ignore[attr-defined]


async def test_watch_sees_each_chat_once_and_failed_ones_too() -> None:
    seen: list[Chat] = []

    async def watcher(chats: list[Chat]) -> None:
        seen.extend(chats)

    pipeline = FixedGenerator(text="x").chat("q").watch(watcher).watch(watcher)
    pipeline.until_parsed_as(Answer, max_rounds=1)
    chat = await pipeline.run(allow_failed=True)
    assert seen == [chat]
    assert pipeline.watch(watcher, allow_duplicates=True).watch_callbacks == [watcher, watcher]


# --- generator hooks ----------------------------------------------------------------------------


def test_wrap_sets_the_generator_wrapper() -> None:
    def wrapper(call):  # type: ignore[no-untyped-def]
        return call

    generator = EchoGenerator()
    pipeline = generator.chat("q").wrap(wrapper)
    assert pipeline.generator is generator
    assert generator._wrap is wrapper


class _Calculator:
    """A stand-in tool handler: answers 'CALL' messages with a tool result, twice at most."""

    max_rounds = 2

    async def __call__(self, message: Message) -> Sequence[Message] | None:
        if message.content.startswith("CALL"):
            return [Message("tool", "result=3", tool_call_id="1")]
        return None


async def test_tool_handler_hook_keeps_the_tool_dialog() -> None:
    generator = ScriptedGenerator(responses=["CALL add", "The answer is 3"])
    pipeline = generator.chat("add 1 and 2").add_tool_handler(_Calculator())
    assert len(pipeline.tool_handlers) == 1
    chat = await pipeline.run()
    assert [m.content for m in chat.messages] == ["add 1 and 2", "CALL add", "result=3"]
    assert [m.content for m in chat.generated] == ["The answer is 3"]
    second_request = t.cast("list[dict[str, t.Any]]", generator.calls[1].input)
    assert [m["role"] for m in second_request] == ["user", "assistant", "tool"]


async def test_tool_handler_rounds_are_bounded() -> None:
    generator = FixedGenerator(text="CALL forever")
    chat = await generator.chat("q").add_tool_handler(_Calculator()).run(allow_failed=True)
    assert isinstance(chat.error, MessagesExhaustedMaxRoundsError)
    assert len(generator.calls) == 3


async def test_pipeline_call_is_run_and_repr_is_short() -> None:
    pipeline = EchoGenerator().chat("q")
    assert isinstance(pipeline, ChatPipeline)
    assert (await pipeline()).last.content == "q"
    assert repr(pipeline).startswith("ChatPipeline(generator=")


async def test_watch_errors_carry_the_round() -> None:
    async def broken(chats: list[Chat]) -> None:
        raise LookupError("watcher down")

    with pytest.raises(LookupError, match="watcher down") as info:
        await EchoGenerator().chat("q").watch(broken).run()
    # __notes__ is typed from Python 3.11 on; rigging sets it on 3.10 too.
    assert info.value.__notes__ == [  # type: ignore[attr-defined]
        "rigging: raised by watch callback "
        "test_watch_errors_carry_the_round.<locals>.broken for the batch in round 1"
    ]


@pytest.mark.parametrize(
    ("build", "error", "text"),
    [
        (
            lambda p: p.until_parsed_as(Answer, max_rounds=2**40),
            ValueError,
            "max_rounds must be from 0",
        ),
        (
            lambda p: p.until_parsed_as(Answer, max_rounds=2**64),
            ValueError,
            "max_rounds must be from 0",
        ),
        (
            lambda p: p.until_parsed_as(Answer, max_rounds=-1),
            ValueError,
            "max_rounds must be from 0",
        ),
        (
            lambda p: p.until_parsed_as(Answer, max_rounds=1.5),
            TypeError,
            "max_rounds must be an int",
        ),
        (
            lambda p: p.until(lambda m: (False, [m]), max_rounds="3"),
            TypeError,
            "max_rounds must be an int",
        ),
        (lambda p: p.using(_tool, max_depth=2**64), ValueError, "max_depth must be from 1"),
        (lambda p: p.using(_tool, max_depth=0), ValueError, "max_depth must be from 1"),
        (lambda p: p.using(_tool, max_depth=1.5), TypeError, "max_depth must be an int"),
    ],
)
def test_round_limits_are_checked_when_configured(
    build: t.Callable[[t.Any], t.Any], error: type[Exception], text: str
) -> None:
    """A float or huge limit failed only at run time, with an error naming neither the setting
    nor the problem (`OverflowError`, "argument 'max_rounds'" for `max_depth`)."""
    with pytest.raises(error, match=text):
        build(EchoGenerator().chat("q"))


def _tool(x: int) -> int:
    """Echo."""
    return x


@pytest.mark.parametrize("kind", ["chat", "completion"])
@pytest.mark.parametrize(
    ("args", "kwargs", "message"),
    [
        (
            (ValueError(),),
            {},
            r"catch\(\) takes exception classes, got ValueError\(\) \(an instance",
        ),
        (("ValueError",), {}, r"catch\(\) takes exception classes, got 'ValueError' \(a str\)"),
        ((ValueError, int), {}, r"got <class 'int'> \(a type\) at position 1"),
        ((), {"exclude": [KeyError()]}, r"catch\(exclude=...\) takes exception classes"),
        ((), {"exclude": KeyError}, r"catch\(exclude=...\) takes a list of exception classes"),
    ],
)
def test_catch_refuses_what_is_not_an_exception_class(
    kind: str, args: tuple[t.Any, ...], kwargs: dict[str, t.Any], message: str
) -> None:
    gen = FixedGenerator(model="f", text="ok")
    pipeline: t.Any = gen.chat("q") if kind == "chat" else gen.complete("q")
    with pytest.raises(TypeError, match=message):
        pipeline.catch(*args, **kwargs)
    assert pipeline.settings.fail_on == ()  # nothing was set


def test_catch_takes_a_union_of_exception_classes() -> None:
    pipeline = FixedGenerator(model="f", text="ok").chat()
    pipeline.catch(ValueError | KeyError, on_failed="include")
    assert pipeline.settings.fail_on == (ValueError, KeyError)
