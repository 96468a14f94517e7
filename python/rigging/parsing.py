"""Parse models out of text: ``parse``, ``parse_set``, ``parse_many`` and their ``try_`` forms.

Every function returns ``(model, slice)`` pairs, ``text[slice]`` being the model's element.
Elements are found by the native scanner in linear time (see `rigging.model.Model.from_text`).

Choices against 2.3 (also in ``docs/design/decisions-messages.md``):

- A *hollow* element (nothing but whitespace inside, e.g. an echoed ``<answer></answer>``
  example) is only used when no filled element of the same model exists: `parse` returns the
  first filled element, and the set functions leave hollow ones out when filled ones exist.
- ``fail_on_missing=False`` swallows only parse failures (`MissingModelError`, pydantic
  ``ValidationError``, `ValidatorRaisedError`, `XmlContentError`), not unrelated bugs.
- An element whose validation raised an error pydantic did not report as a validation error
  (a validator's `TypeError`, pydantic-core's own error for a validator error whose
  ``__str__`` fails) is an invalid element: skipped when another is valid, left out by the
  ``try_`` forms, raised by the strict ones as a `ValidatorRaisedError` naming the class and
  the original error's type. An interrupt (a ``BaseException`` alone) propagates.
- Results that cross (``<a>x <b>y</a></b>``: each element starts inside the other and ends
  outside it) follow `Message`'s rule: the strict forms raise an `XmlContentError` naming
  both, the ``try_`` forms leave out the one that starts later (2.3 returned both).
"""

from __future__ import annotations

from pydantic import ValidationError

from rigging import _native
from rigging._exports import public_dir as _public_dir
from rigging._model.base import Model, ModelT
from rigging._model.crossing import uncrossed
from rigging._model.extract import (
    Extracted,
    Found,
    extract,
    extract_many,
    first_filled,
    prefer_filled,
)
from rigging.error import MissingModelError, ValidatorRaisedError, XmlContentError

__all__ = ["parse", "parse_many", "parse_set", "try_parse", "try_parse_many", "try_parse_set"]

_PARSE_ERRORS = (MissingModelError, ValidationError, ValidatorRaisedError, XmlContentError)


def found_many(
    text: str,
    *types: type[Model],
    fail_on_missing: bool,
    done: Extracted | None = None,
    spans: list[tuple[_native.Span, bool]] | None = None,
) -> list[Found[Model]]:
    """Results of several model types, hollow ones dropped per type when filled ones exist.

    Args:
        text: The text to search.
        *types: The model classes.
        fail_on_missing: Raise the first failure instead of skipping that type.
        done: With one type, its `rigging._model.extract.extract_planned` answer when
            already computed.
        spans: With one type without a plan, its candidates in ``text`` when already found.

    Returns:
        The results of all types, stably sorted by position.
    """
    if len(types) == 1:  # one type: extract's results are already in document order
        try:
            return prefer_filled(extract(types[0], text, spans, done))
        except _PARSE_ERRORS:
            if fail_on_missing:
                raise
            return []
    per_type: list[list[Found[Model]]] = []
    each = extract_many(text, types)
    for index, model_type in enumerate(types):
        try:
            if each is None:
                found = extract(model_type, text)
            else:
                given = each[index]
                if isinstance(given, Exception):
                    raise given  # the errors of the types before it were raised first
                if isinstance(given, tuple):
                    found = extract(model_type, text, done=given)
                else:
                    found = extract(model_type, text, spans=given)
            per_type.append(found)
        except _PARSE_ERRORS:
            if fail_on_missing:
                raise
    # `prefer_filled` per type, then a stable sort by start, natively.
    return _native.merge_filled(per_type)


def found_first(text: str, model_type: type[ModelT], *, required: bool) -> Found[ModelT] | None:
    """The first filled result of one model type (the first hollow one if none is filled).

    Args:
        text: The text to search.
        model_type: The model class.
        required: Raise the parse failure instead of returning None.

    Returns:
        The result, or None when nothing valid was found and ``required`` is False.
    """
    try:
        return first_filled(extract(model_type, text))
    except _PARSE_ERRORS:
        if required:
            raise
        return None


