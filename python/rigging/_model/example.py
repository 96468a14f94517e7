"""The example XML of a planned class, written from its plan with placeholder values."""

from __future__ import annotations

import enum
import types
import typing as t

from rigging._model.field_types import _SEQUENCES, rendering

if t.TYPE_CHECKING:
    from rigging._model.plan import Codec

__all__ = ["EXAMPLE_MODELS", "example_of"]


def _label(annotation: t.Any) -> str:
    """The placeholder of a field without description: its type, or its choices."""
    origin = t.get_origin(annotation)
    if origin is t.Union or type(annotation) is types.UnionType:
        members = [arg for arg in t.get_args(annotation) if arg is not type(None)]
        return "|".join(_label(arg) for arg in members)
    if origin is t.Literal:  # as the renderer writes them (`true`, not `True`)
        return "|".join(rendering(arg) for arg in t.get_args(annotation) if arg is not None)
    if origin in _SEQUENCES:
        items = t.get_args(annotation)
        return _label(items[0]) if items else "str"
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "|".join(str(member.value) for member in annotation)
    return str(getattr(annotation, "__name__", annotation))


EXAMPLE_MODELS = 64
"""The most nested models one example shows. Models that nest in each other (a ``Task`` with
lists of ``Step``s that hold ``Task``s, and so on) multiply at every level: without a bound,
five such classes made a 650 MB example. Past it, nested models are left out."""


def _example_value(
    codec: Codec, model: int, seen: tuple[int, ...], budget: list[int]
) -> dict[str, t.Any]:
    """Placeholder values of one model (a model nested in itself is shown one level deep).

    ``budget`` holds how many more nested models the example may show.
    """
    cls, _, specs = codec.models[model]
    infos = cls.model_fields
    values: dict[str, t.Any] = {}
    for _, name, _, kind, _, item, many in specs:
        info = infos[name]
        if item >= 0:
            if seen.count(item) > 1:
                continue
            copies = []
            for _ in range(2 if many else 1):
                if budget[0] <= 0:
                    break
                budget[0] -= 1
                copies.append(_example_value(codec, item, (*seen, item), budget))
            if copies:
                values[name] = copies if many else copies[0]
            continue
        placeholder = info.description or _label(info.annotation)
        values[name] = [placeholder, placeholder] if many and kind == "element" else placeholder
    return values


def example_of(codec: Codec) -> str:
    """The example XML of a planned class.

    Attributes are attributes, nested models are expanded, lists show two items, and each
    value is its field's description or type.

    Args:
        codec: The class's plan.

    Returns:
        The pretty XML; a class without fields gives a self-closing ``<tag/>``.
    """
    _, tag, specs = codec.models[0]
    if not specs:
        return f"<{tag}/>"
    return codec.native.render(_example_value(codec, 0, (0,), [EXAMPLE_MODELS]))
