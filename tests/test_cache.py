"""Response cache: keys, modes, hits marked and free, streaming, stores shared by processes."""

from __future__ import annotations

import contextlib
import pickle
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

import pytest
from _servers.openai_stub import OpenAIStub
from pydantic import PrivateAttr

import rigging as rg
from rigging.cache import CachedGenerator, CacheError, SQLiteCache, request_key
from rigging.generator import GeneratedMessage, GeneratedText, GenerateParams, Generator
from rigging.generator.chunks import StreamFinish, TextDelta
from rigging.generator.testing import EchoGenerator
from rigging.message import Message
from rigging.tool.api import ToolCall

SECRET = "sk-cache-test-secret-0123456789"


def _texts(n: int) -> list[str]:
    return [f"item {i}" for i in range(n)]


async def test_second_identical_batch_sends_zero_requests(
    openai_stub: OpenAIStub, tmp_path: Path
) -> None:
    inner = rg.get_generator(f"openai/stub-model,api_key={SECRET},max_retries=0")
    inner.params.api_base = openai_stub.base_url
    gen = inner.with_cache(tmp_path / "cache.db")
    first = await gen.chat().run_batch(_texts(20))
    assert len(openai_stub.requests) == 20
    assert all("cache" not in chat.extra for chat in first)
    second = await gen.chat().run_batch(_texts(20))
    assert len(openai_stub.requests) == 20  # nothing sent
    assert [c.last.content for c in second] == [c.last.content for c in first]
    assert [c.stop_reason for c in second] == [c.stop_reason for c in first]
    for before, after in zip(first, second, strict=True):
        assert after.extra["cache"]["hit"] is True
        assert before.usage is not None
        first_call = before.usage.calls[0]
        assert first_call is not None
        assert after.extra["cache"]["usage"] == first_call.model_dump()  # the one call
        assert after.usage is not None
        assert after.usage.total_tokens == 0
    assert SECRET.encode() not in (tmp_path / "cache.db").read_bytes()
    gen.store.close()


async def test_only_misses_are_sent_and_completions_cached(tmp_path: Path) -> None:
    inner = EchoGenerator()
    gen = inner.with_cache(tmp_path / "c.db")
    await gen.chat().run_batch(_texts(5))
    await gen.chat().run_batch(_texts(8))
    assert len(inner.calls) == 8  # 5, then the 3 new ones
    done = await gen.complete("x").run_batch(["a", "b"])
    again = await gen.complete("x").run_batch(["a", "b"])
    assert len(inner.calls) == 10
    assert [c.generated for c in again] == [c.generated for c in done]
    assert all(c.extra["cache"]["hit"] for c in again)
    gen.store.close()


class PerItem(Generator):
    """Settles each item alone, like the remote generators; counts provider requests."""

    model: str = "per-item"
    _requests: int = PrivateAttr(default=0)
    _failing: str = PrivateAttr(default="")  # not part of the identity (nor the cache key)

    def fail(self, prompt: str) -> None:
        self._failing = prompt

    def _one(self, prompt: str) -> str:
        self._requests += 1
        if prompt == self._failing:
            raise rg.error.GenerationError(f"bad request for {prompt}", model=self.model)
        return "re " + prompt

    def _settle(self, prompts: list[str]) -> list[str | Exception]:
        out: list[str | Exception] = []
        for prompt in prompts:
            try:
                out.append(self._one(prompt))
            except rg.error.GenerationError as exc:
                out.append(exc)
        return out

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        return [GeneratedMessage.from_text(self._one(str(m[-1].content))) for m in messages]

    async def generate_messages_settled(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage | Exception]:
        answers = self._settle([str(m[-1].content) for m in messages])
        return [a if isinstance(a, Exception) else GeneratedMessage.from_text(a) for a in answers]

    async def generate_texts(
        self, texts: Sequence[str], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedText]:
        return [GeneratedText.from_text(self._one(text)) for text in texts]

    async def generate_texts_settled(
        self, texts: Sequence[str], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedText | Exception]:
        answers = self._settle(list(texts))
        return [a if isinstance(a, Exception) else GeneratedText.from_text(a) for a in answers]


