"""Response cache: never pay twice for the same request.

``generator.with_cache("responses.db")`` wraps a generator so that identical deterministic
requests are answered from an SQLite file (WAL journal; safe for many tasks and several
processes at once). See docs/design/scale.md for keys, modes, time-to-live, streaming and the
`CacheStore` protocol for other stores.
"""

from __future__ import annotations

from rigging._cache.generator import (
    CachedGenerator,
    CacheMode,
    is_deterministic,
    request_key,
    with_cache,
)
from rigging._cache.store import CacheError, CacheStore, SQLiteCache, StoredValue
from rigging._exports import public_dir as _public_dir

__all__ = [
    "CacheError",
    "CacheMode",
    "CacheStore",
    "CachedGenerator",
    "SQLiteCache",
    "StoredValue",
    "is_deterministic",
    "request_key",
    "with_cache",
]


__dir__ = _public_dir(globals())
