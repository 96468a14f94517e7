"""Checkpoints when the file system fails: a full disk, a directory, lone surrogates in inputs.

A write that fails must leave the file resumable and cost no finished item its result; an
unusable path is a `CheckpointError` naming it; an input JSON cannot encode strictly runs.
"""

from __future__ import annotations

import asyncio
import errno
import json
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from _windows import PairThenHang

from rigging.error import CheckpointError
from rigging.generator.testing import EchoGenerator

ITEMS = [f"x{i}" for i in range(400)]


class _FullDisk:
    """`os` for the checkpoint module: write number `fail_at` (counting the header's) writes
    half its bytes, then it and every later write fail with ENOSPC until `free()`."""

    def __init__(self, fail_at: int, *, once: bool = False, ftruncate_fails: bool = False) -> None:
        self.fail_at = fail_at
        self.once = once
        self.ftruncate_fails = ftruncate_fails
        self.writes = 0
        self.failed = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def write(self, fd: int, data: memoryview | bytes) -> int:
        self.writes += 1
        if self.writes < self.fail_at or (self.once and self.failed):
            return os.write(fd, data)
        self.failed += 1
        if self.failed == 1:
            os.write(fd, bytes(data[: len(data) // 2]))
        raise OSError(errno.ENOSPC, "No space left on device")

    def ftruncate(self, fd: int, length: int) -> None:
        if self.ftruncate_fails:
            raise OSError(errno.EIO, "Input/output error")
        os.ftruncate(fd, length)


def _records(path: Path) -> list[dict[str, Any]]:
    """Every record of a checkpoint; each line must be whole JSON."""
    data = path.read_bytes()
    assert data.endswith(b"\n"), "a torn last line was left"
    return [json.loads(line) for line in data.splitlines()[1:]]


def _answers(chats: Sequence[Any]) -> list[str]:
    return [str(c.last.content) for c in chats]


@pytest.mark.parametrize("once", [True, False])
async def test_a_failed_write_leaves_the_file_resumable_and_costs_no_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, once: bool
) -> None:
    """The third write (the second window's) fails halfway. With ``once`` the disk has room
    again right after, and the stopped windows' items were appended after the half line:
    every resume refused the file ("line N is not a finished item"). The run raised a bare
    `OSError` whose ``completed`` lacked the failed window's and the stopped windows'
    results, all paid for."""
    from rigging._pipeline import checkpoint

    path = tmp_path / "c.jsonl"
    disk = _FullDisk(3, once=once)
    monkeypatch.setattr(checkpoint, "os", disk)
    with pytest.raises(CheckpointError, match=r"could not be written .No space left") as caught:
        await EchoGenerator().chat().run_batch(ITEMS, checkpoint=path)
    monkeypatch.setattr(checkpoint, "os", os)
    recorded = _records(path)
    assert len(recorded) == 64  # the first window; nothing is written after a failure
    completed = _answers(caught.value.completed)  # type: ignore[attr-defined]
    assert len(completed) >= 64 * 2  # the failed window's items too, not only the recorded
    assert {f"x{r['i']}" for r in recorded} <= set(completed)

    rerun = EchoGenerator()
    chats = await rerun.chat().run_batch(ITEMS, checkpoint=path)
    assert _answers(chats) == ITEMS
    assert len(rerun.calls) == len(ITEMS) - 64  # only what was not recorded ran again


async def test_iter_batch_a_failed_write_is_named_and_resumable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rigging._pipeline import checkpoint

    path = tmp_path / "c.jsonl"
    monkeypatch.setattr(checkpoint, "os", _FullDisk(3, once=True))
    seen: list[int] = []

    async def consume() -> None:
        async for index, _ in EchoGenerator().chat().iter_batch(ITEMS, checkpoint=path):
            seen.append(index)

    with pytest.raises(CheckpointError, match="could not be written"):
        await consume()
    monkeypatch.setattr(checkpoint, "os", os)
    recorded = {r["i"] for r in _records(path)}
    assert recorded < set(seen)  # each recorded item was delivered; the failed write's not kept
    again = [i async for i, _ in EchoGenerator().chat().iter_batch(ITEMS, checkpoint=path)]
    assert sorted(again) == sorted(set(range(len(ITEMS))) - recorded)


def test_a_write_that_cannot_be_cut_back_stops_all_later_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A later line would follow the torn one on the same line: the file would be refused."""
    from rigging._pipeline import checkpoint

    path = tmp_path / "c.jsonl"
    file = checkpoint.CheckpointFile(path, {"pipeline": "p", "inputs": None, "count": None})
    file.open("restart", lambda index, record: None)
    lines = [checkpoint.encode_record(i, i + 1, '{"x":1}') for i in range(3)]
    try:
        file.append(lines[:1])
        monkeypatch.setattr(checkpoint, "os", _FullDisk(1, once=True, ftruncate_fails=True))
        with pytest.raises(CheckpointError, match="could not be written"):
            file.append(lines[1:2])
        with pytest.raises(CheckpointError, match="an earlier write failed"):
            file.append(lines[2:])  # the disk has room again: still nothing is written
    finally:
        monkeypatch.setattr(checkpoint, "os", os)
        file.close()
    _, first, torn = path.read_bytes().split(b"\n")
    assert json.loads(first)["i"] == 0
    assert torn  # left as the only torn line, which a resume drops
    assert not torn.endswith(b"}")


class _HeldFullDisk(_FullDisk):
    """Every write after the header fails; the first one waits for `release` first."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(2)
        self.loop = loop
        self.writing = asyncio.Event()
        self.release = threading.Event()

    def write(self, fd: int, data: memoryview | bytes) -> int:
        if self.writes == 1:  # the header was written: this is the first window's line
            self.loop.call_soon_threadsafe(self.writing.set)
            self.release.wait(10)
        return super().write(fd, data)


async def test_a_cancelled_run_whose_last_write_fails_is_still_cancelled(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Cancelled while it writes window ``a``, a run records window ``b`` (ended alongside)
    as it stops; when that write fails too, the cancellation goes on with a warning. A bare
    `OSError` took its place."""
    from rigging._pipeline import checkpoint

    path = tmp_path / "c.jsonl"
    loop = asyncio.get_running_loop()
    disk = _HeldFullDisk(loop)
    monkeypatch.setattr(checkpoint, "os", disk)
    # max_concurrency 3: windows of one item, all three in flight
    task = asyncio.ensure_future(
        PairThenHang(model="pair")
        .chat()
        .run_batch(["a", "b", "c"], checkpoint=path, max_concurrency=3)
    )
    await disk.writing.wait()
    task.cancel()
    loop.call_soon(disk.release.set)  # runs after the task has taken the cancellation
    with (
        pytest.warns(RuntimeWarning, match=r"could not be written .No space left"),
        pytest.raises(asyncio.CancelledError),
    ):
        await task
    monkeypatch.setattr(checkpoint, "os", os)
    assert disk.writes == 3  # window a's line, then window b's as the run stopped
    assert _records(path) == []


def test_a_failed_sync_at_close_is_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Raised from the run's ``finally``, it cost a finished run all its results."""
    from rigging._pipeline import checkpoint

    closing = threading.Event()

    class _NoSyncAtClose:
        def __getattr__(self, name: str) -> Any:
            return getattr(os, name)

        def fsync(self, fd: int) -> None:
            if closing.is_set():
                raise OSError(errno.EIO, "Input/output error")
            os.fsync(fd)

    close = checkpoint.CheckpointFile.close

    def closed(self: checkpoint.CheckpointFile) -> None:
        closing.set()
        close(self)

    monkeypatch.setattr(checkpoint, "os", _NoSyncAtClose())
    monkeypatch.setattr(checkpoint.CheckpointFile, "close", closed)
    path = tmp_path / "c.jsonl"

    async def run() -> list[Any]:
        return await EchoGenerator().chat().run_batch(["a", "b"], checkpoint=path)

    with pytest.warns(RuntimeWarning, match=r"could not be synced to disk .Input/output error"):
        chats = asyncio.run(run())
    assert _answers(chats) == ["a", "b"]
    assert len(_records(path)) == 2


@pytest.mark.parametrize("mode", ["resume", "restart"])
async def test_a_directory_is_refused_by_name_and_nothing_is_left_beside_it(
    tmp_path: Path, mode: str
) -> None:
    path = tmp_path / "ckpt"
    path.mkdir()
    with pytest.raises(CheckpointError, match="is a directory, not a file"):
        await (
            EchoGenerator()
            .chat()
            .run_batch(
                ["a"],
                checkpoint=path,
                checkpoint_mode=mode,  # type: ignore[arg-type]
            )
        )
    assert sorted(os.listdir(tmp_path)) == ["ckpt"]  # no .tmp left behind


async def test_a_file_that_cannot_be_opened_is_a_checkpoint_error(tmp_path: Path) -> None:
    """An `OSError` (here: the lock's path is a directory) was raised bare."""
    path = tmp_path / "c.jsonl"
    (tmp_path / "c.jsonl.lock").mkdir()
    with pytest.raises(
        CheckpointError, match=r"cannot be opened: Is a directory: .*c\.jsonl\.lock"
    ):
        await EchoGenerator().chat().run_batch(["a"], checkpoint=path)


async def test_a_lone_surrogate_in_an_input_costs_no_other_item(tmp_path: Path) -> None:
    """Item hashes encoded strict UTF-8: the whole run raised `UnicodeEncodeError` before
    any item ran (it runs without a checkpoint)."""
    path = tmp_path / "c.jsonl"
    items = ["a", "b\ud800", "c"]
    with pytest.warns(RuntimeWarning, match="input 1 was not recorded"):
        chats = await EchoGenerator().chat().run_batch(items, checkpoint=path)
    assert _answers(chats) == items
    assert [r["i"] for r in _records(path)] == [0, 2]
    rerun = EchoGenerator()
    with pytest.warns(RuntimeWarning, match="input 1 was not recorded"):
        again = await rerun.chat().run_batch(items, checkpoint=path)
    assert _answers(again) == items
    assert len(rerun.calls) == 1  # only the item that could not be recorded


async def test_a_lone_surrogate_in_staged_content_or_a_streamed_input_runs(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.jsonl"
    with pytest.warns(RuntimeWarning, match="input 0 was not recorded"):
        chats = await EchoGenerator().chat("sys \udc80").run_batch(["a"], checkpoint=path)
    assert _answers(chats) == ["a"]
    with pytest.warns(RuntimeWarning, match="input 1 was not recorded"):
        seen = {
            i: str(c.last.content)
            async for i, c in EchoGenerator()
            .chat()
            .iter_batch(["a", "\ud800"], checkpoint=tmp_path / "i.jsonl")
        }
    assert seen == {0: "a", 1: "\ud800"}


async def test_text_without_lone_surrogates_keeps_its_fingerprint(tmp_path: Path) -> None:
    """Files written before the surrogate fix still resume (same bytes, same digests)."""
    from rigging._pipeline.checkpoint import _canonical

    value = {"b": ["é☃\U0001f600", 1], "a": None}
    assert _canonical(value) == json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


class _RemovedAfter:
    """`os` for the checkpoint module: right after write number `after`, `victim` is
    unlinked, as a cleanup job or another process would do while the run goes on."""

    def __init__(self, after: int, victim: Path) -> None:
        self.after = after
        self.victim = victim
        self.writes = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)

    def write(self, fd: int, data: memoryview | bytes) -> int:
        written = os.write(fd, data)
        self.writes += 1
        if self.writes == self.after:
            os.unlink(self.victim)
        return written


@pytest.mark.parametrize("victim", ["c.jsonl", "c.jsonl.lock"])
async def test_a_checkpoint_or_lock_removed_during_the_run_stops_recording_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, victim: str
) -> None:
    """The checkpoint deleted after the first window's write: every later line went into the
    unlinked file, lost without a word. Its lock deleted: a second run could lock the path
    afresh and share the file. Now the next write is refused by name, and the run's error
    holds every finished result."""
    from rigging._pipeline import checkpoint

    path = tmp_path / "c.jsonl"
    monkeypatch.setattr(checkpoint, "os", _RemovedAfter(2, tmp_path / victim))
    with pytest.raises(CheckpointError, match=r"was removed or replaced during the run") as caught:
        await EchoGenerator().chat().run_batch(ITEMS, checkpoint=path)
    monkeypatch.setattr(checkpoint, "os", os)
    assert str(tmp_path / victim) in str(caught.value)
    completed = _answers(caught.value.completed)  # type: ignore[attr-defined]
    assert len(completed) >= 64 * 2  # the refused window's items are handed on too

    rerun = EchoGenerator()
    chats = await rerun.chat().run_batch(ITEMS, checkpoint=path)
    assert _answers(chats) == ITEMS
