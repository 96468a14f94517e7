import json
import sys
from uuid import uuid4

import pytest
from _chats import make_chats
from _servers.elastic_stub import ElasticStub

import rigging as rg
from rigging.data import (
    ElasticMapping,
    chats_to_df,
    chats_to_elastic,
    chats_to_elastic_data,
    df_to_chats,
    elastic_data_to_chats,
    elastic_to_chats,
    flatten_chats,
    unflatten_chats,
)
from rigging.error import RestoredError


async def test_flatten_rows_are_json_and_round_trip_losslessly() -> None:
    chats = await make_chats()
    rows = flatten_chats(chats)
    assert len(rows) == sum(len(chat) for chat in chats)
    first = rows[0]
    assert list(first)[:9] == [
        "chat_id",
        "chat_metadata",
        "chat_generator_id",
        "chat_timestamp",
        "chat_stop_reason",
        "chat_usage",
        "chat_extra",
        "chat_failed",
        "chat_error",
    ]
    assert first["chat_metadata"] == {"experiment": "obs", "tags": ["a", "b"], "nested": {"k": 1.5}}
    assert first["generated"] is False
    text = [json.loads(json.dumps(row)) for row in rows]  # every row survives JSON
    back = unflatten_chats(text)
    assert back == list(chats)
    assert back[0].generated[-1].parts[0].model == rg.model.Answer(content="42")
    failed = next(chat for chat in back if chat.failed)
    assert isinstance(failed.error, RestoredError)
    assert str(failed.error).startswith("Exhausted max rounds (0) while generating; last error:")


async def test_unflatten_keeps_first_appearance_order_and_accepts_json_text_columns() -> None:
    chats = await make_chats(3)
    rows = flatten_chats(list(reversed(chats)))
    for row in rows:
        row["chat_metadata"] = json.dumps(row["chat_metadata"])
        row["chat_usage"] = json.dumps(row["chat_usage"])
    back = unflatten_chats(rows)
    assert [c.uuid for c in back] == [c.uuid for c in reversed(chats)]
    assert back == list(reversed(chats))


def test_unflatten_names_missing_columns_and_bad_json() -> None:
    with pytest.raises(ValueError, match=r"row 0 lacks column\(s\) message_id, role"):
        unflatten_chats([{"chat_id": "x", "generated": False}])
    ids = {"chat_id": "6b1f0c2e-3a43-4f55-9a55-1d7e0c6f9b01", "message_id": str(uuid4())}
    row = {**ids, "role": "user", "generated": False, "chat_timestamp": "2025-01-02T03:04:05"}
    with pytest.raises(ValueError, match="column 'chat_metadata' holds text that is not JSON"):
        unflatten_chats([{**row, "chat_metadata": "{oops", "content": "hi"}])


async def test_dataframe_round_trip_is_lossless_with_typed_columns() -> None:
    chats = await make_chats()
    df = chats.to_df()
    assert len(df) == sum(len(chat) for chat in chats)
    assert str(df["chat_timestamp"].dtype) == "datetime64[us]"
    assert str(df["role"].dtype) == "category"
    assert df["generated"].dtype == bool
    assert str(df["chat_metadata"].dtype) == "string"
    assert json.loads(df["chat_metadata"].iloc[0])["tags"] == ["a", "b"]
    assert df["content_is_list"].sum() == len(chats)  # one list-content input per chat
    back = df_to_chats(df)
    assert back == list(chats)
    assert back[0].messages[1].all_content == chats[0].messages[1].all_content


async def test_dataframe_round_trip_after_shuffle_and_single_chat_to_df() -> None:
    chats = await make_chats(2)
    df = chats_to_df(chats).sample(frac=1.0, random_state=3)
    back = {c.uuid: c for c in df_to_chats(df.sort_index())}
    assert back == {c.uuid: c for c in chats}
    assert len(chats[0].to_df()) == len(chats[0])


def test_missing_pandas_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'rigging\[data\]'"):
        chats_to_df([])


async def test_elastic_actions_and_hits_round_trip() -> None:
    chats = await make_chats(3)
    actions = chats_to_elastic_data(chats, "chats")
    assert [a["_id"] for a in actions] == [str(c.uuid) for c in chats]
    assert all(a["_op_type"] == "index" and "uuid" not in a["_source"] for a in actions)
    wire = json.loads(json.dumps(actions))
    hits = {"hits": {"hits": [{"_id": a["_id"], "_source": a["_source"]} for a in wire]}}
    assert elastic_data_to_chats(hits) == list(chats)
    deletes = chats_to_elastic_data(chats[0], "chats", op_type="delete")
    assert deletes == [{"_index": "chats", "_op_type": "delete", "_id": str(chats[0].uuid)}]


def test_elastic_data_errors_are_named() -> None:
    with pytest.raises(ValueError, match="expected a search response or a list of hits"):
        elastic_data_to_chats({"hits": {"total": 3}})
    with pytest.raises(ValueError, match="hit 0 lacks '_id' or '_source'"):
        elastic_data_to_chats([{"_id": "x"}])
    with pytest.raises(ValueError, match="op_type must be 'index', 'create' or 'delete'"):
        chats_to_elastic_data([], "i", op_type="upsert")  # type: ignore[arg-type]


async def test_chats_to_elastic_against_the_http_api() -> None:
    from elasticsearch import AsyncElasticsearch

    chats = await make_chats(3)
    with ElasticStub() as server:
        client = AsyncElasticsearch(server.url)
        try:
            assert await chats.to_elastic("chats", client) == 3
            assert server.indices["chats"].mappings == ElasticMapping
            assert await chats[0].to_elastic("chats", client) == 1  # index exists: put mapping
            assert ("PUT", "chats/_mapping") in server.requests
            found = await elastic_to_chats({"match_all": {}}, "chats", client)
            assert {c.uuid: c for c in found} == {c.uuid: c for c in chats}
            one = await elastic_to_chats({"ids": {"values": [str(chats[1].uuid)]}}, "chats", client)
            assert one == [chats[1]]
            deleted = await chats_to_elastic(chats[0], "chats", client, op_type="delete")
            assert deleted == 1
            assert len(await elastic_to_chats({"match_all": {}}, "chats", client)) == 2
        finally:
            await client.close()


def test_dataframes_hold_lone_surrogates_and_every_mix_of_timestamps() -> None:
    pytest.importorskip("pandas")
    import datetime as dt

    def zone(hours: int) -> dt.timezone:
        return dt.timezone(dt.timedelta(hours=hours))

    half = rg.Chat([rg.Message("user", "half an emoji \ud83d")])
    winter = rg.Chat(["a"], timestamp=dt.datetime(2024, 1, 1, 12, tzinfo=zone(1)))
    summer = rg.Chat(["b"], timestamp=dt.datetime(2024, 7, 1, 12, tzinfo=zone(2)))
    naive = rg.Chat(["c"], timestamp=dt.datetime(2024, 7, 1, 12))
    for chats, kind in (
        ([half], "datetime64[us]"),  # pyarrow strings refused the surrogate
        ([winter, summer], "datetime64[us, UTC]"),  # two offsets: the same instants, in UTC
        ([winter, naive], "object"),  # no datetime64 column holds both
    ):
        df = chats_to_df(chats)
        assert str(df["chat_timestamp"].dtype) == kind
        assert df_to_chats(df) == chats
