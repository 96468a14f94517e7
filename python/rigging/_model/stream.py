"""`ModelStream`: parse models out of text that arrives in pieces, as each element closes.

Elements are found by `rigging._native.TagStream` (the scanner of `rigging._native.scan`, fed
chunk by chunk), and models are built by the model layer's own span builders, so the rules are
those of `Message.parse` / `parse_set` (``docs/design/decisions-messages.md``):

- only the innermost element of nested same-tag elements is a candidate; a self-closing
  ``<tag/>`` is an empty candidate of its own;
- an element that does not build a valid model is skipped (the one-shot parse would have
  skipped it too, or raised for lack of any valid one);
- a *hollow* element (blank inside) is used only when no filled element of its model exists.
  Filled models are emitted at the piece holding their closing ``>``; hollow ones are held
  back until `finish`, which emits them only for models that got no filled element.

Cost: `feed` *is* the native `TextStream.feed` (no Python frame per piece): it scans the piece
and keeps the text; only a piece that completes spans calls back into Python, which slices each
element out of the kept text (a sparse code-point index, no joins of pieces) and builds its
models. Total work is linear in the text plus the model building the one-shot parse also does.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from pydantic import ValidationError

from rigging import _native
from rigging._model.base import ClassInfo, Model, ModelT, class_info
from rigging._model.extract import build, build_simple
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


class ModelStream:
    """Feed text pieces; get each model of the given types once, when its element closes.

    Examples:
        >>> from rigging.model import Answer
        >>> stream = ModelStream(Answer)
        >>> stream.feed("Sure: <ans")
        ()
        >>> [found.model.content for found in stream.feed("wer>42</answer> done")]
        ['42']
        >>> stream.finish()
        []

    Args:
        *types: The model classes to look for (duplicates are ignored).

    Raises:
        ValueError: No type was given, or a type cannot be parsed from text.
    """

    feed: t.Callable[[str], tuple[ParsedModel[Model], ...]]
    """Consume the next piece of text (any length; it may split tags, attributes and entities
    anywhere) and return the filled models whose element closed in it, in closing order.

    A tuple: a piece that closes nothing gets the shared empty tuple (no allocation).

    It is the native scanner's own `feed`, so a piece that closes nothing costs no Python call.
    Raises `TypeError` for a piece that is not a `str`, `RuntimeError` once the stream is
    finished.

    A model validator that raises something other than a validation error (a bug in the
    model's own code) makes `feed` raise it, as the one-shot parse does, but costs no other
    element its model: the piece's other elements are still built, and the models are
    returned first by the next `feed` (or `finish`).
    """

    def __init__(self, *types: type[Model]) -> None:
        if not types:
            raise ValueError("ModelStream needs at least one model type")
        for cls in types:
            if not (isinstance(cls, type) and issubclass(cls, Model)):
                raise ValueError(f"ModelStream parses Model classes, not {cls!r}")
        self.types: tuple[type[Model], ...] = tuple(dict.fromkeys(types))
        """The model classes looked for."""
        self._by_tag: dict[str, list[tuple[type[Model], ClassInfo]]] = {}
        for cls in self.types:
            cls.ensure_valid()
            info = class_info(cls)
            self._by_tag.setdefault(info.tag, []).append((cls, info))
        self._last_closed: dict[str, int] = {}
        self._filled: set[type[Model]] = set()
        self._hollow: list[tuple[type[Model], ParsedModel[Model]]] = []
        # After a validator raised mid-piece: models built and not yet returned, and spans of
        # that piece not yet built (see `_hold`).
        self._held: tuple[ParsedModel[Model], ...] = ()
        self._rest: tuple[_native.Span, ...] = ()
        self._finished = False
        self._text = _native.TextStream(list(self._by_tag), self._on_spans)
        self.feed = self._text.feed

    @property
    def text(self) -> str:
        """Everything fed so far."""
        return self._text.text

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

    def finish(self) -> list[ParsedModel[Model]]:
        """End the stream.

        Returns:
            Filled models a failed `feed` built and did not return (see `feed`), then the
            hollow models of the types that got no filled model, in document order.

        Raises:
            RuntimeError: The stream is already finished.
        """
        if self._finished:
            raise RuntimeError("this ModelStream is already finished")
        if self._rest:  # raises as `feed` does, and the stream stays open
            self._held += self._on_spans(())
        self._finished = True
        self.feed = _refuse_feed
        self._text.finish()  # drop mode: no spans are added at the end
        hollow = [item for cls, item in self._hollow if cls not in self._filled]
        hollow.sort(key=lambda item: item.slice.start)
        held, self._held = self._held, ()
        return [*held, *hollow]

    def _on_spans(self, spans: tuple[_native.Span, ...]) -> tuple[ParsedModel[Model], ...]:
        """Build the models of the spans a piece completed (called by the native `feed`).

        Spans held back by an interrupted call come first. A validator's own error (an
        `Exception` that is not a build failure) costs no other element its model: every
        span is built, then the first such error is raised and the models are held for the
        next call (`_hold`). An interrupt (`BaseException`) is raised at once; the spans
        after the one being built are held.
        """
        if self._rest:
            spans, self._rest = self._rest + spans, ()
        found: list[ParsedModel[Model]] = []
        error: Exception | None = None
        for index, span in enumerate(spans):
            try:
                failed = self._take(span, found)
            except BaseException:
                self._hold(found, spans[index + 1 :])
                raise
            if error is None:
                error = failed
        if error is not None:
            self._hold(found, ())
            raise error
        return tuple(found)

    def _hold(self, found: list[ParsedModel[Model]], rest: tuple[_native.Span, ...]) -> None:
        """Hold a raising call's models (and the spans it did not reach) for the next call.

        The next `feed` or `finish` builds the spans and returns the models first.
        """
        self._held += tuple(found)
        self._rest += rest
        if not self._finished:
            self.feed = self._feed_held

    def _feed_held(self, text: str) -> tuple[ParsedModel[Model], ...]:
        """`feed` while models are held: they come first, then the piece's own."""
        fresh = self._text.feed(text)  # if it raises, `_hold` keeps adding to the held ones
        if self._rest:  # the piece completed no span, so the held spans are still unbuilt
            fresh = self._on_spans(())
        held, self._held = self._held, ()
        self.feed = self._text.feed
        return held + fresh

    def _take(self, span: _native.Span, found: list[ParsedModel[Model]]) -> Exception | None:
        """Build the models of a closed span, if it is a candidate.

        Returns:
            The first error a validator raised that is not a build failure (the span's other
            types are still built), or None.
        """
        tag = span.tag
        start = span.start
        self_closing = span.self_closing
        if not self_closing:
            # Same-tag elements nest properly, so an element closed earlier that starts
            # inside this one means this one is an outer element: not a candidate.
            outer = self._last_closed.get(tag, -1) > start
            self._last_closed[tag] = start
            if outer:
                return None
        end = span.end
        inner = self._text.slice(span.inner_start, span.inner_end)
        hollow = self_closing or not inner or inner.isspace()
        element: str | None = None
        error: Exception | None = None
        for cls, info in self._by_tag[tag]:
            if hollow and cls in self._filled:
                continue  # `finish` gives hollow models only of types never filled
            try:
                if info.simple_field is not None:
                    model = build_simple(cls, info, inner)
                else:
                    # Non-simple models read the whole element (attributes included).
                    if element is None:
                        element = self._text.slice(start, end)
                    local = _LocalSpan(
                        0,
                        end - start,
                        span.inner_start - start,
                        span.inner_end - start,
                        self_closing,
                    )
                    model = build(cls, info, element, t.cast("_native.Span", local))
            except _BUILD_ERRORS:
                continue  # the one-shot parse skips it too
            except Exception as exc:  # a bug of the model's own code: raised by `_on_spans`
                if error is None:
                    error = exc
                continue
            if hollow:
                self._hollow.append((cls, ParsedModel(model, slice(start, end), hollow=True)))
            else:
                if cls not in self._filled:
                    self._filled.add(cls)
                    # Its hollow models can no longer be given: let them go.
                    self._hollow = [item for item in self._hollow if item[0] is not cls]
                found.append(ParsedModel(model, slice(start, end)))
        return error


def _refuse_feed(text: str) -> tuple[ParsedModel[Model], ...]:
    """`ModelStream.feed` once the stream is finished."""
    raise RuntimeError("this ModelStream is finished; create a new one")
