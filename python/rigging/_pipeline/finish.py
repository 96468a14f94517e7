"""What runs after the loop: the skip filter, then map and then callbacks (`finalize`).

Shared by every runner; `rigging._pipeline.resumable` runs the then callbacks of `iter_batch`
window by window with `_then_all`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from rigging._pipeline.completed import attach_completed, start_mark
from rigging._pipeline.state import FailMode, add_context
from rigging._tasks import own_exit_fails, settle_all
from rigging.error import CallbackResultError, RiggingError
from rigging.tracing import callback_name, tracer

__all__ = ["finalize"]

ResultT = TypeVar("ResultT")


async def finalize(
    results: list[ResultT],
    mode: FailMode,
    maps: Sequence[Callable[[list[ResultT]], Awaitable[list[ResultT]]]],
    thens: Sequence[Callable[[ResultT], Awaitable[ResultT | None]]],
    result_type: type[ResultT],
    soft: Callable[[BaseException], bool] | None = None,
) -> list[ResultT]:
    """Apply the skip filter, then map callbacks (in order), then then callbacks (each on all).

    A then callback's error that ``soft`` accepts (its type is caught by the pipeline) fails
    that item alone: it is kept with ``failed`` and ``error`` set (mode ``"include"``) or left
    out (``"skip"``), and the other items keep their results.

    Args:
        results: Results of the run, in order.
        mode: The run's failure mode.
        maps: Map callbacks.
        thens: Then callbacks.
        result_type: `Chat` or `Completion`, to check what callbacks return.
        soft: Whether an error fails its item instead of the run (None: none does).

    Returns:
        The final results.

    Raises:
        TypeError: A callback returned something other than what it must.
    """
    since = start_mark()
    positions: list[int] | None = None  # the input index of each result, once some are skipped
    if mode == "skip":
        positions = [i for i, r in enumerate(results) if not getattr(r, "failed", False)]
        results = [results[i] for i in positions]
    for callback in maps:
        try:
            with tracer.span(
                "Map with {callback}()", callback=callback_name(callback), count=len(results)
            ):
                mapped = await own_exit_fails(
                    callback(results), _stray(f"map callback {_name(callback)}")
                )
        except Exception as exc:
            add_context(exc, f"map callback {_name(callback)}", index=None, round_=None)
            attach_completed(exc, results, since)
            raise
        wrong = _not_a_list_of(mapped, result_type)
        if wrong:  # the results it was given ride along, as when the callback raises
            error = CallbackResultError(
                f"map callback {_name(callback)} must return a list of "
                f"{result_type.__name__}, got {wrong}"
            )
            raise attach_completed(error, results, since)
        results = mapped
        positions = None  # a map may reorder or drop: positions are the mapped list's
    for then in thens:
        results = await _then_all(then, results, result_type, since, positions, soft)
        if mode == "skip" and any(getattr(r, "failed", False) for r in results):
            places = range(len(results)) if positions is None else positions
            kept = [(p, r) for p, r in zip(places, results, strict=True) if not r.failed]  # type: ignore[attr-defined]
            positions = [p for p, _ in kept]
            results = [r for _, r in kept]
    return results


def _not_a_list_of(mapped: Any, result_type: type[Any]) -> str | None:
    """What is wrong with a map callback's return value, or None when it is a result list."""
    if not isinstance(mapped, list):
        return type(mapped).__name__
    for position, entry in enumerate(mapped):
        if not isinstance(entry, result_type):
            return f"a list holding {type(entry).__name__} at {position}"
    return None


async def _then_all(
    then: Callable[[ResultT], Awaitable[ResultT | None]],
    results: list[ResultT],
    result_type: type[ResultT],
    since: int = 0,
    positions: Sequence[int] | None = None,
    soft: Callable[[BaseException], bool] | None = None,
) -> list[ResultT]:
    """Run one then callback on all results concurrently.

    Every item's callback runs to its end before anything is raised (nothing keeps running
    after the run returned or raised); then the first error in input order that ``soft``
    does not accept propagates. An accepted error fails its item alone: the item's result
    (as the callback left it) is returned with ``failed`` and ``error`` set. Errors name the
    item by `positions` (its input index when failed items were skipped).
    """

    async def one(index: int, result: ResultT) -> ResultT:
        try:
            with tracer.span("Then with {callback}()", callback=callback_name(then), index=index):
                out = await own_exit_fails(then(result), _stray(f"then callback {_name(then)}"))
        except Exception as exc:
            add_context(exc, f"then callback {_name(then)}", index=index, round_=None)
            raise
        if out is None:
            return result
        if not isinstance(out, result_type):
            raise CallbackResultError(
                f"then callback {_name(then)} must return a {result_type.__name__} or None, "
                f"got {type(out).__name__} (item {index})"
            )
        return out

    indices = range(len(results)) if positions is None else positions
    outcomes = await settle_all([one(i, r) for i, r in zip(indices, results, strict=True)])
    final: list[ResultT] = []
    for result, outcome in zip(results, outcomes, strict=True):
        if not isinstance(outcome, Exception):
            final.append(outcome)
        elif soft is not None and soft(outcome):
            result.failed = True  # type: ignore[attr-defined]
            result.error = outcome  # type: ignore[attr-defined]
            final.append(result)
        else:  # the run's results (before this callback) ride along
            raise attach_completed(outcome, results, since)
    return final


def _stray(what: str) -> Callable[[str], RiggingError]:
    """Makes the error of `what` raising a stray `BaseException` (see `own_exit_fails`)."""
    return lambda raised: RiggingError(f"{what} raised {raised}")


def _name(callback: Any) -> str:
    """Readable name of a callback for messages."""
    return str(getattr(callback, "__qualname__", None) or type(callback).__qualname__)
