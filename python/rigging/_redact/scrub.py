"""`_Scrub`: one `redact_exception` walk, making scrubbed copies of what exceptions hold."""

from __future__ import annotations

import collections
import contextlib
import itertools
import sys
from collections.abc import Callable, Mapping
from typing import Any

from rigging._redact.objects import (
    _NOT_SEARCHED,
    _items,
    _parts,
    _read,
    _rigging_owned,
    _same_kind,
    _secret_key,
    _withheld,
)
from rigging._redact.secret import MASK, _is_template, is_secret_name
from rigging._redact.shapes import _secret_pair
from rigging._redact.text import mask_urls

_MAX_VISITS = 20_000
"""Most values one `redact_exception` call visits (beyond: withheld, see `_Scrub`)."""
_MAX_DEPTH = 24
"""Deepest value `redact_exception` scrubs under an exception (deeper: withheld)."""
_MAX_PROBE = 4_000
"""Most values searched for a secret inside one object rigging cannot copy."""


#: Response headers describing a body the scrubbed copy no longer holds encoded.
_BODY_ENCODED = frozenset({"content-encoding", "transfer-encoding"})

_PENDING = object()
"""Marks a value whose copy is being made (a cycle back to it is withheld)."""


class _Scrub:
    """One `redact_exception` walk: scrubbed copies of what the exceptions hold.

    Values are replaced, never changed: strs and bytes by redacted ones, containers and
    header mappings by scrubbed copies, httpx requests, responses, headers and URLs by
    scrubbed copies, and any other object that holds a secret by the text `_withheld`.
    Each value is visited once (a copy made once is reused, so shared values stay shared
    and cycles end: a container that holds no secret is kept, cycle and all, and one that
    does is copied with the cycle replaced by `_withheld`); past `_MAX_VISITS` values or
    `_MAX_DEPTH` levels, what is left is withheld rather than searched. Not `thorough`, what
    lies past the bounds, and an object too large or unreadable to search, is kept instead:
    only what is found to hold a secret is replaced. The objects visited are kept alive for
    the walk, so their ids are not reused.
    """

    def __init__(self, redact: Callable[[str], str], thorough: bool = True) -> None:
        self.redact = redact
        self.thorough = thorough
        self.visits = _MAX_VISITS
        self.copies: dict[int, Any] = {}
        self.cycled: set[int] = set()  # containers a cycle came back to while being copied
        self.cut: set[int] = set()  # those copied again with the cycle cut
        self.holding: dict[int, bool] = {}
        self.alive: list[Any] = []
        self.found: list[BaseException] = []

    def text(self, value: str, secret: bool) -> str:
        if secret and value and not _is_template(value):
            return MASK
        redacted = self.redact(value)
        return value if redacted == value else redacted

    def data(self, value: bytes | bytearray, secret: bool) -> bytes | bytearray:
        if secret and value:
            return type(value)(MASK.encode())
        text = bytes(value).decode("utf-8", "surrogateescape")  # any bytes: kept as they are
        redacted = self.text(text, False)
        if redacted is text:
            return value
        try:
            return type(value)(redacted.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:  # `redact` put other surrogates in
            return type(value)(redacted.encode("utf-8", "replace"))

    def value(self, value: Any, depth: int, secret: bool = False) -> Any:
        """`value` without secrets: itself when it holds none, else a copy or a stand-in."""
        if value is None or isinstance(value, bool | int | float | complex):
            return value
        if isinstance(value, BaseException):  # scrubbed in place, as the chain is
            self.found.append(value)
            return value
        self.visits -= 1
        if self.visits < 0 or depth > _MAX_DEPTH:
            return _withheld(value, "past what redaction searches") if self.thorough else value
        if isinstance(value, str):
            return self.text(value, secret)
        if isinstance(value, bytes | bytearray):
            return self.data(value, secret)
        if isinstance(value, _NOT_SEARCHED):
            return value
        key = id(value)
        if key in self.copies:
            copy = self.copies[key]
            if copy is not _PENDING:
                return copy
            if key in self.cut:
                return _withheld(value, "a cycle")
            # A cycle back to a container being copied: the container itself, which is right
            # if it turns out to hold no secret (else it is copied again, the cycle cut).
            self.cycled.add(key)
            return value
        self.alive.append(value)
        mark = len(self.copies)
        self.copies[key] = _PENDING
        copy = self.rebuilt_or_withheld(value, depth, secret)
        if copy is not value and key in self.cycled and key not in self.cut:
            # The copy reaches the original (which holds a secret) through the cycle: what
            # was copied inside it is copied again, with the cycle cut.
            for stale in list(self.copies)[mark + 1 :]:
                del self.copies[stale]
            self.cut.add(key)
            copy = self.rebuilt_or_withheld(value, depth, secret)
        self.copies[key] = copy
        return copy

    def rebuilt_or_withheld(self, value: Any, depth: int, secret: bool) -> Any:
        try:
            return self.rebuilt(value, depth, secret)
        except Exception:  # a copy that cannot be made: keep nothing of it
            return _withheld(value)

    def rebuilt(self, value: Any, depth: int, secret: bool) -> Any:
        httpx = sys.modules.get("httpx")  # loaded by whoever made its objects
        if httpx is not None and isinstance(value, httpx.Headers | httpx.URL):
            return self.headers(value) if isinstance(value, httpx.Headers) else self.url(value)
        if httpx is not None and isinstance(value, httpx.Request | httpx.Response):
            if isinstance(value, httpx.Request):
                return self.request(value, depth)
            return self.response(value, depth)
        if isinstance(value, Mapping):
            return self.mapping(value, depth, secret)
        if isinstance(value, list | tuple | set | frozenset | collections.deque):
            return self.sequence(value, depth, secret)
        if _rigging_owned(value) or not self.holds(value, secret):
            return value
        self.holding[id(value)] = True
        return _withheld(value)

    def mapping(self, value: Mapping[Any, Any], depth: int, secret: bool) -> Any:
        pairs: list[tuple[Any, Any]] = []
        changed = False
        for key, item in _items(value):
            named = secret or (isinstance(key, str | bytes) and _secret_key(key))
            new_key, new_item = self.value(key, depth + 1), self.value(item, depth + 1, named)
            changed = changed or new_key is not key or new_item is not item
            pairs.append((new_key, new_item))
        if not changed:
            return value
        return dict(pairs) if type(value) is dict else _same_kind(type(value), pairs)

    def sequence(self, value: Any, depth: int, secret: bool) -> Any:
        fields = getattr(type(value), "_fields", None)  # a named tuple's field names
        named = [
            secret or (fields is not None and isinstance(name, str) and is_secret_name(name))
            for name, _ in itertools.zip_longest(fields or (), value)
        ]
        items = [
            self.pair(item, depth + 1)  # [("Authorization", "Bearer ...")]
            if _secret_pair(item) and item[1]
            else self.value(item, depth + 1, flag)
            for item, flag in zip(value, named, strict=False)
        ]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        kind: Any = type(value)
        if kind in (list, tuple, set, frozenset):
            return kind(items)
        with contextlib.suppress(Exception):
            make = getattr(kind, "_make", None)  # a named tuple
            return make(items) if make is not None else kind(items)
        return tuple(items) if isinstance(value, tuple) else list(items)

    def pair(self, pair: Any, depth: int) -> Any:
        """A ``(name, value)`` pair (a tuple, list or named tuple) with its value masked."""
        masked = (self.value(pair[0], depth + 1), MASK)
        make = getattr(type(pair), "_make", None)
        return make(masked) if make is not None else type(pair)(masked)

    def headers(self, headers: Any) -> Any:
        """An ``httpx.Headers`` copy: secret-named values masked, the others redacted."""
        raw = [(name, self.data(item, _secret_key(name))) for name, item in headers.raw]
        if all(new is old for (_, new), (_, old) in zip(raw, headers.raw, strict=True)):
            return headers
        return type(headers)(raw, encoding=headers.encoding)

    def url(self, url: Any) -> Any:
        """An ``httpx.URL`` with known secrets, user-info and secret query values masked."""
        text = str(url)
        masked = mask_urls(self.text(text, False))
        return url if masked == text else type(url)(masked)

    def request(self, request: Any, depth: int) -> Any:
        """An ``httpx.Request`` copy: method, scrubbed URL, headers and body (when read)."""
        url, headers = self.value(request.url, depth + 1), self.value(request.headers, depth + 1)
        content = _read(request)
        body = None if content is None else self.value(content, depth + 1)
        if url is request.url and headers is request.headers and body is content:
            return request
        timeout = {k: v for k, v in request.extensions.items() if k == "timeout"}
        return type(request)(request.method, url, headers=headers, content=body, extensions=timeout)

    def response(self, response: Any, depth: int) -> Any:
        """An ``httpx.Response`` copy: status, scrubbed headers, body (when read), request.

        The copy holds the body decoded, so it leaves out the headers that described its
        encoding (``Content-Encoding``).
        """
        request = getattr(response, "_request", None)  # `.request` raises when it has none
        new_request = None if request is None else self.value(request, depth + 1)
        headers = self.value(response.headers, depth + 1)
        content = _read(response)
        body = None if content is None else self.value(content, depth + 1)
        same = new_request is request and headers is response.headers and body is content
        if same and not response.history:
            return response
        raw = [(k, v) for k, v in headers.raw if k.decode("latin-1").lower() not in _BODY_ENCODED]
        info = {k: v for k, v in response.extensions.items() if k in _RESPONSE_INFO}
        return type(response)(
            response.status_code,
            headers=raw,
            content=body,
            request=new_request,
            extensions=info,
            history=[self.value(earlier, depth + 1) for earlier in response.history],
        )

    def holds(self, value: Any, secret: bool) -> bool:
        """Whether an object that cannot be copied holds a secret (or too much to tell).

        Its attributes (``__dict__`` and slots), items, a bound method's object and a
        function's closure are searched, at most `_MAX_PROBE` values: a secret value, a
        value under a secret name, or (`thorough`) a search cut short by the bound or by an
        object that cannot be read all count as holding.
        """
        budget = _MAX_PROBE
        pending: list[tuple[Any, bool, int]] = [(value, secret, 0)]
        entered: list[int] = []
        while pending:
            current, named, depth = pending.pop()
            budget -= 1
            if budget < 0 or depth > _MAX_DEPTH:
                return self.thorough
            if current is None or isinstance(current, bool | int | float | complex):
                continue
            if isinstance(current, str | bytes | bytearray):
                if self.secret_text(current, named):
                    return True
                continue
            if isinstance(current, _NOT_SEARCHED) or (depth and _rigging_owned(current)):
                continue
            key = id(current)
            if self.holding.get(key) is False or key in entered:
                continue
            if self.holding.get(key):
                return True
            entered.append(key)
            self.alive.append(current)
            try:
                parts = _parts(current)
            except Exception:  # what cannot be read cannot be told free of secrets
                return self.thorough
            pending.extend((part, named or n, depth + 1) for part, n in parts)
        for key in entered:  # nothing found in any: remembered for the next search
            self.holding[key] = False
        return False

    def secret_text(self, value: str | bytes | bytearray, named: bool) -> bool:
        if not value:
            return False
        text = value if isinstance(value, str) else bytes(value).decode("utf-8", "replace")
        return (named and not _is_template(text)) or self.redact(text) != text


_RESPONSE_INFO = frozenset({"http_version", "reason_phrase"})
"""The extensions of an httpx response a scrubbed copy keeps (the others are connections)."""
