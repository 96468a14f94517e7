"""Chats in Elasticsearch: bulk actions, indexing, and reading search hits back."""

from __future__ import annotations

import json
import typing as t
from collections.abc import Iterable, Mapping, Sequence

from rigging._data.unwritable import listing, non_finite, unwritable
from rigging._deps import import_optional
from rigging._pipeline.chat import Chat
from rigging.error import RiggingError, _reduce

if t.TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

__all__ = [
    "ElasticDataError",
    "ElasticMapping",
    "ElasticOpType",
    "chats_to_elastic",
    "chats_to_elastic_data",
    "elastic_actions",
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


class ElasticDataError(RiggingError, ValueError):
    """Some chats cannot be Elasticsearch documents; the others' actions are on the error.

    Raised by `chats_to_elastic_data` after every chat was tried. The message names each chat
    left out (first few) and the path of each value at fault.

    Attributes:
        failed: Each chat left out, by id (``str(chat.uuid)``): why, with paths.
        actions: The bulk actions of every other chat, in input order.
    """

    __reduce__ = _reduce

    def __init__(
        self, message: str, *, failed: dict[str, str], actions: list[dict[str, t.Any]]
    ) -> None:
        super().__init__(message)
        self.failed = failed
        self.actions = actions


def _source(chat: Chat) -> tuple[dict[str, t.Any] | None, str | None]:
    """The chat as a strict-JSON document without ``uuid``, or why it cannot be one."""
    try:
        text = chat.model_dump_json(exclude={"uuid"})
    except (ValueError, TypeError, RecursionError) as exc:  # see `unwritable`
        return None, unwritable(chat, exc)
    constants: list[str] = []

    def constant(name: str) -> float:
        constants.append(name)
        return float(name)

    source: dict[str, t.Any] = json.loads(text, parse_constant=constant)
    if constants:
        found = non_finite(source)
        more = f" and {len(found) - _PATHS} more" if len(found) > _PATHS else ""
        return None, f"{'; '.join(found[:_PATHS])}{more} ({_NO_NAN})"
    return source, None


_NO_NAN = "JSON has no NaN or infinite numbers: replace them, e.g. with None or a string"
_PATHS = 10
"""Most values at fault one chat's reason names."""


def elastic_actions(
    chats: Chat | Iterable[Chat], index: str, op_type: ElasticOpType
) -> tuple[list[dict[str, t.Any]], dict[str, str]]:
    """The bulk action of each chat that can be a document, and why each other one cannot.

    Raises:
        ValueError: `op_type` is not one of ``index``, ``create``, ``delete``.
    """
    if op_type not in ("index", "create", "delete"):
        raise ValueError(f"op_type must be 'index', 'create' or 'delete', got {op_type!r}")
    actions: list[dict[str, t.Any]] = []
    failed: dict[str, str] = {}
    for chat in _as_list(chats):
        action: dict[str, t.Any] = {"_index": index, "_op_type": op_type, "_id": str(chat.uuid)}
        if op_type != "delete":
            source, why = _source(chat)
            if why is not None:
                failed[str(chat.uuid)] = why
                continue
            action["_source"] = source
        actions.append(action)
    return actions, failed


def chats_to_elastic_data(
    chats: Chat | Iterable[Chat], index: str, *, op_type: ElasticOpType = "index"
) -> list[dict[str, t.Any]]:
    """Build bulk actions for chats: the chat's uuid is the document id.

    The source is the chat's JSON dump without ``uuid`` (ids, timestamps and the error as
    text, each lone surrogate as U+FFFD as in ``model_dump_json``), so any JSON serializer
    can send it. A chat that cannot be a strict JSON document is left out whole, never
    sent in part: one holding a NaN or an infinity (JSON has no such numbers, Elasticsearch
    refuses them; a ``-inf`` logprob in metadata), a value JSON has no form for (an object in
    metadata, bytes that are not UTF-8), or metadata nested deeper than JSON is written.

    Args:
        chats: A chat or several.
        index: Target index.
        op_type: Bulk operation; ``"delete"`` actions carry no source.

    Returns:
        One action per chat.

    Raises:
        ValueError: `op_type` is not one of ``index``, ``create``, ``delete``.
        ElasticDataError: Some chats cannot be documents (a `ValueError`); raised after every
            chat was tried. Its ``failed`` names each one with the path of each value at
            fault, its ``actions`` are those of the other chats.
    """
    actions, failed = elastic_actions(chats, index, op_type)
    if failed:
        raise ElasticDataError(
            f"{len(failed)} of {len(failed) + len(actions)} chats cannot be Elasticsearch "
            f"documents and were left out (the others' actions are on the error's "
            f"'actions'): {listing(failed.items())}",
            failed=failed,
            actions=actions,
        )
    return actions


async def chats_to_elastic(
    chats: Chat | Iterable[Chat],
    index: str,
    client: AsyncElasticsearch,
    *,
    op_type: ElasticOpType = "index",
    create_index: bool = True,
    **kwargs: t.Any,
) -> int:
    """Write chats to an Elasticsearch index with the bulk API: one document per chat.

    Every chat that can be written is, in every chunk, whatever happens to the others: a
    chat that cannot be a JSON document (see `chats_to_elastic_data`) is left out whole,
    and one Elasticsearch refuses (a ``create`` conflict, a mapping error) does not stop the
    chunks after it. Then, when any chat was not written, `ElasticBulkError` names each one
    and why. A chat is one document, so it is written whole or not at all.

    Args:
        chats: A chat or several.
        index: Target index.
        client: An ``elasticsearch.AsyncElasticsearch`` client.
        op_type: Bulk operation for each chat.
        create_index: Create the index with `ElasticMapping` if it does not exist, else put
            the mapping on it.
        **kwargs: Passed to ``elasticsearch.helpers.async_streaming_bulk`` (what
            ``async_bulk`` takes: ``chunk_size``, ``max_retries``, ``ignore_status``...).
            ``raise_on_error=False`` warns (`RuntimeWarning`) instead of raising.

    Returns:
        How many actions succeeded.

    Raises:
        ModuleNotFoundError: elasticsearch is not installed (``pip install 'rigging[data]'``).
        ElasticBulkError: Some chats were not written (an ``elasticsearch.helpers``
            ``BulkIndexError``, as 2.3 raised): raised after all the others were. Its
            ``indexed`` is the count this returns, ``failed`` each chat not written (id:
            why), ``errors`` the failed items as Elasticsearch reports them.
        elasticsearch.ApiError: A whole bulk request failed (unless
            ``raise_on_exception=False``); a note says how many chats were written before.
    """
    import_optional("elasticsearch.helpers", extra="data", purpose="Elasticsearch")
    from rigging._data.elastic_bulk import send  # imports elasticsearch

    actions, refused = elastic_actions(chats, index, op_type)
    if actions and create_index:
        if await client.indices.exists(index=index):
            await client.indices.put_mapping(index=index, properties=ElasticMapping["properties"])
        else:
            await client.indices.create(index=index, mappings=ElasticMapping)
    return await send(client, actions, refused, op_type, kwargs)


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
