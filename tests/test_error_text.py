"""An error whose text cannot be built fails only its own item, with a message naming its type.

Every path here meets an exception from user code, a provider, a store or the OS whose
``__str__`` raises (or gives no str). Turning it into text must not raise a second,
unrelated error that fails the whole run or loses the other items' results.
"""

from __future__ import annotations

import dataclasses
import io
import sqlite3
import typing as t
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from _servers import OpenAIStub
from jsonpath_ng.exceptions import JsonPathParserError

import rigging as rg
from rigging._model.stock import SystemErrorModel
from rigging.cache import CacheError, SQLiteCache, StoredValue
from rigging.error import ProcessingError, _safe_str
from rigging.generator import GenerateParams, registry
from rigging.generator import _http_spec as http_spec
from rigging.generator._litellm_errors import classify_litellm_error, provider_message
from rigging.generator.http import HTTPGenerator
from rigging.generator.testing import EchoGenerator, ScriptedGenerator
from rigging.interact import interact
from rigging.message import Message

BROKEN = "<the error's text could not be built>"


class UnprintableError(Exception):
    """An error whose text cannot be built."""

    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


class UnprintableValueError(ValueError):
    """A `ValueError` whose text cannot be built."""

    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


class NotTextError(Exception):
    """An error whose ``__str__`` gives no str."""

    def __str__(self) -> str:
        return 42  # type: ignore[return-value]


class Shouting(str):
    """A str subclass whose own methods raise."""

    def upper(self) -> str:
        raise RuntimeError("not this one")


class SubclassTextError(Exception):
    def __str__(self) -> str:
        return Shouting("quiet text")


# --- the helper itself ------------------------------------------------------------------------


def test_safe_str_names_the_type_when_the_text_cannot_be_built() -> None:
    assert _safe_str(UnprintableError()) == "UnprintableError"
    assert _safe_str(NotTextError()) == "NotTextError"
    assert _safe_str(UnprintableError(), named=True) == f"UnprintableError: {BROKEN}"
    assert _safe_str(NotTextError(), named=True) == f"NotTextError: {BROKEN}"
    assert _safe_str(ValueError("bad value"), named=True) == "ValueError: bad value"
    assert _safe_str(ValueError("bad value")) == "bad value"
    assert _safe_str(ValueError(), named=True) == "ValueError"
    assert _safe_str(ValueError()) == ""  # as before: an empty text stays empty
    text = _safe_str(SubclassTextError())
    assert type(text) is str
    assert text.upper() == "QUIET TEXT"


def test_an_error_model_built_from_an_unprintable_error_names_its_type() -> None:
    assert SystemErrorModel(content=UnprintableError()).content == "UnprintableError"  # type: ignore[arg-type]


# --- generators -------------------------------------------------------------------------------


async def test_a_scripted_unprintable_error_fails_its_item_and_keeps_the_others() -> None:
    gen = ScriptedGenerator(responses=["a", UnprintableError(), "c"])
    chats = await gen.chat().catch(UnprintableError, on_failed="include").run_batch(["1", "2", "3"])
    assert [c.failed for c in chats] == [False, True, False]
    assert [c.last.content for c in chats if not c.failed] == ["a", "c"]
    assert isinstance(chats[1].error, UnprintableError)
    assert f"<raises UnprintableError: {BROKEN}>" in str(chats[0].generator_id)
    assert "UnprintableError" in chats[1].model_dump_json()


class Exploding:
    """A value whose text is an error of `kind` that cannot be built."""

    def __init__(self, kind: type[Exception]) -> None:
        self.kind = kind

    def __str__(self) -> str:
        raise self.kind()


@pytest.fixture(scope="module")
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as server:
        yield server


@pytest.fixture
def server(stub: OpenAIStub) -> OpenAIStub:
    stub.reset()
    return stub


def _spec(server: OpenAIStub, *, url: str = "", header: str = "", body: str = "") -> str:
    content = body or "{{ content }}"
    return f"""
request:
  url: "{server.base_url}/chat/completions{url}"
  headers:
    Content-Type: application/json
    X-Tag: "{header or "fixed"}"
  transforms:
    - type: jinja
      pattern: '{{"model": "m", "messages": [{{"role": "user", "content": "{content}"}}]}}'
response:
  transforms:
    - type: jsonpath
      pattern: $.choices[0].message.content
"""