def parse(text: str, model_type: type[ModelT]) -> tuple[ModelT, slice]:
    """Parse the first (filled) instance of a model from text.

    Args:
        text: The text to search.
        model_type: The model class.

    Returns:
        The model and its slice.

    Raises:
        MissingModelError: The model's tag is not in the text.
        pydantic.ValidationError: Tags were found but none holds a valid model.
        ValidatorRaisedError: As above, when validating the longest element raised an
            error pydantic did not report as a validation error (its ``__cause__``).
        XmlContentError: Tags were found but none holds readable XML.
    """
    found = found_first(text, model_type, required=True)
    assert found is not None
    return found.model, found.slice


def try_parse(text: str, model_type: type[ModelT]) -> tuple[ModelT, slice] | None:
    """Like `parse`, but return None instead of raising when nothing valid is found.

    Args:
        text: The text to search.
        model_type: The model class.

    Returns:
        The model and its slice, or None.
    """
    found = found_first(text, model_type, required=False)
    return None if found is None else (found.model, found.slice)


def parse_set(
    text: str, model_type: type[ModelT], *, minimum: int | None = None
) -> list[tuple[ModelT, slice]]:
    """Parse every instance of one model from text.

    Args:
        text: The text to search.
        model_type: The model class.
        minimum: Raise if fewer instances are found.

    Returns:
        The models and slices in document order.

    Raises:
        MissingModelError: The tag is missing, or fewer than ``minimum`` models were found.
        pydantic.ValidationError: Tags were found but none holds a valid model.
        ValidatorRaisedError: As above, when validating the longest element raised an
            error pydantic did not report as a validation error (its ``__cause__``).
        XmlContentError: Tags were found but none holds readable XML, or two found elements
            cross (each starts inside the other and ends outside it).
    """
    return try_parse_set(text, model_type, minimum=minimum, fail_on_missing=True)


def try_parse_set(
    text: str,
    model_type: type[ModelT],
    *,
    minimum: int | None = None,
    fail_on_missing: bool = False,
) -> list[tuple[ModelT, slice]]:
    """Parse every instance of one model, returning an empty list when none is found.

    Args:
        text: The text to search.
        model_type: The model class.
        minimum: Raise if fewer instances are found (also when ``fail_on_missing`` is False).
        fail_on_missing: Raise parse failures instead of returning an empty list.

    Returns:
        The models and slices in document order; of two crossing elements, the one that
        starts first (the other is left out, as by `Message.try_parse_set`).

    Raises:
        MissingModelError: Fewer than ``minimum`` models were found.
        XmlContentError: With ``fail_on_missing``, two found elements cross.
    """
    results = found_many(text, model_type, fail_on_missing=fail_on_missing)
    if len(results) > 1:
        results = uncrossed(text, results, strict=fail_on_missing)
    if minimum is not None and len(results) < minimum:
        raise MissingModelError(
            f"Expected at least {minimum} {model_type.__name__} in message, found {len(results)}"
        )
    return [(found.model, found.slice) for found in results]  # type: ignore[misc]


def parse_many(text: str, *types: type[Model]) -> list[tuple[Model, slice]]:
    """Parse every instance of several models; each must be present.

    Args:
        text: The text to search.
        *types: The model classes.

    Returns:
        The models and slices of all types in document order.

    Raises:
        MissingModelError: A type's tag is missing.
        pydantic.ValidationError: A type's tags were found but none is valid.
        ValidatorRaisedError: As above, when validating the longest element raised an
            error pydantic did not report as a validation error (its ``__cause__``).
        XmlContentError: A type's tags were found but none holds readable XML, or two found
            elements cross (each starts inside the other and ends outside it).
    """
    return try_parse_many(text, *types, fail_on_missing=True)


def try_parse_many(
    text: str, *types: type[Model], fail_on_missing: bool = False
) -> list[tuple[Model, slice]]:
    """Parse every instance of several models, skipping the types that are not found.

    Args:
        text: The text to search.
        *types: The model classes.
        fail_on_missing: Raise the first failure instead of skipping that type.

    Returns:
        The models and slices of all types in document order; of two crossing elements,
        the one that starts first (the other is left out, as by `Message.try_parse_many`).

    Raises:
        XmlContentError: With ``fail_on_missing``, two found elements cross (after every
            type's own failures).
    """
    results = found_many(text, *types, fail_on_missing=fail_on_missing)
    if len(results) > 1:
        results = uncrossed(text, results, strict=fail_on_missing)
    return [(found.model, found.slice) for found in results]


__dir__ = _public_dir(globals())
