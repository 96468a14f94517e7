"""Cache stores: the `CacheStore` protocol and `SQLiteCache`, the store that ships.

A store maps a key (hex sha256 of a canonical request) to a stored value (JSON text of what
the generator returned) and the time it was stored. Stores are synchronous; the cached
generator calls them off the event loop. `SQLiteCache` keeps one connection on one dedicated
thread, so a store may be shared by any number of tasks, threads and event loops, and many
processes may open the same file (WAL journal, ``busy_timeout``).
"""

from __future__ import annotations

import hashlib
import math
import os
import sqlite3
import threading
import time
import typing as t
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from rigging.error import RiggingError, _reduce, _safe_str

__all__ = ["CacheError", "CacheStore", "SQLiteCache", "StoredValue"]

T = t.TypeVar("T")

SCHEMA_VERSION = 2
"""Version of the table layout new files get; a file of a version not in `_READABLE` is refused.

Version 1 kept the rows in the key's own b-tree (``WITHOUT ROWID``), so one large entry
(megabytes) sat in every lookup's path: 500 lookups next to a 16 MB entry took 7.5 s.
Version 2 is an ordinary table with the key as a unique index. Both have the same columns,
so version-1 files are read and written as they are."""

_READABLE = (1, 2)

_CHUNK = 500
"""Keys per ``SELECT ... IN (...)`` (under SQLite's default variable limit)."""


class CacheError(RiggingError):
    """The response cache cannot be used (corrupt or locked file, bad stored value, ...)."""

    __reduce__ = _reduce


@dataclass(frozen=True, slots=True)
class StoredValue:
    """One cached response."""

    value: str
    """JSON text of the generator's result."""
    stored_at: float
    """When it was stored (seconds since the epoch)."""


@t.runtime_checkable
class CacheStore(t.Protocol):
    """What a response cache store provides (implement it for Redis, a KV service, ...).

    Methods are synchronous and may block; callers run them off the event loop. They must be
    safe to call from any one thread at a time. Keys are hex sha256 digests.
    """

    def get_many(self, keys: Sequence[str]) -> dict[str, StoredValue]:
        """The stored values of those `keys` that are present (absent keys are left out)."""
        ...

    def put_many(self, items: Sequence[tuple[str, str]]) -> None:
        """Store ``(key, value)`` pairs durably, replacing existing entries."""
        ...

    def close(self) -> None:
        """Release connections; the store may be used again afterwards (it reopens)."""
        ...


_INHERITED: list[sqlite3.Connection] = []
"""Connections a forked child inherited from its parent: kept referenced, never closed.

SQLite forbids using a connection across ``fork``; closing it in the child (which a dropped
reference does) may checkpoint or unlink the parent's WAL under it."""


class _Held:
    """What a `SQLiteCache` holds open: its connection and its worker thread.

    Both belong to the process that opened them (`pid`): in a forked child the thread does
    not exist (a task submitted to its pool never runs) and the connection is the parent's.
    """

    __slots__ = ("conn", "pid", "pool")

    def __init__(self) -> None:
        self.conn: sqlite3.Connection | None = None
        self.pool: ThreadPoolExecutor | None = None
        self.pid = os.getpid()

    def release(self) -> None:
        """Close the connection and let the thread end (the store is gone: nothing in flight).

        In a forked child, the parent's connection is left alone (see `_INHERITED`).
        """
        conn, self.conn = self.conn, None
        pool, self.pool = self.pool, None
        if conn is not None:
            if self.pid == os.getpid():
                conn.close()
            else:
                _INHERITED.append(conn)
        if pool is not None and self.pid == os.getpid():
            pool.shutdown(wait=False)


