"""Typed stub of `rigging._native`, the Rust core. User-facing docs of native objects live here."""

import builtins
from collections.abc import Sequence
from typing import Literal, final

__all__ = [
    # errors
    "FanOutError",
    "IdentifierError",
    "RiggingError",
    "Span",
    "SpliceError",
    "TagStream",
    "__version__",
    "scan",
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

# --- scan -----------------------------------------------------------------------------------

@final
class Span:
    """One `<tag …>inner</tag>` element found by `scan` or `TagStream`.

    Offsets are code-point indices into the scanned text (Python `str` indices), so
    `text[span.slice]` is the whole element and `text[span.inner_slice]` its content.
    Spans are frozen, hashable and compare equal field by field.

    Attributes:
        tag: The tag name, as given in the tag set.
        start: Index of the `<` of the start tag.
        end: Index just past the `>` of the end tag (of the tag itself when self-closing; the
            end of the text for an unclosed span reported with `incomplete="close"`).
        inner_start: Index just past the start tag.
        inner_end: Index of the `<` of the end tag (equal to `inner_start` when self-closing,
            the end of the text when unclosed).
        depth: Number of starts of the same name still open around this one when it closed
            (`<a>x <a>y</a></a>`: the inner span has depth 1, the outer 0). A stray unclosed
            start counts too: in `Use <a> tags: <a>hi</a>` the span `hi` has depth 1.
        self_closing: The element was written `<tag/>` or `<tag attr="v" />`.
        closed: `False` only for spans added at the end by `incomplete="close"`.
    """

    @property
    def tag(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def inner_start(self) -> int: ...
    @property
    def inner_end(self) -> int: ...
    @property
    def depth(self) -> int: ...
    @property
    def self_closing(self) -> bool: ...
    @property
    def closed(self) -> bool: ...
    @property
    def slice(self) -> builtins.slice:
        """`slice(start, end)`: the whole element."""
    @property
    def inner_slice(self) -> builtins.slice:
        """`slice(inner_start, inner_end)`: the element's content."""

def scan(
    text: str, tags: Sequence[str], *, incomplete: Literal["drop", "close"] = "drop"
) -> list[Span]:
    """Find every element of the given tag names in `text`, in one linear pass.

    Rules: a name matches only exactly (`<answers>` is not `answer`); start tags may carry
    attributes (`a="x>y"`, `a='v'`, `a=v`, bare `a`); a `<` outside quotes or inside a quoted
    value ends a candidate tag; `<tag/>` is an empty self-closing element; each name has its
    own stack, so an end tag closes the latest open start of its name and an end tag with
    nothing open is ignored; `<![CDATA[ … ]]>` and `<!-- … -->` are opaque (to the end of the
    text when unterminated).

    Args:
        text: The text to scan.
        tags: Tag names (letters, digits, `-`, `_`, `.`, `:`). Not a bare `str`.
        incomplete: What to do with starts still open at the end: `"drop"` them, or
            `"close"` them as spans running to the end of the text (`closed=False`).

    Returns:
        The spans in closing order, then (with `"close"`) the unclosed ones, latest first.

    Raises:
        ValueError: A tag name is empty or holds another character (the message names it),
            or `incomplete` is not `"drop"` or `"close"`.
        TypeError: `tags` is a `str` or holds a non-`str`.
    """

@final
class TagStream:
    """Find elements in a text that arrives in chunks, e.g. a streamed model answer.

    Each span is returned by the `feed` call whose chunk holds its closing `>`, exactly once,
    with offsets counted from the start of the whole stream. A chunk may end anywhere: inside a
    tag name, an attribute, a CDATA marker or (for `bytes`) a multi-byte character. Work is
    linear in the whole input whatever the chunking; memory holds the open tags and a few
    bytes, never the text. The rules are those of `scan`, and the spans are the same.

    Args:
        tags: Tag names, as for `scan`.
        incomplete: What `finish` does with starts still open: `"drop"` or `"close"`.

    Raises:
        ValueError: A tag name is invalid, or `incomplete` is unknown.
        TypeError: `tags` is a `str` or holds a non-`str`.
    """

    def __new__(
        cls, tags: Sequence[str], *, incomplete: Literal["drop", "close"] = "drop"
    ) -> TagStream: ...
    def feed(self, chunk: str | bytes) -> list[Span]:
        """Consume the next chunk and return the spans it completes, in closing order.

        Raises:
            ValueError: A `bytes` chunk is not valid UTF-8 (the chunk is rejected and the
                stream stays usable).
            RuntimeError: The stream is finished.
            TypeError: `chunk` is neither `str` nor `bytes`.
        """
    def finish(self) -> list[Span]:
        """End the stream and return the spans the incomplete mode adds (none for "drop").

        Raises:
            ValueError: The stream ended inside a multi-byte UTF-8 character.
            RuntimeError: The stream is already finished.
        """
    @property
    def position(self) -> int:
        """Complete code points consumed so far."""
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
