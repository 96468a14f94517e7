"""Await several awaitables concurrently without leaving a task or an exception behind.

`asyncio.gather` starts one task per awaitable. A `KeyboardInterrupt` or `SystemExit` raised
inside such a task does not stay in it: asyncio re-raises it from the event loop, so after the
caller caught it, ``asyncio.run`` raised it again; the other tasks kept running, and their
exceptions were never retrieved. Here every awaitable runs boxed (its exception is returned
to the caller's task), and whatever ends the wait early cancels the rest and waits for them
before it is raised from the caller's own task.

`settle_all` gives each awaitable's result or `Exception` (the run loop: one item's error is
its own); `gather_all` raises the first error (the tool handlers: calls of one message).
`RelayedStream` hands on a stream chosen with an await, and closes it with itself.
"""

from __future__ import annotations

import typing as t
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

__all__ = ["RelayedStream", "gather_all", "own_cancel_fails", "own_exit_fails", "settle_all"]

ResultT = t.TypeVar("ResultT")


async def settle_all(awaitables: Sequence[Awaitable[ResultT]]) -> list[ResultT | Exception]:
    """Await every awaitable concurrently; each one's result or `Exception`, in order.

    An `Exception` of one awaitable is its outcome alone: the others run to their end. A
    `BaseException` that is not an `Exception` (`KeyboardInterrupt`, `SystemExit`, the caller
    being cancelled) cancels the others and waits for them before it propagates from this
    call, so no task outlives the call and no task's exception is left unretrieved. An
    awaitable that ends with a `CancelledError` of its own (nothing cancelled the caller)
    counts as such too: it cancels the others and this call raises `CancelledError`. A
    caller that must tell it from its own cancellation turns it into an `Exception` inside
    the awaitable (as `rigging._pipeline.windows` does for a window's groups).

    Args:
        awaitables: Coroutines (or other awaitables) to run.

    Returns:
        One outcome per awaitable, in the order given.
    """
    return await _run_all(awaitables, fail_fast=False)


async def gather_all(awaitables: Sequence[Awaitable[ResultT]]) -> list[ResultT]:
    """Await every awaitable concurrently; their results in order, or the first error.

    Like `asyncio.gather`, but the first exception of any kind (an `Exception`,
    `KeyboardInterrupt`, `SystemExit`, or the caller being cancelled) cancels the other
    awaitables and waits for them, then propagates from the caller's own task: no task
    outlives the call, none leaves an exception unretrieved, and the event loop never sees
    a `KeyboardInterrupt` raised in a task.

    Args:
        awaitables: Coroutines (or other awaitables) to run.

    Returns:
        One result per awaitable, in the order given.
    """
    return t.cast("list[ResultT]", await _run_all(awaitables, fail_fast=True))


async def _run_all(
    awaitables: Sequence[Awaitable[ResultT]], *, fail_fast: bool
) -> list[ResultT | Exception]:
    """`settle_all` (``fail_fast=False``) or `gather_all` (``fail_fast=True``)."""
    if not awaitables:
        return []
    if len(awaitables) == 1:  # no task needed: anything raised is already in the caller's task
        try:
            return [await awaitables[0]]
        except Exception as exc:
            if fail_fast:
                raise
            return [exc]
    import asyncio  # here, not at the top: it adds ~25 ms to `import rigging`

    tasks = [asyncio.ensure_future(_boxed(a)) for a in awaitables]
    # One callback per task (not `asyncio.wait` in a loop, which registers on every pending
    # task at each wake-up: quadratic when thousands of tasks end one by one).
    ended: asyncio.Future[asyncio.Future[_Outcome[ResultT]] | None] = (
        asyncio.get_running_loop().create_future()
    )
    left = len(tasks)

    def on_done(task: asyncio.Future[_Outcome[ResultT]]) -> None:
        nonlocal left
        left -= 1
        if ended.done():
            return
        if task.cancelled() or _stops(task.result(), fail_fast):
            ended.set_result(task)
        elif left == 0:
            ended.set_result(None)

    for task in tasks:
        task.add_done_callback(on_done)
    try:
        stopper = await ended
        if stopper is not None:
            outcome = stopper.result()  # a cancelled task raises CancelledError here
            raise outcome.fatal if outcome.fatal is not None else t.cast("Exception", outcome.value)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    return [task.result().value for task in tasks]


def _stops(outcome: _Outcome[t.Any], fail_fast: bool) -> bool:
    """Whether `outcome` ends the wait: a fatal error, or any error when failing fast."""
    return outcome.fatal is not None or (fail_fast and isinstance(outcome.value, Exception))


