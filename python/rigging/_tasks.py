"""Await several awaitables concurrently, each one's error its own outcome.

Shared by the layers that fan work out (the batch splitter of generators, tool handlers, the
run loop), so that a `KeyboardInterrupt` or `SystemExit` raised in one of them is re-raised
from the caller's own task, after the others were cancelled and awaited.
"""

from __future__ import annotations

import typing as t
from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["settle_all"]

ResultT = TypeVar("ResultT")


async def settle_all(awaitables: Sequence[Awaitable[ResultT]]) -> list[ResultT | Exception]:
    """Await every awaitable concurrently; each one's result or `Exception`, in order.

    An `Exception` of one awaitable is its outcome alone: the others run to their end. A
    `BaseException` that is not an `Exception` (`KeyboardInterrupt`, `SystemExit`, the caller
    being cancelled) cancels the others and waits for them before it propagates from this
    call, so no task outlives the call and no task's exception is left unretrieved.

    Args:
        awaitables: Coroutines (or other awaitables) to run.

    Returns:
        One outcome per awaitable, in the order given.
    """
    if not awaitables:
        return []
    if len(awaitables) == 1:  # no task needed
        try:
            return [await awaitables[0]]
        except Exception as exc:
            return [exc]
    import asyncio  # here, not at the top: it adds ~25 ms to `import rigging`

    tasks = [asyncio.ensure_future(_boxed(a)) for a in awaitables]
    try:
        pending: set[asyncio.Future[_Outcome[ResultT]]] = set(tasks)
        while pending:
            done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                outcome = task.result()  # a cancelled task raises CancelledError here
                if outcome.fatal is not None:
                    raise outcome.fatal
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return [task.result().value for task in tasks]


@dataclass(slots=True)
class _Outcome(Generic[ResultT]):
    """What one awaitable of `settle_all` ended with."""

    value: ResultT | Exception
    fatal: BaseException | None = None


async def _boxed(awaitable: Awaitable[ResultT]) -> _Outcome[ResultT]:
    """Await `awaitable`, its error returned rather than raised (cancellation excepted).

    A `KeyboardInterrupt` or `SystemExit` raised inside a task would stop the event loop from
    that task and leave the waiting tasks with an exception nobody retrieves; boxed, it is
    re-raised by `settle_all` in the caller's own task.
    """
    import asyncio  # here, not at the top: it adds ~25 ms to `import rigging`

    try:
        return _Outcome(await awaitable)
    except Exception as exc:
        return _Outcome(exc)
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        return _Outcome(t.cast("Exception", None), fatal=exc)
