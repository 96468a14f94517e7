"""NaN and infinities in a chat sent to Elasticsearch: refused before sending, field named."""

from __future__ import annotations

import math

import pytest
from _servers.elastic_stub import ElasticStub

import rigging as rg
from rigging.data import chats_to_elastic, chats_to_elastic_data
from rigging.generator.testing import EchoGenerator


async def _chats() -> list[rg.Chat]:
    good = await EchoGenerator().chat("fine").meta(score=1.5).run()
    bad = await EchoGenerator().chat("hi").meta(score=math.nan).run()
    bad.messages[0].metadata["logprobs"] = [0.0, -math.inf]
    bad.generated[0].metadata["odd key"] = {"x": math.inf}
    return [good, bad]


async def test_the_bulk_data_names_every_non_finite_field() -> None:
    good, bad = await _chats()
    with pytest.raises(ValueError, match="Elasticsearch takes no NaN or infinite numbers") as info:
        chats_to_elastic_data([good, bad], "chats")
    text = str(info.value)
    assert f"chat {bad.uuid}: metadata.score = nan" in text
    assert f"chat {bad.uuid}: messages[0].metadata.logprobs[1] = -inf" in text
    assert f"chat {bad.uuid}: generated[0].metadata['odd key'].x = inf" in text
    assert str(good.uuid) not in text
    # Deleting needs no source: nothing to refuse.
    assert len(chats_to_elastic_data([good, bad], "chats", op_type="delete")) == 2
    assert len(chats_to_elastic_data(good, "chats")) == 1


async def test_many_fields_are_clipped() -> None:
    chat = await EchoGenerator().chat("hi").meta(**{f"k{i}": math.nan for i in range(50)}).run()
    with pytest.raises(ValueError, match=r"\(and 40 more\)"):
        chats_to_elastic_data(chat, "chats")


async def test_nothing_is_sent_when_a_chat_is_refused() -> None:
    from elasticsearch import AsyncElasticsearch

    chats = await _chats()
    with ElasticStub() as server:
        client = AsyncElasticsearch(server.url)
        try:
            with pytest.raises(ValueError, match=r"metadata\.score = nan"):
                await chats_to_elastic(chats, "chats", client)
            assert server.requests == []
            assert await chats_to_elastic(chats[0], "chats", client) == 1
        finally:
            await client.close()
