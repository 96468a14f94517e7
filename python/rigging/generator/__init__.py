"""Generators turn conversations or text into model output.

The registry facade: `get_generator` builds a generator from a connection string
(``[provider!]model[,key=value]*``), `get_identifier` turns one back into a string (never with
its api key), and `register_generator` adds providers. Built-in providers: ``litellm``
(default), ``http``, ``vllm`` and ``transformers`` (extras ``[vllm]``, ``[transformers]``),
all imported on first use, and ``base``. `LiteLLMGenerator`, `HTTPGenerator`, `HTTPSpec`,
`VLLMGenerator` and `TransformersGenerator` are loaded lazily on attribute access.
"""

from __future__ import annotations

import importlib
import typing as t
from typing import TYPE_CHECKING, Any

from rigging._deps import import_optional
from rigging._exports import public_dir as _public_dir
from rigging.generator.base import (
    GeneratedMessage,
    GeneratedText,
    Generator,
    StopReason,
    Usage,
    chat,
    complete,
    convert_stop_reason,
)
from rigging.generator.params import GenerateParams
from rigging.generator.registry import (
    LazyGenerator,
    get_generator,
    get_identifier,
    providers,
    register_generator,
)

if TYPE_CHECKING:
    from rigging.generator.http import HTTPGenerator, HTTPSpec
    from rigging.generator.litellm_ import LiteLLMGenerator
    from rigging.generator.transformers_ import TransformersGenerator
    from rigging.generator.vllm_ import VLLMGenerator

__all__ = [
    "GenerateParams",
    "GeneratedMessage",
    "GeneratedText",
    "Generator",
    "HTTPGenerator",
    "HTTPSpec",
    "LazyGenerator",
    "LiteLLMGenerator",
    "StopReason",
    "TransformersGenerator",
    "Usage",
    "VLLMGenerator",
    "chat",
    "complete",
    "convert_stop_reason",
    "get_generator",
    "get_identifier",
    "get_transformers_lazy",
    "get_vllm_lazy",
    "providers",
    "register_generator",
]

_LAZY = {
    "HTTPGenerator": "rigging.generator.http",
    "HTTPSpec": "rigging.generator.http",
    "LiteLLMGenerator": "rigging.generator.litellm_",
    "TransformersGenerator": "rigging.generator.transformers_",
    "VLLMGenerator": "rigging.generator.vllm_",
}


def get_vllm_lazy() -> type[Generator]:
    """2.3's loader of the ``vllm`` provider: the `VLLMGenerator` class.

    Raises:
        ModuleNotFoundError: vLLM is not installed (the message names the extra).
    """
    import_optional("vllm", extra="vllm", purpose="the vllm generator")
    return t.cast("type[Generator]", __getattr__("VLLMGenerator"))


def get_transformers_lazy() -> type[Generator]:
    """2.3's loader of the ``transformers`` provider: the `TransformersGenerator` class.

    Raises:
        ModuleNotFoundError: transformers is not installed (the message names the extra).
    """
    import_optional("transformers", extra="transformers", purpose="the transformers generator")
    return t.cast("type[Generator]", __getattr__("TransformersGenerator"))


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'rigging.generator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__dir__ = _public_dir(globals())
