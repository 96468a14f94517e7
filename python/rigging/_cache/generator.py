"""`CachedGenerator`: a generator that answers repeated requests from a `CacheStore`.

The key of a request is the sha256 of canonical JSON (sorted keys, no whitespace) holding the
wrapped generator's class and identifier (never its api key), the request params merged over
the generator's own, and the conversation (OpenAI-style dicts) or prompt text. Store calls run
on a worker thread, never on the event loop.
"""

from __future__ import annotations

import hashlib
import json
import time
import typing as t
import warnings
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timezone

from pydantic import ConfigDict, Field, ValidationError, field_validator

from rigging._cache.store import CacheError, CacheStore, SQLiteCache, StoredValue
from rigging._redact import REVEAL, redact_known
from rigging._tasks import RelayedStream
from rigging.error import _safe_str
from rigging.generator.base import Generator, WrapFunc, check_batch
from rigging.generator.chunks import StreamChunk
from rigging.generator.params import GenerateParams
from rigging.generator.results import GeneratedMessage, GeneratedText, Usage
from rigging.logging import log
from rigging.message import Message

if t.TYPE_CHECKING:
    from typing_extensions import Self


__all__ = ["CacheMode", "CachedGenerator", "is_deterministic", "request_key"]

CacheMode = t.Literal["read_write", "read_only", "refresh"]
"""``read_write``: answer hits, store misses; ``read_only``: answer hits, store nothing;
``refresh``: never answer from the cache, store every answer (overwriting)."""

_MODES = ("read_write", "read_only", "refresh")
KEY_VERSION = 1
"""Part of every key: bump to invalidate entries when the key layout changes."""

ResultT = t.TypeVar("ResultT", GeneratedMessage, GeneratedText)


def is_deterministic(params: GenerateParams) -> bool:
    """Whether a request with these (merged) params should give the same answer again.

    Sampling with ``temperature > 0`` and no ``seed`` is not; everything else is (an unset
    temperature is taken as the user not asking for variety).

    Args:
        params: The merged params.

    Returns:
        True when the answer may be cached.
    """
    return params.seed is not None or not params.temperature


def request_key(generator: Generator, params: GenerateParams, request: t.Any) -> str:
    """The cache key of one request: hex sha256 of its canonical JSON.

    Args:
        generator: The generator that would answer (the wrapped one).
        params: Request params (merged over the generator's own here).
        request: A conversation (messages) or a prompt text.

    Returns:
        The key.
    """
    return _KeyMaker(generator, force=True).key(request, params) or ""


class _KeyMaker:
    """Keys for one batch: the generator's part is computed once, params once per object."""

    def __init__(self, generator: Generator, *, force: bool) -> None:
        self.generator = generator
        self.force = force
        kind = f"{type(generator).__module__}.{type(generator).__qualname__}"
        head = {"v": KEY_VERSION, "class": kind, "generator": generator.to_identifier()}
        self.head = _dumps(head)[:-1]  # the opening of an object, completed per request
        self._params: dict[int, tuple[GenerateParams, str | None]] = {}

    def _params_json(self, params: GenerateParams) -> str | None:
        """Canonical merged params, or None when the request must bypass the cache."""
        cached = self._params.get(id(params))
        if cached is None or cached[0] is not params:
            merged = self.generator.params.merge_with(params)
            text = None
            if self.force or is_deterministic(merged):
                # Unmasked: the secret-name rule masks whole subtrees (a schema property
                # named `key`, `key_points`, `prompt_cache_key`), so masked params gave two
                # different requests one key and the second got the first one's answer.
                # Only the digest is stored, never this text.
                dumped = merged.model_dump(mode="json", exclude_none=True, context=REVEAL)
                text = _dumps(dumped)
            cached = (params, text)
            self._params[id(params)] = cached
        return cached[1]

    def key(self, request: t.Any, params: GenerateParams) -> str | None:
        params_json = self._params_json(params)
        if params_json is None:
            return None
        if isinstance(request, str):
            body = _dumps(request)
            field = "text"
        else:
            body = _dumps([m.to_openai_spec() for m in request])
            field = "messages"
        # keys sorted as json.dumps(sort_keys=True) would: class, generator, <field>, params, v
        text = f'{self.head},"{field}":{body},"params":{params_json}}}'
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _dumps(value: t.Any) -> str:
    return _ENCODER.encode(value)


