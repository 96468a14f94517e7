"""Typed stub of `rigging._native`, the Rust core. User-facing docs of native objects live here."""

import builtins
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, final

__all__ = [
    # codec
    "CODEC_MAX_DEPTH",
    "CodecPlan",
    # fanout
    "FanOut",
    # errors
    "FanOutError",
    # ident
    "Identifier",
    # errors
    "IdentifierError",
    # parts
    "PartMaker",
    # errors
    "RiggingError",
    # errors
    "ScanError",
    # scan
    "Span",
    # errors
    "SpliceError",
    # scan
    "TagStream",
    "Tags",
    "TextStream",
    "__version__",
    # scan
    "candidates",
    # strip
    "crossed_element",
    "crossing_found",
    # codec
    "has_indented_line",
    # redact
    "is_secret_name",
    "mask_json_secrets",
    "mask_userinfo",
    # codec
    "nests_deeper",
    # strip
    "place_parts",
    # scan
    "scan",
    # strip
    "splice",
    "strip_spans",
    # scan
    "unclosed_section",
    # redact
    "userinfo_of",
]
__version__: str

# --- errors ---------------------------------------------------------------------------------

CODEC_MAX_DEPTH: int
"""How deep elements may nest inside an element `CodecPlan.parse` reads (deeper is refused)."""

def nests_deeper(text: str, max_depth: int = ...) -> bool:
    """Whether the elements of the element ``text`` nest deeper than ``max_depth``.

    The default is `CODEC_MAX_DEPTH`; elements are paired as the codec pairs them.

    Raises:
        ValueError: ``max_depth`` is above the codec's hard limit.
    """

def has_indented_line(text: str) -> bool:
    """Whether a line of ``text`` starts with a space or a tab.

    When none does, `textwrap.dedent` returns the text unchanged (message content skips it).
    """

_ModelT = TypeVar("_ModelT")
_ModelT_co = TypeVar("_ModelT_co", covariant=True)

class _Validate(Protocol[_ModelT_co]):
    """How the codec validates what it read: ``validate(data)``, which must be lax.

    Lax as pydantic-xml calls ``model_validate(data, strict=False)``: e.g. a
    ``SchemaValidator.validate_python`` of a schema that sets no ``strict``, or one bound with
    ``strict=False`` (`rigging._model.entries.lax_validate` gives either).
    """

    def __call__(self, data: dict[str, Any], /) -> _ModelT_co: ...

def extract_all(
    text: str,
    tags: Tags,
    entries: Sequence[tuple[CodecPlan, _Validate[Any]] | None],
    max_depth: int = ...,
) -> (
    list[
        tuple[list[Found[Any]], list[tuple[Span, Exception, builtins.bool]], int]
        | list[tuple[Span, builtins.bool]]
        | Exception
    ]
    | None
):
    """`candidates` of ``tags`` in ``text`` from one scan, each tag's read by its entry.

    ``entries`` has one entry per name of ``tags``: ``(plan, validate)`` gives that tag's
    ``(found, failed, count)``, as `CodecPlan.extract` would for its candidates plus how
    many candidates there were; None gives the candidates themselves. No `Span` is made for
    a candidate that was read, only for a failure. None when ``text`` holds lone surrogates
    (the caller then scans with `candidates`).

    Any ``Exception`` ``validate`` raises is that element's failure (pydantic-core raises a
    validator error's own ``__str__`` failure in its place). An ``Exception`` converting what
    was read (not an element's failure) ends the work: it is returned as that tag's item, the
    last of the list, for the caller to raise in its turn (after what the tags before it raise).

    Raises:
        ValueError: ``entries`` is not one per name.
        BaseException: What ``validate`` raised that is not an ``Exception`` (an interrupt).
    """

