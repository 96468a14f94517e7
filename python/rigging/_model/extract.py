"""Find a model's elements in text with the native scanner and build models from them.

Rules (decisions listed in ``docs/design/decisions-messages.md``):

- Tags are found by `rigging._native.scan`: exact names, attributes with quoted ``>``, CDATA and
  comments opaque, a stray start tag never pairs with a later element's end tag, unclosed tags
  are dropped. Time is linear in the text.
- When an element of the tag holds another one (``<a>use <a>x</a></a>``), the innermost
  element is the candidate, as in 2.3. A self-closing ``<a/>`` is an empty candidate of its own
  and does not make the element around it an outer one. A model that nests in itself (a tree
  of ``<node>`` elements, `ClassInfo.outermost`) takes the outermost element instead.
- The slice of a result is the candidate element itself (never text before it).
- Simple models take the inner text, CDATA sections unwrapped and the five XML entities
  decoded. Other models are read by the native codec with the class's compiled plan
  (`rigging._model.plan`): the element becomes the dict pydantic-xml would validate, and
  pydantic-core validates it. Classes without a plan go through pydantic-xml (bare ``&``
  escaped first). Either way any ``<!DOCTYPE``/``<!ENTITY`` declaration is refused before
  anything is built.
- A candidate is *hollow* when nothing visible was read from it: for a planned class, no field
  the codec read holds visible text (attributes included); otherwise its inner text is blank
  and, for a class without a plan, no attribute of its start tag has a visible value. Callers
  that want one model prefer the first filled one (`first_filled`).
"""

from __future__ import annotations

import re
import typing as t
import xml.etree.ElementTree as ET

from pydantic import ValidationError
from pydantic_xml.errors import ParsingError

from rigging import _native
from rigging._model.base import ClassInfo, Model, ModelT, class_info, require_defined
from rigging._model.entries import codec_entry, lax_validate
from rigging._model.fallback import supply_declarations
from rigging._model.fast import share_fields_set
from rigging._model.plan import codec_of
from rigging._model.prefixed import from_xml
from rigging._surrogates import has_surrogates, restore, stand_in
from rigging.error import MissingModelError, ValidatorRaisedError, XmlContentError, _safe_str
from rigging.util import truncate_string, unescape_xml

__all__ = [
    "Extracted",
    "Found",
    "build_marked",
    "extract",
    "extract_many",
    "extract_planned",
    "first_filled",
    "has_attribute_value",
    "prefer_filled",
]

