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
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from types import ModuleType
from typing import Any, ClassVar

from pydantic import PrivateAttr

from rigging._exports import public_dir as _public_dir
from rigging._redact import environment_secrets, redact_data
from rigging.generator._fixups import Fixups, OpenAIToolsWithImageURLsFixup, send_fixed
from rigging.generator._litellm_clients import (  # tests read it here
    _openai_text_target as _openai_text_target,
)
from rigging.generator._litellm_clients import _TextClients
from rigging.generator._litellm_convert import (
    _check_stream,
    _extra,
    _stream_chunks,
    _text_stream_chunks,
    _tool_calls,
    _usage,
)
from rigging.generator._litellm_errors import (
    check_message,
    check_text,
    choice_of,
    classify_litellm_error,
    key_names,
)
from rigging.generator._litellm_stream import _close, _converted, _time_limit
from rigging.generator._litellm_stream import _next_chunk as _next_chunk  # tests read it here
from rigging.generator._origin import refuse_data_endpoints
from rigging.generator._remote import (
    Failure,
    RemoteGenerator,
    gather_all,
    gather_settled,
    with_deadline,
    with_retries,
)
from rigging.generator.base import check_batch
from rigging.generator.chunks import StreamChunk, StreamFinish
from rigging.generator.params import GenerateParams
from rigging.generator.results import (
    GeneratedMessage,
    GeneratedText,
    Usage,
    convert_stop_reason,
)
from rigging.message import Message

__all__ = [
    "LiteLLMGenerator",
    "OpenAIToolsWithImageURLsFixup",
    "get_max_tokens_for_model",
    "import_litellm",
]


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
        setattr(litellm, "suppress_debug_info", True)  # noqa: B010 (untyped module attribute)
    return litellm


def get_max_tokens_for_model(model: str) -> int | None:
    """The most tokens `model` may generate, from litellm's local model list (2.3's helper).

    The name is looked up as given, then without its leading ``provider/`` segments, one at
    a time (``openrouter/openai/gpt-4o``, ``openai/gpt-4o``, ``gpt-4o``). The entry's
    ``max_tokens``, else its ``max_output_tokens`` (newer litellm lists only that one), is
    the answer. Generators do not use it.

    Args:
        model: The model name, as in a connection string.

    Returns:
        The limit, or None when litellm does not list the model or gives no integer limit.
    """
    costs = import_litellm().model_cost
    name = model
    while True:
        entry = costs.get(name)
        if isinstance(entry, dict):
            for key in ("max_tokens", "max_output_tokens"):
                value = entry.get(key)
                if isinstance(value, int) and not isinstance(value, bool):
                    return value
            return None
        if "/" not in name:
            return None
        name = name.split("/", 1)[1]


def _priced(usage: Usage | None, model: str) -> Usage | None:
    """`usage` with its USD cost from litellm's local price list, when it lists `model`."""
    if usage is None:
        return None
    try:
        prompt_cost, completion_cost = import_litellm().cost_per_token(
            model=model,
            prompt_tokens=usage.input_tokens,
            completion_tokens=usage.output_tokens,
        )
    except Exception:
        return usage
    usage.cost = float(prompt_cost) + float(completion_cost)
    return usage


