"""Rigging: a lightweight LLM framework with structured output, prompts, tools and pipelines."""

from __future__ import annotations

from rigging import error, generator, model, parsing, tool
from rigging._native import __version__
from rigging.generator import (
    GeneratedMessage,
    GeneratedText,
    GenerateParams,
    Generator,
    get_generator,
    register_generator,
)
from rigging.message import ContentImageUrl, ContentText, Message, MessageDict, Messages
from rigging.model import Model, attr, element, wrapped
from rigging.util import await_

__all__ = [
    "ContentImageUrl",
    "ContentText",
    "GenerateParams",
    "GeneratedMessage",
    "GeneratedText",
    "Generator",
    "Message",
    "MessageDict",
    "Messages",
    "Model",
    "__version__",
    "attr",
    "await_",
    "element",
    "error",
    "generator",
    "get_generator",
    "model",
    "parsing",
    "register_generator",
    "tool",
    "wrapped",
]