@pytest.mark.parametrize("kind", ["chat", "completion"])
async def test_one_failing_item_is_settled_alone_and_answers_are_stored(
    tmp_path: Path, kind: str
) -> None:
    # The wrapped generator's per-item settling is kept: one failing item in 64 costs 64
    # requests (no batch split and sent again), and every answer that arrived is stored.
    inner = PerItem()
    inner.fail("item 37")
    gen = inner.with_cache(tmp_path / "c.db")

    async def run() -> list[bool]:
        if kind == "chat":
            chats = gen.chat().catch(rg.error.GenerationError, on_failed="include")
            return [c.failed for c in await chats.run_batch(_texts(64))]
        done = gen.complete("").catch(rg.error.GenerationError, on_failed="include")
        return [c.failed for c in await done.run_batch(_texts(64))]

    failed = await run()
    assert inner._requests == 64
    assert [i for i, f in enumerate(failed) if f] == [37]
    inner.fail("")
    assert not any(await run())
    assert inner._requests == 65  # only the failed item is sent again
    gen.store.close()


async def test_key_depends_on_request_not_on_secret(tmp_path: Path) -> None:
    a = EchoGenerator(api_key="one")
    b = EchoGenerator(api_key="two")
    chat = [Message(role="user", content="hi")]
    assert request_key(a, GenerateParams(), chat) == request_key(b, GenerateParams(), chat)
    keys = {
        request_key(a, GenerateParams(), chat),
        request_key(a, GenerateParams(max_tokens=5), chat),
        request_key(EchoGenerator(prefix="p"), GenerateParams(), chat),
        request_key(EchoGenerator(model="other"), GenerateParams(), chat),
        request_key(a, GenerateParams(), [Message(role="user", content="hi!")]),
        request_key(a, GenerateParams(), "hi"),
    }
    assert len(keys) == 6
    params = GenerateParams(stop=["a"], max_tokens=3)
    same = GenerateParams(max_tokens=3, stop=["a"])
    assert request_key(a, params, chat) == request_key(a, same, chat)


async def test_modes_and_ttl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inner = EchoGenerator()
    path = tmp_path / "m.db"
    await inner.with_cache(path, mode="read_only").chat().run_batch(["a"])
    assert len(SQLiteCache(path)) == 0
    await inner.with_cache(path).chat().run_batch(["a"])
    assert len(inner.calls) == 2
    refreshed = await inner.with_cache(path, mode="refresh").chat().run_batch(["a"])
    assert len(inner.calls) == 3
    assert "cache" not in refreshed[0].extra
    hit = await inner.with_cache(path, mode="read_only").chat().run_batch(["a"])
    assert len(inner.calls) == 3
    assert hit[0].extra["cache"]["hit"]

    import rigging._cache.generator as module

    class Clock:
        now = 0.0

        def time(self) -> float:
            return self.now

    clock = Clock()
    clock.now = module.time.time() + 100  # type: ignore[attr-defined]  # the module's import
    monkeypatch.setattr(module, "time", clock)
    await inner.with_cache(path, ttl=1000).chat().run_batch(["a"])
    assert len(inner.calls) == 3  # still fresh
    await inner.with_cache(path, ttl=50).chat().run_batch(["a"])
    assert len(inner.calls) == 4  # expired: asked again
    with pytest.raises(ValueError, match="ttl"):
        inner.with_cache(path, ttl=0)
    with pytest.raises(ValueError, match="mode"):
        inner.with_cache(path, mode="sometimes")  # type: ignore[arg-type]


async def test_non_deterministic_requests_bypass_unless_forced(tmp_path: Path) -> None:
    inner = EchoGenerator()
    path = tmp_path / "d.db"
    hot = inner.with_cache(path).chat().with_(temperature=0.7)
    await hot.run_batch(["a"])
    await hot.run_batch(["a"])
    assert len(inner.calls) == 2
    assert len(SQLiteCache(path)) == 0
    seeded = inner.with_cache(path).chat().with_(temperature=0.7, seed=1)
    await seeded.run_batch(["a"])
    await seeded.run_batch(["a"])
    assert len(inner.calls) == 3
    forced = inner.with_cache(path, force=True).chat().with_(temperature=0.7)
    await forced.run_batch(["b"])
    await forced.run_batch(["b"])
    assert len(inner.calls) == 4


