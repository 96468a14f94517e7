import json
import sys
from datetime import datetime
from pathlib import Path
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
from rigging.watchers import write_messages_to_jsonl

COLUMNS_23 = [
    "chat_id",
    "chat_metadata",
    "chat_generator_id",
    "chat_timestamp",
    "chat_stop_reason",
    "chat_usage",
    "chat_extra",
    "generated",
    "message_id",
    "role",
    "parts",
    "content",
    "tool_calls",
    "tool_call_id",
]
"""2.3's row columns, in 2.3's order (spec section 4.13): ours follow every one of them."""


async def test_flatten_rows_are_json_and_round_trip_losslessly() -> None:
    chats = await make_chats()
    rows = flatten_chats(chats)
    assert len(rows) == sum(len(chat) for chat in chats)
    first = rows[0]
    ours = ["chat_failed", "chat_error", "message_metadata", "message_index"]
    assert list(first) == [*COLUMNS_23, *ours]  # 2.3's columns first, in 2.3's order
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


async def test_dataframe_columns_keep_2_3_s_order_and_timestamps_keep_microseconds() -> None:
    chats = await make_chats()
    df = chats_to_df(chats)
    assert list(df.columns)[: len(COLUMNS_23)] == COLUMNS_23  # 2.3 code indexes by position
    assert list(df.columns)[len(COLUMNS_23) :] == [
        "chat_failed",
        "chat_error",
        "message_metadata",
        "content_is_list",
        "message_index",
    ]
    # 2.3 used datetime64[ms], which cut a chat's datetime.now() microseconds: kept here
    stamped = rg.Chat(["hi"], timestamp=datetime(2024, 5, 6, 7, 8, 9, 123456))
    df = chats_to_df([stamped])
    assert str(df["chat_timestamp"].dtype) == "datetime64[us]"
    assert df["chat_timestamp"].iloc[0].microsecond == 123456
    assert df_to_chats(df) == [stamped]


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


# --- a chat written twice ---------------------------------------------------------------------


def _by_id(chats: list[rg.Chat]) -> dict[object, rg.Chat]:
    return {chat.uuid: chat for chat in chats}


def _copy(chat: rg.Chat) -> rg.Chat:
    """An equal chat with the same ids (a later version of it, once changed)."""
    return rg.Chat.model_validate_json(chat.model_dump_json())


async def test_rows_end_with_the_message_index_and_keep_every_other_column_in_place() -> None:
    chats = await make_chats(2)
    rows = flatten_chats(chats)
    assert list(rows[0])[-2:] == ["message_metadata", "message_index"]
    assert len(rows[0]) == 18
    for chat in chats:
        mine = [row for row in rows if row["chat_id"] == str(chat.uuid)]
        indices = [(row["generated"], row["message_index"]) for row in mine]
        expected = [(False, i) for i in range(len(chat.messages))]
        assert indices == expected + [(True, i) for i in range(len(chat.generated))]
    df = chats_to_df(chats)
    assert list(df.columns)[-3:] == ["message_metadata", "content_is_list", "message_index"]
    assert str(df["message_index"].dtype) == "int64"


async def test_a_chat_written_twice_loads_once_from_rows_jsonl_and_dataframes(
    tmp_path: Path,
) -> None:
    chats = await make_chats(3)
    rows = flatten_chats(chats)
    text = [json.loads(json.dumps(row)) for row in rows]
    assert unflatten_chats(rows + text) == list(chats)
    assert unflatten_chats(rows + rows[:4] + rows) == list(chats)

    path = tmp_path / "messages.jsonl"
    watcher = write_messages_to_jsonl(path)
    await watcher(list(chats))
    await watcher(list(chats[1:]))  # saved again by a second run over the same chats
    lines = path.read_text("utf-8").splitlines()
    assert len(lines) > len(rows)
    assert unflatten_chats([json.loads(line) for line in lines]) == list(chats)

    import pandas as pd

    df = chats_to_df(chats)
    assert df_to_chats(pd.concat([df, df], ignore_index=True)) == list(chats)


async def test_one_message_held_twice_by_a_chat_is_kept_at_both_places() -> None:
    message = rg.Message("user", "again")
    chat = rg.Chat([message, message], [message])
    rows = flatten_chats(chat)
    assert len({row["message_id"] for row in rows}) == 1
    for loaded in (unflatten_chats(rows), unflatten_chats(rows + rows), df_to_chats(chat.to_df())):
        assert loaded == [chat]
        assert len(loaded[0].all) == 3


