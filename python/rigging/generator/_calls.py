"""Module-level helpers of `rigging.generator.base`, which re-exports them.

2.3's `chat` and `complete` shortcuts, and the batch-shape check every generator's batch
methods share.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rigging.chat import ChatPipeline, MessageInput
    from rigging.completion import CompletionPipeline
    from rigging.generator.base import Generator
    from rigging.generator.params import GenerateParams

__all__ = ["chat", "check_batch", "complete"]


def chat(
    generator: Generator,
    messages: MessageInput | None = None,
    params: GenerateParams | None = None,
) -> ChatPipeline:
    """Stage a conversation with `generator` (same as ``generator.chat(...)``).

    Args:
        generator: The generator.
        messages: Messages, dicts or strs.
        params: Pipeline-level params.

    Returns:
        The pipeline.
    """
    return generator.chat(messages, params)


def complete(
    generator: Generator, text: str, params: GenerateParams | None = None
) -> CompletionPipeline:
    """Stage a text completion with `generator` (same as ``generator.complete(...)``).

    Args:
        generator: The generator.
        text: The prompt text.
        params: Pipeline-level params.

    Returns:
        The pipeline.
    """
    return generator.complete(text, params)


def check_batch(inputs: Sequence[Any], params: Sequence[GenerateParams]) -> None:
    """Raise `ValueError` unless there is exactly one params object per input.

    Args:
        inputs: Conversations or texts.
        params: The params given with them.

    Raises:
        ValueError: The lengths differ.
    """
    if len(inputs) != len(params):
        raise ValueError(f"got {len(inputs)} inputs but {len(params)} params; pass one per input")
