"""JSONL watchers: torn tails left by killed writers are repaired before every append, by every
writer; lines of concurrent writers and processes stay whole; locking and I/O never block the
event loop. Everything waits on events, exit codes and counts, never on time."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import warnings
from pathlib import Path
from typing import Any

import pytest
from _chats import make_chats

import rigging as rg
import rigging.watchers as watchers_module
from rigging.generator.testing import EchoGenerator
from rigging.watchers import write_chats_to_jsonl, write_messages_to_jsonl

# The child writes one batch through the real watcher; `os.write` is patched so the process
# SIGKILLs itself after writing half of the payload: a deterministic kill -9 mid-write.
TORN_WRITER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    import rigging as rg
    from rigging.watchers import write_chats_to_jsonl

    real_write = os.write

    def torn(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        os.kill(os.getpid(), signal.SIGKILL)

    chats = [
        rg.Chat([rg.Message("user", f"dying {i}")], [rg.Message("assistant", "x" * 500)])
        for i in range(3)
    ]
    os.write = torn
    asyncio.run(write_chats_to_jsonl(sys.argv[1])(chats))
    """
)

# A second process appending `count` batches of `size` chats as fast as it can.
APPENDER = textwrap.dedent(
    """
    import asyncio, sys
    import rigging as rg
    from rigging.watchers import write_chats_to_jsonl

    async def main(path, tag, count, size):
        watch = write_chats_to_jsonl(path)
        for n in range(count):
            reply = [rg.Message("assistant", "y" * 300)]
            chats = [rg.Chat([rg.Message("user", f"{tag}-{n}-{i}")], reply) for i in range(size)]
            await watch(chats)

    asyncio.run(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    """
)


def _kill_mid_write(path: Path) -> None:
    proc = subprocess.run([sys.executable, "-c", TORN_WRITER, str(path)], check=False)
    assert proc.returncode == -signal.SIGKILL
    assert not path.read_bytes().endswith(b"\n")  # the child really left a torn tail


def _lines(path: Path) -> list[rg.Chat]:
    """Every line of the file, each a whole chat; the killed children's whole lines left out."""
    data = path.read_bytes()
    assert data.endswith(b"\n")
    chats = [rg.Chat.model_validate_json(line) for line in data.decode("utf-8").splitlines()]
    return [c for c in chats if not c.messages[0].content.startswith("dying")]


async def test_every_long_lived_writer_repairs_a_torn_tail_before_each_append(
    tmp_path: Path,
) -> None:
    path = tmp_path / "chats.jsonl"
    chats = list(await make_chats(4))
    first, second = write_chats_to_jsonl(path), write_chats_to_jsonl(path)
    await first(chats[:1])
    await second(chats[1:2])  # both writers have started: 2.3 and the old code repaired once
    _kill_mid_write(path)
    await first(chats[2:3])
    _kill_mid_write(path)
    await second(chats[3:4])
    _kill_mid_write(path)
    await asyncio.gather(*(w(chats) for w in (first, second) for _ in range(5)))
    assert _lines(path)[:4] == chats
    assert len(_lines(path)) == 4 + 2 * 5 * 4


async def test_messages_writer_repairs_a_torn_tail_too(tmp_path: Path) -> None:
    path = tmp_path / "messages.jsonl"
    chats = list(await make_chats(2))
    watch = write_messages_to_jsonl(path)
    await watch(chats)
    _kill_mid_write(path)
    await watch(chats)
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    flat = [row for row in rows if "chat_id" in row]  # the rest: the child's whole chat lines
    assert len(flat) == 2 * sum(len(c) for c in chats)
    assert all(rg.Chat.model_validate(row) for row in rows if "chat_id" not in row)


def test_two_processes_append_whole_lines_after_a_killed_writer(tmp_path: Path) -> None:
    path = tmp_path / "shared.jsonl"
    _kill_mid_write(path)
    procs = [
        subprocess.Popen([sys.executable, "-c", APPENDER, str(path), tag, "20", "5"])
        for tag in ("a", "b")
    ]
    for proc in procs:
        assert proc.wait(timeout=90) == 0
    contents = [chat.messages[0].content for chat in _lines(path)]
    assert len(contents) == 200
    assert {c.split("-")[0] for c in contents} == {"a", "b"}
    assert len(set(contents)) == 200


