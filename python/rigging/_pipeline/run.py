"""The run loop shared by chat and completion pipelines.

One loop drives every runner (`run`, `run_many`, `run_batch`, `run_over`). Each round takes
the ready items from the native `FanOut` table, sends them to the generator in ONE batch
call, and lets the driver (chat or completion rules) decide per item: done, again, or
failed. Results stay in input order; a failure of one item never touches another's result.

The batch call returns one result *or exception* per item (`Generator.generate_messages_settled`),
so an item the generator could not answer fails alone. When an error must propagate (failure
mode ``"raise"``, or an error the pipeline does not catch), the round is still finished for the
other items, then the first error (in input order) is raised with the results finished so far
attached as ``completed`` (see `attach_completed`, in `rigging._pipeline.completed`). What runs
after the loop (skip filter, map and then callbacks) is `finalize`, in `rigging._pipeline.finish`.
"""

from __future__ import annotations

import typing as t
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from rigging._native import FanOut
from rigging._pipeline.completed import attach_completed, raise_first, set_completed, start_mark
from rigging._pipeline.finish import _name, _stray, finalize
from rigging._pipeline.state import FailMode, RunState, add_context
from rigging._redact import (
    environment_secrets,
    known_secrets,
    redact_exception,
    redact_text,
    remember_params,
)
from rigging._tasks import own_exit_fails, settle_all
from rigging.error import ExhaustedMaxRoundsError, GenerationError, _add_note, _safe_str
from rigging.tracing import callback_name, tracer, usage_attributes

if TYPE_CHECKING:
    from rigging._pipeline.base import Settings
    from rigging.generator import GenerateParams

__all__ = [
    "Driver",
    "RunPlan",
    "attach_completed",
    "check_limit",
    "execute",
    "finalize",
    "plan_run",
    "raise_first",
    "set_completed",
    "start_mark",
]

ResultT = TypeVar("ResultT")
ResultT_co = TypeVar("ResultT_co", covariant=True)


class Driver(Protocol[ResultT_co]):
    """What differs between chat and completion runs; the loop does everything else."""

    budget: int
    """Most generations one item may need (first one, tool rounds and until rounds)."""
    has_tools: bool
    """Whether `tools` must be consulted after each generation."""
    # Optional ``generated_type``: what the generator must return per item (`GeneratedMessage`
    # or `GeneratedText`); anything else fails that item as a `GenerationError`.

    def request(self, state: RunState) -> Any:
        """Build what is sent to the generator for `state`."""
        ...

    def generate(self, requests: list[Any], params: list[GenerateParams]) -> Awaitable[Any]:
        """Call the generator once for the whole round: one result or exception per item."""
        ...

    def tools(self, state: RunState, generated: Any) -> Awaitable[bool]:
        """Run tool handlers on a generation; True means the item goes again."""
        ...

    def advance(self, state: RunState, generated: Any) -> bool:
        """Apply the until checks to a generation; True means the item goes again."""
        ...

    def finish(self, state: RunState) -> ResultT_co:
        """Build the result of a finished item."""
        ...

    def failed(self, state: RunState, error: BaseException) -> ResultT_co:
        """Build the result of a failed item."""
        ...


@dataclass(slots=True)
class RunPlan(Generic[ResultT]):
    """Everything one execution of the loop needs."""

    driver: Driver[ResultT]
    states: list[RunState]
    mode: FailMode
    fail_on: tuple[type[BaseException], ...]
    exclude: tuple[type[BaseException], ...]
    watchers: tuple[Callable[[list[ResultT]], Awaitable[Any]], ...]
    limit: int | None = None
    progress: Any = None
    pending: Exception | None = None
    """The first error that must propagate, raised once the current round is finished."""
    watch_error: Exception | None = None
    """The first error a watcher raised; raised once every item finished."""
    watch_failures: int = 0
    """How many watcher calls raised in this run (the first one's error is `watch_error`)."""


def check_limit(max_concurrency: int | None) -> None:
    """Refuse a `max_concurrency` below 1 (None means no limit).

    Raises:
        TypeError: `max_concurrency` is not an int (nor None).
        ValueError: `max_concurrency` is below 1.
    """
    if max_concurrency is None:
        return
    if isinstance(max_concurrency, bool) or not isinstance(max_concurrency, int):
        kind = type(max_concurrency).__name__
        raise TypeError(f"max_concurrency must be an int or None, got {kind} {max_concurrency!r}")
    if max_concurrency < 1:
        raise ValueError(f"max_concurrency must be 1 or more, got {max_concurrency}")


