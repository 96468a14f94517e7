"""Typed stub of `rigging._native`, the Rust core. User-facing docs of native objects live here."""

from collections.abc import Sequence

__all__ = [
    # errors
    "FanOutError",
    "IdentifierError",
    "RiggingError",
    "SpliceError",
    "__version__",
    # strip
    "splice",
    "strip_spans",
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
    """A batch bookkeeping table was asked for an impossible state change."""

# --- strip ----------------------------------------------------------------------------------

def splice(
    text: str,
    edits: Sequence[tuple[int, int, str]],
    spans: Sequence[tuple[int, int]] = (),
) -> tuple[str, list[tuple[int, int] | None]]:
    """Replace ranges of `text` in one pass and tell where other ranges went.

    All offsets, in and out, are code points (Python `str` indexes).

    Each span maps as follows:

    - equal to an edit's range: the range of that edit's replacement;
    - not overlapping any edit (touching counts as not overlapping): shifted by the length
      change of the edits before it;
    - containing edits: start and end shift separately, so the span grows or shrinks with the
      edits inside it;
    - partly overlapping an edit, or inside one without being equal to it: `None`.

    An insertion (`start == end`) at a span's start or end stays outside the span; several
    insertions at one point are applied in the order given.

    Args:
        text: The text to edit.
        edits: `(start, end, replacement)` triples in any order; they may touch but not overlap.
        spans: `(start, end)` ranges of `text` to remap.

    Returns:
        The new text and, per span, its new `(start, end)` or `None`.

    Raises:
        SpliceError: An edit or span is outside the text or reversed, or two edits overlap; the
            message names the item, its index and the text length.
    """

def strip_spans(
    text: str,
    remove: Sequence[tuple[int, int]],
    spans: Sequence[tuple[int, int]] = (),
) -> tuple[str, list[tuple[int, int] | None]]:
    """Remove ranges of `text` and remap other ranges, like `splice` with empty replacements.

    Unlike edits, the removed ranges may overlap: they are merged first. A span equal to a
    removed range maps to an empty range where it was; one inside a merged removal is `None`.

    Args:
        text: The text to edit.
        remove: `(start, end)` code-point ranges to delete, in any order.
        spans: `(start, end)` ranges of `text` to remap.

    Returns:
        The new text and, per span, its new `(start, end)` or `None`.

    Raises:
        SpliceError: A range or span is outside the text or reversed.
    """
