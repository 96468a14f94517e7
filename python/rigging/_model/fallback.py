"""Classes without a codec plan: their example, and the namespaces their XML is written with.

A class whose shape the plan cannot express (namespaces, custom XML hooks, root models,
mapping, tuple or raw fields) is shown from its fields' pydantic-xml metadata
(`fallback_example`). Names pydantic-xml resolves into a namespace (a class's ``ns``/``nsmap``,
a field's ``ns``, a nested namespaced model) are taken from its compiled serializers and
written by ElementTree, as pydantic-xml's own rendering is: with the prefix ElementTree gives
the namespace (the one registered for it, else ``ns0``, ``ns1``...) and the declarations on
the model's element. `Namespaces` holds what searching for and reading such a class needs:
the name its element is written with, its start tag, and the declarations supplied to an
element that leaves them out. Rules: ``docs/design/decisions-codec.md`` (Namespaces).
"""

from __future__ import annotations

import collections.abc
import re
import types
import typing as t
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from pydantic_xml import BaseXmlModel
from pydantic_xml.fields import extract_field_xml_entity_info
from pydantic_xml.typedefs import EntityLocation

from rigging._model.example import EXAMPLE_MODELS, _label
from rigging._model.field_types import _SEQUENCES
from rigging._model.prefixed import serializer_names

__all__ = [
    "Namespaces",
    "fallback_example",
    "namespaces_of",
    "supply_declarations",
]

_MAPPINGS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)

#: ElementTree's registry of namespace prefixes (``uri -> prefix``), which pydantic-xml fills
#: from each class's ``nsmap`` and ElementTree writes names with (None if it ever goes away).
_REGISTRY: dict[str, str] | None = getattr(ET, "_namespace_map", None)


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


def _inner(serializer: object) -> object | None:
    """The serializer one layer below ``serializer`` (a union's first choice), or None."""
    inner: object | None = getattr(serializer, "_inner_serializer", None)
    if inner is not None:
        return inner
    inners = getattr(serializer, "_inner_serializers", None)
    if isinstance(inners, dict):
        inners = list(inners.values())
    if isinstance(inners, list | tuple) and inners:
        first: object = inners[0]
        return first
    return None


def _qualified(cls: type[BaseXmlModel], field: str) -> tuple[tuple[str, ...], str | None]:
    """The wrapper path and name pydantic-xml resolved for a field, when namespaced.

    Names are ``{uri}local`` where pydantic-xml put them in a namespace. ``((), None)`` when
    no name of the field is namespaced (the field's metadata then names it) or the
    serializer does not name it (text, a mapping of the model's own attributes).
    """
    serializers = getattr(cls.__xml_serializer__, "_field_serializers", None) or {}
    serializer: object | None = serializers.get(field)
    path: tuple[str, ...] = ()
    while serializer is not None:
        path += tuple(getattr(serializer, "_path", ()))
        name = getattr(serializer, "_attr_name", None) or getattr(serializer, "_element_name", None)
        if isinstance(name, str):
            return (path, name) if any(n[:1] == "{" for n in (*path, name)) else ((), None)
        serializer = _inner(serializer)
    return (path, None) if any(n[:1] == "{" for n in path) else ((), None)


def _namespaced(cls: type[BaseXmlModel]) -> bool:
    """Whether pydantic-xml writes a name of ``cls`` or a model nested in it in a namespace."""
    return any(name[:1] == "{" for *_, name in serializer_names(cls))


def _tree(cls: type[BaseXmlModel], tag: str) -> ET.Element:
    """The example as an ElementTree element, names namespaced as pydantic-xml names them."""
    name = getattr(cls.__xml_serializer__, "_element_name", None)
    root = ET.Element(name if isinstance(name, str) and name[:1] == "{" else tag)
    _fill_example(root, cls, (cls,), [EXAMPLE_MODELS])
    return root


def _written(root: ET.Element, tag: str) -> str:
    """``root`` written as `Model.pydantic_xml_pretty` writes a model's tree."""
    if not len(root) and not root.attrib and root.text is None:
        if root.tag[:1] != "{":
            return f"<{tag}/>"
        return ET.tostring(root, encoding="unicode").removesuffix(" />") + "/>"
    ET.indent(root, "  ")
    return ET.tostring(root, encoding="unicode", short_empty_elements=False)


def fallback_example(cls: type[BaseXmlModel], tag: str) -> str:
    """The example of a class whose shape has no plan, from its fields' pydantic-xml metadata.

    For namespaces, custom XML hooks, root models and mapping, tuple or raw fields (what the
    shape-only compiler cannot express): attributes as attributes, elements and wrapped
    elements as children, a mapping as a placeholder attribute (``key="str"``) of its element
    (or of the model's own element), a list as two items and a tuple as one item per member,
    nested models expanded (a model nested in itself one level deep, a union of models as
    its first choice), each value its field's description or type. Namespaced names are
    written as the class's own XML writes them (prefixes, declarations on its element).

    Args:
        cls: A pydantic-xml model class.
        tag: Its tag.

    Returns:
        The pretty XML; a class without fields gives a self-closing ``<tag/>``.
    """
    return _written(_tree(cls, tag), tag)


