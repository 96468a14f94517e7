"""Shared machinery for generators that call a remote API: concurrency, pacing and retries."""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import math
import random
import sys
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import Field, PrivateAttr

from rigging import _tasks
from rigging._redact import redact_exception
from rigging.error import GenerationError, _clip, _reduce
from rigging.generator.base import Generator

__all__ = [
    "DeadlineExceededError",
    "Failure",
    "RemoteGenerator",
    "RetryPolicy",
    "cause_of",
    "clip_detail",
    "gather_all",
    "gather_settled",
    "give_up",
    "parse_retry_after",
    "with_deadline",
    "with_retries",
]

T = TypeVar("T")

UNLIMITED_CONNECTIONS = 10_000


@dataclass(frozen=True)
class Failure:
    """How a failed attempt is classified."""

    retryable: bool
    """Rate limit (429), timeout, connection error or server error (5xx)."""
    reason: str
    """Short description for the final error, e.g. ``HTTP 429 (RateLimitError)``."""
    status: int | None = None
    """HTTP status, if the attempt got a response."""
    retry_after: float | None = None
    """Seconds the server asked us to wait, if it said."""
    detail: str = ""
    """The provider's own message (before redaction), if it gave one."""
    auth: bool = False
    """The request was refused for its credentials (401/403) or none were configured."""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded exponential backoff with jitter."""

    max_retries: int
    """Retries after the first attempt (so at most ``max_retries + 1`` attempts)."""
    base: float
    """Delay before the first retry, in seconds (before jitter)."""
    cap: float
    """Upper bound for any delay, including a server's ``Retry-After``."""

    def delay(self, retry: int, retry_after: float | None, rand: Callable[[], float]) -> float:
        """Seconds to wait before retry number `retry` (0-based).

        A server's ``Retry-After`` wins (capped); otherwise ``base * 2**retry`` (capped),
        of which the upper half is jittered uniformly.

        Args:
            retry: How many retries were already made.
            retry_after: The server's requested delay, if any.
            rand: Uniform random source in [0, 1).

        Returns:
            The delay in seconds, in ``[0, cap]``.
        """
        if retry_after is not None and math.isfinite(retry_after):  # NaN slept forever
            return min(max(retry_after, 0.0), self.cap)
        if retry_after is not None and retry_after > 0:  # +inf: as long as allowed
            return self.cap
        ceiling = min(self.cap, self.base * (2.0 ** min(retry, 60)))
        return ceiling / 2 + rand() * ceiling / 2


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Read ``retry-after-ms`` or ``Retry-After`` (seconds or HTTP date) from headers.

    Args:
        headers: Response headers (case-insensitive mapping or plain dict).

    Returns:
        Seconds to wait, or None when absent or unreadable (``nan`` included: waiting NaN
        seconds never ended).
    """
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    if "retry-after-ms" in lowered:
        try:
            millis = float(lowered["retry-after-ms"])
        except ValueError:
            millis = math.nan
        if not math.isnan(millis):
            return millis / 1000
    value = lowered.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = None
    if seconds is not None:
        return None if math.isnan(seconds) else seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class DeadlineExceededError(TimeoutError):
    """A request that did not end within its timeout, counted from its start (retried)."""

    __reduce__ = _reduce


async def with_deadline(seconds: float | None, call: Callable[[], Awaitable[T]]) -> T:
    """`call()`, given at most `seconds` in all (None: no bound).

    An HTTP client's read timeout restarts on every byte received, so a server sending its
    answer a byte at a time held a request (and its connection slot) for as long as it
    liked, timeout or not. This bounds the whole request: connecting, sending, and reading
    the answer to its last byte.

    Raises:
        DeadlineExceededError: `seconds` passed before `call()` ended (it was cancelled).
    """
    if seconds is None:
        return await call()
    if sys.version_info >= (3, 11):
        scope = asyncio.timeout(seconds)
        try:
            async with scope:
                return await call()
        except TimeoutError:
            if not scope.expired():  # the call's own timeout: not ours to rename
                raise
    else:
        try:
            return await asyncio.wait_for(call(), seconds)
        except asyncio.TimeoutError:
            pass
    raise DeadlineExceededError(f"no complete answer within {seconds:g} s (the timeout)") from None


MAX_DETAIL = 500
"""Most characters of a provider's message kept in an error."""


def clip_detail(detail: str, redact: Callable[[str], str]) -> str:
    """A provider's message for an error: redacted, on one line, at most `MAX_DETAIL` long.

    Redaction comes first: a secret cut by the truncation (or whose white space the joining
    changes) would no longer be found, and its prefix would stay.

    Args:
        detail: The provider's message.
        redact: Removes secrets from text.

    Returns:
        The clipped text (`rigging.error._clip` marks a cut).
    """
    return _clip(" ".join(redact(detail).split()), MAX_DETAIL)


