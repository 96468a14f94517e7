"""Watch callbacks that keep every chat: JSONL files, Elasticsearch, S3.

Each factory returns an async callable taking the list of chats a run just finished; register
it with ``pipeline.watch(...)``, ``generator.watch(...)`` or a prompt's ``watch``. Pipeline
metadata set with ``meta()`` is part of each chat, so it is written too.

JSONL writes are whole-line appends: every call encodes all its lines first and writes them
with one ``write`` on a descriptor opened with ``O_APPEND``, under a lock shared by every
writer of that file in the process and an exclusive ``flock`` between processes, so lines of
concurrent batches and processes never interleave. Locking and I/O run in a writer thread
of that file (not the loop's default executor): a lock held by another process delays only
the writes of that file, never the event loop, its requests, streams or ``to_thread`` work.

A writer killed inside a ``write`` (``kill -9``) can leave a partial last line. Every write,
by every writer, repairs this first, under the lock: when the file does not end with a
newline, the torn tail (the bytes after the last newline) is cut, unless it is a whole JSON
value, which only lacked its newline and gets one. Complete lines are never touched; the
torn line was never whole, so no complete chat is lost. Until the next write
repairs it, readers should ignore a last line that does not end with a newline.
``replace=True`` empties the target on the watcher's first call only.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import threading
import typing as t
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from rigging._data.elastic import chats_to_elastic
from rigging._data.flat import flatten_chats
from rigging._deps import import_optional
from rigging._exports import public_dir as _public_dir
from rigging.error import _safe_str

if t.TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

    from rigging.chat import Chat

__all__ = [
    "write_chats_to_elastic",
    "write_chats_to_jsonl",
    "write_chats_to_s3",
    "write_messages_to_jsonl",
]

_LOCKS: dict[str, threading.Lock] = {}
_WRITERS: dict[str, ThreadPoolExecutor] = {}
_LOCKS_GUARD = threading.Lock()


def _forget_threads_and_locks() -> None:
    """In a forked child: the writer threads do not exist and the locks may look held."""
    global _LOCKS_GUARD
    _LOCKS.clear()
    _WRITERS.clear()
    _LOCKS_GUARD = threading.Lock()


if hasattr(os, "register_at_fork"):  # POSIX
    os.register_at_fork(after_in_child=_forget_threads_and_locks)


def _lock_for(path: Path) -> threading.Lock:
    key = os.path.realpath(path)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _thread_for(path: Path) -> ThreadPoolExecutor:
    """The one writer thread of a file (writes to a file are serialised anyway).

    Not asyncio's default executor: writes waiting on a lock held elsewhere must never use up
    the threads that DNS lookups and other ``to_thread`` work of in-flight requests need.
    """
    key = os.path.realpath(path)
    with _LOCKS_GUARD:
        executor = _WRITERS.get(key)
        if executor is None:
            executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rigging-jsonl")
            _WRITERS[key] = executor
        return executor


def _flock(fd: int, *, exclusive: bool) -> None:
    try:
        import fcntl  # POSIX only
    except ImportError:  # pragma: no cover - Windows: the in-process lock still applies
        return
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_UN)


def _last_newline_end(fd: int, size: int) -> int:
    """Offset just past the last newline of the file (0 when there is none)."""
    end = size
    while end > 0:
        start = max(0, end - 65536)
        cut = os.pread(fd, end - start, start).rfind(b"\n")
        if cut >= 0:
            return start + cut + 1
        end = start
    return 0


def _drop_torn_tail(fd: int) -> None:
    """Make the file end with a newline before appending.

    A tail after the last newline that is a whole JSON value (written without its newline, by
    hand or another tool) gets its newline; anything else is what a writer killed inside a
    ``write`` left, and is cut (it was never a whole line).
    """
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    line_start = _last_newline_end(fd, size)
    try:
        json.loads(os.pread(fd, size - line_start, line_start))
    except ValueError:
        os.ftruncate(fd, line_start)
    else:
        os.write(fd, b"\n")


class _JsonlWriter:
    """Appends whole lines to one file; the shared machinery of the two JSONL watchers.

    `write` blocks on locks and disk; `append` runs it in a worker thread.
    """

    def __init__(self, path: Path, *, replace: bool) -> None:
        self.path = path
        self.replace = replace
        self.started = False

    def write(self, lines: Sequence[str]) -> None:
        payload = "".join(f"{line}\n" for line in lines).encode("utf-8")
        flags = os.O_RDWR | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        with _lock_for(self.path):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, flags, 0o644)
            try:
                _flock(fd, exclusive=True)
                if self.replace and not self.started:
                    os.ftruncate(fd, 0)
                else:
                    _drop_torn_tail(fd)  # every write: another process may have died mid-line
                self.started = True
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)  # also releases the flock

    async def append(self, lines: Sequence[str]) -> None:
        """`write` in the file's writer thread, so a held lock never stalls the event loop."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(_thread_for(self.path), self.write, lines)


