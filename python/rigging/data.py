"""Move chats into the tools people analyse data with: rows, DataFrames, Elasticsearch, S3.

pandas, elasticsearch and boto3 come with the ``rigging[data]`` extra and are imported on first
use; a missing one raises `ModuleNotFoundError` naming the extra. Conversions are lossless:
`df_to_chats(chats_to_df(chats))`, `unflatten_chats(flatten_chats(chats))` and
`elastic_data_to_chats` of indexed chats give chats equal to the originals, parsed parts,
metadata, usage and failures included.

A chat that cannot be written (a value JSON has no form for, or nested deeper than JSON is
written; for Elasticsearch also a NaN or an infinity) is named in the error, with the path of
the value at fault (``messages[2].metadata['scores'][0]``). `chats_to_elastic` writes every
other chat first, then raises `ElasticBulkError` (``rigging.data.ElasticBulkError``, loaded
with elasticsearch on first use; an ``elasticsearch.helpers.BulkIndexError``).
"""

from __future__ import annotations

import typing as t

from rigging._data.elastic import (
    ElasticDataError,
    ElasticMapping,
    ElasticOpType,
    chats_to_elastic,
    chats_to_elastic_data,
    elastic_data_to_chats,
    elastic_to_chats,
)
from rigging._data.flat import chats_to_df, df_to_chats, flatten_chats, unflatten_chats
from rigging._data.s3 import s3_bucket_exists, s3_object_exists
from rigging._exports import public_dir as _public_dir

if t.TYPE_CHECKING:
    from rigging._data.elastic_bulk import ElasticBulkError as ElasticBulkError

__all__ = [
    "ElasticDataError",
    "ElasticMapping",
    "ElasticOpType",
    "chats_to_df",
    "chats_to_elastic",
    "chats_to_elastic_data",
    "df_to_chats",
    "elastic_data_to_chats",
    "elastic_to_chats",
    "flatten_chats",
    "s3_bucket_exists",
    "s3_object_exists",
    "unflatten_chats",
]


def __getattr__(name: str) -> t.Any:
    if name == "ElasticBulkError":  # defined over elasticsearch's error: loaded on first use
        from rigging._data.elastic_bulk import ElasticBulkError

        return ElasticBulkError
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__dir__ = _public_dir(globals())
