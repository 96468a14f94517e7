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
"""

from __future__ import annotations

import asyncio
import sys
import weakref
from collections.abc import AsyncGenerator, Callable
from contextvars import ContextVar, Token
from typing import Any

__all__ = ["Owned"]

Hook = Callable[[AsyncGenerator[Any, Any]], object]

_PULLING: ContextVar[Owned | None] = ContextVar("rigging_stream_pulling", default=None)


class Owned:
    """The async generators one stream started, closed by it in order."""

    def __init__(self) -> None:
        # id -> weak reference, in start order; a collected generator drops out by itself
        self._generators: dict[int, weakref.ref[AsyncGenerator[Any, Any]]] = {}
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
        key = id(generator)
        generators = self._generators

        def forget(_: object, key: int = key) -> None:
            generators.pop(key, None)

        generators[key] = weakref.ref(generator, forget)
        return True

    def __len__(self) -> int:
        return len(self._generators)

    async def aclose(self) -> None:
        """Close every generator still open, one after another, in the order they started.

        Closing one usually closes the ones inside it; those are then finished, and closing
        them again does nothing. An error while closing is dropped: the stream is being
        abandoned, and its connection is released either way.
        """
        while self._generators:
            key = next(iter(self._generators))
            generator = self._generators.pop(key)()
            if generator is None:
                continue
            try:
                await generator.aclose()
            except Exception:  # best effort, see above
                continue


class _Pulling:
    """`Owned.pulling`'s block.

    A class: a generator-based context manager cost a microsecond more per chunk.
    """

    __slots__ = ("_owned", "_token")

    def __init__(self, owned: Owned) -> None:
        self._owned = owned
        self._token: Token[Owned | None] | None = None

    def __enter__(self) -> None:
        _install_hook()
        task = asyncio.current_task()
        if task is not None:
            self._owned.adopt(task)
        self._token = _PULLING.set(self._owned)

    def __exit__(self, *exc: object) -> None:
        if self._token is not None:
            _PULLING.reset(self._token)
            self._token = None


def _install_hook() -> None:
    """Put the stream-ownership check in front of the running loop's first-iteration hook.

    The loop sets its hooks when it starts and puts the previous ones back when it stops, so
    this runs on every read; it wraps the hook once per loop run.
    """
    hooks = sys.get_asyncgen_hooks()
    loops_hook = hooks.firstiter
    if getattr(loops_hook, "_rigging_owned", False):
        return

    def firstiter(generator: AsyncGenerator[Any, Any]) -> None:
        owner = _PULLING.get()
        if owner is not None and owner.claim(generator):
            return
        if loops_hook is not None:
            loops_hook(generator)

    firstiter._rigging_owned = True  # type: ignore[attr-defined]
    sys.set_asyncgen_hooks(firstiter=firstiter, finalizer=hooks.finalizer)