def _chat_lines(chat: Chat) -> list[str]:
    return [chat.model_dump_json()]


def _message_lines(chat: Chat) -> list[str]:
    return [json.dumps(row) for row in flatten_chats([chat])]


def _failing_field(chat: Chat) -> str:
    for name in type(chat).model_fields:
        try:
            chat.model_dump_json(include={name})
        except Exception:
            return f"its {name!r} cannot be written as JSON"
    return "it cannot be written as JSON"


def _lines_of_each(
    chats: list[Chat], lines_of: Callable[[Chat], list[str]]
) -> tuple[list[str], list[str]]:
    """The lines of every chat that has them, and a description of each chat that has not.

    One chat that cannot be written (bytes that are not UTF-8 in its ``extra``, an object
    JSON has no form for) costs the others of the batch nothing.
    """
    lines: list[str] = []
    failures: list[str] = []
    for index, chat in enumerate(chats):
        try:
            lines.extend(lines_of(chat))
        except Exception as exc:
            failures.append(
                f"chat {chat.uuid} (#{index} of the batch): {_failing_field(chat)} "
                f"({_safe_str(exc)})"
            )
    return lines, failures


def _raise_unwritten(failures: list[str], total: int, where: str) -> None:
    if failures:
        raise ValueError(
            f"{len(failures)} of {total} chats were not written to {where} "
            f"(the others were): {'; '.join(failures[:3])}"
            + (f"; and {len(failures) - 3} more" if len(failures) > 3 else "")
        )


async def _write_each(
    writer: _JsonlWriter, chats: list[Chat], lines_of: Callable[[Chat], list[str]]
) -> None:
    """Write the lines of every chat that has them; then raise naming the ones that did not."""
    lines, failures = _lines_of_each(chats, lines_of)
    if lines:
        await writer.append(lines)
    _raise_unwritten(failures, len(chats), str(writer.path))


def write_chats_to_jsonl(
    file: str | Path, *, replace: bool = False
) -> Callable[[list[Chat]], t.Coroutine[t.Any, t.Any, None]]:
    """A watcher appending each chat as one JSON line (``Chat.model_dump_json``).

    Load the file back with ``Chat.model_validate_json(line)`` per line.

    Args:
        file: Target path (parent folders are created).
        replace: Empty the file on the watcher's first call (once, not on every batch).

    Returns:
        The watch callback.
    """
    writer = _JsonlWriter(Path(file), replace=replace)

    async def write_chats_to_jsonl(chats: list[Chat]) -> None:
        await _write_each(writer, chats, _chat_lines)

    return write_chats_to_jsonl


def write_messages_to_jsonl(
    file: str | Path, *, replace: bool = False
) -> Callable[[list[Chat]], t.Coroutine[t.Any, t.Any, None]]:
    """A watcher appending one JSON line per message (rows of `rigging.data.flatten_chats`).

    Load the file back with ``unflatten_chats([json.loads(line) for line in f])``; a chat
    written twice (the watcher called again with it) loads once (rows carry ``message_index``).

    Args:
        file: Target path (parent folders are created).
        replace: Empty the file on the watcher's first call (once, not on every batch).

    Returns:
        The watch callback.
    """
    writer = _JsonlWriter(Path(file), replace=replace)

    async def write_messages_to_jsonl(chats: list[Chat]) -> None:
        await _write_each(writer, chats, _message_lines)

    return write_messages_to_jsonl


def write_chats_to_elastic(
    client: AsyncElasticsearch, index: str, *, create_index: bool = True, **kwargs: t.Any
) -> Callable[[list[Chat]], t.Coroutine[t.Any, t.Any, None]]:
    """A watcher indexing chats into Elasticsearch (see `rigging.data.chats_to_elastic`).

    Args:
        client: An ``elasticsearch.AsyncElasticsearch`` client.
        index: Target index.
        create_index: Create the index (or put the mapping) on the first call.
        **kwargs: Passed to ``chats_to_elastic`` (and the bulk helper).

    Returns:
        The watch callback.
    """
    import_optional("elasticsearch", extra="data", purpose="the Elasticsearch watcher")

    pending = [create_index]

    async def write_chats_to_elastic(chats: list[Chat]) -> None:
        first, pending[0] = pending[0], False
        await chats_to_elastic(chats, index, client, create_index=first, **kwargs)

    return write_chats_to_elastic


_S3_MAX_ATTEMPTS = 25
"""Conditional uploads an S3 watcher tries per call before giving up (each failed attempt
means another writer changed the object in between, so every attempt is progress for
someone)."""

_CONFLICT_CODES = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})
_MISSING_CODES = frozenset({"NoSuchKey", "404", "NotFound"})


