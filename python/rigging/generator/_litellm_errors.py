"""How LiteLLM failures and answers are judged: retry classification, provider messages, shapes.

Used by `rigging.generator.litellm_`; nothing here imports litellm at module import.
"""

from __future__ import annotations

import importlib
import re
from typing import Any

from rigging.error import _reduce, _safe_str
from rigging.generator._remote import Failure, parse_retry_after

__all__ = [
    "MalformedResponseError",
    "check_message",
    "check_text",
    "choice_of",
    "classify_litellm_error",
    "key_names",
    "provider_message",
]


def import_litellm() -> Any:
    """litellm, imported the way `rigging.generator.litellm_.import_litellm` does."""
    from rigging.generator.litellm_ import import_litellm as load  # the one place it is set up

    return load()


def _openai_api_error() -> type[Exception]:
    openai = importlib.import_module("openai")  # installed with litellm
    cls: type[Exception] = openai.APIError
    return cls


def _headers_of(exc: Exception) -> Any:
    headers = getattr(exc, "litellm_response_headers", None) or getattr(exc, "headers", None)
    if headers:
        return headers
    response = getattr(exc, "response", None)
    return getattr(response, "headers", None)


# litellm's wrapping of a provider message: "litellm.X: X: OpenAIException - <message>".
_PREFIX = re.compile(r"^(?:(?:litellm\.)?\w+(?:Error|Exception):\s*)*(?:\w+Exception - )?")

# How providers and SDKs say that no credentials were configured at all.
_MISSING_KEY = re.compile(
    r"missing credentials|api_key client option must be set|no api key|"
    r"api key (?:is )?(?:missing|not (?:set|found|provided))",
    re.IGNORECASE,
)


def provider_message(exc: Exception) -> str:
    """The provider's own message in a litellm error, without litellm's prefixes.

    Args:
        exc: The exception raised by litellm.

    Returns:
        The message (not redacted), or ``""``.
    """
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else None
        if isinstance(message, str) and message:
            return message
    text = getattr(exc, "message", None)
    if not isinstance(text, str) or not text:
        text = _safe_str(exc)  # a broken __str__ gives the type's name
    text = text.split("Traceback (most recent call last)", 1)[0]  # litellm may append one
    return _PREFIX.sub("", text, count=1).strip()


def classify_litellm_error(exc: Exception) -> Failure | None:
    """Classify a litellm (or openai) exception for the retry loop.

    Timeouts, connection errors, 429 and 5xx are retryable. Refused credentials (401/403)
    and missing ones (which litellm reports as a 500) are not, nor are other API errors;
    `with_retries` turns them into a `GenerationError` at once. A `GenerationError` raised
    for a malformed answer is retried like a server error.

    Args:
        exc: The exception raised by litellm.

    Returns:
        The classification, or None for exceptions that are not API errors.
    """
    if isinstance(exc, MalformedResponseError):
        return Failure(True, "malformed response", 200, detail=str(exc))
    litellm = import_litellm()
    name = type(exc).__name__
    detail = provider_message(exc)
    if isinstance(exc, litellm.AuthenticationError) or _MISSING_KEY.search(detail):
        status = getattr(exc, "status_code", None)
        missing = _MISSING_KEY.search(detail) is not None
        reason = "missing credentials" if missing else f"HTTP {status} ({name})"
        return Failure(False, reason, status if not missing else None, detail=detail, auth=True)
    if isinstance(exc, litellm.Timeout | TimeoutError):
        return Failure(retryable=True, reason=f"timeout ({name})", detail=detail)
    status = getattr(exc, "status_code", None)
    if isinstance(exc, litellm.APIConnectionError) and not isinstance(status, int):
        return Failure(retryable=True, reason=f"connection error ({name})", detail=detail)
    if not isinstance(status, int) or not isinstance(exc, _openai_api_error()):
        return None
    if status in (401, 403):
        return Failure(False, f"HTTP {status} ({name})", status, detail=detail, auth=True)
    retryable = status == 429 or status >= 500 or isinstance(exc, litellm.APIConnectionError)
    try:
        retry_after = parse_retry_after(_headers_of(exc))
    except (AttributeError, TypeError):
        retry_after = None
    return Failure(retryable, f"HTTP {status} ({name})", status, retry_after, detail)


def key_names(model: str) -> list[str]:
    """The environment variables litellm reads the key of `model` from, when none is set."""
    try:
        found = import_litellm().validate_environment(model=model)
    except Exception:  # an unknown provider: name nothing rather than fail the error path
        return []
    names = found.get("missing_keys") if isinstance(found, dict) else None
    return [str(n) for n in names] if isinstance(names, list) else []


class MalformedResponseError(Exception):
    """A 200 answer without the shape a completion must have (retried, then a GenerationError)."""

    __reduce__ = _reduce


def choice_of(response: Any) -> Any:
    """The first choice of a response, or `MalformedResponseError` naming what is wrong."""
    choices = getattr(response, "choices", None)
    if not isinstance(choices, list | tuple):
        raise MalformedResponseError(
            f"the response has no choices list (got {type(response).__name__})"
        )
    if not choices:
        raise MalformedResponseError('the response has an empty "choices" list')
    return choices[0]


def check_message(choice: Any) -> Any:
    """The message of a chat choice, checked for the fields rigging reads."""
    message = getattr(choice, "message", None)
    if message is None:
        raise MalformedResponseError("the first choice has no message")
    content = getattr(message, "content", None)
    if content is not None and not isinstance(content, str):
        raise MalformedResponseError(f"the message content is a {type(content).__name__}, not text")
    calls = getattr(message, "tool_calls", None) or []
    if not isinstance(calls, list | tuple):
        raise MalformedResponseError(f"the tool calls are a {type(calls).__name__}, not a list")
    for index, call in enumerate(calls):  # what `Message.tool_calls` needs, else a raw error
        function = getattr(call, "function", None)
        name = getattr(function, "name", None)
        arguments = getattr(function, "arguments", None)
        if not isinstance(name, str) or not name:
            raise MalformedResponseError(f"tool call {index} has no function name")
        if not isinstance(arguments, str):
            kind = type(arguments).__name__
            raise MalformedResponseError(f"tool call {index} has {kind} arguments, not text")
        ident = getattr(call, "id", None)
        if ident is not None and not isinstance(ident, str):
            raise MalformedResponseError(f"tool call {index} has an id of type {type(ident)}")
    return message


def check_text(choice: Any) -> str:
    """The text of a text-completion choice, checked (litellm fills a missing one with None)."""
    text = getattr(choice, "text", None)
    if text is None:
        raise MalformedResponseError("the first choice has no text")
    if not isinstance(text, str):
        raise MalformedResponseError(f"the choice text is a {type(text).__name__}, not text")
    return text
