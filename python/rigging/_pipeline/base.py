"""Runners shared by chat and completion pipelines: `PipelineBase`.

`PipelineBase` adds the runners (`run`, `run_many`, `run_batch`, `run_over`, `iter_batch` and
the streams) to `PipelineConfig` (`rigging._pipeline.config`), which holds the settings, the
builder methods and the copies, with the value semantics they follow.
"""

from __future__ import annotations

import contextlib
import contextvars
import typing as t
from collections.abc import Sequence

from rigging._model.base import Model
from rigging._pipeline.batch import (
    check_params,
    close_progress,
    fit_params,
    open_progress,
    resolve_generators,
)
from rigging._pipeline.config import PipelineConfig, Settings, UntilSpec
from rigging._pipeline.resumable import Checkpoint, iter_results
from rigging._pipeline.run import (
    check_limit,
    execute,
    finalize,
    is_soft,
    plan_run,
    raise_first,
)
from rigging._pipeline.state import FailMode, check_count, check_fail_mode
from rigging._tasks import settle_all
from rigging.error import RunNestingError, _add_note
from rigging.generator import GenerateParams, Generator
from rigging.tracing import finish_run_span, run_span

if t.TYPE_CHECKING:
    import os
    from collections.abc import AsyncGenerator, AsyncIterable, Iterable

    from rigging._pipeline.checkpoint import CheckpointMode

__all__ = ["PipelineBase", "Settings", "UntilSpec"]

ResultT = t.TypeVar("ResultT")
ListT = t.TypeVar("ListT", bound=list[t.Any])
StreamT = t.TypeVar("StreamT")

MAX_NESTED_RUNS = 16
"""Most pipeline runs nested inside one another (a run inside a tool or callback of a run)."""

_NESTED_RUNS: contextvars.ContextVar[int] = contextvars.ContextVar("rigging_nested_runs", default=0)


def _name_generator(exc: Exception, generator: Generator, position: int) -> None:
    """Note on `exc` which generator of a `run_over` its run used."""
    try:
        identifier = generator.to_identifier()
    except Exception:
        identifier = type(generator).__name__
    note = f"rigging: raised by the run_over run on generator {position} ({identifier})"
    _add_note(exc, note)


