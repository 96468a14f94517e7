"""A scripted generator for prompt/tool tests: replies may be text or tool calls.

`ScriptedChat` answers from a shared class-level script, so generators built by
``rg.get_generator("gpt-4o")`` inside seed snippets (with the ``litellm`` provider swapped
for this class by the `scripted` fixture) all draw from one queue and record every request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest

from rigging.generator import GeneratedMessage, GenerateParams, Generator
from rigging.generator import registry as _registry
from rigging.message import Message
from rigging.tool.api import FunctionCall, ToolCall


@dataclass
class Call:
    """A scripted tool-call reply: ``Call("add", {"x": 1})`` (or raw JSON text)."""

    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str | None = None


@dataclass
class Calls:
    """Several tool calls in one assistant message, with optional text."""

    calls: Sequence[Call]
    text: str = ""


@dataclass
class Seen:
    """One request item the generator saw."""

    messages: list[Message]
    params: GenerateParams
    model: str


class ScriptedChat(Generator):
    """Replies from `ScriptedChat.script` in order (str, `Call`, `Calls` or an exception)."""

    script: ClassVar[list[Any]] = []
    seen: ClassVar[list[Seen]] = []
    supports_api_tools: ClassVar[bool] = True

    async def generate_messages(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage]:
        out = []
        for conversation, item in zip(messages, params, strict=True):
            merged = self.params.merge_with(item)
            type(self).seen.append(Seen(list(conversation), merged, self.model))
            if not type(self).script:
                raise AssertionError("the script ran out")
            reply = type(self).script.pop(0)
            out.append(_generated(reply, len(type(self).seen)))
        return out


def _generated(reply: Any, index: int) -> GeneratedMessage:
    if isinstance(reply, Exception):
        raise reply
    if isinstance(reply, Call):
        reply = Calls([reply])
    if isinstance(reply, Calls):
        calls = [
            ToolCall(
                id=c.id or f"call_{index}_{i}",
                function=FunctionCall(
                    name=c.name,
                    arguments=c.arguments
                    if isinstance(c.arguments, str)
                    else json.dumps(c.arguments),
                ),
            )
            for i, c in enumerate(reply.calls)
        ]
        message = Message("assistant", reply.text, tool_calls=calls)
        return GeneratedMessage(message=message, stop_reason="tool_calls")
    return GeneratedMessage.from_text(str(reply), stop_reason="stop")


@pytest.fixture
def scripted() -> Iterator[type[ScriptedChat]]:
    """Swap the default (litellm) provider for `ScriptedChat`; yields the class to script."""
    ScriptedChat.script = []
    ScriptedChat.seen = []
    old = _registry._providers["litellm"]
    _registry.register_generator("litellm", ScriptedChat)
    try:
        yield ScriptedChat
    finally:
        _registry.register_generator("litellm", old)
        ScriptedChat.script = []
        ScriptedChat.seen = []
