"""OpenAI response bodies and stream events for the stub server's scripted replies.

Token counts are whitespace-separated words: deterministic, and close enough for tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .openai_stub import Reply

__all__ = [
    "CREATED",
    "chat_chunks",
    "chat_response",
    "message_text",
    "text_chunks",
    "text_response",
]

CREATED = 1_700_000_000  # fixed timestamp: replies are deterministic

Events = list[tuple[str, bool]]


def message_text(content: Any) -> str:
    """The text of a message `content`: a string, or the text parts of a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text", "")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _words(text: str) -> int:
    return len(text.split())


def _prompt_tokens(body: Mapping[str, Any]) -> int:
    if "messages" in body:
        return sum(
            _words(message_text(m.get("content"))) for m in body["messages"] if isinstance(m, dict)
        )
    prompt = body.get("prompt")
    texts = prompt if isinstance(prompt, list) else [prompt]
    return sum(_words(t) for t in texts if isinstance(t, str))


def _usage(body: Mapping[str, Any], reply: Reply, n: int) -> dict[str, int]:
    if reply.usage is not None:
        return dict(reply.usage)
    prompt = _prompt_tokens(body)
    completion = sum(_words(reply.text(i)) for i in range(n)) + n * len(reply.tool_calls)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def _finish(reply: Reply) -> str:
    if reply.finish_reason is not None:
        return reply.finish_reason
    return "tool_calls" if reply.tool_calls else "stop"


def _tool_calls(reply: Reply, ids: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": call_id,
            "type": "function",
            "function": {"name": call.name, "arguments": call.arguments_json()},
        }
        for call, call_id in zip(reply.tool_calls, ids, strict=True)
    ]


def chat_response(
    response_id: str, body: Mapping[str, Any], reply: Reply, n: int, tool_ids: list[str]
) -> dict[str, Any]:
    choices = []
    for i in range(n):
        message: dict[str, Any] = {"role": "assistant", "content": reply.text(i)}
        if reply.tool_calls:
            message["content"] = reply.text(i) or None
            message["tool_calls"] = _tool_calls(reply, tool_ids)
        choices.append(
            {"index": i, "message": message, "finish_reason": _finish(reply), "logprobs": None}
        )
    return {
        "id": response_id,
        "object": "chat.completion",
        "created": CREATED,
        "model": body["model"],
        "choices": choices,
        "usage": _usage(body, reply, n),
        "system_fingerprint": None,
    }


def text_response(
    response_id: str, body: Mapping[str, Any], reply: Reply, n: int, tool_ids: list[str]
) -> dict[str, Any]:
    choices = [
        {"index": i, "text": reply.text(i), "finish_reason": _finish(reply), "logprobs": None}
        for i in range(n)
    ]
    return {
        "id": response_id,
        "object": "text_completion",
        "created": CREATED,
        "model": body["model"],
        "choices": choices,
        "usage": _usage(body, reply, n),
    }


class _Stream:
    """Builds the events of one streamed response."""

    def __init__(self, response_id: str, body: Mapping[str, Any], obj: str, usage: bool) -> None:
        self.base = {"id": response_id, "object": obj, "created": CREATED, "model": body["model"]}
        self.usage = usage
        self.events: Events = []

    def add(self, choices: list[dict[str, Any]], *, text: bool = False) -> None:
        payload: dict[str, Any] = {**self.base, "choices": choices}
        if self.usage:
            payload["usage"] = None
        self.events.append((json.dumps(payload), text))

    def end(self, usage: dict[str, int]) -> Events:
        if self.usage:
            self.events.append((json.dumps({**self.base, "choices": [], "usage": usage}), False))
        self.events.append(("[DONE]", False))
        return self.events


def chat_chunks(
    response_id: str,
    body: Mapping[str, Any],
    reply: Reply,
    n: int,
    tool_ids: list[str],
    usage: bool,
) -> Events:
    stream = _Stream(response_id, body, "chat.completion.chunk", usage)

    def delta(i: int, fields: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"index": i, "delta": fields, "finish_reason": finish, "logprobs": None}

    stream.add([delta(i, {"role": "assistant", "content": ""}) for i in range(n)])
    pieces = [reply.pieces(i) for i in range(n)]
    for step in range(max(map(len, pieces))):
        for i in range(n):
            if step < len(pieces[i]):
                stream.add([delta(i, {"content": pieces[i][step]})], text=True)
    for i in range(n):
        for k, call in enumerate(_tool_calls(reply, tool_ids)):
            function = {"name": call["function"]["name"], "arguments": ""}
            opening = {"index": k, "id": call["id"], "type": "function", "function": function}
            stream.add([delta(i, {"tool_calls": [opening]})])
            arguments = {"index": k, "function": {"arguments": call["function"]["arguments"]}}
            stream.add([delta(i, {"tool_calls": [arguments]})])
        stream.add([delta(i, {}, _finish(reply))])
    return stream.end(_usage(body, reply, n))


def text_chunks(
    response_id: str,
    body: Mapping[str, Any],
    reply: Reply,
    n: int,
    tool_ids: list[str],
    usage: bool,
) -> Events:
    stream = _Stream(response_id, body, "text_completion", usage)

    def choice(i: int, text: str, finish: str | None = None) -> dict[str, Any]:
        return {"index": i, "text": text, "finish_reason": finish, "logprobs": None}

    pieces = [reply.pieces(i) for i in range(n)]
    for step in range(max(map(len, pieces))):
        for i in range(n):
            if step < len(pieces[i]):
                stream.add([choice(i, pieces[i][step])], text=True)
    for i in range(n):
        stream.add([choice(i, "", _finish(reply))])
    return stream.end(_usage(body, reply, n))
