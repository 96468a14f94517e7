"""The provider registry: `get_generator`, `get_identifier`, `register_generator`.

Providers map to generator classes or to zero-argument loaders returning one (so optional
dependencies are imported only when used). Unlike upstream, the default provider is named
explicitly (``litellm``), loaders are resolved into a cache without rewriting the table, and a
generator serialises under the provider it was registered as (its closest registered class).
"""

from __future__ import annotations

import importlib
import inspect
import json
import typing as t
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticSerializationError

from rigging._exports import public_dir as _public_dir
from rigging._redact import MASK, MIN_SECRET_LENGTH, secrets_in_view
from rigging.error import InvalidModelSpecifiedError
from rigging.generator.base import Generator
from rigging.generator.identifier import format_identifier, parse_identifier
from rigging.generator.params import GenerateParams, IdentifierValue

__all__ = [
    "DEFAULT_PROVIDER",
    "LazyGenerator",
    "get_generator",
    "get_identifier",
    "providers",
    "register_generator",
]

DEFAULT_PROVIDER = "litellm"
"""Provider used when a connection string has no ``provider!`` prefix."""

LazyGenerator = Callable[[], type[Generator]]
"""A zero-argument callable returning a generator class, called on first use."""

_RESERVED_KEYS = frozenset({"model", "params"})


class _Lazy:
    """A loader importing ``module:name``; comparable with a class without importing it."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    def __call__(self) -> type[Generator]:
        cls: type[Generator] = getattr(importlib.import_module(self.module), self.name)
        return cls

    def matches(self, cls: type) -> bool:
        return cls.__module__ == self.module and cls.__qualname__ == self.name


def _check_entry(provider: str, generator_cls: object) -> None:
    if not isinstance(provider, str):
        raise TypeError(f"a provider name is a str, not {type(provider).__name__}")
    if not provider or any(c in provider for c in "!,=;\"' \t\n"):
        raise ValueError(f"invalid provider name {provider!r}: use letters, digits, '-', '_'")
    if isinstance(generator_cls, type):
        if not issubclass(generator_cls, Generator):
            raise TypeError(f"{generator_cls.__name__} is not a Generator subclass")
    elif not callable(generator_cls):
        raise TypeError("generator_cls must be a Generator subclass or a zero-argument loader")


class _ProviderTable(MutableMapping[str, "type[Generator] | LazyGenerator"]):
    """The provider table, in registration order: 2.3's ``g_providers``.

    A mapping whose every change goes through `register_generator`'s checks and drops the
    class cached for the provider it changes, so code that reads or edits the table (as 2.3
    code edited its dict) and `get_generator` always agree. Replacing an entry keeps its place.
    """

    def __init__(self, entries: dict[str, type[Generator] | LazyGenerator]) -> None:
        self._entries = entries

    def __getitem__(self, provider: str) -> type[Generator] | LazyGenerator:
        return self._entries[provider]

    def __setitem__(self, provider: str, generator_cls: type[Generator] | LazyGenerator) -> None:
        _check_entry(provider, generator_cls)
        self._entries[provider] = generator_cls
        _resolved.pop(provider, None)

    def __delitem__(self, provider: str) -> None:
        del self._entries[provider]
        _resolved.pop(provider, None)

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def copy(self) -> dict[str, type[Generator] | LazyGenerator]:
        """A plain dict of the entries (2.3's ``g_providers`` was a dict)."""
        return dict(self._entries)

    def __or__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        return {**self._entries, **other}

    def __ror__(self, other: Mapping[str, Any]) -> dict[str, Any]:
        return {**other, **self._entries}

    def __repr__(self) -> str:
        return repr(self._entries)


_providers = _ProviderTable(
    {
        "litellm": _Lazy("rigging.generator.litellm_", "LiteLLMGenerator"),
        "http": _Lazy("rigging.generator.http", "HTTPGenerator"),
        "vllm": _Lazy("rigging.generator.vllm_", "VLLMGenerator"),
        "transformers": _Lazy("rigging.generator.transformers_", "TransformersGenerator"),
        "base": Generator,
    }
)
_resolved: dict[str, type[Generator]] = {}

g_providers: MutableMapping[str, type[Generator] | LazyGenerator] = _providers
"""2.3's name of the registry: the live table (reading and changing it is registering)."""


def register_generator(provider: str, generator_cls: type[Generator] | LazyGenerator) -> None:
    """Register (or replace) a provider.

    Args:
        provider: Name used before ``!`` in connection strings.
        generator_cls: A `Generator` subclass, or a zero-argument callable returning one.

    Raises:
        ValueError: The name is empty or holds characters the connection-string grammar uses.
        TypeError: `generator_cls` is neither a Generator subclass nor callable.
    """
    _providers[provider] = generator_cls


def providers() -> list[str]:
    """Return the registered provider names.

    Returns:
        The names, in registration order.
    """
    return list(_providers)


def _resolve(provider: str) -> type[Generator]:
    cached = _resolved.get(provider)
    if cached is not None:
        return cached
    entry = _providers.get(provider)
    if entry is None:
        known = ", ".join(sorted(_providers))
        raise InvalidModelSpecifiedError(f"unknown provider {provider!r} (registered: {known})")
    cls = entry if isinstance(entry, type) else entry()
    if not (isinstance(cls, type) and issubclass(cls, Generator)):
        raise TypeError(f"the loader for provider {provider!r} did not return a Generator class")
    _resolved[provider] = cls
    return cls


def _describe(exc: ValidationError) -> str:
    # Locations and messages only: pydantic's str() would repeat the input values.
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'value'}: {err['msg']}" for err in exc.errors()
    )


