"""Counts of items a batch run holds: an int from 0 to `MAX_ITEMS_LIMIT`, checked up front.

A huge count used to fail with a bare `MemoryError` (or stall allocating per-item state):
every runner now refuses it with an error naming the argument and the bound, before anything
is rendered, allocated or sent.
"""

from __future__ import annotations

import itertools
import typing as t
from collections.abc import Callable, Sequence

import pytest

import rigging as rg
from rigging._pipeline import state
from rigging._pipeline.state import MAX_ITEMS_LIMIT, check_count
from rigging.generator.testing import EchoGenerator

HUGE = 10**12
"""A count no machine holds the per-item state of (8 TB of pointers alone)."""


class HugeParams(Sequence[t.Any]):
    """A sequence claiming `HUGE` entries, none of them params (reading one is an error)."""

    def __len__(self) -> int:
        return HUGE

    @t.overload
    def __getitem__(self, index: int) -> t.Any: ...
    @t.overload
    def __getitem__(self, index: slice) -> Sequence[t.Any]: ...
    def __getitem__(self, index: int | slice) -> t.Any:
        return 0


def _prompt(generator: EchoGenerator) -> t.Any:
    @rg.prompt(generator=generator)
    async def say(word: str) -> str:  # type: ignore[empty-body]  # a prompt's body is not run
        """Say {{ word }}."""

    return say


Call = Callable[[EchoGenerator], t.Any]

CALLS: list[tuple[str, Call, str]] = [
    ("chat run_many", lambda g: g.chat("hi").run_many(HUGE), "count"),
    ("chat run_many limit+1", lambda g: g.chat("hi").run_many(MAX_ITEMS_LIMIT + 1), "count"),
    ("completion run_many", lambda g: g.complete("hi").run_many(HUGE), "count"),
    ("chat stream_many", lambda g: g.chat("hi").stream_many(HUGE), "count"),
    ("completion stream_many", lambda g: g.complete("hi").stream_many(HUGE), "count"),
    ("chat run_batch", lambda g: g.chat("hi").run_batch(range(HUGE)), r"len\(many\)"),
    ("completion run_batch", lambda g: g.complete("hi").run_batch(range(HUGE)), r"len\(many\)"),
    ("chat stream_batch", lambda g: g.chat("hi").stream_batch(range(HUGE)), r"len\(many\)"),
    ("params", lambda g: g.chat("hi").run_batch(["a"], HugeParams()), r"len\(params\)"),
    ("many params", lambda g: g.chat("hi").run_many(2, params=HugeParams()), r"len\(params\)"),
    ("prompt run_many", lambda g: _prompt(g).run_many(HUGE, "x"), "count"),
    ("prompt bind_many", lambda g: _prompt(g).bind_many(g)(HUGE, "x"), "count"),
]


@pytest.mark.parametrize(
    ("call", "name"), [(c, n) for _, c, n in CALLS], ids=[i for i, _, _ in CALLS]
)
async def test_a_huge_count_is_refused_before_any_work(call: Call, name: str) -> None:
    generator = EchoGenerator()
    bound = rf"{name} must be at most 10,000,000, got [\d,]+ \(a run keeps every item in memory"
    with pytest.raises(ValueError, match=bound):
        await _attempt(call, generator)
    assert generator.calls == []


async def _attempt(call: Call, generator: EchoGenerator) -> None:
    """Make the call, and await it when it is a coroutine (streams refuse when opened)."""
    result = call(generator)
    if hasattr(result, "__await__"):
        await result


async def test_counts_of_0_run_and_other_types_or_negatives_are_named() -> None:
    generator = EchoGenerator()
    assert await generator.chat("hi").run_many(0) == []
    assert await _prompt(generator).run_many(0, "x") == []
    with pytest.raises(TypeError, match="count must be an int, got bool True"):
        await _prompt(generator).run_many(True, "x")
    with pytest.raises(TypeError, match=r"count must be an int, got float 2\.5"):
        await _prompt(generator).bind_many(generator)(2.5, "x")
    with pytest.raises(ValueError, match="count must be 0 or more, got -1"):
        await _prompt(generator).run_many(-1, "x")
    assert generator.calls == []


def test_the_checker_takes_the_bound_itself_and_names_the_argument() -> None:
    check_count("count", 0)
    check_count("count", MAX_ITEMS_LIMIT)
    with pytest.raises(ValueError, match=r"^n must be at most 10,000,000, got 10,000,001 \("):
        check_count("n", MAX_ITEMS_LIMIT + 1)
    with pytest.raises(TypeError, match=r"^n must be an int, got bool False"):
        check_count("n", False)


async def test_an_unsized_batch_is_read_up_to_the_bound_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(state, "MAX_ITEMS_LIMIT", 3)
    generator = EchoGenerator()
    pipeline = generator.chat("hi")
    chats = await pipeline.run_batch(iter(["a", "b", "c"]))
    assert [c.last.content for c in chats] == ["a", "b", "c"]
    with pytest.raises(ValueError, match=r"len\(many\) must be at most 3, got more \(a run keeps"):
        await pipeline.run_batch(iter(["a", "b", "c", "d"]))
    endless = itertools.repeat("a")  # stops at the bound instead of reading forever
    with pytest.raises(ValueError, match=r"len\(many\) must be at most 3, got more"):
        await pipeline.run_batch(endless)
    with pytest.raises(ValueError, match="count must be at most 3, got 4"):
        await pipeline.run_many(4)
    assert len(generator.calls) == 3
