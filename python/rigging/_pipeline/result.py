"""Behaviour shared by run results (`Chat`, `Completion`): loading, error text, identity.

The fields themselves are declared on each result class (their order is the dump order); this
base only adds what both do the same way.
"""

from __future__ import annotations

import typing as t

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidatorFunctionWrapHandler,
    computed_field,
    field_serializer,
    field_validator,
    model_validator,
)
from typing_extensions import Self

from rigging._deep_json import load_json
from rigging._redact import known_secrets, redact_text, secret_values
from rigging._secret_pickle import without_secrets_when_pickled
from rigging._surrogates import dump_json
from rigging.error import RestoredError, _safe_str
from rigging.generator import get_generator
from rigging.generator._origin import mark_from_data

if t.TYPE_CHECKING:
    from rigging.generator import GenerateParams, Generator

__all__ = ["RunResult"]


class RunResult(BaseModel):
    """Base of `Chat` and `Completion` (declares no fields of its own)."""

    # NaN and infinities in metadata or extra are kept (see `Message`), not written as null.
    model_config = ConfigDict(
        defer_build=True, hide_input_in_errors=True, ser_json_inf_nan="constants"
    )

    _EQ_FIELDS: t.ClassVar[tuple[str, ...]] = ()
    """Fields compared by ``==`` besides the error text and `generator_id`."""

    if t.TYPE_CHECKING:  # declared by the subclasses
        generator: Generator | None
        params: GenerateParams | None
        error: Exception | None

    @model_validator(mode="before")
    @classmethod
    def _restore(cls, data: t.Any) -> t.Any:
        """Resolve a truthy `generator_id`; a dumped error text becomes `RestoredError`.

        A generator id that turns on ``trust_remote_code`` (the model repository's own code
        runs when the model loads) is refused: data must not choose to run code. Load such a
        chat without its ``generator_id`` and attach a generator you made yourself. The
        endpoint settings of a restored generator (``api_base``...) are marked as chosen by
        the data (an HTTP generator's spec too): a request to them is refused unless they
        name this machine.
        """
        if not isinstance(data, dict):
            return data
        data = dict(data)
        generator_id = data.pop("generator_id", None)
        if generator_id and data.get("generator") is None:
            generator = get_generator(generator_id)
            if getattr(generator, "trust_remote_code", False) is not False:
                raise ValueError(
                    "the generator_id turns on trust_remote_code, which runs code from the "
                    "model's repository when it loads; a chat loaded from data may not choose "
                    "that (drop generator_id from the data and set the chat's generator "
                    "yourself for data you trust)"
                )
            generator._mark_from_data()
            data["generator"] = generator
        if isinstance(data.get("error"), str):
            data["error"] = RestoredError(data["error"])
        return data

    @field_validator("params", mode="wrap", check_fields=False)
    @classmethod
    def _mark_loaded_params(cls, value: t.Any, handler: ValidatorFunctionWrapHandler) -> t.Any:
        """Params given as data (not a `GenerateParams` object) get their endpoints marked."""
        params = handler(value)
        if params is not None and not isinstance(value, BaseModel):
            mark_from_data(params)
        return params

    def __getstate__(self) -> dict[t.Any, t.Any]:
        """Pickle state holding no secret: the generator and params without theirs.

        A result is data: pickled (to a file, another process, a Ray task) it carries its
        generator without the api key or any other secret (`Generator._without_secrets`)
        and its params without secret values, like its JSON dump. In-process copies
        (``copy.copy``, ``copy.deepcopy``, ``model_copy``) keep them.
        """
        state = super().__getstate__()
        fields: dict[str, t.Any] = state["__dict__"]
        clean = {
            name: without_secrets_when_pickled(fields[name])
            for name in ("generator", "params")
            if fields.get(name) is not None
        }
        return {**state, "__dict__": {**fields, **clean}} if clean else state

    def model_dump_json(self, **kwargs: t.Any) -> str:
        """JSON of the model; a lone surrogate in any text is written as U+FFFD."""
        return dump_json(self, super().model_dump_json, **kwargs)

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: t.Any) -> Self:
        """``model_validate_json`` that also reads text nested as deep as dumps go."""
        return load_json(cls, super().model_validate_json, json_data, **kwargs)

    @field_serializer("error", when_used="json", check_fields=False)
    def _error_text(self, error: Exception | None) -> str | None:
        return None if error is None else self._redacted_error(error)

    def _redacted_error(self, error: BaseException) -> str:
        """The text of `error` without the secrets of the generator, the params or the process.

        An error raised during a run may repeat a key (a provider's echo, a custom
        generator's message); the dumped chat must not.
        """
        secrets = list(known_secrets())
        if self.generator is not None:
            secrets.extend(self.generator._secrets())
        if self.params is not None:
            secrets.extend(secret_values(self.params))
        return redact_text(_safe_str(error), secrets)  # a broken __str__: the type's name

    @computed_field  # type: ignore[prop-decorator]
    @property
    def generator_id(self) -> str | None:
        """Connection string of the generator with these params (no api key), or None."""
        if self.generator is None:
            return None
        return self.generator.to_identifier(self.params)

    def _key(self) -> tuple[t.Any, ...]:
        error = None if self.error is None else self._redacted_error(self.error)
        return (*(getattr(self, name) for name in self._EQ_FIELDS), error, self.generator_id)

    def __eq__(self, other: object) -> bool:
        """Equal when the dumped fields are (the error compared by its text)."""
        if not isinstance(other, RunResult) or other._EQ_FIELDS != self._EQ_FIELDS:
            return NotImplemented
        return self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]
