"""S3 existence checks used by the S3 watcher (any boto3-compatible client)."""

from __future__ import annotations

import asyncio
import typing as t

__all__ = ["s3_bucket_exists", "s3_object_exists"]


def _is_not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NoSuchBucket", "NotFound")


async def s3_bucket_exists(client: t.Any, bucket: str) -> bool:
    """Whether `bucket` exists (``head_bucket``, run in a worker thread).

    Args:
        client: A boto3 S3 client.
        bucket: Bucket name.

    Returns:
        True when it exists, False on a not-found error; other errors propagate.
    """
    try:
        await asyncio.to_thread(client.head_bucket, Bucket=bucket)
    except Exception as exc:
        if _is_not_found(exc):
            return False
        raise
    return True


async def s3_object_exists(client: t.Any, bucket: str, key: str) -> bool:
    """Whether object `key` exists in `bucket` (``head_object``, run in a worker thread).

    Args:
        client: A boto3 S3 client.
        bucket: Bucket name.
        key: Object key.

    Returns:
        True when it exists, False on a not-found error; other errors propagate.
    """
    try:
        await asyncio.to_thread(client.head_object, Bucket=bucket, Key=key)
    except Exception as exc:
        if _is_not_found(exc):
            return False
        raise
    return True
