"""The crossing rule of parse results: of two elements that cross, the one found later goes.

Two found elements cross when each starts inside the other and ends outside it
(``<a>x <b>y</a></b>``). Of results that cross each other (or a recorded part of a message),
the ``try_`` forms keep the one that starts first and leave the other out; the strict forms
raise the `XmlContentError` of `crossing_error`, naming both. Used by `Message` parsing
(`rigging._message.parts`) and the module-level functions of `rigging.parsing`
(``docs/design/decisions-codec.md``, "Crossing elements").
"""

from __future__ import annotations

import re
import typing as t

from rigging import _native
from rigging._model.base import Model, class_info
from rigging._model.extract import Found
from rigging.error import XmlContentError
from rigging.util import truncate_string

__all__ = ["crossing_error", "uncrossed"]

#: Characters of a crossing element quoted in its error (as `rigging._model.extract`'s).
_SNIPPET = 80

_TAG_NAME = re.compile(r"<([^\s/>]+)")

#: The wording of the error for a message's parse, then for the module-level functions.
_IN_MESSAGE = ("content", "parts of the message")
_IN_TEXT = ("text", "results of one parse")


def _tag_at(text: str, model: Model, start: int, stop: int) -> str:
    """The tag name written at ``text[start]`` (the model's own tag when none reads there)."""
    written = _TAG_NAME.match(text, start, min(stop, start + 200))
    return written.group(1) if written else class_info(type(model)).tag


def crossing_error(
    text: str,
    recorded: t.Sequence[tuple[Model, int, int]],
    found: list[Found[Model]],
    *,
    message: bool = True,
) -> XmlContentError | None:
    """The error for a result of ``found`` crossing a recorded part or another result.

    Args:
        text: The text the results index (a message's content).
        recorded: A message's parts as (model, start, stop); none for a module-level parse.
        found: The results, in document order.
        message: Word the error for a message's parts (else for a parse of ``text``).

    Returns:
        The error naming the first crossing result and the element it crosses; None when
        nothing crosses (the caller's error is then another one).
    """
    dropped = _native.crossing_found([(left, right) for _, left, right in recorded], found)
    if not dropped:
        return None
    item = found[dropped[0]]
    start, stop = item.slice.start, item.slice.stop
    left_out = set(dropped)
    others = list(recorded) + [
        (other.model, other.slice.start, other.slice.stop)
        for index, other in enumerate(found)
        if index not in left_out
    ]
    crossed = next(
        (
            (model, left, right)
            for model, left, right in others
            if left < start < right < stop or start < left < stop < right
        ),
        None,
    )
    if crossed is None:  # (`crossing_found` left it out for crossing one of them)
        return None
    model, left, right = crossed
    tag, other_tag = _tag_at(text, item.model, start, stop), _tag_at(text, model, left, right)
    where, both = _IN_MESSAGE if message else _IN_TEXT
    return XmlContentError(
        f"<{tag}> ({type(item.model).__name__}) at {start}..{stop} crosses <{other_tag}> "
        f"({type(model).__name__}) at {left}..{right} (code points of the {where}): each "
        f"starts inside the other and ends outside it, so they cannot both be {both} "
        "(the try_ forms leave the crossing element out)",
        tag=tag,
        position=start,
        snippet=truncate_string(text[start:stop], _SNIPPET),
    )


def uncrossed(text: str, found: list[Found[Model]], *, strict: bool) -> list[Found[Model]]:
    """``found`` (results of a parse of ``text``, in document order) without crossing ones.

    Each result crossing an earlier kept one is left out (`_native.crossing_found`), or,
    when ``strict``, `crossing_error` is raised for the first. Callers skip it for fewer than
    two results (nothing can cross).

    Raises:
        XmlContentError: ``strict`` and a result crosses another.
    """
    crossing = _native.crossing_found([], found)
    if not crossing:
        return found
    if strict:
        error = crossing_error(text, (), found, message=False)
        if error is not None:
            raise error
    left_out = set(crossing)
    return [item for index, item in enumerate(found) if index not in left_out]