class ToolCaller(Generator):
    """Answers every conversation with one tool call (to check tool calls round-trip)."""

    model: str = "tools"
    sent: ClassVar[list[int]] = []

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        self.sent.append(len(messages))
        call = ToolCall.model_validate(
            {"id": "c1", "function": {"name": "f", "arguments": '{"x": 1}'}}
        )
        message = Message(role="assistant", content="", tool_calls=[call])
        return [GeneratedMessage(message=message, stop_reason="tool_calls", extra={"id": 1})] * len(
            messages
        )


async def test_tool_calls_stop_reason_and_extra_round_trip(tmp_path: Path) -> None:
    inner = ToolCaller()
    gen = inner.with_cache(tmp_path / "t.db")
    [first] = await gen.generate_messages([[Message(role="user", content="q")]], [GenerateParams()])
    [second] = await gen.generate_messages(
        [[Message(role="user", content="q")]], [GenerateParams()]
    )
    assert inner.sent == [1]
    assert second.message.tool_calls == first.message.tool_calls
    assert second.stop_reason == "tool_calls"
    assert second.extra["id"] == 1
    assert second.usage is None
    assert second.extra["cache"]["usage"] is None


async def test_streaming_replays_hits_and_passes_misses_through(tmp_path: Path) -> None:
    inner = EchoGenerator()
    gen = inner.with_cache(tmp_path / "s.db")
    chat = [Message(role="user", content="hello")]
    chunks = [c async for c in gen.stream_messages(chat)]
    assert len(inner.calls) == 1
    assert len(gen.store) == 0
    await gen.generate_messages([chat], [GenerateParams()])
    assert len(inner.calls) == 2
    replay = [c async for c in gen.stream_messages(chat)]
    assert len(inner.calls) == 2
    assert [c.text for c in replay if isinstance(c, TextDelta)] == [
        c.text for c in chunks if isinstance(c, TextDelta)
    ]
    finish = replay[-1]
    assert isinstance(finish, StreamFinish)
    assert finish.extra["cache"]["hit"]
    texts = [c async for c in gen.stream_texts("hello")]
    assert isinstance(texts[-1], StreamFinish)
    assert "cache" not in texts[-1].extra


def test_corrupt_file_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not a database" * 200)
    store = SQLiteCache(path)
    with pytest.raises(CacheError, match=r"corrupt|not a database"):
        store.get_many(["a" * 64])
    store.close()


def test_damaged_entry_is_an_error_not_an_answer(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    store = SQLiteCache(path)
    store.put_many([("k" * 64, '{"text": "right"}')])
    store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:  # closed, not only committed
        conn.execute('UPDATE responses SET value = \'{"text": "wrong"}\'')
    with pytest.raises(CacheError, match="checksum"):
        store.get_many(["k" * 64])
    store.close()


def test_other_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "schema.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:  # closed, not only committed
        conn.execute("CREATE TABLE rigging_cache_meta (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO rigging_cache_meta VALUES (99)")
    store = SQLiteCache(path)
    with pytest.raises(CacheError, match="schema"):
        store.get_many(["a"])
    store.close()


async def test_locked_database_gives_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "locked.db"
    SQLiteCache(path).get_many(["x"])  # create it
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        gen = EchoGenerator().with_cache(SQLiteCache(path, busy_timeout=0.05))
        with pytest.raises(CacheError, match="locked"):
            await gen.chat("a").run()
        gen.store.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


WRITER = textwrap.dedent(
    """
    import sys
    from rigging.cache import SQLiteCache

    path, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    store = SQLiteCache(path, busy_timeout=60)
    for start in range(0, count, 5):
        rows = [(f"{tag}-{i:05d}", f"value {tag} {i}") for i in range(start, start + 5)]
        store.put_many(rows)
    store.put_many([("shared", "same")])
    store.close()
    """
)


def test_two_processes_writing_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SQLiteCache(path).close()
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), tag, "400"])
        for tag in ("a", "b")
    ]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    store = SQLiteCache(path)
    assert len(store) == 801
    keys = [f"{tag}-{i:05d}" for tag in ("a", "b") for i in range(400)]
    found = store.get_many(keys)
    assert {k: v.value for k, v in found.items()} == {k: f"value {k[0]} {int(k[2:])}" for k in keys}
    store.close()


