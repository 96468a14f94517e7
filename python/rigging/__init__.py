"""Rigging: a lightweight LLM framework with structured output, prompts, tools and pipelines."""

from __future__ import annotations

import importlib
import typing as t

from rigging import (
    error,
    generator,
    logging,
    model,
    parsing,
    tool,
)
from rigging._exports import public_dir as _public_dir
from rigging._native import __version__

# Pipelines. `rigging.chat` is then rebound from the module to the `chat()` function (as in
# 2.3); `import rigging.chat` / `from rigging.chat import ...` still reach the module.
from rigging.chat import Chat, ChatList, ChatPipeline, MapChatCallback, ThenChatCallback
from rigging.completion import (
    Completion,
    CompletionPipeline,
    MapCompletionCallback,
    ThenCompletionCallback,
)
from rigging.generator import (
    GeneratedMessage,
    GeneratedText,
    GenerateParams,
    Generator,
    get_generator,
    register_generator,
)
from rigging.generator.base import chat, complete
from rigging.interact import interact
from rigging.message import ContentImageUrl, ContentText, Message, MessageDict, Messages
from rigging.model import Model, attr, element, wrapped
from rigging.prompt import Ctx, Prompt, make_prompt, prompt
from rigging.tool import ApiTool, Tool
from rigging.util import await_

__all__ = [
    "ApiTool",
    "Chat",
    "ChatList",
    "ChatPipeline",
    "Completion",
    "CompletionPipeline",
    "ContentImageUrl",
    "ContentText",
    "Ctx",
    "GenerateParams",
    "GeneratedMessage",
    "GeneratedText",
    "Generator",
    "MapChatCallback",
    "MapCompletionCallback",
    "Message",
    "MessageDict",
    "Messages",
    "Model",
    "Prompt",
    "ThenChatCallback",
    "ThenCompletionCallback",
    "Tool",
    "__version__",
    "attr",
    "await_",
    "chat",
    "complete",
    "data",
    "element",
    "error",
    "generator",
    "get_generator",
    "integrations",
    "interact",
    "logger",
    "logging",
    "make_prompt",
    "model",
    "parsing",
    "prompt",
    "register_generator",
    "stream",
    "tool",
    "watchers",
    "wrapped",
]

# Submodules loaded on first use (``rg.stream``, ``rg.data``...): `import rigging` stays light
# (see docs/design/decisions-foundation.md). Their names clash with nothing re-exported here.
_LAZY_MODULES = frozenset({"data", "integrations", "stream", "watchers"})

if t.TYPE_CHECKING:
    from rigging import data, integrations, stream, watchers


if t.TYPE_CHECKING:
    from loguru import logger


def __getattr__(name: str) -> object:
    """Load the lazy submodules, and loguru's `logger`, on first access."""
    if name in _LAZY_MODULES:
        return importlib.import_module(f"rigging.{name}")
    if name == "logger":  # loguru imports asyncio: loaded when first asked for
        return logging.logger
    raise AttributeError(f"module 'rigging' has no attribute {name!r}")


__dir__ = _public_dir(globals())
