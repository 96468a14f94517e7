"""2.3 behaviours kept: generator construction, interact words, error names and messages."""

from __future__ import annotations

import builtins
import io
from typing import Annotated

import pytest
from pydantic import Field

import rigging as rg
from rigging.error import (
    InvalidModelSpecifiedError,
    ProcessingError,
    UnknownToolError,
    raise_as,
)
from rigging.generator import GenerateParams, Generator, registry
from rigging.generator.testing import ScriptedGenerator
from rigging.interact import interact
from rigging.model import attr


class TwoArgs(Generator):
    """A 2.3-style custom generator whose constructor takes only (model, params)."""

    def __init__(self, model: str, params: GenerateParams) -> None:
        super().__init__(model=model, params=params)


@pytest.fixture
def two_args() -> object:
    registry.register_generator("twoargs", TwoArgs)
    yield TwoArgs
    registry._providers.pop("twoargs", None)
    registry._resolved.pop("twoargs", None)


def test_custom_generator_gets_only_the_keywords_it_accepts(two_args: object) -> None:
    gen = rg.get_generator("twoargs!m,api_key=sk-secret-1,temperature=0.5")
    assert isinstance(gen, TwoArgs)
    assert (gen.model, gen.params.temperature) == ("m", 0.5)
    assert gen.api_key == "sk-secret-1"  # set afterwards, not lost
    assert "sk-secret-1" not in repr(gen)
    assert rg.get_generator("twoargs!m").api_key is None


def test_constructor_values_a_custom_init_does_not_take_are_refused() -> None:
    class WithField(Generator):
        depth: int = 1

        def __init__(self, model: str, params: GenerateParams) -> None:
            super().__init__(model=model, params=params)

    registry.register_generator("withfield", WithField)
    try:
        with pytest.raises(InvalidModelSpecifiedError, match=r"does not accept 'depth'"):
            rg.get_generator("withfield!m,depth=3")
    finally:
        registry._providers.pop("withfield", None)
        registry._resolved.pop("withfield", None)


@pytest.mark.parametrize(
    "identifier",
    ["m,temperature=True", "m,max_tokens=false", "m,seed=true", "litellm!m,max_connections=true"],
)
def test_a_boolean_for_a_number_is_refused(identifier: str) -> None:
    with pytest.raises(InvalidModelSpecifiedError, match=r"expected a number, got the boolean"):
        rg.get_generator(identifier)


def test_generate_params_refuses_booleans_for_numbers() -> None:
    with pytest.raises(ValueError, match="expected a number"):
        GenerateParams(temperature=True)
    assert GenerateParams(temperature=1, parallel_tool_calls=True).temperature == 1.0


def test_invalid_model_error_never_shows_the_key() -> None:
    error = InvalidModelSpecifiedError("gpt-4o,api_key=sk-abc123,temperature=2")
    assert "sk-abc123" not in str(error)
    assert "sk-abc123" not in repr(error)
    assert error.model == "gpt-4o,api_key=***,temperature=2"
    quoted = InvalidModelSpecifiedError(model='m,API_KEY = "sk,with,commas"')
    assert "sk" not in str(quoted).split("=", 1)[1]
    assert isinstance(error, ValueError)
    assert isinstance(error, rg.error.RiggingError)


def test_unknown_tool_and_processing_errors() -> None:
    unknown = UnknownToolError("ghost")
    assert str(unknown) == "Unknown tool call was requested for 'ghost'"
    assert unknown.tool_name == "ghost"
    assert ProcessingError(content="bad spec").content == "bad spec"


async def test_raise_as_converts_and_chains() -> None:
    @raise_as(KeyError, "lookup failed")
    def sync() -> None:
        """Do it."""
        raise ZeroDivisionError("boom")

    @raise_as(RuntimeError, "async failed")
    async def coro() -> int:
        raise OSError("disk")

    with pytest.raises(KeyError) as info:
        sync()
    assert isinstance(info.value.__cause__, ZeroDivisionError)
    assert sync.__doc__ == "Do it.\n\nRaises:\n    KeyError: lookup failed\n"
    with pytest.raises(RuntimeError, match="async failed") as ainfo:
        await coro()
    assert isinstance(ainfo.value.__cause__, OSError)


