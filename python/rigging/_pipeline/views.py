"""Read-only copies of a pipeline's settings, returned by its list and set properties.

A pipeline's configuration is an immutable `Settings` value (`rigging._pipeline.config`), so
``pipeline.then_callbacks`` is a copy. In 2.3 these were the pipeline's own lists and sets, and
2.3 code may change them in place (``pipeline.watch_callbacks.append(cb)``,
``pipeline.errors_to_fail_on.add(KeyError)``); on a plain copy that change would be lost without
a word. These copies compare, iterate and combine like a `list` or `set`, but every in-place
change raises a `TypeError` naming the method that makes it. Copying or pickling one gives a
plain `list` or `set`.
"""

from __future__ import annotations

import typing as t

__all__ = ["SettingList", "SettingSet"]

T = t.TypeVar("T")

_LIST_CHANGES = (
    "append extend insert remove pop clear sort reverse __setitem__ __delitem__ __iadd__ __imul__"
).split()
_SET_CHANGES = (
    "add discard remove pop clear update difference_update intersection_update "
    "symmetric_difference_update __ior__ __iand__ __isub__ __ixor__"
).split()


def _refuse(self: SettingList[t.Any] | SettingSet[t.Any], *args: t.Any, **kwargs: t.Any) -> t.Any:
    raise TypeError(
        f"pipeline.{self.setting} is a read-only copy of the pipeline's configuration; "
        f"changing it would change nothing: use {self.use} instead"
    )


class SettingList(list[T]):
    """A `list` copy of one pipeline setting that refuses in-place changes."""

    __slots__ = ("setting", "use")

    def __init__(self, items: t.Iterable[T], setting: str, use: str) -> None:
        super().__init__(items)
        self.setting = setting
        """The property it was read from (``then_callbacks``...)."""
        self.use = use
        """The method that changes that setting (``then()``...)."""

    def __reduce__(self) -> tuple[t.Any, ...]:
        return list, (list(self),)


class SettingSet(set[T]):
    """A `set` copy of one pipeline setting that refuses in-place changes."""

    __slots__ = ("setting", "use")

    def __init__(self, items: t.Iterable[T], setting: str, use: str) -> None:
        super().__init__(items)
        self.setting = setting
        """The property it was read from (``errors_to_fail_on``...)."""
        self.use = use
        """The method that changes that setting (``catch()``...)."""

    def __reduce__(self) -> tuple[t.Any, ...]:
        return set, (set(self),)


for _name in _LIST_CHANGES:
    setattr(SettingList, _name, _refuse)
for _name in _SET_CHANGES:
    setattr(SettingSet, _name, _refuse)
