"""Helpers shared by the local-model generators (extras ``[vllm]`` and ``[transformers]``)."""

from __future__ import annotations

import gc
import sys
from types import ModuleType

from rigging._deps import import_optional

__all__ = ["free_accelerator_memory", "import_local"]


def import_local(module: str, purpose: str) -> ModuleType:
    """Import a local-model dependency, or fail naming the extra that installs it.

    Args:
        module: Module name (``vllm``, ``transformers``); the extra has the same name.
        purpose: What needs it, for the error message.

    Returns:
        The module.

    Raises:
        ModuleNotFoundError: It is not installed; the message says, e.g.,
            ``pip install 'rigging[vllm]'``.
    """
    return import_optional(module, extra=module, purpose=purpose)


def free_accelerator_memory() -> None:
    """Collect garbage and empty the CUDA cache if torch is already loaded."""
    gc.collect()
    torch = sys.modules.get("torch")
    cuda = getattr(torch, "cuda", None)
    if cuda is not None and cuda.is_available():
        cuda.empty_cache()
