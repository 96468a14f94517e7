"""Windows of items: the machinery under the resumable runners (`rigging._pipeline.resumable`).

Items are taken from their source lazily and run in windows of `window` items, each window a
normal run of the loop in `rigging._pipeline.run`, with up to `in_flight` windows running at
once (`_Windows`). A window that raises stops the others, and what they finished is kept; the
lines of finished items are written to the checkpoint here too (`_line`, `_encode`, `_append`).
"""

from __future__ import annotations

import typing as t
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass

from rigging._pipeline.checkpoint import CheckpointFile, encode_record, result_json
from rigging._pipeline.run import check_limit
from rigging._pipeline.state import FailMode
from rigging._tasks import settle_all
from rigging.error import CheckpointError, RiggingError, _reduce, _safe_str
from rigging.logging import log

if t.TYPE_CHECKING:
    import asyncio

    from rigging.generator import GenerateParams, Generator

__all__ = ["DEFAULT_WINDOW", "IN_FLIGHT", "AnyPipeline", "Work"]


DEFAULT_WINDOW = 64
"""Items per window when `max_concurrency` is not given."""

IN_FLIGHT = 4
"""Windows running at once."""

AnyPipeline = t.Any  # PipelineBase[...]; kept loose to avoid generic noise


@dataclass(slots=True)
class Work:
    """One item to run."""

    index: int
    input: t.Any
    params: GenerateParams
    generator: Generator | None = None
    """Per-item generator (`run_over`); None means the pipeline's."""
    hash: int = 0


