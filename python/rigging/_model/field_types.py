"""What a field's type means to a plan: the primitive it declares, what an empty value reads as.

Read from the annotation when a plan is compiled (`rigging._model.plan`): the primitive type
the native codec converts values to, the value an empty element or attribute reads as, and
the ``Literal`` members read from text by their rendering.
"""

from __future__ import annotations

import collections.abc
import enum
import types
import typing as t

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

if t.TYPE_CHECKING:
    from rigging._model.plan import FieldSpec

__all__ = ["LiteralTable", "literal_table", "rendering"]

_DECLARED = {str: "str", int: "int", float: "float", bool: "bool"}

_SEQUENCES = (
    list,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Set,
    collections.abc.MutableSet,
)
"""Origins of the collection annotations whose items a field's serializer reads one by one."""


def _declared(annotation: t.Any) -> str:
    """The primitive type a field's values (or list items) are declared as.

    For `rigging._native.CodecPlan`'s ``types``: ``str``, ``int``, ``float``, ``bool``, or
    ``""`` for any other annotation. ``Optional`` and ``list`` are looked through. A union
    of several types gives its primitive members joined by ``|`` (a ``Literal`` member counts
    as the types of its values), or ``"encoded"`` when it has none: a value of another type
    is rendered from its encoding, as pydantic's union serializer may change it.
    """
    origin = t.get_origin(annotation)
    args = t.get_args(annotation)
    if origin in (t.Union, types.UnionType):
        kept = [arg for arg in args if arg is not type(None)]
        if len(kept) == 1:
            return _declared(kept[0])
        members = set[str]().union(*(_union_members(arg) for arg in kept))
        return "|".join(sorted(members)) or "encoded"
    if origin in _SEQUENCES and args:
        return _declared(args[0])
    return _DECLARED.get(annotation, "")


def _unaliased(annotation: t.Any) -> t.Any:
    """An annotation without its ``Annotated`` metadata, ``NewType`` and type alias layers."""
    while True:
        if t.get_origin(annotation) is t.Annotated:
            annotation = t.get_args(annotation)[0]
        elif hasattr(annotation, "__supertype__"):  # NewType
            annotation = annotation.__supertype__
        elif type(annotation).__name__ == "TypeAliasType":  # `type X = ...`
            annotation = annotation.__value__
        else:
            return annotation


def _takes(annotation: t.Any, value: t.Literal[""] | None) -> bool:
    """Whether a field's type takes ``value`` (``None``, or a plain ``str`` for ``""``).

    ``""`` is taken by ``str`` and its subclasses (constrained or not: their validators judge
    the value), a ``Literal`` or an ``Enum`` with ``""`` among its values, and a union with
    one of them; ``None`` by ``None`` itself, ``Literal[None]`` and a union holding either.
    """
    annotation = _unaliased(annotation)
    origin = t.get_origin(annotation)
    if origin in (t.Union, types.UnionType):
        return any(_takes(arg, value) for arg in t.get_args(annotation))
    if origin is t.Literal:
        args = t.get_args(annotation)
        return any(arg is None if value is None else arg == "" for arg in args)
    if value is None:
        return annotation is None or annotation is type(None)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return any(member.value == "" for member in annotation)
    return isinstance(annotation, type) and issubclass(annotation, str)


def _empty(annotation: t.Any, spec: FieldSpec) -> str:
    """What a field reads from an empty value, for `rigging._native.CodecPlan`'s ``empty``.

    The renderers write ``""`` and ``None`` alike as an empty element, empty text or
    ``a=""`` (and no wrapper at all for ``None`` below one), so an empty value reads as what
    could have written it:

    - ``"str"`` (``""``) for an element or text whose type takes ``""`` and not ``None``,
      or that sits below a wrapper (written only for a value other than ``None``);
    - ``"none"`` (``None``) for one whose type takes ``None`` and has no wrapper (so an
      ``Optional[str]`` field's ``""`` reads back as ``None``, which is what pydantic-xml
      and 2.3 gave it with a ``None`` default), and for an attribute whose type takes
      ``None`` but not ``""`` (``Optional[int]``: ``a=""`` is what its ``None`` writes);
    - ``""`` otherwise: pydantic-xml's reading (an attribute's ``""``; an element or text is
      left out, so the default applies). Lists (empty items stay ``""``) and nested models
      have no empty value.
    """
    _, _, path, kind, _, item, many = spec
    if item >= 0 or many:
        return ""
    takes_str, takes_none = _takes(annotation, ""), _takes(annotation, None)
    none_reads_back = takes_none and not path
    if kind == "attr":
        return "none" if none_reads_back and not takes_str else ""
    if takes_str and not none_reads_back:
        return "str"
    return "none" if none_reads_back else ""