def test_with_on_a_completion_pipeline_sets_params_first() -> None:
    pipeline = ScriptedGenerator(responses=[]).complete("x")
    assert pipeline.with_(max_tokens=3) is pipeline
    assert pipeline.with_(max_tokens=4) is not pipeline
    assert pipeline.params == GenerateParams(max_tokens=3)


def test_generator_module_chat_and_complete() -> None:
    gen = ScriptedGenerator(responses=[])
    pipeline = rg.generator.chat(gen, messages="hi", params=GenerateParams(max_tokens=2))
    assert pipeline.chat.messages[0].content == "hi"
    assert pipeline.params == GenerateParams(max_tokens=2)
    assert rg.generator.complete(gen, "text").text == "text"


async def test_interact_accepts_the_2_3_words(monkeypatch: pytest.MonkeyPatch) -> None:
    typed = iter(["hi", "again", "retry", "RESET", "restart", "hello", "exit", "never read"])
    monkeypatch.setattr(builtins, "input", lambda prompt="": next(typed))
    gen = ScriptedGenerator(responses=["one", "two", "three", "four"])
    resets: list[object] = []
    chat = await interact(gen, reset_callback=resets.append, output=io.StringIO())
    sent = [c.input[-1]["content"] for c in gen.calls]  # type: ignore[index]
    assert sent == ["hi", "hi", "hi", "hello"]  # again/retry re-ask; nothing sent as text
    assert len(resets) == 2
    assert chat is not None
    assert chat.last.content == "four"
    assert next(typed) == "never read"  # exit ended the session


# --- models: several bare fields are child elements -------------------------------------------


def test_bare_fields_of_a_model_are_child_elements() -> None:
    class User(rg.Model):
        name: str
        email: str
        age: int = 30

    text = "<user><name>Ann</name><email>a@x.org</email><age>41</age></user>"
    user = User.from_text(text)[0][0]
    assert (user.name, user.email, user.age) == ("Ann", "a@x.org", 41)
    assert User.from_text("<user><name>B</name><email>b@x</email></user>")[0][0].age == 30
    # The codec's example: one child per field, its type as placeholder text (2.3: empty tags).
    assert User.xml_example() == (
        "<user>\n  <name>str</name>\n  <email>str</email>\n  <age>int</age>\n</user>"
    )
    assert User.from_text(user.to_pretty_xml())[0][0] == user


def _several_bare_fields() -> list[type[rg.Model]]:
    """Classes with several fields without `attr()`/`element()`, in the shapes the class hook
    must mark as elements (next to an attribute, with `Field(...)` defaults, next to an
    `Annotated` attribute, a bare field added to an inherited text field)."""

    class NextToAttr(rg.Model, tag="q"):
        id: str = attr()
        name: str
        email: str = "none"

    class FieldDefaults(rg.Model, tag="q"):
        id: str = attr()
        name: str = Field(description="who", min_length=1)
        email: str = Field(default="none", description="where")

    class AnnotatedAttr(rg.Model, tag="q"):
        id: Annotated[str, attr()]
        name: str
        email: str = "none"

    class Parent(rg.Model, tag="q"):
        id: str = attr()
        name: str

    class Child(Parent, tag="q"):
        email: str = "none"

    return [NextToAttr, FieldDefaults, AnnotatedAttr, Child]


@pytest.mark.parametrize("index", range(4))
def test_several_bare_fields_read_alike_on_the_codec_and_pydantic_xml(index: int) -> None:
    """The hook marks them as elements, so a class that falls back to pydantic-xml reads them
    as the codec does (they used to be the element's text there, and child elements here)."""
    from rigging._model.plan import codec_of, use_pydantic_xml

    native, twin = _several_bare_fields()[index], _several_bare_fields()[index]
    use_pydantic_xml(twin, "test: the pydantic-xml path")
    assert codec_of(native) is not None
    assert codec_of(twin) is None
    # An inherited field the parent reads as its text stays the text (the parent's reading).
    inner = "Ann" if index == 3 else "<name>Ann</name>"
    text = f'x <q id="7">{inner}<email>a@b</email></q>'
    for cls in (native, twin):
        found = rg.Message("assistant", text).parse(cls)
        assert found.model_dump() == {"id": "7", "name": "Ann", "email": "a@b"}, cls
        assert cls.from_text(found.to_pretty_xml())[0][0] == found
    assert native(id="1", name="n").to_pretty_xml() == twin(id="1", name="n").to_pretty_xml()
    # A `Field(...)` keeps its settings (description, constraints).
    if index == 1:
        assert native.model_fields["name"].description == "who"
        assert rg.Message("assistant", '<q id="1"><name></name></q>').try_parse(native) is None


