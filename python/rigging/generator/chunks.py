"""What `Generator.stream_messages` yields, and how the pieces become one `GeneratedMessage`.

A stream is a sequence of `TextDelta` and `ToolCallDelta` chunks ended by exactly one
`StreamFinish`. `MessageAssembler` joins them into the `GeneratedMessage` (or, for
`Generator.stream_texts`, the `GeneratedText`) the non-streamed call would have returned for
the same output.
"""

from __future__ import annotations

import typing as t
from dataclasses import dataclass, field

from rigging._exports import public_dir as _public_dir
from rigging._surrogates import join_pairs
from rigging.generator.results import GeneratedMessage, GeneratedText, StopReason, Usage
from rigging.message import Message

__all__ = ["MessageAssembler", "StreamChunk", "StreamFinish", "TextDelta", "ToolCallDelta"]


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the assistant's text, in arrival order."""

    text: str
    """The new text (never empty)."""


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A piece of a tool call: the first piece of a call names it, later ones add arguments."""

    index: int
    """Which call of the message the piece belongs to (0-based)."""
    id: str | None = None
    """The call id, on the piece that opens the call."""
    name: str | None = None
    """The function name, on the piece that opens the call."""
    arguments: str = ""
    """More JSON text of the arguments."""


@dataclass(frozen=True, slots=True)
class StreamFinish:
    """The last chunk of a stream: why it ended, token usage and provider details."""

    stop_reason: StopReason = "unknown"
    """Why the generation ended (provider values already converted)."""
    usage: Usage | None = None
    """Token counts, when the provider reported them."""
    extra: dict[str, t.Any] = field(default_factory=dict)
    """Provider-specific details (response id, …)."""


StreamChunk = TextDelta | ToolCallDelta | StreamFinish
"""One item of `Generator.stream_messages` (or `stream_texts`, which has no tool calls)."""

_FIELDS: dict[type, tuple[tuple[str, tuple[type, ...], str], ...]] = {
    TextDelta: (("text", (str,), "a str"),),
    ToolCallDelta: (
        ("index", (int,), "an int"),
        ("id", (str, type(None)), "a str or None"),
        ("name", (str, type(None)), "a str or None"),
        ("arguments", (str,), "a str"),
    ),
    StreamFinish: (
        ("stop_reason", (str, type(None)), "a str"),
        ("usage", (Usage, dict, type(None)), "a Usage or None"),
        ("extra", (dict,), "a dict"),
    ),
}


def chunk_problem(chunk: object) -> str | None:
    """What is wrong with `chunk` as a stream chunk (its type or a field's), or None.

    Args:
        chunk: What a stream yielded.

    Returns:
        E.g. ``"yielded a TextDelta whose text is bytes, not a str"``; None for a good chunk.
    """
    if type(chunk) is TextDelta and type(chunk.text) is str:  # nearly every chunk
        return None
    fields = next((f for kind, f in _FIELDS.items() if isinstance(chunk, kind)), None)
    if fields is None:
        return f"yielded {type(chunk).__name__}, not a TextDelta, ToolCallDelta or StreamFinish"
    for name, types, wanted in fields:
        value = getattr(chunk, name)
        if not isinstance(value, types) or isinstance(value, bool):
            kind = type(chunk).__name__
            return f"yielded a {kind} whose {name} is {type(value).__name__}, not {wanted}"
    return None


@dataclass(slots=True)
class _Call:
    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)


class MessageAssembler:
    """Collects stream chunks into the final `GeneratedMessage`.

    Text is kept as a list of pieces and joined once, so collecting is linear in the text.
    """

    def __init__(self) -> None:
        self._text: list[str] = []
        self._calls: dict[int, _Call] = {}
        self.finish: StreamFinish | None = None
        """The `StreamFinish` chunk, once received."""

    def add(self, chunk: StreamChunk) -> None:
        """Record one chunk.

        Args:
            chunk: The chunk.

        Raises:
            TypeError: ``chunk`` is not a stream chunk, or a field of it has the wrong type
                (a `TextDelta` of bytes, say).
        """
        problem = chunk_problem(chunk)
        if problem is not None:
            raise TypeError(f"a stream {problem}")
        if isinstance(chunk, TextDelta):
            self._text.append(chunk.text)
        elif isinstance(chunk, ToolCallDelta):
            call = self._calls.setdefault(chunk.index, _Call())
            call.id = chunk.id or call.id
            call.name += chunk.name or ""
            call.arguments.append(chunk.arguments)
        elif isinstance(chunk, StreamFinish):
            self.finish = chunk

    @property
    def text(self) -> str:
        """The text received so far (surrogate pairs split across chunks joined again)."""
        return join_pairs("".join(self._text))

    def tool_calls(self) -> list[dict[str, t.Any]] | None:
        """The tool calls received so far, in index order (None when there are none).

        Returns:
            OpenAI-style tool call dicts.
        """
        if not self._calls:
            return None
        return [
            {
                "id": call.id or f"call_{index}",
                "type": "function",
                "function": {"name": call.name, "arguments": "".join(call.arguments)},
            }
            for index, call in sorted(self._calls.items())
        ]

    def result(self, *, stopped_early: bool = False) -> GeneratedMessage:
        """The assistant message built from everything received.

        Args:
            stopped_early: The consumer closed the stream before its end; recorded as
                ``extra["stopped_early"] = True`` with stop reason ``"stop"``.

        Returns:
            The generated message.
        """
        finish, stop_reason, extra = self._end(stopped_early)
        message = Message(role="assistant", content=self.text, tool_calls=self.tool_calls())
        return GeneratedMessage(
            message=message, stop_reason=stop_reason, usage=finish.usage, extra=extra
        )

    def text_result(self, *, stopped_early: bool = False) -> GeneratedText:
        """The completion built from everything received (`Generator.stream_texts`).

        Args:
            stopped_early: As for `result`.

        Returns:
            The generated text.
        """
        finish, stop_reason, extra = self._end(stopped_early)
        return GeneratedText(
            text=self.text, stop_reason=stop_reason, usage=finish.usage, extra=extra
        )

    def _end(self, stopped_early: bool) -> tuple[StreamFinish, StopReason, dict[str, t.Any]]:
        finish = self.finish or StreamFinish()
        extra = dict(finish.extra)
        stop_reason = finish.stop_reason
        if stopped_early:
            extra["stopped_early"] = True
            stop_reason = "stop"
        return finish, stop_reason, extra


__dir__ = _public_dir(globals())
