# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""Prompt functions: inputs, outputs, templates, recovery, builders and decoration errors."""

from __future__ import annotations

import inspect
import typing as t
from dataclasses import InitVar, dataclass, field
from typing import Annotated

import pytest

import rigging as rg
from rigging.error import MessagesExhaustedMaxRoundsError
from rigging.generator.testing import ScriptedGenerator


class Person(rg.Model):
    name: str = rg.attr()
    age: int = rg.element()


@dataclass
class Address:
    street: str
    city: Annotated[str, rg.Ctx("town")]


@dataclass
class Verdict:
    score: int
    reason: str
    chat: rg.Chat


def gen(*responses: str) -> ScriptedGenerator:
    return ScriptedGenerator(responses=list(responses))


def test_inputs_are_laid_out_as_xml() -> None:
    @rg.prompt
    def describe(
        person: Person,
        tags: list[str],
        scores: dict[str, int],
        address: Address,
        note: Annotated[str, rg.Ctx(tag="remark", prefix="Keep in mind:")],
        flag: bool = True,
    ) -> str:
        """Describe the person."""

    text = describe.render(
        Person(name="Ann", age=3), ["a", "b&c"], {"x": 1}, Address("Main St", "Oslo"), "hi"
    )
    assert text == (
        "Describe the person.\n\n"
        '<person name="Ann">\n  <age>3</age>\n</person>\n\n'
        "<tags>\na\n\nb&amp;c\n</tags>\n\n"
        "<scores><x>1</x></scores>\n\n"
        "<address>\n<street>Main St</street>\n<town>Oslo</town>\n</address>\n\n"
        "Keep in mind:\n<remark>hi</remark>\n\n"
        "<flag>True</flag>\n\n"
        "Produce the following output (use xml tags):\n\n<str></str>\n"
    )
    assert describe.template.startswith("Describe the person.\n\n{{ person }}\n\n{{ tags }}")


def test_docstring_template_places_arguments_itself() -> None:
    @rg.prompt
    async def greet(name: str, times: int = 2) -> rg.Chat:
        """Greet {{ name }} {% for i in range(times) %}again {% endfor %}"""

    assert greet.render("Bo") == "Greet Bo again again "  # trim_blocks eats the newline
    assert greet.inputs == []


def test_default_docstring() -> None:
    @rg.prompt
    def convert(x: int) -> int: ...

    assert convert.docstring == "Convert the following inputs to outputs (convert)."


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda: rg.prompt(_fn_untyped),
            r"prompt _fn_untyped\(\), parameter 'x': a type annotation is required",
        ),
        (
            lambda: rg.prompt(_fn_bad_type),
            r"prompt _fn_bad_type\(\), parameter 'x': unsupported parameter type",
        ),
        (
            lambda: rg.prompt(_fn_bad_var),
            r"prompt _fn_bad_var\(\): the docstring uses 'missing', which is not a parameter "
            r"\(parameters: x\)",
        ),
        (
            lambda: rg.prompt(_fn_no_return),
            r"prompt _fn_no_return\(\), return type: a return annotation is required",
        ),
        (
            lambda: rg.prompt(_fn_bad_return),
            r"prompt _fn_bad_return\(\), return type: unsupported return type",
        ),
        (
            lambda: rg.prompt(_fn_same_tags),
            r"prompt _fn_same_tags\(\), return type: several outputs share the tag 'str'",
        ),
        (
            lambda: rg.prompt(generator_id="nowhere!model")(_fn_ok),
            r"prompt _fn_ok\(\), generator_id: unknown provider 'nowhere'",
        ),
        (
            lambda: rg.prompt(generator_id="a", generator=gen())(_fn_ok),
            r"prompt _fn_ok\(\): give only one of pipeline=, generator= and generator_id=",
        ),
        (
            lambda: rg.prompt(tools=[_fn_untyped])(_fn_ok),
            r"prompt _fn_ok\(\), tools: tool '_fn_untyped': parameter 'x' needs a type",
        ),
    ],
)
def test_decoration_errors_name_function_and_parameter(make: object, message: str) -> None:
    with pytest.raises((TypeError, ValueError), match=message):
        make()  # type: ignore[operator]


@dataclass
class _Loop:
    name: str
    next: _Loop


@dataclass
class _Parent:
    kids: list[_Child]


@dataclass
class _Child:
    parent: _Parent


@dataclass
class _Pair:
    left: Address
    right: Address  # the same dataclass twice, side by side, is no cycle


@dataclass
class _Unresolved:
    value: int


_Unresolved.__annotations__["value"] = "NoSuchType"


