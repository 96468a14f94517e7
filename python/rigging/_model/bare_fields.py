"""Primitive fields with no `attr`/`element`/`wrapped` marking, placed as child elements.

`_bare_fields_as_elements` runs while a `Model` subclass is created: several such fields each read
and write an element named after them (as 2.3's models did), not the element's whole text.
"""

from __future__ import annotations

import copy
import inspect
import re
import typing as t

from pydantic_xml import BaseXmlModel
from pydantic_xml.fields import XmlEntityInfo

_WORD = re.compile(r"[A-Za-z_]\w*")
_PLAIN_WORDS = frozenset(
    {"str", "int", "float", "bool", "None", "Optional", "Union", "list", "List", "set", "tuple"}
)


def _holds_model(annotation: t.Any) -> bool:
    """Whether a field type is, or contains, an XML model (pydantic-xml nests those itself)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseXmlModel):
        return True
    return any(_holds_model(arg) for arg in t.get_args(annotation))


def _is_xml_entity(info: t.Any) -> bool:
    """Whether a field default or field info comes from `attr`/`element`/`wrapped`."""
    if isinstance(info, XmlEntityInfo):
        return True
    return any(isinstance(meta, XmlEntityInfo) for meta in getattr(info, "metadata", ()))


def _bare_fields_as_elements(cls: type) -> None:
    """Make primitive fields without `attr`/`element`/`wrapped` child elements, when several.

    Two cases: a model with several fields and none placed explicitly (``class User(Model):
    name: str; email: str; age: int`` then reads and writes ``<user><name>..</name>...``, as
    2.3's docs show), and several such fields next to `attr`/`element` fields (pydantic-xml
    would give each of them the element's whole text). Fields whose default is a `Field(...)`
    are marked too, their settings kept. The codec plan reads such fields the same way, so a
    class that falls back to pydantic-xml reads them as the codec does. Runs while the class
    is created, before pydantic collects the fields: only the class's own fields change (an
    inherited text field stays the text). Fields holding models, a single such field next to
    placed ones (the element's text, as in pydantic-xml), a simple model's one field and
    postponed annotations that may name a model are left alone.
    """
    own = {
        name: annotation
        for name, annotation in inspect.get_annotations(cls).items()
        if not name.startswith("_")
        and t.get_origin(annotation) is not t.cast("t.Any", t.ClassVar)
        and not (isinstance(annotation, str) and "ClassVar" in annotation)
    }
    inherited = {k: v for b in cls.__bases__ for k, v in getattr(b, "model_fields", {}).items()}
    bare = {name for name, info in inherited.items() if _bare_primitive(info.annotation, info)}
    from pydantic.fields import FieldInfo
    from pydantic_xml import element

    convert: dict[str, t.Any] = {}
    for name, annotation in own.items():
        bare.discard(name)  # redeclared here
        default = cls.__dict__.get(name, ...)
        if _is_xml_entity(default) or not _bare_primitive(annotation, None):
            continue
        convert[name] = default
    # Several fields, none placed explicitly (2.3's documented models), or several that would
    # all be the text (never meant: each would get the element's whole text).
    unplaced = (
        len(set(own) | set(inherited)) > 1
        and not any(_is_xml_entity(info) for info in inherited.values())
        and not any(
            _is_xml_entity(cls.__dict__.get(name)) or _entity_annotation(annotation)
            for name, annotation in own.items()
        )
    )
    if not unplaced and len(bare) + len(convert) < 2:
        return
    for name, default in convert.items():
        if isinstance(default, FieldInfo):
            # Its settings kept, marked as an element the way `Annotated[..., element()]` is.
            marked = copy.copy(default)
            marked.metadata = [*default.metadata, element()]
            type.__setattr__(cls, name, marked)
        else:
            type.__setattr__(cls, name, element(default=default))


def _entity_annotation(annotation: t.Any) -> bool:
    """Whether an annotation places its field: ``Annotated[..., attr()]`` (also postponed)."""
    if isinstance(annotation, str):
        return any(word in annotation for word in ("attr(", "element(", "wrapped("))
    return any(isinstance(meta, XmlEntityInfo) for meta in getattr(annotation, "__metadata__", ()))


def _bare_primitive(annotation: t.Any, info: t.Any) -> bool:
    """Whether pydantic-xml would read a field as the element's text.

    That is: no `attr`/`element`/`wrapped` marking (in ``info`` or an ``Annotated``
    annotation) and a type that holds no model (a postponed annotation counts only when it
    names nothing but builtins and typing words).
    """
    if info is not None and _is_xml_entity(info):
        return False
    if _entity_annotation(annotation):
        return False
    if isinstance(annotation, str):
        words = _WORD.findall(annotation.replace("typing.", "").replace("t.", ""))
        return _PLAIN_WORDS.issuperset(words)
    return not _holds_model(annotation)