def plan_run(
    driver: Driver[ResultT],
    settings: Settings,
    inputs: Sequence[Any],
    params: Sequence[GenerateParams],
    mode: FailMode,
    *,
    limit: int | None = None,
    progress: Any = None,
) -> RunPlan[ResultT]:
    """The plan of one run (plain or streamed): one fresh state per item, in input order.

    Args:
        driver: The chat or completion rules.
        settings: The pipeline's settings (failure types and watchers are read).
        inputs: The input of each item.
        params: The fitted params of each item.
        mode: The failure mode.
        limit: Most items in flight (checked by the caller with `check_limit`).
        progress: A progress bar, or None.

    Returns:
        The plan.
    """
    states = [RunState(item, p, i) for i, (item, p) in enumerate(zip(inputs, params, strict=True))]
    return RunPlan(
        driver=driver,
        states=states,
        mode=mode,
        fail_on=settings.fail_on,
        exclude=settings.exclude,
        watchers=settings.watches,
        limit=limit,
        progress=progress,
    )


def is_soft(
    mode: FailMode,
    fail_on: tuple[type[BaseException], ...],
    exclude: tuple[type[BaseException], ...],
    exc: BaseException,
) -> bool:
    """Whether `exc` marks its item failed instead of propagating (see ``catch``).

    Running out of rounds always does, any other error when it is listed in ``fail_on`` and
    not in ``exclude``; nothing does in mode ``"raise"``.
    """
    if mode == "raise":
        return False
    if isinstance(exc, ExhaustedMaxRoundsError):
        return True
    return isinstance(exc, fail_on) and not isinstance(exc, exclude)


def _soft(plan: RunPlan[Any], exc: BaseException) -> bool:
    """Whether `exc` marks items failed instead of propagating."""
    return is_soft(plan.mode, plan.fail_on, plan.exclude, exc)


Answered = tuple[Sequence[int], Sequence[Any]]
"""The items of a round the generator answered: their indices and their results."""


async def _generate_round(
    plan: RunPlan[ResultT], fan: FanOut, batch: list[int], round_: int, results: list[Any]
) -> Answered:
    """One generator call for `batch`; the items it answered, failed ones marked as such."""
    states = plan.states
    driver = plan.driver
    requests = [driver.request(states[i]) for i in batch]
    params = [states[i].params for i in batch]
    remember_params(params)  # a request's own secrets are scrubbed like the generator's
    with tracer.span(
        "Generate round {round} ({count} items)", round=round_, count=len(batch)
    ) as span:
        try:
            generated = await own_exit_fails(
                driver.generate(requests, params), lambda raised: _stray_generation(driver, raised)
            )
        except Exception as exc:  # a generator overriding the settled methods raised
            generated = [exc] * len(batch)
        if len(generated) != len(batch):
            # No result can be told apart: every item of the batch fails with this error, as
            # with any other generator error (kept by `catch(...)`, raised otherwise).
            generator = getattr(driver, "generator", None)
            wrong = GenerationError(
                f"generator {type(generator).__name__} returned {len(generated)} results for "
                f"{len(batch)} inputs in round {round_}; a generator must return exactly one "
                "result per input",
                model=str(getattr(generator, "model", "") or ""),
            )
            generated = [wrong] * len(batch)
        expected: type[Any] = getattr(driver, "generated_type", object)
        errors = [g for g in generated if not isinstance(g, expected)]
        if errors:
            _scrub(errors)
        if span.is_recording():
            generator = getattr(driver, "generator", None)
            if generator is not None:
                span.set_attribute("generator_id", generator.to_identifier())
            ok = [g for g in generated if isinstance(g, expected)]
            span.set_attribute("usage", usage_attributes(ok))
            span.set_attribute("failed", bool(errors))
            if errors:
                span.set_attribute("failed_items", len(errors))
                span.set_attribute("error", _safe_str(errors[0]))
    if not errors:
        return batch, generated
    indices: list[int] = []
    answered: list[Any] = []
    for index, item in zip(batch, t.cast("Sequence[Any]", generated), strict=True):
        if not isinstance(item, expected):
            error = item if isinstance(item, Exception) else _not_a_result(driver, item)
            _fail_item(plan, fan, index, error, round_, results, what="the generator")
        else:
            indices.append(index)
            answered.append(item)
    return indices, answered


