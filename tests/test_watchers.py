import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _chats import make_chats, sort_by_id
from _moto import moto_server
from _servers.elastic_stub import ElasticStub

import rigging as rg
from rigging.data import unflatten_chats
from rigging.generator.testing import EchoGenerator
from rigging.watchers import (
    write_chats_to_elastic,
    write_chats_to_jsonl,
    write_chats_to_s3,
    write_messages_to_jsonl,
)


def read_chats(path: Path) -> list[rg.Chat]:
    return [rg.Chat.model_validate_json(line) for line in path.read_text("utf-8").splitlines()]


def echo_pipeline(**meta: Any) -> rg.ChatPipeline:
    return EchoGenerator(prefix="re: ").chat("hello").meta(**meta)


async def test_jsonl_watcher_writes_every_chat_with_pipeline_metadata(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "chats.jsonl"
    pipeline = echo_pipeline(run="r1").watch(write_chats_to_jsonl(path))
    chats = await pipeline.run_batch([f"q{i}" for i in range(25)], max_concurrency=4)
    back = read_chats(path)
    assert sort_by_id(back) == sort_by_id(list(chats))
    assert all(chat.metadata == {"run": "r1"} for chat in back)


async def test_jsonl_round_trips_parts_failures_and_content_lists(tmp_path: Path) -> None:
    chats = await make_chats()
    await write_chats_to_jsonl(tmp_path / "c.jsonl")(list(chats))
    await write_messages_to_jsonl(tmp_path / "m.jsonl")(list(chats))
    assert read_chats(tmp_path / "c.jsonl") == list(chats)
    rows = [json.loads(line) for line in (tmp_path / "m.jsonl").read_text("utf-8").splitlines()]
    assert len(rows) == sum(len(c) for c in chats)
    assert unflatten_chats(rows) == list(chats)


async def test_replace_truncates_once_per_watcher_not_per_batch(tmp_path: Path) -> None:
    path = tmp_path / "chats.jsonl"
    path.write_text("old line\n")
    watcher = write_chats_to_jsonl(path, replace=True)
    chats = await echo_pipeline().watch(watcher).run_batch(["a", "b", "c"], max_concurrency=1)
    assert sort_by_id(read_chats(path)) == sort_by_id(list(chats))  # 3 batches, all kept

    fresh = tmp_path / "fresh.jsonl"  # did not exist: 2.3 deleted the first batch here
    chats = (
        await echo_pipeline()
        .watch(write_chats_to_jsonl(fresh, replace=True))
        .run_batch(["a", "b"], max_concurrency=1)
    )
    assert len(read_chats(fresh)) == 2


async def test_messages_watcher_replace_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "messages.jsonl"
    path.write_text('{"stale": true}\n')
    pipeline = echo_pipeline(team="x").watch(write_messages_to_jsonl(path, replace=True))
    chats = await pipeline.run_many(3, max_concurrency=1)
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert len(rows) == 6
    assert {row["chat_metadata"]["team"] for row in rows} == {"x"}
    assert sort_by_id(unflatten_chats(rows)) == sort_by_id(list(chats))


async def test_concurrent_runs_and_threads_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "shared.jsonl"
    chats = await make_chats(6)
    watchers = [write_chats_to_jsonl(path) for _ in range(4)]

    def in_thread(watch: Any) -> None:
        for _ in range(20):
            asyncio.run(watch(list(chats)))

    threads = [threading.Thread(target=in_thread, args=(w,)) for w in watchers]
    for thread in threads:
        thread.start()
    runs = [
        echo_pipeline(n=n).watch(watchers[n % 4]).run_batch(["x"] * 50, max_concurrency=7)
        for n in range(4)
    ]
    await asyncio.gather(*runs)
    for thread in threads:
        thread.join()
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) == 4 * 20 * 6 + 4 * 50
    assert all(isinstance(rg.Chat.model_validate_json(line), rg.Chat) for line in lines)


async def test_a_torn_tail_from_a_dead_writer_is_cut_before_appending(tmp_path: Path) -> None:
    chats = await make_chats(2)
    path = tmp_path / "chats.jsonl"
    good = chats[0].model_dump_json()
    path.write_text(good + "\n" + good[:50])
    await write_chats_to_jsonl(path)([chats[1]])
    assert read_chats(path) == [chats[0], chats[1]]


