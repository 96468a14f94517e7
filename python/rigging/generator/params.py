"""Generation parameters shared by every generator: `GenerateParams`."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from rigging._exports import public_dir as _public_dir
from rigging.tool.api import ToolChoice, ToolDefinition

__all__ = ["GenerateParams", "IdentifierValue"]

IdentifierValue = int | float | bool | str | list[str]
"""A value a connection string can carry."""


class GenerateParams(BaseModel):
    """Parameters for one generation request; every field is optional.

    Field order is part of the interface: connection strings list parameters in this order.
    Unknown keyword arguments are rejected; provider-specific settings go in `extra`, which
    `to_dict` flattens into the request.
    """

    model_config = ConfigDict(defer_build=True, extra="forbid")

    temperature: float | None = None
    """Sampling temperature."""
    max_tokens: int | None = None
    """Upper bound on generated tokens."""
    top_k: int | None = None
    """Sample only from the k most likely tokens."""
    top_p: float | None = None
    """Nucleus sampling mass."""
    stop: list[str] | None = None
    """Stop sequences; a string is split on ``;``."""
    presence_penalty: float | None = None
    """Penalty for tokens already present."""
    frequency_penalty: float | None = None
    """Penalty proportional to token frequency."""
    api_base: str | None = None
    """Base URL of the provider's API."""
    timeout: int | None = None
    """Request timeout in seconds."""
    seed: int | None = None
    """Sampling seed, where the provider supports one."""
    tools: list[ToolDefinition] | None = None
    """Function-calling tools offered to the model (dicts or JSON strings are accepted)."""
    tool_choice: ToolChoice | None = None
    """How the model may choose among `tools` (a JSON object string is accepted)."""
    parallel_tool_calls: bool | None = None
    """Whether the model may call several tools in one turn."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Provider-specific parameters, passed through unchanged by `to_dict`."""

    @field_validator("stop", mode="before")
    @classmethod
    def _split_stop(cls, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, str):
            return value.split(";")
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return list(value)
        raise ValueError("stop must be a string (';'-separated) or a list of strings")

    @field_validator("tools", mode="before")
    @classmethod
    def _parse_tools(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = _load_json(value, "tools")
            return value if isinstance(value, list) else [value]
        if isinstance(value, list | tuple):
            return [_load_json(v, "tools") if isinstance(v, str) else v for v in value]
        return value

    @field_validator("tool_choice", mode="before")
    @classmethod
    def _parse_tool_choice(cls, value: Any) -> Any:
        if isinstance(value, str) and value.lstrip().startswith("{"):
            return _load_json(value, "tool_choice")
        return value

    def merge_with(self, *others: GenerateParams | None) -> GenerateParams:
        """Return a copy of these params updated by `others`, in order.

        Only fields explicitly set (and not None) in an other override; `extra` dicts are
        merged key by key, later keys winning. The receiver is never modified and the result
        is always a new object (upstream returned the receiver itself when there was nothing
        to merge, which let callers mutate it by accident).

        Args:
            *others: Params to layer on top; None entries are skipped.

        Returns:
            The merged params.
        """
        update: dict[str, Any] = {}
        extra = dict(self.extra)
        for other in others:
            if other is None:
                continue
            for name in other.model_fields_set:
                value = getattr(other, name)
                if name == "extra":
                    extra.update(value)
                elif value is not None:
                    update[name] = value
        merged = self.model_copy(update=update, deep=True)
        merged.extra = extra
        return merged

    def to_dict(self) -> dict[str, Any]:
        """Return the request keyword arguments: set fields without None, `extra` flattened in.

        Tools are dumped to plain dicts. Keys from `extra` win over fields of the same name.

        Returns:
            A fresh dict, safe to mutate.
        """
        data = self.model_dump(mode="json", exclude_none=True, exclude={"extra"})
        data.update(self.extra)
        return data

    def to_identifier_params(self) -> dict[str, IdentifierValue]:
        """Return the parameters as connection-string values, in field order, then `extra`.

        Tools and object tool choices become JSON strings (which the validators accept back);
        `extra` values that are not int, float, bool, str or a list of str become JSON strings.

        Returns:
            An ordered dict of the values that are set.
        """
        out: dict[str, IdentifierValue] = {}
        for name, value in self.model_dump(mode="json", exclude_none=True).items():
            if name == "extra":
                continue
            if name in {"tools", "tool_choice"} and not isinstance(value, str):
                out[name] = json.dumps(value, separators=(",", ":"))
            elif name == "stop" and len(value) == 1 and ";" not in value[0]:
                # A one-item list is written like a scalar ("stop=0" would read back as an
                # int): a string is quoted when needed and split back into one item.
                out[name] = value[0]
            else:
                out[name] = value
        for key, value in self.extra.items():
            out[key] = _as_identifier_value(value)
        return out


def _load_json(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{field} string is not valid JSON: {exc}") from None


def _as_identifier_value(value: Any) -> IdentifierValue:
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return json.dumps(value, separators=(",", ":"), default=str)


__dir__ = _public_dir(globals())
