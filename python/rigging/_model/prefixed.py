"""Names with a literal prefix (``a:b``, ``xml:lang``): checked, and read as they are written.

pydantic-xml puts a name in a namespace only through ``ns``/``nsmap``. A tag ``"a:b"``, an
``attr(name="xml:lang")`` or an ``element(tag="x:y")`` is a plain name to it: written as
given, and looked for as given. ElementTree, which pydantic-xml reads with, processes
namespaces, so it never gives such a name back: ``<a:b>`` is an unbound prefix (the element
is refused), and ``xml:lang`` is the attribute ``{http://www.w3.org/XML/1998/namespace}lang``
(the XML namespace is predeclared), so the field is missing. The native codec reads names as
written and plans such classes; a class that falls back to pydantic-xml for another reason
gets its tree from `read_tree`, which keeps the names as written.

`prefixed_of` refuses the names no reader can give back (a ``xmlns:`` prefix, a prefixed
name inside a namespace, a prefix the class also binds to a namespace). Rules:
``docs/design/decisions-codec.md`` (Names with a literal prefix).
"""

from __future__ import annotations

import typing as t
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.parsers import expat

from pydantic_xml import BaseXmlModel

if t.TYPE_CHECKING:
    from rigging._model.fallback import Namespaces

__all__ = ["XML_NAMESPACE", "Prefixed", "from_xml", "prefixed_of", "read_tree", "serializer_names"]

ModelT = t.TypeVar("ModelT", bound=BaseXmlModel)

XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace"
"""The namespace the ``xml`` prefix is bound to in every XML document."""


@dataclass(frozen=True, slots=True)
class Prefixed:
    """The literal prefixed names of a class (and the models nested in it)."""

    elements: frozenset[str]
    """Element names (tags, wrapper path parts) with a prefix, as written (``a:b``)."""
    attributes: frozenset[str]
    """Attribute names with a prefix, as written (``xml:lang``)."""
    resolve: bool
    """The class also has namespaced names: other prefixed names are resolved into their
    namespaces (as ElementTree resolves them), these are kept as written."""


_Name = tuple[type, str | None, bool, str]
"""``(class, field or None for the class's own tag, is an attribute, name)``."""


def _node_names(node: object) -> t.Iterator[tuple[bool, str]]:
    for part in getattr(node, "_path", ()):
        yield False, part
    element = getattr(node, "_element_name", None)
    if isinstance(element, str):
        yield False, element
    attribute = getattr(node, "_attr_name", None)
    if isinstance(attribute, str):
        yield True, attribute


def _inner_nodes(node: object) -> list[object]:
    inners = getattr(node, "_inner_serializers", None)
    found = list(inners.values() if isinstance(inners, dict) else inners or ())
    for attribute in ("_inner_serializer", "_root_serializer"):
        if (inner := getattr(node, attribute, None)) is not None:
            found.append(inner)
    return found


def serializer_names(cls: type[BaseXmlModel]) -> t.Iterator[_Name]:
    """Every name pydantic-xml holds for ``cls`` and the models nested in it."""
    seen: set[type] = set()
    classes: list[type] = [cls]
    while classes:
        current = classes.pop()
        root = getattr(current, "__xml_serializer__", None)
        if current in seen or root is None:
            continue
        seen.add(current)
        fields: dict[str, object] = getattr(root, "_field_serializers", None) or {}
        pending: list[tuple[str | None, object]] = [(None, root), *fields.items()]
        while pending:
            field, node = pending.pop()
            for attribute, name in _node_names(node):
                yield current, field, attribute, name
            nested = getattr(node, "_model", None)
            if isinstance(nested, type) and nested is not current:
                classes.append(nested)
            inner_field = "root" if node is root else field  # a root model's value
            pending += [(inner_field, inner) for inner in _inner_nodes(node)]


def _where(top: type, owner: type, field: str | None, attribute: bool) -> str:
    """``model A: the tag`` / ``model A: field 'lang' of its nested model Inner (an attribute)``."""
    nested = "" if owner is top else f" of its nested model {owner.__name__}"
    if field is None:
        return f"model {top.__name__}: the tag{nested}"
    kind = "an attribute" if attribute else "an element"
    return f"model {top.__name__}: field {field!r}{nested} ({kind})"


def _problem(name: str, attribute: bool, bound: dict[str, tuple[str, bool]]) -> str | None:
    """Why the prefixed name ``name`` cannot be read back, or None."""
    if name[:1] == "{":
        uri, _, local = name[1:].partition("}")
        if ":" in local:
            return (
                f"the name {local!r} has a prefix and is in the namespace {uri!r} (the "
                "class's ns or default namespace); ElementTree writes a second prefix before "
                "it, which no XML reader reads. Give it a name without ':', or no namespace"
            )
        return None
    prefix = name.partition(":")[0]
    if prefix == "xmlns":
        kind = "an attribute" if attribute else "an element"
        return (
            "the prefix 'xmlns' declares a namespace, which an XML reader never gives back "
            f"as {kind}"
        )
    if prefix in bound:
        uri, own = bound[prefix]
        fix = f"use ns={prefix!r} with the name after the prefix, or" if own else "use"
        return (
            f"the class's XML binds the prefix {prefix!r} to the namespace {uri!r}, so "
            f"{name!r} there is a name in that namespace, not the name as written; {fix} "
            "another prefix"
        )
    return None