def get_generator(identifier: str, *, params: GenerateParams | None = None) -> Generator:
    """Build a generator from a connection string.

    ``[provider!]model[,key=value]*``: keys naming a field of the generator class (such as
    ``max_connections`` or ``api_key``) go to its constructor, keys naming a `GenerateParams`
    field go to its params, and every other key goes to `GenerateParams.extra` (passed through
    to the provider). Values keep the type the parser gave them: ``10`` is an int.

    Args:
        identifier: The connection string; the provider defaults to ``litellm``.
        params: Params merged over those from the string.

    Returns:
        The generator.

    Raises:
        InvalidModelSpecifiedError: The string, provider, or a value is invalid; the message
            names the part at fault and never contains the api key.
    """
    parsed = parse_identifier(identifier)
    cls = _resolve(parsed.provider or DEFAULT_PROVIDER)
    ctor_fields = set(cls.model_fields) - {"model", "params", "api_key"}
    param_fields = set(GenerateParams.model_fields) - {"extra"}
    init: dict[str, Any] = {}
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in parsed.params.items():
        if key in _RESERVED_KEYS:
            raise InvalidModelSpecifiedError(f"key {key!r} is reserved in connection strings")
        target = init if key in ctor_fields else fields if key in param_fields else extra
        if key == "stop" and isinstance(value, str) and ";" in value:
            # Only a quoted value holds a `;` (a bare one is a list): one stop sequence, which
            # is how `to_identifier` writes `stop=["a;b"]` (split, it came back as a and b).
            value = [value]
        target[key] = _decoded(value) if target is extra else value
    try:
        gen_params = GenerateParams(**fields, extra=extra).merge_with(params)
    except ValidationError as exc:
        raise InvalidModelSpecifiedError(f"invalid generation parameter {_describe(exc)}") from None
    return _construct(cls, parsed.model, parsed.api_key, gen_params, init)


def _decoded(value: IdentifierValue) -> Any:
    """An `extra` value as it was before `to_identifier` wrote it.

    Identifiers write an `extra` value that is a dict, a list of other than strings or a list
    of fewer than two strings as JSON text (``extra_headers={"X-Trace":"1"}``, ``tags=["a"]``);
    read back, that text is the dict or list again (it stayed a str, which litellm then
    refused with an opaque error). Other text, JSON or not, is kept as it is.
    """
    if not isinstance(value, str) or value[:1] not in "{[" or not value:
        return value
    try:
        decoded = json.loads(value)
    except (ValueError, RecursionError):
        return value
    if isinstance(decoded, dict) or (
        isinstance(decoded, list)
        and (len(decoded) < 2 or not all(isinstance(v, str) for v in decoded))
    ):
        return decoded
    return value


