"""Typed stub of `rigging._native`, the Rust core. User-facing docs of native objects live here."""

from typing import Literal, final

__all__ = [
    # fanout
    "FanOut",
    # errors
    "FanOutError",
    "IdentifierError",
    "RiggingError",
    "SpliceError",
    "__version__",
]
__version__: str

# --- errors ---------------------------------------------------------------------------------

class RiggingError(Exception):
    """Root of every exception rigging raises."""

class IdentifierError(RiggingError, ValueError):
    """A generator connection string is malformed.

    Attributes:
        position: Code-point index in the connection string where the problem was found.
    """

    position: int

class SpliceError(RiggingError, ValueError):
    """Spans given to `strip_spans` or `splice` are out of bounds or overlap."""

class FanOutError(RiggingError, RuntimeError):
    """A batch bookkeeping table was asked for an impossible state change.

    Attributes:
        kind: What went wrong: ``"bad_size"``, ``"bad_max_rounds"``, ``"bad_limit"``,
            ``"nothing_ready"``, ``"out_of_range"``, ``"negative_index"`` or ``"not_in_flight"``.
        index: The item the request named, or ``None`` when it named none.
    """

    kind: str
    index: int | None

# --- fanout ---------------------------------------------------------------------------------

_FanOutState = Literal["pending", "in_flight", "again", "done", "failed", "exhausted"]

@final
class FanOut:
    """Per-item bookkeeping for a batch that runs in rounds.

    Every round, the items that need generation go to the model in one call; afterwards each
    item is marked done (`complete`), failed (`fail`) or in need of another round (`again`),
    up to `max_rounds` sends per item. Finding the next round costs time proportional to the
    items in it, not to the batch size.

    States: ``"pending"`` (never sent), ``"in_flight"``, ``"again"`` (waits for another
    round), and the finished states ``"done"``, ``"failed"`` and ``"exhausted"`` (asked for
    another round after using all `max_rounds` sends).

    Args:
        size: Number of items, indexed ``0 .. size - 1``; between 0 and ``2**32 - 1``.
        max_rounds: Maximum number of sends per item (at least 1).

    Raises:
        FanOutError: `size` or `max_rounds` is out of range.

    Example:
        >>> table = FanOut(3, max_rounds=2)
        >>> table.next_round()
        [0, 1, 2]
        >>> table.complete(0)
        >>> table.again(1)
        True
        >>> table.fail(2)
        >>> table.next_round()
        [1]
    """

    def __new__(cls, size: int, max_rounds: int) -> FanOut: ...
    def next_round(self, limit: int | None = None) -> list[int]:
        """Take up to `limit` ready items (all when ``None``) and mark them in flight.

        Pending items come first in index order, then items marked again in the order they
        were marked. Each item taken counts one send.

        Args:
            limit: Maximum number of items to take (at least 1), or ``None`` for all.

        Returns:
            The indices of the items sent in this round.

        Raises:
            FanOutError: `limit` is below 1, or no item is pending or marked again.
        """
    def complete(self, index: int, /) -> None:
        """Mark in-flight item `index` as done.

        Raises:
            FanOutError: `index` is out of range or the item is not in flight.
        """
    def fail(self, index: int, /) -> None:
        """Mark in-flight item `index` as failed.

        Raises:
            FanOutError: `index` is out of range or the item is not in flight.
        """
    def again(self, index: int, /) -> bool:
        """Ask for another round for in-flight item `index`.

        Returns:
            ``True`` when the item is queued for the next round; ``False`` when it already
            used `max_rounds` sends, in which case it is now ``"exhausted"``.

        Raises:
            FanOutError: `index` is out of range or the item is not in flight.
        """
    def complete_many(self, indices: list[int], /) -> None:
        """`complete` each item of `indices`, in order, in one call.

        Raises:
            FanOutError: At the first invalid item; the items before it stay marked.
        """
    def fail_many(self, indices: list[int], /) -> None:
        """`fail` each item of `indices`, in order, in one call.

        Raises:
            FanOutError: At the first invalid item; the items before it stay marked.
        """
    def again_many(self, indices: list[int], /) -> list[bool]:
        """`again` each item of `indices`, in order, in one call.

        Returns:
            One result of `again` per item.

        Raises:
            FanOutError: At the first invalid item; the items before it stay marked.
        """
    def state(self, index: int, /) -> _FanOutState:
        """The state of item `index`.

        Raises:
            FanOutError: `index` is out of range.
        """
    def sends(self, index: int, /) -> int:
        """How many times item `index` was sent so far.

        Raises:
            FanOutError: `index` is out of range.
        """
    def is_finished(self) -> bool:
        """Whether every item is done, failed or exhausted."""
    def drain_finished(self) -> list[int]:
        """Items that finished since the last call, in the order they finished.

        Each item is returned by exactly one call, so watchers see each result once.
        """
    @property
    def max_rounds(self) -> int:
        """Maximum number of sends per item."""
    @property
    def pending_count(self) -> int:
        """Items never sent."""
    @property
    def in_flight_count(self) -> int:
        """Items sent and not marked yet."""
    @property
    def again_count(self) -> int:
        """Items waiting for another round."""
    @property
    def done_count(self) -> int:
        """Items marked done."""
    @property
    def failed_count(self) -> int:
        """Items marked failed."""
    @property
    def exhausted_count(self) -> int:
        """Items that asked for another round after their last allowed send."""
    @property
    def ready_count(self) -> int:
        """Items the next round may take (pending or again)."""
    @property
    def finished_count(self) -> int:
        """Items done, failed or exhausted."""
    def __len__(self) -> int: ...
