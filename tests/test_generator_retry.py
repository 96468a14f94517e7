import asyncio
import email.utils
import itertools
import time
import types

import pytest

from rigging.error import GenerationError
from rigging.generator import _remote
from rigging.generator._remote import (
    Failure,
    RemoteGenerator,
    RetryPolicy,
    parse_retry_after,
    with_retries,
)


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    policy = RetryPolicy(max_retries=5, base=1.0, cap=5.0)
    assert policy.delay(0, None, lambda: 0.0) == 0.5
    assert policy.delay(0, None, lambda: 1.0) == 1.0
    assert policy.delay(2, None, lambda: 0.0) == 2.0
    assert policy.delay(10, None, lambda: 1.0) == 5.0
    assert policy.delay(10_000, None, lambda: 1.0) == 5.0


def test_retry_after_wins_but_is_capped() -> None:
    policy = RetryPolicy(max_retries=1, base=1.0, cap=3.0)
    assert policy.delay(0, 2.0, lambda: 0.5) == 2.0
    assert policy.delay(0, 100.0, lambda: 0.5) == 3.0
    assert policy.delay(0, -1.0, lambda: 0.5) == 0.0
    assert policy.delay(0, float("inf"), lambda: 0.5) == 3.0
    assert policy.delay(0, float("nan"), lambda: 0.0) == 0.5  # the backoff, never NaN
    assert policy.delay(0, float("-inf"), lambda: 0.0) == 0.5


def test_parse_retry_after() -> None:
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "soon"}) is None
    # NaN parses as a float: waiting NaN seconds never ended (the request hung)
    assert parse_retry_after({"Retry-After": "nan"}) is None
    assert parse_retry_after({"retry-after-ms": "NaN"}) is None
    assert parse_retry_after({"retry-after-ms": "nan", "retry-after": "3"}) == 3.0
    assert parse_retry_after({}) is None
    assert parse_retry_after(None) is None
    future = email.utils.formatdate(time.time() + 60, usegmt=True)
    seconds = parse_retry_after({"Retry-After": future})
    assert seconds is not None
    assert 50 < seconds <= 60


class _FlakyError(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(f"status {status} sk-secret")
        self.status = status


def _classify(exc: Exception) -> Failure | None:
    if isinstance(exc, _FlakyError):
        return Failure(exc.status >= 429, f"HTTP {exc.status}", exc.status)
    return None


async def test_retries_until_success() -> None:
    attempts: list[int] = []

    async def call() -> str:
        attempts.append(1)
        if len(attempts) < 3:
            raise _FlakyError(503)
        return "ok"

    result = await with_retries(
        call,
        policy=RetryPolicy(5, 0.001, 0.01),
        classify=_classify,
        model="m",
        redact=lambda s: s,
    )
    assert result == "ok"
    assert len(attempts) == 3


async def test_gives_up_with_a_clear_error_naming_model_and_status() -> None:
    attempts: list[int] = []

    async def call() -> str:
        attempts.append(1)
        raise _FlakyError(429)

    with pytest.raises(GenerationError) as info:
        await with_retries(
            call,
            policy=RetryPolicy(2, 0.001, 0.01),
            classify=_classify,
            model="gpt-x",
            redact=lambda s: s,
        )
    assert len(attempts) == 3
    assert str(info.value) == (
        "request to model 'gpt-x' failed after 3 attempt(s); last error: HTTP 429"
    )
    assert info.value.status == 429
    assert info.value.attempts == 3
    assert info.value.model == "gpt-x"


async def test_non_retryable_and_unknown_errors_propagate_at_once() -> None:
    attempts: list[int] = []

    async def bad_request() -> str:
        attempts.append(1)
        raise _FlakyError(400)

    with pytest.raises(
        GenerationError, match=r"after 1 attempt\(s\); last error: HTTP 400"
    ) as info:
        await with_retries(
            bad_request,
            policy=RetryPolicy(3, 0.001, 0.01),
            classify=_classify,
            model="m",
            redact=lambda text: text.replace("sk-secret", "***"),
        )
    assert info.value.status == 400
    assert info.value.__cause__ is None  # the original's text holds the key

    async def bug() -> str:
        attempts.append(1)
        raise KeyError("x")

    with pytest.raises(KeyError):
        await with_retries(
            bug, policy=RetryPolicy(3, 0.001, 0.01), classify=_classify, model="m", redact=str
        )
    assert len(attempts) == 2


class _Remote(RemoteGenerator):
    pass


async def test_max_connections_bounds_in_flight_calls() -> None:
    gen = _Remote(model="m", max_connections=3)
    active = 0
    peak = 0

    async def work() -> int:
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.01)
        active -= 1
        return 1

    results = await asyncio.gather(*(gen._call(work, _classify) for _ in range(50)))
    assert sum(results) == 50
    assert peak == 3
    assert gen.peak_connections == 3


async def test_min_delay_spaces_request_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Slots are granted `min_delay` apart. On a clock the test drives: measured on the real
    one, a start the loaded machine ran late made the next gap short (a red CI)."""
    clock = [1000.0]
    sleeps: list[float] = []
    real_sleep = asyncio.sleep

    async def sleep(delay: float) -> None:
        sleeps.append(delay)
        clock[0] += delay
        await real_sleep(0)

    monkeypatch.setattr(_remote, "time", types.SimpleNamespace(monotonic=lambda: clock[0]))
    # The module's own names only (the loop's clock and sleep stay real).
    monkeypatch.setattr(
        _remote, "asyncio", types.SimpleNamespace(**{**vars(asyncio), "sleep": sleep})
    )
    gen = _Remote(model="m", max_connections=0, min_delay_between_requests=20)
    starts: list[float] = []

    async def work() -> None:
        starts.append(clock[0])
        clock[0] += 0.005  # the request itself takes time: the gaps stay 20 ms all the same

    await asyncio.gather(*(gen._call(work, _classify) for _ in range(4)))
    gaps = [round(b - a, 9) for a, b in itertools.pairwise(starts)]
    assert gaps == [0.02, 0.02, 0.02]
    assert len(sleeps) == 3


async def test_wrap_decorates_every_call() -> None:
    gen = _Remote(model="m")
    seen: list[str] = []

    def wrapper(call):  # type: ignore[no-untyped-def]
        async def inner(*args, **kwargs):  # type: ignore[no-untyped-def]
            seen.append("before")
            return await call(*args, **kwargs)

        return inner

    async def work() -> str:
        return "done"

    assert gen.wrap(wrapper) is gen
    assert await gen._call(work, _classify) == "done"
    assert seen == ["before"]