@final
class Found(Generic[_ModelT]):
    """A model built from one element of a text (immutable).

    Equal when model, slice and hollowness are.
    """

    def __new__(
        cls, model: _ModelT, slice: builtins.slice, hollow: builtins.bool
    ) -> Found[_ModelT]: ...
    @property
    def model(self) -> _ModelT:
        """The model."""
    @property
    def slice(self) -> builtins.slice:
        """Where the element is in the text (code points)."""
    @property
    def hollow(self) -> builtins.bool:
        """The element is an echo: nothing inside, or no visible text read by the codec.

        For example ``<answer></answer>`` or ``<user><name></name></user>``.
        """
    @property
    def start(self) -> builtins.int:
        """``slice.start``, without making the slice (a sort key)."""

def merge_filled(lists: Sequence[list[Found[_ModelT]]]) -> list[Found[_ModelT]]:
    """The results of several classes as one list, as `found_many` gives them.

    Per list, its filled (not hollow) results when it has more than one result and any is
    filled, else all of them; then every kept result, stably sorted by start (equal starts
    keep the order of the lists, then of each list).

    Raises:
        TypeError: An item is not a `Found`.
    """

@final
class CodecPlan:
    """The compiled XML plan of a model class and the model classes nested in it.

    Built by `rigging._model.plan` from pydantic-xml's field serializers; index 0 is the
    class itself. Each field is ``(parse_key, render_key, path, kind, name, model, many)``:
    ``kind`` is ``"attr"``, ``"text"`` or ``"element"``; ``path`` the wrapper elements above
    it; ``model`` the index of a nested model (-1 for text); ``many`` a list of elements.

    ``classes`` (one per model) lets `render_model` read instances directly; give them only
    when serialization changes no value of these classes (no custom serializers, no
    excluded fields). ``types`` (per model, per field: ``"str"``, ``"int"``, ``"float"``,
    ``"bool"``, several of them joined by ``|`` for a union, ``"encoded"`` for a union of
    none of them, or ``""`` for any) is each field's declared primitive type: an instance
    value of another exact type (one pydantic never validated, such as ``0`` as a ``float``
    default) is not written as it is (`render_model` gives None; its encoding differs).
    ``empty`` (per model, per field: ``"str"``, ``"none"`` or ``""``) is what a field reads
    from an empty value (``a=""``, an element with neither text nor children, empty text):
    ``""``, ``None``, or pydantic-xml's reading (an attribute's ``""``; an element or text
    left out, so the field's default applies), which is also the reading when not given.

    ``literals`` (per model, per field: None or ``(text, member)`` pairs) makes a text read
    for that field (or each of its list items) that equals one of the texts the member
    itself in the validator's input (``"1"`` → ``1`` for ``Literal[1, 2]``).

    Raises:
        ValueError: A field kind is unknown, a model index is out of range, ``classes``,
            ``types``, ``empty`` or ``literals`` does not match the models, or a literal
            table is given for a nested model field.
    """

    def __new__(
        cls,
        models: Sequence[
            tuple[str, Sequence[tuple[str, str, Sequence[str], str, str, int, builtins.bool]]]
        ],
        classes: Sequence[type] | None = None,
        types: Sequence[Sequence[str]] | None = None,
        empty: Sequence[Sequence[str]] | None = None,
        literals: Sequence[Sequence[Sequence[tuple[str, Any]] | None]] | None = None,
    ) -> CodecPlan: ...
    def parse(self, element: str, max_depth: int = ...) -> dict[str, Any]:
        """The dict pydantic-xml would validate for one element (start tag to end tag).

        Lenient like the scanner: a ``<`` that starts no tag is text, unpaired tags are text,
        unknown children are ignored, children may come in any order; the five XML entities
        and numeric character references are decoded, CDATA unwrapped, bare ``&`` kept.
        Empty values read as ``empty`` says.

        Raises:
            ValueError: The text holds a ``<!DOCTYPE``/``<!ENTITY`` declaration, is not a
                closed element, or nests elements deeper than ``max_depth``.
        """
    def parse_marked(self, element: str, max_depth: int = ...) -> tuple[dict[str, Any], bool]:
        """`parse`, and whether what it read is blank (an echoed template: hollow).

        Blank: no text read holds a character that is not whitespace (to `str.isspace`).
        """
    def extract(
        self,
        text: str,
        spans: Sequence[tuple[Span, builtins.bool]],
        validate: _Validate[_ModelT],
        max_depth: int = ...,
    ) -> tuple[list[Found[_ModelT]], list[tuple[Span, Exception, builtins.bool]]] | None:
        """`parse` and then ``validate`` the element of each ``(span, hollow)`` in ``text``.

        Returns the models built, in the order of ``spans`` (hollow as given, or when what
        was read is blank, see `parse_marked`), and the failures as
        ``(span, error, unreadable)``: ``unreadable`` when `parse` refused the element,
        otherwise the error is what ``validate`` raised: any ``Exception`` (pydantic's
        ``ValidationError`` among them) counts as an element's failure. None when ``text``
        holds lone surrogates (the caller then goes one element at a time).

        Raises:
            ValueError: A span is outside ``text``.
            BaseException: What ``validate`` raised that is not an ``Exception`` (an interrupt).
        """
    def render(self, encoded: Mapping[str, Any]) -> str:
        """The pretty XML of a model from its ``pydantic_core.to_jsonable_python`` dict.

        Byte-identical to ``ElementTree.indent`` + ``tostring(short_empty_elements=False)``.
        """
    def render_model(self, instance: object) -> str | None:
        """`render` of ``to_jsonable_python(instance)``, read from the instance's own fields.

        None when that is not known to give the same text: no ``classes`` were given, the
        instance (or a nested one) is of another class, or a value is not a plain ``str``,
        ``bool``, ``int``, finite ``float``, ``None``, list or planned model.
        """
    def render_compact(self, encoded: Mapping[str, Any]) -> bytes:
        """The compact XML of a model from its ``pydantic_core.to_jsonable_python`` dict.

        Byte-identical to pydantic-xml's ``to_xml()`` with default arguments on the standard
        ElementTree backend (``ElementTree.tostring`` of its tree): no declaration or
        indentation, ``<a />`` for an element without text or children, double quotes, line
        feeds, carriage returns and tabs in attribute values as ``&quot;``, ``&#10;``,
        ``&#13;``, ``&#09;``, and every non-ASCII character as a decimal character
        reference (``&#233;``).
        """
    def render_compact_model(self, instance: object) -> bytes | None:
        """`render_compact` of ``to_jsonable_python(instance)``, read from the instance.

        None in the cases where `render_model` gives None.
        """

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

