"""Generation parameters shared by every generator: `GenerateParams`."""

from __future__ import annotations

import json
import re
from contextlib import AbstractContextManager
from typing import Annotated, Any, ClassVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)

from rigging._exports import public_dir as _public_dir
from rigging._message.tool_calls import ToolChoice, ToolDefinition
from rigging._redact import (
    MASK,
    REVEAL,
    is_secret_name,
    redact_field,
    redact_repr_args,
    redact_schema,
    reveals,
    schema_secrets,
    secret_values,
    secrets_in_view,
)
from rigging.error import _safe_str

__all__ = ["GenerateParams", "IdentifierValue"]

IdentifierValue = int | float | bool | str | list[str]
"""A value a connection string can carry."""

_I64 = 2**63
_Int64 = Annotated[int, Field(ge=-_I64, lt=_I64)]
_Count = Annotated[int, Field(ge=0, lt=_I64)]
_Finite = Annotated[float, Field(allow_inf_nan=False)]


class GenerateParams(BaseModel):
    """Parameters for one generation request; every field is optional.

    Field order is part of the interface: connection strings list parameters in this order.
    Unknown keyword arguments are rejected; provider-specific settings go in `extra`, which
    `to_dict` flattens into the request.

    Secrets (`extra` entries under secret names such as ``API_KEY``, header values such as
    ``Authorization`` in ``extra_headers``, URL user-info in `api_base`) reach the request
    (`to_dict`) but are masked in reprs, dumps and validation errors, and left out of
    identifiers (see ``rigging._redact``). Tool schemas (`tools`, `tool_choice`) are kept as
    they are: a tool parameter named ``password`` is a name, not a secret.
    """

    model_config = ConfigDict(defer_build=True, extra="forbid", hide_input_in_errors=True)

    __not_secret__: ClassVar[frozenset[str]] = frozenset({"tools", "tool_choice"})
    """Fields that hold schemas: their secrets are found and masked as a schema's
    (`rigging._redact.redact_schema`), so a parameter named ``password`` is a name."""

    temperature: Annotated[_Finite, Field(ge=0)] | None = None
    """Sampling temperature (finite, >= 0)."""
    max_tokens: _Count | None = None
    """Upper bound on generated tokens (>= 0)."""
    top_k: _Int64 | None = None
    """Sample only from the k most likely tokens (some providers take -1 for "off")."""
    top_p: Annotated[_Finite, Field(ge=0, le=1)] | None = None
    """Nucleus sampling mass (0 to 1)."""
    stop: list[str] | None = None
    """Stop sequences; a string is split on ``;``."""
    presence_penalty: _Finite | None = None
    """Penalty for tokens already present."""
    frequency_penalty: _Finite | None = None
    """Penalty proportional to token frequency."""
    api_base: str | None = None
    """Base URL of the provider's API. Its user-info and secret-named query values are
    masked in reprs and dumps and left out of identifiers, and so is a fragment (never sent
    to a server). Path segments shaped like keys (``/sk-...``, a long random token, a
    webhook's path) and secret values given elsewhere are masked as ``***``, in identifiers
    too; a word-like key in a path is not told from a route: put keys in `api_key` or a
    header."""
    timeout: Annotated[int, Field(ge=1, lt=_I64)] | None = None
    """Request timeout in seconds (>= 1: litellm took 0 for "not set" and waited its own 600 s
    default, while httpx gave up at once)."""
    seed: _Int64 | None = None
    """Sampling seed, where the provider supports one."""
    tools: list[ToolDefinition] | None = None
    """Function-calling tools offered to the model (dicts or JSON strings are accepted)."""
    tool_choice: ToolChoice | None = None
    """How the model may choose among `tools` (a JSON object string is accepted)."""
    parallel_tool_calls: bool | None = None
    """Whether the model may call several tools in one turn."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Provider-specific parameters, passed through unchanged by `to_dict`."""

    _data_endpoints: frozenset[tuple[str, str]] = PrivateAttr(default=frozenset())
    """Endpoint settings chosen by loaded data (see ``rigging.generator._origin``)."""

    @field_validator(
        "temperature",
        "max_tokens",
        "top_k",
        "top_p",
        "presence_penalty",
        "frequency_penalty",
        "timeout",
        "seed",
        mode="before",
    )
    @classmethod
    def _no_bool_for_numbers(cls, value: Any) -> Any:
        if isinstance(value, bool):  # pydantic would take True as 1 (2.3 refused it)
            raise ValueError(f"expected a number, got the boolean {value}")
        return value

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

    @field_validator("extra")
    @classmethod
    def _check_extra(cls, value: dict[str, Any]) -> dict[str, Any]:
        for key, item in value.items():
            if isinstance(item, int) and not isinstance(item, bool) and not -_I64 <= item < _I64:
                raise ValueError(f"extra parameter {key!r} does not fit in a 64-bit integer")
        return value

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

    @model_serializer(mode="wrap")
    def _redact_secrets(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if reveals(info.context):
            return data
        with self._in_view():
            return {key: self._redacted(key, value) for key, value in data.items()}

    def _in_view(self) -> AbstractContextManager[None]:
        """A block in which URLs are masked of these params' secret values too.

        Every view of the params runs in one: ``api_base="https://gw/<api_key>/v1"`` with
        the key in ``extra`` shows ``https://gw/***/v1`` (`rigging._redact.secrets_in_view`).
        """
        return secrets_in_view(secret_values(self))

    def _redacted(self, name: str, value: Any, *, drop: bool = False) -> Any:
        """Field `name`'s value with its secrets masked (left out with `drop`).

        A schema field's value is read as a schema (`redact_schema`).
        """
        if name in self.__not_secret__:
            return value if isinstance(value, str) else redact_schema(value, drop=drop)
        if is_secret_name(name):
            return MASK
        return redact_field(name, value, drop=drop)

    def __repr_args__(self) -> Any:
        args = list(super().__repr_args__())
        # Tool definitions show as they are unless they hold a secret (a key as a default).
        kept = {
            name: value
            for name, value in args
            if name in self.__not_secret__ and not schema_secrets(value)
        }
        with self._in_view():
            return [
                (name, kept[name])
                if name in kept
                else (name, self._redacted(name, value) if name in self.__not_secret__ else value)
                for name, value in redact_repr_args(args)
            ]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GenerateParams):
            return NotImplemented
        # Where an endpoint came from (a private mark) is not part of the value.
        return type(self) is type(other) and self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, like every pydantic model

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
        marks = [o._data_endpoints for o in others if o is not None and o._data_endpoints]
        if marks:  # endpoints chosen by loaded data stay marked whichever object they came from
            merged._data_endpoints = merged._data_endpoints.union(*marks)
        return merged

    def to_dict(self) -> dict[str, Any]:
        """Return the request keyword arguments: set fields without None, `extra` flattened in.

        Tools are dumped to plain dicts. Keys from `extra` win over fields of the same name.

        Returns:
            A fresh dict, safe to mutate.
        """
        data = self.model_dump(mode="json", exclude_none=True, exclude={"extra"}, context=REVEAL)
        data.update(self.extra)
        return data

    def to_identifier_params(self) -> dict[str, IdentifierValue]:
        """Return the parameters as connection-string values, in field order, then `extra`.

        Tools and object tool choices become JSON strings (which the validators accept back);
        `extra` values that are not int, float, bool, str or a list of two or more str become
        JSON strings.
        Secrets inside values (header values, URL user-info) are left out; parameters under
        secret names are left out by the identifier formatter.

        Returns:
            An ordered dict of the values that are set.
        """
        with self._in_view():
            return self._identifier_params()

    def _identifier_params(self) -> dict[str, IdentifierValue]:
        out: dict[str, IdentifierValue] = {}
        # `extra` may hold objects JSON cannot carry (a class for `response_format`): it is
        # written below, value by value, never through the JSON dump.
        dumped = self.model_dump(mode="json", exclude_none=True, exclude={"extra"}, context=REVEAL)
        for name, value in dumped.items():
            if name in self.__not_secret__ and not isinstance(value, str):
                clean = redact_schema(value, drop=True)
                out[name] = json.dumps(clean, separators=(",", ":"))
            elif name == "stop" and len(value) == 1 and ";" not in value[0]:
                # A one-item list is written like a scalar ("stop=0" would read back as an
                # int): a string is quoted when needed and split back into one item.
                out[name] = value[0]
            else:
                out[name] = value
        schemas = {name: out[name] for name in self.__not_secret__ if name in out}
        for key, value in self.extra.items():
            out[key] = _as_identifier_value(value)
        return {
            key: schemas[key]
            if out[key] is schemas.get(key)
            else redact_field(key, value, drop=True)
            for key, value in out.items()
        }

    def _without_secrets(self) -> GenerateParams:
        """These params without their secrets, as identifiers leave them out.

        What pickled chats carry: `extra` entries under secret names (and secret headers in
        header containers), URL user-info and secret query values are dropped, so a
        credential comes from the environment again rather than as a masked value. Tools
        and the tool choice lose only the values a schema holds for a secret-named
        parameter (a key as a default) and URL secrets.

        Returns:
            A copy, or these params when they hold no secret.
        """
        update: dict[str, Any] = {}
        with self._in_view():
            for name, value in self.__dict__.items():
                if value is None:
                    continue
                if name in self.__not_secret__:
                    if not isinstance(value, str) and schema_secrets(value):
                        clean = redact_schema(value, drop=True)
                        fixed = GenerateParams.model_validate({name: clean})
                        update[name] = getattr(fixed, name)
                    continue
                clean = redact_field(name, value, drop=True)
                if clean != value:
                    update[name] = clean
        return self.model_copy(update=update) if update else self


def _load_json(text: str, field: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{field} string is not valid JSON: {exc}") from None


def _as_identifier_value(value: Any) -> IdentifierValue:
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list) and len(value) > 1 and all(isinstance(v, str) for v in value):
        return list(value)
    # Lists of fewer than two items have no list spelling of their own (`a` reads back as a
    # str, nothing as ""), so they are written as JSON text like other lists.
    return json.dumps(value, separators=(",", ":"), default=_stable_text)


_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


def _stable_text(value: Any) -> str:
    """Text for a value JSON cannot carry, the same in every process.

    A class or function is its qualified name; another object its ``str()`` without a memory
    address (``<x.Client object at 0x7f..>`` changed with every object and process, so a
    checkpointed run could never resume and a cache never hit).
    """
    if isinstance(value, type) or (callable(value) and hasattr(value, "__qualname__")):
        return f"{getattr(value, '__module__', None) or '?'}.{value.__qualname__}"
    return _ADDRESS.sub("", _safe_str(value))


__dir__ = _public_dir(globals())
