"""Optional dependencies: import on first use, fail with an error naming the extra."""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["import_optional"]


def import_optional(module: str, *, extra: str, purpose: str | None = None) -> ModuleType:
    """Import `module`, or raise `ModuleNotFoundError` naming the extra that provides it.

    Args:
        module: Dotted module name, e.g. ``"pandas"``.
        extra: The rigging extra that installs it, e.g. ``"data"``.
        purpose: What the module is needed for, used in the error message.

    Returns:
        The imported module.

    Raises:
        ModuleNotFoundError: The module (or one it needs) is not installed.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        need = f" for {purpose}" if purpose else ""
        message = (
            f"{module!r} is required{need} but is not installed; "
            f"install it with: pip install 'rigging[{extra}]'"
        )
        raise ModuleNotFoundError(message, name=exc.name) from exc