def test_pickling_keeps_settings_only(tmp_path: Path) -> None:
    store = SQLiteCache(tmp_path / "p.db", busy_timeout=2)
    store.put_many([("k", "v")])
    copy = pickle.loads(pickle.dumps(store))
    assert copy.busy_timeout == 2
    assert copy.get_many(["k"])["k"].value == "v"
    gen = pickle.loads(pickle.dumps(EchoGenerator().with_cache(store)))
    assert isinstance(gen, CachedGenerator)
    assert gen.store.path == store.path
    copy.close()
    store.close()


def test_identifier_and_repr_are_the_wrapped_generators(tmp_path: Path) -> None:
    inner = EchoGenerator(api_key=SECRET)
    gen = inner.with_cache(tmp_path / "i.db")
    assert gen.to_identifier() == inner.to_identifier()
    assert SECRET not in repr(gen)
    assert SECRET not in gen.model_dump_json()
    assert gen.with_cache(tmp_path / "j.db").generator is inner  # no double wrapping
    with pytest.raises(TypeError, match="CacheStore"):
        CachedGenerator(model="m", generator=inner, store=object())


def test_api_tool_support_is_the_wrapped_generators(tmp_path: Path) -> None:
    litellm = rg.get_generator("openai/some-model")
    assert litellm.with_cache(tmp_path / "a.db").supports_api_tools
    assert not EchoGenerator().with_cache(tmp_path / "b.db").supports_api_tools


async def test_pipeline_with_cache_is_a_copy(tmp_path: Path) -> None:
    inner = EchoGenerator()
    plain = inner.chat("sys")
    cached = plain.with_cache(tmp_path / "p.db")
    assert plain.generator is inner
    assert isinstance(cached.generator, CachedGenerator)
    await cached.run_batch(["a", "b"])
    again = await cached.run_batch(["a", "b"])
    assert len(inner.calls) == 2
    assert all(c.extra["cache"]["hit"] for c in again)
    await plain.run_batch(["a"])
    assert len(inner.calls) == 3


def test_opening_retries_a_journal_pragma_refused_while_another_process_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite can answer the journal pragma with "database is locked" at once (no busy wait)
    # while another process recovers or closes the file; seen as a flaky two-writer run.
    from rigging._cache import store as store_module

    real_connect = sqlite3.connect
    refusals = {"left": 3}

    class Refusing:
        def __init__(self, conn: sqlite3.Connection) -> None:
            self._conn = conn

        def execute(self, sql: str, *args: Any) -> Any:
            if sql.startswith("PRAGMA journal_mode") and refusals["left"]:
                refusals["left"] -= 1
                raise sqlite3.OperationalError("database is locked")
            return self._conn.execute(sql, *args)

        def __getattr__(self, name: str) -> Any:
            return getattr(self._conn, name)

    monkeypatch.setattr(
        store_module.sqlite3,  # type: ignore[attr-defined]  # the module's import
        "connect",
        lambda *a, **k: Refusing(real_connect(*a, **k)),
    )
    store = SQLiteCache(tmp_path / "c.db", busy_timeout=30)
    store.put_many([("k", "v")])
    assert store.get_many(["k"])["k"].value == "v"
    assert refusals["left"] == 0
    store.close()

    refusals["left"] = 10**9  # never gives way: the error names the lock once the time is up
    with pytest.raises(CacheError, match="locked"):
        SQLiteCache(tmp_path / "c.db", busy_timeout=0.05).get_many(["k"])


def test_a_store_dropped_without_close_closes_its_file(tmp_path: Path) -> None:
    import gc

    store = SQLiteCache(tmp_path / "dropped.db")
    store.put_many([("k", "v")])
    held = store._held
    conn = held.conn
    assert conn is not None
    del store
    gc.collect()
    assert held.conn is None
    assert held.pool is None
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):
        conn.execute("SELECT 1")