class PipelineBase(PipelineConfig[ResultT, ListT, StreamT]):
    """Shared implementation of `ChatPipeline` and `CompletionPipeline`."""

    # --- runners --------------------------------------------------------------------------------

    def _mode(self, on_failed: FailMode | None, *, allow_failed: bool = False) -> FailMode:
        if on_failed is not None:
            return check_fail_mode(on_failed)
        return "include" if allow_failed else self.settings.on_failed

    async def _execute(
        self,
        generator: Generator,
        inputs: Sequence[t.Any],
        params: Sequence[GenerateParams],
        mode: FailMode,
        *,
        max_concurrency: int | None = None,
        progress: t.Any = None,
        results: list[t.Any] | None = None,
    ) -> list[ResultT]:
        """Run items (no map/then/skip): results in input order, failed ones included.

        `results`, when given (one None per item), is filled in place as items finish.
        """
        check_limit(max_concurrency)
        depth = _NESTED_RUNS.get()
        if depth >= MAX_NESTED_RUNS:
            raise RunNestingError(
                f"pipeline runs nested more than {MAX_NESTED_RUNS} deep: a tool or callback "
                "runs a pipeline that runs it again (a prompt offered as its own tool?)"
            )
        driver = self._driver(generator)
        plan = plan_run(
            driver, self.settings, inputs, params, mode, limit=max_concurrency, progress=progress
        )
        token = _NESTED_RUNS.set(depth + 1)  # tasks the run starts inherit it
        try:
            return await execute(plan, results)
        finally:
            # Closed from another context (an abandoned task collected): that context's value
            # is not ours, and raising here hid the real error.
            with contextlib.suppress(ValueError):
                _NESTED_RUNS.reset(token)

    async def _finalize(self, results: list[ResultT], mode: FailMode) -> list[ResultT]:
        s = self.settings
        return await finalize(
            results, mode, s.maps, s.thens, self._result_type, self._soft_for(mode)
        )

    def _soft_for(self, mode: FailMode) -> t.Callable[[BaseException], bool] | None:
        """Which callback errors fail their item alone in `mode` (None in mode "raise")."""
        if mode == "raise":
            return None
        s = self.settings
        return lambda exc: is_soft(mode, s.fail_on, s.exclude, exc)

    async def _run_items(
        self,
        inputs: Sequence[t.Any],
        params: Sequence[GenerateParams],
        mode: FailMode,
        max_concurrency: int | None,
        progress: bool | str,
        checkpoint: Checkpoint | None = None,
    ) -> ListT:
        if checkpoint is not None:  # resumable run (rigging._pipeline.resumable)
            results = await checkpoint.run(self, inputs, params, mode, max_concurrency, progress)
            return t.cast("ListT", self._list_type(await self._finalize(results, mode)))
        bar = open_progress(len(inputs), progress)
        try:
            results = await self._execute(
                self.generator,
                inputs,
                params,
                mode,
                max_concurrency=max_concurrency,
                progress=bar,
            )
        finally:
            close_progress(bar)
        return t.cast("ListT", self._list_type(await self._finalize(results, mode)))

    async def run(
        self, *, allow_failed: bool = False, on_failed: FailMode | None = None
    ) -> ResultT:
        """Generate once and return the result.

        Args:
            allow_failed: Return a failed result instead of raising (mode ``"include"``).
            on_failed: Failure mode for this run (``"skip"`` is not allowed).

        Returns:
            The result.

        Raises:
            ValueError: ``on_failed="skip"``.
        """
        mode = self._mode(on_failed, allow_failed=allow_failed)
        if mode == "skip":
            raise ValueError("on_failed='skip' needs several results; use run_many or 'include'")
        params = fit_params(self.params, None, 1)
        kind = self._result_type.__name__
        with run_span(f"{kind} with {{generator_id}}", self.generator, self.params) as span:
            results = await self._execute(self.generator, [self._base_input()], params, mode)
            final = await self._finalize(results, mode)
            finish_run_span(span, final)
        if len(final) != 1:
            raise ValueError(
                f"map callbacks must keep exactly one result in run(), got {len(final)}"
            )
        return final[0]

    __call__ = run

    async def run_many(
        self,
        count: int,
        *,
        params: Sequence[GenerateParams | None] | None = None,
        on_failed: FailMode | None = None,
        max_concurrency: int | None = None,
        progress: bool | str = False,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_mode: CheckpointMode = "resume",
    ) -> ListT:
        """Generate `count` independent results from the same inputs.

        Each round sends every item that needs a generation in one batch call; an item the
        generator fails on fails alone (see `catch` to keep it as a failed result). When the
        run raises, the error carries the results finished so far as ``error.completed``
        (a list, in input order).

        Args:
            count: How many results.
            params: One params object per result (merged over the pipeline's).
            on_failed: Failure mode for this run.
            max_concurrency: Most items sent to the generator in one call.
            progress: Show a progress bar (a str sets its description).
            checkpoint: A JSONL file recording each finished item; a rerun with the same
                file loads finished items and runs only the rest (see docs/design/scale.md).
            checkpoint_mode: ``"resume"`` (refuse a file of another pipeline or input set)
                or ``"restart"`` (discard the file).

        Returns:
            The results, in order.

        Raises:
            TypeError: ``count`` is not an int.
            ValueError: ``count`` is not from 0 to 10,000,000 (`MAX_ITEMS_LIMIT`: every
                result is kept in memory; use `iter_batch` for more), checked before any work.
        """
        check_count("count", count)
        mode = self._mode(on_failed)
        fitted = fit_params(self.params, params, count)
        inputs = [self._base_input()] * count
        template = f"{self._result_type.__name__} with {{generator_id}} (x{{count}})"
        with run_span(template, self.generator, self.params, count=count) as span:
            ckpt = Checkpoint.of(checkpoint, checkpoint_mode, "many")
            out = await self._run_items(inputs, fitted, mode, max_concurrency, progress, ckpt)
            finish_run_span(span, out)
        return out

    async def run_batch(
        self,
        many: t.Any,
        params: Sequence[GenerateParams | None] | None = None,
        *,
        on_failed: FailMode | None = None,
        max_concurrency: int | None = None,
        progress: bool | str = False,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_mode: CheckpointMode = "resume",
    ) -> ListT:
        """Generate one result per input, each appended to the pipeline's own content.

        A single input is broadcast to the length of ``params``. An item the generator fails
        on fails alone: with ``catch(GenerationError, on_failed="include")`` it comes back
        failed and every other item with its result; with ``"skip"`` it is left out. When
        the run raises (``on_failed="raise"``, or an error not caught), the rest of the round
        is finished first and the error carries the results finished so far as
        ``error.completed`` (a list, in input order).

        Args:
            many: The inputs.
            params: One params object per input (merged over the pipeline's).
            on_failed: Failure mode for this run (default: the pipeline's).
            max_concurrency: Most items sent to the generator in one call.
            progress: Show a progress bar (a str sets its description).
            checkpoint: A JSONL file recording each finished item; a rerun with the same
                file loads finished items and runs only the rest (see docs/design/scale.md).
            checkpoint_mode: ``"resume"`` (refuse a file of another pipeline or input set)
                or ``"restart"`` (discard the file).

        Returns:
            The results, in input order.

        Raises:
            ValueError: ``many`` and ``params`` cannot be matched up, or hold more than
                10,000,000 items (`MAX_ITEMS_LIMIT`; use `iter_batch` for more).
            Exception: An item's error in mode ``"raise"`` (or one not caught), with
                ``.completed`` set.
        """
        mode = self._mode(on_failed)
        inputs = self._fit_batch(many, params)
        count = len(inputs)
        fitted = fit_params(self.params, params, count)
        template = f"{self._result_type.__name__} batch with {{generator_id}} ({{count}})"
        with run_span(template, self.generator, self.params, count=count) as span:
            ckpt = Checkpoint.of(checkpoint, checkpoint_mode, "batch")
            out = await self._run_items(inputs, fitted, mode, max_concurrency, progress, ckpt)
            finish_run_span(span, out)
        return out

    async def run_over(
        self,
        *generators: Generator | str,
        include_original: bool = True,
        on_failed: FailMode | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_mode: CheckpointMode = "resume",
    ) -> ListT:
        """Run the pipeline once on each generator (the pipeline's own last).

        Map and then callbacks run once, over all results. A generator that fails fails its
        own run alone; when the run raises, every run is awaited first and the error carries
        the other runs' finished results as ``error.completed``.

        Args:
            *generators: Generators or connection strings.
            include_original: Also run on the pipeline's own generator.
            on_failed: Failure mode for this run.
            checkpoint: A JSONL file recording each finished item (see `run_batch`).
            checkpoint_mode: ``"resume"`` or ``"restart"``.

        Returns:
            One result per generator, in the order given.
        """
        mode = self._mode(on_failed)
        targets = resolve_generators(generators)
        if include_original:
            targets.append(self.generator)
        inner: FailMode = "raise" if mode == "raise" else "include"
        params = fit_params(self.params, None, 1)
        template = f"{self._result_type.__name__} over {{count}} generators"
        with run_span(template, None, self.params, count=len(targets)) as span:
            ckpt = Checkpoint.of(checkpoint, checkpoint_mode, "over")
            if ckpt is not None:  # resumable run (rigging._pipeline.resumable)
                inputs = [self._base_input()] * len(targets)
                results = await ckpt.run(
                    self, inputs, params * len(targets), inner, targets=targets
                )
            else:
                runs = [self._execute(g, [self._base_input()], params, inner) for g in targets]
                outcomes = await settle_all(runs)
                for position, (target, outcome) in enumerate(zip(targets, outcomes, strict=True)):
                    if isinstance(outcome, Exception):
                        _name_generator(outcome, target, position)
                raise_first(outcomes)
                results = [r for batch in t.cast("list[list[ResultT]]", outcomes) for r in batch]
            final = await self._finalize(results, mode)
            finish_run_span(span, final)
        return t.cast("ListT", self._list_type(final))

    def iter_batch(
        self,
        many: Iterable[t.Any] | AsyncIterable[t.Any],
        params: GenerateParams | None = None,
        *,
        on_failed: FailMode | None = None,
        max_concurrency: int | None = None,
        progress: bool | str = False,
        total: int | None = None,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_mode: CheckpointMode = "resume",
    ) -> AsyncGenerator[tuple[int, ResultT], None]:
        """Like `run_batch` at any size: yield ``(input index, result)`` as items finish.

        Inputs are read lazily from any iterable or async iterable, a window of items at a
        time, and results come in completion order; nothing is kept once yielded (and
        written to the checkpoint), so memory stays flat however many items there are. Then
        callbacks run per window; map callbacks are refused (they need every result).
        With a checkpoint, a rerun yields only the items not delivered before: an item is
        recorded once the consumer asks for the next one, so the item it stops or crashes on
        is yielded again (at-least-once).

        Args:
            many: The inputs.
            params: Params of every item (merged over the pipeline's).
            on_failed: Failure mode (``"skip"`` leaves failed items out).
            max_concurrency: Most items in flight.
            progress: Show a progress bar (starting at the items already finished).
            total: Number of inputs for the progress bar (taken from `many` when sized).
            checkpoint: A JSONL file recording each finished item (see `run_batch`).
            checkpoint_mode: ``"resume"`` or ``"restart"``.

        Returns:
            An async generator of each input's index and its result (nothing runs before
            iteration starts; ``aclose()`` it, e.g. with ``contextlib.aclosing``, to stop early).

        Raises:
            TypeError: ``many`` is not an iterable or async iterable.
            ValueError: ``total`` is not an int >= 0.
        """
        if many is None or not (hasattr(many, "__iter__") or hasattr(many, "__aiter__")):
            raise TypeError(
                "iter_batch takes an iterable or async iterable of inputs, "
                f"got {type(many).__name__}"
            )
        if total is not None and (type(total) is not int or total < 0):
            raise ValueError(f"total must be a count of inputs (an int >= 0), got {total!r}")
        merged = fit_params(self.params, None if params is None else [params], 1)[0]
        return iter_results(
            self,
            many,
            merged,
            self._mode(on_failed),
            path=checkpoint,
            checkpoint_mode=checkpoint_mode,
            max_concurrency=max_concurrency,
            progress=progress,
            total=total,
        )

    # --- streaming (rigging._pipeline.stream) --------------------------------------------------

    def stream(
        self,
        *,
        models: Sequence[type[Model]] = (),
        stop_when_parsed: bool | None = None,
        allow_failed: bool = False,
        on_failed: FailMode | None = None,
    ) -> StreamT:
        """Run once like `run`, streaming events: text, parsed models, tool calls, rounds.

        The last event is a finished event (`ChatFinishedEvent` / `CompletionFinishedEvent`)
        whose result equals what `run` returns for the same output. Models of the
        `until_parsed_as` types and of `models` are reported as soon as their closing tag
        arrives. With `stop_when_parsed` (default: on when `until_parsed_as` types are
        registered) each stream is closed as soon as a model of every type was parsed; the
        result then has ``extra["stopped_early"] = True``.

        Args:
            models: More model types to report.
            stop_when_parsed: Close the stream once every type was parsed.
            allow_failed: Finish with a failed result instead of raising.
            on_failed: Failure mode (``"skip"`` is not allowed).

        Returns:
            The event stream (an async iterator; nothing is sent before iteration starts).

        Raises:
            ValueError: ``on_failed="skip"``, or ``stop_when_parsed=True`` without types.
        """
        mode = self._mode(on_failed, allow_failed=allow_failed)
        if mode == "skip":
            raise ValueError("on_failed='skip' needs several results; use stream_many or 'include'")
        return self._open_stream([self._base_input()], None, mode, models, stop_when_parsed)

    def stream_many(
        self,
        count: int,
        *,
        params: Sequence[GenerateParams | None] | None = None,
        on_failed: FailMode | None = None,
        max_concurrency: int | None = None,
        models: Sequence[type[Model]] = (),
        stop_when_parsed: bool | None = None,
    ) -> StreamT:
        """Like `run_many`, streaming the events of every item interleaved (see `stream`).

        Each event carries the item's ``index``; the final finished events come after every
        item finished, one per result of `run_many` (their index is the position among those
        results).

        Args:
            count: How many results.
            params: One params object per result.
            on_failed: Failure mode.
            max_concurrency: Most items streamed at once.
            models: More model types to report.
            stop_when_parsed: Close each stream once every type was parsed.

        Returns:
            The event stream.

        Raises:
            TypeError: ``count`` is not an int.
            ValueError: ``count`` is not from 0 to 10,000,000 (as `run_many`).
        """
        check_count("count", count)
        inputs = [self._base_input()] * count
        mode = self._mode(on_failed)
        return self._open_stream(inputs, params, mode, models, stop_when_parsed, max_concurrency)

    def stream_batch(
        self,
        many: t.Any,
        params: Sequence[GenerateParams | None] | None = None,
        *,
        on_failed: FailMode | None = None,
        max_concurrency: int | None = None,
        models: Sequence[type[Model]] = (),
        stop_when_parsed: bool | None = None,
    ) -> StreamT:
        """Like `run_batch`, streaming the events of every item interleaved (see `stream_many`).

        Args:
            many: The inputs (a single one is broadcast to the length of ``params``).
            params: One params object per input.
            on_failed: Failure mode.
            max_concurrency: Most items streamed at once.
            models: More model types to report.
            stop_when_parsed: Close each stream once every type was parsed.

        Returns:
            The event stream.

        Raises:
            ValueError: ``many`` and ``params`` cannot be matched up, or hold more than
                10,000,000 items (as `run_batch`).
        """
        inputs = self._fit_batch(many, params)
        mode = self._mode(on_failed)
        return self._open_stream(inputs, params, mode, models, stop_when_parsed, max_concurrency)

    def _open_stream(
        self,
        inputs: list[t.Any],
        params: Sequence[GenerateParams | None] | None,
        mode: FailMode,
        models: Sequence[type[Model]],
        stop_when_parsed: bool | None,
        max_concurrency: int | None = None,
    ) -> StreamT:
        from rigging._pipeline.stream import open_stream

        stream = open_stream(
            self,
            inputs,
            params,
            mode,
            models=models,
            stop_when_parsed=stop_when_parsed,
            max_concurrency=max_concurrency,
        )
        return t.cast("StreamT", stream)

    def _fit_batch(
        self, many: t.Any, params: Sequence[GenerateParams | None] | None
    ) -> list[t.Any]:
        """The batch inputs, a single one broadcast to the length of ``params``."""
        if params is not None:
            check_params(params)
        inputs = self._batch_inputs(many)
        count = max(len(inputs), len(params or ()))
        if len(inputs) != count:
            if len(inputs) != 1:
                raise ValueError(f"Can't fit many of length {len(inputs)} to {count}")
            inputs = inputs * count
        return inputs