class CachedGenerator(Generator):
    """Wraps a generator; identical deterministic requests are answered from a `CacheStore`.

    Build one with `Generator.with_cache`. A hit costs no request: its result has
    ``extra["cache"] = {"hit": True, "stored_at": <ISO time>, "usage": <original usage>}`` and
    zero usage, so usage totals count only what was paid for. Misses are sent to the wrapped
    generator in one batch call and stored. Requests with ``temperature > 0`` and no seed
    bypass the cache (neither read nor stored) unless `force`. Streaming replays a hit as one
    chunk and streams a miss from the wrapped generator without storing it.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, defer_build=True)

    generator: Generator
    """The wrapped generator (asked on misses)."""
    store: t.Any = Field(exclude=True, repr=False)
    """The `CacheStore` (an `SQLiteCache` for a path)."""
    mode: CacheMode = "read_write"
    """How the cache is used (see `CacheMode`)."""
    ttl: float | None = None
    """Seconds an entry stays valid (None: forever); older entries count as misses."""
    force: bool = False
    """Cache non-deterministic requests too."""

    @field_validator("mode")
    @classmethod
    def _check_mode(cls, value: str) -> str:
        if value not in _MODES:
            raise ValueError(f"mode must be one of {', '.join(_MODES)}; got {value!r}")
        return value

    @field_validator("ttl")
    @classmethod
    def _check_ttl(cls, value: float | None) -> float | None:
        if value is not None and not value > 0:  # NaN too: it made every entry a miss
            raise ValueError(f"ttl must be a positive number of seconds or None, got {value}")
        return value

    @field_validator("store")
    @classmethod
    def _check_store(cls, value: t.Any) -> t.Any:
        if not isinstance(value, CacheStore):
            raise TypeError(f"store must implement CacheStore, got {type(value).__name__}")
        return value

    def __repr__(self) -> str:
        return f"CachedGenerator({self.generator!r}, store={self.store!r}, mode={self.mode!r})"

    def to_identifier(self, params: GenerateParams | None = None) -> str:
        """The wrapped generator's connection string (the cache is not part of it).

        Args:
            params: Extra params merged over the generator's own.

        Returns:
            The connection string, without the api key.
        """
        return self.generator.to_identifier(params)

    @property
    def supports_api_tools(self) -> bool:  # type: ignore[override]
        """Whether the wrapped generator takes API tools (``using(mode="auto")`` asks this)."""
        return self.generator.supports_api_tools

    def wrap(self, func: WrapFunc | None) -> Self:
        """Wrap the wrapped generator's provider call (see `Generator.wrap`).

        Args:
            func: The decorator, or None to remove it.

        Returns:
            This generator.
        """
        self.generator.wrap(func)
        return self

    def load(self) -> Self:
        """Load the wrapped generator.

        Returns:
            This generator.
        """
        self.generator.load()
        return self

    def unload(self) -> Self:
        """Unload the wrapped generator and close the store.

        Returns:
            This generator.
        """
        self.generator.unload()
        self.store.close()
        return self

    # --- generation -----------------------------------------------------------------------------

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        """Answer each conversation from the cache or the wrapped generator.

        Args:
            messages: The conversations.
            params: One params object per conversation.

        Returns:
            One result per conversation, in order.
        """
        check_batch(messages, params)
        results = await self._generate(
            list(messages), list(params), GeneratedMessage, self.generator.generate_messages
        )
        return t.cast("list[GeneratedMessage]", results)  # the call raises, never returns errors

    async def generate_texts(
        self, texts: Sequence[str], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedText]:
        """Complete each text from the cache or the wrapped generator.

        Args:
            texts: The prompts.
            params: One params object per text.

        Returns:
            One result per text, in order.
        """
        check_batch(texts, params)
        results = await self._generate(
            list(texts), list(params), GeneratedText, self.generator.generate_texts
        )
        return t.cast("list[GeneratedText]", results)  # the call raises, never returns errors

    async def generate_messages_settled(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage | Exception]:
        """Like `generate_messages`, but one item's failure is that item's result alone.

        Hits come from the cache; only the misses go to the wrapped generator's own
        `generate_messages_settled` (so a remote generator's per-item settling is kept and no
        batch is split and sent again), and every answer that arrived is stored.

        Args:
            messages: The conversations.
            params: One params object per conversation.

        Returns:
            One result or exception per conversation, in order.
        """
        check_batch(messages, params)
        return await self._generate(
            list(messages),
            list(params),
            GeneratedMessage,
            self.generator.generate_messages_settled,
        )

    async def generate_texts_settled(
        self, texts: Sequence[str], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedText | Exception]:
        """Like `generate_texts`, but one item's failure is that item's result alone.

        Same contract as `generate_messages_settled`.

        Args:
            texts: The prompts.
            params: One params object per text.

        Returns:
            One result or exception per text, in order.
        """
        check_batch(texts, params)
        return await self._generate(
            list(texts), list(params), GeneratedText, self.generator.generate_texts_settled
        )

    def _keys(self, requests: list[t.Any], params: list[GenerateParams]) -> list[str | None]:
        """One key per request; None where the request bypasses the cache."""
        maker = _KeyMaker(self.generator, force=self.force)
        return [maker.key(r, p) for r, p in zip(requests, params, strict=True)]

    async def _generate(
        self,
        requests: list[t.Any],
        params: list[GenerateParams],
        kind: type[ResultT],
        call: t.Callable[..., t.Awaitable[Sequence[ResultT | Exception]]],
    ) -> list[ResultT | Exception]:
        """Hits from the store, misses through `call`; every answer (not error) is stored."""
        import asyncio  # only inside a running loop

        keys = self._keys(requests, params)
        results: list[ResultT | Exception | None] = [None] * len(requests)
        if self.mode != "refresh":
            wanted = [k for k in keys if k is not None]
            found = await asyncio.to_thread(self.store.get_many, wanted) if wanted else {}
            for i, key in enumerate(keys):
                stored = found.get(key) if key is not None else None
                if stored is not None and self._fresh(stored):
                    results[i] = _hit(kind, stored, key or "")
        misses = [i for i, r in enumerate(results) if r is None]
        if misses:
            answers = await call([requests[i] for i in misses], [params[i] for i in misses])
            if len(answers) != len(misses):
                return list(answers)  # the run loop reports the count mismatch
            for i, answer in zip(misses, answers, strict=True):
                results[i] = answer
            if self.mode != "read_only":
                rows = [
                    (key, answer)
                    for i, answer in zip(misses, answers, strict=True)
                    if (key := keys[i]) is not None and not isinstance(answer, Exception)
                ]
                await self._store(_encode(rows))
        return t.cast("list[ResultT | Exception]", results)

    async def _store(self, encoded: list[tuple[str, str]]) -> None:
        """Store answers; a store that fails is a warning: the answers are paid for.

        Any error of the store's, not only `CacheError`: a store of the user's (Redis, a
        KV service) raises its own (``ConnectionError``, ...), which cost the batch every
        answer that had arrived.
        """
        import asyncio  # only inside a running loop

        if not encoded:
            return
        try:
            await asyncio.to_thread(self.store.put_many, encoded)
        except Exception as exc:
            # a store's text may name its server (a URL with a password)
            text = redact_known(_safe_str(exc, named=not isinstance(exc, CacheError)))
            message = f"{len(encoded)} answers were not cached ({text})"
            log("warning", "Cache: {}", message)
            warnings.warn(message, RuntimeWarning, stacklevel=3)

    def _fresh(self, stored: StoredValue) -> bool:
        return self.ttl is None or time.time() - stored.stored_at <= self.ttl

    def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Replay a hit as one chunk; stream a miss from the wrapped generator (not stored).

        Args:
            messages: The conversation.
            params: Request params.

        Returns:
            The stream (nothing is looked up before iteration starts): the chunks, ending
            with one `StreamFinish`. Closing it closes the wrapped generator's stream.
        """
        replay = super().stream_messages

        async def start() -> AsyncIterator[StreamChunk]:
            hit = await self._lookup(list(messages), params or GenerateParams(), GeneratedMessage)
            if hit is None:
                return self.generator.stream_messages(messages, params)
            return replay(messages, params)

        return RelayedStream(start)

    def stream_texts(
        self, text: str, params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Replay a hit as one chunk; stream a miss from the wrapped generator (not stored).

        Args:
            text: The prompt.
            params: Request params.

        Returns:
            The stream (nothing is looked up before iteration starts): the chunks, ending
            with one `StreamFinish`. Closing it closes the wrapped generator's stream.
        """
        replay = super().stream_texts

        async def start() -> AsyncIterator[StreamChunk]:
            hit = await self._lookup(text, params or GenerateParams(), GeneratedText)
            if hit is None:
                return self.generator.stream_texts(text, params)
            return replay(text, params)

        return RelayedStream(start)

    async def _lookup(
        self, request: t.Any, params: GenerateParams, kind: type[ResultT]
    ) -> ResultT | None:
        import asyncio  # only inside a running loop

        if self.mode == "refresh":
            return None
        key = self._keys([request], [params])[0]
        if key is None:
            return None
        stored = (await asyncio.to_thread(self.store.get_many, [key])).get(key)
        if stored is None or not self._fresh(stored):
            return None
        return _hit(kind, stored, key)


def _encode(
    rows: Sequence[tuple[str | None, GeneratedMessage | GeneratedText]],
) -> list[tuple[str, str]]:
    """The rows to store, as JSON.

    An answer JSON cannot hold as it is (a lone surrogate the model wrote) is left out of
    the cache rather than costing the batch its results.
    """
    encoded: list[tuple[str, str]] = []
    for key, answer in rows:
        if key is None:
            continue
        try:
            encoded.append((key, answer.model_dump_json()))
        except ValueError:  # pydantic's serialization errors are ValueErrors
            continue
    return encoded


def _hit(kind: type[ResultT], stored: StoredValue, key: str) -> ResultT:
    """Rebuild a stored result, marked as a hit and costing nothing."""
    try:
        result = kind.model_validate_json(stored.value)
    except ValidationError as exc:
        raise CacheError(
            f"cache entry {key[:16]}... does not hold a {kind.__name__} ({exc.error_count()} "
            "error(s)); the cache was written by something else: use another path"
        ) from None
    when = datetime.fromtimestamp(stored.stored_at, tz=timezone.utc).isoformat()
    usage = result.usage
    result.extra = {
        **result.extra,
        "cache": {
            "hit": True,
            "stored_at": when,
            "usage": None if usage is None else usage.model_dump(),
        },
    }
    if usage is not None:
        result.usage = Usage(input_tokens=0, output_tokens=0, total_tokens=0)
    return result


def with_cache(
    generator: Generator,
    store: str | CacheStore | t.Any,
    *,
    mode: CacheMode = "read_write",
    ttl: float | None = None,
    force: bool = False,
) -> CachedGenerator:
    """Wrap `generator` so repeated deterministic requests are answered from a cache.

    Args:
        generator: The generator.
        store: A path (an `SQLiteCache` is opened there) or a `CacheStore`.
        mode: ``"read_write"``, ``"read_only"`` or ``"refresh"``.
        ttl: Seconds an entry stays valid (None: forever).
        force: Cache requests with ``temperature > 0`` and no seed too.

    Returns:
        The cached generator (sharing the generator's watch callbacks).
    """
    if isinstance(generator, CachedGenerator):
        generator = generator.generator
    if not isinstance(store, CacheStore):
        store = SQLiteCache(store)
    cached = CachedGenerator(
        model=generator.model,
        generator=generator,
        store=store,
        mode=mode,
        ttl=ttl,
        force=force,
    )
    cached.watch(*generator.watch_callbacks)
    return cached
