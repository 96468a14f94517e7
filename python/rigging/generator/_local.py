"""Helpers shared by the local-model generators (the ``[local]`` extra)."""

from __future__ import annotations

import gc
import sys
from types import ModuleType

from rigging._deps import import_optional

__all__ = ["free_accelerator_memory", "import_local"]


def import_local(module: str, purpose: str) -> ModuleType:
    """Import a ``[local]`` dependency, or fail naming the extra.

    Args:
        module: Module name (``vllm``, ``transformers``).
        purpose: What needs it, for the error message.

    Returns:
        The module.

    Raises:
        ModuleNotFoundError: It is not installed; the message says ``pip install 'rigging[local]'``.
    """
    return import_optional(module, extra="local", purpose=purpose)


def free_accelerator_memory() -> None:
    """Collect garbage and empty the CUDA cache if torch is already loaded."""
    gc.collect()
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and cuda.is_available():
        cuda.empty_cache()