class ScanError(RiggingError, ValueError):
    """A tag name given to `scan` or `TagStream` is invalid.

    A name must be non-empty and hold only letters, digits, `-`, `_`, `.` and `:`; the
    message names the tag and the first bad character.
    """

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

@final
class Tags:
    """Tag names checked once, for many `scan` calls over different texts.

    `scan(text, Tags(names))` finds the same spans as `scan(text, names)` without
    re-checking the names and building their strings on every call.

    Args:
        tags: Tag names, as for `scan`.
        outermost: Names whose `candidates` are the outermost elements rather than the
            innermost (a model that nests in itself: the nested elements are its parts).

    Raises:
        ScanError: A tag name is invalid.
        TypeError: `tags` is a `str` or holds a non-`str`.
    """

    def __new__(cls, tags: Sequence[str], outermost: Sequence[str] | None = None) -> Tags: ...
    @property
    def names(self) -> list[str]:
        """The names in the order given."""
    def __len__(self) -> int: ...

def scan(
    text: str, tags: Sequence[str] | Tags, *, incomplete: Literal["drop", "close"] = "drop"
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
        tags: Tag names (letters, digits, `-`, `_`, `.`, `:`), or a `Tags`. Not a bare `str`.
        incomplete: What to do with starts still open at the end: `"drop"` them, or
            `"close"` them as spans running to the end of the text (`closed=False`).

    Returns:
        The spans in closing order, then (with `"close"`) the unclosed ones, latest first.

    Raises:
        ScanError: A tag name is empty or holds another character (the message names it).
        ValueError: `incomplete` is not `"drop"` or `"close"`.
        TypeError: `tags` is a `str` or holds a non-`str`.
    """

def candidates(text: str, tags: Sequence[str] | Tags) -> list[list[tuple[Span, bool]]]:
    """The elements a parser builds models from, per tag name, from one scan.

    For each name in the order of `tags` (a name given twice gets the same spans twice),
    `scan`'s spans of that name (unclosed starts dropped) that hold no other non-self-closing
    span of the name, sorted by start, the longer first. An element holding another one
    (`<a>use <a>x</a></a>`) is left out for the inner one; a self-closing `<a/>` is always
    kept and never makes the element around it an outer one. Each name has its own stack in
    the scanner, so a name gets the same spans whatever other names are scanned with it.
    Each span comes with whether it is hollow: self-closing, or nothing but whitespace inside
    (`str.isspace`), such as an echoed `<answer></answer>` example.

    Args:
        text: The text to scan.
        tags: Tag names, or a `Tags`. Not a bare `str`.

    Returns:
        Per tag name, its `(span, hollow)` candidates in position order.

    Raises:
        ScanError: A tag name is empty or holds another character (the message names it).
        TypeError: `tags` is a `str` or holds a non-`str`.
    """

def unclosed_section(text: str) -> tuple[Literal["comment", "CDATA section"], int] | None:
    """The comment or CDATA section that `scan` reads to the end of ``text``, if any.

    A ``<!--`` or ``<![CDATA[`` met outside a section with no ``-->`` or ``]]>`` after it:
    every tag after it is part of the section. Returns its kind and the code-point offset of
    its ``<``; None when every section ends. Linear in the text, also on a flood of openers.
    """

def outermost(spans: Sequence[Span]) -> list[Span]:
    """The spans that no other of ``spans`` holds, sorted by start (the longer first).

    The rule of the candidates of a name marked outermost in `Tags`: a self-closing span
    inside another is held by it; of two equal spans the first is kept.

    Args:
        spans: Spans of one tag name, in any order.

    Returns:
        The kept spans, the same objects.
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
        ScanError: A tag name is invalid.
        ValueError: `incomplete` is unknown.
        TypeError: `tags` is a `str` or holds a non-`str`.
    """

    def __new__(
        cls, tags: Sequence[str], *, incomplete: Literal["drop", "close"] = "drop"
    ) -> TagStream: ...
    def feed(self, chunk: str | bytes) -> tuple[Span, ...]:
        """Consume the next chunk and return the spans it completes, in closing order.

        A tuple: most chunks complete nothing and get the shared empty tuple, no allocation.

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

@final
class TextStream:
    """A `TagStream` fed `str` chunks that keeps the text, so found elements can be sliced out.

    With `on_spans`, `feed` calls it with each non-empty tuple of spans it completes and
    returns what it returns (a streaming parser turns spans into models there without a
    Python call per chunk); otherwise `feed` returns the spans. Slicing by code points costs a
    search in a sparse index (one mark per KB) plus the slice, so total work stays linear.

    Args:
        tags: Tag names, as for `scan`.
        on_spans: Called with the spans of each `feed` that completes any.
        incomplete: What `finish` does with starts still open: `"drop"` or `"close"`.

    Raises:
        ScanError: A tag name is invalid.
        ValueError: `incomplete` is unknown.
        TypeError: `tags` is a `str` or holds a non-`str`.
    """

    def __new__(
        cls,
        tags: Sequence[str],
        on_spans: Callable[[tuple[Span, ...]], tuple[Any, ...]] | None = None,
        *,
        incomplete: Literal["drop", "close"] = "drop",
    ) -> TextStream: ...
    def feed(self, chunk: str) -> tuple[Any, ...]:
        """Consume the next chunk and return what it completes.

        That is `on_spans(spans)` when the chunk completes spans and a callback was given,
        else the (possibly empty) tuple of spans.

        Raises:
            RuntimeError: The stream is finished.
            TypeError: `chunk` is not a `str`.
        """
    def finish(self) -> list[Span]:
        """End the stream and return the spans the incomplete mode adds (none for "drop").

        `on_spans` is not called for them. The text stays readable.

        Raises:
            RuntimeError: The stream is already finished.
        """
    def slice(self, start: int, end: int) -> str:
        """``text[start:end]`` (code points).

        Raises:
            ValueError: The range is reversed or goes past the text fed so far.
        """
    @property
    def text(self) -> str:
        """Everything fed so far."""
    @property
    def position(self) -> int:
        """Code points fed so far."""

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

_PartT = TypeVar("_PartT")

@final
class PartMaker(Generic[_PartT]):
    """Builds message parts as `place_parts` does from a spec.

    The spec is ``(cls, model_name, slice_name, fields_set)``: no validation, no Python call,
    the class's slots found once.
    """

    def __new__(
        cls, spec: tuple[type[_PartT], str, str, AbstractSet[str]]
    ) -> PartMaker[_PartT]: ...
    def __call__(self, model: Any, start: int, end: int) -> _PartT:
        """The part of ``model`` at ``slice(start, end)``."""

def parse_alone(
    text: str,
    tags: Tags,
    plan: CodecPlan,
    validate: Callable[..., Any],
    renders: bool,
    make: PartMaker[_PartT],
    max_depth: int = ...,
) -> (
    tuple[_PartT, str | None]
    | tuple[list[Found[Any]], list[tuple[Span, Exception, bool]], int]
    | None
):
    """Parse a message's one element of a class and record it as its only part, in one call.

    `tags` holds the class's one tag. When `text` has exactly one candidate element and it
    parses (`plan`) and validates (`validate`, lax), returns ``(part, new_text)``: the part
    (from `make`) of the model at the element's final range, and the text with the element
    replaced by the model's pretty XML, or None when it already is that XML. The pretty XML
    is the plan's rendering when `renders` (the plan renders the class's `to_pretty_xml()`)
    and it can render the instance, else the model's `to_pretty_xml()`.

    Otherwise returns what `extract_all` answers for the tag, ``(found, failed, count)``, for
    the general path; None when `text` holds lone surrogates. Any ``Exception`` of the
    validator is the element's failure; an interrupt (a ``BaseException`` only) is raised.
    """

def crossing_found(spans: list[tuple[int, int]], found: list[Found[Any]]) -> list[int]:
    """Indexes of the results in ``found`` to leave out so that no part crosses another.

    Each result whose slice crosses a recorded part's span in ``spans`` (recorded parts
    never cross each other), or an earlier result's (by start, the longer first), without
    either holding the other. In order; ``[]`` when none crosses.
    """

def crossed_element(text: str, start: int, end: int) -> bool:
    """Whether an element of ``text`` crosses its element at code points ``start..end``.

    Crossing means starting inside it and ending after it, or ending inside it and starting
    before it, as `scan` pairs tags (`<answer>a <f>b</answer> c</f>`: each crosses the
    other). Rewriting a crossed element would delete or escape the other element's tag it
    holds, so parsing keeps its text as written. An element whose tags all pair inside it
    (and holds no other `<` that may open a tag) is answered from its own text; only others
    cost a scan of ``text``. A range outside the text counts as crossed.
    """

def place_parts(
    text: str | None,
    models: list[Any],
    spans: Sequence[tuple[int, int]],
    found: list[Found[Any]],
    make: Callable[[Any, slice], _PartT] | tuple[type[_PartT], str, str, AbstractSet[str]],
    plan_of: Callable[[type], CodecPlan | None] | None = None,
) -> tuple[str | None, list[_PartT] | None]:
    """Lay out a message's parts after new models were parsed from its content.

    `models[i]` is the model of the recorded part at `spans[i]` (code points); `found` holds
    the new results, and a new one whose range and model class a part before it has is left
    out (parsing the same element as the same model again adds nothing). Parts may nest but
    not cross. With `text` (string content), each new part that neither holds nor sits in
    another part and whose text is not already its model's `to_pretty_xml()` gets that
    text, all in one splice that moves the other parts, unless another element of `text`
    crosses it (`crossed_element`): its text then stays as written. A model without a plan
    whose class's
    ``_rg_content_xml_applies()`` is true (`rigging.model.Model`: simple models) says what
    text its element takes instead, through ``_rg_content_xml(pretty, element)``.

    Args:
        text: The message content, or None for list content (nothing is rewritten).
        models: The recorded parts' models.
        spans: Their `(start, end)` ranges.
        found: The new results.
        make: Builds a part from a model and its final slice; or ``(cls, model_name,
            slice_name, fields_set)``: each part is then a pydantic model of ``cls`` built
            without validation or a Python call, as `rigging._model.fast.construct` builds
            one (``__dict__`` of the two fields, the shared ``fields_set``).
        plan_of: Called once per class of the new models: the plan whose
            `CodecPlan.render_model` is that class's `to_pretty_xml()` (when it gives a
            text), read without a Python call; or None.

    Returns:
        The new content (None when unchanged) and a part from `make` for every model,
        sorted by start (stable); `(None, None)` when no part is new.

    Raises:
        ValueError: Two parts cross (the message names both ranges), or ``models`` and
            ``spans`` differ in length.
        SpliceError: A range is negative or outside the text.
        TypeError: A `to_pretty_xml()` returned something other than a `str`, an item of
            ``found`` is not a `Found`, or ``plan_of`` gave something other than a plan.
    """

def dedent(text: str) -> str:
    """`textwrap.dedent(text)`, from one native pass; ``text`` itself when nothing changes.

    Lines end at a line feed only. A blank line (empty, or only spaces and tabs) becomes empty;
    the longest run of spaces and tabs that all the other lines start with is removed from each.
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

# --- ident ----------------------------------------------------------------------------------

@final
class Identifier:
    r"""A generator connection string, `[provider!]model[,key=value]*`, parsed.

    - `provider` is optional (letters, digits, `_`, `-`); only one `!`, before the first `,`,
      separates it.
    - The model is everything up to the first unquoted `,` (it may hold `/`, `:`, `.`, `@`),
      or a double-quoted string.
    - Parameter names are `[A-Za-z_][A-Za-z0-9_.-]*`. A value is bare (anything but `,`,
      trimmed; `=` and `!` are fine) or double-quoted with `\"` and `\\` escapes.
    - Bare values are typed: an integer is `int` (one that does not fit in 64 bits, or a
      finite float form that overflows such as `1e999`, is an `IdentifierError` naming the
      parameter and its position: quote it to pass a string); a decimal or exponent form,
      `inf` or `nan` is `float`; `true`/`false` in any case is `bool`; a value containing `;` is a
      `list[str]` (`stop=a;b;` is `["a", "b", ""]`, elements may be quoted one by one); the
      rest, and every quoted value, is `str`.
    - A repeated name keeps its first position and takes its last value.
    - `api_key=...` goes to `api_key`, untyped, and is never written back: `format()`,
      `str()` and `repr()` never show it, nor do error messages.
    - Other secrets are never written back either: `format()` leaves out every parameter
      whose name holds a secret (`is_secret_name`: `API_KEY`, `aws_secret_access_key`,
      `azure_ad_token`, ...) and removes the user-info of URLs in values
      (`https://user:pw@host` is written `https://host`); `repr()` shows them as `***`.
    - Any `str` is accepted; a lone surrogate becomes U+FFFD.

    `Identifier.parse(x.format())` equals `x` apart from `api_key` and those secrets, except
    that a list of fewer than two elements has no spelling of its own: `["x"]` is written
    `stop=x` and reads back as the string `"x"` (callers that expect a list, such as `stop`,
    wrap it).

    An identifier is immutable; `params` returns a new dict on each access.

    Args:
        model: The model name (not empty).
        provider: The provider, or None to let the caller pick its default.
        params: Parameters, in order; names must not include `api_key`.
        api_key: The api key, kept out of every rendering.

    Raises:
        ValueError: The provider, model or a parameter name cannot be written in a
            connection string, or an int does not fit in 64 bits.
        TypeError: A parameter value is not int, float, bool, str or list[str].
    """

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def __new__(
        cls,
        model: str,
        *,
        provider: str | None = None,
        params: Mapping[str, int | float | bool | str | list[str] | tuple[str, ...]] | None = None,
        api_key: str | None = None,
    ) -> Identifier: ...
    @staticmethod
    def parse(text: str) -> Identifier:
        """Parse a connection string.

        Args:
            text: The connection string.

        Returns:
            The parsed identifier.

        Raises:
            IdentifierError: The string is malformed; `position` is the code-point index of
                the problem and the message says what was expected there.
        """
    @property
    def provider(self) -> str | None:
        """The provider before `!`, or None when the string has none."""
    @property
    def model(self) -> str:
        """The model name."""
    @property
    def params(self) -> dict[str, int | float | bool | str | list[str]]:
        """The parameters in order of first appearance (a new dict on each access)."""
    @property
    def api_key(self) -> str | None:
        """The api key, if one was given."""
    def format(self) -> str:
        r"""Write the connection string `provider!model,key=value,...`, without any secret.

        Strings are quoted whenever a bare spelling would read back differently (`"10"`,
        `"true"`, empty, containing `,` `"` `;` `\`, or with outer whitespace), and floats
        always read back as the same float (`1.0`, `1e20`, `inf`, `NaN`).

        Returns:
            The connection string.
        """
    def __eq__(self, other: object, /) -> bool:
        """Whether all fields, including the api key, are equal."""

# --- redact ---------------------------------------------------------------------------------

def is_secret_name(name: str) -> bool:
    """Whether a parameter, field or header called `name` holds a secret.

    The name is split into words (at anything but letters and digits, and at lower-to-upper
    case changes). It holds a secret when a word is `key`, `keys`, `token`, `secret(s)`,
    `password`, `passwd`, `passphrase`, `pwd`, `pw`, `credential(s)`, `cred(s)`,
    `authorization`, `auth`, `cookie`, `bearer`, `sig`, `signature(s)`, `sas`, `session`,
    `sessionid`, `assertion`, `jwt`, `hmac` or `otp`; ends with `key`, `token`, `secret`,
    `password`, `passwd` or `credential(s)`; or starts with `secret`, `password`, `passwd`,
    `credential` or `authoriz`. `token` followed by `id`, `type`, `count`, `limit` or
    `len(gth)` is not (`pad_token_id`), nor are `max_tokens` or `tokenizer`.
    """

def mask_userinfo(text: str, mask: str = "***") -> str:
    """`text` with the user-info of every `scheme://user:password@host` replaced by `mask`.

    With an empty `mask` the user-info and its `@` are removed. Unchanged text is returned
    as the same object.
    """

def userinfo_of(text: str) -> list[str]:
    """The user-info (`user:password`) of every `scheme://user:password@host` in `text`."""

def mask_json_secrets(text: str) -> str:
    """`text` with the value of every `"secret name": value` pair of JSON text in it masked.

    String, number and literal values become `"***"`; object and array values are searched
    in turn. Unchanged text is returned as the same object.
    """
