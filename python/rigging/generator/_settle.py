"""Per-item results from a batch call that may raise: split the batch to isolate failures.

A generator's batch methods (`generate_messages`, `generate_texts`) return one result per item
or raise for the whole batch. `settle_batch` turns that into one result *or exception* per
item: when the call raises, the batch is split in two halves and each is tried again, down to
single items, so each failing item gets its own error and every other item its result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from rigging._tasks import STRAY_CANCEL, own_exit_fails, settle_all
from rigging.error import GenerationError

__all__ = [
    "batch_wide",
    "not_a_result_list",
    "one_result",
    "result_list",
    "settle_batch",
    "stray_cancel",
]

R = TypeVar("R")


def batch_wide(exc: Exception) -> bool:
    """Whether `exc` concerns every item of a batch alike, so splitting cannot help.

    True for `NotImplementedError` (the generator lacks the method) and for credential
    failures (`GenerationError.auth`).

    Args:
        exc: The error of a batch call.

    Returns:
        Whether to fail every item with it without splitting.
    """
    return isinstance(exc, NotImplementedError) or (isinstance(exc, GenerationError) and exc.auth)


def not_a_result_list(returned: Any, call: Callable[..., Any]) -> GenerationError | None:
    """The error of a batch method that returned no list of results, else None.

    A method that returned None (a missing ``return``) failed later with a bare
    ``'NoneType' object is not iterable``, naming neither the generator nor the method.

    Args:
        returned: What the batch method returned.
        call: The method (a bound method of the generator).

    Returns:
        A `GenerationError` naming the method and what it returned, or None when `returned`
        is iterable (each entry is checked later).
    """
    if isinstance(returned, Iterable):
        return None
    generator = getattr(call, "__self__", None)
    name = getattr(call, "__qualname__", None) or repr(call)
    return GenerationError(
        f"{name} returned {type(returned).__name__}, not a list with one result per input",
        model=str(getattr(generator, "model", "") or ""),
    )


def stray_cancel(call: Callable[..., Any], raised: str = STRAY_CANCEL) -> GenerationError:
    """The error of items whose generator call raised a stray `BaseException`.

    That is a `CancelledError` of its own (nothing cancelled the run) or another
    `BaseException` that is no interrupt, such as a `GeneratorExit` (see
    `rigging._tasks.own_exit_fails`).

    Args:
        call: The generator method (or stream) that raised it.
        raised: What it raised, as `own_exit_fails` names it.

    Returns:
        A `GenerationError` naming the method and what it raised.
    """
    generator = getattr(call, "__self__", None)
    name = getattr(call, "__qualname__", None) or repr(call)
    return GenerationError(
        f"{name} raised {raised}; the item(s) it was for failed",
        model=str(getattr(generator, "model", "") or ""),
    )


def result_list(returned: Any, call: Callable[..., Any]) -> list[Any]:
    """`returned` (a batch method's answer) as a list.

    Args:
        returned: What the batch method returned.
        call: The method.

    Returns:
        The entries, in order.

    Raises:
        GenerationError: `returned` is not iterable (see `not_a_result_list`).
    """
    wrong = not_a_result_list(returned, call)
    if wrong is not None:
        raise wrong
    return list(returned)


def one_result(returned: Any, call: Callable[..., Any], expected: type[R]) -> R:
    """The result of a batch `call` made for one item, checked as a batch run checks results.

    Used by the one-chunk stream defaults, so a bad answer fails the streamed item alone with
    a `GenerationError` (kept by ``catch(GenerationError)``) instead of a bare error.

    Args:
        returned: What the batch method returned for a one-item batch.
        call: The method (a bound method of the generator).
        expected: The result type (`GeneratedMessage` or `GeneratedText`).

    Returns:
        The one result.

    Raises:
        GenerationError: `returned` is not a list, does not hold exactly one entry, or its
            entry is not an `expected` (an exception entry is raised as it is).
    """
    results = result_list(returned, call)
    generator = getattr(call, "__self__", None)
    name = getattr(call, "__qualname__", None) or repr(call)
    model = str(getattr(generator, "model", "") or "")
    if len(results) != 1:
        raise GenerationError(
            f"{name} returned {len(results)} results for 1 input; a generator must return "
            "exactly one result per input",
            model=model,
        )
    (result,) = results
    if isinstance(result, Exception):
        raise result
    if not isinstance(result, expected):
        raise GenerationError(
            f"{name} returned {type(result).__name__} for an item, not a {expected.__name__}",
            model=model,
        )
    return result


async def settle_batch(
    call: Callable[[list[Any], list[Any]], Awaitable[Sequence[R]]],
    items: Sequence[Any],
    params: Sequence[Any],
) -> list[R | Exception]:
    """One result or exception per item of a batch `call` that may raise.

    The whole batch is sent first. If the call raises, the batch is bisected and both halves
    are tried again (concurrently), down to single items: an item whose call raised alone
    gets that exception. Attempts are bounded: at most ``2n - 1`` calls for ``n`` items, and
    ``1 + 2k * log2(n)`` when ``k`` items fail. An error that `batch_wide` recognises fails
    every item at once. A call returning the wrong number of results is passed through as
    it is (the caller reports it). Only `Exception`s are caught; cancellation propagates,
    but a `CancelledError` of the call's own (nothing cancelled the run) is a
    `GenerationError` of the items it was for (`stray_cancel`), so the halves isolate them.

    Args:
        call: The batch call, e.g. ``generator.generate_messages``.
        items: The inputs.
        params: One params object per input.

    Returns:
        One result or exception per input, in order.
    """
    chunk, chunk_params = list(items), list(params)
    try:
        returned = await own_exit_fails(
            call(chunk, chunk_params), lambda raised: stray_cancel(call, raised)
        )
        wrong = not_a_result_list(returned, call)
        if wrong is not None:  # the halves would answer alike: every item fails with it
            return [wrong] * len(chunk)
        return list(returned)
    except Exception as exc:
        if len(chunk) <= 1 or batch_wide(exc):
            return [exc] * len(chunk)
    middle = len(chunk) // 2
    # Settled, not gathered: a `KeyboardInterrupt` in one half cancels the other and is raised
    # from this task (gathered, it escaped from the half's task and stopped the event loop).
    halves = await settle_all(
        [
            settle_batch(call, chunk[:middle], chunk_params[:middle]),
            settle_batch(call, chunk[middle:], chunk_params[middle:]),
        ]
    )
    out: list[R | Exception] = []
    for half in halves:
        if isinstance(half, Exception):  # not an item's failure: those are returned
            raise half
        out.extend(half)
    return out