def _fn_with_hint(name: str, hint: object, *, returns: object = str) -> object:
    def f(x: int) -> str:
        """Take it."""
        return ""

    f.__name__ = name
    f.__annotations__.update(x=hint, **{"return": returns})
    return f


@pytest.mark.parametrize(
    ("fn", "message"),
    [
        (
            _fn_with_hint("loop", _Loop),
            r"prompt loop\(\), parameter 'x'.next: the dataclass _Loop contains itself",
        ),
        (
            _fn_with_hint("family", list[_Parent]),
            r"prompt family\(\), parameter 'x'.kids.parent: the dataclass _Parent contains itself",
        ),
        (
            _fn_with_hint("unknown", "NoSuchType"),
            r"prompt unknown\(\): cannot resolve the type hints: NameError: .*NoSuchType",
        ),
        (
            _fn_with_hint("unknown_return", int, returns="NoSuchType"),
            r"prompt unknown_return\(\): cannot resolve the type hints: NameError",
        ),
        (
            _fn_with_hint("field", _Unresolved),
            r"prompt field\(\), parameter 'x': cannot resolve the type hints: NameError",
        ),
        (
            _fn_with_hint("out_field", int, returns=_Unresolved),
            r"prompt out_field\(\), return type: cannot resolve the type hints: NameError",
        ),
    ],
)
def test_hints_that_cannot_be_read_or_loop_are_refused_by_name(fn: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        rg.prompt(fn)  # type: ignore[call-overload]


def _fn_taking(name: str, parameter: str, hint: object) -> object:
    """A prompt function `name` with one parameter of any name (``true``, ``_``...)."""

    def f(*args: object) -> str:
        """Take it."""
        return ""

    f.__name__ = name
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    f.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(parameter, kind, annotation=hint)], return_annotation=str
    )
    f.__annotations__ = {parameter: hint, "return": str}
    return f


@pytest.mark.parametrize(
    ("parameter", "hint", "tag"),
    [
        ("true", str, "true"),  # a jinja literal: its placeholder printed "True", not the input
        ("none", str, "none"),
        ("False_", str, "false"),
        ("not_", str, "not"),  # a keyword: every call failed with a template syntax error
        ("self", str, "self"),  # annotated, so an input: it printed jinja's TemplateReference
        ("x", Annotated[str, rg.Ctx("None")], "None"),
        ("range", str, "range"),  # jinja globals and loop names were read as variables already
        ("loop", str, "loop"),
        ("if_", str, "if"),
    ],
)
def test_every_input_reaches_the_prompt_whatever_its_name(
    parameter: str, hint: object, tag: str
) -> None:
    echo = rg.prompt(_fn_taking("echo", parameter, hint))  # type: ignore[call-overload]
    assert f"<{tag}>VALUE</{tag}>" in echo.render("VALUE")
    assert [i.name for i in echo.inputs] == [parameter]


def test_an_input_without_a_tag_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"prompt odd\(\), parameter '_': its name gives no XML"):
        rg.prompt(_fn_taking("odd", "_", str))  # type: ignore[call-overload]


def test_a_dataclass_input_may_hold_one_dataclass_twice() -> None:
    @rg.prompt(generator=gen())
    def route(pair: _Pair) -> str:
        """Route."""

    home, work = Address("1 Main", "Oslo"), Address("2 Side", "Bergen")
    assert "<town>Oslo</town>" in route.render(_Pair(home, work))
    assert "<town>Bergen</town>" in route.render(_Pair(home, work))


def _fn_untyped(x):  # type: ignore[no-untyped-def]
    """Untyped."""


def _fn_bad_type(x: set[int]) -> str:
    """Bad."""
    return ""


def _fn_bad_var(x: int) -> str:
    """Uses {{ missing }}."""
    return ""


def _fn_no_return(x: int):  # type: ignore[no-untyped-def]
    """No return."""


def _fn_bad_return(x: int) -> set[int]:
    """Bad return."""
    return set()


def _fn_same_tags() -> tuple[str, str]:
    """Same tags."""
    return "", ""


def _fn_ok() -> str:
    """Ok."""
    return ""


async def test_outputs_basic_tuple_and_dataclass() -> None:
    g = gen(
        "<int>41</int>",
        "<yes>true</yes><str>why</str>",
        "<score>7</score><reason>good</reason>",
    )

    @g.prompt
    def count() -> int:
        """Count."""

    @g.prompt
    def pair() -> tuple[Annotated[bool, rg.Ctx("yes")], str]:
        """Pair."""

    @g.prompt
    def judge() -> Verdict:
        """Judge."""

    assert await count() == 41
    assert await pair() == (True, "why")
    verdict = await judge()
    assert (verdict.score, verdict.reason) == (7, "good")
    assert isinstance(verdict.chat, rg.Chat)
    assert judge.render().endswith(
        "Produce the following outputs (use xml tags):\n\n<score></score>\n\n<reason></reason>\n"
    )