async def test_keys_differ_where_the_secret_rule_would_mask(tmp_path: Path) -> None:
    """Schema properties named `key`, `key_points`... were masked before hashing: two
    different requests shared a key and the second got the first one's answer."""
    chat = [Message(role="user", content="hi")]
    gen = EchoGenerator()

    def tool(kind: str) -> dict[str, Any]:
        schema = {"type": "object", "properties": {"key": {"type": kind}}}
        return {"type": "function", "function": {"name": "t", "parameters": schema}}

    pairs = [
        (GenerateParams(tools=[tool("string")]), GenerateParams(tools=[tool("integer")])),
        (
            GenerateParams(extra={"response_format": {"key_points": {"type": "string"}}}),
            GenerateParams(extra={"response_format": {"key_points": {"type": "array"}}}),
        ),
        (
            GenerateParams(extra={"prompt_cache_key": "a"}),
            GenerateParams(extra={"prompt_cache_key": "b"}),
        ),
    ]
    for first, second in pairs:
        assert request_key(gen, first, chat) != request_key(gen, second, chat)
    cached = gen.with_cache(tmp_path / "c.db")
    one, two = pairs[0]
    await cached.generate_messages([chat], [one])
    [answer] = await cached.generate_messages([chat], [two])
    assert not answer.extra.get("cache", {}).get("hit")
    cached.store.close()


async def test_lone_surrogates_neither_break_keys_nor_cost_results(tmp_path: Path) -> None:
    """A prompt with a lone surrogate raised while hashing its key; an answer with one raised
    while being stored: either way the whole batch lost its results."""
    cached = EchoGenerator().with_cache(tmp_path / "c.db")
    items = ["ok1", "bad \ud83d", "ok2"]
    chats = await cached.chat().run_batch(items)
    assert [c.last.content for c in chats] == items
    again = await cached.chat().run_batch(items)
    hits = [bool(c.extra.get("cache", {}).get("hit")) for c in again]
    assert hits == [True, False, True]  # not stored as it was: asked again, never lost
    cached.store.close()


async def test_a_store_that_cannot_write_keeps_the_answers() -> None:
    class ReadOnlyDisk:
        def get_many(self, keys: Sequence[str]) -> dict[str, Any]:
            return {}

        def put_many(self, items: Sequence[tuple[str, str]]) -> None:
            raise CacheError("disk is full")

        def close(self) -> None:
            pass

    cached = EchoGenerator().with_cache(ReadOnlyDisk())
    with pytest.warns(RuntimeWarning, match=r"3 answers were not cached \(disk is full\)"):
        chats = await cached.chat().run_batch(["a", "b", "c"])
    assert [c.last.content for c in chats] == ["a", "b", "c"]


def test_new_files_keep_values_out_of_the_key_tree_and_old_files_still_work(
    tmp_path: Path,
) -> None:
    """Schema 2 is an ordinary table with a key index: schema 1 (WITHOUT ROWID) kept every
    value in the key's b-tree, so one large entry slowed every lookup (see bench_scale)."""
    new = SQLiteCache(tmp_path / "new.db")
    new.put_many([("a", "1")])
    new.close()
    with contextlib.closing(sqlite3.connect(tmp_path / "new.db")) as conn:
        [(sql,)] = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'responses'")
        assert "WITHOUT ROWID" not in sql
        assert conn.execute("SELECT version FROM rigging_cache_meta").fetchall() == [(2,)]
    old_path = tmp_path / "old.db"
    with contextlib.closing(sqlite3.connect(old_path)) as conn, conn:
        conn.execute("CREATE TABLE rigging_cache_meta (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO rigging_cache_meta VALUES (1)")
        conn.execute(
            "CREATE TABLE responses (key TEXT PRIMARY KEY, value TEXT NOT NULL, "
            "stored_at REAL NOT NULL, check_ TEXT NOT NULL) WITHOUT ROWID"
        )
    old = SQLiteCache(old_path)
    old.put_many([("k", "v")])
    assert old.get_many(["k", "missing"])["k"].value == "v"
    old.close()


async def test_closing_a_relayed_stream_closes_the_wrapped_stream_at_once(tmp_path: Path) -> None:
    # A miss is streamed from the wrapped generator: closing the cache's stream early must
    # close the wrapped one (its HTTP response) then, not when it is collected.
    from rigging.generator.testing import ChunkedGenerator

    inner = ChunkedGenerator(replies=[["a", "b", "c", "d"]])
    cached = inner.with_cache(tmp_path / "c.db")
    for stream in (
        cached.stream_messages([Message("user", "q")]),
        cached.stream_texts("q"),
    ):
        assert isinstance(await anext(stream), TextDelta)
        assert inner.open_streams == 1
        await stream.aclose()  # type: ignore[attr-defined]
        assert inner.open_streams == 0
    assert inner.closed == [True, True]
