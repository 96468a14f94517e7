"""`HTTPGenerator`: any HTTP endpoint, described by an `HTTPSpec`.

Decisions against upstream: the generator's own params are merged under the request's in the
template context; a generator without an api key gets ``""`` as ``api_key`` instead of failing;
429 and 5xx answers are retried like LiteLLM's (unless listed as valid), 401 and 403 fail at
once with a `GenerationError` naming ``api_key=`` (unless listed as valid); the result's
``extra`` holds plain JSON values (status code, URL with the key redacted, headers). The
timeout bounds each attempt as a whole (connecting, sending, reading the body to its end), not
only each read: a server sending its answer a byte at a time is cut off and retried.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any, ClassVar

import httpx
from pydantic import ConfigDict, field_serializer, field_validator

from rigging._exports import public_dir as _public_dir
from rigging._redact import MASK, is_secret_name
from rigging.error import ProcessingError, _clip, _reduce, _safe_str
from rigging.generator._http_secrets import rendered_secrets
from rigging.generator._http_spec import (
    HTTPSpec,
    InputTransform,
    OutputTransform,
    RequestSpec,
    RequestTransformContext,
    ResponseSpec,
    TransformStep,
    load_spec_text,
    params_read,
    spec_literal_secrets,
)
from rigging.generator._origin import (
    mark_destination_from_data,
    refuse_data_destination,
    refuse_data_params,
)
from rigging.generator._remote import (
    MAX_DETAIL,
    DeadlineExceededError,
    Failure,
    RemoteGenerator,
    clip_detail,
    gather_all,
    gather_settled,
    parse_retry_after,
    with_deadline,
)
from rigging.generator.base import check_batch
from rigging.generator.params import GenerateParams
from rigging.generator.results import GeneratedMessage, GeneratedText
from rigging.message import Message

__all__ = [
    "HTTPGenerator",
    "HTTPSpec",
    "InputTransform",
    "OutputTransform",
    "RequestSpec",
    "RequestTransformContext",
    "ResponseSpec",
    "TransformStep",
]

_RETRY_STATUSES = frozenset({408, 429})
_AUTH_STATUSES = frozenset({401, 403})


class _StatusError(Exception):
    """An answer whose status is an error: retried (429, 5xx) or not (401/403).

    Holds what the retry loop reads, not the response: no header, and the body redacted.
    """

    __reduce__ = _reduce

    def __init__(
        self, response: httpx.Response, *, retryable: bool, redact: Callable[[str], str]
    ) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.status = response.status_code
        self.retry_after = parse_retry_after(response.headers)
        self.retryable = retryable
        self.body = redact(response.text)


def _classify(exc: Exception) -> Failure | None:
    if isinstance(exc, _StatusError):
        return Failure(
            exc.retryable,
            f"HTTP {exc.status}",
            exc.status,
            exc.retry_after,
            detail=exc.body,
            auth=exc.status in _AUTH_STATUSES,
        )
    if isinstance(exc, httpx.TimeoutException):
        return Failure(True, f"timeout ({type(exc).__name__})")
    if isinstance(exc, DeadlineExceededError):
        return Failure(True, f"timeout ({type(exc).__name__})", detail=str(exc))
    if isinstance(exc, (httpx.UnsupportedProtocol, httpx.LocalProtocolError)):
        # the request itself is wrong (its URL's scheme, a header): sending it again won't help
        return Failure(False, f"invalid request ({type(exc).__name__})", detail=_safe_str(exc))
    if isinstance(exc, httpx.TransportError):
        return Failure(True, f"connection error ({type(exc).__name__})")
    return None


def _text_of(message: Message) -> str:
    content: Any = message.content
    if isinstance(content, str):
        return content
    return "\n".join(getattr(part, "text", "") for part in content if hasattr(part, "text"))


class HTTPGenerator(RemoteGenerator):
    """Send each conversation to an HTTP endpoint described by `spec`.

    The spec may be given as an `HTTPSpec`, a dict, JSON, YAML, or base64 of JSON/YAML, at
    construction or by assignment (``gen.spec = yaml_text``). It serialises as base64 JSON,
    which is how it appears in connection strings (``http!name,spec=<base64>``).
    """

    model_config = ConfigDict(validate_assignment=True, coerce_numbers_to_str=True)
    supports_api_tools: ClassVar[bool] = False  # a spec's response gives text; tools go native

    spec: HTTPSpec | None = None
    """The request/response recipe."""

    @field_validator("spec", mode="before")
    @classmethod
    def _load_spec(cls, value: Any) -> Any:
        return load_spec_text(value) if isinstance(value, str) else value

    @field_serializer("spec")
    def _dump_spec(self, spec: HTTPSpec | None) -> str | None:
        if spec is None:
            return None
        return base64.b64encode(spec.model_dump_json().encode()).decode()

    def _field_without_secrets(self, name: str, value: Any) -> Any:
        """The spec as its identifier carries it: literal secrets masked as ``***``.

        Masked rather than left out, so a pickled chat's ``generator_id`` stays the same.
        ``{{ api_key }}`` templates are kept: the key they take is the generator's.
        """
        if name == "spec" and isinstance(value, HTTPSpec):
            masked = HTTPSpec.model_validate(value.model_dump())
            return value if masked == value else masked
        return super()._field_without_secrets(name, value)

    def _secrets(self) -> list[str]:
        """The generator's secrets, with literal ones of its spec's template text."""
        found = super()._secrets()
        return found if self.spec is None else [*found, *spec_literal_secrets(self.spec)]

    def _mark_from_data(self) -> None:
        """Also mark the spec: it names where requests go (see `_origin`)."""
        super()._mark_from_data()
        if self.spec is not None:
            mark_destination_from_data(self.params, "spec", self._spec_mark(self.spec))

    @staticmethod
    def _spec_mark(spec: HTTPSpec) -> str:
        """The spec as marks compare it: its dump, the same once pickled (secrets masked)."""
        return spec.model_dump_json()

    def _refuse_data_spec(self, spec: HTTPSpec, url: str, shown: str) -> None:
        """Refuse a request to `url` off this machine if the spec came from loaded data."""
        if any(name == "spec" for name, _ in self.params._data_endpoints):
            mark = self._spec_mark(spec)
            refuse_data_destination(self.params, "spec", mark, url, self.model, shown)

    def _context(
        self, messages: Sequence[Message], merged: GenerateParams
    ) -> RequestTransformContext:
        if not messages:
            raise ProcessingError("HTTPGenerator needs at least one message per conversation")
        texts = [_text_of(m) for m in messages]
        return RequestTransformContext(
            role=messages[-1].role,
            content=texts[-1],
            all_content="\n".join(texts),
            messages=[m.to_openai_spec() for m in messages],
            params=merged.to_dict(),
            api_key=self.api_key or "",
            model=self.model,
        )

    def _timeout(self, spec: HTTPSpec, merged: GenerateParams) -> float:
        if spec.request.timeout is not None:
            return spec.request.timeout
        return merged.timeout if merged.timeout is not None else 5.0

    async def _one(
        self, client: httpx.AsyncClient, messages: Sequence[Message], params: GenerateParams
    ) -> GeneratedMessage:
        spec = self.spec
        if spec is None:
            raise ProcessingError("HTTPGenerator has no spec; set `spec` before generating")
        merged = self.params.merge_with(params)
        ctx = self._context(messages, merged)
        url = spec.make_url(ctx)
        headers = spec.make_headers(ctx)
        body = spec.make_request_body(ctx)
        # What the rendered request holds at its secret places, however the templates made it
        redact = self._request_redactor(params, rendered_secrets(url, headers, body))
        self._refuse_data_spec(spec, url, redact(url))
        read = params_read(spec.request.url)
        refuse_data_params(merged, read, url, self.model, redact(url))
        valid = spec.response.valid_status_codes if spec.response else None
        timeout = self._timeout(spec, merged)

        async def send() -> httpx.Response:
            return await client.request(
                spec.request.method, url, headers=headers, content=body, timeout=timeout
            )

        async def attempt() -> httpx.Response:
            response = await with_deadline(timeout, send)
            status = response.status_code
            if valid is not None and status in valid:
                return response
            if status in _RETRY_STATUSES or status >= 500:
                raise _StatusError(response, retryable=True, redact=redact)
            if status in _AUTH_STATUSES:
                raise _StatusError(response, retryable=False, redact=redact)
            if valid is not None:  # the provider's own message says why (redacted, clipped)
                detail = clip_detail(response.text, redact)
                shown = _clip(redact(url), MAX_DETAIL)  # rendered: as long as a message
                message = f"received invalid status code {status} for {shown}"
                raise ProcessingError(redact(f"{message}: {detail}" if detail else message))
            return response

        response = await self._call(attempt, _classify, redact)
        content = spec.parse_response_body(response.text)
        return GeneratedMessage(
            message=Message(role="assistant", content=content),
            stop_reason="stop",
            extra={
                "status_code": response.status_code,
                "url": redact(url),
                "headers": {
                    k: MASK if is_secret_name(k) else redact(v) for k, v in response.headers.items()
                },
            },
        )

    async def generate_messages(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage]:
        """Send each conversation as one request (bounded by `max_connections`).

        Args:
            messages: The conversations.
            params: One params object per conversation.

        Returns:
            One assistant message per conversation, in order.

        Raises:
            ProcessingError: No spec, a spec step failed, or the status was not valid.
            GenerationError: Retryable failures (429, 5xx, timeouts) persisted.
        """
        check_batch(messages, params)
        async with httpx.AsyncClient() as client:
            return await gather_all(
                [self._one(client, m, p) for m, p in zip(messages, params, strict=True)]
            )

    async def generate_messages_settled(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage | Exception]:
        """Like `generate_messages`, each conversation's error being its own result.

        Args:
            messages: The conversations.
            params: One params object per conversation.

        Returns:
            One result or exception per conversation, in order.
        """
        check_batch(messages, params)
        async with httpx.AsyncClient() as client:
            return await gather_settled(
                [self._one(client, m, p) for m, p in zip(messages, params, strict=True)]
            )

    async def generate_texts(
        self,
        texts: Sequence[str],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedText]:
        """Send each text as a one-message user conversation.

        Args:
            texts: The prompts.
            params: One params object per text.

        Returns:
            One result per text, in order.
        """
        results = await self.generate_messages(_conversations(texts), params)
        return [_as_text(r) for r in results]

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
        results = await self.generate_messages_settled(_conversations(texts), params)
        return [r if isinstance(r, Exception) else _as_text(r) for r in results]


def _conversations(texts: Sequence[str]) -> list[list[Message]]:
    return [[Message(role="user", content=text)] for text in texts]


def _as_text(result: GeneratedMessage) -> GeneratedText:
    return GeneratedText(
        text=_text_of(result.message),
        stop_reason=result.stop_reason,
        usage=result.usage,
        extra=result.extra,
    )


__dir__ = _public_dir(globals())