def _fill_example(
    element: ET.Element, cls: type[BaseXmlModel], seen: tuple[type, ...], budget: list[int]
) -> None:
    for name, info in cls.model_fields.items():
        entity = extract_field_xml_entity_info(info)
        location = entity.location if entity is not None else None
        path = entity.path if entity is not None else None
        wrappers, qualified = _qualified(cls, name)
        at = element
        if entity is not None and location is EntityLocation.WRAPPED:
            for part in wrappers or (path or name).split("/"):
                at = ET.SubElement(at, part)
            inner = entity.wrapped
            location = inner.location if inner is not None else None
            path = inner.path if inner is not None else None
        own = qualified or path or info.alias or name
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
            child_tag = qualified or path or getattr(nested, "__xml_tag__", None) or own
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


# ElementTree writes a declaration `xmlns:p="uri"` with `&`, `<`, `>`, `"` and line ends escaped.
_DECLARATION = re.compile(r' xmlns:([^\s=]+)="([^"]*)"')
_ESCAPES = {
    "&amp;": "&",
    "&lt;": "<",
    "&gt;": ">",
    "&quot;": '"',
    "&#10;": "\n",
    "&#13;": "\r",
    "&#09;": "\t",
}
_ESCAPED = re.compile("|".join(map(re.escape, _ESCAPES)))


def _attribute_value(value: str) -> str:
    """``value`` escaped for a double-quoted attribute, as ElementTree writes it."""
    for raw, written in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        value = value.replace(raw, written)
    return value.replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#09;")


@dataclass(frozen=True, slots=True)
class Namespaces:
    """How a class whose XML has namespaced names is written, searched for and read."""

    tag: str
    """The name its element is written with (``x:item``); the name searched for."""
    start_tag: str
    """Its start tag with the declarations its XML carries (``<x:item xmlns:x="urn:x">``)."""
    example: str
    """Its example, written as its XML is (`fallback_example`)."""
    declarations: tuple[tuple[str, str], ...]
    """``(prefix, uri)`` declared for an element that does not declare the prefix: those its
    XML declares, then its own ``nsmap``'s other prefixes (``""``: the default namespace)."""
    registered: tuple[tuple[str, str | None], ...]
    """The registered prefix of each declared namespace when these facts were read."""
    nests: bool
    """Its element holds elements of its own name (a tree of nodes)."""

    def current(self) -> bool:
        """Whether ElementTree still writes the namespaces with the prefixes read."""
        registry = _REGISTRY
        return registry is None or all(registry.get(uri) == p for uri, p in self.registered)


def namespaces_of(cls: type[BaseXmlModel], tag: str) -> Namespaces | None:
    """The `Namespaces` of a class, or None when pydantic-xml namespaces none of its names.

    Read from its example: the example is the class's tree as pydantic-xml builds it, written
    by ElementTree, so its element's name and declarations are those the class's own XML has.

    Args:
        cls: A pydantic-xml model class (its serializer built).
        tag: Its tag.
    """
    if not _namespaced(cls):
        return None
    root = _tree(cls, tag)
    nests = any(element.tag == root.tag for element in root.iter() if element is not root)
    example = _written(root, tag)
    head = example[: example.index(">") + 1]  # `>` in attribute values is written `&gt;`
    name = head[1:].split(" ", 1)[0].removesuffix("/>").removesuffix(">")
    written = _DECLARATION.findall(head)
    declared = [(prefix, _ESCAPED.sub(_unescape, uri)) for prefix, uri in written]
    own = [(prefix, uri) for prefix, uri in (cls.__xml_nsmap__ or {}).items()]
    known = {prefix for prefix, _ in declared}
    return Namespaces(
        tag=name,
        start_tag=f"<{name}" + "".join(f' xmlns:{p}="{u}"' for p, u in written) + ">",
        example=example,
        declarations=(*declared, *((p, u) for p, u in own if p not in known)),
        registered=tuple((uri, (_REGISTRY or {}).get(uri)) for _, uri in declared),
        nests=nests,
    )


def _unescape(match: re.Match[str]) -> str:
    return _ESCAPES[match[0]]


_NAME = re.compile(r"<[^\s/>]+")
# One attribute of a start tag: its name, then a quoted, bare or no value.
_ATTRIBUTE = re.compile(r"""\s*([^\s=/>"']+)(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]*))?""")


def supply_declarations(element: str, declarations: t.Iterable[tuple[str, str]]) -> str:
    """``element`` with a declaration added to its start tag for each prefix it leaves out.

    A model's reply often copies the prefixes of the example but not the ``xmlns``
    declarations; the class's own are assumed for them. A prefix the start tag declares
    keeps its declaration (a namespace written wrongly is then not the class's).

    Args:
        element: The element's text (its start tag first).
        declarations: ``(prefix, uri)`` pairs (`Namespaces.declarations`).

    Returns:
        The element, its start tag holding the missing declarations after its name.
    """
    name = _NAME.match(element)
    if name is None:
        return element
    declared: set[str] = set()
    at = name.end()
    while (attribute := _ATTRIBUTE.match(element, at)) is not None:
        written = attribute[1]
        if written == "xmlns" or written.startswith("xmlns:"):
            declared.add(written[6:])
        at = attribute.end()
    added = "".join(
        f' xmlns{":" if prefix else ""}{prefix}="{_attribute_value(uri)}"'
        for prefix, uri in declarations
        if prefix not in declared
    )
    return element[: name.end()] + added + element[name.end() :] if added else element
