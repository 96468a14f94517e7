"""The results an error carries when a run raises: ``error.completed``.

A run that raises keeps what it had finished: the error gets the results that finished without
failing as ``completed`` (`attach_completed`), marked with the time it was set (`start_mark`)
so that, among runs nested in one another, the innermost one decides.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Sequence
from typing import Any

__all__ = ["attach_completed", "raise_first", "set_completed", "start_mark"]


def raise_first(outcomes: Sequence[Any]) -> None:
    """Raise the first error among the outcomes of several runs (`run_over`).

    The error gets every other run's finished results as ``completed``. The caller awaits
    every run first (``gather(..., return_exceptions=True)``), so none is left going.

    Args:
        outcomes: Each run's results, or its exception.
    """
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            finished = [
                r
                for other in outcomes
                if not isinstance(other, BaseException)
                for r in other
                if not getattr(r, "failed", False)
            ]
            set_completed(outcome, finished)
            raise outcome


def attach_completed(exc: BaseException, results: Sequence[Any], since: int = 0) -> BaseException:
    """Attach the results that finished without failing to `exc` as ``exc.completed``.

    A run that raises (failure mode ``"raise"``, or an error it does not catch) keeps the
    chats or completions it had finished: ``exc.completed`` is the list of them, in input
    order (items still running, failed or never started are left out). Among the runs that
    raise `exc` while this one goes on (a run inside a callback of this one), the innermost
    decides; a ``completed`` set before this run started (the same exception object raised
    by an earlier run) is replaced.

    Args:
        exc: The error that propagates.
        results: The run's results so far (None for unfinished items).
        since: The run's `start_mark`.

    Returns:
        `exc`.
    """
    current = getattr(exc, "completed", None) is not None
    if not current or getattr(exc, _MARK, 0) < since:
        finished = [r for r in results if r is not None and not getattr(r, "failed", False)]
        set_completed(exc, finished)
    return exc


_MARK = "_rigging_completed_mark"
_marks = itertools.count(1)


def start_mark() -> int:
    """A number later than every ``completed`` set so far: taken when a run starts."""
    return next(_marks)


def set_completed(exc: BaseException, values: list[Any]) -> None:
    """Set ``exc.completed`` to `values`, marked as set now (see `attach_completed`).

    An exception type with __slots__ has nowhere to put it: it is left as it is.

    Args:
        exc: The error that propagates.
        values: What finished.
    """
    with contextlib.suppress(AttributeError):
        exc.completed = values  # type: ignore[attr-defined]
        setattr(exc, _MARK, next(_marks))
