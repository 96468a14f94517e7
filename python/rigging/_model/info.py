"""Facts about a model class that parsing and rendering need, computed once per class.

`class_info` stores them on the class (its tag as searched for, its simple field, the
rendering shortcut, namespaces, the native tag set, ...), so each parse reads them with one
cached attribute lookup.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from pydantic import PlainSerializer, PydanticUndefinedAnnotation, WrapSerializer
from pydantic_xml import BaseXmlModel
from pydantic_xml.fields import XmlEntityInfo

from rigging import _native
from rigging._model.fallback import Namespaces, namespaces_of
from rigging._model.fast import SharedFieldsSet, shared_fields_set
from rigging._model.plan import nests_in_itself, overrides_model_validate
from rigging._model.prefixed import Prefixed, prefixed_of

if t.TYPE_CHECKING:
    from rigging._model.base import Model

__all__ = ["BASIC_TYPES", "ClassInfo", "class_info", "require_defined"]

BASIC_TYPES: list[type] = [int, str, float, bool]
"""The field types a "simple" model may hold."""


@dataclass(frozen=True)
class ClassInfo:
    """Facts about a model class that parsing needs on every match, computed once per class."""

    tag: str
    """The element's name as the class writes it and as it is searched for: its tag, or for
    a namespaced class the prefixed name its XML has (``x:item``, see `namespaces`)."""
    simple_field: str | None
    """The single text field of a simple model, or None for other models."""
    plain_text: bool
    """Simple model rendered without pydantic-xml (see `shortcut`)."""
    shortcut: type | None = None
    """The field type (``str``/``int``/``float``/``bool``) when `to_pretty_xml` may render
    ``<tag>text</tag>`` itself: no namespace, no serializer (decorator or annotation), no
    excluded field, no custom ``to_xml_tree``."""
    ready: bool = False
    """`Model.ensure_valid` is not overridden and passed, so parsing need not call it again."""
    shared_fields: SharedFieldsSet | None = None
    """For simple models without extra fields: the fields set parsed instances share."""
    tags: _native.Tags | None = None
    """``rigging._native.Tags([tag])`` for `scan` (None when the tag is not a valid name, so
    scanning raises the `ScanError` that names it)."""
    owner: type | None = None
    """The class these facts are about (a subclass finds its parent's through ``getattr``
    and computes its own)."""
    own_validate: bool = False
    """The class overrides ``model_validate``, which pydantic-xml calls to build a model from
    what it read, so parsing calls it too (a planned class falls back to pydantic-xml)."""
    outermost: bool = False
    """The class nests in itself (a tree of nodes), so its candidates are the outermost
    elements of its tag, not the innermost (`rigging._model.plan.nests_in_itself`)."""
    namespaces: Namespaces | None = None
    """How the class's namespaced XML is written and read; None when pydantic-xml puts none
    of its names (nor those of models nested in it) in a namespace."""
    prefixed: Prefixed | None = None
    """The names of the class (and of models nested in it) written with a literal prefix
    (``a:b``, ``xml:lang``), which the pydantic-xml path reads as written; None without."""


_INFO_ATTR = "__rigging_class_info__"


def _compiled_tags(tag: str, outermost: bool = False) -> _native.Tags | None:
    """The native tag set of one tag name, or None when the name is invalid."""
    try:
        return _native.Tags([tag], [tag] if outermost else None)
    except _native.ScanError:
        return None


def _simple_field(cls: type[Model]) -> str | None:
    fields = cls.model_fields
    if len(fields) != 1:
        return None
    name, info = next(iter(fields.items()))
    if any(isinstance(meta, XmlEntityInfo) for meta in info.metadata):
        return None
    annotation = info.annotation
    if t.get_origin(annotation) is t.Annotated:
        annotation = t.get_args(annotation)[0]
    return name if annotation in BASIC_TYPES else None


def _shortcut(cls: type[Model], field: str | None) -> type | None:
    """The field type when the pretty XML of ``cls`` is ``<tag>text</tag>``, else None."""
    if field is None or cls.__xml_ns__ or cls.__xml_nsmap__:
        return None
    decorators = cls.__pydantic_decorators__
    if decorators.field_serializers or decorators.model_serializers:
        return None
    if getattr(cls, "to_xml_tree", None) is not BaseXmlModel.to_xml_tree:
        return None
    info = cls.model_fields[field]
    if info.exclude or any(isinstance(m, (PlainSerializer, WrapSerializer)) for m in info.metadata):
        return None
    return info.annotation if info.annotation in BASIC_TYPES else None


def _ensure_valid_once(cls: type[Model]) -> bool:
    """Run the stock `Model.ensure_valid` once; False when it is overridden or fails."""
    from rigging._model.base import Model  # defined on top of this module

    stock = getattr(Model.ensure_valid, "__func__", None)
    if getattr(cls.ensure_valid, "__func__", None) is not stock:
        return False
    try:
        cls.ensure_valid()
    except ValueError:
        return False
    return True


def require_defined(cls: type[Model]) -> None:
    """Refuse a model class whose forward references are still unresolved.

    References defined since the class was are resolved first (``model_rebuild``). Before,
    such a class failed deep inside pydantic or pydantic-xml with a bare ``AssertionError``
    ("this is a bug! please report it", "model ... is partially initialized").

    Raises:
        TypeError: The class refers to a name that is not defined yet; the message names it.
    """
    if cls.__pydantic_complete__ and cls.__xml_serializer__ is not None:
        return
    try:
        cls.model_rebuild()
    except PydanticUndefinedAnnotation as exc:
        raise TypeError(
            f"model {cls.__name__} is not fully defined: {exc.message}; define it, then call "
            f"{cls.__name__}.model_rebuild()"
        ) from None
    if not cls.__pydantic_complete__ or cls.__xml_serializer__ is None:
        raise TypeError(
            f"model {cls.__name__} is not fully defined (unresolved forward references); "
            f"define them, then call {cls.__name__}.model_rebuild()"
        )


def class_info(cls: type[Model]) -> ClassInfo:
    """The cached `ClassInfo` of a model class.

    The facts are stored on the class itself and carry their owner, so the lookup is one
    cached class attribute access (a subclass seeing its parent's computes its own).

    Args:
        cls: A `Model` subclass.

    Returns:
        Its tag, simple field and rendering shortcut.
    """
    info: ClassInfo | None = getattr(cls, _INFO_ATTR, None)
    if (
        info is None
        or info.owner is not cls
        # ElementTree's prefixes changed since (another class registered one of its URIs)
        or (info.namespaces is not None and not info.namespaces.current())
    ):
        from rigging._model.base import Model  # only when the facts are computed

        if not (isinstance(cls, type) and issubclass(cls, Model)):
            raise TypeError(f"expected a rigging Model class, not {cls!r}")
        field = _simple_field(cls)
        shortcut = _shortcut(cls, field)
        tag = str(cls.__xml_tag__)
        namespaces = prefixed = None
        if cls.__xml_serializer__ is not None:
            namespaces = namespaces_of(cls, tag)
            prefixed = prefixed_of(cls, namespaces)  # refuses names that cannot read back
        if namespaces is not None:
            tag = namespaces.tag
            nests = field is None and namespaces.nests
        else:
            nests = field is None and nests_in_itself(cls)
        info = ClassInfo(
            tag=tag,
            simple_field=field,
            plain_text=shortcut is not None,
            shortcut=shortcut,
            ready=_ensure_valid_once(cls),
            shared_fields=(
                shared_fields_set(cls, [field])
                if field is not None and cls.model_config.get("extra") != "allow"
                else None
            ),
            tags=_compiled_tags(tag, nests),
            owner=cls,
            own_validate=overrides_model_validate(cls),
            outermost=nests,
            namespaces=namespaces,
            prefixed=prefixed,
        )
        if cls.__xml_serializer__ is not None:  # not while references are unresolved
            type.__setattr__(cls, _INFO_ATTR, info)
    return info