class LiteLLMGenerator(RemoteGenerator):
    """Chat and text completion through `litellm.acompletion` / `litellm.atext_completion`.

    Every `GenerateParams` field (and `extra`) is passed to litellm as a keyword argument.
    Requests are bounded by `max_connections` and paced by `min_delay_between_requests`;
    rate limits, timeouts, connection errors and 5xx responses are retried with exponential
    backoff and jitter (honouring ``Retry-After``), then a `GenerationError` is raised that
    names the provider's own message (redacted). A 200 answer without the shape of a
    completion (no choices, no message, content that is not text, not JSON) is retried the
    same way. Refused credentials (401/403) and missing ones are not retried: the error says
    which setting to fix (``api_key=`` or the provider's variable, e.g. ``OPENAI_API_KEY``).
    In pipelines each conversation's error is its own (`generate_messages_settled`). A
    ``timeout`` bounds each request as a whole, not only each read (a server sending its
    answer a byte at a time is cut off and retried); a stream's is the opening's bound and
    the longest wait for each chunk.

    When a response holds several choices (``n``), the first one is the result and the
    others' contents are kept in ``extra["other_choices"]``.

    Conversations go through the generator's fixups (`rigging.generator.base.Fixup`): when
    OpenAI refuses an image in a ``tool`` message, `OpenAIToolsWithImageURLsFixup` is turned
    on for this generator and the request is sent again with the images in a ``user``
    message; later requests are rewritten up front.

    The text completions of one `generate_texts` batch that litellm sends through its OpenAI
    SDK path (``openai/``, ``text-completion-openai/`` and the OpenAI-compatible providers)
    share one SDK client, closed when the batch ends (a `stream_texts` call: when the stream
    closes); litellm alone builds, and leaks, a new client and connection per call there. A
    ``client`` passed in ``extra`` is left alone.
    """

    supports_api_tools: ClassVar[bool] = True
    """Tools go to litellm's function calling (``GenerateParams.tools``)."""

    _fixups: Fixups = PrivateAttr(
        default_factory=lambda: Fixups(available=[OpenAIToolsWithImageURLsFixup()])
    )

    def _request_secrets(self, params: GenerateParams | None) -> list[str]:
        """The request's secrets, and the keys litellm may read from the environment.

        With no ``api_key`` litellm sends a key from ``OPENAI_API_KEY`` and the like; a
        provider's 401 may echo it. Every variable litellm reads a key from has a secret
        name (`key_names` can only list the ones that are missing).
        """
        return [*super()._request_secrets(params), *environment_secrets()]

    def _hint(self, failure: Failure) -> str | None:
        """Name the setting to fix for a credential failure (the provider's env variable)."""
        if not failure.auth:
            return None
        names = key_names(self.model)
        where = " or set " + " / ".join(names) if names else ""
        if self.api_key:
            return f"the provider refused the api key: check api_key={where}"
        return f"no api key: pass api_key= (or ,api_key= in the identifier){where}"

    def _kwargs(self, params: GenerateParams) -> dict[str, Any]:
        merged = self.params.merge_with(params)
        kwargs = merged.to_dict()
        kwargs.setdefault("drop_params", True)
        kwargs.setdefault("max_retries", 0)
        if self.api_key is not None:
            kwargs["api_key"] = self.api_key
        refuse_data_endpoints(merged, kwargs, self.model)
        return kwargs

    async def _one_message(
        self, messages: Sequence[Message], params: GenerateParams
    ) -> GeneratedMessage:
        litellm = import_litellm()
        kwargs = self._kwargs(params)
        limit = _time_limit(kwargs.get("timeout"))

        async def send(payload: list[dict[str, Any]]) -> Any:
            return await with_deadline(
                limit, lambda: litellm.acompletion(model=self.model, messages=payload, **kwargs)
            )

        async def attempt() -> tuple[Any, Any, Any]:
            response = await send_fixed(self._fixups, messages, send)
            choice = choice_of(response)
            return response, choice, check_message(choice)

        redact = self._request_redactor(params)
        response, choice, message = await self._call(attempt, classify_litellm_error, redact)
        generated = Message(
            role="assistant",
            content=message.content or "",
            tool_calls=_tool_calls(message),
        )
        return GeneratedMessage(
            message=generated,
            stop_reason=choice.finish_reason,
            usage=_priced(_usage(response), self.model),
            extra=redact_data(_extra(response, choice), redact),  # a server may echo the key
        )

    async def _one_text(
        self, text: str, params: GenerateParams, clients: _TextClients | None = None
    ) -> GeneratedText:
        litellm = import_litellm()
        kwargs = self._kwargs(params)
        client = None if clients is None else clients.client_for(self.model, kwargs)
        if client is not None:
            kwargs["client"] = client

        limit = _time_limit(kwargs.get("timeout"))

        async def attempt() -> tuple[Any, Any, str]:
            response = await with_deadline(
                limit, lambda: litellm.atext_completion(model=self.model, prompt=text, **kwargs)
            )
            choice = choice_of(response)
            return response, choice, check_text(choice)

        redact = self._request_redactor(params)
        response, choice, generated = await self._call(attempt, classify_litellm_error, redact)
        extra: dict[str, Any] = {"response_id": getattr(response, "id", None)}
        if len(response.choices) > 1:
            extra["other_choices"] = [getattr(c, "text", None) or "" for c in response.choices[1:]]
        return GeneratedText(
            text=generated,
            stop_reason=choice.finish_reason,
            usage=_priced(_usage(response), self.model),
            extra=redact_data(extra, redact),
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

    async def generate_messages_settled(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage | Exception]:
        """Like `generate_messages`, each conversation's error being its own result.

        Every request runs to its end (retries included); none is cancelled or lost because
        another failed.

        Args:
            messages: The conversations.
            params: One params object per conversation.

        Returns:
            One result or exception per conversation, in order.
        """
        check_batch(messages, params)
        return await gather_settled(
            [self._one_message(m, p) for m, p in zip(messages, params, strict=True)]
        )

    async def generate_texts_settled(
        self,
        texts: Sequence[str],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedText | Exception]:
        """Like `generate_texts`, each text's error being its own result.

        Args:
            texts: The prompts.
            params: One params object per text.

        Returns:
            One result or exception per text, in order.
        """
        check_batch(texts, params)
        clients = _TextClients(import_litellm())
        try:
            return await gather_settled(
                [self._one_text(t, p, clients) for t, p in zip(texts, params, strict=True)]
            )
        finally:
            await clients.aclose()

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
        clients = _TextClients(import_litellm())
        try:
            return await gather_all(
                [self._one_text(t, p, clients) for t, p in zip(texts, params, strict=True)]
            )
        finally:
            await clients.aclose()

    def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Stream one assistant message with ``litellm.acompletion(stream=True)``.

        Usage is requested with ``stream_options={"include_usage": True}`` (unless the params
        set ``stream_options``). Opening the stream is retried like any request and holds a
        connection slot until the stream ends; a stream that breaks midway is not retried
        (its text was already delivered) and raises `GenerationError`. Closing the iterator
        early closes the HTTP response.

        Args:
            messages: The conversation.
            params: Request params (merged over the generator's).

        Returns:
            The stream (an async generator; nothing is sent before iteration starts): text
            and tool-call deltas, then one `StreamFinish`. Iterating it raises
            `GenerationError` when opening failed after every retry, or the stream broke.
        """

        def request(litellm: ModuleType, kwargs: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
            async def send(payload: list[dict[str, Any]]) -> Any:
                return await litellm.acompletion(model=self.model, messages=payload, **kwargs)

            async def attempt() -> Any:
                return await send_fixed(self._fixups, messages, send)

            return attempt

        return self._stream(params, request, _stream_chunks)

    def stream_texts(
        self, text: str, params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Stream one completion with ``litellm.atext_completion(stream=True)``.

        Same contract as `stream_messages` (usage requested, opening retried, a broken stream
        raises `GenerationError`, closing early closes the HTTP response).

        Args:
            text: The prompt.
            params: Request params (merged over the generator's).

        Returns:
            The stream (an async generator; nothing is sent before iteration starts): text
            deltas, then one `StreamFinish`. Iterating it raises `GenerationError` when
            opening failed after every retry, or the stream broke.
        """

        def request(litellm: ModuleType, kwargs: dict[str, Any]) -> Callable[[], Awaitable[Any]]:
            async def attempt() -> Any:
                return await litellm.atext_completion(model=self.model, prompt=text, **kwargs)

            return attempt

        return self._stream(params, request, _text_stream_chunks, text_clients=True)

    def _stream_kwargs(self, params: GenerateParams | None) -> dict[str, Any]:
        kwargs = self._kwargs(params or GenerateParams())
        kwargs["stream"] = True
        kwargs.setdefault("stream_options", {"include_usage": True})
        return kwargs

    async def _stream(
        self,
        params: GenerateParams | None,
        request: Callable[[ModuleType, dict[str, Any]], Callable[[], Awaitable[Any]]],
        convert: Callable[[Any, dict[str, Any]], list[StreamChunk]],
        *,
        text_clients: bool = False,
    ) -> AsyncIterator[StreamChunk]:
        """Open a litellm stream (with retries, in a connection slot) and convert its chunks.

        `request` makes the call to retry from litellm and the request's keyword arguments.
        With `text_clients`, the call gets an SDK client of its own (see `_TextClients`),
        closed with the stream.

        This is the only async generator of a stream: `stream_messages` and `stream_texts`
        hand it out rather than relay it from one of their own. ``asyncio.run`` closes every
        async generator still open at its end, all at once; a stream left open by its
        consumer was closed by the loop while the relaying generator closed it too, and
        whichever came second found it suspended in its cleanup (closing the HTTP response):
        the loop reported "aclose(): asynchronous generator is already running". The same
        happened inside the HTTP stack (a chain of nested generators under the provider's
        stream): the generators started while this one reads are its own (`Owned`), and it
        closes them one at a time when it closes.

        With a ``timeout`` (the request's, from its keyword arguments), a stream that delivers
        no chunk for that long is an error: the HTTP client's read timeout restarts on any
        bytes, so a server sending only keep-alive comments kept the stream open forever.
        """
        from rigging.generator._owned import Owned  # imports asyncio: not at `import rigging`

        litellm = import_litellm()
        kwargs = self._stream_kwargs(params)
        clients = _TextClients(litellm) if text_clients else None
        owned = Owned()
        try:
            if clients is not None:
                client = clients.client_for(self.model, kwargs)
                if client is not None:
                    kwargs["client"] = client
            attempt = request(litellm, kwargs)
            seen: dict[str, Any] = {}
            redact = self._request_redactor(params)
            idle = _time_limit(kwargs.get("timeout"))
            async with self._slot():
                # Not read under `pulling`: opening starts no generator the stream keeps, and
                # one that a callback of the caller's starts there is not the stream's.
                stream = await with_retries(
                    self._wrapped(lambda: with_deadline(idle, attempt)),
                    policy=self._policy(),
                    classify=classify_litellm_error,
                    model=self.model,
                    redact=redact,
                    hint=self._hint,
                )
                iterator = stream.__aiter__()
                received = 0
                try:
                    while True:
                        with owned.pulling():
                            chunk = await _next_chunk(
                                iterator, self.model, received, redact, idle, owned
                            )
                        if chunk is None:
                            break
                        for piece in _converted(convert, chunk, seen, self.model, received, redact):
                            yield piece
                        received += 1
                finally:
                    try:
                        await _close(stream)
                    finally:
                        await owned.aclose()
            _check_stream(seen, self.model, received, redact)
            extra: dict[str, Any] = {"response_id": seen.get("response_id")}
            provider = getattr(stream, "custom_llm_provider", None)
            if provider:
                extra["provider"] = provider
            reason = convert_stop_reason(seen.get("finish_reason"))
            usage = _priced(seen.get("usage"), self.model)
            yield StreamFinish(reason, usage, redact_data(extra, redact))
        finally:
            if clients is not None:
                await clients.aclose()


__dir__ = _public_dir(globals())
