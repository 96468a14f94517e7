"""Tool-call wire types: the OpenAI shapes of tool definitions, choices and calls.

They are plain data of the message layer (`Message.tool_calls`, ``GenerateParams.tools``);
`rigging.tool.api` re-exports them with the tools that produce and answer them.
"""

from __future__ import annotations

import typing as t

from pydantic import BaseModel, ConfigDict, field_validator

__all__ = [
    "FunctionCall",
    "FunctionDefinition",
    "NamedFunction",
    "ToolCall",
    "ToolChoice",
    "ToolChoiceDefinition",
    "ToolDefinition",
    "unique_call_ids",
]


class NamedFunction(BaseModel):
    """A function referred to by name (in a tool choice)."""

    model_config = ConfigDict(defer_build=True)

    name: str
    """The function name."""


class ToolChoiceDefinition(BaseModel):
    """Force the model to call one named function."""

    model_config = ConfigDict(defer_build=True)

    type: t.Literal["function"] = "function"
    """Always ``"function"``."""
    function: NamedFunction
    """The function to call."""


ToolChoice = t.Union[str, dict[str, t.Any]]  # noqa: UP007 - a runtime alias
"""A tool choice: ``"auto"``, ``"none"``, ``"required"`` or a provider-specific dict."""


class FunctionDefinition(BaseModel):
    """A function the model may call: name, description and JSON schema of its arguments."""

    model_config = ConfigDict(defer_build=True)

    name: str
    """The function name."""
    description: str | None = None
    """What the function does."""
    parameters: dict[str, t.Any] | None = None
    """JSON schema of the arguments; None for a function without arguments."""

    @field_validator("parameters", mode="before")
    @classmethod
    def _no_empty_object(cls, value: t.Any) -> t.Any:
        if (
            isinstance(value, dict)
            and value.get("type") == "object"
            and not value.get("properties")
        ):
            return None
        return value


class ToolDefinition(BaseModel):
    """A tool advertised to the model."""

    model_config = ConfigDict(defer_build=True)

    type: t.Literal["function"] = "function"
    """Always ``"function"``."""
    function: FunctionDefinition
    """The function."""


class FunctionCall(BaseModel):
    """The function part of a tool call."""

    model_config = ConfigDict(defer_build=True)

    name: str
    """The function name."""
    arguments: str
    """The arguments as the raw JSON text the model produced."""


class ToolCall(BaseModel):
    """A tool call made by the model (an item of `Message.tool_calls`)."""

    model_config = ConfigDict(defer_build=True)

    id: str
    """The provider's call id; a tool message answers it with ``tool_call_id``."""
    type: t.Literal["function"] = "function"
    """Always ``"function"``."""
    function: FunctionCall
    """The function and its arguments."""

    def __str__(self) -> str:
        return f"<ToolCall {self.function.name}({self.function.arguments})>"


def unique_call_ids(calls: t.Sequence[ToolCall]) -> None:
    """Give each call of one message an id of its own, in place.

    A model may repeat an id or leave it empty (local servers do). Each call gets its own
    answer, and a provider refuses a conversation whose answers share an id, so the second
    and later uses of an id (and empty ids) become ``<id>_<n>`` (``call_<n>``), ``n`` the
    call's position, counting up past ids already in the message. Unique ids are kept.

    Args:
        calls: The tool calls of one message.
    """
    taken = {call.id for call in calls}
    if len(taken) == len(calls) and "" not in taken:
        return
    seen: set[str] = set()
    for index, call in enumerate(calls):
        if call.id and call.id not in seen:
            seen.add(call.id)
            continue
        base, number = call.id or "call", index
        while f"{base}_{number}" in taken:
            number += 1
        call.id = f"{base}_{number}"
        taken.add(call.id)
        seen.add(call.id)
