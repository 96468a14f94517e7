"""Runs in windows: resumable batches (checkpoints) and results streamed as they finish.

Items are taken from their source lazily and run in windows of `window` items, each window a
normal run of the loop in `rigging._pipeline.run` (so checks, tools and watchers behave as in
`run_batch`), with up to `in_flight` windows running at once. For `run_checkpointed` a finished
window's results are written to the checkpoint (failed items are not: they run again on resume)
and then kept for the returned list; `iter_results` writes an item only once its consumer has
taken it (asked for the next one), so an item not delivered runs again on resume, and keeps
nothing afterwards.
"""

from __future__ import annotations

import typing as t
import warnings
from collections.abc import (
    AsyncGenerator,
    AsyncIterable,
    AsyncIterator,
    Callable,
    Iterable,
    Iterator,
    Sequence,
    Sized,
)
from dataclasses import dataclass

from rigging._pipeline.batch import close_progress, open_progress
from rigging._pipeline.checkpoint import (
    CheckpointError,
    CheckpointFile,
    CheckpointMode,
    ItemHasher,
    encode_record,
    pipeline_fingerprint,
    result_json,
)
from rigging._pipeline.run import _then_all, check_limit
from rigging._pipeline.state import FailMode
from rigging._tasks import settle_all
from rigging.error import RiggingError, _reduce, _safe_str
from rigging.logging import log

if t.TYPE_CHECKING:
    import asyncio
    import os

    from rigging._pipeline.base import PipelineBase
    from rigging.generator import GenerateParams, Generator

__all__ = ["DEFAULT_WINDOW", "Checkpoint", "Work", "iter_results", "run_checkpointed"]

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


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A runner's checkpoint request: where, how, and which runner (the pipelines' hook)."""

    path: str | os.PathLike[str]
    mode: CheckpointMode
    runner: str

    @classmethod
    def of(
        cls, path: str | os.PathLike[str] | None, mode: CheckpointMode, runner: str
    ) -> Checkpoint | None:
        """None without a path, else the request (the mode is checked here)."""
        if path is None:
            return None
        if mode not in ("resume", "restart"):
            raise ValueError(f"checkpoint_mode must be 'resume' or 'restart', got {mode!r}")
        return cls(path, mode, runner)

    async def run(
        self,
        pipeline: PipelineBase[t.Any, t.Any, t.Any],
        inputs: Sequence[t.Any],
        params: Sequence[GenerateParams],
        mode: FailMode,
        max_concurrency: int | None = None,
        progress: bool | str = False,
        *,
        targets: Sequence[Generator] | None = None,
    ) -> list[t.Any]:
        """Run the items with this checkpoint (see `run_checkpointed`)."""
        gens: Sequence[Generator | None] = targets if targets is not None else [None] * len(inputs)
        items = [
            Work(i, item, p, g)
            for i, (item, p, g) in enumerate(zip(inputs, params, gens, strict=True))
        ]
        return await run_checkpointed(
            pipeline,
            self.runner,
            items,
            mode,
            path=self.path,
            checkpoint_mode=self.mode,
            max_concurrency=max_concurrency,
            progress=progress,
        )


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
                await _append(self._checkpoint, _encode(self._checkpoint, done))
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
            checkpoint.append([line for done in kept for line in _encode(checkpoint, done)])
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
    again on resume). The shield does not help when the write's own task is cancelled too
    (``asyncio.run`` cancels every task at shutdown): this returns while the thread still
    writes, and `CheckpointFile.close` is what waits for the write to end.
    """
    import asyncio  # only inside a running loop

    write = asyncio.ensure_future(asyncio.to_thread(checkpoint.append, lines))
    cancelled = False
    while not write.done():
        try:
            await asyncio.shield(write)
        except asyncio.CancelledError:
            cancelled = True
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