@dataclass(slots=True)
class _Outcome(t.Generic[ResultT]):
    """What one awaitable of `_run_all` ended with."""

    value: ResultT | Exception
    fatal: BaseException | None = None


async def _boxed(awaitable: Awaitable[ResultT]) -> _Outcome[ResultT]:
    """Await `awaitable`, its error returned rather than raised (cancellation excepted).

    A `KeyboardInterrupt` or `SystemExit` raised inside a task would stop the event loop from
    that task and leave the waiting tasks with an exception nobody retrieves; boxed, it is
    re-raised by `_run_all` in the caller's own task.
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


async def own_cancel_fails(awaitable: Awaitable[ResultT], what: Callable[[], Exception]) -> ResultT:
    """Await `awaitable`; a `CancelledError` of its own is raised as the error `what()` makes.

    A generator, tool or callback may let a `CancelledError` escape (a timeout of its own)
    while nothing cancelled the task awaiting it. Propagated, it cancelled the whole run
    and lost every other item. The task's own cancellation (``Task.cancelling()`` grew:
    the caller, a stop, ``asyncio.run`` shutting down) still propagates. Python 3.10 has no
    ``Task.cancelling()``: there every `CancelledError` propagates, as before.

    Args:
        awaitable: The user's code (a coroutine of a generator, tool handler or callback).
        what: Makes the error to raise instead (the item's failure).

    Returns:
        What `awaitable` returned.
    """
    import asyncio  # here, not at the top: it adds ~25 ms to `import rigging`

    task = asyncio.current_task()
    cancelling = getattr(task, "cancelling", None)
    before = cancelling() if cancelling is not None else 0
    try:
        return await awaitable
    except asyncio.CancelledError as exc:
        if cancelling is None or cancelling() > before:
            raise
        raise what() from exc


STRAY_CANCEL = "CancelledError although the run was not cancelled (a timeout of its own?)"
"""How `own_exit_fails` names a `CancelledError` of the awaitable's own."""


async def own_exit_fails(
    awaitable: Awaitable[ResultT], what: Callable[[str], Exception]
) -> ResultT:
    """`own_cancel_fails`, and a `BaseException` that is no interrupt is an error too.

    User code may raise a stray `GeneratorExit` (or a `BaseException` class of its own): it
    is no interrupt, yet it went past every ``except Exception`` and ended the whole run.
    It is raised as ``what(name)`` (chained), like a `CancelledError` of its own, which is
    ``what(STRAY_CANCEL)``; `KeyboardInterrupt`, `SystemExit` and the task's own
    cancellation propagate.

    Args:
        awaitable: The user's code (a coroutine of a generator, tool handler or callback).
        what: Makes the error to raise instead from what was raised (``"GeneratorExit"``).

    Returns:
        What `awaitable` returned.
    """
    import asyncio  # here, not at the top: it adds ~25 ms to `import rigging`

    try:
        return await own_cancel_fails(awaitable, lambda: what(STRAY_CANCEL))
    except (Exception, KeyboardInterrupt, SystemExit, asyncio.CancelledError):
        raise
    except BaseException as exc:
        raise what(type(exc).__name__) from exc


ItemT = t.TypeVar("ItemT")


class RelayedStream(AsyncIterator[ItemT]):
    """The items of the stream that `start` gives (awaited on the first `__anext__`).

    For a stream that hands on another one, chosen with an await (a cache lookup): closing
    it (a consumer's ``break`` and ``aclose``) closes the stream it relays at once, not when
    that one is collected (with its HTTP response). A class, not an async generator relaying
    the other with ``async for ...: yield``, on purpose: ``asyncio.run`` closes every async
    generator still open at its end, all at once, so a relaying generator left open was
    closed while it closed the relayed one too; whichever came second found that one
    suspended in its cleanup (closing its HTTP response), and the loop reported "aclose():
    asynchronous generator is already running". The relayed stream is then the only
    generator, and the loop closes it alone.
    """

    def __init__(self, start: Callable[[], Awaitable[AsyncIterator[ItemT]]]) -> None:
        self._start: Callable[[], Awaitable[AsyncIterator[ItemT]]] | None = start
        self._stream: AsyncIterator[ItemT] | None = None

    def __aiter__(self) -> RelayedStream[ItemT]:
        return self

    async def __anext__(self) -> ItemT:
        if self._stream is None:
            start, self._start = self._start, None
            if start is None:  # closed, or already ended
                raise StopAsyncIteration
            self._stream = await start()
        try:
            return await anext(self._stream)
        except BaseException:  # the end, an error or a cancellation: close it now
            await self.aclose()
            raise

    async def aclose(self) -> None:
        """Close the relayed stream (if it was opened); the iteration ends."""
        self._start = None
        stream, self._stream = self._stream, None
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