def _accepted(cls: type[Generator]) -> set[str] | None:
    """Keywords a custom ``__init__`` accepts; None when it takes any (pydantic's own)."""
    if t.cast("object", cls.__init__) is t.cast("object", BaseModel.__init__):
        return None
    try:
        parameters = inspect.signature(cls.__init__).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in parameters):
        return None
    return {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}


def _construct(
    cls: type[Generator],
    model: str,
    api_key: str | None,
    params: GenerateParams,
    init: dict[str, Any],
) -> Generator:
    """Build the generator with only the keywords its constructor accepts (as 2.3 did).

    An api key the constructor does not take is set on the generator afterwards; any other
    constructor value it does not take is refused (rather than silently dropped).
    """
    for key, value in init.items():
        annotation = cls.model_fields[key].annotation
        if isinstance(value, bool) and bool not in (annotation, *t.get_args(annotation)):
            raise InvalidModelSpecifiedError(
                f"invalid {cls.__name__} argument {key}: expected a number, got the boolean {value}"
            )
    kwargs: dict[str, Any] = {"model": model, "api_key": api_key, "params": params, **init}
    accepted = _accepted(cls)
    if accepted is not None:
        refused = [k for k in init if k not in accepted]
        if refused:
            raise InvalidModelSpecifiedError(
                f"{cls.__name__}() does not accept {', '.join(map(repr, refused))}"
            )
        kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    try:
        generator = cls(**kwargs)
    except ValidationError as exc:
        raise InvalidModelSpecifiedError(
            f"invalid {cls.__name__} argument {_describe(exc)}"
        ) from None
    if "api_key" not in kwargs and api_key is not None:
        generator.api_key = api_key
    return generator


def _provider_for(cls: type[Generator]) -> str:
    for klass in cls.__mro__:
        for name, entry in _providers.items():
            if entry is klass or _resolved.get(name) is klass:
                return name
            if isinstance(entry, _Lazy) and entry.matches(klass):
                return name
    for name, entry in _providers.items():  # user loaders not resolved yet
        if not isinstance(entry, type | _Lazy) and issubclass(cls, _resolve(name)):
            return name
    return "base"


def _ctor_values(generator: Generator) -> dict[str, IdentifierValue]:
    names = [
        name
        for name in type(generator).model_fields
        if name in generator.model_fields_set and name not in {"model", "api_key", "params"}
    ]
    out: dict[str, IdentifierValue] = {}
    for name in names:
        try:
            value = generator.model_dump(mode="json", include={name}).get(name)
        except PydanticSerializationError:
            # A runtime object (a client, a callback) has no text form to rebuild it from:
            # the identifier leaves it out rather than failing every chat's `generator_id`.
            continue
        if value is None:
            continue
        if isinstance(value, bool | int | float | str):
            out[name] = value
        else:
            out[name] = GenerateParams(extra={name: value}).to_identifier_params()[name]
    return out


def get_identifier(generator: Generator, params: GenerateParams | None = None) -> str:
    """Return the connection string that rebuilds `generator` (never with its api key).

    Constructor fields set explicitly come first (in field order), then the generation
    params (in `GenerateParams` field order, `extra` last). Neither the generator nor its
    params are modified.

    Args:
        generator: The generator.
        params: Params merged over the generator's own.

    Returns:
        The connection string.
    """
    provider = _provider_for(type(generator))
    secrets = generator._secrets()
    with secrets_in_view(secrets):  # masked in its URLs too (a key in a path)
        values = _ctor_values(generator)
        merged = generator.params.merge_with(params)
        values.update(merged.to_identifier_params())
        text = format_identifier(provider, generator.model, values, merged.__not_secret__)
    # Wherever else a secret of its own still stands (its api key written into an HTTP
    # spec's URL path, whose view masks the spec's own secrets only), it is masked too.
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    return text


__dir__ = _public_dir(globals())
