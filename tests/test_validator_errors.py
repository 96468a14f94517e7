# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""An error raised while validating is that item's feedback or failure, never the run's.

pydantic reports a validator's `ValueError` or `AssertionError` as a validation error, but
when that error's ``__str__`` raises, pydantic-core raises the ``__str__``'s error in its
place (nothing links the two), and when it gives no str, a `TypeError`; any other error a
validator raises comes up as it is. Every place that turns a failed validation into feedback
to the model (or into one item's failure) takes these too, naming the class and the type.
"""

from __future__ import annotations

import dataclasses
import typing as t

import pytest
from _unprintable import NotTextValueError, UnprintableValueError
from pydantic import BaseModel, field_validator

import rigging as rg
from rigging.error import MessagesExhaustedMaxRoundsError
from rigging.generator.testing import ChunkedGenerator, EchoGenerator, ScriptedGenerator
from rigging.stream import ChatFinishedEvent, ModelParsedEvent
from rigging.tool import FunctionTool, ToolArgumentsError
from rigging.util import unescape_xml

BROKEN = "<the error's text could not be built>"


class UnprintableAssertionError(AssertionError):
    def __str__(self) -> str:
        raise KeyError("no text")


class UnprintableError(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


# What the validator raises -> what comes up instead, as the feedback names it.
KINDS = [
    (UnprintableValueError, "RuntimeError: no text for this error"),
    (NotTextValueError, "TypeError: __str__ returned non-string (type int)"),
    (UnprintableAssertionError, "KeyError: 'no text'"),
    (UnprintableError, f"UnprintableError: {BROKEN}"),
]

raising: type[Exception] = UnprintableValueError  # set per test by the `kind` fixture


class Score(rg.Model):
    value: int

    @field_validator("value")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 0:
            raise raising()
        return value


@pytest.fixture(params=KINDS, ids=[k[0].__name__ for k in KINDS])
def kind(request: pytest.FixtureRequest) -> t.Iterator[str]:
    """Make `Score` raise the parametrized error; give how the feedback names it."""
    global raising
    error, named = request.param
    raising = error
    yield named
    raising = UnprintableValueError


def test_pydantic_raises_the_error_of_the_validators_error_text(kind: str) -> None:
    """What the fix is for: these come up from validation as they are, not as validation
    errors (checked on the pinned pydantic-core)."""
    name = kind.split(":")[0]
    raised = {"RuntimeError": RuntimeError, "TypeError": TypeError, "KeyError": KeyError}
    with pytest.raises(raised.get(name, UnprintableError)) as info:
        Score(value=-1)
    assert type(info.value).__name__ == name
    assert not isinstance(info.value, ValueError | AssertionError)


def _sent(gen: ScriptedGenerator | EchoGenerator | ChunkedGenerator, call: int) -> str:
    sent = gen.calls[call].input
    assert isinstance(sent, list)
    return str(sent[-1]["content"])


async def test_until_parsed_as_feeds_the_error_back_and_retries(kind: str) -> None:
    gen = ScriptedGenerator(responses=["<score>-1</score>", "<score>2</score>"])
    chat = await gen.chat("rate").until_parsed_as(Score, attempt_recovery=True).run()
    assert not chat.failed
    assert chat.last.parse(Score).value == 2
    expected = f"<system-error>validating the reply as Score raised {kind}</system-error>"
    assert expected in _sent(gen, 1)


async def test_a_failing_item_costs_no_other_item_its_chat(kind: str) -> None:
    gen = EchoGenerator()  # answers each item with its own text, again and again
    inputs = ["<score>1</score>", "<score>-1</score>", "<score>3</score>"]
    pipeline = gen.chat().until_parsed_as(Score, max_rounds=1)
    chats = await pipeline.clone().catch(on_failed="include").run_batch(inputs)
    assert [c.failed for c in chats] == [False, True, False]
    assert [c.last.parse(Score).value for c in (chats[0], chats[2])] == [1, 3]
    error = chats[1].error
    assert isinstance(error, MessagesExhaustedMaxRoundsError)
    assert error.last_error == f"validating the reply as Score raised {kind}"
    with pytest.raises(MessagesExhaustedMaxRoundsError) as info:  # mode "raise"
        await pipeline.run_batch(inputs)
    completed = info.value.completed  # type: ignore[attr-defined]
    assert sorted(c.last.content for c in completed if c is not None) == [inputs[0], inputs[2]]


async def test_a_completion_check_names_the_error_and_retries(kind: str) -> None:
    gen = ScriptedGenerator(responses=["<score>-1</score>", "<score>2</score>"])
    completion = await gen.complete("rate: ").until_parsed_as(Score, max_rounds=1).run()
    assert completion.generated == "<score>2</score>"
    failing = ScriptedGenerator(responses=["<score>-1</score>"])
    pipeline = failing.complete("rate: ").until_parsed_as(Score, max_rounds=0)
    [failed] = await pipeline.catch(on_failed="include").run_batch(["rate: "])
    assert failed.failed
    assert getattr(failed.error, "last_error", None) == (
        f"validating the reply as Score raised {kind}"
    )


async def test_a_prompt_feeds_the_error_back_and_keeps_every_value(kind: str) -> None:
    gen = ScriptedGenerator(responses=["<score>-1</score>", "<score>2</score>", "<score>3</score>"])

    @gen.prompt
    async def rate(x: str) -> Score:
        """Rate {{ x }}."""

    assert [s.value for s in await rate.run_many(2, "it")] == [3, 2]
    expected = f"<system-error>validating the output Score raised {kind}</system-error>"
    assert expected in _sent(gen, 2)


@dataclasses.dataclass
class Rated:
    score: int
    note: str

    def __post_init__(self) -> None:
        if self.score < 0:
            raise UnprintableError()


async def test_a_dataclass_output_whose_constructor_raises_is_fed_back_by_name() -> None:
    gen = ScriptedGenerator(
        responses=["<score>-1</score><note>n</note>", "<score>1</score><note>ok</note>"]
    )

    @gen.prompt
    async def rate(x: str) -> Rated:
        """Rate {{ x }}."""

    assert await rate("it") == Rated(1, "ok")
    expected = f"validating the output Rated raised UnprintableError: {BROKEN}"
    assert expected in _sent(gen, 1)


class Point(BaseModel):
    x: int

    @field_validator("x")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 0:
            raise raising()
        return value


def measure(p: Point) -> int:
    """Measure a point."""
    return p.x


def test_tool_arguments_whose_validation_raises_are_the_arguments_error(kind: str) -> None:
    tool = FunctionTool(measure)
    with pytest.raises(ToolArgumentsError) as info:
        tool.validate('{"p": {"x": -1}}')
    assert str(info.value) == (
        f"invalid arguments for tool 'measure': validating them raised {kind}"
    )


@pytest.mark.parametrize("mode", ["native", "api"])
async def test_a_tool_call_whose_arguments_raise_is_answered_and_the_chat_goes_on(
    kind: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from _scripted import Call, ScriptedChat

    monkeypatch.setattr(ScriptedChat, "script", [Call("measure", {"p": {"x": -1}}), "done"])
    monkeypatch.setattr(ScriptedChat, "seen", [])
    if mode == "native":
        gen: rg.Generator = ScriptedGenerator(
            responses=['<tool-call name="measure">{"p": {"x": -1}}</tool-call>', "done"]
        )
    else:
        gen = ScriptedChat(model="m")
    chat = await gen.chat("go").using(measure, mode=mode).run()  # type: ignore[arg-type]
    assert not chat.failed
    assert chat.last.content == "done"
    answer = unescape_xml(str(chat.all[-2].content))  # native results are entity-escaped
    assert f"invalid arguments for tool 'measure': validating them raised {kind}" in answer


async def test_a_streamed_run_gives_the_same_feedback_as_a_run(kind: str) -> None:
    gen = ChunkedGenerator(
        replies=[["<score>-", "1</score> <score>", "-2</score>"], ["<score>2</score>"]]
    )
    stream = gen.chat("rate").until_parsed_as(Score, attempt_recovery=True).stream()
    events = [event async for event in stream]
    parsed = [e.model for e in events if isinstance(e, ModelParsedEvent)]
    assert parsed == [Score(value=2)]
    finished = events[-1]
    assert isinstance(finished, ChatFinishedEvent)
    assert not finished.chat.failed
    expected = f"<system-error>validating the reply as Score raised {kind}</system-error>"
    assert expected in _sent(gen, 1)


class Note(rg.Model):
    content: str

    @field_validator("content")
    @classmethod
    def _filled(cls, value: str) -> str:
        if not value.strip():
            raise raising()
        return value


async def test_a_streamed_element_built_at_the_end_whose_validation_raises_is_skipped(
    kind: str,
) -> None:
    """Hollow elements are built once the stream ends (`ModelStream.finish`)."""
    gen = ChunkedGenerator(replies=[["<note> </note> <score>", "1</score> <note>  </note>"]])
    events = [event async for event in gen.chat("x").stream(models=[Note, Score])]
    parsed = [e.model for e in events if isinstance(e, ModelParsedEvent)]
    assert parsed == [Score(value=1)]
    finished = events[-1]
    assert isinstance(finished, ChatFinishedEvent)
    assert not finished.chat.failed
