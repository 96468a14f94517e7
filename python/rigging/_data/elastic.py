"""Chats in Elasticsearch: bulk actions, indexing, and reading search hits back."""

from __future__ import annotations

import math
import typing as t
from collections.abc import Iterable, Mapping, Sequence

from rigging._deps import import_optional
from rigging._pipeline.chat import Chat
from rigging.error import _clip

if t.TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

__all__ = [
    "ElasticMapping",
    "ElasticOpType",
    "chats_to_elastic",
    "chats_to_elastic_data",
    "elastic_data_to_chats",
    "elastic_to_chats",
]

ElasticOpType = t.Literal["index", "create", "delete"]
"""Bulk operation used for each chat."""

_MESSAGE_MAPPING: dict[str, t.Any] = {
    "type": "nested",
    "properties": {
        # Parsed parts hold arbitrary model fields: stored in _source, never mapped, so two
        # models with a same-named field of different types cannot conflict.
        "parts": {"type": "object", "enabled": False},
    },
}

ElasticMapping: dict[str, t.Any] = {
    "properties": {"messages": _MESSAGE_MAPPING, "generated": _MESSAGE_MAPPING}
}
"""Index mapping: messages as nested documents, parsed parts kept but not indexed."""


def _as_list(chats: Chat | Iterable[Chat]) -> list[Chat]:
    return [chats] if isinstance(chats, Chat) else list(chats)


def chats_to_elastic_data(
    chats: Chat | Iterable[Chat], index: str, *, op_type: ElasticOpType = "index"
) -> list[dict[str, t.Any]]:
    """Build bulk actions for chats: the chat's uuid is the document id.

    The source is the chat's JSON-mode dump without ``uuid`` (ids, timestamps and the error as
    text), so any JSON serializer can send it. Elasticsearch refuses NaN and the infinities
    (JSON has no such numbers), and rigging's own JSON keeps them as ``NaN``/``Infinity``
    rather than writing null: a chat holding one (a ``-inf`` logprob in metadata) is refused
    here, before anything is sent, with the field named.

    Args:
        chats: A chat or several.
        index: Target index.
        op_type: Bulk operation; ``"delete"`` actions carry no source.

    Returns:
        One action per chat.

    Raises:
        ValueError: `op_type` is not one of ``index``, ``create``, ``delete``; or a chat holds
            a NaN or infinite float (the message names each such chat and field, clipped).
    """
    if op_type not in ("index", "create", "delete"):
        raise ValueError(f"op_type must be 'index', 'create' or 'delete', got {op_type!r}")
    actions: list[dict[str, t.Any]] = []
    refused: list[str] = []
    for chat in _as_list(chats):
        action: dict[str, t.Any] = {"_index": index, "_op_type": op_type, "_id": str(chat.uuid)}
        if op_type != "delete":
            source = action["_source"] = chat.model_dump(mode="json", exclude={"uuid"})
            refused.extend(f"chat {chat.uuid}: {path}" for path in _non_finite(source))
        actions.append(action)
    if refused:
        shown = "; ".join(refused[:_SHOWN])
        more = f" (and {len(refused) - _SHOWN} more)" if len(refused) > _SHOWN else ""
        raise ValueError(
            "Elasticsearch takes no NaN or infinite numbers (JSON has none); replace them "
            f"(e.g. with None or a string) before sending: {_clip(shown, 2000)}{more}"
        )
    return actions


_SHOWN = 10
"""Most offending fields a refused `chats_to_elastic_data` names."""


def _non_finite(source: t.Any) -> list[str]:
    """The NaN and infinite floats of a JSON-mode dump, by path, in document order.

    Paths read as ``messages[0].metadata['odd key'].x``; the walk is iterative (any depth).
    """
    found: list[str] = []
    stack: list[tuple[str, t.Any]] = [("", source)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                found.append(f"{path.lstrip('.')} = {value!r}")
        elif isinstance(value, dict):
            stack.extend(reversed([(_child(path, key), v) for key, v in value.items()]))
        elif isinstance(value, list | tuple):
            stack.extend(reversed([(f"{path}[{i}]", v) for i, v in enumerate(value)]))
    return found


def _child(path: str, key: t.Any) -> str:
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{_clip(repr(key), 40)}]"


async def chats_to_elastic(
    chats: Chat | Iterable[Chat],
    index: str,
    client: AsyncElasticsearch,
    *,
    op_type: ElasticOpType = "index",
    create_index: bool = True,
    **kwargs: t.Any,
) -> int:
    """Write chats to an Elasticsearch index with the bulk API.

    Args:
        chats: A chat or several.
        index: Target index.
        client: An ``elasticsearch.AsyncElasticsearch`` client.
        op_type: Bulk operation for each chat.
        create_index: Create the index with `ElasticMapping` if it does not exist, else put
            the mapping on it.
        **kwargs: Passed to ``elasticsearch.helpers.async_bulk``.

    Returns:
        How many actions succeeded.

    Raises:
        ModuleNotFoundError: elasticsearch is not installed (``pip install 'rigging[data]'``).
    """
    helpers = import_optional("elasticsearch.helpers", extra="data", purpose="Elasticsearch")
    actions = chats_to_elastic_data(chats, index, op_type=op_type)
    if not actions:
        return 0
    if create_index:
        if await client.indices.exists(index=index):
            await client.indices.put_mapping(index=index, properties=ElasticMapping["properties"])
        else:
            await client.indices.create(index=index, mappings=ElasticMapping)
    success, _errors = await helpers.async_bulk(client, actions, **kwargs)
    return int(success)


def _hits(data: t.Any) -> Sequence[t.Any]:
    body = getattr(data, "body", data)
    while isinstance(body, Mapping) and "hits" in body:
        body = body["hits"]
    if not isinstance(body, Sequence) or isinstance(body, (str, bytes)):
        raise ValueError(
            f"expected a search response or a list of hits, found {type(body).__name__}"
        )
    return body


def elastic_data_to_chats(data: t.Any) -> list[Chat]:
    """Rebuild chats from a search response (or its ``hits``), parsed parts included.

    Args:
        data: A search response, a mapping with nested ``hits``, or a list of hits.

    Returns:
        One chat per hit, in hit order.

    Raises:
        ValueError: No list of hits was found, or a hit lacks ``_id`` or ``_source``.
    """
    chats: list[Chat] = []
    for number, hit in enumerate(_hits(data)):
        if not isinstance(hit, Mapping) or "_id" not in hit or "_source" not in hit:
            raise ValueError(f"hit {number} lacks '_id' or '_source'")
        chats.append(Chat.model_validate({**hit["_source"], "uuid": hit["_id"]}))
    return chats


async def elastic_to_chats(
    query: Mapping[str, t.Any],
    index: str,
    client: AsyncElasticsearch,
    *,
    max_results: int | None = None,
    **kwargs: t.Any,
) -> list[Chat]:
    """Search an index and rebuild the chats found.

    Args:
        query: An Elasticsearch query (the ``query`` part of a search body).
        index: The index.
        client: An ``elasticsearch.AsyncElasticsearch`` client.
        max_results: Most hits to return (the server default when None).
        **kwargs: Passed to ``client.search``.

    Returns:
        The chats.
    """
    response = await client.search(index=index, query=dict(query), size=max_results, **kwargs)
    return elastic_data_to_chats(response)
