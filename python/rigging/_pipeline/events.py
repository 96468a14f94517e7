"""Events of the `stream` / `stream_many` / `stream_batch` methods of the pipelines.

Chat and completion pipelines share the text, model and round events. Every event names the
item it belongs to (`index`, 0 for `stream()`) and, except the `ChatFinishedEvent` /
`CompletionFinishedEvent` at the end, the generation round of that item (1-based; a tool round
or an `until` retry starts a new one).
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass

from rigging._message.tool_calls import ToolCall
from rigging.generator.results import GeneratedMessage, GeneratedT, GeneratedText
from rigging.message import Message
from rigging.model import Model

if t.TYPE_CHECKING:
    from rigging._pipeline.chat import Chat
    from rigging._pipeline.completion import Completion

__all__ = [
    "ChatEvent",
    "ChatFinishedEvent",
    "CompletionEvent",
    "CompletionFinishedEvent",
    "ModelParsedEvent",
    "RoundFinishedEvent",
    "TextDeltaEvent",
    "ToolCallFinishedEvent",
    "ToolCallStartedEvent",
]


@dataclass(frozen=True, slots=True)
class TextDeltaEvent:
    """New text of the assistant message being generated."""

    index: int
    """The item."""
    round: int
    """The item's generation round."""
    text: str
    """The new text."""


@dataclass(frozen=True, slots=True)
class ModelParsedEvent:
    """A model whose closing tag just arrived (same rules as `Message.parse`)."""

    index: int
    """The item."""
    round: int
    """The item's generation round."""
    model: Model
    """The model."""
    slice: slice
    """Where its element is in the message content (code points)."""


@dataclass(frozen=True, slots=True)
class ToolCallStartedEvent:
    """A generated message asks for a tool call; a tool handler is about to run.

    Every call of the message is reported, in call order, before any runs: API calls
    (`Message.tool_calls`) and native ``<tool-call>`` elements alike.
    """

    index: int
    """The item."""
    round: int
    """The item's generation round."""
    call: ToolCall
    """The call. A native call has no provider id: its id is ``native-<n>``, ``n`` its 0-based
    position in the message, and its arguments the JSON text between its tags (entities
    decoded, as the tool reads it)."""


@dataclass(frozen=True, slots=True)
class ToolCallFinishedEvent:
    """A tool handler answered a tool call (reported in call order, after the handler ran).

    Native calls are answered together, in one ``user`` message with one ``<tool-result>``
    element per call in call order: each of their finished events carries that same message.
    """

    index: int
    """The item."""
    round: int
    """The item's generation round."""
    call: ToolCall
    """The call."""
    result: Message | None
    """The tool message answering it (None when the handler gave none for this id); for a
    native call, the results message of every call of its message (its element is the
    ``n``-th of ``native-<n>``; None when nothing ran, a malformed turn regenerated)."""


@dataclass(frozen=True, slots=True)
class RoundFinishedEvent(t.Generic[GeneratedT]):
    """One generation of an item ended (before `until` checks and tools decide on it)."""

    index: int
    """The item."""
    round: int
    """The item's generation round."""
    generated: GeneratedT
    """The whole generated message (`GeneratedText` for completions), stop reason and usage."""
    stopped_early: bool
    """The stream was closed once every requested model was parsed."""


@dataclass(frozen=True, slots=True)
class ChatFinishedEvent:
    """The final chat of an item, equal to what `run()` returns for the same output."""

    index: int
    """The item (its position among the final results)."""
    chat: Chat
    """The chat (after `map` and `then` callbacks)."""


@dataclass(frozen=True, slots=True)
class CompletionFinishedEvent:
    """The final completion of an item, equal to what `run()` returns for the same output."""

    index: int
    """The item (its position among the final results)."""
    completion: Completion
    """The completion (after `map` and `then` callbacks)."""


ChatEvent = t.Union[  # noqa: UP007 - runtime alias
    TextDeltaEvent,
    ModelParsedEvent,
    ToolCallStartedEvent,
    ToolCallFinishedEvent,
    RoundFinishedEvent[GeneratedMessage],
    ChatFinishedEvent,
]
"""Any event of a chat stream."""

CompletionEvent = t.Union[  # noqa: UP007 - runtime alias
    TextDeltaEvent,
    ModelParsedEvent,
    RoundFinishedEvent[GeneratedText],
    CompletionFinishedEvent,
]
"""Any event of a completion stream."""