class _Inputs:
    """The items of an iterable or async iterable as `Work`, read lazily (an async iterator).

    A class, not an async generator, for the reason `_Windows` gives. The source is not
    closed here: an async generator of the caller's is the caller's (and ``asyncio.run``
    closes it at shutdown).
    """

    def __init__(
        self, many: Iterable[t.Any] | AsyncIterable[t.Any], make: Callable[[t.Any, int], Work]
    ) -> None:
        self._many = many
        self._make = make
        self._sync: Iterator[t.Any] | None = None
        self._async: AsyncIterator[t.Any] | None = None
        self._index = 0

    def __aiter__(self) -> _Inputs:
        return self

    async def __anext__(self) -> Work:
        if self._sync is None and self._async is None:  # nothing is read before the first item
            many = self._many
            if isinstance(many, AsyncIterable):
                self._async = aiter(many)
            else:
                self._sync = iter(many)
        if self._async is not None:
            raw = await anext(self._async)
        else:
            try:
                raw = next(t.cast("Iterator[t.Any]", self._sync))
            except StopIteration:
                raise StopAsyncIteration from None
        work = self._make(raw, self._index)
        self._index += 1
        return work


def _restore(pipeline: AnyPipeline, record: dict[str, t.Any], work: Work) -> t.Any:
    data = {**record, "generator": work.generator or pipeline.generator, "params": work.params}
    data.pop("generator_id", None)
    try:
        return pipeline._result_type.model_validate(data)
    except ValueError as exc:
        raise CheckpointError(
            f"checkpoint item {work.index} cannot be loaded as a "
            f"{pipeline._result_type.__name__}: {exc}"
        ) from None


async def run_checkpointed(
    pipeline: PipelineBase[t.Any, t.Any, t.Any],
    runner: str,
    items: Sequence[Work],
    mode: FailMode,
    *,
    path: str | os.PathLike[str],
    checkpoint_mode: CheckpointMode = "resume",
    max_concurrency: int | None = None,
    progress: bool | str = False,
) -> list[t.Any]:
    """Run `items` with a checkpoint: load finished items, run the rest, record each window.

    Args:
        pipeline: The pipeline.
        runner: ``"batch"``, ``"many"`` or ``"over"`` (part of the fingerprint).
        items: The items, in input order.
        mode: The run's failure mode.
        path: The checkpoint file.
        checkpoint_mode: ``"resume"`` or ``"restart"``.
        max_concurrency: Most items in flight.
        progress: Show a progress bar (starting at the number already finished).

    Returns:
        One result per item, in input order (failed items included), before map/then/skip.

    Raises:
        Exception: An item's error in mode ``"raise"`` (or one not caught), with
            ``.completed`` set to every result finished so far, loaded ones included, in
            input order (the failing window's finished items are recorded first).
    """
    hasher = ItemHasher(_base_length(pipeline))
    import contextlib
    import hashlib

    whole = hashlib.sha256()
    for work in items:
        work.hash = hasher(work.input, work.params, work.generator)
        whole.update(work.hash.to_bytes(8, "little"))
    header = {
        "pipeline": pipeline_fingerprint(pipeline, runner),
        "inputs": whole.hexdigest(),
        "count": len(items),
    }
    results: list[t.Any] = [None] * len(items)

    def on_record(index: int, record: dict[str, t.Any]) -> None:
        results[index] = _restore(pipeline, record, items[index])

    checkpoint = CheckpointFile(path, header)
    checkpoint.open(checkpoint_mode, on_record)
    bar = open_progress(len(items), progress)
    try:
        if bar is not None and checkpoint.loaded:
            bar.update(checkpoint.loaded)
        windows = _Windows(
            pipeline, _Inputs(items, lambda work, _: work), checkpoint, mode, max_concurrency, bar
        )
        try:
            async with contextlib.aclosing(windows):
                async for done in windows:
                    for work, result in done:
                        results[work.index] = result
        except Exception as exc:
            # every result finished so far (loaded or run, any window), not only the last
            # window's, which the failing run attached first
            finished = [r for r in results if r is not None and not getattr(r, "failed", False)]
            with contextlib.suppress(AttributeError):  # an exception type with __slots__
                exc.completed = finished  # type: ignore[attr-defined]
            raise
    finally:
        close_progress(bar)
        checkpoint.close()
    return results


def _base_length(pipeline: AnyPipeline) -> int:
    base = pipeline._base_input()
    return 0 if isinstance(base, str) else len(base)


def _work(
    pipeline: AnyPipeline, raw: t.Any, index: int, params: GenerateParams, hasher: ItemHasher
) -> Work:
    [item] = pipeline._batch_inputs([raw])
    work = Work(index, item, params)
    work.hash = hasher(item, params, None)
    return work


