"""Resumable batches: checkpoints survive kill -9, resume exactly, refuse another run's file."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from _servers.openai_stub import OpenAIStub, RecordedRequest, Reply
from _windows import PairThenHang
from pydantic import PrivateAttr

import rigging as rg
from rigging.error import CheckpointError
from rigging.generator import GenerateParams
from rigging.generator.testing import EchoGenerator, FailingGenerator

WINDOW, IN_FLIGHT = 64, 4  # rigging._pipeline.windows defaults


def _content(chats: Sequence[Any]) -> list[tuple[Any, ...]]:
    """What must be equal between runs (identity and time differ by nature)."""
    return [
        (
            [m.to_openai_spec() for m in c.all],
            c.stop_reason,
            c.usage,
            c.extra,
            c.metadata,
            c.failed,
        )
        for c in chats
    ]


def _lines(path: Path) -> int:
    return path.read_bytes().count(b"\n") if path.exists() else 0


async def test_resume_runs_only_the_rest_and_equals_an_uninterrupted_run(
    tmp_path: Path,
) -> None:
    items = [f"q{i}" for i in range(300)]
    plain = await EchoGenerator().chat("sys").meta(tag=1).run_batch(items)
    path = tmp_path / "run.jsonl"
    first = EchoGenerator()
    await first.chat("sys").meta(tag=1).run_batch(items, checkpoint=path)
    assert len(first.calls) == 300
    # simulate a crash: keep the header, 100 records and a torn line
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:101]) + b"\n" + lines[101][:40])
    second = EchoGenerator()
    resumed = await second.chat("sys").meta(tag=1).run_batch(items, checkpoint=path)
    assert len(second.calls) == 200
    assert _content(resumed) == _content(plain)
    third = EchoGenerator()
    again = await third.chat("sys").meta(tag=1).run_batch(items, checkpoint=path)
    assert third.calls == []
    assert _content(again) == _content(plain)
    assert _lines(path) == 301


async def test_changed_inputs_or_pipeline_are_refused_unless_restarted(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    gen = EchoGenerator()
    await gen.chat("sys").run_batch(["a", "b"], checkpoint=path)
    with pytest.raises(CheckpointError, match="input set") as info:
        await gen.chat("sys").run_batch(["a", "c"], checkpoint=path)
    assert "checkpoint_mode='restart'" in str(info.value)
    with pytest.raises(CheckpointError, match="different pipeline"):
        await gen.chat("other system").run_batch(["a", "b"], checkpoint=path)
    with pytest.raises(CheckpointError, match="different pipeline"):
        await gen.chat("sys").with_(max_tokens=5).run_batch(["a", "b"], checkpoint=path)
    with pytest.raises(CheckpointError, match="different pipeline"):
        await EchoGenerator(prefix=">").chat("sys").run_batch(["a", "b"], checkpoint=path)
    with pytest.raises(CheckpointError, match="input set"):
        await gen.chat("sys").run_batch(["a", "b"], [GenerateParams(seed=1)] * 2, checkpoint=path)
    fresh = EchoGenerator()
    out = await fresh.chat("sys").run_batch(["a", "c"], checkpoint=path, checkpoint_mode="restart")
    assert [c.last.content for c in out] == ["a", "c"]
    assert len(fresh.calls) == 2
    with pytest.raises(ValueError, match="checkpoint_mode"):
        await gen.chat("sys").run_batch(["a"], checkpoint=path, checkpoint_mode="again")  # type: ignore[arg-type]


async def test_damaged_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text("not a header\n")
    with pytest.raises(CheckpointError, match="not a checkpoint header"):
        await EchoGenerator().chat().run_batch(["a"], checkpoint=path)
    await EchoGenerator().chat().run_batch(["a", "b"], checkpoint=path, checkpoint_mode="restart")
    text = path.read_text().splitlines()
    path.write_text("\n".join([text[0], "{broken", text[2]]) + "\n")
    with pytest.raises(CheckpointError, match="line 2"):
        await EchoGenerator().chat().run_batch(["a", "b"], checkpoint=path)
    with pytest.raises(CheckpointError, match="does not exist"):
        await EchoGenerator().chat().run_batch(["a"], checkpoint=tmp_path / "no" / "x.jsonl")


async def test_failed_item_retried_with_same_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    items = ["a", "b", "c", "d"]
    gen = FailingGenerator(fail_on=3)
    pipeline = gen.chat().catch(rg.error.GenerationError)
    first = await pipeline.run_batch(items, on_failed="skip", max_concurrency=1, checkpoint=path)
    assert [c.last.content for c in first] == ["a", "b", "d"]
    assert _lines(path) == 4  # header + the three that succeeded
    second = await pipeline.run_batch(items, on_failed="skip", max_concurrency=1, checkpoint=path)
    assert [c.last.content for c in second] == ["a", "b", "c", "d"]
    assert len(gen.calls) == 5  # four, then only the failed one again


async def test_run_many_run_over_and_completions(tmp_path: Path) -> None:
    gen = EchoGenerator()
    many = await gen.chat("hi").run_many(5, checkpoint=tmp_path / "m.jsonl")
    again = await gen.chat("hi").run_many(5, checkpoint=tmp_path / "m.jsonl")
    assert len(gen.calls) == 5
    assert _content(again) == _content(many)
    with pytest.raises(CheckpointError, match="input set"):
        await gen.chat("hi").run_many(6, checkpoint=tmp_path / "m.jsonl")
    others = [EchoGenerator(prefix="a:"), EchoGenerator(prefix="b:")]
    over = await gen.chat("x").run_over(*others, checkpoint=tmp_path / "o.jsonl")
    assert [c.last.content for c in over] == ["a:x", "b:x", "x"]
    over2 = await gen.chat("x").run_over(*others, checkpoint=tmp_path / "o.jsonl")
    assert _content(over2) == _content(over)
    assert [len(o.calls) for o in others] == [1, 1]
    texts = await gen.complete("p").run_batch(["a", "b"], checkpoint=tmp_path / "t.jsonl")
    texts2 = await gen.complete("p").run_batch(["a", "b"], checkpoint=tmp_path / "t.jsonl")
    assert [c.generated for c in texts2] == [c.generated for c in texts]
    assert len(gen.calls) == 8


async def test_then_and_map_apply_to_loaded_results(tmp_path: Path) -> None:
    seen: list[str] = []

    async def then(chat: Any) -> None:
        seen.append(chat.last.content)

    async def keep_two(chats: list[Any]) -> list[Any]:
        return chats[:2]

    pipeline = EchoGenerator().chat().then(then).map(keep_two)
    await pipeline.run_batch(["a", "b", "c"], checkpoint=tmp_path / "x.jsonl")
    out = await pipeline.run_batch(["a", "b", "c"], checkpoint=tmp_path / "x.jsonl")
    assert [c.last.content for c in out] == ["a", "b"]
    assert sorted(seen) == ["a", "a", "b", "b"]  # maps run before thens, as without one


async def _agen(n: int) -> AsyncIterator[str]:
    for i in range(n):
        yield f"i{i}"


async def test_iter_batch_streams_tagged_results_and_resumes(tmp_path: Path) -> None:
    path = tmp_path / "it.jsonl"
    gen = EchoGenerator()
    got: dict[int, str] = {}
    async with contextlib.aclosing(gen.chat().iter_batch(_agen(300), checkpoint=path)) as it:
        async for index, chat in it:
            got[index] = chat.last.content
            last = index
            if len(got) >= 128:
                break  # stop early: what was taken before the last item is recorded
    assert len(got) == 128
    recorded = _lines(path) - 1
    assert recorded == 127  # the item it stopped on is not: it may not have been handled
    rest: dict[int, str] = {}
    async for index, chat in gen.chat().iter_batch((f"i{i}" for i in range(300)), checkpoint=path):
        rest[index] = chat.last.content
    assert len(rest) == 300 - recorded
    assert set(rest) & set(got) == {last}
    assert {**got, **rest} == {i: f"i{i}" for i in range(300)}
    with pytest.raises(CheckpointError, match="input 0 differs"):
        async for _ in gen.chat().iter_batch(["changed"] * 300, checkpoint=path):
            pass

    async def keep(chats: list[Any]) -> list[Any]:
        return chats

    with pytest.raises(ValueError, match="map callbacks"):
        await anext(aiter(gen.chat().map(keep).iter_batch(["a"])))


@pytest.mark.parametrize("taken", [1, 10, WINDOW - 1, WINDOW, WINDOW + 5])
async def test_iter_batch_consumer_that_stops_loses_no_result(tmp_path: Path, taken: int) -> None:
    # A consumer that crashes partway through a window: every result is delivered on resume;
    # only the item it crashed on is delivered twice (at-least-once), none is lost.
    path = tmp_path / "it.jsonl"
    items = [f"m{i}" for i in range(200)]
    delivered: Counter[int] = Counter()
    crashed: list[int] = []

    async def consume() -> None:
        async with contextlib.aclosing(
            EchoGenerator().chat().iter_batch(items, checkpoint=path)
        ) as it:
            async for index, _ in it:
                delivered[index] += 1
                if sum(delivered.values()) == taken:
                    crashed.append(index)
                    raise RuntimeError("consumer crashed")

    with pytest.raises(RuntimeError, match="consumer crashed"):
        await consume()
    assert _lines(path) - 1 == taken - 1  # all it took before the crash, not the crashed one
    gen = EchoGenerator()
    async for index, _ in gen.chat().iter_batch(items, checkpoint=path):
        delivered[index] += 1
    assert len(gen.calls) == 200 - (taken - 1)
    assert set(delivered) == set(range(200))
    assert {i for i, n in delivered.items() if n > 1} == set(crashed)
    assert _lines(path) - 1 == 200


async def test_progress_starts_at_items_already_done(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bars: list[Any] = []

    class Bar:
        def __init__(self, total: int, desc: str, unit: str) -> None:
            self.total, self.n, self.closed = total, 0, False
            self.updates: list[int] = []
            bars.append(self)

        def update(self, n: int) -> None:
            self.updates.append(n)
            self.n += n

        def close(self) -> None:
            self.closed = True

    import types

    monkeypatch.setitem(sys.modules, "tqdm", types.SimpleNamespace(tqdm=Bar))
    path = tmp_path / "p.jsonl"
    items = [f"x{i}" for i in range(100)]
    await EchoGenerator().chat().run_batch(items, checkpoint=path)
    lines = path.read_bytes().split(b"\n")
    path.write_bytes(b"\n".join(lines[:41]) + b"\n")  # 40 finished
    await EchoGenerator().chat().run_batch(items, checkpoint=path, progress=True)
    bar = bars[-1]
    assert bar.total == 100
    assert bar.updates[0] == 40
    assert bar.n == 100
    assert bar.closed


# --- kill -9 against the loopback server -----------------------------------------------------

SPEC = """
request:
  url: "{{ api_base }}/chat/completions"
  headers:
    Content-Type: application/json
  transforms:
    - type: json
      pattern:
        model: $model
        messages: $messages
