"""The async generators a stream starts belong to it, and it closes them one at a time.

Under a provider stream sits a chain of a dozen nested async generators (the SDK's event
decoder over the HTTP client's byte iterators over the connection's), most of which close the
one inside them when they close. At its end ``asyncio.run`` closes every async generator it
saw start, all at once: it closed an inner one while the one around it was closing it too,
and whichever came second found it suspended in its cleanup (awaiting the connection's
close). The loop printed "aclose(): asynchronous generator is already running" for a stream
its consumer had left open (reliably on Python 3.10 with httpx2; the OpenAI SDK used alone
does the same).

`Owned.pulling` marks the stretch where a stream reads from its provider: an async generator
that starts in that stretch, in the stream's task (or a task it adopted), is the stream's. The
loop's hook never sees it, so the loop never closes it; `Owned.aclose` closes the stream's
generators in the order they started, each after the last has finished, when the stream
itself closes (by its consumer, or by the loop at its end: the stream stays the loop's).

A stream dropped unclosed inside a reference cycle is collected with its generators, and each
one's finalizer would schedule its own close, all at once again: the finalizer hook leaves a
generator its stream still holds to the stream, whose own close (scheduled by the loop) closes
them in order. A close that is interrupted (the closing task cancelled) hands the generators
left to the loop, which closes them at its end as it would have. The hooks are put in front of
the running loop's own ones only: under a hook of someone else's, nothing is claimed.
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from collections.abc import AsyncGenerator
from contextvars import ContextVar, Token
from typing import Any

__all__ = ["Owned"]

_PULLING: ContextVar[Owned | None] = ContextVar("rigging_stream_pulling", default=None)


class Owned:
    """The async generators one stream started, closed by it in order."""

    def __init__(self) -> None:
        # Held (so a cycle's collection leaves them to this owner), in start order; finished
        # ones are dropped as more come, so a long stream keeps only the ones still open.
        self._generators: list[AsyncGenerator[Any, Any]] = []
        self._kept = 0  # how many were left after the last drop
        self._tasks: weakref.WeakSet[asyncio.Task[Any]] = weakref.WeakSet()
        self._last: weakref.ref[asyncio.Task[Any]] | None = None  # the last task adopted

    def pulling(self) -> _Pulling:
        """Generators the current task starts inside this ``with`` block belong to the stream."""
        return _Pulling(self)

    def adopt(self, task: asyncio.Task[Any]) -> None:
        """Let `task` (started inside `pulling` to read for the stream) start generators for it."""
        if self._last is None or self._last() is not task:
            self._tasks.add(task)
            self._last = weakref.ref(task)

    def claim(self, generator: AsyncGenerator[Any, Any]) -> bool:
        """Take `generator` if the running task reads for this stream; True when taken."""
        try:
            task = asyncio.current_task()
        except RuntimeError:  # no running loop: not started by a stream's read
            return False
        if task is None or task not in self._tasks:
            return False
        generators = self._generators
        if len(generators) >= max(_KEEP, 2 * self._kept):
            still_open = []
            for held in generators:
                if _open(held):
                    still_open.append(held)
                else:
                    _CLAIMED.pop(id(held), None)
            generators[:] = still_open
            self._kept = len(still_open)
        generators.append(generator)
        _CLAIMED[id(generator)] = self
        return True

    def holds(self, generator: AsyncGenerator[Any, Any]) -> bool:
        """Whether `generator` is one of this stream's, not yet closed by it."""
        return any(held is generator for held in self._generators)

    def __len__(self) -> int:
        """How many generators are held (open, or finished since the last drop)."""
        return len(self._generators)

    async def aclose(self) -> None:
        """Close every generator still open, one after another, in the order they started.

        Closing one usually closes the ones inside it; those are then finished, and closing
        them again does nothing. An error while closing is dropped: the stream is being
        abandoned, and its connection is released either way. When this is interrupted (its
        task cancelled), the generators not closed yet go to the loop, which closes them at
        its end.
        """
        while self._generators:
            generator = self._generators.pop(0)
            _CLAIMED.pop(id(generator), None)
            try:
                await generator.aclose()
            except Exception:  # best effort, see above
                continue
            except BaseException:
                self._hand_back([generator, *self._generators])
                raise

    def _hand_back(self, generators: list[AsyncGenerator[Any, Any]]) -> None:
        """Register the generators still open with the loop, as if never claimed."""
        self._generators.clear()
        hooks = sys.get_asyncgen_hooks()
        loops_hook = getattr(hooks.firstiter, "_rigging_wraps", hooks.firstiter)
        for generator in generators:
            _CLAIMED.pop(id(generator), None)
            if _open(generator) and loops_hook is not None:
                loops_hook(generator)


class _Pulling:
    """`Owned.pulling`'s block.

    A class: a generator-based context manager cost a microsecond more per chunk.
    """

    __slots__ = ("_owned", "_token")

    def __init__(self, owned: Owned) -> None:
        self._owned = owned
        self._token: Token[Owned | None] | None = None

    def __enter__(self) -> None:
        _install_hooks()
        task = asyncio.current_task()
        if task is not None:
            self._owned.adopt(task)
        self._token = _PULLING.set(self._owned)

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _PULLING.reset(self._token)
            self._token = None


def _open(generator: AsyncGenerator[Any, Any]) -> bool:
    """Whether `generator` has not finished (an async generator's frame goes when it ends)."""
    return getattr(generator, "ag_frame", None) is not None


#: Held generators are dropped once finished when more than this many (or twice as many as
#: the last drop kept) are held.
_KEEP = 32

#: id of a held generator -> its owner (the finalizer hook's lookup; `Owned.holds` confirms).
_CLAIMED: dict[int, Owned] = {}


def _install_hooks() -> None:
    """Put the stream-ownership checks in front of the running loop's async-generator hooks.

    The loop sets its hooks when it starts and puts the previous ones back when it stops, so
    this runs on every read; it wraps them once per loop run, and only the loop's own (a hook
    of someone else's on top is left alone: nothing is claimed then).
    """
    hooks = sys.get_asyncgen_hooks()
    loops_first, loops_finalizer = hooks.firstiter, hooks.finalizer
    if loops_first is None or getattr(loops_first, "_rigging_wraps", None) is not None:
        return
    if getattr(loops_first, "__self__", None) is not asyncio.get_running_loop():
        return

    def firstiter(generator: AsyncGenerator[Any, Any]) -> None:
        owner = _PULLING.get()
        if owner is not None and owner.claim(generator):
            return
        loops_first(generator)

    def finalizer(generator: AsyncGenerator[Any, Any]) -> None:
        owner = _CLAIMED.get(id(generator))
        if owner is not None and owner.holds(generator):
            return  # collected with its stream, whose close closes it with the others
        if loops_finalizer is not None:
            loops_finalizer(generator)

    firstiter._rigging_wraps = loops_first  # type: ignore[attr-defined]
    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=finalizer)