async def iter_results(
    pipeline: PipelineBase[t.Any, t.Any, t.Any],
    many: Iterable[t.Any] | AsyncIterable[t.Any],
    params: GenerateParams,
    mode: FailMode,
    *,
    path: str | os.PathLike[str] | None = None,
    checkpoint_mode: CheckpointMode = "resume",
    max_concurrency: int | None = None,
    progress: bool | str = False,
    total: int | None = None,
) -> AsyncGenerator[tuple[int, t.Any], None]:
    """Yield ``(input index, result)`` in completion order (see `PipelineBase.iter_batch`).

    Args:
        pipeline: The pipeline.
        many: Inputs, read lazily.
        params: Params of every item (merged over the pipeline's).
        mode: Failure mode (``"skip"`` leaves failed items out).
        path: Checkpoint file, or None.
        checkpoint_mode: ``"resume"`` or ``"restart"``.
        max_concurrency: Most items in flight.
        progress: Show a progress bar (starting at the number already finished).
        total: Number of inputs, for the progress bar (taken from `many` when it is sized).

    Yields:
        Each result with its input index; on resume, only items not delivered earlier
        (an item is recorded once the consumer asks for the next one).
    """
    import contextlib

    s = pipeline.settings
    if s.maps:
        raise ValueError("map callbacks need every result at once; use run_batch for them")
    hasher = ItemHasher(_base_length(pipeline))
    checkpoint = None
    if path is not None:
        header = {"pipeline": pipeline_fingerprint(pipeline, "iter"), "inputs": None, "count": None}
        checkpoint = CheckpointFile(path, header)
        checkpoint.open(checkpoint_mode, lambda index, record: None)
    if total is None and isinstance(many, Sized):
        total = len(many)
    bar = None if progress is False else open_progress(total or 0, progress)
    # Lines of the items the consumer has taken, not yet written. An item counts as taken
    # once the consumer asks for the next one, so an item it was handed but stopped (or
    # crashed) on is not recorded, and a resumed run delivers it again: at-least-once.
    taken: list[bytes] = []
    try:
        if bar is not None:
            bar.total = total
            bar.update(checkpoint.loaded if checkpoint is not None else 0)
        # each input joined to the staged content
        source = _Inputs(many, lambda raw, index: _work(pipeline, raw, index, params, hasher))
        soft = pipeline._soft_for(mode)
        windows = _Windows(pipeline, source, checkpoint, mode, max_concurrency, bar, record=False)
        async with contextlib.aclosing(windows):  # stopping early cancels its windows at once
            async for done in windows:
                kept = [
                    (w, r) for w, r in done if not (mode == "skip" and getattr(r, "failed", False))
                ]
                done.clear()  # the window's list is shared with its task: empty it, keep nothing
                results = [r for _, r in kept]
                indices = [w.index for w, _ in kept]
                # recorded as stored (before then callbacks), like run_batch's checkpoint
                lines = [_line(checkpoint, w, r) for w, r in kept] if checkpoint is not None else []
                kept.clear()
                for then in s.thens:
                    results = await _then_all(then, results, pipeline._result_type, soft=soft)
                if mode == "skip" and any(getattr(r, "failed", False) for r in results):
                    # a then callback failed these alone: left out (and run again on resume)
                    keep = [i for i, r in enumerate(results) if not getattr(r, "failed", False)]
                    results = [results[i] for i in keep]
                    indices = [indices[i] for i in keep]
                    lines = [lines[i] for i in keep] if lines else lines
                results.reverse()
                indices.reverse()
                lines.reverse()
                while results:  # popped as yielded: no reference kept to a handed-out result
                    line = lines.pop() if lines else None
                    yield indices.pop(), results.pop()
                    if line is not None:  # the consumer asked for more: it has this one
                        taken.append(line)
                if checkpoint is not None and taken:
                    written, taken = taken, []
                    await _append(checkpoint, written)
    finally:
        close_progress(bar)
        if checkpoint is not None:
            try:
                if taken:  # stopped early: keep what was delivered (one short write)
                    checkpoint.append(taken)
            finally:
                checkpoint.close()