response:
  transforms:
    - type: jsonpath
      pattern: $.choices[0].message.content
"""

CHILD = textwrap.dedent(
    """
    import asyncio, json, sys
    from rigging.generator.http import HTTPGenerator

    base, spec, path, out = sys.argv[1:5]
    gen = HTTPGenerator(model="stub-model", spec=spec.replace("API_BASE", base),
                        max_connections=128, max_retries=0)
    items = [f"item-{i:04d}" for i in range(2000)]

    async def main():
        pipeline = gen.chat("you answer")
        if path == "-":
            chats = await pipeline.run_batch(items)
        else:
            chats = await pipeline.run_batch(items, checkpoint=path)
        rows = [[m.to_openai_spec() for m in c.all] + [c.stop_reason] for c in chats]
        with open(out, "w") as f:
            json.dump(rows, f)

    asyncio.run(main())
    """
)


def _item(request: RecordedRequest) -> str:
    return str(request.json["messages"][-1]["content"])


def _run_child(stub: OpenAIStub, path: str, out: Path) -> subprocess.Popen[bytes]:
    spec = SPEC.replace("{{ api_base }}", "API_BASE")
    args = [sys.executable, "-c", CHILD, stub.base_url, spec, path, str(out)]
    return subprocess.Popen(args, env={**os.environ, "PYTHONUNBUFFERED": "1"})


@pytest.mark.timeout(300)
@pytest.mark.parametrize("gate", [1100])
def test_kill_9_then_resume_answers_each_item_once(
    openai_stub: OpenAIStub, tmp_path: Path, gate: int
) -> None:
    held = threading.Event()

    def handler(request: RecordedRequest) -> Reply | str:
        index = int(_item(request).rsplit("-", 1)[1])
        if index >= gate and not held.is_set():
            return Reply(_item(request), delay=120.0)  # stalls the child until it is killed
        return _item(request)

    openai_stub.on_request(handler)
    path = tmp_path / "ckpt.jsonl"
    complete_windows = gate // WINDOW * WINDOW
    child = _run_child(openai_stub, str(path), tmp_path / "unused.json")
    deadline = time.monotonic() + 240
    while _lines(path) < 1 + complete_windows:
        assert child.poll() is None, "the child ended before it was killed"
        assert time.monotonic() < deadline, f"only {_lines(path)} lines were written"
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)
    first = Counter(_item(r) for r in openai_stub.requests)
    held.set()
    openai_stub.reset()
    openai_stub.on_request(handler)
    assert _lines(path) == 1 + complete_windows  # nothing past the stalled windows

    out = tmp_path / "resumed.json"
    assert _run_child(openai_stub, str(path), out).wait(timeout=240) == 0
    second = Counter(_item(r) for r in openai_stub.requests)
    openai_stub.reset()
    plain_out = tmp_path / "plain.json"
    assert _run_child(openai_stub, "-", plain_out).wait(timeout=240) == 0

    assert json.loads(out.read_text()) == json.loads(plain_out.read_text())
    names = [f"item-{i:04d}" for i in range(2000)]
    in_flight = set(names[complete_windows : complete_windows + WINDOW * IN_FLIGHT])
    for name in names:
        total = first[name] + second[name]
        if name in in_flight:
            assert 1 <= total <= 2, (name, first[name], second[name])
        else:
            assert total == 1, (name, first[name], second[name])
    assert all(second[n] == 0 for n in names[:complete_windows])


async def test_iter_batch_keeps_no_yielded_result(tmp_path: Path) -> None:
    import gc
    import weakref

    refs: list[weakref.ref[Any]] = []
    seen = 0
    pipeline = EchoGenerator().chat()
    # a generator without `calls` bookkeeping would be ideal; EchoGenerator keeps only its
    # RecordedCall list (inputs), never the chats, so chats must all be collectable
    async for index, chat in pipeline.iter_batch(_agen(600), checkpoint=tmp_path / "w.jsonl"):
        assert chat.last.content == f"i{index}"
        refs.append(weakref.ref(chat))
        del chat
        seen += 1
        if seen % 50 == 0:
            gc.collect()
            assert sum(r() is not None for r in refs) == 0
    assert seen == 600


async def test_two_runs_never_share_a_checkpoint(tmp_path: Path) -> None:
    from rigging._pipeline.checkpoint import CheckpointFile

    path = tmp_path / "busy.jsonl"
    holder = CheckpointFile(path, {"pipeline": "p", "inputs": None, "count": None})
    holder.open("resume", lambda index, record: None)
    try:
        with pytest.raises(CheckpointError, match="in use by another run"):
            await EchoGenerator().chat().run_batch(["a"], checkpoint=path)
    finally:
        holder.close()
    out = await EchoGenerator().chat().run_batch(["a"], checkpoint=path, checkpoint_mode="restart")
    assert out[0].last.content == "a"


@pytest.mark.parametrize("via", ["file", "directory"])
async def test_a_symlink_to_a_busy_checkpoint_is_refused_too(tmp_path: Path, via: str) -> None:
    from rigging._pipeline.checkpoint import CheckpointFile

    path = tmp_path / "real" / "busy.jsonl"
    path.parent.mkdir()
    holder = CheckpointFile(path, {"pipeline": "p", "inputs": None, "count": None})
    holder.open("resume", lambda index, record: None)
    if via == "file":
        link = tmp_path / "link.jsonl"
        link.symlink_to(path)
    else:
        (tmp_path / "alias").symlink_to(path.parent, target_is_directory=True)
        link = tmp_path / "alias" / "busy.jsonl"
    try:
        with pytest.raises(CheckpointError, match="in use by another run"):
            await EchoGenerator().chat().run_batch(["a"], checkpoint=link)
    finally:
        holder.close()
    await EchoGenerator().chat().run_batch(["a"], checkpoint=link, checkpoint_mode="restart")
    assert link.is_symlink() if via == "file" else link.exists()  # the link is left a link
    assert len(path.read_text().splitlines()) == 2  # written through to the target


class _Outage(FailingGenerator):
    """Fails the item "x101" on every attempt until `recover()` (not part of its identity)."""

    _down: bool = PrivateAttr(default=True)

    def recover(self) -> None:
        self._down = False

    def _reply(self, prompt: str, index: int) -> str:
        if self._down and prompt.endswith("x101"):
            raise rg.error.GenerationError(f"outage ({prompt!r})", model=self.model)
        return prompt


async def test_an_error_keeps_what_finished_and_the_rerun_completes(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    items = [f"x{i}" for i in range(200)]
    gen = _Outage()  # item x101 fails permanently in the first run
    with pytest.raises(rg.error.GenerationError, match="x101"):
        await gen.chat().run_batch(items, max_concurrency=8, checkpoint=path)
    kept = _lines(path) - 1
    assert 0 < kept < 200
    gen.recover()
    before = len(gen.calls)
    out = await gen.chat().run_batch(items, max_concurrency=8, checkpoint=path)
    assert [c.last.content for c in out] == items
    assert len(gen.calls) - before == 200 - kept


def _recorded(path: Path) -> list[int]:
    """Indices of the items a checkpoint holds, in input order."""
    return sorted(json.loads(line)["i"] for line in path.read_bytes().splitlines()[1:])


class _FailsOn(FailingGenerator):
    """Fails the item `<N>` for the N set by `fail()` (not part of its identity)."""

    _failing: str = PrivateAttr(default="")

    def fail(self, index: int) -> None:
        self._failing = f"<{index}>"

    def _reply(self, prompt: str, index: int) -> str:
        if prompt.endswith(self._failing):
            raise rg.error.GenerationError(f"outage ({prompt!r})", model=self.model)
        return prompt


async def test_raise_mode_attaches_every_result_finished_so_far(tmp_path: Path) -> None:
    # error.completed holds every finished item (of every window, loaded ones too), in input
    # order, not only the failing window's. Which windows finish before the failing one is
    # up to the scheduler, so the checks compare with what the checkpoint recorded.
    path = tmp_path / "r.jsonl"
    items = [f"<{i}>" for i in range(300)]
    gen = _FailsOn()
    gen.fail(10)
    with pytest.raises(rg.error.GenerationError, match="<10>") as first:
        await gen.chat().run_batch(items, checkpoint=path)
    loaded = _recorded(path)
    assert 10 not in loaded
    assert len(loaded) >= WINDOW - 1  # the failing window's finished items are kept
    completed = first.value.completed  # type: ignore[attr-defined]
    assert [c.last.content for c in completed] == [f"<{i}>" for i in loaded]
    # Resume with another failure among the items not recorded yet: the loaded results
    # come back in `completed` too, with the ones finished in this run.
    target = max(set(range(300)) - set(loaded))
    gen.fail(target)
    with pytest.raises(rg.error.GenerationError, match=f"<{target}>") as caught:
        await gen.chat().run_batch(items, checkpoint=path)
    recorded = _recorded(path)
    assert set(loaded) <= set(recorded)
    assert target not in recorded
    if target != 10:
        assert 10 in recorded  # it no longer fails
    completed = caught.value.completed  # type: ignore[attr-defined]
    assert [c.last.content for c in completed] == [f"<{i}>" for i in recorded]


def _lookup(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def _other_lookup(city: str) -> str:
    """The forecast for a city."""
    return f"rain in {city}"


async def test_a_pipeline_with_tools_resumes_from_a_fresh_build(tmp_path: Path) -> None:
    # The fingerprint names each tool by its schema, never by the handler object's address:
    # a checkpoint written by one build of the pipeline (or one process) resumes in another.
    path = tmp_path / "tools.jsonl"
    await EchoGenerator().chat("sys").using(_lookup).run_batch(["a", "b"], checkpoint=path)
    again = EchoGenerator()
    out = await again.chat("sys").using(_lookup).run_batch(["a", "b"], checkpoint=path)
    assert again.calls == []
    assert [c.last.content for c in out] == ["a", "b"]
    with pytest.raises(CheckpointError, match="different pipeline"):
        await (
            EchoGenerator().chat("sys").using(_other_lookup).run_batch(["a", "b"], checkpoint=path)
        )
    with pytest.raises(CheckpointError, match="different pipeline"):
        await (
            EchoGenerator()
            .chat("sys")
            .using(_lookup, max_depth=2)
            .run_batch(["a", "b"], checkpoint=path)
        )


class _StopsMidWindow(rg.Generator):
    """Items ``ok*`` answer in their first round; ``block`` answers without the tag, then
    never answers its second round; ``fail`` raises once ``block`` waits in that round."""

    _blocked: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)
    _calls: Counter[str] = PrivateAttr(default_factory=Counter)

    async def generate_messages(
        self, messages: Sequence[Sequence[rg.Message]], params: Sequence[GenerateParams]
    ) -> Sequence[rg.generator.GeneratedMessage]:
        out = []
        for conversation in messages:
            item = str(conversation[0].content)
            self._calls[item] += 1
            if item == "fail":
                await self._blocked.wait()
                raise rg.error.GenerationError("fail", model=self.model)
            if item == "block" and self._calls[item] > 1:
                self._blocked.set()
                await asyncio.Event().wait()  # until the run stops and cancels it
            text = "<answer>yes</answer>" if item.startswith("ok") else "no tag"
            message = rg.Message("assistant", text)
            out.append(rg.generator.GeneratedMessage(message=message, stop_reason="stop"))
        return out


async def test_a_failure_keeps_what_the_other_windows_in_flight_finished(tmp_path: Path) -> None:
    # Two windows of two items (max_concurrency 8: windows of 2, 4 in flight). The first
    # window's "ok0" finishes in round 1 while its "block" waits in round 2; then "fail"
    # fails the second window. The run raises, and "ok0" is recorded and delivered, not
    # lost with its cancelled window (it was, and ran again on resume).
    path = tmp_path / "w.jsonl"
    items = ["ok0", "block", "ok1", "fail"]
    gen = _StopsMidWindow(model="stops")
    pipeline = gen.chat().until_parsed_as(rg.model.Answer)
    with pytest.raises(rg.error.GenerationError, match="fail") as caught:
        await pipeline.run_batch(items, max_concurrency=8, checkpoint=path)
    assert _recorded(path) == [0, 2]  # "ok1" finished in the failing window itself
    completed = caught.value.completed  # type: ignore[attr-defined]
    assert [c.last.content for c in completed] == ["<answer>yes</answer>"] * 2
    # The rerun runs only the two items that did not finish.
    rerun = _StopsMidWindow(model="stops")
    rerun._blocked.set()
    rerun._calls["block"] = -10  # answers from now on (its first rounds: no tag)
    with pytest.raises(rg.error.GenerationError, match="fail"):
        await (
            rerun.chat()
            .until_parsed_as(rg.model.Answer)
            .run_batch(items, max_concurrency=8, checkpoint=path)
        )
    assert sorted(rerun._calls) == ["block", "fail"]


async def test_a_cancelled_run_keeps_what_its_windows_finished(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    gen = _StopsMidWindow(model="stops")
    pipeline = gen.chat().until_parsed_as(rg.model.Answer)
    run = asyncio.ensure_future(pipeline.run_batch(["ok0", "block"], checkpoint=path))
    await gen._blocked.wait()  # "ok0" has finished; "block" waits in its second round
    run.cancel()
    with pytest.raises(asyncio.CancelledError):
        await run
    assert _recorded(path) == [0]


@pytest.mark.parametrize("runner", ["run_batch", "iter_batch"])
async def test_a_run_cancelled_during_a_checkpoint_write_waits_for_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner: str
) -> None:
    """The write runs in a thread, which a cancellation cannot stop: the run closed the file
    (and released its lock) while the thread still wrote, so the finished item was lost, or
    written to a closed descriptor."""
    from rigging._pipeline.checkpoint import CheckpointFile

    path = tmp_path / "c.jsonl"
    loop = asyncio.get_running_loop()
    writing = asyncio.Event()
    release = threading.Event()
    seen: dict[str, bool] = {}
    append, close = CheckpointFile.append, CheckpointFile.close

    def slow_append(self: CheckpointFile, lines: list[bytes]) -> None:
        if threading.current_thread() is threading.main_thread():
            append(self, lines)
            return
        seen["in_write"] = True
        loop.call_soon_threadsafe(writing.set)
        release.wait(10)
        append(self, lines)
        seen["in_write"] = False

    def watched_close(self: CheckpointFile) -> None:
        seen.setdefault("closed_in_write", seen.get("in_write", False))
        close(self)

    monkeypatch.setattr(CheckpointFile, "append", slow_append)
    monkeypatch.setattr(CheckpointFile, "close", watched_close)
    pipeline = EchoGenerator().chat()

    async def run() -> None:
        if runner == "run_batch":
            await pipeline.run_batch(["a", "b", "c"], checkpoint=path, max_concurrency=1)
        else:
            async for _ in pipeline.iter_batch(["a", "b", "c"], checkpoint=path, max_concurrency=1):
                pass

    task = asyncio.ensure_future(run())
    await writing.wait()  # the first item's line is being written in the worker thread
    task.cancel()
    loop.call_soon(release.set)  # runs after the task has taken the cancellation
    with pytest.raises(asyncio.CancelledError):
        await task
    assert seen == {"in_write": False, "closed_in_write": False}
    assert _recorded(path) == [0]


async def test_a_run_cancelled_during_a_write_records_the_window_that_ended_alongside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows ``a`` and ``b`` end together, and the run is cancelled while it writes the
    first: the second had finished too, but was neither written nor among the windows
    stopped (no longer in flight), so it was lost and ran again on resume."""
    from rigging._pipeline.checkpoint import CheckpointFile

    path = tmp_path / "c.jsonl"
    loop = asyncio.get_running_loop()
    writing = asyncio.Event()
    release = threading.Event()
    append = CheckpointFile.append

    def slow_append(self: CheckpointFile, lines: list[bytes]) -> None:
        if threading.current_thread() is not threading.main_thread():
            loop.call_soon_threadsafe(writing.set)
            release.wait(10)
        append(self, lines)

    monkeypatch.setattr(CheckpointFile, "append", slow_append)
    pipeline = PairThenHang(model="pair").chat()
    # max_concurrency 3: windows of one item, all three in flight
    task = asyncio.ensure_future(
        pipeline.run_batch(["a", "b", "c"], checkpoint=path, max_concurrency=3)
    )
    await writing.wait()  # the first window's line is being written in the worker thread
    task.cancel()
    loop.call_soon(release.set)  # runs after the task has taken the cancellation
    with pytest.raises(asyncio.CancelledError):
        await task
    assert _recorded(path) == [0, 1]