def failure_message(
    model: str,
    attempts: int,
    failure: Failure,
    hint: str | None = None,
    redact: Callable[[str], str] = str,
) -> str:
    """The text of the `GenerationError` for a request that gave up.

    Args:
        model: Model name.
        attempts: Attempts made.
        failure: The last failure.
        hint: What to change, for failures the user must fix (e.g. a missing key).
        redact: Removes secrets from the provider's message before it is clipped (the
            whole message still needs redacting).

    Returns:
        The message.
    """
    message = f"request to model {model!r} failed after {attempts} attempt(s); "
    message += f"last error: {failure.reason}"
    detail = clip_detail(failure.detail, redact)
    if detail:
        message += f": {detail}"
    if hint:
        message += f" ({hint})"
    return message


async def with_retries(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    classify: Callable[[Exception], Failure | None],
    model: str,
    redact: Callable[[str], str],
    rand: Callable[[], float] = random.random,
    hint: Callable[[Failure], str | None] | None = None,
) -> T:
    """Run `call`, retrying failures that `classify` calls retryable.

    Failures that `classify` does not recognise propagate unchanged. A recognised failure
    that is not retryable (a 4xx answer, refused or missing credentials) raises a
    `GenerationError` at once; a retryable one does when the retries run out. The error
    names the model, the number of attempts, the last failure (status included), the
    provider's own message and, for credential failures, what to set; its text goes
    through `redact`.

    Args:
        call: The attempt.
        policy: Retry bounds and delays.
        classify: Maps an exception to a `Failure`, or None for "not ours to handle".
        model: Model name for the final error.
        redact: Removes secrets from text put into the error.
        rand: Jitter source.
        hint: What to tell the user about a failure they must fix (None: nothing).

    Returns:
        The result of the first successful attempt.

    Raises:
        GenerationError: A failure was not retryable or persisted through every retry.
    """
    retry = 0
    while True:
        try:
            return await call()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                redact_exception(exc, redact)  # a 400/401 body may echo the key
                raise
            if not failure.retryable or retry >= policy.max_retries:
                advice = hint(failure) if hint is not None else None
                error = give_up(exc, failure, model, retry + 1, redact, advice)
                cause = cause_of(exc, redact)
                break
            await asyncio.sleep(policy.delay(retry, failure.retry_after, rand))
            retry += 1
    # Raised outside the handler: inside it, `exc` would stay the error's (suppressed but
    # reachable) __context__, its unredacted text included, when it is not the cause.
    raise error from cause


def give_up(
    exc: Exception,
    failure: Failure,
    model: str,
    attempts: int,
    redact: Callable[[str], str],
    hint: str | None = None,
) -> GenerationError:
    """The `GenerationError` for a request that failed for good (its text redacted).

    Args:
        exc: The last attempt's exception.
        failure: Its classification.
        model: Model name.
        attempts: Attempts made.
        redact: Removes secrets from the text.
        hint: What the user must change, if anything.

    Returns:
        The error (not raised).
    """
    message = redact(failure_message(model, attempts, failure, hint, redact))
    return GenerationError(
        message, model=model, status=failure.status, attempts=attempts, auth=failure.auth
    )


def cause_of(exc: Exception, redact: Callable[[str], str]) -> Exception | None:
    """`exc`, scrubbed, as the cause of the final error; None when its own text held a secret.

    A provider's error carries more than its text: the response (headers and body that
    may echo the key), the request (its ``Authorization`` header, a ``?key=`` URL), its own
    cause and context. All of it goes through `redact_exception`, which puts scrubbed
    copies in their place, so nothing reachable from the final error holds a secret, while
    its type, status, message and provider stay for debugging.
    """
    try:
        text = str(exc)
    except Exception:  # a broken __str__: keep the chain out of it
        return None
    if redact(text) != text:
        return None
    redact_exception(exc, redact)
    return exc


async def gather_all(coros: Sequence[Coroutine[Any, Any, T]]) -> list[T]:
    """Run coroutines concurrently; on the first failure cancel the rest and re-raise.

    Any error, `KeyboardInterrupt` and `SystemExit` included, is raised from the caller's
    task once the others are cancelled and awaited (see `rigging._tasks.gather_all`).

    Args:
        coros: The coroutines.

    Returns:
        Their results, in order.
    """
    return await _tasks.gather_all(coros)


async def gather_settled(coros: Sequence[Coroutine[Any, Any, T]]) -> list[T | Exception]:
    """Run coroutines concurrently; each one's exception becomes its result.

    One failure never cancels or loses the others. A `BaseException` that is not an
    `Exception` (cancellation, ``KeyboardInterrupt``) cancels the rest, waits for them and
    propagates from the caller's task: raised in a task of its own, a ``KeyboardInterrupt``
    stopped the event loop (see `rigging._tasks.settle_all`).

    Args:
        coros: The coroutines.

    Returns:
        Their results or exceptions, in order.
    """
    return await _tasks.settle_all(coros)


