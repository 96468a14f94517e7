"""An offline generator that answers any documented example plausibly (for docs tests).

`Responder` reads the request the way a cooperative model would: with API tools offered and
no tool result yet, it calls the first tool with arguments made from its schema; with native
tools described in the system prompt, it writes a ``<tool-call>``; otherwise it fills every
empty example tag of the last prompt (``<t></t>`` or ``<t/>``) with ``1``, which reads as a
str, int, float or bool alike, and repeats them when a list is asked for. Every request is
recorded in `Responder.seen`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pytest

from rigging.generator import GeneratedMessage, GenerateParams, Generator
from rigging.generator import registry as _registry
from rigging.message import Message
from rigging.tool.api import FunctionCall, ToolCall

_EMPTY = re.compile(r"<([A-Za-z_][\w.-]*)(?:\s[^<>]*)?(?:/>|></\1>)")
_NATIVE_TOOL = re.compile(
    r'<tool name="([^"]+)">\s*(?:<description>.*?</description>\s*)?'
    r"<parameters>(.*?)</parameters>",
    re.DOTALL,
)
_SAMPLES = {"integer": 2, "number": 1.5, "boolean": True, "string": "text", "array": []}


def _arguments(schema: dict[str, Any] | None) -> dict[str, Any]:
    properties = (schema or {}).get("properties", {})
    return {
        name: _SAMPLES.get(spec.get("type", "string"), "text") for name, spec in properties.items()
    }


def _fill(prompt: str) -> str:
    tags = list(dict.fromkeys(m.group(0) for m in _EMPTY.finditer(prompt)))
    if not tags:
        return "Hello! How can I help you today?"
    filled = [re.sub(r"<([\w.-]+)[^<>]*?/?>(</\1>)?$", r"<\1>1</\1>", t) for t in tags]
    repeat = 3 if "for each item" in prompt or "3 fun facts" in prompt else 1
    return "Here you go:\n" + "\n".join(filled * repeat)


def _reply(messages: Sequence[Message], params: GenerateParams) -> GeneratedMessage:
    answered = any(m.role == "tool" or "<tool-result" in m.content for m in messages)
    if params.tools and not answered:
        function = params.tools[0].function
        call = ToolCall(
            id="call_1",
            function=FunctionCall(
                name=function.name, arguments=json.dumps(_arguments(function.parameters))
            ),
        )
        return GeneratedMessage(
            message=Message("assistant", "", tool_calls=[call]), stop_reason="tool_calls"
        )
    system = next((m.content for m in messages if m.role == "system"), "")
    native = _NATIVE_TOOL.search(system)
    if native and not answered:
        name, schema = native.group(1), json.loads(native.group(2).replace("&amp;", "&"))
        text = f'<tool-call name="{name}">{json.dumps(_arguments(schema))}</tool-call>'
        return GeneratedMessage.from_text(text, stop_reason="stop")
    prompt = next((m.content for m in reversed(messages) if m.role in ("user", "system")), "")
    return GeneratedMessage.from_text(_fill(prompt), stop_reason="stop")


class Responder(Generator):
    """Answers every request cooperatively (see the module docstring)."""

    seen: ClassVar[list[list[Message]]] = []
    supports_api_tools: ClassVar[bool] = True

    async def generate_messages(
        self, messages: Sequence[Sequence[Message]], params: Sequence[GenerateParams]
    ) -> Sequence[GeneratedMessage]:
        out = []
        for conversation, item in zip(messages, params, strict=True):
            type(self).seen.append(list(conversation))
            out.append(_reply(conversation, self.params.merge_with(item)))
        return out


@pytest.fixture
def responder() -> Iterator[type[Responder]]:
    """Make the default (litellm) provider a `Responder` for the test."""
    Responder.seen = []
    old = _registry._providers["litellm"]
    _registry.register_generator("litellm", Responder)
    try:
        yield Responder
    finally:
        _registry.register_generator("litellm", old)
        Responder.seen = []