def _scrub(errors: Sequence[Any]) -> None:
    """Remove secrets from the generator's errors before they reach results or the caller.

    A custom generator's error may quote its key (``ValueError(f"bad key {self.api_key}")``)
    or one read from the environment; the remote generators scrub their own, this covers
    every generator: the secrets every generator and request of the process has held, and
    the values of environment variables under secret names.
    """
    secrets = [*known_secrets(), *environment_secrets()]
    for error in {id(e): e for e in errors if isinstance(e, BaseException)}.values():
        redact_exception(error, lambda text: redact_text(text, secrets))


def _stray_generation(driver: Driver[Any], raised: str) -> GenerationError:
    """The error of a round whose generator call raised a stray `BaseException`.

    `raised` names it: a `CancelledError` of its own, a `GeneratorExit` (`own_exit_fails`).
    """
    generator = getattr(driver, "generator", None)
    return GenerationError(
        f"generator {type(generator).__name__} raised {raised}; the items of its call failed",
        model=str(getattr(generator, "model", "") or ""),
    )


def _not_a_result(driver: Driver[Any], item: Any) -> GenerationError:
    """The error of an item the generator answered with something that is not a result."""
    generator = getattr(driver, "generator", None)
    model = str(getattr(generator, "model", "") or "")
    return GenerationError(
        f"generator {type(generator).__name__} returned {type(item).__name__} for an item, "
        f"not a {getattr(driver, 'generated_type', object).__name__}",
        model=model,
    )


def _fail_item(
    plan: RunPlan[ResultT],
    fan: FanOut,
    index: int,
    exc: Exception,
    round_: int,
    results: list[Any],
    *,
    in_flight: bool = True,
    what: str = "processing",
) -> None:
    """Record a failed item; an error that must propagate is kept for the end of the round."""
    if isinstance(exc, ExhaustedMaxRoundsError):
        exc.index, exc.round = index, round_
    if in_flight:
        fan.fail(index)
    if not _soft(plan, exc):
        if plan.pending is None:
            add_context(exc, what, index=index, round_=round_)
            plan.pending = exc
        return
    results[index] = plan.driver.failed(plan.states[index], exc)


async def _decide_with_tools(
    plan: RunPlan[ResultT],
    fan: FanOut,
    generated: Answered,
    round_: int,
    results: list[Any],
) -> None:
    """Per-item path when tool handlers must be awaited first.

    The tool handlers of the round's items run concurrently (the round holds at most
    `RunPlan.limit` items, so `max_concurrency` bounds them too); an item whose tools raise
    fails alone. The table is then updated in input order, so the outcome does not depend on
    which tool finished first.
    """
    driver = plan.driver
    indices, answered = generated
    states = [plan.states[i] for i in indices]
    for state, item in zip(states, answered, strict=True):
        state.last = item
    outcomes = await settle_all(
        [
            own_exit_fails(driver.tools(state, item), _stray(f"the tools of item {state.index}"))
            for state, item in zip(states, answered, strict=True)
        ]
    )
    for index, state, item, outcome in zip(indices, states, answered, outcomes, strict=True):
        try:
            if isinstance(outcome, Exception):
                raise outcome
            again = outcome or driver.advance(state, item)
            if not again:
                results[index] = driver.finish(state)
        except Exception as exc:
            _fail_item(plan, fan, index, exc, round_, results)
            continue
        if not again:
            fan.complete(index)
        elif not fan.again(index):
            _exhausted(plan, fan, index, round_, results)


def _decide(
    plan: RunPlan[ResultT],
    fan: FanOut,
    generated: Answered,
    round_: int,
    results: list[Any],
) -> None:
    """Apply the until checks to every item of a round; mark the table in bulk."""
    driver = plan.driver
    states = plan.states
    done: list[int] = []
    again: list[int] = []
    for index, item in zip(*generated, strict=True):
        state = states[index]
        state.last = item
        try:
            if driver.advance(state, item):
                again.append(index)
                continue
            results[index] = driver.finish(state)
        except Exception as exc:
            _fail_item(plan, fan, index, exc, round_, results)
            continue
        done.append(index)
    fan.complete_many(done)
    if again:
        for index, queued in zip(again, fan.again_many(again), strict=True):
            if not queued:
                _exhausted(plan, fan, index, round_, results)