async def _two_items(gen: HTTPGenerator, bad: object) -> list[object]:
    """Item 0 with a plain tag, item 1 with `bad`: the results of both."""
    params = [GenerateParams(extra={"tag": "plain"}), GenerateParams(extra={"tag": bad})]
    conversations = [[Message("user", "first")], [Message("user", "second")]]
    return list(await gen.generate_messages_settled(conversations, params))


@pytest.mark.parametrize(
    ("part", "where"),
    [
        ("body", "request.transforms[0] (jinja) failed"),
        ("header", "request.headers['X-Tag'] failed"),
        ("url", "request.url failed"),
    ],
)
@pytest.mark.parametrize("kind", [UnprintableError, UnprintableValueError])
async def test_a_spec_template_whose_value_raises_an_unprintable_error_fails_only_its_item(
    server: OpenAIStub, part: str, where: str, kind: type[Exception]
) -> None:
    tag = "{{ params.tag }}"
    places = {"body": {"body": tag}, "header": {"header": tag}, "url": {"url": f"?t={tag}"}}
    gen = HTTPGenerator(model="m", spec=_spec(server, **places[part]), max_retries=0)
    good, bad = await _two_items(gen, Exploding(kind))
    assert isinstance(good, rg.GeneratedMessage)
    assert good.message.content == ("plain" if part == "body" else "first")
    assert isinstance(bad, ProcessingError)
    assert f"HTTP spec {where}: " in str(bad)
    assert kind.__name__ in str(bad)
    assert len(server.requests) == 1


class UnprintableProtocol(httpx.UnsupportedProtocol):
    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