def prefixed_of(cls: type[BaseXmlModel], namespaces: Namespaces | None) -> Prefixed | None:
    """The literal prefixed names of a class, or None when it has none.

    Args:
        cls: A pydantic-xml model class (its serializer built).
        namespaces: Its `Namespaces` (None when none of its names is namespaced).

    Raises:
        TypeError: A name cannot be read back from the class's own XML; the message names
            the class, the field (or the tag), the name and why.
    """
    own = cls.__xml_nsmap__ or {}
    declared = namespaces.declarations if namespaces is not None else ()
    # prefix -> (uri, whether the class's own nsmap names it)
    bound = {p: (uri, p in own) for p, uri in declared if p}
    elements: set[str] = set()
    attributes: set[str] = set()
    for owner, field, attribute, name in serializer_names(cls):
        if ":" not in name:
            continue
        problem = _problem(name, attribute, bound)
        if problem is not None:
            where = _where(cls, owner, field, attribute)
            raise TypeError(f"{where} is named {name!r}, which cannot be read back: {problem}")
        if name[:1] != "{":
            (attributes if attribute else elements).add(name)
    if not elements and not attributes:
        return None
    return Prefixed(frozenset(elements), frozenset(attributes), resolve=namespaces is not None)


def _parse_error(message: str, code: int = 0, position: tuple[int, int] = (1, 0)) -> ET.ParseError:
    error = ET.ParseError(message)
    error.code, error.position = code, position
    return error


def read_tree(text: str, prefixed: Prefixed) -> ET.Element:
    """The element tree of ``text`` with the class's prefixed names as written.

    Parsed as ElementTree parses (expat, comments and processing instructions dropped,
    adjacent text joined) but without namespace processing, so ``a:b`` and ``xml:lang`` stay
    names. Namespace declarations are not attributes. When the class also has namespaced
    names (``prefixed.resolve``), every other name is then resolved as ElementTree would:
    ``{uri}local``, the default namespace for unprefixed elements, ``xml`` predeclared.

    Args:
        text: One element (undeclared prefixes of the class already declared).
        prefixed: The class's `Prefixed`.

    Raises:
        xml.etree.ElementTree.ParseError: The text is not well-formed, or (resolving) a
            name's prefix is not declared.
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()  # no namespace separator: names as written
    parser.buffer_text = True
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(text, True)
    except expat.ExpatError as exc:
        raise _parse_error(str(exc), exc.code, (exc.lineno, exc.offset)) from None
    root: ET.Element = builder.close()
    _declarations_out(root, prefixed)
    return root


def from_xml(cls: type[ModelT], prefixed: Prefixed | None, text: str) -> ModelT:
    """pydantic-xml's model of ``text``, the class's literal prefixed names read as written.

    ElementTree resolves prefixes (``a:b`` is unbound, ``xml:lang`` is in the XML namespace)
    where pydantic-xml looks for the name as written, so a class with such names gets its
    tree from `read_tree`. A class with its own ``from_xml`` reads the text itself.

    Args:
        cls: A pydantic-xml model class.
        prefixed: Its `Prefixed` (None: ``cls.from_xml(text)``).
        text: One element.

    Raises:
        xml.etree.ElementTree.ParseError: The text is not well-formed XML.
    """
    own = getattr(cls.from_xml, "__func__", None)
    if prefixed is None or own is not getattr(BaseXmlModel.from_xml, "__func__", None):
        return cls.from_xml(text)
    return cls.from_xml_tree(read_tree(text, prefixed))


def _declarations_out(root: ET.Element, prefixed: Prefixed) -> None:
    """Drop the ``xmlns`` declarations of the tree; resolve its names if ``prefixed.resolve``."""
    pending: list[tuple[ET.Element, dict[str, str]]] = [(root, {"xml": XML_NAMESPACE})]
    while pending:
        element, scope = pending.pop()
        declared = [n for n in element.attrib if n == "xmlns" or n[:6] == "xmlns:"]
        if declared:
            scope = {**scope, **{n[6:]: element.attrib.pop(n) for n in declared}}
        if prefixed.resolve:
            element.tag = _resolved(element.tag, scope, prefixed.elements, element=True)
            if any(":" in name for name in element.attrib):
                element.attrib = {
                    _resolved(name, scope, prefixed.attributes, element=False): value
                    for name, value in element.attrib.items()
                }
        pending.extend((child, scope) for child in element)


def _resolved(name: str, scope: dict[str, str], literal: frozenset[str], element: bool) -> str:
    if name in literal:
        return name
    prefix, colon, local = name.partition(":")
    if not colon:
        default = scope.get("") if element else None
        return f"{{{default}}}{name}" if default else name
    uri = scope.get(prefix)
    if not prefix or not local or ":" in local:
        raise _parse_error(f"{name!r} is not a qualified name")
    if not uri:
        raise _parse_error(f"unbound prefix {prefix!r} of {name!r}")
    return f"{{{uri}}}{local}"
