"""`dir()` of a public module: its `__all__` and dunders, not the names it imported.

Each public module ends with ``__dir__ = public_dir(globals())``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

__all__ = ["moved_names", "public_dir"]


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


def moved_names(module: str, moved: dict[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` for 2.3 names the module no longer defines.

    ``from <module> import <name>`` keeps working for each name in `moved`, which is fetched
    from the module that holds it now (imported on first use, so no import cycle). The names
    stay out of ``__all__`` and ``dir()``.

    Args:
        module: The module's ``__name__``.
        moved: Each old name and the module that holds it now.

    Returns:
        The function to assign to the module's ``__getattr__``.
    """

    def lookup(name: str) -> Any:
        home = moved.get(name)
        if home is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        return getattr(importlib.import_module(home), name)

    return lookup