class _Gated(rg.Generator):
    """Items ``a*`` answer at once, ``b*`` once `go` is set, ``c*`` never."""

    _go: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)

    async def generate_messages(
        self, messages: Sequence[Sequence[rg.Message]], params: Sequence[GenerateParams]
    ) -> Sequence[rg.generator.GeneratedMessage]:
        first = str(messages[0][-1].content)
        if first.startswith("b"):
            await self._go.wait()
        elif first.startswith("c"):
            await asyncio.Event().wait()  # until the run stops and cancels it
        return [rg.generator.GeneratedMessage.from_text("ok", stop_reason="stop")] * len(messages)


async def test_a_window_that_ended_before_the_run_was_stopped_keeps_its_items(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Window ``b`` ends while the run writes window ``a``, so it is still among the windows
    in flight when the run is cancelled: stopping it must keep every item it finished
    (its task's result; the window hands its own lists on when it ends, so reading what it
    had finished so far would find nothing)."""
    from rigging._pipeline.checkpoint import CheckpointFile

    path = tmp_path / "c.jsonl"
    loop = asyncio.get_running_loop()
    writing = asyncio.Event()
    release = threading.Event()
    append = CheckpointFile.append

    def slow_append(self: CheckpointFile, lines: list[bytes]) -> None:
        if threading.current_thread() is not threading.main_thread():
            loop.call_soon_threadsafe(writing.set)
            release.wait(10)
        append(self, lines)

    monkeypatch.setattr(CheckpointFile, "append", slow_append)
    gen = _Gated(model="gated")
    items = ["a0", "a1", "b2", "b3", "c4", "c5"]
    # max_concurrency 8: windows of two items, four in flight (here all three)
    run = asyncio.ensure_future(gen.chat().run_batch(items, checkpoint=path, max_concurrency=8))
    await writing.wait()  # window a has ended, and its line is being written
    windows = [
        task
        for task in asyncio.all_tasks()
        if getattr(task.get_coro(), "__name__", "") == "_run_window" and not task.done()
    ]
    assert len(windows) == 2  # b and c
    gen._go.set()
    ended, _ = await asyncio.wait(windows, return_when=asyncio.FIRST_COMPLETED)
    assert len(ended) == 1
    assert [r.last.content for _, r in next(iter(ended)).result()] == ["ok", "ok"]
    run.cancel()  # window b has ended, not handed on: it is stopped with window c
    loop.call_soon(release.set)  # runs after the run has taken the cancellation
    with pytest.raises(asyncio.CancelledError):
        await run
    assert _recorded(path) == [0, 1, 2, 3]


class _Announced:
    """A lock that says when the thread named ``closer`` starts waiting for it."""

    def __init__(self, waiting: threading.Event) -> None:
        self._lock = threading.Lock()
        self._waiting = waiting

    def __enter__(self) -> None:
        if threading.current_thread().name == "closer":
            self._waiting.set()
        self._lock.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self._lock.release()


class _HeldWrite:
    """`os` for the checkpoint module: the ``writer`` thread's first write stops halfway
    until `go` is set; every call the ``closer`` thread makes is recorded, and sets `go`."""

    def __init__(self, go: threading.Event) -> None:
        self.go = go
        self.halfway = threading.Event()
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        real = getattr(os, name)
        if threading.current_thread().name != "closer" or not callable(real):
            return real

        def recorded(*args: Any) -> Any:
            self.calls.append(name)
            self.go.set()
            return real(*args)

        return recorded

    def write(self, fd: int, data: memoryview) -> int:
        if threading.current_thread().name != "writer" or self.halfway.is_set():
            return os.write(fd, data)
        written = os.write(fd, data[: len(data) // 2])
        self.halfway.set()
        self.go.wait(10)
        self.calls.append("write resumed")
        return written


def test_close_waits_for_an_append_in_another_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cancelled run's `_append` can return while its worker thread still writes (at
    shutdown ``asyncio.run`` cancels the write's own task too): the run's ``close()`` then
    closed the file under the writer, which lost the rest of its lines or wrote them to a
    closed (or reused) descriptor."""
    from rigging._pipeline import checkpoint

    path = tmp_path / "c.jsonl"
    file = checkpoint.CheckpointFile(path, {"pipeline": "p", "inputs": None, "count": None})
    file.open("restart", lambda index, record: None)
    go = threading.Event()
    held = _HeldWrite(go)
    monkeypatch.setattr(checkpoint, "os", held)
    monkeypatch.setattr(file, "_io_lock", _Announced(go), raising=False)
    lines = [checkpoint.encode_record(i, i + 1, '{"x":1}') for i in range(3)]
    errors: list[BaseException] = []

    def run(call: Any, *args: Any) -> None:
        try:
            call(*args)
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    writer = threading.Thread(target=run, args=(file.append, lines), name="writer")
    writer.start()
    assert held.halfway.wait(10)
    closer = threading.Thread(target=run, args=(file.close,), name="closer")
    closer.start()  # waits for the append, which goes on once the closer waits
    writer.join(10)
    closer.join(10)
    assert not writer.is_alive()
    assert not closer.is_alive()
    assert errors == []
    assert held.calls[0] == "write resumed"  # the file was closed after the write ended
    assert "close" in held.calls
    assert _recorded(path) == [0, 1, 2]
    with pytest.raises(CheckpointError, match="is closed"):
        file.append(lines)


class _LeaksCancel(rg.Generator):
    """Answers by role: the item's text, or the model name unless it is ``by-item``.

    ``ok*`` answers with the tag; ``leak`` answers without it, then its second round ends
    with a `CancelledError` of the generator's own (nothing cancelled the run) once `waiting`
    is set; ``slow`` sets `waiting` and answers once ``leak`` has leaked.
    """

    model: str = "by-item"
    _waiting: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)
    _leaked: asyncio.Event = PrivateAttr(default_factory=asyncio.Event)
    _calls: Counter[str] = PrivateAttr(default_factory=Counter)

    async def generate_messages(
        self, messages: Sequence[Sequence[rg.Message]], params: Sequence[GenerateParams]
    ) -> Sequence[rg.generator.GeneratedMessage]:
        out = []
        for conversation in messages:
            role = str(conversation[0].content) if self.model == "by-item" else self.model
            self._calls[role] += 1
            if role == "leak" and self._calls[role] > 1:
                await self._waiting.wait()
                self._leaked.set()
                raise asyncio.CancelledError  # as from a timeout inside the generator
            if role == "slow":
                self._waiting.set()
                await self._leaked.wait()
            text = "no tag" if role == "leak" else "<answer>yes</answer>"
            message = rg.Message("assistant", text)
            out.append(rg.generator.GeneratedMessage(message=message, stop_reason="stop"))
        return out