def _backoff(attempt: int) -> float:
    """Seconds to wait before conditional upload ``attempt + 1``: full jitter, capped at 1 s."""
    return random.uniform(0, min(1.0, 0.01 * 2**attempt))


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    return str(response.get("Error", {}).get("Code", "")) or None


class _S3Appender:
    """Appends lines to one S3 object with conditional writes (optimistic concurrency).

    Each upload is conditioned on the ETag this writer last saw (``IfMatch``), or on the
    object not existing yet (``IfNoneMatch="*"``). When another writer changed the object in
    between, S3 answers 412 (or 409 for a concurrent conditional write): the object is read
    again and the upload retried, at most `_S3_MAX_ATTEMPTS` times with jittered backoff. An
    unconditional upload happens only for ``replace=True`` on the first call.
    """

    def __init__(self, client: t.Any, bucket: str, key: str, *, replace: bool) -> None:
        self.client, self.bucket, self.key = client, bucket, key
        self.replace = replace
        self.body: bytes | None = None  # the object as this writer last saw or wrote it
        self.etag: str | None = None
        self.lock = asyncio.Lock()

    async def _refresh(self) -> None:
        try:
            got = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=self.key)
        except Exception as exc:
            if _error_code(exc) not in _MISSING_CODES:
                raise
            self.body, self.etag = b"", None
            return
        self.body = t.cast("bytes", await asyncio.to_thread(got["Body"].read))
        self.etag = t.cast("str | None", got.get("ETag"))

    async def _put(self, body: bytes, *, conditional: bool) -> bool:
        condition: dict[str, str] = {}
        if conditional:
            condition = {"IfMatch": self.etag} if self.etag else {"IfNoneMatch": "*"}
        try:
            put = await asyncio.to_thread(
                self.client.put_object, Bucket=self.bucket, Key=self.key, Body=body, **condition
            )
        except Exception as exc:
            code = _error_code(exc)
            if code in _CONFLICT_CODES or (conditional and code in _MISSING_CODES):
                return False  # changed or deleted since this writer saw it: read it again
            raise
        self.body, self.etag = body, t.cast("str | None", put.get("ETag"))
        return True

    async def append(self, lines: bytes) -> None:
        async with self.lock:
            for attempt in range(_S3_MAX_ATTEMPTS):
                if self.replace:  # the first upload of replace=True: the object starts anew
                    if await self._put(lines, conditional=False):
                        self.replace = False
                        return
                else:
                    if self.body is None:
                        await self._refresh()
                    body = self.body or b""
                    if body and not body.endswith(b"\n"):
                        body += b"\n"
                    if await self._put(body + lines, conditional=True):
                        return
                    self.body = None  # someone else wrote: read the object again
                # A conflict (another writer's upload in progress): try again after a while.
                await asyncio.sleep(_backoff(attempt))
        count = lines.count(b"\n")
        raise RuntimeError(
            f"S3 watcher: s3://{self.bucket}/{self.key} kept changing under "
            f"{_S3_MAX_ATTEMPTS} conditional uploads; these {count} chats were not written"
        )


def write_chats_to_s3(
    client: t.Any, bucket: str, key: str, replace: bool = False
) -> Callable[[list[Chat]], t.Coroutine[t.Any, t.Any, None]]:
    """A watcher keeping chats as JSON lines in one S3 object.

    S3 objects cannot be appended to, so each call uploads the whole object again, as a
    conditional write: ``IfMatch`` the ETag this watcher last saw (``IfNoneMatch="*"`` when
    the object did not exist). When another writer (another watcher, process or machine)
    changed the object in between, S3 refuses the upload (412) and the watcher reads the
    object again and retries, up to 25 times, so concurrent writers on one
    key never lose a chat. The store must support conditional writes (AWS S3 does since
    2024; so do moto and most compatible servers). Calls of one watcher are serialised;
    boto3 calls run in a worker thread.

    Args:
        client: A boto3 S3 client.
        bucket: Bucket name.
        key: Object key.
        replace: Start from an empty object on the first call (once, not on every batch;
            that first upload is unconditional).

    Returns:
        The watch callback.

    Raises:
        RuntimeError: (from the callback) the object kept changing for 25 uploads; the
            message names the object and how many chats were not written.
    """
    import_optional("boto3", extra="data", purpose="the S3 watcher")
    appender = _S3Appender(client, bucket, key, replace=replace)

    async def write_chats_to_s3(chats: list[Chat]) -> None:
        lines, failures = _lines_of_each(chats, _chat_lines)
        if lines:
            await appender.append("".join(f"{line}\n" for line in lines).encode("utf-8"))
        _raise_unwritten(failures, len(chats), f"s3://{bucket}/{key}")

    return write_chats_to_s3


__dir__ = _public_dir(globals())
