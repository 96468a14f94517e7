"""`LiteLLMGenerator`: the default provider, chat and text completion through LiteLLM.

litellm is imported on first use, never at ``import rigging``. Before the import,
``LITELLM_LOCAL_MODEL_COST_MAP`` is set to ``True`` (unless the user set it) so litellm reads
its bundled cost map instead of fetching one. ``drop_params`` and ``max_retries=0`` (rigging
does the retrying) are passed per call rather than set as litellm globals; the one global
touched, on first use, is ``suppress_debug_info`` (litellm's console banner on errors).
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from rigging.generator._remote import Failure, RemoteGenerator, gather_all, parse_retry_after
from rigging.generator.base import check_batch
from rigging.generator.params import GenerateParams
from rigging.generator.results import GeneratedMessage, GeneratedText, Usage
from rigging.message import Message

__all__ = ["LiteLLMGenerator", "import_litellm"]


def import_litellm() -> ModuleType:
    """Import litellm with its cost map read locally (no network at import).

    Returns:
        The litellm module.
    """
    first = "litellm" not in sys.modules
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    litellm = importlib.import_module("litellm")
    if first:
        # Only silences litellm's "Give Feedback / Get Help" banner printed on every error,
        # which would repeat on each retried 429; set on first use, never at rigging import.
        litellm.suppress_debug_info = True
    return litellm


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


def classify_litellm_error(exc: Exception) -> Failure | None:
    """Classify a litellm (or openai) exception for the retry loop.

    Timeouts, connection errors, 429 and 5xx are retryable; other API errors propagate.

    Args:
        exc: The exception raised by litellm.

    Returns:
        The classification, or None for exceptions that are not API errors.
    """
    litellm = import_litellm()
    name = type(exc).__name__
    if isinstance(exc, litellm.Timeout | TimeoutError):
        return Failure(retryable=True, reason=f"timeout ({name})")
    status = getattr(exc, "status_code", None)
    if isinstance(exc, litellm.APIConnectionError) and not isinstance(status, int):
        return Failure(retryable=True, reason=f"connection error ({name})")
    if not isinstance(status, int) or not isinstance(exc, _openai_api_error()):
        return None
    retryable = status == 429 or status >= 500 or isinstance(exc, litellm.APIConnectionError)
    try:
        retry_after = parse_retry_after(_headers_of(exc))
    except (AttributeError, TypeError):
        retry_after = None
    return Failure(retryable, f"HTTP {status} ({name})", status, retry_after)


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
            "id": call.id,
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


class LiteLLMGenerator(RemoteGenerator):
    """Chat and text completion through `litellm.acompletion` / `litellm.atext_completion`.

    Every `GenerateParams` field (and `extra`) is passed to litellm as a keyword argument.
    Requests are bounded by `max_connections` and paced by `min_delay_between_requests`;
    rate limits, timeouts, connection errors and 5xx responses are retried with exponential
    backoff and jitter (honouring ``Retry-After``), then a `GenerationError` is raised.

    When a response holds several choices (``n``), the first one is the result and the
    others' contents are kept in ``extra["other_choices"]``.
    """

    def _kwargs(self, params: GenerateParams) -> dict[str, Any]:
        kwargs = self.params.merge_with(params).to_dict()
        kwargs.setdefault("drop_params", True)
        kwargs.setdefault("max_retries", 0)
        if self.api_key is not None:
            kwargs["api_key"] = self.api_key
        return kwargs

    async def _one_message(
        self, messages: Sequence[Message], params: GenerateParams
    ) -> GeneratedMessage:
        litellm = import_litellm()
        kwargs = self._kwargs(params)
        payload = [message.to_openai_spec() for message in messages]

        async def attempt() -> Any:
            return await litellm.acompletion(model=self.model, messages=payload, **kwargs)

        response = await self._call(attempt, classify_litellm_error)
        choice = response.choices[0]
        message = getattr(choice, "message", None)
        if message is None:
            raise ValueError("litellm returned a streaming response; streaming is not supported")
        generated = Message(
            role="assistant",
            content=message.content or "",
            tool_calls=_tool_calls(message),
        )
        return GeneratedMessage(
            message=generated,
            stop_reason=choice.finish_reason,
            usage=_usage(response),
            extra=_extra(response, choice),
        )

    async def _one_text(self, text: str, params: GenerateParams) -> GeneratedText:
        litellm = import_litellm()
        kwargs = self._kwargs(params)

        async def attempt() -> Any:
            return await litellm.atext_completion(model=self.model, prompt=text, **kwargs)

        response = await self._call(attempt, classify_litellm_error)
        choice = response.choices[0]
        extra: dict[str, Any] = {"response_id": getattr(response, "id", None)}
        if len(response.choices) > 1:
            extra["other_choices"] = [c.text or "" for c in response.choices[1:]]
        return GeneratedText(
            text=choice.text or "",
            stop_reason=choice.finish_reason,
            usage=_usage(response),
            extra=extra,
        )

    async def generate_messages(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage]:
        """Generate one assistant message per conversation, concurrently.

        Args:
            messages: The conversations.
            params: One params object per conversation.

        Returns:
            One result per conversation, in order.
        """
        check_batch(messages, params)
        return await gather_all(
            [self._one_message(m, p) for m, p in zip(messages, params, strict=True)]
        )

    async def generate_texts(
        self,
        texts: Sequence[str],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedText]:
        """Complete each text, concurrently.

        Args:
            texts: The prompts.
            params: One params object per text.

        Returns:
            One result per text, in order.
        """
        check_batch(texts, params)
        return await gather_all([self._one_text(t, p) for t, p in zip(texts, params, strict=True)])
