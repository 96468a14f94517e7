"""`ModelStream`: parse models out of text that arrives in pieces, as each element closes.

Elements are found by `rigging._native.TagStream` (the scanner of `rigging._native.scan`, fed
chunk by chunk), and models are built by the model layer's own span builders, so the rules are
those of `Message.parse` / `parse_set` (``docs/decisions-messages.md``):

- only the innermost element of nested same-tag elements is a candidate; a self-closing
  ``<tag/>`` is an empty candidate of its own;
- an element that does not build a valid model is skipped (the one-shot parse would have
  skipped it too, or raised for lack of any valid one);
- a *hollow* element (blank inside) is used only when no filled element of its model exists.
  Filled models are emitted at the piece holding their closing ``>``; hollow ones are held
  back until `finish`, which emits them only for models that got no filled element.

Cost: a piece without ``>`` cannot close an element, so it is only appended to a list; pieces
are handed to the scanner when a ``>`` arrives. Building a model slices the element out of
the stored pieces (binary search, then a join of the pieces it spans). Total work is linear
in the text plus the model building the one-shot parse also does.
"""

from __future__ import annotations

import bisect
import typing as t
from dataclasses import dataclass

from pydantic import ValidationError

from rigging import _native
from rigging._model.base import ClassInfo, Model, ModelT, class_info
from rigging._model.extract import build
from rigging.error import XmlContentError

__all__ = ["ModelStream", "ParsedModel"]


@dataclass(frozen=True, slots=True)
class ParsedModel(t.Generic[ModelT]):
    """A model found in a stream."""

    model: ModelT
    """The model."""
    slice: slice
    """Where its element is in the whole streamed text (code points)."""
    hollow: bool = False
    """The element was blank inside (only emitted by `ModelStream.finish`)."""


class _LocalSpan(t.NamedTuple):
    """A span re-based onto the element's own text (what the span builders read).

    A named tuple: one is made per element, and a frozen dataclass costs about three times
    as much to create.
    """

    start: int
    end: int
    inner_start: int
    inner_end: int
    self_closing: bool


_BUILD_ERRORS = (ValidationError, XmlContentError, ValueError)


class _Finished(list[str]):
    """The pending buffer of a finished stream: any further piece is refused."""

    def append(self, text: str) -> None:
        raise RuntimeError("this ModelStream is finished; create a new one")

    def __bool__(self) -> bool:
        return True  # so `feed` always reaches its finished check


class ModelStream:
    """Feed text pieces; get each model of the given types once, when its element closes.

    Example:
        >>> from rigging.model import Answer
        >>> stream = ModelStream(Answer)
        >>> stream.feed("Sure: <ans")
        []
        >>> [found.model.content for found in stream.feed("wer>42</answer> done")]
        ['42']
        >>> stream.finish()
        []

    Args:
        *types: The model classes to look for (duplicates are ignored).

    Raises:
        ValueError: No type was given, or a type cannot be parsed from text.
    """

    def __init__(self, *types: type[Model]) -> None:
        if not types:
            raise ValueError("ModelStream needs at least one model type")
        self.types: tuple[type[Model], ...] = tuple(dict.fromkeys(types))
        """The model classes looked for."""
        self._by_tag: dict[str, list[tuple[type[Model], ClassInfo]]] = {}
        for cls in self.types:
            cls.ensure_valid()
            info = class_info(cls)
            self._by_tag.setdefault(info.tag, []).append((cls, info))
        self._scanner = _native.TagStream(list(self._by_tag))
        self._pending: list[str] = []
        self._pieces: list[str] = []
        self._starts: list[int] = []
        self._length = 0
        self._last_closed: dict[str, int] = {}
        self._filled: set[type[Model]] = set()
        self._hollow: list[tuple[type[Model], ParsedModel[Model]]] = []

    @property
    def text(self) -> str:
        """Everything fed so far."""
        return "".join(self._pieces) + "".join(self._pending)

    @property
    def parsed_types(self) -> set[type[Model]]:
        """The types of which a filled model was emitted."""
        return set(self._filled)

    def complete(self) -> bool:
        """Whether a filled model of every type was emitted.

        Returns:
            True once each type has at least one filled model.
        """
        return len(self._filled) == len(self.types)

    def feed(self, text: str) -> list[ParsedModel[Model]]:
        """Consume the next piece of text.

        Args:
            text: The piece (any length, may split tags and attributes anywhere).

        Returns:
            The filled models whose element closed in this piece, in closing order.

        Raises:
            RuntimeError: The stream is finished.
        """
        pending = self._pending
        if ">" not in text:  # hot path: nothing can close here
            pending.append(text)
            return []
        if pending:
            if isinstance(pending, _Finished):
                raise RuntimeError("this ModelStream is finished; create a new one")
            pending.append(text)
            text = "".join(pending)
            pending.clear()
        return self._scan(text)

    def finish(self) -> list[ParsedModel[Model]]:
        """End the stream.

        Returns:
            The hollow models of the types that got no filled model, in document order.

        Raises:
            RuntimeError: The stream is already finished.
        """
        pending = self._pending
        if isinstance(pending, _Finished):
            raise RuntimeError("this ModelStream is already finished")
        found = self._scan("".join(pending)) if pending else []
        self._scanner.finish()
        self._pending = _Finished()
        hollow = [item for cls, item in self._hollow if cls not in self._filled]
        hollow.sort(key=lambda item: item.slice.start)
        return found + hollow

    def _scan(self, text: str) -> list[ParsedModel[Model]]:
        """Store `text` and hand it to the scanner; build the models of what closed."""
        start = self._length
        self._length = start + len(text)
        self._starts.append(start)
        self._pieces.append(text)
        spans = self._scanner.feed(text)
        if not spans:
            return []
        found: list[ParsedModel[Model]] = []
        for span in spans:
            self._take(span, found)
        return found

    def _take(self, span: _native.Span, found: list[ParsedModel[Model]]) -> None:
        """Build the models of a closed span, if it is a candidate."""
        tag = span.tag
        if not span.self_closing:
            # Same-tag elements nest properly, so an element closed earlier that starts
            # inside this one means this one is an outer element: not a candidate.
            outer = self._last_closed.get(tag, -1) > span.start
            self._last_closed[tag] = span.start
            if outer:
                return
        element = self._slice(span.start, span.end)
        local = _LocalSpan(
            0,
            span.end - span.start,
            span.inner_start - span.start,
            span.inner_end - span.start,
            span.self_closing,
        )
        hollow = span.self_closing or not element[local.inner_start : local.inner_end].strip()
        where = slice(span.start, span.end)
        for cls, info in self._by_tag[tag]:
            model = _build(cls, info, element, local)
            if model is None:
                continue
            if hollow:
                self._hollow.append((cls, ParsedModel(model, where, hollow=True)))
            else:
                self._filled.add(cls)
                found.append(ParsedModel(model, where))

    def _slice(self, start: int, end: int) -> str:
        """``text[start:end]`` from the stored pieces."""
        first = bisect.bisect_right(self._starts, start) - 1
        last = bisect.bisect_left(self._starts, end, lo=first)
        base = self._starts[first]
        piece = self._pieces[first] if last - first <= 1 else "".join(self._pieces[first:last])
        return piece[start - base : end - base]


def _build(cls: type[Model], info: ClassInfo, element: str, span: _LocalSpan) -> Model | None:
    """The model of one element with the model layer's builders, or None if it is invalid."""
    native_span = t.cast("_native.Span", span)
    try:
        return build(cls, info, element, native_span)
    except _BUILD_ERRORS:
        return None