async def test_a_lock_held_elsewhere_never_stalls_the_event_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "locked.jsonl"
    path.touch()
    held, release, waiting = threading.Event(), threading.Event(), threading.Event()

    def holder() -> None:  # another "process": its own open file description and flock
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            held.set()
            release.wait(timeout=30)  # safety net only: the test releases it
        finally:
            os.close(fd)

    real_flock = watchers_module._flock

    def flock_spy(fd: int, *, exclusive: bool) -> None:
        if exclusive:
            waiting.set()  # the writer is about to block on the held lock
        real_flock(fd, exclusive=exclusive)

    monkeypatch.setattr(watchers_module, "_flock", flock_spy)
    thread = threading.Thread(target=holder)
    thread.start()
    try:
        await asyncio.to_thread(held.wait)
        chats = list(await make_chats(2))
        write = asyncio.create_task(write_chats_to_jsonl(path)(chats))
        await asyncio.to_thread(waiting.wait)
        # More queued writes than asyncio's default executor has threads: they wait in the
        # file's own writer thread, so `to_thread` work and DNS lookups still get a thread.
        queued = [asyncio.create_task(write_chats_to_jsonl(path)(chats)) for _ in range(40)]
        assert await asyncio.gather(*(asyncio.to_thread(len, "abc") for _ in range(40))) == [3] * 40
        assert await asyncio.get_running_loop().getaddrinfo("127.0.0.1", 80)
        # While the write waits for the lock, the loop keeps serving other work.
        ticks = 0
        for _ in range(50):
            await asyncio.sleep(0)
            ticks += 1
        streamed = [chunk async for chunk in _stream_text()]
        ran = await EchoGenerator(prefix="re: ").chat("still running").run()
        assert ticks == 50
        assert streamed
        assert ran.last.content == "re: still running"
        assert not write.done()
        assert not any(task.done() for task in queued)
    finally:
        release.set()
        await asyncio.to_thread(thread.join)
    await write
    await asyncio.gather(*queued)
    assert _lines(path) == chats * 41


def test_a_forked_child_writes_with_threads_of_its_own(tmp_path: Path) -> None:
    path = tmp_path / "forked.jsonl"
    chat = rg.Chat([rg.Message("user", "parent")], [rg.Message("assistant", "a")])
    # the parent now has a writer thread
    asyncio.run(write_chats_to_jsonl(path)([chat]))
    with warnings.catch_warnings():  # 3.12+ warns about fork in a process with threads
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        signal.alarm(60)  # a deadlocked child (the fault this tests) must not outlive the test
        try:
            child = rg.Chat([rg.Message("user", "child")], [rg.Message("assistant", "b")])
            asyncio.run(write_chats_to_jsonl(path)([child]))
        finally:
            os._exit(0)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert [c.messages[0].content for c in _lines(path)] == ["parent", "child"]


async def _stream_text() -> Any:
    pipeline = EchoGenerator(prefix="re: ").chat("streamed")
    async with pipeline.stream() as stream:
        async for chunk in stream:
            yield chunk


async def test_a_whole_last_line_without_its_newline_is_kept(tmp_path: Path) -> None:
    path = tmp_path / "by-hand.jsonl"
    chats = list(await make_chats(2))
    path.write_text(chats[0].model_dump_json())  # complete, but no trailing newline
    await write_chats_to_jsonl(path)(chats[1:])
    assert _lines(path) == chats
    path.write_text(chats[0].model_dump_json() + "\n" + '{"torn": ')
    await write_chats_to_jsonl(path)(chats[1:])
    assert _lines(path) == chats
    path.write_text('{"torn": ')  # a torn first line: nothing before it survives
    await write_chats_to_jsonl(path)(chats[1:])
    assert _lines(path) == chats[1:]


async def test_a_chat_that_cannot_be_written_costs_the_others_nothing(tmp_path: Path) -> None:
    """One chat whose extra holds bytes that are not UTF-8: the whole batch was lost, with an
    error naming neither the chat nor the field."""
    chats = [
        rg.Chat([rg.Message("user", f"m{i}")], [rg.Message("assistant", "a")]) for i in range(4)
    ]
    chats[1].extra = {"raw": b"\xff\xfe"}
    chats[3].extra = {"logprob": float("-inf")}  # written as -Infinity, read back
    for watcher in (
        write_chats_to_jsonl(tmp_path / "c.jsonl"),
        write_messages_to_jsonl(tmp_path / "m.jsonl"),
    ):
        with pytest.raises(ValueError, match=r"1 of 4 chats were not written to") as info:
            await watcher(chats)
        assert str(chats[1].uuid) in str(info.value)
        assert "its 'extra' cannot be written as JSON" in str(info.value)
    lines = (tmp_path / "c.jsonl").read_text().splitlines()
    loaded = [rg.Chat.model_validate_json(line) for line in lines]
    assert [c.messages[0].content for c in loaded] == ["m0", "m2", "m3"]
    assert loaded[2].extra == {"logprob": float("-inf")}
    assert len((tmp_path / "m.jsonl").read_text().splitlines()) == 3 * 2