@pytest.mark.parametrize("runner", ["run_batch", "run_over"])
async def test_a_cancelled_error_of_a_generators_own_fails_its_items_alone(
    tmp_path: Path, runner: str
) -> None:
    """A generator that lets a `CancelledError` escape (nothing cancelled the run) ended its
    window's task cancelled: the caller got a bare `CancelledError`, and the items that
    window had finished were neither recorded nor delivered (run_over: the other
    generator's run was cancelled with it)."""
    path = tmp_path / "c.jsonl"
    if runner == "run_batch":  # one window, one group: "ok0" finishes in round 1
        gen = _LeaksCancel()
        gen._waiting.set()
        pipeline = gen.chat().until_parsed_as(rg.model.Answer)
        run = pipeline.run_batch(["ok0", "leak"], checkpoint=path)
        expected = [0]
    else:  # one window, a group per generator: "slow" answers once "leak" leaked
        leak, slow = _LeaksCancel(model="leak"), _LeaksCancel(model="slow")
        slow._waiting, slow._leaked = leak._waiting, leak._leaked
        run = slow.chat("q").until_parsed_as(rg.model.Answer).run_over(leak, checkpoint=path)
        expected = [1]
    with pytest.raises(rg.error.RiggingError, match="CancelledError") as caught:
        await run
    assert isinstance(caught.value.__cause__, asyncio.CancelledError)
    assert _recorded(path) == expected
    completed = caught.value.completed  # type: ignore[attr-defined]
    assert [c.last.content for c in completed] == ["<answer>yes</answer>"]


