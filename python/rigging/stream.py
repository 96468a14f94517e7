"""Streaming: text and parsed models as they arrive.

- `Generator.stream_messages` yields `TextDelta`, `ToolCallDelta` and a final `StreamFinish`;
  `MessageAssembler` joins them into a `GeneratedMessage`.
- `ModelStream` parses models out of text fed piece by piece, emitting each one once, at the
  piece that closed its element, with the rules of `Message.parse`.
- `ChatPipeline.stream()` / `stream_many()` / `stream_batch()` return a `ChatStream` of
  `ChatEvent` values; the same methods of `CompletionPipeline` a `CompletionStream` of
  `CompletionEvent` values (fed by `Generator.stream_texts`); `Prompt.stream(...)` a
  `PromptStream` ending with a `PromptFinishedEvent` (the typed value).

Example:
    >>> import rigging as rg
    >>> from rigging.generator.testing import FixedGenerator
    >>> from rigging.model import Answer
    >>> pipeline = FixedGenerator(model="x", text="<answer>4</answer>").chat("2+2?")
    >>> async def main() -> list[str]:
    ...     kinds = []
    ...     async for event in pipeline.until_parsed_as(Answer).stream():
    ...         kinds.append(type(event).__name__)
    ...     return kinds
    >>> rg.await_(main())
    ['TextDeltaEvent', 'ModelParsedEvent', 'RoundFinishedEvent', 'ChatFinishedEvent']
"""

from __future__ import annotations

from rigging._exports import public_dir as _public_dir
from rigging._model.stream import ModelStream, ParsedModel
from rigging._pipeline.events import (
    ChatEvent,
    ChatFinishedEvent,
    CompletionEvent,
    CompletionFinishedEvent,
    ModelParsedEvent,
    RoundFinishedEvent,
    TextDeltaEvent,
    ToolCallFinishedEvent,
    ToolCallStartedEvent,
)
from rigging._pipeline.stream import ChatStream, CompletionStream, EventStream
from rigging.generator.chunks import (
    MessageAssembler,
    StreamChunk,
    StreamFinish,
    TextDelta,
    ToolCallDelta,
)
from rigging.prompt._stream import PromptFinishedEvent, PromptStream

__all__ = [
    "ChatEvent",
    "ChatFinishedEvent",
    "ChatStream",
    "CompletionEvent",
    "CompletionFinishedEvent",
    "CompletionStream",
    "EventStream",
    "MessageAssembler",
    "ModelParsedEvent",
    "ModelStream",
    "ParsedModel",
    "PromptFinishedEvent",
    "PromptStream",
    "RoundFinishedEvent",
    "StreamChunk",
    "StreamFinish",
    "TextDelta",
    "TextDeltaEvent",
    "ToolCallDelta",
    "ToolCallFinishedEvent",
    "ToolCallStartedEvent",
]


__dir__ = _public_dir(globals())
