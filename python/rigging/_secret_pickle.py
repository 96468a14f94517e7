"""Pickling data without secrets: results pickle their generator and params without them.

A `Chat` or `Completion` is data: pickled, it must hold no secret, as its JSON dump holds
none. Its ``__getstate__`` puts `without_secrets_when_pickled` stand-ins where the generator
and params are; each stand-in pickles as the object's ``_without_secrets()`` copy, made when
it is pickled. A generator or params object pickled on its own (a pipeline or a generator
sent to a worker) keeps its secrets, as in-process copies (``copy``, ``deepcopy``) do.

One stand-in exists per object while a pickler holds it (its memo keeps it alive), so the
results of a run, which share their generator, pickle one copy of it and unpickle sharing it.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any, Protocol, TypeVar

__all__ = ["without_secrets_when_pickled"]

T = TypeVar("T")


class _Cleanable(Protocol):
    def _without_secrets(self) -> Any: ...


class _StandIn:
    """Stands for an object in a pickle: pickled as its ``_without_secrets()`` copy."""

    __slots__ = ("__weakref__", "value")

    def __init__(self, value: _Cleanable) -> None:
        self.value = value

    def __reduce__(self) -> tuple[Any, tuple[Any]]:
        return _unpickled, (self.value._without_secrets(),)


def _unpickled(value: T) -> T:
    """What a stand-in unpickles as: the copy it was pickled as."""
    return value


_stand_ins: weakref.WeakValueDictionary[int, _StandIn] = weakref.WeakValueDictionary()
_lock = threading.Lock()


def without_secrets_when_pickled(value: _Cleanable) -> Any:
    """A stand-in for `value` in pickle state: it pickles as ``value._without_secrets()``.

    The same stand-in is returned for the same object as long as one is alive (a stand-in
    holds its object, so an id names one object while its stand-in lives).

    Args:
        value: A generator or params object.

    Returns:
        The stand-in (for pickle state only; it is no generator or params object).
    """
    with _lock:
        stand_in = _stand_ins.get(id(value))
        if stand_in is None:
            stand_in = _StandIn(value)
            _stand_ins[id(value)] = stand_in
    return stand_in
