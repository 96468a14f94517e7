"""Sending bulk actions: every chunk is sent, then the chats not written are named.

Imported on first use of `rigging.data.chats_to_elastic` (it imports elasticsearch).
"""

from __future__ import annotations

import typing as t
import warnings
from collections.abc import Mapping

from elasticsearch.helpers import BulkIndexError, async_streaming_bulk

from rigging._data.unwritable import listing
from rigging.error import RiggingError, _add_note, _clip, _reduce, _safe_str

if t.TYPE_CHECKING:
    from elasticsearch import AsyncElasticsearch

__all__ = ["ElasticBulkError", "send"]


class ElasticBulkError(RiggingError, BulkIndexError):
    """Some chats were not written to Elasticsearch; every other one was.

    Raised by `rigging.data.chats_to_elastic` once every chunk was sent. An
    ``elasticsearch.helpers.BulkIndexError`` (what 2.3 raised for failed items), so
    ``except BulkIndexError`` and its ``errors`` keep working. The message names each chat
    not written (first few) and why.

    Attributes:
        indexed: How many actions succeeded (what `chats_to_elastic` returns).
        failed: Each chat not written, by id (``str(chat.uuid)``): why. A chat that cannot
            be a JSON document names the path of each value at fault; one Elasticsearch
            refused gives its status, error type and reason.
        errors: The failed items as Elasticsearch reports them (``{op: {"_id", "status",
            "error", ...}}``, without the document), a chat left out before sending as one
            with status 400 and error type ``rigging_not_json``.
    """

    __reduce__ = _reduce

    def __init__(
        self,
        message: str,
        errors: list[dict[str, t.Any]],
        *,
        indexed: int,
        failed: dict[str, str],
    ) -> None:
        super().__init__(message, errors)
        self.indexed = indexed
        self.failed = failed


NOT_JSON = "rigging_not_json"
"""Error type of the `ElasticBulkError.errors` item of a chat left out before sending."""


def _reason(item: Mapping[str, t.Any]) -> str:
    """``status type: reason`` of a failed bulk item (the error may be a dict or text)."""
    error = item.get("error")
    if isinstance(error, Mapping):
        kind, reason = error.get("type", "error"), error.get("reason")
        text = f"{kind}: {reason}" if reason else str(kind)
    else:
        text = _safe_str(error) if error is not None else "no error given"
    return _clip(f"Elasticsearch refused it ({item.get('status', '?')} {text})", 1000)


def _item(kind: str, info: Mapping[str, t.Any]) -> dict[str, t.Any]:
    """A failed item as reported, without the document and the exception object."""
    return {kind: {k: v for k, v in info.items() if k not in ("data", "exception")}}


async def send(
    client: AsyncElasticsearch,
    actions: list[dict[str, t.Any]],
    refused: dict[str, str],
    op_type: str,
    kwargs: dict[str, t.Any],
) -> int:
    """Send `actions` in bulk, then report the chats not written (`refused` ones included).

    Args:
        client: The client.
        actions: The bulk actions.
        refused: Chats left out before sending (id: why).
        op_type: The bulk operation (for the error items of `refused` chats).
        kwargs: ``chats_to_elastic``'s extra arguments (for the streaming bulk helper).

    Returns:
        How many actions succeeded.

    Raises:
        ElasticBulkError: Some chats were not written (unless ``raise_on_error=False``).
    """
    options = dict(kwargs)
    raising = bool(options.pop("raise_on_error", True))
    options.pop("stats_only", None)  # only shapes async_bulk's result, which is not returned
    options["yield_ok"] = True
    ignored = options.get("ignore_status", ())
    ignored = {ignored} if isinstance(ignored, int) else set(ignored)
    failed = dict(refused)
    errors: list[dict[str, t.Any]] = [
        {op_type: {"_id": chat_id, "status": 400, "error": {"type": NOT_JSON, "reason": why}}}
        for chat_id, why in refused.items()
    ]
    indexed = 0
    try:
        if actions:
            bulk = async_streaming_bulk(client, actions, raise_on_error=False, **options)
            async for ok, result in bulk:
                if ok:
                    indexed += 1
                    continue
                ((kind, info),) = result.items()
                if info.get("status") in ignored:
                    continue
                chat_id = str(info.get("_id"))
                why = _reason(info)
                failed[chat_id] = f"{failed[chat_id]}; {why}" if chat_id in failed else why
                errors.append(_item(kind, info))
    except Exception as exc:  # a whole request failed: say what was written before it
        note = _interrupted(indexed, len(actions), failed)
        _add_note(exc, note)
        raise
    if failed:
        _report(indexed, failed, errors, total=len(actions) + len(refused), raising=raising)
    return indexed


def _interrupted(indexed: int, sent: int, failed: dict[str, str]) -> str:
    text = f"rigging: {indexed} of {sent} bulk actions had succeeded before this error"
    if failed:
        text += f"; chats not written: {listing(failed.items())}"
    return _clip(text, 4000)


def _report(
    indexed: int,
    failed: dict[str, str],
    errors: list[dict[str, t.Any]],
    *,
    total: int,
    raising: bool,
) -> None:
    message = (
        f"{len(failed)} of {total} chats were not written to Elasticsearch ({indexed} "
        f"actions succeeded): {listing(failed.items())}"
    )
    if not raising:
        warnings.warn(message, RuntimeWarning, stacklevel=4)
        return
    raise ElasticBulkError(message, errors, indexed=indexed, failed=failed)