@pytest.mark.parametrize(
    "error",
    [UnprintableProtocol(""), httpx.UnsupportedProtocol("unsupported " * 100_000)],
    ids=["unprintable", "enormous"],
)
async def test_a_refused_request_whose_error_cannot_be_printed_fails_only_its_item(
    server: OpenAIStub, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> None:
    send = httpx.AsyncClient.request

    async def request(self: httpx.AsyncClient, method: str, url: str, **kw: t.Any) -> t.Any:
        if "t=refused" in url:
            raise error
        return await send(self, method, url, **kw)

    monkeypatch.setattr(httpx.AsyncClient, "request", request)
    gen = HTTPGenerator(model="m", spec=_spec(server, url="?t={{ params.tag }}"), max_retries=2)
    good, bad = await _two_items(gen, "refused")
    assert isinstance(good, rg.GeneratedMessage)
    assert good.message.content == "first"
    assert isinstance(bad, rg.error.GenerationError)
    assert "1 attempt(s)" in str(bad)  # refused at once, not retried
    assert f"invalid request ({type(error).__name__})" in str(bad)
    assert len(str(bad)) < 1_000  # an enormous text is clipped


class UnprintablePathError(JsonPathParserError):
    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


async def test_a_jsonpath_error_that_cannot_be_printed_names_the_step(
    server: OpenAIStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    def parse(pattern: str) -> t.Any:
        raise UnprintablePathError()

    monkeypatch.setattr(http_spec, "jsonpath_parse", parse)
    gen = HTTPGenerator(model="m", spec=_spec(server), max_retries=0)
    results = await gen.generate_messages_settled(
        [[Message("user", "one")], [Message("user", "two")]], [GenerateParams()] * 2
    )
    for result in results:
        assert isinstance(result, ProcessingError)
        assert "response.transforms[0] (jsonpath) failed: invalid jsonpath" in str(result)
        assert "UnprintablePathError" in str(result)


def test_a_provider_error_that_cannot_be_printed_is_read_as_its_type() -> None:
    assert provider_message(UnprintableError()) == "UnprintableError"
    assert classify_litellm_error(UnprintableError()) is None  # not an API error: raised as it is


# --- the response cache -----------------------------------------------------------------------


class UnprintableCacheError(CacheError):
    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


class RefusingStore:
    """A store that reads nothing and refuses every write with `error`."""

    def __init__(self, error: CacheError) -> None:
        self.error = error
        self.writes = 0

    def get_many(self, keys: Sequence[str]) -> dict[str, StoredValue]:
        return {}

    def put_many(self, items: Sequence[tuple[str, str]]) -> None:
        self.writes += 1
        raise self.error

    def close(self) -> None:
        pass


async def test_a_store_error_that_cannot_be_printed_keeps_every_answer() -> None:
    store = RefusingStore(UnprintableCacheError())
    pipeline = EchoGenerator().with_cache(store).chat()
    with pytest.warns(RuntimeWarning, match=r"2 answers were not cached \(UnprintableCacheError\)"):
        chats = await pipeline.run_batch(["a", "b"])
    assert [c.last.content for c in chats] == ["a", "b"]
    assert store.writes == 1


async def test_a_store_error_naming_a_url_with_a_password_warns_without_it() -> None:
    password = "s3cret-Passw0rd-77"
    store = RefusingStore(CacheError(f"cannot reach redis://app:{password}@cache.local:6379"))
    with pytest.warns(RuntimeWarning, match="answers were not cached") as caught:
        chats = await EchoGenerator().with_cache(store).chat().run_batch(["a"])
    assert [c.last.content for c in chats] == ["a"]
    assert "cache.local" in str(caught[0].message)
    assert password not in str(caught[0].message)


class UnprintableOperationalError(sqlite3.OperationalError):
    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


class UnprintableDatabaseError(sqlite3.DatabaseError):
    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (UnprintableOperationalError(), "failed: UnprintableOperationalError"),
        (UnprintableDatabaseError(), "is unreadable (UnprintableDatabaseError)"),
    ],
)
def test_an_sqlite_error_that_cannot_be_printed_becomes_a_cache_error(
    tmp_path: Path, error: Exception, says: str
) -> None:
    store = SQLiteCache(tmp_path / "cache.db")

    def fail(conn: sqlite3.Connection) -> None:
        raise error

    try:
        with pytest.raises(CacheError) as got:
            store._run(fail)
        assert f"cache.db' {says}" in str(got.value)
        assert got.value.__cause__ is error
        store.put_many([("k", '"v"')])  # the store still works afterwards
        assert store.get_many(["k"])["k"].value == '"v"'
    finally:
        store.close()


def test_an_unprintable_error_while_switching_to_wal_is_raised_as_it_is(tmp_path: Path) -> None:
    """Not mistaken for "database is locked" (retried) nor replaced by a second error."""

    class Refusing:
        def execute(self, sql: str) -> t.Any:
            raise UnprintableOperationalError()

    store = SQLiteCache(tmp_path / "cache.db")
    with pytest.raises(UnprintableOperationalError):
        store._wal(t.cast("sqlite3.Connection", Refusing()))


# --- prompts ----------------------------------------------------------------------------------


@dataclasses.dataclass
class Scored:
    score: int

    def __post_init__(self) -> None:
        if self.score < 0:
            raise UnprintableValueError()


async def test_an_unprintable_validation_error_of_an_output_is_fed_back_by_its_type() -> None:
    gen = ScriptedGenerator(responses=["<score>-1</score>", "<score>2</score>", "<score>3</score>"])

    @gen.prompt
    async def rate(x: str) -> Scored:  # type: ignore[empty-body]
        """Rate {{ x }}."""

    assert await rate.run_many(2, "it") == [Scored(3), Scored(2)]
    [retry] = [c.input for c in gen.calls[2:]]
    assert isinstance(retry, list)
    assert [m["role"] for m in retry] == ["user", "assistant", "user"]
    assert "<system-error>UnprintableValueError</system-error>" in retry[-1]["content"]


class NeedsTwoError(ValueError):
    """A user's error whose constructor takes two arguments."""

    def __init__(self, key: str, hint: str) -> None:
        super().__init__(key, hint)


class UnprintableTypeError(TypeError):
    def __str__(self) -> str:
        raise RuntimeError("no text for this error")