async def test_parse_failure_recovers_then_exhausts() -> None:
    g = gen("no tags", "<person name='Al'><age>5</age></person>")

    @g.prompt
    def who() -> Person:
        """Who?"""

    assert await who() == Person(name="Al", age=5)
    second = g.calls[1].input
    assert isinstance(second, list)
    assert [m["role"] for m in second] == ["user", "assistant", "user"]
    assert "Rewrite your entire message" in second[-1]["content"]

    stubborn = gen("nope", "nope", "nope")
    limited = stubborn.prompt(who.func).set_(max_rounds=1, attempt_recovery=False)  # type: ignore[arg-type]
    with pytest.raises(MessagesExhaustedMaxRoundsError, match=r"Exhausted max rounds \(1\)"):
        await limited()
    assert len(stubborn.calls) == 2
    assert stubborn.calls[1].input == stubborn.calls[0].input


def test_builders_change_the_prompt_in_place_as_in_2_3() -> None:
    @rg.prompt(generator=gen())
    def p() -> str:
        """P."""

    async def watcher(chats: list[rg.Chat]) -> None: ...

    copy = p.clone()
    assert p.with_(temperature=0.5) is p  # a statement is enough, as 2.3 code writes it
    assert p.params is not None
    assert p.params.temperature == 0.5
    p.with_(max_tokens=10)  # replaces the params set before (2.3's rule)
    # mypy keeps the narrowing of `p.params.temperature` from before with_ replaced it.
    assert (p.params.temperature, p.params.max_tokens) == (None, 10)  # type: ignore[comparison-overlap]
    assert p.set_(attempt_recovery=False, max_rounds=0) is p  # False and 0 are set
    assert (p.attempt_recovery, p.max_rounds, p.drop_dialog) == (False, 0, True)
    p.set_()  # None keeps every setting
    assert (p.attempt_recovery, p.max_rounds) == (False, 0)
    assert p.watch(watcher, watcher) is p
    assert p.watch(watcher).watch_callbacks == [watcher]
    # clone gives a separate variant: the copy made before is untouched, a new one keeps all
    assert (copy.params, copy.attempt_recovery, copy.max_rounds, copy.watch_callbacks) == (
        None,
        True,
        3,
        [],
    )
    again = p.clone(skip_callbacks=True)
    assert again is not p
    assert again.watch_callbacks == []
    assert (again.params, again.max_rounds) == (p.params, 0)
    assert again.pipeline is p.pipeline
    again.with_(temperature=1.0)
    assert p.params.temperature is None


async def test_params_reach_the_generator_and_watchers_run() -> None:
    seen: list[int] = []

    async def watcher(chats: list[rg.Chat]) -> None:
        seen.append(len(chats))

    g = gen("<str>a</str>", "<str>b</str>")

    @g.prompt
    def p() -> str:
        """P."""

    results = await p.with_(temperature=0.25).watch(watcher).run_many(2)
    assert results == ["a", "b"]
    assert [c.params.temperature for c in g.calls] == [0.25, 0.25]
    assert sum(seen) == 2


async def test_bind_targets_and_unbound_error() -> None:
    @rg.prompt
    def echo(word: str) -> rg.Chat:
        """Say {{ word }}."""

    with pytest.raises(RuntimeError, match=r"prompt echo\(\) has no generator"):
        await echo("x")
    g = gen("one", "two", "three")
    chat = await echo.bind(g)("hi")
    assert chat.last.content == "one"
    continued = await echo.bind(chat)("again")
    assert [m.content for m in continued.all] == ["Say hi.\n", "one", "Say again.\n", "two"]
    many = await echo.bind_many(g.chat([{"role": "system", "content": "S"}]))(1, "x")
    assert many[0].messages[0].content == "S"
    with pytest.raises(TypeError, match=r"cannot bind a prompt to int"):
        echo.bind(3)  # type: ignore[arg-type]


async def test_run_over_generators() -> None:
    a, b = gen("<str>from a</str>"), gen("<str>from b</str>")

    @rg.prompt
    def p() -> str:
        """P."""

    assert await p.bind_over()([a, b]) == ["from a", "from b"]
    c = gen("<str>from c</str>")
    d = gen("<str>from d</str>")
    # mypy refuses an explicit __call__ on a Callable type ("not callable").
    assert await p.bind_over(c).__call__([d]) == ["from d", "from c"]  # type: ignore[operator]


