"""What generators return: `GeneratedMessage`, `GeneratedText`, `Usage`, `StopReason`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from typing_extensions import Self

from rigging._deep_json import load_json
from rigging._exports import public_dir as _public_dir
from rigging.message import Message

__all__ = [
    "GeneratedMessage",
    "GeneratedT",
    "GeneratedText",
    "StopReason",
    "Usage",
    "convert_stop_reason",
]

StopReason = Literal["stop", "length", "content_filter", "tool_calls", "unknown"]
"""Why a generation ended."""

_STOP_REASONS: dict[str, StopReason] = {
    "stop": "stop",
    "eos": "stop",
    "end_turn": "stop",
    "stop_sequence": "stop",
    "length": "length",
    "model_length": "length",
    "max_tokens": "length",
    "content_filter": "content_filter",
}


def convert_stop_reason(reason: str | None) -> StopReason:
    """Map a provider's finish reason onto `StopReason`.

    ``stop``/``eos`` (and Anthropic's ``end_turn``/``stop_sequence``) become ``stop``;
    ``length``/``model_length``/``max_tokens`` become ``length``; anything mentioning
    ``tool`` becomes ``tool_calls``; everything else, None included, is ``unknown``.

    Args:
        reason: The provider's value.

    Returns:
        The normalised reason.
    """
    if reason is None:
        return "unknown"
    known = _STOP_REASONS.get(reason)
    if known is not None:
        return known
    return "tool_calls" if "tool" in reason else "unknown"


class Usage(BaseModel):
    """Token counts (and the price, when known) of one generation, or of a whole chat.

    A generator's result carries the usage of its one call. A chat's (or completion's) usage
    is the sum over every generation call made for it, recovery and tool rounds included,
    with each call's own usage kept in `calls`.
    """

    model_config = ConfigDict(defer_build=True)

    input_tokens: int
    """Tokens in the prompt."""
    output_tokens: int
    """Tokens generated."""
    total_tokens: int
    """Provider-reported total (usually the sum)."""
    cost: float | None = None
    """Price in USD from LiteLLM's local price list; None when the model has no listed price
    (or, for a sum, when any call has none)."""
    calls: list[Usage | None] = Field(default_factory=list)
    """For a chat's usage: one entry per generation call, in order (None where the provider
    reported no usage). Empty for the usage of a single call."""

    def __add__(self, other: Usage) -> Usage:
        cost = None if self.cost is None or other.cost is None else self.cost + other.cost
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            cost=cost,
        )

    @classmethod
    def total(cls, calls: Sequence[Usage | None]) -> Usage | None:
        """The sum of several calls' usage, keeping each call in `calls`.

        Args:
            calls: One entry per generation call (None where none was reported).

        Returns:
            The summed usage (its cost is None unless every call has one), or None when no
            call reported usage.
        """
        reported = [u for u in calls if u is not None]
        if not reported:
            return None
        costs = [u.cost for u in calls if u is not None and u.cost is not None]
        return cls(
            input_tokens=sum(u.input_tokens for u in reported),
            output_tokens=sum(u.output_tokens for u in reported),
            total_tokens=sum(u.total_tokens for u in reported),
            cost=sum(costs) if len(costs) == len(calls) else None,
            calls=list(calls),
        )


class _Generated(BaseModel):
    model_config = ConfigDict(defer_build=True)

    stop_reason: StopReason = "unknown"
    """Why the generation ended (provider values are converted)."""
    usage: Usage | None = None
    """Token counts, when the provider reports them."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Provider-specific details (response id, status code, …)."""

    @field_validator("stop_reason", mode="before")
    @classmethod
    def _convert(cls, value: Any) -> Any:
        return convert_stop_reason(value) if isinstance(value, str) or value is None else value

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: Any) -> Self:
        """``model_validate_json`` that also reads text nested as deep as dumps go."""
        return load_json(cls, super().model_validate_json, json_data, **kwargs)


class GeneratedMessage(_Generated):
    """One assistant message produced by `Generator.generate_messages`."""

    message: Message
    """The generated assistant message (tool calls included)."""

    def __str__(self) -> str:
        return str(self.message)

    @classmethod
    def from_text(cls, text: str, stop_reason: str = "unknown") -> GeneratedMessage:
        """Wrap `text` in an assistant message.

        Args:
            text: Message content.
            stop_reason: Provider finish reason (converted).

        Returns:
            The generated message.
        """
        return cls(message=Message(role="assistant", content=text), stop_reason=stop_reason)


class GeneratedText(_Generated):
    """One completion produced by `Generator.generate_texts`."""

    text: str
    """The generated text."""

    def __str__(self) -> str:
        return self.text

    @classmethod
    def from_text(cls, text: str, stop_reason: str = "unknown") -> GeneratedText:
        """Build a result from plain text.

        Args:
            text: The generated text.
            stop_reason: Provider finish reason (converted).

        Returns:
            The generated text.
        """
        return cls(text=text, stop_reason=stop_reason)

    def to_generated_message(self) -> GeneratedMessage:
        """Wrap the text in an assistant message, keeping stop reason, usage and extra.

        Returns:
            The equivalent generated message.
        """
        return GeneratedMessage(
            message=Message(role="assistant", content=self.text),
            stop_reason=self.stop_reason,
            usage=self.usage,
            extra=dict(self.extra),
        )


GeneratedT = TypeVar("GeneratedT", GeneratedMessage, GeneratedText)
"""Either result type: what a generic helper over messages and texts returns (2.3's name)."""


__dir__ = _public_dir(globals())
