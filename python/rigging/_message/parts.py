"""Keep a message's parsed parts in step with its content, through the native splice.

- Adding parts: a model already recorded at the same slice is skipped (re-parsing is
  idempotent). Elements may nest (``<question-answer>`` around ``<answer>``) but may not cross
  (`XmlContentError` naming both). Each new part that neither holds nor sits in another part
  has its text replaced by the model's pretty XML, unless another element of the content
  crosses it (its text holds that element's start or end tag, which the rewrite would delete
  or escape: it stays as written); one `rigging._native.place_parts` call checks the nesting,
  applies all replacements in one splice and moves every other part. List content is not
  rewritten (parts index the joined text).
- Stripping: one `rigging._native.strip_spans` call removes the parts and remaps the others.
  For list content the newlines joining the text parts are tracked as spans too, so the text
  is split back into its parts; a removed element that crossed two text parts is an error.
"""

from __future__ import annotations

import typing as t

from rigging import _native
from rigging._message.content import ContentText, ParsedMessagePart
from rigging._model.base import Model
from rigging._model.crossing import crossing_error as _crossing_error
from rigging._model.entries import render_plan
from rigging._model.extract import Found
from rigging._model.fast import construct, shared_fields_set
from rigging.error import XmlContentError

if t.TYPE_CHECKING:
    from rigging._message.message import Message

__all__ = [
    "add_parts",
    "assign",
    "crossing_error",
    "make_part",
    "part_at",
    "part_maker",
    "render_plan",
    "strip_parts",
    "without_crossing",
]


def make_part(model: Model, where: slice) -> ParsedMessagePart:
    """A part from a validated model and a slice, without re-validation.

    Args:
        model: The parsed model.
        where: Its slice.

    Returns:
        The part (equal to ``ParsedMessagePart(model=model, slice_=where)``).
    """
    return construct(ParsedMessagePart, {"model": model, "slice_": where})


_part_maker: _native.PartMaker[ParsedMessagePart] | None = None


def part_maker() -> _native.PartMaker[ParsedMessagePart]:
    """The native maker of `ParsedMessagePart` objects (`rigging._native.PartMaker`)."""
    global _part_maker
    if _part_maker is None:
        spec = (ParsedMessagePart, "model", "slice_", shared_fields_set(ParsedMessagePart))
        _part_maker = _native.PartMaker(spec)
    return _part_maker


def part_at(model: Model, start: int, stop: int) -> ParsedMessagePart:
    """`make_part` of ``slice(start, stop)``, built natively (`rigging._native.PartMaker`)."""
    return (_part_maker or part_maker())(model, start, stop)


def assign(message: Message, name: str, value: t.Any) -> None:
    """Set a field of ``message`` as ``setattr`` would, without pydantic's dispatch.

    Falls back to ``setattr`` when the class validates assignments.
    """
    if type(message).model_config.get("validate_assignment"):
        setattr(message, name, value)
        return
    message.__dict__[name] = value
    message.__pydantic_fields_set__.add(name)


def _same_text(text: str, start: int, stop: int, pretty: str) -> bool:
    """``text[start:stop] == pretty`` without slicing."""
    return stop - start == len(pretty) and text.startswith(pretty, start)


def _add_one(message: Message, item: Found[Model]) -> None:
    """`add_parts` for the common case: one new part in a message without parts."""
    model, where = item.model, item.slice
    text = message.all_content
    if isinstance(text, str):
        start, stop = where.start, where.stop
        pretty = model.to_pretty_xml()
        if not _same_text(text, start, stop, pretty) and not _native.crossed_element(
            text, start, stop
        ):
            pretty = model._rg_content_xml(pretty, text[start:stop])
            assign(message, "all_content", text[:start] + pretty + text[stop:])
            where = slice(start, start + len(pretty))
    assign(message, "parts", [part_at(model, where.start, where.stop)])


