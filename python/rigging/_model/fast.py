"""Building pydantic objects from values that are already valid, without re-validation.

Used on hot paths (parsed parts, simple parsed models, run results) where every value is a
validated object: the instance is assembled the way pydantic's `model_construct` does, minus
its per-field default and alias handling, which costs more than the rest of the work.

Such instances share one **read-only fields set** per class (`SharedFieldsSet`) instead of a
set each. Every field of them is set, so pydantic's own updates of the set (adding the name of
an assigned field) change nothing and are allowed; any other in-place change of
``model_fields_set`` raises ``TypeError``. Copies (``model_copy``, ``copy``, pickling) get a
plain set of their own. A set per object was one more object per chat for the cyclic GC to
walk on every full collection.
"""

from __future__ import annotations

import typing as t

from pydantic import BaseModel

__all__ = [
    "SharedFieldsSet",
    "construct",
    "own_fields_set_for",
    "share_fields_set",
    "shared_fields_set",
]

ModelT = t.TypeVar("ModelT", bound=BaseModel)

_new = object.__new__
_set = object.__setattr__
_ATTR = "__rigging_shared_fields__"


def _refuse(self: SharedFieldsSet, *args: object, **kwargs: object) -> t.NoReturn:
    raise TypeError(
        "this model_fields_set is shared by every instance of the class and cannot be "
        "changed in place; copy it first (set(model.model_fields_set))"
    )


class SharedFieldsSet(set[str]):
    """A fields set shared by many instances; adding a name it already holds is a no-op."""

    __slots__ = ()

    def add(self, name: str) -> None:
        """Allow pydantic's add of an assigned field (always present); refuse anything else."""
        if name not in self:
            _refuse(self)

    discard = remove = pop = clear = _refuse
    update = difference_update = intersection_update = symmetric_difference_update = _refuse
    __ior__ = __iand__ = __isub__ = __ixor__ = _refuse

    def __copy__(self) -> set[str]:
        return set(self)

    def __deepcopy__(self, memo: dict[int, t.Any]) -> set[str]:
        return set(self)

    def __reduce__(self) -> tuple[type[set[str]], tuple[list[str]]]:
        return set, (list(self),)


def shared_fields_set(
    cls: type[BaseModel], names: t.Iterable[str] | None = None
) -> SharedFieldsSet:
    """The shared fields set of ``cls`` (all its fields), created on first use.

    It is stored in the class's own ``__dict__``, so subclasses get their own.

    Args:
        cls: A pydantic model class.
        names: The field names (default: every field of ``cls``).

    Returns:
        The set.
    """
    shared: SharedFieldsSet | None = cls.__dict__.get(_ATTR)
    if shared is None:
        shared = SharedFieldsSet(cls.__pydantic_fields__ if names is None else names)
        type.__setattr__(cls, _ATTR, shared)
    return shared


def share_fields_set(instance: BaseModel, shared: SharedFieldsSet) -> None:
    """Swap the fields set of a freshly validated instance for ``shared`` when they are equal.

    Args:
        instance: The instance (its class must not allow extra fields).
        shared: The class's shared set.
    """
    if instance.__pydantic_fields_set__ == shared:
        _set(instance, "__pydantic_fields_set__", shared)


def own_fields_set_for(instance: BaseModel, name: str) -> None:
    """Give ``instance`` a fields set of its own before ``name`` is assigned, if needed.

    Needed when its set is a shared one that lacks ``name``: copy on write, for classes that
    share a set of *some* of their fields (see `rigging.message.Message`).

    Args:
        instance: The instance about to be assigned to.
        name: The attribute name.
    """
    fields_set = instance.__pydantic_fields_set__
    if type(fields_set) is SharedFieldsSet and name not in fields_set:
        _set(instance, "__pydantic_fields_set__", set(fields_set))


def construct(cls: type[ModelT], values: dict[str, t.Any]) -> ModelT:
    """An instance of `cls` from `values`, which must hold every field (no validation).

    Args:
        cls: A pydantic model without extra fields or private attributes.
        values: One value per field (the dict becomes the instance's ``__dict__``).

    Returns:
        The instance (equal to ``cls.model_construct(**values)``; its fields set is the
        class's `SharedFieldsSet`).
    """
    instance = _new(cls)
    _set(instance, "__dict__", values)
    _set(instance, "__pydantic_fields_set__", cls.__dict__.get(_ATTR) or shared_fields_set(cls))
    _set(instance, "__pydantic_extra__", None)
    _set(instance, "__pydantic_private__", None)
    return instance
