"""`SQLiteCache` as storage: forked processes, files that are not rigging caches, bad rows."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sqlite3
import threading
import warnings
from multiprocessing.queues import Queue
from pathlib import Path
from typing import Any

import pytest

from rigging.cache import CacheError, SQLiteCache
from rigging.generator.testing import EchoGenerator

needs_fork = pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="no fork start method"
)


def _child_writes(store: SQLiteCache, results: Queue[Any]) -> None:
    store.put_many([("child", "from the child")])
    results.put(sorted(store.get_many(["child", "parent"])))
    store.close()


def _child_closes(store: SQLiteCache, results: Queue[Any]) -> None:
    store.close()
    results.put("closed")


@needs_fork
@pytest.mark.parametrize("target", [_child_writes, _child_closes])
def test_a_store_used_in_a_forked_child_works_and_leaves_the_parents_alone(
    tmp_path: Path, target: Any
) -> None:
    """The child inherited the parent's worker pool (whose thread does not exist there) and
    its connection: every call in the child waited forever."""
    store = SQLiteCache(tmp_path / "forked.db")
    store.put_many([("parent", "from the parent")])  # the worker thread and connection exist
    context = multiprocessing.get_context("fork")
    results: Queue[Any] = context.Queue()
    with warnings.catch_warnings():  # Python 3.12+ warns on fork with threads running
        warnings.simplefilter("ignore", DeprecationWarning)
        child = context.Process(target=target, args=(store, results))
        child.start()
    child.join(60)  # a guard against the old hang, never a wait for timing
    if child.is_alive():
        child.kill()
        child.join()
        pytest.fail("the forked child hung on the inherited store")
    assert child.exitcode == 0
    expected = ["child", "parent"] if target is _child_writes else "closed"
    assert results.get(timeout=10) == expected
    store.put_many([("after", "the child")])  # the parent's connection still works
    found = store.get_many(["parent", "after", "child"])
    assert found["parent"].value == "from the parent"
    assert found["after"].value == "the child"
    assert ("child" in found) == (target is _child_writes)
    store.close()


@pytest.mark.parametrize(
    "tables",
    [
        ["CREATE TABLE users (name TEXT)"],
        ["CREATE TABLE responses (id INTEGER, body TEXT)", "CREATE TABLE users (name TEXT)"],
    ],
)
def test_another_applications_database_is_refused_and_left_unchanged(
    tmp_path: Path, tables: list[str]
) -> None:
    """The store switched such a file to WAL for good, added its tables and kept its rows
    there (or failed on "no such column: key" next to a `responses` table of its own)."""
    path = tmp_path / "app.db"
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        for statement in tables:
            conn.execute(statement)
    before = path.read_bytes()
    store = SQLiteCache(path)
    with pytest.raises(CacheError, match=r"not a rigging cache.*users"):
        store.put_many([("k", "v")])
    with pytest.raises(CacheError, match="not a rigging cache"):
        store.get_many(["k"])
    store.close()
    assert path.read_bytes() == before
    with contextlib.closing(sqlite3.connect(path)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"


def test_empty_and_own_files_still_open(tmp_path: Path) -> None:
    empty = tmp_path / "empty.db"
    empty.touch()
    for path in (empty, tmp_path / "new.db"):
        store = SQLiteCache(path)
        store.put_many([("k", "v")])
        store.close()
        again = SQLiteCache(path)
        assert again.get_many(["k"])["k"].value == "v"
        again.close()


@pytest.mark.parametrize("stamp", ["abc", b"x", 1e20, float("inf"), -1e300])
@pytest.mark.parametrize("ttl", [None, 100.0])
async def test_a_damaged_time_of_storage_is_a_cache_error(
    tmp_path: Path, stamp: Any, ttl: float | None
) -> None:
    """The checksum does not cover `stored_at`: a damaged one made a hit raise a bare
    TypeError or OverflowError out of the run."""
    path = tmp_path / "t.db"
    gen = EchoGenerator().with_cache(path, ttl=ttl)
    await gen.chat("hello").run()
    gen.store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE responses SET stored_at = ?", (stamp,))
    with pytest.raises(CacheError, match="no valid time of storage"):
        await gen.chat("hello").run()
    gen.store.close()


def test_a_value_that_is_not_text_fails_its_checksum(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    store = SQLiteCache(path)
    store.put_many([("k", "v")])
    store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE responses SET value = ?", (b"v",))
    with pytest.raises(CacheError, match="checksum"):
        store.get_many(["k"])
    store.close()


class _ClosingSeen:
    """Wraps a store's lock: `released` is set once the closing thread lets go of it."""

    def __init__(self, lock: Any, closer: list[threading.Thread]) -> None:
        self.lock = lock
        self.closer = closer
        self.released = threading.Event()

    def __enter__(self) -> Any:
        return self.lock.__enter__()

    def __exit__(self, *exc: object) -> Any:
        result = self.lock.__exit__(*exc)
        if self.closer and threading.current_thread() is self.closer[0]:
            self.released.set()
        return result