@pytest.mark.parametrize(
    ("error", "kind", "says"),
    [
        (NeedsTwoError("key", "hint"), ValueError, "NeedsTwoError: ('key', 'hint')"),
        (UnprintableTypeError(), TypeError, f"UnprintableTypeError: {BROKEN}"),
    ],
)
def test_a_tool_that_cannot_be_built_is_named_whatever_its_error(
    error: Exception, kind: type[Exception], says: str
) -> None:
    class Broken(rg.Tool, name="broken", description="Cannot be built."):
        def __init__(self) -> None:
            raise error

        def look(self, x: int) -> int:
            """Look."""
            return x

    async def ask() -> str:
        """Ask."""
        return ""

    with pytest.raises(kind) as got:
        rg.prompt(tools=[Broken])(ask)
    assert str(got.value) == f"prompt ask(), tools: {says}"


def test_a_generator_id_whose_generator_cannot_be_built_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Unbuildable(rg.Generator):
        def __init__(self, **kwargs: t.Any) -> None:
            raise UnprintableValueError()

    monkeypatch.setattr(registry, "_providers", dict(registry._providers))
    monkeypatch.setattr(registry, "_resolved", dict(registry._resolved))
    registry.register_generator("unbuildable", Unbuildable)

    async def ask() -> str:
        """Ask."""
        return ""

    with pytest.raises(ValueError, match="generator_id") as got:
        rg.prompt(generator_id="unbuildable!m")(ask)
    assert str(got.value) == f"prompt ask(), generator_id: UnprintableValueError: {BROKEN}"


class _NoSignature(type):
    @property
    def __signature__(cls) -> t.Any:
        raise UnprintableTypeError()


@dataclasses.dataclass
class Unsigned(metaclass=_NoSignature):
    """A docstring: Python 3.10's ``dataclass`` would read the signature to write one."""

    value: int


def test_a_dataclass_output_whose_signature_cannot_be_read_is_refused_by_name() -> None:
    async def ask() -> Unsigned:
        """Ask."""
        return Unsigned(1)

    with pytest.raises(TypeError, match="its constructor has no signature") as got:
        rg.prompt(ask)
    assert f"(UnprintableTypeError: {BROKEN})" in str(got.value)


# --- tools ------------------------------------------------------------------------------------


def explode() -> t.Any:
    raise UnprintableError()


class Schemaless:
    @classmethod
    def __get_pydantic_core_schema__(cls, source: t.Any, handler: t.Any) -> t.Any:
        raise UnprintableError()


def test_a_tool_whose_type_hints_raise_an_unprintable_error_is_refused_by_name() -> None:
    def lookup(key: str) -> str:
        """Look a key up."""
        return key

    lookup.__annotations__ = {"key": "explode()", "return": "str"}
    with pytest.raises(TypeError) as got:
        EchoGenerator().chat().using(lookup)
    assert (
        str(got.value)
        == f"tool 'lookup': cannot resolve the type hints: UnprintableError: {BROKEN}"
    )


def test_a_tool_whose_argument_type_raises_an_unprintable_error_is_refused_by_name() -> None:
    def lookup(key: Schemaless) -> str:
        """Look a key up."""
        return ""

    with pytest.raises(TypeError) as got:
        EchoGenerator().chat().using(lookup)
    assert (
        str(got.value) == f"tool 'lookup': unsupported argument types: UnprintableError: {BROKEN}"
    )


# --- the interactive loop ---------------------------------------------------------------------


async def test_an_unprintable_error_is_shown_and_the_session_goes_on() -> None:
    typed = iter(["one", "two"])

    def read(prompt: str) -> str:
        try:
            return next(typed)
        except StopIteration:
            raise EOFError from None

    out = io.StringIO()
    chat = await interact(
        ScriptedGenerator(responses=[UnprintableError(), "R2"]), read=read, output=out
    )
    assert f"[error] UnprintableError: {BROKEN}" in out.getvalue()
    assert chat is not None
    assert [m.content for m in chat.all] == ["two", "R2"]