_DECLARATION = re.compile(r"<!\s*(?:DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_SNIPPET = 80
# A `&` that starts no XML entity or character reference (escaped before pydantic-xml).
_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt|apos|quot|#[0-9]+|#x[0-9a-fA-F]+);)")


Found = _native.Found
"""A model built from one element of a text: ``model``, ``slice`` (code points) and ``hollow``
(the element had no text inside, such as an echoed ``<answer></answer>``). Native, so that
`rigging._native.extract_all` builds them in bulk."""


def _snippet(text: str, span: _native.Span) -> str:
    return truncate_string(text[span.start : span.end], _SNIPPET)


def _enrich(exc: ValidationError, cls: type, tag: str, text: str, span: _native.Span) -> Exception:
    """The same validation errors, titled with the tag, position and a snippet of the element."""
    title = f"{cls.__name__} in <{tag}> at {span.start}: {_snippet(text, span)!r}"
    try:
        details = t.cast("list[t.Any]", exc.errors(include_url=False))
        return ValidationError.from_exception_data(title, details)
    except (TypeError, KeyError, ValueError):  # an error type pydantic cannot rebuild
        return exc


def _raised(exc: Exception, cls: type, tag: str, text: str, span: _native.Span) -> Exception:
    """A `ValidatorRaisedError` for an error validating raised that is no validation error.

    pydantic-core raises a validator error's own ``__str__`` failure in its place, and any
    error of a validator other than `ValueError` or `AssertionError` as it is: the element
    failed, as an invalid one. A `ValueError` (the codec's, rigging's) is returned unchanged.
    """
    if isinstance(exc, ValueError):
        return exc
    snippet = _snippet(text, span)
    raised = _safe_str(exc, named=True)
    error = ValidatorRaisedError(
        f"validating {cls.__name__} in <{tag}> at {span.start}: {snippet!r} raised {raised}",
        model=cls.__name__,
        tag=tag,
        position=span.start,
        snippet=snippet,
        raised=raised,
    )
    error.__cause__ = exc
    return error


def split_cdata(text: str) -> list[str]:
    r"""``text`` around its CDATA sections: text, section, text, ... (sections with markers).

    What ``re.split(r"(<!\[CDATA\[.*?\]\]>)", text, flags=re.DOTALL)`` gives, in one
    linear pass (the pattern took quadratic time on many unterminated ``<![CDATA[``): a
    section runs to the first ``]]>`` after its start; an unterminated one stays text.
    """
    pieces: list[str] = []
    at = 0
    while True:
        start = text.find("<![CDATA[", at)
        end = -1 if start < 0 else text.find("]]>", start + 9)
        if end < 0:
            pieces.append(text[at:])
            return pieces
        pieces += (text[at:start], text[start : end + 3])
        at = end + 3


def _inner_value(inner: str) -> str:
    """The text of a simple model's element: CDATA sections unwrapped, entities decoded."""
    if "<![CDATA[" in inner:
        inner = "".join(p[9:-3] if i % 2 else p for i, p in enumerate(split_cdata(inner)))
    return unescape_xml(inner) if "&" in inner else inner


def _escape_bare(text: str) -> str:
    return _BARE_AMP.sub("&amp;", text) if "&" in text else text


def _unreadable(problem: object, tag: str, text: str, span: _native.Span) -> XmlContentError:
    """The error of an element that cannot be read: ``<tag> at N {problem}: 'snippet'``."""
    return XmlContentError(
        f"<{tag}> at {span.start} {problem}: {_snippet(text, span)!r}",
        tag=tag,
        position=span.start,
        snippet=_snippet(text, span),
    )


def _build_native(
    cls: type[ModelT], plan: _native.CodecPlan, tag: str, text: str, span: _native.Span
) -> tuple[ModelT, bool]:
    element = text[span.start : span.end]
    back = None
    try:
        try:
            data, blank = plan.parse_marked(element)
        except UnicodeEncodeError:  # lone surrogates: parse stand-ins, put them back after
            element, back = stand_in(element)
            data, blank = plan.parse_marked(element)
    except ValueError as exc:
        raise _unreadable(exc, tag, text, span) from None
    model = t.cast("ModelT", lax_validate(cls)(data))
    return (model if back is None else t.cast("ModelT", restore(model, back))), blank


def build_pydantic_xml(cls: type[ModelT], tag: str, text: str, span: _native.Span) -> ModelT:
    """The model of one element through pydantic-xml.

    Used for classes without a codec plan; also the reference the codec is tested and
    benchmarked against.

    Raises:
        pydantic.ValidationError: The content does not validate.
        XmlContentError: The element holds a declaration, nests elements deeper than
            `_native.CODEC_MAX_DEPTH`, or is not well-formed XML.
    """
    require_defined(cls)  # a class with unresolved references failed with an AssertionError
    element = text[span.start : span.end]
    if "<!" in element and _DECLARATION.search(element):
        declaration = "holds a document type or entity declaration, which is never expanded"
        raise _unreadable(declaration, tag, text, span)
    info = class_info(cls)
    if info.namespaces is not None:  # prefixes the element leaves undeclared: the class's own
        element = supply_declarations(element, info.namespaces.declarations)
    if "<![CDATA[" in element:
        pieces = split_cdata(element)
        escaped = "".join(p if i % 2 else _escape_bare(p) for i, p in enumerate(pieces))
    else:
        escaped = _escape_bare(element)
    back = None
    if has_surrogates(escaped):  # XML parsers need UTF-8: parse stand-ins, put them back
        escaped, back = stand_in(escaped)
    # pydantic-xml recurses per level (RecursionError); nesting past the limit takes more
    # start tags than it, so most elements skip the check.
    if escaped.count("<") > _native.CODEC_MAX_DEPTH and _native.nests_deeper(escaped):
        deep = f"nests elements deeper than the limit of {_native.CODEC_MAX_DEPTH}"
        raise _unreadable(deep, tag, text, span)
    try:
        model = from_xml(cls, info.prefixed, escaped)
        return model if back is None else restore(model, back)
    except (ET.ParseError, ParsingError) as exc:
        raise _unreadable(f"is not well-formed XML ({exc})", tag, text, span) from exc


def build(cls: type[ModelT], info: ClassInfo, text: str, span: _native.Span) -> ModelT:
    """The model of one element of ``text`` (shared by one-shot parsing and streaming).

    Simple models are validated straight from the inner text (CDATA unwrapped, entities
    decoded); others are read by the native codec (or pydantic-xml for classes without a
    plan), which only ever sees this element.

    Args:
        cls: The model class.
        info: ``class_info(cls)``.
        text: Text holding the element.
        span: The element's span in ``text``.

    Returns:
        The model.

    Raises:
        pydantic.ValidationError: The content does not validate.
        XmlContentError: The element is not readable XML (non-simple models).
    """
    return build_marked(cls, info, text, span)[0]


def build_marked(
    cls: type[ModelT], info: ClassInfo, text: str, span: _native.Span
) -> tuple[ModelT, bool | None]:
    """`build`, and whether the element is *blank*: the codec read no visible text from it.

    Such an element (an echoed template, ``<user><name></name></user>``) counts as hollow:
    it is used only when no element of the class has content. None when the scan's verdict
    stands (blank inside counts as hollow): simple models, and classes without a plan, for
    which the caller checks the start tag when the element is blank inside (an attribute
    with a visible value fills it, as ``<call tool="search"/>``: `has_attribute_value`).
    """
    if info.simple_field is None:
        codec = codec_of(cls)
        if codec is None:
            return build_pydantic_xml(cls, info.tag, text, span), None
        return _build_native(cls, codec.native, info.tag, text, span)
    return build_simple(cls, info, text[span.inner_start : span.inner_end]), None


# An attribute's value in a start tag: quoted either way, or bare.
_ATTRIBUTE_VALUE = re.compile(r"""=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>/]+))""")


def has_attribute_value(start_tag: str) -> bool:
    """Whether the start tag ``start_tag`` gives an attribute a visible value.

    A namespace declaration (``xmlns:x="urn:x"``) is no attribute: it reads as nothing.
    """
    after = 0  # the end of the value before (a name lies between it and its `=`)
    for match in _ATTRIBUTE_VALUE.finditer(start_tag):
        value = next(group for group in match.groups() if group is not None)
        if value.strip() and not _declares(start_tag, after, match.start()):
            return True
        after = match.end()
    return False


def _declares(start_tag: str, after: int, equals: int) -> bool:
    """Whether the name before the ``=`` at ``equals`` (after ``after``) is ``xmlns[:p]``."""
    name = start_tag[after:equals].split()
    return bool(name) and (name[-1] == "xmlns" or name[-1].startswith("xmlns:"))


def build_simple(cls: type[ModelT], info: ClassInfo, inner: str) -> ModelT:
    """The model of a simple class (``info.simple_field`` set) from its element's inner text.

    Raises:
        pydantic.ValidationError: The content does not validate.
    """
    data = {info.simple_field: _inner_value(inner)}
    if info.own_validate:  # the class's own `model_validate`, called as pydantic-xml calls it
        return cls.model_validate(data, strict=False)
    model = cls.__pydantic_validator__.validate_python(data, strict=False)
    if info.shared_fields is not None:
        share_fields_set(model, info.shared_fields)
    return t.cast("ModelT", model)


def _longest(failures: list[tuple[int, Exception]]) -> Exception:
    return max(failures, key=lambda failure: failure[0])[1]


#: `rigging._native.extract_all`'s answer for one planned class: the models found, the
#: failures (span, error, unreadable) and how many candidates there were.
Extracted = tuple[list["Found[t.Any]"], list[tuple[_native.Span, Exception, bool]], int]


def extract_planned(cls: type[Model], info: ClassInfo, text: str) -> Extracted | None:
    """Scan ``text`` for ``cls``'s tag, then parse and validate each candidate (one call).

    Returns:
        What `extract` takes as ``done``; None when ``cls`` is simple or has no plan, or
        ``text`` holds lone surrogates (`extract` then takes the general path).
    """
    entry = codec_entry(cls, info)
    if entry is None or info.tags is None:
        return None
    done = _native.extract_all(text, info.tags, [entry])
    first = None if done is None else done[0]
    if isinstance(first, Exception):
        raise first
    return first if type(first) is tuple else None


def extract(
    cls: type[ModelT],
    text: str,
    spans: list[tuple[_native.Span, bool]] | None = None,
    done: Extracted | None = None,
) -> list[Found[ModelT]]:
    """Every valid element of ``cls``'s tag in ``text``, in document order.

    Args:
        cls: The model class.
        text: The text to search.
        spans: The candidates of the class's tag in ``text`` with whether each is hollow,
            when already found (see `extract_many`); found here otherwise.
        done: The class's `extract_planned` answer, when already computed.

    Returns:
        The models with their slices, hollow ones included.

    Raises:
        MissingModelError: No element of the tag is in the text.
        pydantic.ValidationError: Elements were found but none is valid (the error of the
            longest candidate, titled with the tag, position and a snippet).
        ValidatorRaisedError: As above, when validating the longest candidate raised an
            error that is no validation error (a validator's `TypeError`, pydantic-core's
            error for a validator error it cannot print).
        XmlContentError: As above, when the longest candidate is not readable XML; or no
            element was found because a CDATA section or comment that never ends holds its
            end tag or the whole element (named with its position, see `_missing`).
    """
    info = class_info(cls)
    if not info.ready:
        cls.ensure_valid()
    if done is None and spans is None:
        done = extract_planned(cls, info, text)
    if done is not None:
        found, failed, count = done
        if not count:
            raise _missing(cls, info, text)
        return _settled(cls, info.tag, text, found, failed)
    if spans is None:
        spans = _native.candidates(text, info.tags or [info.tag])[0]
    if not spans:
        raise _missing(cls, info, text)
    return _extract_each(
        cls, info.tag, text, spans, lambda span: build_marked(cls, info, text, span)
    )


_CLOSERS = {"comment": "-->", "CDATA section": "]]>"}


def _missing(cls: type[Model], info: ClassInfo, text: str) -> Exception:
    """The error of a text in which no element of ``cls``'s tag was found.

    A `MissingModelError`, unless the text opens a CDATA section or comment that never ends
    and a start tag of the class is written inside it, or before it and still open there with
    its end tag written after it: the scanner reads everything after the opener as the
    section's content, so the element has no end tag. That is an `XmlContentError` naming
    the section and where it opens (code points). Only texts holding ``<!`` are looked at
    again (one linear pass, then a scan).
    """
    missing = MissingModelError(f"Failed to find '{cls.xml_tags()}' in message")
    hidden = _native.unclosed_section(text) if "<!" in text else None
    if hidden is None:
        return missing
    kind, at = hidden
    names = info.tags.names if info.tags is not None else [info.tag]
    ended = [name for name in names if text.find(f"</{name}", at) >= 0]  # (few names)
    before = (
        [span for span in _native.scan(text[:at], ended, incomplete="close") if not span.closed]
        if ended
        else []
    )
    closer = _CLOSERS[kind]
    if before:
        span = max(before, key=lambda span: span.start)  # the innermost still open
        tag, position = span.tag, span.start
        problem = (
            f"is never closed: a {kind} opens inside it at {at} and no '{closer}' follows, "
            f"so the rest of the text is that {kind}'s content"
        )
    else:
        # Inside the section nothing is markup (not even another opener): a start tag as
        # written is looked for.
        written = re.compile("<(" + "|".join(map(re.escape, names)) + r")[\s/>]")
        match = written.search(text, at + (4 if kind == "comment" else 9))
        if match is None:
            return missing
        tag, position = match.group(1), match.start()
        problem = (
            f"is inside a {kind} opened at {at} that no '{closer}' ends, so it is that "
            f"{kind}'s content, not an element"
        )
    snippet = truncate_string(text[min(at, position) :], _SNIPPET)
    return XmlContentError(
        f"<{tag}> at {position} {problem}: {snippet!r}", tag=tag, position=position, snippet=snippet
    )


def _settled(
    cls: type[ModelT],
    tag: str,
    text: str,
    found: list[Found[ModelT]],
    failed: list[tuple[_native.Span, Exception, bool]],
) -> list[Found[ModelT]]:
    """The models a native extraction found.

    Raises:
        Exception: The error of the longest failed candidate, when none was found.
    """
    if failed and not found:
        raise _longest(
            [
                (span.end - span.start, _failure(exc, unreadable, cls, tag, text, span))
                for span, exc, unreadable in failed
            ]
        )
    return found


def _failure(
    exc: Exception, unreadable: bool, cls: type, tag: str, text: str, span: _native.Span
) -> Exception:
    """The error reported for one candidate the codec could not read or validate."""
    if unreadable:
        return _unreadable(exc, tag, text, span)
    if isinstance(exc, ValidationError):
        return _enrich(exc, cls, tag, text, span)
    return _raised(exc, cls, tag, text, span)


def _extract_each(
    cls: type[ModelT],
    tag: str,
    text: str,
    spans: list[tuple[_native.Span, bool]],
    build_one: t.Callable[[_native.Span], tuple[ModelT, bool | None]],
) -> list[Found[ModelT]]:
    """`extract`'s loop one element at a time: ``build_one(span)`` per candidate.

    For classes without a plan, simple models, and text with lone surrogates.
    """
    require_defined(cls)  # the class's failure, not an element's: raised as it is
    found: list[Found[ModelT]] = []
    failures: list[tuple[int, Exception]] = []
    reads_attributes = class_info(cls).simple_field is None  # a simple model reads none
    for span, hollow in spans:
        try:
            model, blank = build_one(span)
        except ValidationError as exc:
            failures.append((span.end - span.start, _enrich(exc, cls, tag, text, span)))
            continue
        except Exception as exc:  # XmlContentError; a validator's error pydantic let through
            failures.append((span.end - span.start, _raised(exc, cls, tag, text, span)))
            continue
        if blank is None:  # the scan's verdict, unless an attribute has a visible value
            start_tag = text[span.start : span.end if span.self_closing else span.inner_start]
            blank = hollow and not (reads_attributes and has_attribute_value(start_tag))
        found.append(Found(model, slice(span.start, span.end), blank))
    if not found:
        raise _longest(failures)
    return found


def extract_many(
    text: str, types: t.Sequence[type[Model]]
) -> list[Extracted | list[tuple[_native.Span, bool]] | Exception] | None:
    """One scan of ``text`` for several classes' tags.

    Args:
        text: The text to search.
        types: The model classes.

    Returns:
        Per class, what `extract` takes: the `extract_planned` answer of a planned class, the
        candidates (``spans``) of any other. A class whose elements could not be handed to
        its validator has that error instead, and is the last class answered (the caller
        raises it in its turn); what a validator raises is its element's failure. None when
        a tag is not a valid name (each `extract` then raises the `ScanError` that names it,
        in turn) or the text holds lone surrogates.
    """
    infos = [class_info(cls) for cls in types]
    if any(info.tags is None for info in infos):
        return None
    entries = [codec_entry(cls, info) for cls, info in zip(types, infos, strict=True)]
    names = tuple(info.tag for info in infos)
    outer = tuple(info.tag for info in infos if info.outermost)
    tags = _tag_sets.get((names, outer))
    if tags is None:
        if len(_tag_sets) >= _TAG_SETS:
            _tag_sets.clear()
        tags = _tag_sets[names, outer] = _native.Tags(list(names), list(outer) or None)
    return _native.extract_all(text, tags, entries)


#: Compiled tag sets of recent several-class calls, by their tags (bounded).
_tag_sets: dict[tuple[tuple[str, ...], tuple[str, ...]], _native.Tags] = {}
_TAG_SETS = 256


def prefer_filled(found: list[Found[ModelT]]) -> list[Found[ModelT]]:
    """Drop hollow results when at least one filled result exists.

    ``found`` is in document order (as `extract` gives it), which `_native.merge_filled`
    keeps.
    """
    if len(found) == 1:
        return found
    return _native.merge_filled([found])


def first_filled(found: list[Found[ModelT]]) -> Found[ModelT]:
    """The first filled result by position, else the first hollow one."""
    for item in found:
        if not item.hollow:
            return item
    return found[0]
