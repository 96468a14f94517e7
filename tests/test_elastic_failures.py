"""Chats Elasticsearch cannot take: every other chat is written, then each one is named.

A chat that cannot be a strict JSON document (a NaN or an infinity, an object JSON has no
form for, metadata nested too deeply) is left out whole; an item Elasticsearch refuses (a
``create`` conflict) or a chunk it fails does not stop the other chunks. The error names each
chat and why, after the others were written.
"""

from __future__ import annotations

import math
import pickle
import typing as t

import pytest
from _nesting import nested_dicts
from _servers.elastic_stub import ElasticStub
from elasticsearch import AsyncElasticsearch
from elasticsearch.helpers import BulkIndexError

import rigging as rg
from rigging.data import ElasticBulkError, ElasticDataError, chats_to_elastic, chats_to_elastic_data
from rigging.error import RiggingError
from rigging.generator.testing import EchoGenerator


async def _chats() -> dict[str, rg.Chat]:
    """Good chats and one of each kind that cannot be a document."""
    chats = {
        name: await EchoGenerator().chat(name).meta(score=1.5).run()
        for name in ("good", "nan", "object", "deep", "bytes", "fine")
    }
    chats["nan"].metadata["score"] = math.nan
    chats["nan"].messages[0].metadata["logprobs"] = [0.0, -math.inf]
    chats["nan"].generated[0].metadata["odd key"] = {"x": math.inf}
    chats["object"].generated[0].metadata["handle"] = object()
    chats["deep"].messages[0].metadata["tree"] = nested_dicts(300)
    chats["bytes"].extra["raw"] = b"\xff\xfe"
    return chats


BAD = ("nan", "object", "deep", "bytes")


def _reasons(chats: dict[str, rg.Chat], failed: dict[str, str]) -> dict[str, str]:
    by_id = {str(chat.uuid): name for name, chat in chats.items()}
    return {by_id[chat_id]: why for chat_id, why in failed.items()}


def _assert_named(reasons: dict[str, str]) -> None:
    assert sorted(reasons) == sorted(BAD)
    assert "messages[0].metadata.logprobs[1] = -inf" in reasons["nan"]
    assert "generated[0].metadata['odd key'].x = inf" in reasons["nan"]
    assert "metadata.score = nan" in reasons["nan"]
    assert "generated[0].metadata.handle: " in reasons["object"]
    assert "Unable to serialize unknown type" in reasons["object"]
    assert reasons["deep"].startswith("messages[0].metadata['tree']['a']['a']")
    assert "Maximum serialization depth exceeded" in reasons["deep"]
    assert reasons["bytes"].startswith("extra.raw: UnicodeDecodeError")


async def test_the_bulk_data_leaves_out_each_unwritable_chat_and_names_it() -> None:
    chats = await _chats()
    with pytest.raises(ElasticDataError) as info:
        chats_to_elastic_data(list(chats.values()), "chats")
    error = info.value
    assert isinstance(error, ValueError)
    assert isinstance(error, RiggingError)
    _assert_named(_reasons(chats, error.failed))
    good = [chats["good"], chats["fine"]]
    assert error.actions == chats_to_elastic_data(good, "chats")
    text = str(error)
    assert text.startswith("4 of 6 chats cannot be Elasticsearch documents")
    assert f"chat {chats['nan'].uuid}: messages[0].metadata.logprobs[1] = -inf" in text
    assert str(chats["good"].uuid) not in text
    restored = pickle.loads(pickle.dumps(error))
    assert (restored.failed, restored.actions) == (error.failed, error.actions)
    # Deleting needs no source: nothing to leave out.
    assert len(chats_to_elastic_data(list(chats.values()), "chats", op_type="delete")) == 6


async def test_many_values_at_fault_are_clipped() -> None:
    chat = await EchoGenerator().chat("hi").meta(**{f"k{i}": math.nan for i in range(50)}).run()
    with pytest.raises(ElasticDataError, match=r"k9 = nan and 40 more \(JSON has no NaN"):
        chats_to_elastic_data(chat, "chats")


async def test_the_good_chats_are_written_then_the_others_named() -> None:
    chats = await _chats()
    with ElasticStub() as server:
        client = AsyncElasticsearch(server.url)
        try:
            with pytest.raises(ElasticBulkError) as info:
                await chats_to_elastic(list(chats.values()), "chats", client, chunk_size=1)
        finally:
            await client.close()
    error = info.value
    assert isinstance(error, BulkIndexError)
    assert isinstance(error, RiggingError)
    assert set(server.indices["chats"].docs) == {str(chats["good"].uuid), str(chats["fine"].uuid)}
    assert error.indexed == 2
    _assert_named(_reasons(chats, error.failed))
    assert str(error).startswith("4 of 6 chats were not written to Elasticsearch (2 actions")
    assert len(error.errors) == 4
    item = error.errors[0]["index"]
    assert item["status"] == 400
    assert item["error"]["type"] == "rigging_not_json"
    restored = pickle.loads(pickle.dumps(error))
    assert (restored.indexed, restored.failed, restored.errors) == (2, error.failed, error.errors)


