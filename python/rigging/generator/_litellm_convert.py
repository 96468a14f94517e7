"""litellm's responses and stream chunks read into rigging's results and stream chunks.

Used by `rigging.generator.litellm_`; nothing here imports litellm.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rigging.error import GenerationError, _reduce
from rigging.generator.chunks import StreamChunk, TextDelta, ToolCallDelta
from rigging.generator.results import Usage


def _usage(response: Any) -> Usage | None:
    usage = getattr(response, "usage", None)
    if usage is None or getattr(usage, "prompt_tokens", None) is None:
        return None
    return Usage(
        input_tokens=usage.prompt_tokens or 0,
        output_tokens=usage.completion_tokens or 0,
        total_tokens=usage.total_tokens or 0,
    )


def _tool_calls(message: Any) -> list[dict[str, Any]] | None:
    calls = getattr(message, "tool_calls", None)
    if not calls:
        return None
    return [
        {
            "id": call.id or "",  # a missing id: the tool handler gives the call one
            "type": "function",
            "function": {"name": call.function.name, "arguments": call.function.arguments},
        }
        for call in calls
    ]


def _extra(response: Any, choice: Any) -> dict[str, Any]:
    extra: dict[str, Any] = {"response_id": getattr(response, "id", None)}
    provider = getattr(response, "_hidden_params", {}).get("custom_llm_provider")
    if provider:
        extra["provider"] = provider
    fields = getattr(choice, "provider_specific_fields", None)
    if isinstance(fields, dict):
        extra.update(fields)
    others = getattr(response, "choices", [])[1:]
    if others:
        extra["other_choices"] = [getattr(c.message, "content", None) or "" for c in others]
    return extra


class MalformedChunkError(Exception):
    """A stream chunk that does not have the shape rigging reads (its text a number, say)."""

    __reduce__ = _reduce


def _checked(value: Any, what: str, kind: type = str) -> Any:
    """`value` when it is None or a `kind` (never a bool), else `MalformedChunkError`."""
    if value is None or (isinstance(value, kind) and not isinstance(value, bool)):
        return value
    wanted = "text" if kind is str else f"an {kind.__name__}"
    raise MalformedChunkError(f"{what} is a {type(value).__name__}, not {wanted}")


def _first_choice(chunk: Any, seen: dict[str, Any]) -> Any:
    """The first choice of a stream chunk (None for the usage-only last chunk).

    Records the chunk's response id, usage and finish reason in `seen`.
    """
    seen["response_id"] = seen.get("response_id") or getattr(chunk, "id", None)
    usage = _usage(chunk)
    if usage is not None:
        seen["usage"] = usage
    choices = getattr(chunk, "choices", None) or []
    if not choices:
        return None
    choice = choices[0]
    if getattr(choice, "finish_reason", None):
        seen["finish_reason"] = choice.finish_reason
    return choice


def _stream_chunks(chunk: Any, seen: dict[str, Any]) -> list[StreamChunk]:
    """Convert one litellm stream chunk; the finish reason, usage and id go into `seen`."""
    out: list[StreamChunk] = []
    choice = _first_choice(chunk, seen)
    if choice is None:
        return out
    delta = getattr(choice, "delta", None)
    text = _checked(getattr(delta, "content", None), "the delta's content")
    calls = getattr(delta, "tool_calls", None) or []
    if not isinstance(calls, list | tuple):
        raise MalformedChunkError(f"the delta's tool calls are a {type(calls).__name__}")
    if text is not None or calls or getattr(delta, "role", None) is not None:
        seen["delta"] = True  # the provider sent a message (litellm's made-up chunks do not)
    if text:
        out.append(TextDelta(text))
    for call in calls:
        seen["calls"] = True
        function = getattr(call, "function", None)
        out.append(
            ToolCallDelta(
                index=_checked(getattr(call, "index", None), "a tool call's index", int) or 0,
                id=_checked(getattr(call, "id", None), "a tool call's id"),
                name=_checked(getattr(function, "name", None), "a tool call's name"),
                arguments=_checked(getattr(function, "arguments", None), "its arguments") or "",
            )
        )
    return out


def _text_stream_chunks(chunk: Any, seen: dict[str, Any]) -> list[StreamChunk]:
    """Convert one litellm text-completion stream chunk (see `_stream_chunks`)."""
    choice = _first_choice(chunk, seen)
    text = _checked(getattr(choice, "text", None), "the choice's text")
    if text is not None:
        seen["delta"] = True
    return [TextDelta(text)] if text else []


def _check_stream(
    seen: dict[str, Any], model: str, received: int, redact: Callable[[str], str]
) -> None:
    """Refuse a stream that ended without delivering what it claims.

    litellm makes up a ``stop`` chunk for a body with no events (empty, only ``[DONE]``, or a
    JSON completion where events were asked for), and drops a malformed tool-call delta while
    keeping its ``tool_calls`` finish reason: both looked like a successful, empty answer. A
    finish reason of the provider's own (``content_filter``, ``length``) is an answer even
    without a message, and is kept.
    """
    problem = None
    if not seen.get("delta") and seen.get("finish_reason") in (None, "stop"):
        problem = "the provider sent no message (no event carried a role, text or tool call)"
    elif seen.get("finish_reason") == "tool_calls" and not seen.get("calls"):
        problem = "it finished for tool calls but carried none that could be read"
    if problem is not None:
        message = f"stream from model {model!r} ended after {received} chunk(s): {problem}"
        raise GenerationError(redact(message), model=model, attempts=1)