def _exhausted(
    plan: RunPlan[ResultT], fan: FanOut, index: int, round_: int, results: list[Any]
) -> None:
    """The table refused another round (the item used every send it may have)."""
    last_error = getattr(plan.states[index], "last_error", None)
    exc = ExhaustedMaxRoundsError(plan.driver.budget, last_error=last_error)
    _fail_item(plan, fan, index, exc, round_, results, in_flight=False)


async def execute(plan: RunPlan[ResultT], results: list[Any] | None = None) -> list[ResultT]:
    """Run every item of `plan` to completion or failure.

    Args:
        plan: The items and settings.
        results: A list of one None per item to fill in place (so a caller that catches the
            error knows which items finished); a new one by default.

    Returns:
        One result per item, in input order (failed items included, whatever the mode).

    Raises:
        Exception: The first error that must propagate, once its round is finished, with
            the results finished so far attached (see `attach_completed`). The first error
            of a watcher is raised once every item finished, with every result finished
            without failing attached the same way.
    """
    since = start_mark()
    count = len(plan.states)
    if results is None:
        results = [None] * count
    fan = FanOut(count, max(plan.driver.budget, 1))
    round_ = 0
    while not fan.is_finished():
        batch = fan.next_round(plan.limit)
        round_ += 1
        try:
            generated = await _generate_round(plan, fan, batch, round_, results)
            if generated[0]:
                if plan.driver.has_tools:
                    await _decide_with_tools(plan, fan, generated, round_, results)
                else:
                    _decide(plan, fan, generated, round_, results)
            await _after_round(plan, fan, results, round_)
        except Exception as exc:
            attach_completed(exc, results, since)
            raise
        if plan.pending is not None:
            _note_watch_error(plan)
            raise attach_completed(plan.pending, results, since)
    if plan.watch_error is not None:
        _note_later_failures(plan)
        raise attach_completed(plan.watch_error, results, since)
    return results


def _note_later_failures(plan: RunPlan[Any]) -> None:
    """Say on the first watcher error how many later watcher calls raised too."""
    more = plan.watch_failures - 1
    if more < 1 or plan.watch_error is None:
        return
    note = f"{_LATER_FAILURES}{more}"
    _add_note(plan.watch_error, note, replacing=_LATER_FAILURES)


_LATER_FAILURES = "rigging: later watch callback calls of this run that raised too: "


def _note_watch_error(plan: RunPlan[Any]) -> None:
    """Mention a watcher's error on the item error that propagates instead of it."""
    error, pending = plan.watch_error, plan.pending
    if error is None or pending is None or error is pending:
        return
    note = f"rigging: a watch callback also failed: {_safe_str(error, named=True)}"
    _add_note(pending, note)


async def _after_round(
    plan: RunPlan[ResultT], fan: FanOut, results: list[Any], round_: int
) -> None:
    """Hand items finished this round to the watchers and the progress bar.

    The watchers run concurrently. One that raises is still called in later rounds (a sink
    that failed on some items must still get the others), and the first error is kept for
    the end of the run (see `execute`): the items go on, every watcher keeps watching, and no
    watcher is left running.
    """
    if not plan.watchers and plan.progress is None:
        return
    finished = [results[i] for i in fan.drain_finished()]
    if plan.progress is not None:
        plan.progress.update(len(finished))
    if not finished or not plan.watchers:
        return
    outcomes = await settle_all([_watch(w, list(finished), round_) for w in plan.watchers])
    for outcome in outcomes:
        if isinstance(outcome, Exception):
            plan.watch_failures += 1
            if plan.watch_error is None:
                plan.watch_error = outcome


async def _watch(
    watcher: Callable[[list[Any]], Awaitable[Any]], finished: list[Any], round_: int
) -> None:
    """One watch callback on the items finished this round, inside its span."""
    name = callback_name(watcher)
    with tracer.span("Watch with {callback}()", callback=name, count=len(finished)) as span:
        if span.is_recording():
            span.set_attribute("ids", [str(getattr(r, "uuid", "")) for r in finished])
        try:
            await own_exit_fails(watcher(finished), _stray(f"watch callback {_name(watcher)}"))
        except Exception as exc:
            add_context(exc, f"watch callback {_name(watcher)}", index=None, round_=round_)
            raise
