"""Parsing one model type from text content that holds one element, without the general path.

`Message.try_parse_many` (and so `parse`, `try_parse` and the ``*_set`` methods) tries this
first when given one type: it gives what `rigging.parsing.found_many` + `add_parts` give in
that case, without their general bookkeeping, and otherwise hands what it scanned on to them.
"""

from __future__ import annotations

import typing as t

from rigging import _native
from rigging._message.parts import part_at, part_maker, render_plan
from rigging._model.base import ModelT, class_info
from rigging._model.entries import alone_args
from rigging._model.extract import Extracted, build

if t.TYPE_CHECKING:
    from rigging._message.message import Message

__all__ = ["Alone", "parse_alone"]


#: `parse_alone`'s answer: the model, or None with what it found for the general path to
#: take instead of scanning again: the native extraction of a planned class, or the
#: candidates of another (both None when it did not scan).
Alone = tuple["ModelT | None", "Extracted | None", "list[tuple[_native.Span, bool]] | None"]


def parse_alone(message: Message, cls: type[ModelT]) -> Alone[ModelT]:
    """Parse one model type when the content is text without parts holding one element.

    Gives what `found_many` + `add_parts` give in that case (the model, recorded as the only
    part, its element normalised to the pretty XML unless another element crosses it),
    without their general bookkeeping.
    Anything else (list content, existing parts, no or several elements, a failure) gives no
    model, and the general path then does the work and raises its own errors. The caller
    leaves out messages whose class validates assignments (this writes fields directly).

    Args:
        message: The message to parse and record the part in.
        cls: The model class.

    Returns:
        The model, or None with the native extraction or the candidates found (or neither).
    """
    values = message.__dict__
    text = values.get("all_content")
    if type(text) is not str or values.get("parts"):
        return None, None, None
    info = class_info(cls)
    if not info.ready or info.tags is None:
        return None, None, None
    args = alone_args(cls, info)
    if args is not None:
        got = _native.parse_alone(text, info.tags, args[0], args[1], args[2], part_maker())
        if got is not None:
            if len(got) == 3:  # not exactly one valid element: the general path's `done`
                return None, got, None
            part, new_text = got
            fields_set = message.__pydantic_fields_set__
            if new_text is not None:
                values["all_content"] = new_text
                fields_set.add("all_content")
            values["parts"] = [part]
            fields_set.add("parts")
            return t.cast("ModelT", part.model), None, None
    spans = _native.candidates(text, info.tags)[0]
    if len(spans) != 1:
        return None, None, spans
    span = spans[0][0]
    try:
        model = build(cls, info, text, span)
    except Exception:  # the general path reports it (a validator's error included)
        return None, None, spans
    start, stop = span.start, span.end
    plan = render_plan(cls)
    try:
        pretty = None if plan is None else plan.render_model(model)
    except UnicodeEncodeError:  # lone surrogates: `to_pretty_xml` renders them its way
        pretty = None
    if pretty is None:
        pretty = model.to_pretty_xml()
    fields_set = message.__pydantic_fields_set__
    if (
        stop - start != len(pretty) or not text.startswith(pretty, start)
    ) and not _native.crossed_element(text, start, stop):  # (crossed: kept as written)
        pretty = model._rg_content_xml(pretty, text[start:stop])
        values["all_content"] = text[:start] + pretty + text[stop:]
        fields_set.add("all_content")
        stop = start + len(pretty)
    values["parts"] = [part_at(model, start, stop)]
    fields_set.add("parts")
    return model, None, None
