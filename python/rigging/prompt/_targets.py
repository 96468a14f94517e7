"""What a prompt can be bound to, and how a single call fails."""

from __future__ import annotations

import typing as t

from rigging.chat import Chat, ChatPipeline
from rigging.error import InvalidArgumentError
from rigging.generator import Generator, get_generator

if t.TYPE_CHECKING:
    from rigging._pipeline.state import FailMode

__all__ = ["Target", "resolve_target", "single_mode"]

Target = t.Union["ChatPipeline", "Generator", "Chat", str]


def resolve_target(target: t.Any) -> ChatPipeline:
    """The chat pipeline a prompt bound to `target` runs on."""
    if isinstance(target, ChatPipeline):
        return target
    if isinstance(target, Generator):
        return target.chat()
    if isinstance(target, Chat):
        return target.restart(include_all=True)
    if isinstance(target, str):
        return get_generator(target).chat()
    raise InvalidArgumentError(
        f"cannot bind a prompt to {type(target).__name__}: pass a ChatPipeline, a Generator, "
        "a Chat or a generator id"
    )


def single_mode(pipeline: ChatPipeline) -> FailMode | None:
    """The failure mode of a single call on `pipeline` (None: the pipeline's own).

    ``"raise"`` where the pipeline skips failures: one skipped item leaves nothing to return,
    so the item's own error is what the caller gets.
    """
    return "raise" if pipeline.on_failed == "skip" else None
