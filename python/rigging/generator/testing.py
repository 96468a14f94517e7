"""Deterministic offline generators for users, docs and tests (no network, no keys).

- `EchoGenerator` replies with the last message's content (or the prompt text).
- `FixedGenerator` always replies with `text`.
- `ScriptedGenerator` replies with `responses` in order, one per generated item; an item
  that is an exception instance is raised instead.
- `FailingGenerator` echoes, but raises on the `fail_on`-th generated item, or (with
  `fail_when`) on every item whose prompt contains that text: a permanent per-item failure.
- `ChunkedGenerator` replies with scripted pieces, streamed one `TextDelta` per piece by
  `stream_messages` / `stream_texts` (offline streaming tests), and shows how far each stream got.

Every one records what it was asked in `calls`, so tests can check params arrived.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from pydantic import ConfigDict, Field, PrivateAttr, field_serializer

from rigging._exports import public_dir as _public_dir
from rigging.error import GenerationError, _safe_str
from rigging.generator.base import Generator, check_batch
from rigging.generator.chunks import StreamChunk, StreamFinish, TextDelta
from rigging.generator.params import GenerateParams
from rigging.generator.results import GeneratedMessage, GeneratedText, Usage
from rigging.message import Message

_ResultT = TypeVar("_ResultT", GeneratedMessage, GeneratedText)

__all__ = [
    "ChunkedGenerator",
    "EchoGenerator",
    "FailingGenerator",
    "FixedGenerator",
    "RecordedCall",
    "ScriptedGenerator",
]


@dataclass(frozen=True)
class RecordedCall:
    """One generated item as a test double saw it."""

    input: str | list[dict[str, Any]]
    """The prompt text, or the conversation as OpenAI-style dicts."""
    params: GenerateParams
    """Generator params with the request's merged on top."""


def _last_text(messages: Sequence[Message]) -> str:
    if not messages:
        return ""
    content: Any = messages[-1].content
    if isinstance(content, str):
        return content
    return "\n".join(str(getattr(part, "text", "")) for part in content if hasattr(part, "text"))


class _OfflineGenerator(Generator):
    """Shared plumbing: record each item, produce its text, wrap it."""

    supports_api_tools: ClassVar[bool] = False  # text doubles: tools reach them as native XML

    _calls: list[RecordedCall] = PrivateAttr(default_factory=list)

    @property
    def calls(self) -> list[RecordedCall]:
        """Every item generated so far, in order (a copy)."""
        return list(self._calls)

    def _reply(self, prompt: str, index: int) -> str:
        raise NotImplementedError

    def _produce(
        self, prompt: str, record: str | list[dict[str, Any]], params: GenerateParams
    ) -> str:
        self._calls.append(RecordedCall(record, self.params.merge_with(params)))
        return self._reply(prompt, len(self._calls))

    @staticmethod
    def _usage(prompt: str, reply: str) -> Usage:
        given, made = len(prompt.split()), len(reply.split())
        return Usage(input_tokens=given, output_tokens=made, total_tokens=given + made)

    async def generate_messages(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage]:
        """Reply to each conversation, in order.

        Args:
            messages: The conversations.
            params: One params object per conversation.

        Returns:
            One assistant message per conversation.
        """
        check_batch(messages, params)
        results = []
        for conversation, item_params in zip(messages, params, strict=True):
            prompt = _last_text(conversation)
            record = [m.to_openai_spec() for m in conversation]
            reply = self._produce(prompt, record, item_params)
            result = GeneratedMessage.from_text(reply, stop_reason="stop")
            result.usage = self._usage(prompt, reply)
            results.append(result)
        return results

    async def generate_texts(
        self,
        texts: Sequence[str],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedText]:
        """Complete each text, in order.

        Args:
            texts: The prompts.
            params: One params object per text.

        Returns:
            One result per text.
        """
        check_batch(texts, params)
        results = []
        for text, item_params in zip(texts, params, strict=True):
            reply = self._produce(text, text, item_params)
            results.append(
                GeneratedText(text=reply, stop_reason="stop", usage=self._usage(text, reply))
            )
        return results


