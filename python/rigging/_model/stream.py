"""`ModelStream`: parse models out of text that arrives in pieces, as each element closes.

Elements are found by `rigging._native.TagStream` (the scanner of `rigging._native.scan`, fed
chunk by chunk), and models are built by the model layer's own span builders, so the rules are
those of `Message.parse` / `parse_set` (``docs/design/decisions-messages.md``):

- only the innermost element of nested same-tag elements is a candidate; a self-closing
  ``<tag/>`` is an empty candidate of its own. For a model that nests in itself (a tree of
  ``<node>``), the outermost element is the candidate instead: it is built when it closes,
  and the elements inside it are its parts;
- an element that does not build a valid model is skipped (the one-shot parse would have
  skipped it too, or raised for lack of any valid one);
- a *hollow* element (blank inside, or one the codec read no visible text from, such as an
  echoed ``<user><name></name></user>``) is used only when no filled element of its model
  exists.
  Filled models are emitted at the piece holding their closing ``>``; hollow elements are
  kept as a few integers until `finish`, which builds and emits them only for models that
  got no filled element;
- an element that crosses one already emitted (``<a>x <b>y</a></b>``: each starts inside
  the other and ends outside it) is not emitted, as the ``try_`` parses leave out the later
  of two crossing results. Of two crossing elements the one that starts first also closes
  first, so this is the one-shot rule, except for the elements only `finish` emits (hollow
  ones, and those inside a start tag of a model nesting in itself that never closed): they
  are checked against everything emitted, and an element emitted before them stays.

Cost: `feed` *is* the native `TextStream.feed` (no Python frame per piece): it scans the piece
and keeps the text; only a piece that completes spans calls back into Python, which slices each
element out of the kept text (a sparse code-point index, no joins of pieces) and builds its
models. Total work is linear in the text plus the model building the one-shot parse also does.
"""

from __future__ import annotations

import typing as t
from array import array
from bisect import bisect_left
from dataclasses import dataclass

from rigging import _native
from rigging._model.base import ClassInfo, Model, ModelT, class_info, require_defined
from rigging._model.extract import build_marked, build_simple, has_attribute_value

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


_Job = tuple[type[Model], ClassInfo, int, int, int, int, int]
"""A hollow element to build in `ModelStream.finish`: the type, its facts, and the element's
start, end, inner start, inner end and self-closing flag."""


