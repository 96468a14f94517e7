"""Run-time state of one pipeline run: failure modes, per-item state, error context."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from rigging.error import ExhaustedMaxRoundsError, _add_note
from rigging.generator import Usage

if TYPE_CHECKING:
    from rigging.generator import GenerateParams
    from rigging.message import Message

__all__ = [
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_ROUNDS",
    "MAX_ITEMS_LIMIT",
    "MAX_ROUNDS_LIMIT",
    "FailMode",
    "RunState",
    "ToolMode",
    "add_context",
    "check_count",
    "check_fail_mode",
    "check_rounds",
]

DEFAULT_MAX_ROUNDS = 5
"""Default number of extra generation rounds an `until` check may ask for."""

DEFAULT_MAX_DEPTH = 10
"""Default `max_depth` of `ChatPipeline.using` (tool rounds per chat)."""

MAX_ROUNDS_LIMIT = 1_000_000
"""The most rounds (`max_rounds`, `max_depth`) one setting may allow: each is a paid
generation, and the run's per-item budget must stay countable."""


def check_rounds(name: str, value: object, minimum: int) -> None:
    """Refuse a round count that is not an int from `minimum` to `MAX_ROUNDS_LIMIT`.

    Checked when the pipeline is configured, so the error names the setting (a float or a
    huge int failed at run time with an error naming neither).

    Raises:
        TypeError: `value` is not an int.
        ValueError: `value` is out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if not minimum <= value <= MAX_ROUNDS_LIMIT:
        raise ValueError(f"{name} must be from {minimum} to {MAX_ROUNDS_LIMIT:,}, got {value:,}")


MAX_ITEMS_LIMIT = 10_000_000
"""The most items one batch run may hold (`run_many`'s `count`, `run_batch`'s inputs, the
`stream_*` twins, `Prompt.run_many`): each item keeps its state and result in memory until the
run ends, so a bigger count failed with a bare `MemoryError` (or stalled allocating). Larger
jobs stream through `iter_batch`, whose memory stays flat."""


def check_count(name: str, value: object) -> None:
    """Refuse a number of items that is not an int from 0 to `MAX_ITEMS_LIMIT`.

    Checked before the run allocates anything, so the error names the argument (a huge
    count failed with a bare `MemoryError`).

    Raises:
        TypeError: `value` is not an int (a bool is refused too).
        ValueError: `value` is out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be 0 or more, got {value}")
    if value > MAX_ITEMS_LIMIT:
        raise ValueError(
            f"{name} must be at most {MAX_ITEMS_LIMIT:,}, got {value:,} (a run keeps every "
            "item in memory; iter_batch streams any number)"
        )


ToolMode = Literal["auto", "api", "native"]
"""How tools are offered: ``"api"`` (provider function calling), ``"native"`` (XML in the
text) or ``"auto"`` (API when the generator declares `Generator.supports_api_tools`)."""

FailMode = Literal["raise", "skip", "include"]
"""What a run does with an item that failed.

* ``"raise"``: the error propagates out of the run.
* ``"skip"``: failed items are left out of the results (not allowed for a single `run`).
* ``"include"``: failed items are returned with ``failed=True`` and their ``error``.
"""

_FAIL_MODES = ("raise", "skip", "include")


def check_fail_mode(mode: str) -> FailMode:
    """Return `mode` if it is a valid `FailMode`.

    Args:
        mode: The requested mode.

    Returns:
        The mode.

    Raises:
        ValueError: `mode` is not one of ``raise``, ``skip``, ``include``.
    """
    if mode not in _FAIL_MODES:
        raise ValueError(f"on_failed must be one of 'raise', 'skip', 'include', got {mode!r}")
    return mode  # type: ignore[return-value]


EMPTY_DIALOG: Any = ()
"""Shared empty default: the dialog lists are created only for items that need them."""


@dataclass(slots=True, eq=False)
class RunState:
    """Per-item data of a run; the item's lifecycle itself lives in `rigging._native.FanOut`.

    Inputs are shared between items of one run (never copied); only the dialog an item adds
    on top (`prefix` from tool rounds, `running` from recovery) is its own.
    """

    inputs: Any
    """What is sent before the item's own dialog: a message list (chat) or a prompt (text)."""
    params: GenerateParams
    """Request params for this item (pipeline params merged with per-call params)."""
    index: int = 0
    """Position of the item in its run."""
    stage: int = 0
    """Index of the `until` check currently deciding on the item."""
    rounds: int = 0
    """Extra rounds used by the current check."""
    tool_rounds: int = 0
    """Rounds used by tool handlers."""
    tool_retries: int = 0
    """Failed tool turns so far (malformed calls, forced re-asks; see `ToolPolicy`)."""
    drop_from: int = -1
    """Start in `prefix` of failed tool turns to drop once the model recovers (-1: none)."""
    outputs: list[Message] = EMPTY_DIALOG
    """Messages kept so far (chat only)."""
    running: list[Message] = EMPTY_DIALOG
    """Recovery dialog of the current check, sent after the inputs (chat only)."""
    prefix: list[Message] = EMPTY_DIALOG
    """Tool-call dialog, sent after the inputs and kept in the result (chat only)."""
    last_error: str | None = None
    """Why a check last asked for another round (named when the rounds run out)."""
    received: list[Any] = EMPTY_DIALOG
    """Every generation result received for the item, in order (`last` is the latest)."""

    @property
    def last(self) -> Any:
        """The last generation result received (`GeneratedMessage` or `GeneratedText`)."""
        return self.received[-1] if self.received else None

    @last.setter
    def last(self, generated: Any) -> None:
        if self.received is EMPTY_DIALOG:
            self.received = [generated]
        else:
            self.received.append(generated)

    def usage(self) -> Usage | None:
        """The item's usage: the sum over every generation call made for it."""
        return Usage.total([g.usage for g in self.received])


def add_context(exc: BaseException, what: str, *, index: int | None, round_: int | None) -> None:
    """Attach where an error happened (item and round) to `exc`.

    `ExhaustedMaxRoundsError` gets ``index``/``round`` attributes; every error gets a note
    (shown in tracebacks), so a callback's own exception type is kept for ``except``.

    Args:
        exc: The error.
        what: What was running, e.g. ``"generator"`` or ``"then callback foo"``.
        index: Item index in the batch, or None when the error concerns a whole round.
        round_: 1-based round number, or None for callbacks that run after the rounds.
    """
    if isinstance(exc, ExhaustedMaxRoundsError) and exc.round is None:
        exc.round, exc.index = round_, index
    where = f"item {index}" if index is not None else "the batch"
    when = f"in round {round_}" if round_ is not None else "after the run"
    note = f"{_NOTE_PREFIX}{what} for {where} {when}"
    # An exception object raised again (a generator that keeps one and re-raises it) keeps
    # its notes: the note of an earlier run would then tell the wrong item and round.
    _add_note(exc, note, replacing=_NOTE_PREFIX)


_NOTE_PREFIX = "rigging: raised by "
