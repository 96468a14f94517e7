"""`dir()` of a public module: its `__all__` and dunders, not the names it imported.

Each public module ends with ``__dir__ = public_dir(globals())``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["public_dir"]


def public_dir(namespace: dict[str, Any]) -> Callable[[], list[str]]:
    """A module ``__dir__`` listing the module's ``__all__`` and its dunder names.

    Args:
        namespace: The module's ``globals()``.

    Returns:
        The function to assign to the module's ``__dir__``.
    """

    def listing() -> list[str]:
        dunders = {n for n in namespace if n.startswith("__") and n.endswith("__")}
        return sorted(dunders | set(namespace["__all__"]))

    return listing