def _window_size(max_concurrency: int | None) -> tuple[int, int]:
    """Items per window and windows in flight: at most `max_concurrency` items in flight."""
    if max_concurrency is None:
        return DEFAULT_WINDOW, IN_FLIGHT
    check_limit(max_concurrency)
    in_flight = min(IN_FLIGHT, max_concurrency)
    return max(1, max_concurrency // in_flight), in_flight


class _WindowError(Exception):
    """A window whose run raised: the error, and the items that finished before it."""

    __reduce__ = _reduce

    def __init__(self, error: BaseException, done: list[tuple[Work, t.Any]]) -> None:
        super().__init__(_safe_str(error))
        self.error = error
        self.done = done


class _Window:
    """One window's items and their results, filled in place as items finish.

    The results stay readable when the window's task is cancelled, so what finished before
    (in a window stopped because another one failed) is not lost.
    """

    def __init__(self, chunk: list[Work], owner: asyncio.Future[t.Any] | None = None) -> None:
        groups: dict[int, list[Work]] = {}
        for work in chunk:
            groups.setdefault(id(work.generator), []).append(work)
        self.groups = list(groups.values())
        self.outs: list[list[t.Any]] = [[None] * len(group) for group in self.groups]
        self.stopping = False
        """Set by `_stop` before it cancels the window's task: a `CancelledError` in the
        window is then the run's own cancellation, not a group's failure (Python 3.10 has
        no ``Task.cancelling()`` to tell them apart)."""
        self.owner = owner
        """The task that started the window (the consumer's)."""

    def cancelled_by_run(self) -> bool:
        """Whether a `CancelledError` in the window is the run's cancellation.

        The window was stopped (`_stop`), or its consumer's task has ended: nothing can
        take the window's results any more, so the cancellation is ``asyncio.run``
        cancelling every task at shutdown (an `iter_batch` left open), not a failure.
        """
        return self.stopping or (self.owner is not None and self.owner.done())

    def pairs(self) -> list[tuple[Work, t.Any]]:
        """Every item with its result so far (None when it has not finished)."""
        done: list[tuple[Work, t.Any]] = []
        for group, out in zip(self.groups, self.outs, strict=True):
            done.extend(zip(group, out, strict=True))
        return done

    def finished(self) -> list[tuple[Work, t.Any]]:
        """The items that finished without failing, with their results."""
        pairs = self.pairs()
        return [(w, r) for w, r in pairs if r is not None and not getattr(r, "failed", False)]


async def _run_window(
    pipeline: AnyPipeline, window: _Window, mode: FailMode
) -> list[tuple[Work, t.Any]]:
    """Run one window; items with their own generator run in one group per generator.

    The window runs in a task of its own, so nothing may be raised from it but an
    `Exception`: a `KeyboardInterrupt` or `SystemExit` raised in a task stops the event loop
    from that task (the consumer got a bare `CancelledError`, and ``asyncio.run`` raised the
    interrupt again after the caller handled it). It leaves as a `_WindowError` instead, and
    `_windows` raises it from the consumer's task.

    Raises:
        _WindowError: A group raised (once every group has ended), with the items finished.
    """
    import asyncio  # only inside a running loop

    runs = [
        _own_cancel_fails(
            window,
            group,
            pipeline._execute(
                group[0].generator or pipeline.generator,
                [w.input for w in group],
                [w.params for w in group],
                mode,
                results=out,
            ),
        )
        for group, out in zip(window.groups, window.outs, strict=True)
    ]
    errors: list[BaseException]
    try:
        outcomes = await settle_all(runs)  # a fatal error cancels and awaits the other groups
        errors = [o for o in outcomes if isinstance(o, Exception)]
    except asyncio.CancelledError:
        raise
    except BaseException as exc:  # KeyboardInterrupt, SystemExit: carried out of the task
        errors = [exc]
    finished, pairs = window.finished(), window.pairs()
    window.outs = []  # handed on from here: the window keeps no result alive
    window.groups = []
    if errors:
        raise _WindowError(errors[0], finished)
    return pairs


async def _own_cancel_fails(
    window: _Window, group: list[Work], run: t.Awaitable[list[t.Any]]
) -> list[t.Any]:
    """Await one group's run; a `CancelledError` of its own is that group's failure.

    A generator, tool or callback may let a `CancelledError` escape (from a timeout of its
    own) while nothing cancelled the run. Left as it is, it ended the window's task
    cancelled (the other groups of the window were cancelled with it), and the items the
    window had finished were neither recorded nor delivered. Only `_stop` cancels a
    window; it sets `_Window.stopping` first, and then the cancellation goes on as one
    (see `_Window.cancelled_by_run`).

    Raises:
        RiggingError: The group's run ended with a `CancelledError` of its own.
    """
    import asyncio  # only inside a running loop

    try:
        return await run
    except asyncio.CancelledError as exc:
        if window.cancelled_by_run():
            raise
        shown = ", ".join(str(w.index) for w in group[:5]) + (", ..." if len(group) > 5 else "")
        raise RiggingError(
            f"the run of input(s) {shown} ended with a CancelledError although nothing "
            "cancelled it: a generator, tool or callback let one escape (from a timeout "
            "of its own?); those items did not finish"
        ) from exc


async def _stop(
    pending: dict[asyncio.Task[list[tuple[Work, t.Any]]], _Window],
) -> tuple[list[list[tuple[Work, t.Any]]], BaseException | None]:
    """Cancel the windows still running; what each had finished, and an interrupt among them.

    A window may have ended before it was stopped: its results (or the items it finished
    before its error) are kept like a cancelled window's. One that ended with a
    `KeyboardInterrupt` or `SystemExit` (carried out of its task in a `_WindowError`) gives
    it back, for the caller to raise once it has kept the finished items: dropped with the
    stopped windows, it was lost and the process went on.
    """
    import asyncio  # only inside a running loop

    for task, window in pending.items():
        window.stopping = True
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    stopped: list[list[tuple[Work, t.Any]]] = []
    interrupt: BaseException | None = None
    for task, window in pending.items():
        done = window.finished()
        if not task.cancelled():
            error = task.exception()
            if error is None:
                done = task.result()
            elif isinstance(error, _WindowError):
                done = error.done
                if interrupt is None and not isinstance(error.error, Exception):
                    interrupt = error.error
        if done:
            stopped.append(done)
    pending.clear()
    return stopped, interrupt


def _line(checkpoint: CheckpointFile, work: Work, result: t.Any) -> bytes | None:
    """The checkpoint line of a finished item, or None: it runs again on resume.

    None for a failed item, and for one whose result cannot be recorded as it is (see
    `result_json`): that one is still returned by this run, with a warning naming it.
    """
    if getattr(result, "failed", False):
        return None
    text, problem = result_json(result)
    if text is None:
        message = (
            f"checkpoint {str(checkpoint.path)!r}: input {work.index} was not recorded, "
            f"{problem}; its result is returned, and it runs again on resume"
        )
        log("warning", "Checkpoint: {}", message)
        warnings.warn(message, RuntimeWarning, stacklevel=2)
        return None
    return encode_record(work.index, work.hash, text)


def _encode(checkpoint: CheckpointFile, done: list[tuple[Work, t.Any]]) -> list[bytes]:
    return [line for w, r in done if (line := _line(checkpoint, w, r)) is not None]


class _Windows:
    """The windows of a run as an async iterator: each window's items once it has finished.

    Runs the items of `source` not finished earlier, a window of them at a time, with up to
    `in_flight` windows at once. With `record`, a window's finished items are written to
    `checkpoint` before it is handed on; without, the caller writes them (`iter_results`
    does once they are delivered). Anything raised from `__anext__` (a window's error, a
    cancellation) and `aclose` stop the windows still running, keeping what they finished.

    A class, not an async generator, on purpose: ``asyncio.run`` closes every async
    generator still open at shutdown, all at once. Nested in the generator `iter_batch`
    hands out (left open by its consumer), an inner generator was closed by the loop while
    the outer one's cleanup closed it too; whichever came second found it suspended in its
    own cleanup (awaiting the stopped windows) and the loop reported "aclose(): asynchronous
    generator is already running". Only the generator handed to the user is an async
    generator here, and it alone closes what it holds.
    """

    def __init__(
        self,
        pipeline: AnyPipeline,
        source: AsyncIterator[Work],
        checkpoint: CheckpointFile | None,
        mode: FailMode,
        max_concurrency: int | None,
        bar: t.Any,
        *,
        record: bool = True,
    ) -> None:
        self._pipeline = pipeline
        self._source = source
        self._checkpoint = checkpoint
        self._mode = mode
        self._size, self._in_flight = _window_size(max_concurrency)
        self._bar = bar
        self._record = record
        self._pending: dict[asyncio.Task[list[tuple[Work, t.Any]]], _Window] = {}
        self._ready: list[list[tuple[Work, t.Any]]] = []
        """Windows finished and not handed on yet, the next one last."""
        self._error: BaseException | None = None
        """The error to raise once `_ready` was handed on."""
        self._exhausted = False
        self._ended = False

    def __aiter__(self) -> _Windows:
        return self

    async def __anext__(self) -> list[tuple[Work, t.Any]]:
        """The items of the next window to finish (recorded first, with `record`).

        Raises:
            StopAsyncIteration: Every window was handed on, or the iterator was closed.
            BaseException: A window's error, once the windows that finished alongside it
                were handed on.
        """
        try:
            while not self._ready:
                if self._error is not None:
                    error, self._error = self._error, None
                    raise error
                if self._ended:
                    raise StopAsyncIteration
                await self._advance()
            done = self._ready.pop()
            if self._record and self._checkpoint is not None:
                try:
                    await _append(self._checkpoint, _encode(self._checkpoint, done))
                except CheckpointError as exc:  # a full disk, ...: the run stops, keeping all
                    await self._unrecorded(exc)
            if self._bar is not None:
                self._bar.update(len(done))
            return done
        except BaseException:  # the end, an error or a cancellation: stop what still runs
            self._ended = True
            await self.aclose()
            raise

    async def _advance(self) -> None:
        """Start windows up to the limit, wait until one ends, and take what has ended."""
        import asyncio  # only inside a running loop

        pending = self._pending
        while not self._exhausted and len(pending) < self._in_flight:
            chunk = await _take(self._source, self._size, self._checkpoint)
            self._exhausted = len(chunk) < self._size
            if chunk:
                window = _Window(chunk, asyncio.current_task())
                run = _run_window(self._pipeline, window, self._mode)
                pending[asyncio.ensure_future(run)] = window
        if not pending:
            self._ended = True
            return
        finished, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in finished:
            del pending[task]
        ready, error = _outcomes(finished, keep_partial=self._record)
        if error is not None and self._record:
            # The run stops: the other windows are cancelled, and the items they had
            # finished are kept (recorded and handed on) instead of being run again.
            stopped, interrupt = await _stop(pending)
            ready.extend(stopped)
            if interrupt is not None:
                error = interrupt
        ready.reverse()
        self._ready = ready
        self._error = error  # raised once the windows that finished alongside it were handed on

    async def _unrecorded(self, error: CheckpointError) -> None:
        """A window's write failed: stop the run, handing on every item finished so far.

        Nothing more is written (the file was cut back to its last whole line). The windows
        still running are stopped and what they finished is handed on like the failed
        write's window, so the error's ``completed`` holds them: they were paid for. Before,
        the failed window's results and the stopped windows' were dropped with a bare
        `OSError`.
        """
        self._checkpoint = None
        stopped, interrupt = await _stop(self._pending)
        self._ready = stopped[::-1] + self._ready  # after the windows already waiting, in order
        if self._error is None or interrupt is not None:
            self._error = interrupt or error
        else:  # another error ends the run: still say that recording stopped
            message = _safe_str(error)
            log("warning", "Checkpoint: {}", message)
            warnings.warn(message, RuntimeWarning, stacklevel=2)

    async def aclose(self) -> None:
        """Stop the windows still running; with `record`, record what every window finished.

        The windows that had finished but were not handed on yet are recorded too. Closing
        again does nothing.

        Raises:
            BaseException: A `KeyboardInterrupt` or `SystemExit` of a stopped window, once
                recorded.
        """
        self._ended = True
        self._error = None
        ready, self._ready = self._ready, []
        checkpoint = self._checkpoint if self._record else None
        if self._pending or (ready and checkpoint is not None):
            await _keep_stopped(self._pending, checkpoint, ready)


async def _keep_stopped(
    pending: dict[asyncio.Task[list[tuple[Work, t.Any]]], _Window],
    checkpoint: CheckpointFile | None,
    ready: list[list[tuple[Work, t.Any]]],
) -> None:
    """Stop the windows still running and record what they and `ready` finished.

    Raises:
        BaseException: A `KeyboardInterrupt` or `SystemExit` of one of them, once recorded.
    """
    stopped, interrupt = await _stop(pending)
    try:
        kept = ready + stopped
        if checkpoint is not None and kept:
            try:
                checkpoint.append([line for done in kept for line in _encode(checkpoint, done)])
            except CheckpointError as exc:  # the run is ending already: its error goes on
                message = _safe_str(exc)
                log("warning", "Checkpoint: {}", message)
                warnings.warn(message, RuntimeWarning, stacklevel=2)
    finally:
        if interrupt is not None:
            raise interrupt


async def _append(checkpoint: CheckpointFile, lines: list[bytes]) -> None:
    """Append `lines` to `checkpoint` in a worker thread; a cancellation waits for the write.

    The thread cannot be stopped. Returning at once when the run was cancelled let the run
    close the file and release its lock while the thread still wrote: the lines were lost
    (or written to a closed or reused descriptor), and the stopped windows' lines, written
    from the loop meanwhile, could land in the middle of them. The cancellation is raised
    once the write has ended (a failed write then counts as not written: those items run
    again on resume; its error used to be raised in the cancellation's place). The shield
    does not help when the write's own task is cancelled too (``asyncio.run`` cancels every
    task at shutdown): this returns while the thread still writes, and
    `CheckpointFile.close` is what waits for the write to end.
    """
    import asyncio  # only inside a running loop

    write = asyncio.ensure_future(asyncio.to_thread(checkpoint.append, lines))
    cancelled = False
    while not write.done():
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            cancelled = True
        except Exception:  # the write's own error, once it ended: the cancellation wins
            break
    if cancelled:
        if not write.cancelled():
            write.exception()  # retrieved: the cancellation is what propagates
        raise asyncio.CancelledError
    write.result()


def _outcomes(
    finished: t.Iterable[t.Any], *, keep_partial: bool
) -> tuple[list[list[tuple[Work, t.Any]]], BaseException | None]:
    """The finished windows' items to hand on, and the first error among them.

    With `keep_partial`, the items a failed window finished are handed on too.
    """
    ready: list[list[tuple[Work, t.Any]]] = []
    error: BaseException | None = None
    for task in finished:
        exc = task.exception()
        if exc is None:
            ready.append(task.result())
        elif error is None:
            error = exc
            if isinstance(exc, _WindowError):
                error = exc.error
                if keep_partial and exc.done:
                    ready.append(exc.done)
    return ready, error


async def _take(
    source: AsyncIterator[Work], size: int, checkpoint: CheckpointFile | None
) -> list[Work]:
    """Up to `size` items of `source` that did not finish in an earlier run."""
    chunk: list[Work] = []
    async for work in source:
        if checkpoint is not None and checkpoint.check_item(work.index, work.hash):
            continue
        chunk.append(work)
        if len(chunk) >= size:
            break
    return chunk