class _ExtraFor(rg.Generator):
    """Answers "ok", with `extras[content]` as the extra of the item whose input is content."""

    _extras: dict[str, Any] = PrivateAttr(default_factory=dict)
    _text: dict[str, str] = PrivateAttr(default_factory=dict)
    _seen: list[str] = PrivateAttr(default_factory=list)

    async def generate_messages(
        self, messages: Sequence[Sequence[rg.Message]], params: Sequence[GenerateParams]
    ) -> Sequence[rg.GeneratedMessage]:
        out = []
        for conversation in messages:
            key = conversation[-1].content
            self._seen.append(key)
            message = rg.Message("assistant", self._text.get(key, "ok"))
            extra = self._extras.get(key, {})
            out.append(rg.GeneratedMessage(message=message, stop_reason="stop", extra=extra))
        return out


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()[1:]]


async def _run_twice(
    gen: _ExtraFor, path: Path, inputs: list[str], bad: str, match: str
) -> tuple[list[rg.Chat], list[rg.Chat]]:
    """Run `inputs` with a checkpoint, then resume; `bad` is the one input not recorded."""
    with pytest.warns(RuntimeWarning, match=match) as caught:
        first = await gen.chat().run_batch(inputs, checkpoint=path)
    assert len(caught) == 1
    assert f"input {inputs.index(bad)} was not recorded" in str(caught[0].message)
    assert sorted(r["i"] for r in _records(path)) == [i for i, x in enumerate(inputs) if x != bad]
    gen._seen.clear()
    with pytest.warns(RuntimeWarning, match=match):
        again = await gen.chat().run_batch(inputs, checkpoint=path)
    assert gen._seen == [bad]  # the resume runs only the item that was not recorded
    return first, again