async def test_messages_are_placed_by_index_whatever_the_row_order() -> None:
    chats = await make_chats(2)
    rows = flatten_chats(chats)
    assert unflatten_chats(list(reversed(rows))) == list(reversed(chats))
    shuffled = chats_to_df(chats).sample(frac=1.0, random_state=7)
    assert _by_id(df_to_chats(shuffled)) == _by_id(list(chats))


async def test_two_versions_of_one_chat_raise_naming_the_chat_and_place() -> None:
    chats = await make_chats(2)
    rows = flatten_chats(chats)
    meta = _copy(chats[0]).meta(reviewed=True)
    with pytest.raises(ValueError, match=rf"chat {chats[0].uuid}: rows 0 and \d+ .*messages\[0\]"):
        unflatten_chats(rows + flatten_chats(meta))
    edited = _copy(chats[1])
    edited.generated[0].content = "something else"
    with pytest.raises(ValueError, match=r"generated\[0\] but differ \(in content\)"):
        unflatten_chats(flatten_chats(edited) + rows)
    import pandas as pd

    both = pd.concat([chats_to_df(chats), chats_to_df(meta)], ignore_index=True)
    with pytest.raises(ValueError, match=r"differ \(in chat_metadata\): they are two versions"):
        df_to_chats(both)


async def test_copies_are_the_same_values_or_the_same_rebuilt_chat() -> None:
    chats = await make_chats(2)
    rows = flatten_chats(chats)
    as_text = [  # 2.3 wrote nested chat fields as JSON text; values and text are one copy
        {**row, "chat_metadata": json.dumps(row["chat_metadata"], indent=1)} for row in rows
    ]
    assert unflatten_chats(rows + as_text) == list(chats)
    as_datetime = [  # a DataFrame row holds the timestamp as a datetime
        {**row, "chat_timestamp": datetime.fromisoformat(row["chat_timestamp"])} for row in rows
    ]
    assert unflatten_chats(as_datetime + rows) == list(chats)


async def test_rows_without_message_index_load_as_before() -> None:
    chats = await make_chats(2)
    old = [{k: v for k, v in row.items() if k != "message_index"} for row in flatten_chats(chats)]
    assert unflatten_chats(old) == list(chats)
    doubled = unflatten_chats(old + old)  # no place recorded: every row is a message
    assert [len(chat.all) for chat in doubled] == [2 * len(chat.all) for chat in chats]
    assert [m.uuid for m in doubled[0].messages] == [m.uuid for m in chats[0].messages] * 2
    assert [m.uuid for m in doubled[0].generated] == [m.uuid for m in chats[0].generated] * 2
    # the same file appended to after the change: the old rows take their places in row order
    assert unflatten_chats(old + flatten_chats(chats)) == list(chats)
    assert unflatten_chats(flatten_chats(chats) + old) == list(chats)
    # a row made by hand as 2.3 code makes them (no index) adds a message after the others;
    # it used to take messages[0]'s place and raise as a conflicting copy
    rows = flatten_chats(chats[0])
    extra = {k: v for k, v in rows[0].items() if k != "message_index"}
    extra.update(message_id=str(uuid4()), content="follow-up")
    [loaded] = unflatten_chats([*rows, extra])
    assert [m.content for m in loaded.messages] == [
        *(m.content for m in chats[0].messages),
        "follow-up",
    ]
    assert loaded.generated == chats[0].generated

    import pandas as pd

    df = chats_to_df(chats)
    before = df.drop(columns=["message_index"])
    assert df_to_chats(before) == list(chats)
    mixed = pd.concat([before, df], ignore_index=True)  # missing values: a float column
    assert str(mixed["message_index"].dtype) == "float64"
    assert df_to_chats(mixed) == list(chats)


@pytest.mark.parametrize("index", [-1, "0", True, 1.5, [0]])
def test_a_bad_message_index_is_named(index: object) -> None:
    row = flatten_chats(rg.Chat(["hi"]))[0]
    with pytest.raises(ValueError, match="row 0: column 'message_index' must be an int of 0"):
        unflatten_chats([{**row, "message_index": index}])
