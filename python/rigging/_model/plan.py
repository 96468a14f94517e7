"""The compiled XML plan of a model class: what the native codec reads, renders and shows.

A plan is compiled once per class, on first use, from pydantic-xml's own field serializers
(so names, aliases, ``attr``/``element``/``wrapped`` and nested models mean exactly what they
mean to pydantic-xml) and stored on the class. It lists, for the class and every model class
nested in it, where each field lives. `rigging._native.CodecPlan` then reads an element into
the dict pydantic-xml would hand to the validator, and renders the pretty XML.

Shapes a plan cannot express make the class fall back to pydantic-xml, for parsing and
rendering alike; `fallback_reason` says why (``None`` for planned classes); their examples are
written by `rigging._model.fallback`. See ``docs/design/decisions-codec.md``.

What a field's type declares to the plan is read in `rigging._model.field_types`; a planned
class's example is written from its plan in `rigging._model.example`.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_xml import BaseXmlModel
from pydantic_xml.fields import extract_field_xml_entity_info
from pydantic_xml.serializers.factories import homogeneous, model, primitive, union, wrapper

from rigging import _native
from rigging._model.example import EXAMPLE_MODELS, example_of
from rigging._model.field_types import _RAW_MODES, _declared, _empty
from rigging._model.field_types import literal_table as literal_table  # tests read it here
from rigging.error import _reduce

__all__ = [
    "EXAMPLE_MODELS",
    "Codec",
    "FieldSpec",
    "codec_of",
    "example_codec",
    "example_of",
    "fallback_reason",
    "overrides_model_validate",
    "use_pydantic_xml",
]

FieldSpec = tuple[str, str, tuple[str, ...], str, str, int, bool]
"""``(parse_key, render_key, path, kind, name, model_index, many)``; kind is ``attr``,
``text`` or ``element``; model_index is -1 for text items."""

_ATTR = "__rigging_codec__"


@dataclass(frozen=True, slots=True)
class Codec:
    """The plan of one model class (index 0 of ``models``) and the classes nested in it."""

    native: _native.CodecPlan
    """The compiled native plan."""
    models: tuple[tuple[type[BaseXmlModel], str, tuple[FieldSpec, ...]], ...]
    """Per model: its class, tag and field specs."""
    renders: bool = True
    """Whether the native renderers write what pydantic-xml writes. False when a model of the
    plan sets ``skip_empty`` on its class (pydantic-xml then drops empty elements, attributes
    and ``None`` values even for default arguments) or has computed fields (written, never
    read): it is parsed natively, rendered by pydantic-xml."""
    wrapped: bool = False
    """Whether a field of the plan sits below wrapper elements (``wrapped("a/b", ...)``).
    pydantic-xml leaves a wrapper out when the field's *value* is None; the encoded dict only
    tells whether the *encoded* value is None (a custom serializer may return None), so such
    plans render natively only from the instance (`CodecPlan.render_model`)."""


class _UnsupportedError(Exception):
    """A shape the plan cannot express (the message is the reason)."""

    __reduce__ = _reduce


_Entry = tuple[type[BaseXmlModel], str, tuple[FieldSpec, ...]]


def _impl(method: object) -> object:
    return getattr(method, "__func__", method)


def overrides_model_validate(cls: type[BaseModel]) -> bool:
    """Whether ``cls`` has its own ``model_validate`` (pydantic-xml calls it per model)."""
    return _impl(cls.model_validate) is not _impl(BaseModel.model_validate)


def _class_reason(cls: type[BaseXmlModel], shape: bool = False) -> str | None:
    """Why ``cls`` cannot be planned, or None.

    With ``shape``, only reasons that change where its fields live in the XML (an example's
    plan neither reads nor renders values).
    """
    if cls.__xml_ns__ or cls.__xml_nsmap__:
        return "namespaces"
    if cls.__xml_field_validators__ or cls.__xml_field_serializers__:
        return "custom XML field validators or serializers"
    for method in ("from_xml_tree", "to_xml_tree", "from_xml"):
        if _impl(getattr(cls, method)) is not _impl(getattr(BaseXmlModel, method)):
            return f"a custom {method}"
    if cls.__xml_serializer__ is None:
        return "not fully defined yet (unresolved forward references)"
    if not isinstance(cls.__xml_serializer__, model.ModelSerializer):
        return "a root model"
    if shape:
        return None
    if cls.model_config.get("extra") == "forbid":
        return "extra='forbid' (pydantic-xml reports unbound XML content)"
    if cls.__pydantic_decorators__.model_serializers:
        return "a model serializer"
    if overrides_model_validate(cls):
        return "a custom model_validate (pydantic-xml calls it for each model it builds)"
    return None


def _sees_nested_input(cls: type[BaseXmlModel], nested: set[str]) -> str | None:
    """Why a validator of ``cls`` would see its nested models (fields ``nested``) differently.

    pydantic-xml builds each nested model first and hands the parent the instances; the codec
    hands the parent's validator one dict, nested models as dicts. A model validator or a
    nested field's validator that runs on the raw input (``before``, ``wrap``, ``plain``)
    would see dicts (and run first): such classes keep pydantic-xml.
    """
    decorators = cls.__pydantic_decorators__
    for decorator in decorators.model_validators.values():
        if decorator.info.mode in ("before", "wrap"):
            return f"a {decorator.info.mode} model validator over nested models"
    for field_validator in decorators.field_validators.values():
        info = field_validator.info
        fields = set(info.fields)
        if info.mode in _RAW_MODES and ("*" in fields or fields & nested):
            return f"a {info.mode} validator of a nested model field"
    for name in nested:
        for meta in cls.model_fields[name].metadata:
            if type(meta).__name__ in ("BeforeValidator", "WrapValidator", "PlainValidator"):
                return f"a {type(meta).__name__} of a nested model field"
    return None


def _namespaced(name: str) -> bool:
    """Whether pydantic-xml put a name in a namespace (``{uri}name``).

    A literal prefix (``a:b``, ``xml:lang``; no ``ns``/``nsmap``) is a plain name to
    pydantic-xml, and to the codec, which reads and writes names as written.
    """
    return "{" in name


def _check_name(name: str, field: str) -> str:
    if _namespaced(name):
        raise _UnsupportedError(f"field {field!r}: namespaced name {name!r}")
    return name


class _Compiler:
    def __init__(self, shape: bool = False) -> None:
        self.entries: list[_Entry | None] = []
        self.index: dict[type[BaseXmlModel], int] = {}
        # Only where fields live (an example's plan): behaviour that leaves the XML shape
        # alone (validators, serializers, extra='forbid', computed fields) is no reason.
        self.shape = shape
        # Computed fields are written, never read: a plan leaves them out, and one that had
        # any parses natively but renders through pydantic-xml (`Codec.renders`).
        self.computed = False

    def model(self, cls: type[BaseXmlModel]) -> int:
        found = self.index.get(cls)
        if found is not None:
            return found
        reason = _class_reason(cls, self.shape)
        if reason is not None:
            raise _UnsupportedError(f"{cls.__name__}: {reason}")
        position = self.index[cls] = len(self.entries)
        self.entries.append(None)
        serializer = t.cast("model.ModelSerializer", cls.__xml_serializer__)
        aliases: dict[str, str] = serializer._fields_validation_aliases
        fields: dict[str, t.Any] = dict(serializer._field_serializers)
        read = {k: v for k, v in fields.items() if not getattr(v, "_computed", False)}
        self.computed = self.computed or len(read) != len(fields)
        fields = read
        untagged = _untagged_texts(cls, fields)
        specs: list[FieldSpec] = []
        for name, field in fields.items():
            key = aliases.get(name, name)
            if name in untagged:
                label = cls.model_fields[name].alias or name
                specs.append((key, name, (), "element", label, -1, False))
                continue
            path, kind, entity, item, many = self.field(name, field, ())
            specs.append((key, name, path, kind, entity, item, many))
        nested = {name for _, name, _, _, _, item, _ in specs if item >= 0}
        if not self.shape and nested and (reason := _sees_nested_input(cls, nested)) is not None:
            raise _UnsupportedError(f"{cls.__name__}: {reason}")
        tag = str(serializer._element_name)
        if _namespaced(tag):
            raise _UnsupportedError(f"{cls.__name__}: namespaced tag {tag!r}")
        self.entries[position] = (cls, tag, tuple(specs))
        return position

    def field(
        self, name: str, field: object, path: tuple[str, ...]
    ) -> tuple[tuple[str, ...], str, str, int, bool]:
        if getattr(field, "_computed", False):
            raise _UnsupportedError(f"field {name!r}: computed")
        if getattr(field, "_nillable", None):
            raise _UnsupportedError(f"field {name!r}: nillable element")
        kind = type(field)
        if kind is primitive.AttributeSerializer:
            return path, "attr", _check_name(field._attr_name, name), -1, False  # type: ignore[attr-defined]
        if kind is primitive.TextSerializer:
            return path, "text", "", -1, False
        if kind is primitive.ElementSerializer:
            return path, "element", _check_name(field._element_name, name), -1, False  # type: ignore[attr-defined]
        if kind is union.PrimitiveTypeSerializer:  # read and written as its one inner entity
            return self.field(name, field._inner_serializer, path)  # type: ignore[attr-defined]
        if kind is union.ModelSerializer and self.shape:  # an example shows the first choice
            return self.field(name, field._inner_serializers[0], path)  # type: ignore[attr-defined]
        if kind is model.ModelProxySerializer:
            tag = _check_name(field._element_name, name)  # type: ignore[attr-defined]
            return path, "element", tag, self.nested(name, field._model), False  # type: ignore[attr-defined]
        if kind is wrapper.ElementPathSerializer:
            parts = tuple(_check_name(part, name) for part in field._path)  # type: ignore[attr-defined]
            return self.field(name, field._inner_serializer, path + parts)  # type: ignore[attr-defined]
        if kind is homogeneous.ElementSerializer:
            inner = field._inner_serializer  # type: ignore[attr-defined]
            inner_path, inner_kind, entity, item, many = self.field(name, inner, ())
            if inner_kind != "element" or inner_path or many:
                raise _UnsupportedError(f"field {name!r}: a list of {type(inner).__name__}")
            return path, "element", entity, item, True
        raise _UnsupportedError(
            f"field {name!r}: {kind.__module__.rsplit('.', 1)[-1]}.{kind.__name__}"
        )

    def nested(self, name: str, cls: type[BaseXmlModel]) -> int:
        try:
            return self.model(cls)
        except _UnsupportedError as exc:
            raise _UnsupportedError(f"field {name!r}: nested {exc}") from None


def _untagged_texts(cls: type[BaseXmlModel], fields: dict[str, t.Any]) -> set[str]:
    """Fields read as child elements named after them.

    These are the primitive fields that carry no ``attr()``/``element()``/``wrapped()``, when
    there are several (as in 2.3; pydantic-xml would give each of them the element's text).
    """
    infos: dict[str, FieldInfo] = cls.model_fields
    names = {
        name
        for name, field in fields.items()
        if type(field) is primitive.TextSerializer
        and extract_field_xml_entity_info(infos[name]) is None
    }
    return names if len(names) > 1 else set()


def _compile(cls: type[BaseXmlModel], shape: bool = False) -> Codec | str:
    compiler = _Compiler(shape)
    try:
        compiler.model(cls)
    except _UnsupportedError as exc:
        return str(exc)
    entries = tuple(t.cast("list[_Entry]", compiler.entries))
    classes = [entry[0] for entry in entries]
    literals = None
    if not shape:  # an example's plan reads nothing
        literals = [
            [literal_table(cls, spec[1]) if spec[5] < 0 else None for spec in specs]
            for cls, _, specs in entries
        ]
    native = _native.CodecPlan(
        [(tag, list(specs)) for _, tag, specs in entries],
        classes if all(_plain_serialization(c) for c in classes) else None,
        [
            [_declared(cls.model_fields[spec[1]].annotation) for spec in specs]
            for cls, _, specs in entries
        ],
        empty=[
            [_empty(cls.model_fields[spec[1]].annotation, spec) for spec in specs]
            for cls, _, specs in entries
        ],
        literals=literals if literals and any(any(row) for row in literals) else None,
    )
    return Codec(
        native,
        entries,
        renders=not compiler.computed and not any(c.__xml_skip_empty__ for c in classes),
        wrapped=any(spec[2] for _, _, specs in entries for spec in specs),
    )


_CUSTOM_SERIALIZATION = frozenset(
    {"serialization", "serialization_exclude", "serialization_exclude_if", "computed_fields"}
)
"""Core schema keys under which pydantic keeps serializers, exclusions and computed fields."""


def _plain_serialization(cls: type[BaseXmlModel]) -> bool:
    """Whether encoding an instance (``to_jsonable_python``) leaves plain values as they are.

    True when nothing in the class's core schema customises serialization (no serializer
    functions, excluded fields or computed fields) and no ``json_encoders`` are configured;
    then `CodecPlan.render_model` may read ``str``/``int``/``bool``/``float``/``None``
    values straight from the instance.
    """
    if cls.model_config.get("json_encoders"):
        return False
    pending: list[t.Any] = [cls.__pydantic_core_schema__]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key in _CUSTOM_SERIALIZATION and value:
                    return False
                pending.append(value)
        elif isinstance(node, (list, tuple)):
            pending.extend(node)
    return True


def _cached(cls: type[BaseXmlModel]) -> Codec | str:
    found: Codec | str | None = cls.__dict__.get(_ATTR)
    if found is None:
        found = _compile(cls)
        if _complete(cls, found):  # a class still being defined is looked at again later
            type.__setattr__(cls, _ATTR, found)
    return found


def example_codec(cls: type[BaseXmlModel]) -> Codec | None:
    """The plan an example of ``cls`` is written from.

    Its codec plan; else, for a class that falls back to pydantic-xml for how it reads or
    writes values (not for where its fields live), one compiled for the shape alone. None
    when the shape itself is not plannable.

    Args:
        cls: A pydantic-xml model class.

    Returns:
        The plan (the shape-only one compiled on first use and cached on the class).
    """
    codec = codec_of(cls)
    if codec is not None:
        return codec
    found: Codec | str | None = cls.__dict__.get(_SHAPE_ATTR)
    if found is None:
        found = _compile(cls, shape=True)
        if _complete(cls, found):
            type.__setattr__(cls, _SHAPE_ATTR, found)
    return found if isinstance(found, Codec) else None


_SHAPE_ATTR = "__rigging_example_plan__"


def nests_in_itself(cls: type[BaseXmlModel]) -> bool:
    """Whether elements of the class's tag appear inside its own elements (a tree of nodes).

    Then the nested elements are the model's own parts, and the candidates of the tag are the
    outermost elements, not the innermost (`rigging._native.Tags`'s ``outermost``). Read from
    the shape of the class's plan; False for a class whose shape has no plan.
    """
    shape = example_codec(cls)
    if shape is None:
        return False
    tag = shape.models[0][1]
    return any(
        spec[3] == "element" and spec[4] == tag for _, _, specs in shape.models for spec in specs
    )


def _complete(cls: type[BaseXmlModel], found: Codec | str) -> bool:
    if isinstance(found, Codec):
        return all(entry[0].__xml_serializer__ is not None for entry in found.models)
    return cls.__xml_serializer__ is not None and "not fully defined" not in found


def codec_of(cls: type[BaseXmlModel]) -> Codec | None:
    """The compiled plan of a model class, or None when it falls back to pydantic-xml.

    Args:
        cls: A pydantic-xml model class.

    Returns:
        The plan (compiled on first use and cached on the class).
    """
    found = getattr(cls, _ATTR, None)  # one cached lookup on the hot path...
    if type(found) is Codec and found.models[0][0] is cls:
        return found
    found = _cached(cls)  # ...and the class's own entry otherwise (a subclass, a reason)
    return found if type(found) is Codec else None


def use_pydantic_xml(cls: type[BaseXmlModel], reason: str = "pydantic-xml chosen") -> None:
    """Make a class parse and render through pydantic-xml, as a class without a plan does.

    For comparisons (the equivalence tests and the benches' "before" lines) and as an escape
    hatch for a class whose XML the codec reads differently from what its author expects.

    Args:
        cls: A pydantic-xml model class (its subclasses are not affected).
        reason: What `fallback_reason` reports for it.

    Call it before the class is first used: an example already shown stays cached.
    """
    type.__setattr__(cls, _ATTR, reason)


def fallback_reason(cls: type[BaseXmlModel]) -> str | None:
    """Why a model class is parsed and rendered by pydantic-xml, or None when it is planned.

    Args:
        cls: A pydantic-xml model class.

    Returns:
        The reason (e.g. ``"Signed: namespaces"``), or None.
    """
    found = _cached(cls)
    return found if isinstance(found, str) else None
