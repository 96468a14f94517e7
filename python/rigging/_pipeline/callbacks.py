"""Callback protocols for chat and completion pipelines, and the tool-handler hook."""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from rigging.tool._handler import ToolMessages, ToolPolicy

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