KILL_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from rigging.generator.testing import EchoGenerator
    from rigging.watchers import write_chats_to_jsonl

    async def main():
        pipeline = EchoGenerator().chat("x" * 3000).meta(kind="kill-test")
        pipeline.watch(write_chats_to_jsonl(sys.argv[1], replace=True))
        await pipeline.run_many(10_000, max_concurrency=25)

    asyncio.run(main())
    """
)


@pytest.mark.parametrize("fraction", [0.2, 0.6])
def test_kill_9_during_a_10000_chat_write_leaves_only_whole_lines(
    tmp_path: Path, fraction: float
) -> None:
    path = tmp_path / "killed.jsonl"
    proc = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT, str(path)])
    full = 10_000 * 6_500  # roughly the final size
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if path.exists() and path.stat().st_size > full * fraction:
                break
            time.sleep(0.002)
        assert proc.poll() is None, "the writer finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    # A kill landing inside one multi-page `write` may leave a torn last line (a documented
    # limit); the next write of any writer repairs it before appending.
    data = path.read_bytes()
    whole = data[: data.rfind(b"\n") + 1].decode("utf-8").splitlines()
    assert 0 < len(whole) < 10_000
    for line in whole:
        assert rg.Chat.model_validate_json(line).metadata == {"kind": "kill-test"}
    extra = rg.Chat([rg.Message("user", "after")], [rg.Message("assistant", "kill")])
    asyncio.run(write_chats_to_jsonl(path)([extra]))
    lines = path.read_text("utf-8").splitlines()
    assert lines[: len(whole)] == whole
    assert len(lines) in (len(whole) + 1, len(whole) + 2)  # +1 if the torn tail was whole JSON
    assert rg.Chat.model_validate_json(lines[-1]) == extra


async def test_generator_watch_reaches_every_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "gen.jsonl"
    generator = EchoGenerator().watch(write_chats_to_jsonl(path))
    await generator.chat("one").run()
    await generator.chat("two").run_many(2)
    assert sorted(c.last.content for c in read_chats(path)) == ["one", "two", "two"]


async def test_elastic_watcher_indexes_each_batch_and_creates_the_index_once() -> None:
    from elasticsearch import AsyncElasticsearch

    with ElasticStub() as server:
        client = AsyncElasticsearch(server.url)
        try:
            watcher = write_chats_to_elastic(client, "runs")
            chats = (
                await echo_pipeline(env="test")
                .watch(watcher)
                .run_batch(["a", "b", "c"], max_concurrency=1)
            )
        finally:
            await client.close()
    docs = server.indices["runs"].docs
    assert set(docs) == {str(c.uuid) for c in chats}
    assert all(doc["metadata"] == {"env": "test"} for doc in docs.values())
    index_calls = [r for r in server.requests if r[1] == "runs"]
    assert index_calls == [("HEAD", "runs"), ("PUT", "runs")]
    assert sum(1 for r in server.requests if r[1] == "_bulk") == 3


@pytest.fixture
def s3() -> Iterator[Any]:
    import boto3

    with moto_server() as (_, endpoint):
        client = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        client.create_bucket(Bucket="chats")
        yield client


def s3_chats(client: Any, key: str) -> list[rg.Chat]:
    body = client.get_object(Bucket="chats", Key=key)["Body"].read().decode("utf-8")
    return [rg.Chat.model_validate_json(line) for line in body.splitlines()]


async def test_s3_watcher_appends_batches_and_replaces_once(s3: Any) -> None:
    s3.put_object(Bucket="chats", Key="run.jsonl", Body=b"stale\n")
    watcher = write_chats_to_s3(s3, "chats", "run.jsonl", replace=True)
    chats = (
        await echo_pipeline(store="s3")
        .watch(watcher)
        .run_batch(["a", "b", "c", "d"], max_concurrency=1)
    )
    back = s3_chats(s3, "run.jsonl")
    assert sort_by_id(back) == sort_by_id(list(chats))
    assert {c.metadata["store"] for c in back} == {"s3"}


async def test_s3_watcher_keeps_concurrent_batches_and_outside_changes(s3: Any) -> None:
    chats = await make_chats(4)
    watcher = write_chats_to_s3(s3, "chats", "shared.jsonl")
    await asyncio.gather(*(watcher([chat]) for chat in chats))
    assert sort_by_id(s3_chats(s3, "shared.jsonl")) == sort_by_id(list(chats))
    body = s3.get_object(Bucket="chats", Key="shared.jsonl")["Body"].read()
    s3.put_object(
        Bucket="chats", Key="shared.jsonl", Body=body + chats[0].model_dump_json().encode()
    )
    await watcher([chats[1]])
    assert len(s3_chats(s3, "shared.jsonl")) == 6


async def test_s3_helpers_report_missing_objects(s3: Any) -> None:
    from rigging.data import s3_bucket_exists, s3_object_exists

    assert await s3_bucket_exists(s3, "chats")
    assert not await s3_bucket_exists(s3, "nope")
    assert not await s3_object_exists(s3, "chats", "missing.jsonl")


def test_missing_boto3_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(
        ModuleNotFoundError, match=r"the S3 watcher .*pip install 'rigging\[data\]'"
    ):
        write_chats_to_s3(object(), "b", "k")