def add_parts(message: Message, found: t.Sequence[Found[Model]]) -> None:
    """Record parsed models as parts of ``message`` and normalise their text.

    The span work (skipping models already recorded, nesting check, pretty XML of the new
    standalone parts, one splice, the final order) is one `rigging._native.place_parts` call.

    Args:
        message: The message whose content was parsed.
        found: The parse results (slices into ``message.content``).

    Raises:
        XmlContentError: A new element crosses a recorded one or another new one (a
            `ValueError`; the message names both elements, their models and positions).
    """
    if not found:
        return
    old = message.parts
    if len(found) == 1 and not old:
        _add_one(message, found[0])
        return
    text = message.all_content
    found = found if isinstance(found, list) else list(found)
    try:
        new_text, parts = _native.place_parts(
            text if isinstance(text, str) else None,
            [part.model for part in old],
            [(part.slice_.start, part.slice_.stop) for part in old],
            found,
            (ParsedMessagePart, "model", "slice_", shared_fields_set(ParsedMessagePart)),
            render_plan,
        )
    except ValueError:
        error = crossing_error(message.content, old, found)
        if error is None:
            raise
        raise error from None
    if parts is None:  # every model was recorded already
        return
    if new_text is not None:
        assign(message, "all_content", new_text)
    assign(message, "parts", parts)


def without_crossing(message: Message, found: list[Found[Model]]) -> list[Found[Model]]:
    """``found`` without the results crossing a recorded part or an earlier result.

    Malformed output (``<a>x <b>y</a></b>``) does not make a ``try_`` parse raise; the strict
    forms raise `add_parts`'s `XmlContentError` for it.
    """
    recorded = [(part.slice_.start, part.slice_.stop) for part in message.parts]
    crossing = _native.crossing_found(recorded, found)
    if not crossing:
        return found
    left_out = set(crossing)
    return [item for index, item in enumerate(found) if index not in left_out]


def crossing_error(
    text: str, old: t.Sequence[ParsedMessagePart], found: list[Found[Model]]
) -> XmlContentError | None:
    """The error for a result of ``found`` crossing a recorded part or another result.

    None when nothing crosses (the caller's error is then another one). Built only once a
    splice has failed: well-formed content pays nothing for it.
    """
    recorded = [(part.model, part.slice_.start, part.slice_.stop) for part in old]
    return _crossing_error(text, recorded, found)


def strip_parts(message: Message, model_type: type[Model]) -> list[ParsedMessagePart]:
    """Remove the parts of ``model_type`` (and parts inside them) from ``message``.

    Args:
        message: The message.
        model_type: The model class to remove.

    Returns:
        The removed parts.

    Raises:
        NotImplementedError: A removed element spans two text parts of list content.
    """
    removed = [p for p in message.parts if isinstance(p.model, model_type)]
    if not removed:
        return []
    kept = [p for p in message.parts if not isinstance(p.model, model_type)]
    cuts = [(p.slice_.start, p.slice_.stop) for p in removed]
    spans = [(p.slice_.start, p.slice_.stop) for p in kept]
    content = message.all_content
    texts: list[ContentText] = []
    if not isinstance(content, str):
        texts = [item for item in content if isinstance(item, ContentText)]
        position = 0
        for item in texts[:-1]:
            position += len(item.text)
            spans.append((position, position + 1))
            position += 1
    new_text, remapped = _native.strip_spans(message.content, cuts, spans)
    survivors: list[ParsedMessagePart] = []
    for part, span in zip(kept, remapped, strict=False):
        if span is None or span[0] == span[1]:  # inside, or the same element as, a removed part
            removed.append(part)
        elif span[1] - span[0] != part.slice_.stop - part.slice_.start:
            # It held a removed part: its element no longer reads as its model, so it is no
            # longer recorded (its text stays; parse again to record what it holds now).
            continue
        else:
            survivors.append(make_part(part.model, slice(*span)))
    if isinstance(content, str):
        message.all_content = new_text
    else:
        _split_back(message, texts, new_text, remapped[len(kept) :])
    message.parts = survivors
    return removed


def _split_back(
    message: Message,
    texts: list[ContentText],
    new_text: str,
    separators: list[tuple[int, int] | None],
) -> None:
    """Write a stripped joined text back into the text parts of list content."""
    if any(sep is None for sep in separators):
        raise NotImplementedError(
            "cannot strip an element that spans two text parts of the message"
        )
    bounds = [0] + [sep[1] for sep in separators if sep is not None]
    ends = [sep[0] for sep in separators if sep is not None] + [len(new_text)]
    replacement = {
        id(item): ContentText(text=new_text[start:end])
        for item, start, end in zip(texts, bounds, ends, strict=False)
    }
    assert not isinstance(message.all_content, str)
    message.all_content = [replacement.get(id(item), item) for item in message.all_content]