@pytest.mark.parametrize(
    "extra",
    [{"raw": object()}, {"raw": b"\xff\xfe"}],
    ids=["object", "bytes"],
)
async def test_a_result_that_cannot_be_serialised_is_returned_but_not_recorded(
    tmp_path: Path, extra: dict[str, Any]
) -> None:
    gen = _ExtraFor(model="x")
    gen._extras["i5"] = extra
    inputs = [f"i{i}" for i in range(10)]
    first, again = await _run_twice(
        gen, tmp_path / "ck.jsonl", inputs, "i5", "cannot be serialised"
    )
    for results in (first, again):
        assert [c.failed for c in results] == [False] * 10
        assert results[5].extra == extra


async def test_iter_batch_does_not_record_a_result_that_cannot_be_serialised(
    tmp_path: Path,
) -> None:
    gen = _ExtraFor(model="x")
    gen._extras["i1"] = {"raw": object()}
    path = tmp_path / "ck.jsonl"
    inputs = [f"i{i}" for i in range(4)]
    with pytest.warns(RuntimeWarning, match="input 1 was not recorded"):
        got = sorted([i async for i, _ in gen.chat().iter_batch(inputs, checkpoint=path)])
    assert got == [0, 1, 2, 3]
    assert sorted(r["i"] for r in _records(path)) == [0, 2, 3]
    gen._seen.clear()
    with pytest.warns(RuntimeWarning, match="input 1 was not recorded"):
        got = [i async for i, _ in gen.chat().iter_batch(inputs, checkpoint=path)]
    assert (got, gen._seen) == ([1], ["i1"])