class ModelStream(t.Generic[ModelT]):
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

    feed: t.Callable[[str], tuple[ParsedModel[ModelT], ...]]
    """Consume the next piece of text (any length; it may split tags, attributes and entities
    anywhere) and return the filled models whose element closed in it, in closing order.

    A tuple: a piece that closes nothing gets the shared empty tuple (no allocation).

    It is the native scanner's own `feed`, so a piece that closes nothing costs no Python call.
    Raises `TypeError` for a piece that is not a `str`, `RuntimeError` once the stream is
    finished.

    An element whose validation raised an error that is no validation error (a validator's
    `TypeError`, or what pydantic-core raises for a validator error it cannot print) is
    skipped as an invalid one, as the ``try_`` parses skip it. An interrupt
    (`KeyboardInterrupt`) goes up at once; the element being built loses the models of the
    types not built yet, and the elements after it are built by the next call, whose models
    come first (or by `finish`; a reference to `feed` taken earlier does not return them,
    `finish` still does).
    """

    def __init__(self, *types: type[ModelT]) -> None:
        if not types:
            raise ValueError("ModelStream needs at least one model type")
        for cls in types:
            if not (isinstance(cls, type) and issubclass(cls, Model)):
                raise ValueError(f"ModelStream parses Model classes, not {cls!r}")
        self.types: tuple[type[ModelT], ...] = tuple(dict.fromkeys(types))
        """The model classes looked for."""
        self._by_tag: dict[str, list[tuple[type[Model], ClassInfo]]] = {}
        for cls in self.types:
            cls.ensure_valid()
            info = class_info(cls)
            self._by_tag.setdefault(info.tag, []).append((cls, info))
        self._last_closed: dict[str, int] = {}
        # Tags of models that nest in themselves: their candidates are the outermost elements.
        # A closed element inside an open one of its tag waits here: dropped when that one
        # closes, built by `finish` when it never does (a stray start tag).
        self._outer: dict[str, list[_native.Span]] = {
            tag: [] for tag, entries in self._by_tag.items() if any(i.outermost for _, i in entries)
        }
        self._forced = False
        self._filled: set[type[Model]] = set()
        # Crossing (only with two tags or more: same-tag elements never cross; None in
        # `finish`): the emitted elements no other emitted one holds, disjoint and sorted
        # (starts, ends), and the emitted ones a later one holds (for `finish`); the types
        # with a filled element left out for crossing (their hollow ones are not given, as
        # in a one-shot parse); the filled models `finish` built, checked at its end.
        self._starts: list[int] | None = [] if len(self._by_tag) > 1 else None
        self._ends: list[int] = []
        self._emitted: list[tuple[int, int]] = []
        self._left_out: set[type[Model]] = set()
        self._late: list[ParsedModel[ModelT]] = []
        # Hollow elements, per tag, as flat (start, end, inner_start, inner_end, self_closing)
        # integers: built by `finish` only for the types never filled, so an echoed flood of
        # `<answer/>` costs 40 bytes an element, not a model each. None once every type of the
        # tag is filled (no more are kept).
        self._hollow: dict[str, array[int] | None] = {tag: array("q") for tag in self._by_tag}
        # After an interrupt mid-piece: models built and not yet returned, and spans of that
        # piece not yet built (see `_hold`).
        self._held: list[ParsedModel[ModelT]] = []
        self._rest: list[_native.Span] = []
        # `finish`: started (feeding refused), hollow models still to build (last first) and
        # built, and done.
        self._closing = False
        self._jobs: list[_Job] | None = None
        self._built: list[ParsedModel[ModelT]] = []
        self._finished = False
        self._text = _native.TextStream(list(self._by_tag), self._on_spans)
        self.feed = self._text.feed

    @property
    def text(self) -> str:
        """Everything fed so far."""
        return self._text.text

    @property
    def parsed_types(self) -> set[type[Model]]:
        """The types of which a filled model was built.

        Built means emitted, or held for the next call after an interrupt.
        """
        return set(self._filled)

    def complete(self) -> bool:
        """Whether a filled model of every type was built (see `parsed_types`).

        Returns:
            True once each type has at least one filled model.
        """
        return len(self._filled) == len(self.types)

    def finish(self) -> list[ParsedModel[ModelT]]:
        """End the stream: no more pieces are taken.

        An interrupt while building goes up; the models built are kept, and calling `finish`
        again goes on from there.

        Returns:
            Filled models an interrupted `feed` built and did not return (see `feed`), then the
            hollow models of the types that got no filled model, in document order.

        Raises:
            RuntimeError: The stream is already finished.
        """
        if self._finished:
            raise RuntimeError("this ModelStream is already finished")
        if not self._closing:
            self._closing = True
            self.feed = _refuse_feed
            self._text.finish()  # drop mode: no spans are added at the end
            self._rest.extend(self._unheld())
        if self._rest:
            self._forced = True  # the spans waiting on an outer element are candidates now
            mark = len(self._held)
            starts, self._starts = self._starts, None  # (checked below, not as they close)
            try:
                self._held.extend(self._on_spans(()))
            finally:
                self._forced = False
                self._starts = starts
                self._late.extend(self._held[mark:])  # checked for crossing at the end
                del self._held[mark:]
        if self._jobs is None:
            self._jobs = self._hollow_jobs()
        while self._jobs:
            # Taken off first: an interrupt drops this element, and the next call goes on.
            cls, info, start, end, inner_start, inner_end, self_closing = self._jobs.pop()
            built = self._build(
                cls, info, start, end, inner_start, inner_end, bool(self_closing), None
            )
            if built is not None:
                self._built.append(
                    ParsedModel(t.cast("ModelT", built[0]), slice(start, end), hollow=True)
                )
        self._finished = True
        late = [*self._late, *sorted(self._built, key=lambda item: item.slice.start)]
        if late and self._starts is not None:
            late = self._uncrossed(late)
        held, self._held, self._built, self._late = self._held, [], [], []
        return [*held, *late]

    def _uncrossed(self, late: list[ParsedModel[ModelT]]) -> list[ParsedModel[ModelT]]:
        """``late`` without the models crossing an emitted one or an earlier one of them."""
        found = [_native.Found(item.model, item.slice, item.hollow) for item in late]
        emitted = [*self._emitted, *zip(self._starts or (), self._ends, strict=True)]
        left_out = set(_native.crossing_found(emitted, found))
        return [item for index, item in enumerate(late) if index not in left_out]

    def _unheld(self) -> list[_native.Span]:
        """The waiting elements whose outer start never closed, for `finish`.

        Per nesting tag, the outermost of them, in document order (what a one-shot parse of
        the whole text finds).
        """
        out: list[_native.Span] = []
        for waiting in self._outer.values():
            out.extend(_native.outermost(waiting))
            waiting.clear()
        return sorted(out, key=lambda s: s.start)

    def _hollow_jobs(self) -> list[_Job]:
        """List the hollow elements to build, per type never filled, last first.

        The kept integers are let go.
        """
        jobs: list[_Job] = []
        for tag, kept in self._hollow.items():
            if not kept:
                continue
            for cls, info in self._by_tag[tag]:
                if cls not in self._filled and cls not in self._left_out:
                    for at in range(0, len(kept), 5):
                        start, end, inner_start, inner_end, self_closing = kept[at : at + 5]
                        jobs.append((cls, info, start, end, inner_start, inner_end, self_closing))
            self._hollow[tag] = None
        jobs.reverse()
        return jobs

    def _on_spans(self, spans: tuple[_native.Span, ...]) -> tuple[ParsedModel[ModelT], ...]:
        """Build the models of the spans a piece completed (called by the native `feed`).

        Spans held back by an interrupted call come first. An interrupt (`BaseException`) is
        raised at once; the models built and the spans after the one being built are held
        for the next call (`_hold`).
        """
        if self._rest:
            spans, self._rest = (*self._rest, *spans), []
        found: list[ParsedModel[ModelT]] = []
        for index, span in enumerate(spans):
            try:
                self._take(span, found)
            except BaseException:
                self._hold(found, spans[index + 1 :])
                raise
        return tuple(found)

    def _hold(self, found: list[ParsedModel[ModelT]], rest: tuple[_native.Span, ...]) -> None:
        """Hold an interrupted call's models (and the spans it did not reach) for the next call.

        The next `feed` or `finish` builds the spans and returns the models first.
        """
        self._held.extend(found)
        self._rest.extend(rest)
        if not self._closing:
            self.feed = self._feed_held

    def _feed_held(self, text: str) -> tuple[ParsedModel[ModelT], ...]:
        """`feed` while models are held: they come first, then the piece's own."""
        fresh = self._text.feed(text)  # if it raises, `_hold` keeps adding to the held ones
        if self._rest:  # the piece completed no span, so the held spans are still unbuilt
            fresh = self._on_spans(())
        held, self._held = self._held, []
        self.feed = self._text.feed
        return (*held, *fresh)

    def _take(self, span: _native.Span, found: list[ParsedModel[ModelT]]) -> None:
        """Build the models of a closed span, if it is a candidate (into ``found``)."""
        tag = span.tag
        start = span.start
        self_closing = span.self_closing
        waiting = self._outer.get(tag)
        if waiting is not None and not self._forced:  # a tag whose model nests in itself
            if span.depth:  # inside an open element of its tag: a part of that one
                waiting.append(span)
                return
            waiting[:] = [s for s in waiting if s.start < start]  # this one's parts go
        elif waiting is None and not self_closing:
            # Same-tag elements nest properly, so an element closed earlier that starts
            # inside this one means this one is an outer element: not a candidate.
            outer = self._last_closed.get(tag, -1) > start
            self._last_closed[tag] = start
            if outer:
                return
        end = span.end
        inner = self._text.slice(span.inner_start, span.inner_end)
        blank_inside = self_closing or not inner or inner.isspace()
        if blank_inside and not self._has_attribute_value(span):
            self._keep_blank(span)
            return
        element: str | None = None
        recorded = emitted = False
        starts = self._starts  # None with one tag (nothing can cross) and in `finish`
        at = 0 if starts is None else self._uncrossed_at(starts, start)
        for cls, info in self._by_tag[tag]:
            built = self._build(
                cls,
                info,
                start,
                end,
                span.inner_start,
                span.inner_end,
                self_closing,
                inner,
                element,
            )
            if built is None:
                continue
            model, element, blank = built
            if blank:  # no visible text read (an echoed template): hollow for this type
                recorded = recorded or self._keep_hollow(cls, span)
                continue
            if at < 0:  # it crosses an emitted element: left out
                self._left_out.add(cls)
                continue
            if cls not in self._filled:
                self._fill(cls, tag)
            found.append(ParsedModel(t.cast("ModelT", model), slice(start, end)))
            emitted = True
        if emitted and starts is not None:
            self._emit(at, start, end)

    def _fill(self, cls: type[Model], tag: str) -> None:
        """Count ``cls`` as filled (its first filled model was built)."""
        self._filled.add(cls)
        if all(other in self._filled for other, _ in self._by_tag[tag]):
            self._hollow[tag] = None  # its hollow elements can no longer be given

    def _uncrossed_at(self, starts: list[int], start: int) -> int:
        """Where an element starting at ``start`` goes in `_starts`; -1 when it crosses.

        `_starts` and `_ends` hold the emitted elements no other emitted one holds, sorted.
        Every one of them closed before this element, so it crosses one exactly when that
        one holds its start.
        """
        at = bisect_left(starts, start)
        return -1 if at and self._ends[at - 1] > start else at

    def _keep_blank(self, span: _native.Span) -> None:
        """Keep a candidate blank inside as a hollow element of its tag (`_take`)."""
        kept = self._hollow[span.tag]
        if kept is not None:  # some type of the tag is not filled yet
            kept.extend((span.start, span.end, span.inner_start, span.inner_end, span.self_closing))

    def _emit(self, at: int, start: int, end: int) -> None:
        """Record an emitted element at ``start:end`` (``at`` in `_starts`, see `_take`)."""
        starts, ends = t.cast("list[int]", self._starts), self._ends
        if at < len(starts):  # the elements from there on are inside it: it holds them
            self._emitted.extend(zip(starts[at:], ends[at:], strict=True))
            del starts[at:], ends[at:]
        starts.append(start)
        ends.append(end)

    def _has_attribute_value(self, span: _native.Span) -> bool:
        """Whether the element's start tag gives an attribute a visible value."""
        stop = span.end if span.self_closing else span.inner_start
        if stop - span.start <= len(span.tag) + 3:  # `<tag>`, `<tag/>`: nothing to slice
            return False
        return has_attribute_value(self._text.slice(span.start, stop))

    def _keep_hollow(self, cls: type[Model], span: _native.Span) -> bool:
        """Keep a span as a hollow element of ``cls``'s tag, unless ``cls`` is filled."""
        kept = self._hollow[span.tag]
        if kept is None or cls in self._filled:
            return False
        kept.extend((span.start, span.end, span.inner_start, span.inner_end, span.self_closing))
        return True

    def _build(
        self,
        cls: type[Model],
        info: ClassInfo,
        start: int,
        end: int,
        inner_start: int,
        inner_end: int,
        self_closing: bool,
        inner: str | None,
        element: str | None = None,
    ) -> tuple[Model, str | None, bool] | None:
        """Build one model of the element at ``start:end``.

        Its inner text (``inner``) and whole text (``element``) are sliced when not given.

        Returns:
            The model, the element's text if it was sliced (for the span's next type) and
            whether the codec read no visible text from it (`build_marked`); None when the
            element does not build a valid model, or validating it raised (the ``try_``
            parses skip it too).
        """
        require_defined(cls)  # the class's failure, not an element's: raised as it is
        try:
            if info.simple_field is not None:
                if inner is None:
                    inner = self._text.slice(inner_start, inner_end)
                # Blank inside: hollow whatever its attributes (a simple model reads none).
                blank = self_closing or not inner or inner.isspace()
                return build_simple(cls, info, inner), element, blank
            # Non-simple models read the whole element (attributes included).
            if element is None:
                element = self._text.slice(start, end)
            local = _LocalSpan(0, end - start, inner_start - start, inner_end - start, self_closing)
            model, marked = build_marked(cls, info, element, t.cast("_native.Span", local))
            # None (no plan): the element is not blank inside or has an attribute with a
            # visible value, or it would not have been built (`_take`): it is filled.
            return model, element, bool(marked)
        except Exception:  # invalid, or a validator's error pydantic let through
            return None


def _refuse_feed(text: str) -> tuple[ParsedModel[ModelT], ...]:
    """`ModelStream.feed` once the stream is finished."""
    raise RuntimeError("this ModelStream is finished; create a new one")
