"""Runs in windows: resumable batches (checkpoints) and results streamed as they finish.

Items are taken from their source lazily and run in windows of `window` items, each window a
normal run of the loop in `rigging._pipeline.run` (so checks, tools and watchers behave as in
`run_batch`), with up to `in_flight` windows running at once. For `run_checkpointed` a finished
window's results are written to the checkpoint (failed items are not: they run again on resume)
and then kept for the returned list; `iter_results` writes an item only once its consumer has
taken it (asked for the next one), so an item not delivered runs again on resume, and keeps
nothing afterwards.

The windows themselves (`_Windows` and what runs them) are in `rigging._pipeline.windows`.
"""

from __future__ import annotations

import typing as t
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
    pipeline_fingerprint,
)
from rigging._pipeline.finish import _then_all
from rigging._pipeline.state import FailMode
from rigging._pipeline.windows import (
    DEFAULT_WINDOW,
    AnyPipeline,
    Work,
    _append,
    _line,
    _Windows,
)
from rigging._pipeline.windows import _WindowError as _WindowError  # its home before the split
from rigging.error import _clip, _safe_str

if t.TYPE_CHECKING:
    import os

    from rigging._pipeline.base import PipelineBase
    from rigging.generator import GenerateParams, Generator

__all__ = ["DEFAULT_WINDOW", "Checkpoint", "Work", "iter_results", "run_checkpointed"]


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
    except Exception as exc:  # a hand-edited record: a validator's TypeError, too deep a value
        raise CheckpointError(
            f"checkpoint item {work.index} cannot be loaded as a "
            f"{pipeline._result_type.__name__}: {_clip(_safe_str(exc, named=True), 2000)}"
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
