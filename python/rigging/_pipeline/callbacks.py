"""Callback protocols for chat and completion pipelines, and the tool-handler hook."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from rigging.chat import Chat
    from rigging.completion import Completion
    from rigging.message import Message

__all__ = [
    "MapChatCallback",
    "MapCompletionCallback",
    "ThenChatCallback",
    "ThenCompletionCallback",
    "ToolHandler",
    "ToolMessages",
    "ToolPolicy",
    "UntilCompletionCallback",
    "UntilMessageCallback",
    "WatchChatCallback",
    "WatchCompletionCallback",
]


@runtime_checkable
class UntilMessageCallback(Protocol):
    """Checks a generated message: ``(True, messages)`` asks for another round.

    The returned messages replace the checked one (for example the message plus an error
    prompt to send back when recovering).
    """

    def __call__(self, message: Message, /) -> tuple[bool, list[Message]]:
        """Check `message`; return whether to generate again and the messages to keep."""
        ...


@runtime_checkable
class ThenChatCallback(Protocol):
    """Runs on each finished chat; may return a replacement chat (None keeps it)."""

    def __call__(self, chat: Chat, /) -> Awaitable[Chat | None]:
        """Process one chat."""
        ...


@runtime_checkable
class MapChatCallback(Protocol):
    """Runs once on all finished chats of a run and returns the chats to keep."""

    def __call__(self, chats: list[Chat], /) -> Awaitable[list[Chat]]:
        """Process all chats."""
        ...


@runtime_checkable
class WatchChatCallback(Protocol):
    """Observes chats as they finish (after every round; failed chats included)."""

    def __call__(self, chats: list[Chat], /) -> Awaitable[None]:
        """Observe chats."""
        ...


@runtime_checkable
class UntilCompletionCallback(Protocol):
    """Checks a generated text: True asks for another generation from the same prompt."""

    def __call__(self, text: str, /) -> bool:
        """Check `text`."""
        ...


@runtime_checkable
class ThenCompletionCallback(Protocol):
    """Runs on each finished completion; may return a replacement (None keeps it)."""

    def __call__(self, completion: Completion, /) -> Awaitable[Completion | None]:
        """Process one completion."""
        ...


@runtime_checkable
class MapCompletionCallback(Protocol):
    """Runs once on all finished completions of a run and returns the ones to keep."""

    def __call__(self, completions: list[Completion], /) -> Awaitable[list[Completion]]:
        """Process all completions."""
        ...


@runtime_checkable
class WatchCompletionCallback(Protocol):
    """Observes completions as they finish (after every round; failed ones included)."""

    def __call__(self, completions: list[Completion], /) -> Awaitable[None]:
        """Observe completions."""
        ...


class ToolHandler(Protocol):
    """The hook tool support plugs into: consulted after every chat generation.

    A handler looks at the generated message. If it holds calls the handler is responsible
    for, it runs them and returns the messages to append (the tool results); the pipeline
    then keeps the message and the results in the dialog and generates again. Returning
    None means the message is not a tool turn and normal `until` checks apply.
    """

    max_rounds: int
    """How many tool rounds one item may take before the run fails as exhausted."""

    def __call__(self, message: Message, /) -> Awaitable[Sequence[Message] | None]:
        """Handle the tool calls in `message`, if any."""
        ...


@dataclass(frozen=True, slots=True)
class ToolPolicy:
    """How a chat treats tool turns that went wrong (set by `ChatPipeline.using`).

    A handler may carry one as its ``policy`` attribute. A turn goes wrong when a handler
    marks its messages `malformed` (a native call that could not run: not JSON, an unknown
    tool, arguments not fitting), or when `force` is on and the model answered without
    calling any tool before its first tool round.
    """

    force: bool = False
    """The model must call a tool at least once: a reply without a call is sent back."""
    attempt_recovery: bool = True
    """Show the model its failed turn and the feedback; otherwise regenerate without them."""
    drop_dialog: bool = False
    """Once the model recovered, remove the failed turns and their feedback from the chat."""
    max_rounds: int = 5
    """Most failed turns one chat may have; one more fails it as exhausted."""


class ToolMessages(list[Any]):
    """Messages a tool handler returns; ``malformed=True`` marks calls that could not run."""

    malformed: bool = False
    """The turn held calls that could not run (the messages carry the feedback)."""

    def __init__(self, messages: Sequence[Any] = (), *, malformed: bool = False) -> None:
        super().__init__(messages)
        self.malformed = malformed