class EchoGenerator(_OfflineGenerator):
    """Reply with the last message's content (or the prompt itself)."""

    model: str = "echo"
    """Model name (free-form)."""
    prefix: str = ""
    """Text put before the echoed content."""

    def _reply(self, prompt: str, index: int) -> str:
        return self.prefix + prompt


class FixedGenerator(_OfflineGenerator):
    """Always reply with `text`."""

    model: str = "fixed"
    """Model name (free-form)."""
    text: str = ""
    """The reply."""

    def _reply(self, prompt: str, index: int) -> str:
        return self.text


class ScriptedGenerator(_OfflineGenerator):
    """Reply with `responses` in order, one per generated item.

    Raises `GenerationError` once the script runs out (unless `cycle`). An exception
    instance in the script is raised at its turn, which scripts failures on call k.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, coerce_numbers_to_str=True)

    model: str = "scripted"
    """Model name (free-form)."""
    responses: list[str | Exception] = Field(default_factory=list)
    """Replies (or exceptions to raise) in order."""
    cycle: bool = False
    """Start over when the script runs out instead of failing."""

    @field_serializer("responses")
    def _responses_as_text(self, responses: list[str | Exception]) -> list[str]:
        # A scripted exception is written as its text, so reprs, dumps and identifiers of
        # the generator (and of every chat it made) do not raise.
        return [
            r if isinstance(r, str) else f"<raises {_safe_str(r, named=True)}>" for r in responses
        ]

    async def generate_messages_settled(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage | Exception]:
        """Reply to each conversation with its own turn of the script, in order.

        The batch goes to `generate_messages` in one call; when a scripted exception is
        raised, the turns that call took are given back and each item takes its own turn
        alone, so the exception fails only the item whose turn it is (a split-and-retry would
        hand later turns to earlier items).

        Args:
            messages: The conversations.
            params: One params object per conversation.

        Returns:
            One assistant message, or the scripted exception, per conversation.
        """
        check_batch(messages, params)
        return await self._settle(list(messages), list(params), self.generate_messages)

    async def generate_texts_settled(
        self,
        texts: Sequence[str],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedText | Exception]:
        """Complete each text with its own turn of the script (see the messages variant).

        Args:
            texts: The prompts.
            params: One params object per text.

        Returns:
            One result, or the scripted exception, per text.
        """
        check_batch(texts, params)
        return await self._settle(list(texts), list(params), self.generate_texts)

    async def _settle(
        self,
        items: list[Any],
        params: list[GenerateParams],
        call: Callable[[list[Any], list[GenerateParams]], Awaitable[Sequence[_ResultT]]],
    ) -> list[_ResultT | Exception]:
        if len(items) > 1:
            taken = len(self._calls)
            try:
                return list(await call(items, params))
            except Exception:  # settled below, item by item
                del self._calls[taken:]  # give back the turns the failed call took
        out: list[_ResultT | Exception] = []
        for item, item_params in zip(items, params, strict=True):
            try:
                [result] = await call([item], [item_params])
            except Exception as exc:  # this item's turn was a failure: it fails alone
                out.append(exc)
            else:
                out.append(result)
        return out

    def _reply(self, prompt: str, index: int) -> str:
        if not self.responses:
            raise GenerationError("ScriptedGenerator has no responses", model=self.model)
        position = index - 1
        if position >= len(self.responses):
            if not self.cycle:
                raise GenerationError(
                    f"ScriptedGenerator ran out of responses after {len(self.responses)} item(s)",
                    model=self.model,
                )
            position %= len(self.responses)
        item = self.responses[position]
        if isinstance(item, Exception):
            raise item
        return item


class FailingGenerator(_OfflineGenerator):
    """Echo, except one item raises `GenerationError`.

    By default the `fail_on`-th generated item (1-based, counted across calls) raises once,
    a transient failure. With `fail_when`, every item whose prompt contains that text raises,
    every time it is tried: a permanent failure of those items. As with any generator whose
    batch call raises, the pipelines split the batch to keep the other items' results.
    """

    model: str = "failing"
    """Model name (free-form)."""
    fail_on: int = Field(default=1, ge=1)
    """Which item fails (ignored when `fail_when` is set)."""
    fail_when: str | None = None
    """Fail every item whose prompt contains this text."""
    message: str = "scripted failure"
    """Message of the raised `GenerationError`."""

    def _reply(self, prompt: str, index: int) -> str:
        if self.fail_when is not None:
            if self.fail_when in prompt:
                raise GenerationError(f"{self.message} ({prompt!r})", model=self.model)
        elif index == self.fail_on:
            raise GenerationError(f"{self.message} (item {index})", model=self.model)
        return prompt


class ChunkedGenerator(_OfflineGenerator):
    """Reply with `replies` in turn (cycling), each streamed piece by piece.

    Non-streamed calls get the joined pieces. `stream_messages` and `stream_texts` yield one
    `TextDelta` per piece (waiting `delay` seconds before each), then a `StreamFinish` (stop
    reason ``"stop"``, the usage a non-streamed call reports);
    `pieces_sent`, `closed` and `open_streams` show how far each stream got and whether it was
    closed, e.g. after an early stop or a cancelled run.
    """

    model: str = "chunked"
    """Model name (free-form)."""
    replies: list[list[str]] = Field(min_length=1)
    """The replies, each as the pieces it is streamed in."""
    delay: float = Field(default=0.0, ge=0)
    """Seconds to wait before each streamed piece."""

    _sent: list[int] = PrivateAttr(default_factory=list)
    _closed: list[bool] = PrivateAttr(default_factory=list)
    _open: int = PrivateAttr(default=0)

    @property
    def pieces_sent(self) -> list[int]:
        """Pieces yielded by each stream so far, in the order the streams were opened."""
        return list(self._sent)

    @property
    def closed(self) -> list[bool]:
        """Whether each stream has ended (run to its end or closed early)."""
        return list(self._closed)

    @property
    def open_streams(self) -> int:
        """Streams currently open."""
        return self._open

    def _pieces(self, index: int) -> list[str]:
        return self.replies[(index - 1) % len(self.replies)]

    def _reply(self, prompt: str, index: int) -> str:
        return "".join(self._pieces(index))

    async def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Stream the next reply to a conversation, one piece per `TextDelta`.

        Args:
            messages: The conversation.
            params: Request params (recorded in `calls`).

        Yields:
            The pieces, then one `StreamFinish`.
        """
        prompt = _last_text(messages)
        record = [m.to_openai_spec() for m in messages]
        self._produce(prompt, record, params or GenerateParams())
        # closed with this stream, not when collected: an early stop shows in `closed` at once
        async with contextlib.aclosing(self._stream(prompt, self._pieces(len(self._calls)))) as s:
            async for chunk in s:
                yield chunk

    async def stream_texts(
        self, text: str, params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Stream the next reply to a prompt, one piece per `TextDelta`.

        Args:
            text: The prompt.
            params: Request params (recorded in `calls`).

        Yields:
            The pieces, then one `StreamFinish`.
        """
        self._produce(text, text, params or GenerateParams())
        async with contextlib.aclosing(self._stream(text, self._pieces(len(self._calls)))) as s:
            async for chunk in s:
                yield chunk

    async def _stream(self, prompt: str, pieces: list[str]) -> AsyncGenerator[StreamChunk, None]:
        slot = len(self._sent)
        self._sent.append(0)
        self._closed.append(False)
        self._open += 1
        try:
            for piece in pieces:
                if self.delay:
                    await asyncio.sleep(self.delay)
                self._sent[slot] += 1
                yield TextDelta(piece)
            yield StreamFinish("stop", self._usage(prompt, "".join(pieces)))
        finally:
            self._open -= 1
            self._closed[slot] = True


__dir__ = _public_dir(globals())