class _Throttle:
    """Per-event-loop semaphore and start pacing."""

    def __init__(self, max_connections: int, min_delay: float) -> None:
        self.max_connections = max_connections or UNLIMITED_CONNECTIONS
        self.min_delay = min_delay
        self.loop: asyncio.AbstractEventLoop | None = None
        self.semaphore = asyncio.Semaphore(self.max_connections)
        self.lock = asyncio.Lock()
        self.next_start = 0.0
        self.in_flight = 0
        self.peak = 0

    def __reduce__(self) -> tuple[type[_Throttle], tuple[int, float]]:
        """Pickles and deep copies are fresh throttles with the same limits.

        Its asyncio primitives belong to an event loop of this process: a remote generator
        that had sent a request did not pickle or deep-copy at all, nor did its chats.
        """
        return _Throttle, (self.max_connections, self.min_delay)

    def _bind(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self.loop:  # asyncio primitives belong to one loop
            self.loop = loop
            self.semaphore = asyncio.Semaphore(self.max_connections)
            self.lock = asyncio.Lock()
            self.next_start = 0.0

    def slot(self) -> _Slot:
        """A connection slot, held for the ``async with`` block (paced by `min_delay`)."""
        return _Slot(self)


class _Slot:
    """One request's connection slot of a `_Throttle`.

    A class, not an `asynccontextmanager`: that one runs an async generator, which
    ``asyncio.run`` closes at its end like any other still open. A stream left open holds
    its slot across its ``yield``; the loop closed the slot's generator on its own, and the
    stream's ``async with`` then failed to leave it ("generator didn't stop after athrow()").
    """

    def __init__(self, throttle: _Throttle) -> None:
        self._throttle = throttle
        self._semaphore: asyncio.Semaphore | None = None

    async def __aenter__(self) -> None:
        throttle = self._throttle
        throttle._bind()
        semaphore = throttle.semaphore
        await semaphore.acquire()
        try:
            if throttle.min_delay > 0:
                async with throttle.lock:
                    now = time.monotonic()
                    if now < throttle.next_start:
                        await asyncio.sleep(throttle.next_start - now)
                    throttle.next_start = time.monotonic() + throttle.min_delay
        except BaseException:
            semaphore.release()
            raise
        self._semaphore = semaphore
        throttle.in_flight += 1
        throttle.peak = max(throttle.peak, throttle.in_flight)

    async def __aexit__(self, *exc_info: object) -> None:
        semaphore, self._semaphore = self._semaphore, None
        if semaphore is not None:
            self._throttle.in_flight -= 1
            semaphore.release()


class RemoteGenerator(Generator):
    """A generator calling a remote API: bounded concurrency, request pacing and retries."""

    max_connections: int = Field(default=10, ge=0)
    """Requests in flight at once, per event loop (0 means effectively unlimited)."""
    min_delay_between_requests: float = Field(default=0.0, ge=0)
    """Minimum time between the starts of two requests, in milliseconds."""
    max_retries: int = Field(default=3, ge=0)
    """Retries on rate limits (429), timeouts, connection errors and 5xx responses."""
    backoff_base: float = Field(default=0.5, ge=0)
    """Delay before the first retry, in seconds; doubles on each retry (with jitter)."""
    backoff_max: float = Field(default=30.0, ge=0)
    """Upper bound for one retry delay, in seconds; also caps a server's Retry-After."""

    _throttle: _Throttle | None = PrivateAttr(default=None)

    def _current_throttle(self) -> _Throttle:
        throttle = self._throttle
        if (
            throttle is None
            or throttle.max_connections != (self.max_connections or UNLIMITED_CONNECTIONS)
            or throttle.min_delay != self.min_delay_between_requests / 1000
        ):
            throttle = _Throttle(self.max_connections, self.min_delay_between_requests / 1000)
            self._throttle = throttle
        return throttle

    def _slot(self) -> Any:
        return self._current_throttle().slot()

    @property
    def semaphore(self) -> asyncio.Semaphore:
        """The semaphore bounding requests in flight (``max_connections``) on this event loop.

        Read it inside the event loop that sends the requests: each loop has its own.
        """
        throttle = self._current_throttle()
        with contextlib.suppress(RuntimeError):  # no running loop: the one made at creation
            throttle._bind()
        return throttle.semaphore

    @property
    def peak_connections(self) -> int:
        """Most requests that were in flight at once so far (for monitoring and tests)."""
        return 0 if self._throttle is None else self._throttle.peak

    def _policy(self) -> RetryPolicy:
        return RetryPolicy(self.max_retries, self.backoff_base, self.backoff_max)

    def _hint(self, failure: Failure) -> str | None:
        """What to tell the user about a failure they must fix (credentials); None: nothing."""
        if not failure.auth:
            return None
        if self.api_key:
            return "the provider refused the api key; check api_key="
        return "no api key was configured; pass api_key= (or ,api_key= in the identifier)"

    async def _call(
        self,
        attempt: Callable[[], Awaitable[T]],
        classify: Callable[[Exception], Failure | None],
        redact: Callable[[str], str] | None = None,
    ) -> T:
        """Run one request: wrapped by `wrap`, inside a connection slot, with retries.

        `redact` scrubs error text (default: the generator's `_redact`); pass the request's
        `_request_redactor` so secrets of its params are removed too.
        """
        wrapped = self._wrapped(attempt)

        async def one() -> T:
            async with self._slot():
                return await wrapped()

        return await with_retries(
            one,
            policy=self._policy(),
            classify=classify,
            model=self.model,
            redact=self._redact if redact is None else redact,
            hint=self._hint,
        )
