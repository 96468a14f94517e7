"""The example of a class whose shape has no codec plan, written from its fields' metadata.

A class whose shape the plan cannot express (namespaces, custom XML hooks, root models,
mapping, tuple or raw fields) is shown from its fields' pydantic-xml metadata
(`fallback_example`).
"""

from __future__ import annotations

import collections.abc
import types
import typing as t
import xml.etree.ElementTree as ET

from pydantic_xml import BaseXmlModel
from pydantic_xml.fields import extract_field_xml_entity_info
from pydantic_xml.typedefs import EntityLocation

from rigging._model.plan import _SEQUENCES, EXAMPLE_MODELS, _label

__all__ = ["fallback_example"]

_MAPPINGS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)


def _items(annotation: t.Any) -> tuple[list[t.Any], bool]:
    """The annotations of the values one field holds, and whether it is a collection.

    ``Optional`` and ``Annotated`` are looked through; a list (set, variadic tuple...) holds
    two items of its item type, a fixed tuple one item per member, anything else itself.
    """
    origin = t.get_origin(annotation)
    args = t.get_args(annotation)
    if origin is t.Annotated:
        return _items(args[0])
    if origin in (t.Union, types.UnionType):
        kept = [arg for arg in args if arg is not type(None)]
        if len(kept) == 1:
            return _items(kept[0])
    if origin in _SEQUENCES and args:
        return [args[0], args[0]], True
    if origin is tuple and args:
        if len(args) == 2 and args[1] is Ellipsis:
            return [args[0], args[0]], True
        return list(args), True
    return [annotation], False


def _model_of(annotation: t.Any) -> type[BaseXmlModel] | None:
    """The XML model an annotation holds: itself, or the first model of a union."""
    if isinstance(annotation, type) and issubclass(annotation, BaseXmlModel):
        return annotation
    if t.get_origin(annotation) in (t.Union, types.UnionType, t.Annotated):
        for arg in t.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def fallback_example(cls: type[BaseXmlModel], tag: str) -> str:
    """The example of a class whose shape has no plan, from its fields' pydantic-xml metadata.

    For namespaces, custom XML hooks, root models and mapping, tuple or raw fields (what the
    shape-only compiler cannot express): attributes as attributes, elements and wrapped
    elements as children, a mapping as a placeholder attribute (``key="str"``) of its element
    (or of the model's own element), a list as two items and a tuple as one item per member,
    nested models expanded (a model nested in itself one level deep, a union of models as
    its first choice), each value its field's description or type. Namespaces are left out.

    Args:
        cls: A pydantic-xml model class.
        tag: Its tag.

    Returns:
        The pretty XML; a class without fields gives a self-closing ``<tag/>``.
    """
    root = ET.Element(tag)
    _fill_example(root, cls, (cls,), [EXAMPLE_MODELS])
    if not len(root) and not root.attrib and root.text is None:
        return f"<{tag}/>"
    ET.indent(root, "  ")
    return ET.tostring(root, encoding="unicode", short_empty_elements=False)


def _fill_example(
    element: ET.Element, cls: type[BaseXmlModel], seen: tuple[type, ...], budget: list[int]
) -> None:
    for name, info in cls.model_fields.items():
        entity = extract_field_xml_entity_info(info)
        location = entity.location if entity is not None else None
        path = entity.path if entity is not None else None
        at = element
        if entity is not None and location is EntityLocation.WRAPPED:
            for part in (path or name).split("/"):
                at = ET.SubElement(at, part)
            inner = entity.wrapped
            location = inner.location if inner is not None else None
            path = inner.path if inner is not None else None
        own = path or info.alias or name
        placeholder = info.description or _label(info.annotation)
        items, many = _items(info.annotation)
        if location is EntityLocation.ATTRIBUTE:
            at.set(own, placeholder)
        elif t.get_origin(items[0]) in _MAPPINGS:
            values = t.get_args(items[0])[1:]
            target = at if location is None else ET.SubElement(at, own)
            target.set("key", info.description or (_label(values[0]) if values else "str"))
        elif (nested := _model_of(items[0])) is not None:
            if seen.count(nested) > 1:
                continue
            child_tag = path or getattr(nested, "__xml_tag__", None) or own
            for item in items:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
                chosen = _model_of(item) or nested
                _fill_example(ET.SubElement(at, child_tag), chosen, (*seen, chosen), budget)
        elif location is EntityLocation.ELEMENT or many:
            for item in items:
                ET.SubElement(at, own).text = info.description or _label(item)
        else:
            at.text = placeholder