class Inner(rg.Model):
    value: str


class Outer(rg.Model):
    inner: Inner
    note: str


def test_explicit_placement_and_nested_models_are_left_alone() -> None:
    class Quote(rg.Model):
        author: str = attr()
        text: str

    assert Quote.from_text('<quote author="Ada">Hi</quote>')[0][0].text == "Hi"

    outer = Outer.from_text("<outer><inner>v</inner><note>n</note></outer>")[0][0]
    assert (outer.inner.value, outer.note) == ("v", "n")
    assert rg.model.Answer.is_simple()


def test_a_model_without_fields_shows_a_self_closing_example() -> None:
    class ResetSession(rg.Model):
        pass

    assert ResetSession.xml_example() == "<reset-session/>"
    assert ResetSession.from_text("ok <reset-session/> done")


async def test_litellm_semaphore_bounds_connections_on_the_running_loop() -> None:
    import asyncio

    gen = rg.get_generator("gpt-4o,max_connections=3")
    semaphore = gen.semaphore  # type: ignore[attr-defined]
    assert isinstance(semaphore, asyncio.Semaphore)
    assert gen.semaphore is semaphore  # type: ignore[attr-defined]
    async with semaphore, semaphore, semaphore:
        assert semaphore.locked()


async def test_rounds_running_out_log_a_warning() -> None:
    from loguru import logger

    records: list[str] = []
    logger.enable("rigging")
    sink = logger.add(records.append, level="WARNING", format="{level}|{message}")
    try:
        gen = ScriptedGenerator(responses=["no", "still no"])
        pipeline = gen.chat("x").until(lambda m: (True, [m]), max_rounds=1)
        failed = await pipeline.run(allow_failed=True)
    finally:
        logger.remove(sink)
        logger.disable("rigging")
    assert failed.failed
    assert any(r.startswith("WARNING|Item 0: Exhausted max rounds (1)") for r in records)


def test_2_3_positional_flags_and_generator_prompt_keyword() -> None:
    """2.3 took these positionally (or by keyword); ours made them keyword-only (positional)."""
    from rigging.model import Thinking
    from rigging.watchers import write_chats_to_s3

    chat = rg.Chat([rg.Message("user", "q")], [rg.Message("assistant", "<thinking>t</thinking> a")])
    chat.last.parse(Thinking)
    assert chat.strip(Thinking, False).last.content.strip() == "a"
    assert callable(write_chats_to_s3(object(), "bucket", "key", True))

    def ask() -> str:
        """Ask."""
        return ""

    assert ScriptedGenerator(responses=["<str>x</str>"]).prompt(func=ask).name == "ask"


def test_strip_of_a_missing_model_is_a_type_error_as_in_2_3() -> None:
    from rigging.error import MissingModelError
    from rigging.model import Thinking

    message = rg.Message("user", "no thinking here")
    for error in (TypeError, MissingModelError, ValueError):
        with pytest.raises(error, match=r"^Could not find <thinking> \(Thinking\) in message$"):
            message.strip(Thinking, fail_on_missing=True)
    with pytest.raises(TypeError, match="Could not find <thinking>"):
        rg.Chat([message]).strip(Thinking, True)


@pytest.mark.parametrize("error", [TypeError, ValueError, rg.error.RiggingError])
async def test_callbacks_returning_the_wrong_type_raise_a_value_error_as_in_2_3(
    error: type[Exception],
) -> None:
    async def bad_then(chat: rg.Chat) -> int:
        return 5

    async def bad_map(chats: list[rg.Chat]) -> int:
        return 5

    async def bad_then_completion(completion: rg.Completion) -> int:
        return 5

    chat = ScriptedGenerator(responses=["x"], cycle=True).chat("q")
    with pytest.raises(error, match=r"then callback .*bad_then must return a Chat or None"):
        await chat.clone().then(bad_then).run()  # type: ignore[arg-type]
    with pytest.raises(error, match=r"map callback .*bad_map must return a list of Chat"):
        await chat.clone().map(bad_map).run()  # type: ignore[arg-type]
    completion = ScriptedGenerator(responses=["x"]).complete("q").then(bad_then_completion)  # type: ignore[arg-type]
    with pytest.raises(error, match="must return a Completion or None"):
        await completion.run()
