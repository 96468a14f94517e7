"""Watch callbacks that keep every chat: JSONL files, Elasticsearch, S3.

Each factory returns an async callable taking the list of chats a run just finished; register
it with ``pipeline.watch(...)``, ``generator.watch(...)`` or a prompt's ``watch``. Pipeline
metadata set with ``meta()`` is part of each chat, so it is written too.

JSONL writes are whole-line appends: every call encodes all its lines first and writes them
with one ``write`` on a descriptor opened with ``O_APPEND``, under a lock shared by every
writer of that file in the process (and an advisory ``flock`` between processes), so lines
of concurrent batches never interleave and a process killed between writes leaves only
complete lines. ``replace=True`` empties the target on the watcher's first call only.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import typing as t
from collections.abc import Callable, Sequence
from pathlib import Path

from rigging._deps import import_optional
from rigging._exports import public_dir as _public_dir

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
_LOCKS_GUARD = threading.Lock()


def _lock_for(path: Path) -> threading.Lock:
    key = os.path.realpath(path)
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(key, threading.Lock())


def _flock(fd: int, *, exclusive: bool) -> None:
    try:
        import fcntl  # POSIX only
    except ImportError:  # pragma: no cover - Windows: the in-process lock still applies
        return
    fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_UN)


def _drop_torn_tail(fd: int) -> None:
    """Cut a trailing partial line left by a writer that died inside a ``write`` call."""
    size = os.fstat(fd).st_size
    if size == 0 or os.pread(fd, 1, size - 1) == b"\n":
        return
    end = size
    while end > 0:
        start = max(0, end - 65536)
        block = os.pread(fd, end - start, start)
        cut = block.rfind(b"\n")
        if cut >= 0:
            os.ftruncate(fd, start + cut + 1)
            return
        end = start
    os.ftruncate(fd, 0)


class _JsonlWriter:
    """Appends whole lines to one file; the shared machinery of the two JSONL watchers."""

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
                if not self.started:
                    self.started = True
                    if self.replace:
                        os.ftruncate(fd, 0)
                    else:
                        _drop_torn_tail(fd)
                view = memoryview(payload)
                while view:
                    view = view[os.write(fd, view) :]
            finally:
                os.close(fd)


def _chat_line(chat: Chat) -> str:
    return chat.model_dump_json()


def write_chats_to_jsonl(
    file: str | Path, *, replace: bool = False
) -> Callable[[list[Chat]], t.Awaitable[None]]:
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
        writer.write([_chat_line(chat) for chat in chats])

    return write_chats_to_jsonl


def write_messages_to_jsonl(
    file: str | Path, *, replace: bool = False
) -> Callable[[list[Chat]], t.Awaitable[None]]:
    """A watcher appending one JSON line per message (rows of `rigging.data.flatten_chats`).

    Load the file back with ``unflatten_chats([json.loads(line) for line in f])``.

    Args:
        file: Target path (parent folders are created).
        replace: Empty the file on the watcher's first call (once, not on every batch).

    Returns:
        The watch callback.
    """
    from rigging._data.flat import flatten_chats

    writer = _JsonlWriter(Path(file), replace=replace)

    async def write_messages_to_jsonl(chats: list[Chat]) -> None:
        writer.write([json.dumps(row) for row in flatten_chats(chats)])

    return write_messages_to_jsonl


def write_chats_to_elastic(
    client: AsyncElasticsearch, index: str, *, create_index: bool = True, **kwargs: t.Any
) -> Callable[[list[Chat]], t.Awaitable[None]]:
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
    from rigging._data.elastic import chats_to_elastic

    pending = [create_index]

    async def write_chats_to_elastic(chats: list[Chat]) -> None:
        first, pending[0] = pending[0], False
        await chats_to_elastic(chats, index, client, create_index=first, **kwargs)

    return write_chats_to_elastic


def write_chats_to_s3(
    client: t.Any, bucket: str, key: str, *, replace: bool = False
) -> Callable[[list[Chat]], t.Awaitable[None]]:
    """A watcher keeping chats as JSON lines in one S3 object.

    S3 objects cannot be appended to, so each call uploads the whole object again. The
    watcher remembers what it wrote last and its ETag, and downloads the object only when
    someone else changed it. Calls are serialised, so concurrent batches never lose lines.
    boto3 calls run in a worker thread.

    Args:
        client: A boto3 S3 client.
        bucket: Bucket name.
        key: Object key.
        replace: Start from an empty object on the first call (once, not on every batch).

    Returns:
        The watch callback.
    """
    import_optional("boto3", extra="data", purpose="the S3 watcher")
    lock = asyncio.Lock()
    state: dict[str, t.Any] = {"body": None, "etag": None, "started": False}

    async def current_body() -> bytes:
        from rigging._data.s3 import s3_object_exists

        if not state["started"]:
            state["started"] = True
            if replace:
                return b""
        if not await s3_object_exists(client, bucket, key):
            return b""
        head = await asyncio.to_thread(client.head_object, Bucket=bucket, Key=key)
        if state["body"] is not None and head.get("ETag") == state["etag"]:
            return t.cast("bytes", state["body"])
        got = await asyncio.to_thread(client.get_object, Bucket=bucket, Key=key)
        return t.cast("bytes", await asyncio.to_thread(got["Body"].read))

    async def write_chats_to_s3(chats: list[Chat]) -> None:
        lines = "".join(f"{_chat_line(chat)}\n" for chat in chats).encode("utf-8")
        async with lock:
            body = await current_body()
            if body and not body.endswith(b"\n"):
                body += b"\n"
            body += lines
            put = await asyncio.to_thread(client.put_object, Bucket=bucket, Key=key, Body=body)
            state["body"], state["etag"] = body, put.get("ETag")

    return write_chats_to_s3


__dir__ = _public_dir(globals())