def _union_members(annotation: t.Any) -> set[str]:
    """The primitive types one member of a union declares (see `_declared`)."""
    origin = t.get_origin(annotation)
    if origin is t.Annotated:
        return _union_members(t.get_args(annotation)[0])
    if origin is t.Literal:
        return {_DECLARED[type(arg)] for arg in t.get_args(annotation) if type(arg) in _DECLARED}
    if origin in (t.Union, types.UnionType):
        return set[str]().union(*(_union_members(arg) for arg in t.get_args(annotation)))
    found = _DECLARED.get(annotation)
    return {found} if found else set()


def rendering(value: object) -> str:
    """The text the renderers write for a primitive value.

    pydantic-xml's ``encode_primitive`` of its encoding: ``None`` empty, bools ``true`` and
    ``false``, anything else ``str()``.
    """
    encoded = to_jsonable_python(value)
    if encoded is None:
        return ""
    if isinstance(encoded, bool):
        return "true" if encoded else "false"
    return str(encoded)


_RAW_VALIDATORS = frozenset({"BeforeValidator", "WrapValidator", "PlainValidator"})

_RAW_MODES = frozenset({"before", "wrap", "plain"})


def _literal_members(annotation: t.Any) -> list[t.Any] | None:
    """The members of a field (or list item) whose every value is a ``Literal`` member.

    ``Optional`` and unions of ``Literal`` are looked through, and so are collections; None
    for any other annotation (a union with ``str`` or ``int``, say) and for one whose
    ``Annotated`` metadata holds a validator that sees the raw input.
    """
    origin = t.get_origin(annotation)
    args = t.get_args(annotation)
    if origin is t.Annotated:
        if any(type(meta).__name__ in _RAW_VALIDATORS for meta in annotation.__metadata__):
            return None
        return _literal_members(args[0])
    if origin is t.Literal:
        return list(args)
    if origin in (t.Union, types.UnionType):
        members: list[t.Any] = []
        for arg in args:
            if arg is type(None):
                continue
            inner = _literal_members(arg)
            if inner is None:
                return None
            members.extend(inner)
        return members
    if origin in _SEQUENCES and args:
        return _literal_members(args[0])
    return None


LiteralTable = list[tuple[str, t.Any]]


def literal_table(cls: type[BaseModel], name: str) -> LiteralTable | None:
    """The members of a ``Literal`` field read from text as themselves, by their rendering.

    pydantic's lax mode reads ``"1"`` as no member of ``Literal[1, 2]`` (nor ``"true"`` as
    ``True``, ``"1.5"`` as ``1.5``), so the model's own XML did not read back. The codec
    hands the validator the member whose rendering (`rendering`) is the text read, for every
    member that is not a ``str``; a text that is a ``str`` member stays that member (in
    ``Literal["1", 1]``, ``"1"`` is the string). Only for fields whose every value is a
    member (see `_literal_members`), and not where a validator of the field or the model
    sees the raw input (it would see a member instead of the text pydantic-xml hands it).

    Returns:
        ``(text, member)`` pairs (the first member of a text wins), or None when there are
        none.
    """
    decorators = cls.__pydantic_decorators__
    if any(d.info.mode in ("before", "wrap") for d in decorators.model_validators.values()):
        return None
    for field_validator in decorators.field_validators.values():
        info = field_validator.info
        if info.mode in _RAW_MODES and ("*" in info.fields or name in info.fields):
            return None
    field = cls.model_fields[name]
    if any(type(meta).__name__ in _RAW_VALIDATORS for meta in field.metadata):
        return None
    members = _literal_members(field.annotation)
    if not members:
        return None
    strings = {member for member in members if type(member) is str}
    table: dict[str, t.Any] = {}
    for member in members:
        if member is None or type(member) is str:
            continue
        text = rendering(member)
        if text and text not in strings and text not in table:
            table[text] = member
    return list(table.items()) or None