async def test_make_prompt_and_system_prompt() -> None:
    g = gen("<answer>42</answer>", "<str>ok</str>")
    ask = rg.make_prompt("What is 6 x 7?", int, ctx=rg.Ctx("answer"), generator=g)
    assert ask.render() == (
        "What is 6 x 7?\n\nProduce the following output (use xml tags):\n\n<answer></answer>\n"
    )
    assert await ask() == 42

    @rg.prompt(generator=g, system_prompt="Be terse.")
    def p() -> str:
        """P."""

    assert await p() == "ok"
    sent = g.calls[1].input
    assert isinstance(sent, list)
    assert sent[0] == {"role": "system", "content": "Be terse."}


async def test_prompt_with_native_tools_and_list_of_models() -> None:
    def lookup(name: str) -> int:
        """Age of a person."""
        return {"Al": 5}[name]

    g = gen(
        '<tool-call name="lookup">{"name": "Al"}</tool-call>',
        "<person name='Al'><age>5</age></person><person name='Bo'><age>6</age></person>",
    )

    @rg.prompt(generator=g, tools=[lookup])
    async def people() -> list[Person]:
        """People."""

    assert await people() == [Person(name="Al", age=5), Person(name="Bo", age=6)]
    sent = g.calls[1].input
    assert isinstance(sent, list)
    assert sent[-1] == {"role": "user", "content": '<tool-result name="lookup">5</tool-result>'}


@pytest.mark.parametrize(
    "tag", ["y }}{{ 7*7 }}{{ y", "a b", "<x>", "x.y", "1st", "", "naïve", "a{{b}}"]
)
def test_a_ctx_tag_must_be_an_xml_name(tag: str) -> None:
    """A tag is both an element name and, snake-cased, the template variable holding it."""
    with pytest.raises(ValueError, match="Ctx tag must be an XML name"):
        rg.Ctx(tag=tag)


def test_ctx_tags_that_are_names_still_work() -> None:
    @rg.prompt
    def f(a: Annotated[str, rg.Ctx(tag="user-input")], b: Annotated[str, rg.Ctx(tag="_B2")]) -> str:
        """Hello."""

    text = f.render("one", "two")
    assert "<user-input>one</user-input>" in text
    assert "<_B2>two</_B2>" in text


@pytest.mark.parametrize(
    "doc",
    [
        "{{ " + "(" * 3000 + "x" + ")" * 3000 + " }}",
        "{% if 1 %}" * 1000 + "{% endif %}" * 1000,
        "{{ x" + "|upper" * 20000 + " }}",
    ],
)
def test_a_docstring_nested_too_deeply_is_refused_by_name(doc: str) -> None:
    def f(x: str) -> str: ...

    f.__doc__ = doc
    with pytest.raises(ValueError, match=r"prompt f\(\): docstring template is nested too deep"):
        rg.prompt(f)


async def test_error_completed_holds_typed_values_in_every_mode() -> None:
    """A raising run attached chats; `_values` attached values: now values either way."""

    def script() -> ScriptedGenerator:
        boom = rg.error.GenerationError("boom", model="m")
        return ScriptedGenerator(responses=["<int>7</int>", "x", "<int>9</int>", boom])

    @script().prompt
    async def number(x: str) -> int:
        """Give a number for {{ x }}."""

    with pytest.raises(rg.error.GenerationError) as raised:
        await number.run_many(3, "a")
    assert raised.value.completed == [7, 9]  # type: ignore[attr-defined]

    boom = rg.error.GenerationError("boom", model="m")

    @ScriptedGenerator(responses=["a", boom, "c"]).prompt
    async def chat_of(x: str) -> rg.Chat:
        """Say something about {{ x }}."""

    with pytest.raises(rg.error.GenerationError) as kept:
        await chat_of.run_many(3, "a")
    completed = kept.value.completed  # type: ignore[attr-defined]
    assert [c.last.content for c in completed] == ["a", "c"]  # chats, as the prompt returns