def test_a_close_in_another_thread_never_shares_a_connection_in_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A call made after another thread's close ran on a second worker thread with the same
    connection as a call still in flight on the first one (an error inside its transaction,
    or a segmentation fault when the close then closed it under the second)."""
    from rigging._cache import store as store_module

    real_insert = store_module._insert
    conns: dict[str, sqlite3.Connection] = {}
    first_in, second_in, release_first = threading.Event(), threading.Event(), threading.Event()

    def insert(conn: sqlite3.Connection, rows: list[tuple[str, str, float, str]]) -> None:
        name = rows[0][0]
        conns[name] = conn
        if name == "first":  # hold a write transaction open on the first connection
            conn.execute("BEGIN IMMEDIATE")
            first_in.set()
            release_first.wait()
            conn.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)", rows)
            conn.execute("COMMIT")
            return
        second_in.set()
        real_insert(conn, rows)

    monkeypatch.setattr(store_module, "_insert", insert)
    store = SQLiteCache(tmp_path / "shared.db", busy_timeout=60)
    store.get_many(["warm"])  # the first thread and connection exist
    real_open = store._open

    def open_second() -> sqlite3.Connection:
        second_in.set()  # opening checks the schema, waiting for the first's write lock
        return real_open()

    monkeypatch.setattr(store, "_open", open_second)
    closer: list[threading.Thread] = []
    seen = _ClosingSeen(store._lock, closer)
    store._lock = seen  # type: ignore[assignment]
    errors: list[BaseException] = []

    def call(func: Any, *args: Any) -> threading.Thread:
        def run() -> None:
            try:
                func(*args)
            except BaseException as exc:
                errors.append(exc)

        thread = threading.Thread(target=run)
        thread.start()
        return thread

    first = call(store.put_many, [("first", "1")])
    first_in.wait()
    closer.append(threading.Thread(target=store.close))
    closer[0].start()
    seen.released.wait()  # the close has taken the store's thread and connection away
    second = call(store.put_many, [("second", "2")])
    second_in.wait()  # the second call reached a connection (it may wait for the lock)
    release_first.set()
    for thread in (first, closer[0], second):
        thread.join()
    assert errors == []
    assert conns["second"] is not conns["first"]
    with pytest.raises(sqlite3.ProgrammingError, match="closed"):  # closed after its call
        conns["first"].execute("SELECT 1")
    assert {k: v.value for k, v in store.get_many(["first", "second"]).items()} == {
        "first": "1",
        "second": "2",
    }
    store.close()


@pytest.mark.parametrize("timeout", [float("nan"), float("inf"), -1.0])
def test_a_busy_timeout_that_is_no_number_of_seconds_is_refused_at_once(
    tmp_path: Path, timeout: float
) -> None:
    """NaN and infinity were taken, then the first lookup raised a bare ValueError or
    OverflowError (converting them to milliseconds) out of the run."""
    with pytest.raises(ValueError, match="busy_timeout must be a finite number"):
        SQLiteCache(tmp_path / "c.db", busy_timeout=timeout)


def test_a_ttl_of_nan_is_refused(tmp_path: Path) -> None:
    """Every comparison with NaN is false: every entry was a miss, and nothing said so."""
    with pytest.raises(ValueError, match="ttl must be a positive number"):
        EchoGenerator().with_cache(tmp_path / "c.db", ttl=float("nan"))
    assert EchoGenerator().with_cache(tmp_path / "c.db", ttl=float("inf")).ttl == float("inf")


async def test_a_store_failing_with_its_own_error_keeps_the_answers() -> None:
    """A store of the user's raises its own errors: only `CacheError` was caught, and a
    Redis store's ConnectionError cost the batch every answer that had arrived."""

    class Unreachable:
        def get_many(self, keys: Any) -> dict[str, Any]:
            return {}

        def put_many(self, items: Any) -> None:
            raise ConnectionError("redis://:hunter2@cache:6379 refused the connection")

        def close(self) -> None:
            pass

    with pytest.warns(RuntimeWarning, match=r"2 answers were not cached \(ConnectionError: ") as w:
        chats = await EchoGenerator().with_cache(Unreachable()).chat().run_batch(["a", "b"])
    assert [c.last.content for c in chats] == ["a", "b"]
    assert "hunter2" not in str(w[0].message)


def test_a_directory_is_named_as_one(tmp_path: Path) -> None:
    store = SQLiteCache(tmp_path)
    with pytest.raises(CacheError, match="is a directory, not a file"):
        store.get_many(["k"])
    store.close()


def test_a_read_only_directory_is_named_as_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite says only "unable to open database file"; the WAL files it needs beside the
    database are why a read-only place fails even to read. (Simulated: root writes
    anywhere, and a read-only mount needs privileges.)"""
    path = tmp_path / "c.db"
    written = SQLiteCache(path)
    written.put_many([("k", "v")])
    written.close()

    def refuse(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        raise sqlite3.OperationalError("unable to open database file")

    real_access = os.access
    monkeypatch.setattr(sqlite3, "connect", refuse)
    monkeypatch.setattr(os, "access", lambda p, mode: Path(p) != tmp_path and real_access(p, mode))
    store = SQLiteCache(path)
    with pytest.raises(CacheError, match=r"its directory .* is read-only .*c\.db-wal"):
        store.get_many(["k"])
    store.close()