async def test_an_item_elasticsearch_refuses_does_not_stop_the_next_chunks() -> None:
    chats = [await EchoGenerator().chat(text).run() for text in ("a", "b", "c")]
    with ElasticStub() as server:
        client = AsyncElasticsearch(server.url)
        try:
            assert await chats_to_elastic(chats[0], "chats", client) == 1
            with pytest.raises(ElasticBulkError) as info:  # chats[0] exists: a conflict
                await chats_to_elastic(chats, "chats", client, op_type="create", chunk_size=1)
        finally:
            await client.close()
    error = info.value
    assert set(server.indices["chats"].docs) == {str(chat.uuid) for chat in chats}
    assert error.indexed == 2
    assert error.failed == {str(chats[0].uuid): "Elasticsearch refused it (409 conflict)"}
    conflict = {"_id": str(chats[0].uuid), "status": 409, "error": {"type": "conflict"}}
    assert error.errors == [{"create": conflict}]
    assert f"chat {chats[0].uuid}: Elasticsearch refused it (409 conflict)" in str(error)


async def test_without_raise_on_error_a_warning_names_the_chats_not_written() -> None:
    chats = await _chats()
    with ElasticStub() as server:
        client = AsyncElasticsearch(server.url)
        try:
            with pytest.warns(RuntimeWarning, match="4 of 6 chats were not written") as caught:
                written = await chats_to_elastic(
                    list(chats.values()), "chats", client, raise_on_error=False
                )
            missing = await chats_to_elastic([], "chats", client, raise_on_error=False)
        finally:
            await client.close()
    assert (written, missing) == (2, 0)
    assert str(chats["deep"].uuid) in str(caught[0].message)
    assert len(server.indices["chats"].docs) == 2


async def test_a_lone_surrogate_is_written_as_a_replacement_character() -> None:
    half = rg.Chat([rg.Message("user", "half an emoji \ud83d")], metadata={"k\udc00": "v\ud800"})
    other = await EchoGenerator().chat("whole").run()
    with ElasticStub() as server:
        client = AsyncElasticsearch(server.url)
        try:
            assert await chats_to_elastic([half, other], "chats", client) == 2
        finally:
            await client.close()
    doc = server.indices["chats"].docs[str(half.uuid)]
    assert doc["messages"][0]["content"] == "half an emoji \ufffd"
    assert doc["metadata"] == {"k\ufffd": "v\ufffd"}  # as model_dump_json writes it


class _FailingStub(ElasticStub):
    """Fails the second ``_bulk`` request as a whole (a 500)."""

    bulks = 0

    def route(self, method: str, path: str, body: bytes) -> tuple[int, t.Any]:
        if path.endswith("_bulk"):
            self.bulks += 1
            if self.bulks == 2:
                return 500, {"error": {"type": "internal_error", "reason": "disk on fire"}}
        return super().route(method, path, body)


async def test_a_failed_chunk_says_what_was_written_before_it() -> None:
    from elasticsearch import ApiError

    chats = [await EchoGenerator().chat(text).run() for text in ("a", "b", "c")]
    server = _FailingStub()
    with server:
        client = AsyncElasticsearch(server.url, max_retries=0)
        try:
            with pytest.raises(ApiError) as raised:
                await chats_to_elastic(chats, "chats", client, chunk_size=1)
            assert getattr(raised.value, "__notes__", None) == [
                "rigging: 1 of 3 bulk actions had succeeded before this error"
            ]
            server.bulks = 0
            with pytest.raises(ElasticBulkError) as info:  # the chunk's chats are failures
                await chats_to_elastic(
                    chats, "chats", client, chunk_size=1, raise_on_exception=False
                )
        finally:
            await client.close()
    assert info.value.indexed == 2
    assert list(info.value.failed) == [str(chats[1].uuid)]
    assert "500" in info.value.failed[str(chats[1].uuid)]
    assert set(server.indices["chats"].docs) == {str(chats[0].uuid), str(chats[2].uuid)}
    assert "exception" not in info.value.errors[0]["index"]


async def test_ignored_statuses_are_not_failures() -> None:
    chat = await EchoGenerator().chat("gone").run()
    with ElasticStub() as server:
        client = AsyncElasticsearch(server.url)
        try:
            await chats_to_elastic(chat, "chats", client)
            deleted = await chats_to_elastic(
                [chat, chat], "chats", client, op_type="delete", ignore_status=404
            )
            assert deleted == 1
            with pytest.raises(ElasticBulkError, match="404"):
                await chats_to_elastic(chat, "chats", client, op_type="delete")
        finally:
            await client.close()


async def test_the_watcher_writes_the_good_chats_of_a_run_then_fails_it() -> None:
    from rigging.watchers import write_chats_to_elastic

    bad = rg.Message("user", "bad", metadata={"score": -math.inf})
    with ElasticStub() as server:
        client = AsyncElasticsearch(server.url)
        try:
            pipeline = EchoGenerator().chat().watch(write_chats_to_elastic(client, "runs"))
            named = r"messages\[0\]\.metadata\.score = -inf"
            with pytest.raises(ElasticBulkError, match=named) as info:
                await pipeline.run_batch(["good", [bad], "fine"])
        finally:
            await client.close()
    completed = info.value.completed  # type: ignore[attr-defined]
    written = {doc["generated"][0]["content"] for doc in server.indices["runs"].docs.values()}
    assert written == {"good", "fine"}
    assert len(completed) == 3


def test_the_error_class_loads_with_elasticsearch() -> None:
    import rigging.data

    assert rigging.data.ElasticBulkError is ElasticBulkError
    assert issubclass(ElasticBulkError, BulkIndexError)
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = rigging.data.Nope
    assert "ElasticBulkError" not in rigging.data.__all__  # needs elasticsearch