async def test_a_single_call_on_a_skipping_pipeline_raises_the_real_error() -> None:
    """One skipped item left nothing to unpack: the call raised an unpacking ValueError."""
    boom = rg.error.GenerationError("provider down", model="m")
    down = ScriptedGenerator(responses=[boom], cycle=True).chat()
    down.catch(rg.error.GenerationError, on_failed="skip")

    @rg.prompt
    async def ask(q: str) -> str:
        """Answer {{ q }}"""

    with pytest.raises(rg.error.GenerationError, match="provider down"):
        await ask.bind(down)("x")
    with pytest.raises(rg.error.GenerationError, match="provider down"):
        await down.prompt(ask.func)("x")  # type: ignore[arg-type]

    def stubborn(*replies: str) -> rg.ChatPipeline:
        return gen("nope", "nope", *replies).chat().catch(on_failed="skip")

    with pytest.raises(MessagesExhaustedMaxRoundsError, match=r"Exhausted max rounds \(1\)"):
        await ask.set_(max_rounds=1).bind(stubborn())("x")
    streamed = stubborn().prompt(ask.func).set_(max_rounds=1).stream("x")  # type: ignore[arg-type]
    with pytest.raises(MessagesExhaustedMaxRoundsError):  # the stream too (it refused "skip")
        await _drain(streamed)
    assert await ask.set_(max_rounds=2).bind(stubborn("<str>fine</str>"))("x") == "fine"
    assert await ask.bind_many(down)(1, "x") == []  # several results still skip


async def _drain(stream: t.AsyncIterator[t.Any]) -> None:
    async for _ in stream:
        pass


async def test_a_single_call_whose_map_drops_the_result_says_so() -> None:
    async def drop(chats: list[rg.Chat]) -> list[rg.Chat]:
        return []

    @rg.prompt
    async def ask(q: str) -> str:
        """Answer {{ q }}"""

    with pytest.raises(ValueError, match=r"ask\(\): map callbacks must keep exactly one result"):
        await ask.bind(gen("<str>a</str>").chat().map(drop))("x")


@dataclass(kw_only=True)
class KeywordsOnly:
    name: str
    age: int


@dataclass
class Derived:
    name: str
    chat: rg.Chat
    upper: str = field(init=False)
    seen: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        self.upper = self.name.upper()


async def test_dataclass_outputs_are_built_by_keyword_without_init_false_fields() -> None:
    """They were built positionally: keyword-only fields and init=False fields raised."""
    g = gen("<age>36</age><name>Ada</name>", "<name>Bo</name><upper>IGNORED</upper>")

    @g.prompt
    def person() -> KeywordsOnly:
        """Who?"""

    @g.prompt
    def derived() -> Derived:
        """Who?"""

    assert await person() == KeywordsOnly(name="Ada", age=36)
    assert "<upper>" not in derived.render()  # the model is not asked for init=False fields
    got = await derived()
    assert (got.name, got.upper, got.seen, isinstance(got.chat, rg.Chat)) == ("Bo", "BO", 0, True)


@dataclass
class NeedsInitVar:
    name: str
    scale: InitVar[int]

    def __post_init__(self, scale: int) -> None:
        self.name *= scale


@dataclass(init=False)
class CustomInit:
    name: str

    def __init__(self, first: str, /) -> None:
        self.name = first


@dataclass
class OptionalInitVar:
    name: str
    scale: InitVar[int] = 2

    def __post_init__(self, scale: int) -> None:
        self.name *= scale


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (NeedsInitVar, r"constructor needs 'scale', which is not a field the model fills"),
        (CustomInit, r"constructor takes no keyword argument 'name'"),
    ],
)
def test_dataclass_outputs_that_cannot_be_built_are_refused_when_decorated(
    cls: type, message: str
) -> None:
    def f() -> None:
        """Who?"""

    f.__annotations__["return"] = cls
    with pytest.raises(TypeError, match=rf"prompt f\(\), return type: dataclass {cls.__name__} "):
        rg.prompt(f)
    with pytest.raises(TypeError, match=message):
        rg.prompt(f)


async def test_dataclass_output_with_a_defaulted_init_var_is_built() -> None:
    @gen("<name>ab</name>").prompt
    def doubled() -> OptionalInitVar:
        """Who?"""

    assert (await doubled()).name == "abab"


async def test_a_value_that_cannot_be_read_keeps_the_other_values() -> None:
    """A `then` callback rewrote one finished chat's answer: reading its value fails, and the
    other chats' values ride along as `completed` (they were lost with a bare error)."""
    generator = ScriptedGenerator(responses=["<int>7</int>", "<int>8</int>", "<int>9</int>"])

    async def spoil(chat: rg.Chat) -> rg.Chat:
        if chat.last.content == "<int>8</int>":
            chat.last.content = "no number here"
        return chat

    @rg.prompt
    async def number(x: str) -> int:
        """Give a number for {{ x }}."""

    bound = number.bind_many(generator.chat().then(spoil))
    with pytest.raises(rg.error.MissingModelError) as raised:
        await bound(3, "a")
    assert raised.value.completed == [7, 9]  # type: ignore[attr-defined]
