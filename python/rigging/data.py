"""Move chats into the tools people analyse data with: rows, DataFrames, Elasticsearch, S3.

pandas, elasticsearch and boto3 come with the ``rigging[data]`` extra and are imported on first
use; a missing one raises `ModuleNotFoundError` naming the extra. Conversions are lossless:
`df_to_chats(chats_to_df(chats))`, `unflatten_chats(flatten_chats(chats))` and
`elastic_data_to_chats` of indexed chats give chats equal to the originals, parsed parts,
metadata, usage and failures included.
"""

from __future__ import annotations

from rigging._data.elastic import (
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

__all__ = [
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


__dir__ = _public_dir(globals())