@pytest.mark.parametrize(
    "extra",
    [
        {"v": (1, 2)},
        {"v": {1, 2}},
        {"v": datetime(2024, 1, 2, 3, 4, 5)},
        {"v": Decimal("1.5")},
        {"v": b"abc"},
        {"v": {1: "int key"}},
    ],
    ids=["tuple", "set", "datetime", "decimal", "bytes", "int-key"],
)
async def test_a_result_json_changes_is_not_recorded_and_resumes_as_live(
    tmp_path: Path, extra: dict[str, Any]
) -> None:
    gen = _ExtraFor(model="x")
    gen._extras["b"] = extra
    first, again = await _run_twice(
        gen, tmp_path / "ck.jsonl", ["a", "b", "c"], "b", "'extra' does not read back equal"
    )
    assert [c.extra for c in again] == [c.extra for c in first]
    assert again[1].extra == extra


async def test_a_lone_surrogate_is_not_recorded_and_resumes_as_live(tmp_path: Path) -> None:
    gen = _ExtraFor(model="x")
    gen._text["b"] = "x\ud83d y"
    gen._text["c"] = "a real \ufffd stays"  # U+FFFD written by the model reads back equal
    first, again = await _run_twice(
        gen, tmp_path / "ck.jsonl", ["a", "b", "c"], "b", "'generated' does not read back equal"
    )
    assert [c.last.content for c in again] == [c.last.content for c in first]
    assert again[1].last.content == "x\ud83d y"
