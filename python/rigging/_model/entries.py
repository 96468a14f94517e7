"""A planned model class's entries for the native parsers, cached on the class.

- `lax_validate`: the class's validator as the codec calls it (lax, as pydantic-xml calls
  ``model_validate``).
- `render_plan`, `alone_entry`, `alone_args`: the plan and validator `rigging._native`'s
  `extract_all`, `place_parts` and `parse_alone` take for a class (None for a simple class
  or one without a plan).
"""

from __future__ import annotations

import functools
import typing as t

from rigging import _native
from rigging._model.base import ClassInfo, Model, class_info
from rigging._model.plan import codec_of

__all__ = ["AloneArgs", "alone_args", "alone_entry", "codec_entry", "lax_validate", "render_plan"]


def render_plan(cls: type[Model]) -> _native.CodecPlan | None:
    """The plan whose ``render_model`` may stand in for ``cls.to_pretty_xml``.

    Used by `rigging._native.place_parts` and the one-element parsing path. Only for
    classes whose `Model.to_pretty_xml` is their plan's ``render_model``: neither simple nor
    overriding it, and with a plan that renders (not ``skip_empty``).
    """
    entry = alone_entry(cls, class_info(cls))
    return entry[0] if entry is not None and entry[1] else None


_LAX_ATTR = "__rigging_lax_validate__"


def lax_validate(cls: type[Model]) -> t.Callable[[dict[str, t.Any]], t.Any]:
    """``cls``'s validator as the codec calls it: lax, as pydantic-xml calls ``model_validate``.

    ``validate_python`` itself when no part of the class's schema asks for strictness (there,
    validating without ``strict`` is validating with ``strict=False``, and a call without the
    keyword costs less), else bound with ``strict=False``. Cached on the class for its current
    validator (a rebuilt class gets a new one). Only for a class whose validator is built.
    """
    validator = cls.__pydantic_validator__
    # A parent's entry is found too; its validator is not this class's, so it is replaced.
    known: tuple[t.Any, t.Callable[[dict[str, t.Any]], t.Any]] | None = getattr(
        cls, _LAX_ATTR, None
    )
    if known is not None and known[0] is validator:
        return known[1]
    call: t.Callable[..., t.Any] = validator.validate_python
    if _asks_strict(cls.__pydantic_core_schema__):
        call = functools.partial(call, strict=False)
    type.__setattr__(cls, _LAX_ATTR, (validator, call))
    return call


def _asks_strict(schema: object) -> bool:
    """Whether a core schema (or anything in it: a config, a field, a type) sets ``strict``.

    A schema that is not a dict counts as asking.
    """
    if not isinstance(schema, dict):
        return True
    stack: list[object] = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("strict") is True:
                return True
            stack.extend(node.values())
        elif isinstance(node, list | tuple):
            stack.extend(node)
    return False


def codec_entry(cls: type[Model], info: ClassInfo) -> tuple[_native.CodecPlan, t.Any] | None:
    """``cls``'s `rigging._native.extract_all` entry: its plan and validator, or None.

    None for a simple class or one without a plan. Only a planned class's validator is
    read: a class that is not fully defined has none yet (its `extract` then fails on its
    own, as a missing or invalid type).
    """
    codec = None if info.simple_field is not None else codec_of(cls)
    if codec is None:
        return None
    return codec.native, lax_validate(cls)


def alone_entry(cls: type[Model], info: ClassInfo) -> tuple[_native.CodecPlan, bool] | None:
    """``cls``'s plan and whether it renders ``cls.to_pretty_xml``, for `_native.parse_alone`.

    None for a simple class or one without a plan (as `codec_entry`); the flag is whether
    `render_plan` would give the plan.
    """
    codec = None if info.simple_field is not None else codec_of(cls)
    if codec is None:
        return None
    return codec.native, codec.renders and cls.to_pretty_xml is Model.to_pretty_xml


_ALONE_ATTR = "__rigging_alone__"

#: `_native.parse_alone`'s class arguments: the plan, the lax validator, whether the plan
#: renders ``to_pretty_xml``.
AloneArgs = tuple[_native.CodecPlan, t.Callable[[dict[str, t.Any]], t.Any], bool]


def alone_args(cls: type[Model], info: ClassInfo) -> AloneArgs | None:
    """`alone_entry` and `lax_validate` of a ready class in one cached lookup.

    The busy path of `until_parsed_as`. Cached for the class's current validator and
    ``to_pretty_xml`` (a rebuilt class or a replaced method gets a new entry). None for a
    simple class or one without a plan.
    """
    validator = cls.__pydantic_validator__
    pretty = cls.to_pretty_xml
    known: tuple[t.Any, t.Any, AloneArgs | None] | None = getattr(cls, _ALONE_ATTR, None)
    if known is not None and known[0] is validator and known[1] is pretty:
        return known[2]
    entry = alone_entry(cls, info)
    args = None if entry is None else (entry[0], lax_validate(cls), entry[1])
    type.__setattr__(cls, _ALONE_ATTR, (validator, pretty, args))
    return args