class SQLiteCache:
    """A `CacheStore` in one SQLite file (standard library ``sqlite3``, WAL journal).

    Safe for many tasks and threads (one connection on one worker thread) and for several
    processes on the same file (WAL, ``busy_timeout``). Pickling keeps only the settings, so a
    store can be sent to other processes (Ray workers), which open the file themselves; a
    forked child (``multiprocessing``'s fork) that inherited a store opens its own too.

    Args:
        path: The database file (created with its table when missing).
        busy_timeout: Seconds to wait for another process's lock before `CacheError`.
        synchronous: SQLite ``synchronous`` pragma: ``"NORMAL"`` (default; with WAL, durable
            against a process crash, the last commits may be lost on power loss) or ``"FULL"``.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = 5.0,
        synchronous: t.Literal["NORMAL", "FULL"] = "NORMAL",
    ) -> None:
        if not (0 <= busy_timeout < math.inf):  # NaN too: it failed at first use, unnamed
            raise ValueError(
                f"busy_timeout must be a finite number of seconds >= 0, got {busy_timeout}"
            )
        if synchronous not in ("NORMAL", "FULL"):
            raise ValueError(f"synchronous must be 'NORMAL' or 'FULL', got {synchronous!r}")
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous
        self._held = _Held()
        self._lock = threading.Lock()
        # a store dropped without close() still closes its file and stops its thread
        self._finalizer = weakref.finalize(self, self._held.release)

    def __repr__(self) -> str:
        return f"SQLiteCache({str(self.path)!r})"

    def __getstate__(self) -> dict[str, t.Any]:
        return {"path": self.path, "busy_timeout": self.busy_timeout, "sync": self.synchronous}

    def __setstate__(self, state: dict[str, t.Any]) -> None:
        self.__init__(  # type: ignore[misc]
            state["path"], busy_timeout=state["busy_timeout"], synchronous=state["sync"]
        )

    # --- the worker thread ----------------------------------------------------------------------

    def _renew(self) -> _Held:
        """Hand the store a new `_Held` (thread and connection); returns the one it had."""
        held = self._held
        self._finalizer.detach()
        self._held = _Held()
        self._finalizer = weakref.finalize(self, self._held.release)
        return held

    def _forked(self) -> None:
        """Start afresh in a forked child: its own lock, thread and connection.

        What the parent held is released without closing the parent's connection, and the
        lock is new (another thread of the parent may have held it at the fork).
        """
        if self._held.pid == os.getpid():
            return
        self._renew().release()
        self._lock = threading.Lock()

    def _run(self, func: Callable[[sqlite3.Connection], T]) -> T:
        """Run `func` with the connection on the store's thread; map SQLite errors.

        The task is queued under the lock, on the thread of the `_Held` it uses: a `close`
        in another thread queues the closing of that connection after it, and calls made
        after the close get a new thread and connection, never this one.
        """
        self._forked()
        with self._lock:
            held = self._held
            if held.pool is None:
                held.pool = ThreadPoolExecutor(1, thread_name_prefix="rigging-cache")
            future = held.pool.submit(self._call, held, func)
        return future.result()

    def _call(self, held: _Held, func: Callable[[sqlite3.Connection], T]) -> T:
        try:
            if held.conn is None:
                held.conn = self._open()
            return func(held.conn)
        except sqlite3.OperationalError as exc:
            raise self._error(exc) from exc
        except sqlite3.DatabaseError as exc:
            _drop_connection(held)
            raise CacheError(
                f"cache database {str(self.path)!r} is unreadable ({_safe_str(exc)}); it may be "
                "corrupt or not a rigging cache: move it away or pick another path"
            ) from exc

    def _error(self, exc: sqlite3.OperationalError) -> CacheError:
        text = _safe_str(exc)
        if "locked" in text or "busy" in text:
            return CacheError(
                f"cache database {str(self.path)!r} stayed locked by another connection for "
                f"{self.busy_timeout:g}s ({text}); raise busy_timeout or wait for the writer"
            )
        if "unable to open" in text or "readonly" in text:
            why = self._unopenable()
            if why:
                return CacheError(f"cache database {str(self.path)!r} cannot be used: {why}")
        return CacheError(f"cache database {str(self.path)!r} failed: {text}")

    def _unopenable(self) -> str | None:
        """Why SQLite cannot open or write the file, when the path shows it (else None).

        SQLite says only "unable to open database file" for a directory and for a read-only
        place; the WAL journal writes ``<name>-wal`` and ``<name>-shm`` beside the file, so
        even reading needs a writable directory.
        """
        path = self.path
        if path.is_dir():
            return "it is a directory, not a file"
        parent = path.parent
        if not os.access(parent, os.W_OK):
            return (
                f"its directory {str(parent)!r} is read-only (the WAL journal creates "
                f"{path.name}-wal and {path.name}-shm beside it, even to read): use a path in a "
                "writable directory (copy the file there)"
            )
        if path.exists() and not os.access(path, os.W_OK):
            return "the file is read-only (the cache opens it for writing, even to read)"
        return None

    def _open(self) -> sqlite3.Connection:
        if self.path.parent and not self.path.parent.exists():
            raise CacheError(f"cache directory {str(self.path.parent)!r} does not exist")
        conn = sqlite3.connect(
            self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
        )
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            self._check_ours(conn)
            mode = self._wal(conn)
            if str(mode).lower() != "wal":
                raise CacheError(f"cache database {str(self.path)!r} cannot use WAL ({mode})")
            conn.execute(f"PRAGMA synchronous = {self.synchronous}")
            self._check_schema(conn)
        except BaseException:
            conn.close()
            raise
        return conn

    def _check_ours(self, conn: sqlite3.Connection) -> None:
        """Refuse a database that holds tables but is not a rigging cache, before changing it.

        Pointed at another application's database by mistake, the store used to switch it to
        the WAL journal for good, add its tables next to that application's and keep cache
        rows there (or fail on "no such column" when it had a ``responses`` table).
        """
        names = {
            str(row[0])
            for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if names and "rigging_cache_meta" not in names:
            shown = ", ".join(sorted(names)[:5]) + (", ..." if len(names) > 5 else "")
            raise CacheError(
                f"cache database {str(self.path)!r} is not a rigging cache: it holds other "
                f"tables ({shown}) and no rigging_cache_meta; it was left unchanged, pick "
                "another path"
            )

    def _wal(self, conn: sqlite3.Connection) -> str:
        """Switch to the WAL journal (a no-op when the file already uses it).

        While another process opens, recovers or closes the file, the pragma can report
        "database is locked" without waiting on ``busy_timeout``; it is retried, with a short
        back-off, until ``busy_timeout`` has passed.
        """
        deadline = time.monotonic() + self.busy_timeout
        pause = 0.001
        while True:
            try:
                mode = str(conn.execute("PRAGMA journal_mode").fetchone()[0])
                if mode.lower() == "wal":
                    return mode
                return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0])
            except sqlite3.OperationalError as exc:
                text = _safe_str(exc)
                if ("locked" not in text and "busy" not in text) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)
            pause = min(pause * 2, 0.05)

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("CREATE TABLE IF NOT EXISTS rigging_cache_meta (version INTEGER NOT NULL)")
            conn.execute(  # a no-op on a file that has it (a version-1 file keeps its own)
                "CREATE TABLE IF NOT EXISTS responses "
                "(key TEXT PRIMARY KEY, value TEXT NOT NULL, stored_at REAL NOT NULL, "
                "check_ TEXT NOT NULL)"
            )
            rows = conn.execute("SELECT version FROM rigging_cache_meta").fetchall()
            if not rows:
                conn.execute("INSERT INTO rigging_cache_meta VALUES (?)", (SCHEMA_VERSION,))
            elif len(rows) != 1 or rows[0][0] not in _READABLE:
                raise CacheError(
                    f"cache database {str(self.path)!r} has schema {rows}, this rigging "
                    f"reads versions {', '.join(map(str, _READABLE))}; use another path"
                )
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    # --- CacheStore -----------------------------------------------------------------------------

    def get_many(self, keys: Sequence[str]) -> dict[str, StoredValue]:
        """The stored values of those `keys` that are present.

        Args:
            keys: Hex digests.

        Returns:
            Present keys mapped to their values.

        Raises:
            CacheError: The file is locked past `busy_timeout`, corrupt or not a cache.
        """
        if not keys:
            return {}
        return self._run(lambda conn: _select(conn, list(keys)))

    def put_many(self, items: Sequence[tuple[str, str]]) -> None:
        """Store ``(key, value)`` pairs in one transaction, replacing existing entries.

        Args:
            items: Keys and JSON values.

        Raises:
            CacheError: The file is locked past `busy_timeout`, corrupt or read-only.
        """
        if items:
            now = time.time()
            rows = [(key, value, now, _checksum(key, value)) for key, value in items]
            self._run(lambda conn: _insert(conn, rows))

    def __len__(self) -> int:
        return int(
            self._run(lambda conn: conn.execute("SELECT count(*) FROM responses").fetchone()[0])
        )

    def clear(self) -> None:
        """Delete every entry."""
        self._run(lambda conn: conn.execute("DELETE FROM responses"))

    def close(self) -> None:
        """Close the connection and stop the worker thread (the store reopens on next use).

        Calls already made from other threads finish first, on the connection they started
        on; calls made from then on open a new one.
        """
        self._forked()
        with self._lock:
            if self._held.pool is None:
                return
            held = self._renew()
            pool, held.pool = held.pool, None
            assert pool is not None
            closing = pool.submit(_drop_connection, held)
        closing.result()
        pool.shutdown(wait=True)


def _drop_connection(held: _Held) -> None:
    """Close the connection of `held` (on its own thread)."""
    conn, held.conn = held.conn, None
    if conn is not None:
        conn.close()


def _select(conn: sqlite3.Connection, keys: list[str]) -> dict[str, StoredValue]:
    found: dict[str, StoredValue] = {}
    for start in range(0, len(keys), _CHUNK):
        chunk = keys[start : start + _CHUNK]
        marks = ",".join("?" * len(chunk))
        query = f"SELECT key, value, stored_at, check_ FROM responses WHERE key IN ({marks})"
        for key, value, stored_at, check in conn.execute(query, chunk):
            if not isinstance(value, str) or check != _checksum(key, value):
                raise CacheError(
                    f"cache entry {key[:16]}... failed its checksum: the database is corrupt; "
                    "move it away or pick another path"
                )
            if not _is_time(stored_at):
                raise CacheError(
                    f"cache entry {key[:16]}... has no valid time of storage "
                    f"({type(stored_at).__name__} {str(stored_at)[:32]!r}): the database is "
                    "corrupt; move it away or pick another path"
                )
            found[key] = StoredValue(value, float(stored_at))
    return found


def _is_time(value: t.Any) -> bool:
    """Whether a stored ``stored_at`` is a number of seconds a datetime can hold.

    The checksum does not cover it; a damaged one (text, bytes, 1e20) made a hit raise a
    bare `TypeError` or `OverflowError` from the run instead of a `CacheError`.
    """
    if type(value) not in (int, float):
        return False
    try:
        datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, ValueError, OSError):
        return False
    return True


def _checksum(key: str, value: str) -> str:
    """Guards each row against damage SQLite itself would not notice (and swapped keys)."""
    return hashlib.blake2b(f"{key}\n{value}".encode(), digest_size=8).hexdigest()


def _insert(conn: sqlite3.Connection, rows: list[tuple[str, str, float, str]]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?)", rows)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
