"""One tool call in a task of its own: a time limit, and whatever it raises kept to it.

A tool is user code. Besides ordinary exceptions it may raise a `BaseException` that is no
interrupt: a stray `GeneratorExit` (a generator's close handled wrongly), a `CancelledError`
of its own (a library's timeout) or a class of its own. Propagated, any of these ended the
whole run and cost every other item of a batch its result. Here they become errors of the
call, which the handlers answer with an error text, as they do an exception.

Only an interrupt (`KeyboardInterrupt`, `SystemExit`) and the cancellation of the run itself
propagate. The call runs in a task of its own so that a `CancelledError` it raises can be
told from the caller being cancelled on every Python version (3.10 has no
``Task.cancelling()``): the caller's wait returns normally when the call ended on its own.
"""

from __future__ import annotations

import math
import typing as t
from collections.abc import Awaitable
from dataclasses import dataclass

from rigging.error import _reduce
from rigging.tool.base import describe_error

if t.TYPE_CHECKING:
    import asyncio

__all__ = ["ToolExitError", "ToolTimeoutError", "check_timeout", "guarded_call"]


class ToolTimeoutError(Exception):
    """A tool call did not finish within its time limit (it was cancelled)."""

    __reduce__ = _reduce


class ToolExitError(Exception):
    """A tool call raised a `BaseException` that is no interrupt (kept as ``__cause__``)."""

    __reduce__ = _reduce


def check_timeout(timeout: t.Any) -> float | None:
    """`timeout` as a number of seconds, or None for no limit.

    Raises:
        TypeError: It is not a number.
        ValueError: It is not a finite number above 0.
    """
    if timeout is None:
        return None
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
        raise TypeError(
            f"timeout must be a number of seconds or None, got {type(timeout).__name__}"
        )
    if not math.isfinite(timeout) or timeout <= 0:
        raise ValueError(f"timeout must be a finite number of seconds above 0, got {timeout!r}")
    return float(timeout)


@dataclass(slots=True)
class _Outcome:
    """What the call's task ended with: its value, or what it raised (cancellation aside)."""

    value: t.Any = None
    raised: BaseException | None = None


async def _contained(awaitable: Awaitable[t.Any]) -> _Outcome:
    """Await `awaitable`; what it raises is returned, so no task ends with an interrupt."""
    import asyncio  # here, not at the top: it adds ~25 ms to `import rigging`

    try:
        return _Outcome(await awaitable)
    except asyncio.CancelledError:
        raise  # the task ends cancelled: `guarded_call` tells whose cancellation it was
    except BaseException as exc:
        return _Outcome(raised=exc)


async def guarded_call(name: str, awaitable: Awaitable[t.Any], timeout: float | None) -> t.Any:
    """Await a tool's call in a task of its own, within `timeout` seconds (None: no limit).

    Args:
        name: The tool's name (for the errors).
        awaitable: The call (``tool.invoke(arguments)``).
        timeout: The time limit; an async tool past it is cancelled. A sync tool runs on
            the event loop and cannot be interrupted: it runs to its end, and its result
            counts even when it took longer.

    Returns:
        What the call returned.

    Raises:
        Exception: What the tool raised.
        ToolTimeoutError: The call did not end within `timeout`.
        ToolExitError: The tool raised a `BaseException` that is no interrupt (such as
            `GeneratorExit`), or a `CancelledError` of its own.
        KeyboardInterrupt: Raised by the tool (so is `SystemExit`).
        asyncio.CancelledError: The caller was cancelled (the call is cancelled first).
    """
    import asyncio  # here, not at the top: it adds ~25 ms to `import rigging`

    task = asyncio.ensure_future(_contained(awaitable))
    try:
        await asyncio.wait([task], timeout=timeout)
    except BaseException:  # the caller is cancelled (or interrupted): the call ends with it
        await _cancelled(task)
        raise
    if not task.done():
        await _cancelled(task)
        raise ToolTimeoutError(
            f"tool {name!r} did not finish within its timeout of {timeout:g} seconds "
            "and was cancelled"
        )
    if task.cancelled():  # the caller was not cancelled, nor was the call by a limit
        raise ToolExitError(
            f"tool {name!r} raised CancelledError although the run was not cancelled"
        )
    return _result(name, task.result())


def _result(name: str, outcome: _Outcome) -> t.Any:
    """The value of `outcome`, or its error raised (a stray `BaseException` as `ToolExitError`)."""
    raised = outcome.raised
    if raised is None:
        return outcome.value
    if isinstance(raised, (Exception, KeyboardInterrupt, SystemExit)):
        raise raised
    raise ToolExitError(f"tool {name!r} raised {describe_error(raised)}") from raised


async def _cancelled(task: asyncio.Future[_Outcome]) -> None:
    """Cancel `task` and wait for it to end (a tool that ignores it delays this)."""
    import asyncio  # here, not at the top: it adds ~25 ms to `import rigging`

    task.cancel()
    await asyncio.wait([task])  # its outcome is boxed: nothing is left unretrieved
