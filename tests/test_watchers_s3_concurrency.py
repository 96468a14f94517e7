"""Two S3 watchers on one key, against moto's server on 127.0.0.1: conditional uploads
(``IfMatch``/``IfNoneMatch``) with retries on 412 keep every chat."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from _moto import moto_server

import rigging as rg
import rigging.watchers as watchers_module
from rigging.watchers import write_chats_to_s3

# moto keeps its buckets per process, across servers: every test uses a bucket of its own.


def _one_at_a_time(app: Any) -> Any:
    lock = threading.Lock()

    def serialised(environ: Any, start_response: Any) -> list[bytes]:
        with lock:
            return list(app(environ, start_response))

    return serialised


@pytest.fixture
def s3_endpoint() -> Iterator[str]:
    with moto_server() as (server, endpoint):
        wsgi = server._server  # S3 applies a conditional write atomically; moto checks the
        assert wsgi is not None  # condition and stores in two steps, so requests are serialised
        wsgi.app = _one_at_a_time(wsgi.app)
        yield endpoint


def _client(endpoint: str) -> Any:
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _chat(tag: str) -> rg.Chat:
    return rg.Chat([rg.Message("user", tag)], [rg.Message("assistant", "z" * 200)])


def _bucket(client: Any) -> str:
    name = f"chats-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    return name


def _stored(client: Any, bucket: str, key: str) -> list[str]:
    body = client.get_object(Bucket=bucket, Key=key)["Body"].read().decode("utf-8")
    return [rg.Chat.model_validate_json(line).messages[0].content for line in body.splitlines()]


async def test_two_watchers_on_one_key_keep_all_200_chats(s3_endpoint: str) -> None:
    clients = [_client(s3_endpoint), _client(s3_endpoint)]
    bucket = _bucket(clients[0])
    calls: list[Any] = []
    counts = [0, 0]
    for n, client in enumerate(clients):
        watch = write_chats_to_s3(client, bucket, "shared.jsonl")
        calls += [watch([_chat(f"w{n}-{i}")]) for i in range(100)]
        original = client.put_object

        def counting(*args: Any, n: int = n, original: Any = original, **kwargs: Any) -> Any:
            counts[n] += 1
            return original(*args, **kwargs)

        client.put_object = counting
    await asyncio.gather(*calls)
    stored = _stored(clients[0], bucket, "shared.jsonl")
    assert sorted(stored) == sorted(f"w{n}-{i}" for n in range(2) for i in range(100))
    assert min(counts) >= 100  # every watcher wrote each of its chats at least once


async def test_writers_in_other_processes_are_kept_too(s3_endpoint: str) -> None:
    client = _client(s3_endpoint)
    bucket = _bucket(client)
    watch = write_chats_to_s3(client, bucket, "k.jsonl")
    await watch([_chat("mine-0")])
    client.put_object(Bucket=bucket, Key="k.jsonl", Body=b"")  # someone else empties it
    await watch([_chat("mine-1")])
    other = write_chats_to_s3(_client(s3_endpoint), bucket, "k.jsonl")
    await other([_chat("other-0")])
    await watch([_chat("mine-2")])  # its cached ETag is stale: 412, re-read, retry
    assert _stored(client, bucket, "k.jsonl") == ["mine-1", "other-0", "mine-2"]
    client.delete_object(Bucket=bucket, Key="k.jsonl")  # deleted: IfMatch gets 404, re-read
    await watch([_chat("mine-3")])
    assert _stored(client, bucket, "k.jsonl") == ["mine-3"]


async def test_a_key_that_never_settles_fails_with_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(watchers_module, "_backoff", lambda attempt: 0.0)

    class ConflictError(Exception):
        def __init__(self) -> None:
            super().__init__("412")
            self.response = {"Error": {"Code": "PreconditionFailed"}}

    class Body:
        def read(self) -> bytes:
            return b""

    class AlwaysConflicting:
        puts = 0

        def get_object(self, **_: Any) -> dict[str, Any]:
            return {"Body": Body(), "ETag": '"e"'}

        def put_object(self, **kwargs: Any) -> dict[str, Any]:
            assert kwargs["IfMatch"] == '"e"'
            self.puts += 1
            raise ConflictError

    client = AlwaysConflicting()
    watch = write_chats_to_s3(client, "b", "k.jsonl")
    with pytest.raises(RuntimeError, match=r"s3://b/k.jsonl kept changing under 25 .* 2 chats"):
        await watch([_chat("a"), _chat("b")])
    assert client.puts == 25


async def test_a_conflict_on_the_first_replacing_upload_is_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The unconditional first upload of replace=True met a conflict (409): its chats were
    dropped without an error."""
    monkeypatch.setattr(watchers_module, "_backoff", lambda attempt: 0.0)

    class ConflictError(Exception):
        def __init__(self) -> None:
            super().__init__("409")
            self.response = {"Error": {"Code": "ConditionalRequestConflict"}}

    class OnceConflicting:
        def __init__(self) -> None:
            self.puts: list[dict[str, Any]] = []
            self.body = b""

        def put_object(self, **kwargs: Any) -> dict[str, Any]:
            self.puts.append(kwargs)
            if len(self.puts) == 1:
                raise ConflictError
            self.body = kwargs["Body"]
            return {"ETag": f'"{len(self.puts)}"'}

    client = OnceConflicting()
    watch = write_chats_to_s3(client, "b", "k.jsonl", replace=True)
    await watch([_chat("a"), _chat("b")])
    assert [("IfMatch" in p or "IfNoneMatch" in p) for p in client.puts] == [False, False]
    stored = [rg.Chat.model_validate_json(line) for line in client.body.splitlines()]
    assert [chat.messages[0].content for chat in stored] == ["a", "b"]
