"""The `Generator` base class; result and parameter types are re-exported from here."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast, overload

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
from typing_extensions import ParamSpec, Self

from rigging._exports import moved_names as _moved_names
from rigging._exports import public_dir as _public_dir
from rigging._redact import (
    MASK,
    is_secret_name,
    redact_field,
    redact_repr_args,
    redact_text,
    remember,
    remember_repeated,
    reveals,
    secret_values,
    secrets_in_view,
)
from rigging.generator._calls import chat as chat  # 2.3 names
from rigging.generator._calls import check_batch as check_batch
from rigging.generator._calls import complete as complete
from rigging.generator._fixups import Fixup, Fixups
from rigging.generator._origin import mark_from_data
from rigging.generator._secret_fields import copy_without_secrets, field_without_secrets
from rigging.generator.chunks import StreamChunk, StreamFinish, TextDelta, ToolCallDelta
from rigging.generator.params import GenerateParams
from rigging.generator.results import (
    GeneratedMessage,
    GeneratedT,
    GeneratedText,
    StopReason,
    Usage,
    convert_stop_reason,
)
from rigging.message import Message

if TYPE_CHECKING:
    import os

    from rigging._cache.generator import CachedGenerator, CacheMode
    from rigging._cache.store import CacheStore
    from rigging.chat import ChatPipeline, MessageInput
    from rigging.completion import CompletionPipeline
    from rigging.generator.registry import LazyGenerator as LazyGenerator  # 2.3 names (below)
    from rigging.generator.registry import g_providers as g_providers
    from rigging.generator.registry import get_generator as get_generator
    from rigging.generator.registry import get_identifier as get_identifier
    from rigging.generator.registry import register_generator as register_generator
    from rigging.logging import trace_messages as trace_messages
    from rigging.logging import trace_str as trace_str
    from rigging.prompt import Prompt

__all__ = [
    "Fixup",
    "Fixups",
    "GenerateParams",
    "GeneratedMessage",
    "GeneratedT",
    "GeneratedText",
    "Generator",
    "StopReason",
    "Usage",
    "WatchCallback",
    "WrapFunc",
    "chat",
    "complete",
    "convert_stop_reason",
]

T = TypeVar("T")
P = ParamSpec("P")
R = TypeVar("R")

WatchCallback = Callable[..., Awaitable[Any]]
"""A callback handed to every pipeline created from the generator (see `Generator.watch`)."""

WrapFunc = Callable[[Callable[..., Awaitable[Any]]], Callable[..., Awaitable[Any]]]
"""A decorator applied around the provider call (see `Generator.wrap`)."""


class Generator(BaseModel):
    """Base class of every generator: turns conversations or texts into model output.

    Subclasses implement `generate_messages` and/or `generate_texts`. A generator is built
    from a connection string with `rigging.get_generator` and turned back into one with
    `to_identifier`. The api key is never part of `repr`, `model_dump` or identifiers, and
    neither is any other secret (fields or params under secret names, header values, URL
    user-info): reprs and dumps mask them, identifiers leave them out, and error messages
    built from provider replies have their values scrubbed (see ``rigging._redact``).

    Pickles: a generator pickled itself (shipped to a worker process, inside a pipeline or a
    pipeline factory) keeps its api key and every other secret, as ``copy.copy`` and
    ``copy.deepcopy`` do. A generator reached through data (a pickled `Chat` or
    `Completion`, and so a `ChatList`, a run error's ``completed`` results or a stream
    event) is pickled without them (`_without_secrets`): the unpickled result's generator
    has the same class, model and settings, no api key and no private state (watch
    callbacks, wrap function, clients), and takes its credentials from the environment,
    as one rebuilt from the result's ``generator_id`` does.
    """

    model_config = ConfigDict(
        defer_build=True, coerce_numbers_to_str=True, hide_input_in_errors=True
    )

    model: str
    """Model name as the provider knows it."""
    api_key: str | None = Field(default=None, exclude=True, repr=False)
    """Provider api key; excluded from dumps, reprs and identifiers."""
    params: GenerateParams = Field(default_factory=GenerateParams)
    """Generator-level parameters; request-level params are merged on top."""

    supports_api_tools: ClassVar[bool] = True
    """Whether ``GenerateParams.tools`` reach a provider that can call them: then
    ``using(mode="auto")`` offers tools through the API, otherwise as native XML. True by
    default, as 2.3 offered functions through the API on every generator (a custom generator
    may answer with tool calls); the shipped text-only generators (HTTP, local, offline
    doubles) declare False."""

    _watch_callbacks: list[WatchCallback] = PrivateAttr(default_factory=list)
    _wrap: WrapFunc | None = PrivateAttr(default=None)
    _fixups: Fixups = PrivateAttr(default_factory=Fixups)

    @field_validator("model")
    @classmethod
    def _named(cls, model: str) -> str:
        # An empty name has no connection string: every chat of the generator then failed
        # to dump (and every watcher with it), far from where the generator was made.
        if not model:
            raise ValueError("the model name must not be empty")
        return model

    def model_post_init(self, context: Any, /) -> None:
        """Remember this generator's secret values, so logs and spans can scrub them."""
        super().model_post_init(context)
        remember(self._secrets())

    @model_serializer(mode="wrap")
    def _redact_secrets(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        if reveals(info.context):
            return cast("dict[str, Any]", handler(self))
        # Its URLs (its params' `api_base`) are masked of its secrets too (a key in a path).
        with secrets_in_view(self._secrets()):
            data: dict[str, Any] = handler(self)
            # `params` was dumped by `GenerateParams`' own serializer, which redacted it (tool
            # schemas as schemas): it is not redacted again as plain values.
            return {
                key: MASK
                if is_secret_name(key)
                else value
                if key == "params" and isinstance(self.params, GenerateParams)
                else redact_field(key, value)
                for key, value in data.items()
            }

    def __repr_args__(self) -> Any:
        return list(redact_repr_args(super().__repr_args__()))

    def __repr__(self) -> str:
        """The fields, secrets masked; its URLs masked of its secrets too (a key in a path)."""
        with secrets_in_view(self._secrets()):
            return super().__repr__()

    def __str__(self) -> str:
        """As `__repr__`, without the class name."""
        with secrets_in_view(self._secrets()):
            return super().__str__()

    def _secrets(self) -> list[str]:
        """Every secret value this generator holds.

        The api key, values under secret names, header values and URL user-info in its
        fields and params.
        """
        fields = {k: v for k, v in self.__dict__.items() if k != "api_key"}
        found = secret_values(fields)
        if self.api_key:
            found.insert(0, self.api_key)
        return found

    def _without_secrets(self) -> Self:
        """This generator without its secrets: what pickled chats and completions carry.

        Every field goes through `_field_without_secrets` (the api key and other fields
        under secret names become None; secrets inside values are left out as identifiers
        leave them out), so none of `_secrets` remains.
        Private state starts afresh, as in a generator rebuilt from its identifier: watch
        callbacks, the wrap function and runtime state (throttles, clients, loaded engines,
        recorded requests, a token a subclass keeps) stay behind.

        Returns:
            A new generator of the same class, with the same fields set.
        """
        with secrets_in_view(self._secrets()):  # masked in its URLs too (a key in a path)
            return copy_without_secrets(self)

    def _mark_from_data(self) -> None:
        """Mark where this generator sends as chosen by loaded data (see `_origin`).

        Called on a generator restored from a loaded chat's ``generator_id``: its endpoint
        settings and model are marked; subclasses mark settings of their own (a spec).
        """
        mark_from_data(self.params, model=self.model)

    def _field_without_secrets(self, name: str, value: Any) -> Any:
        """The value of field `name` without secrets, or `value` itself when it holds none.

        A field under a secret name (``api_key``, a subclass's ``access_token``) and a
        ``SecretStr``/``SecretBytes`` become None; nested generators and params clean
        themselves, in lists, tuples and dicts too; strings and containers lose their entries
        under secret names, URL user-info and secret query values (as identifiers).
        Subclasses with fields of their own kind override this (`HTTPGenerator`'s spec).
        """
        return field_without_secrets(name, value)

    def to_identifier(self, params: GenerateParams | None = None) -> str:
        """Return the connection string of this generator (see `rigging.get_identifier`).

        Args:
            params: Extra params to merge over the generator's own for the identifier.

        Returns:
            The connection string, without the api key.
        """
        from rigging.generator.registry import get_identifier  # the registry builds on this module

        return get_identifier(self, params)

    def watch(self, *callbacks: WatchCallback, allow_duplicates: bool = False) -> Self:
        """Register callbacks given to every pipeline created from this generator afterwards.

        Mutates the generator and returns it.

        Args:
            *callbacks: The callbacks.
            allow_duplicates: Add callbacks already registered again.

        Returns:
            The generator.
        """
        for callback in callbacks:
            if allow_duplicates or callback not in self._watch_callbacks:
                self._watch_callbacks.append(callback)
        return self

    @property
    def watch_callbacks(self) -> list[WatchCallback]:
        """The registered watch callbacks: the generator's own list, so changes count."""
        return self._watch_callbacks

    def wrap(self, func: WrapFunc | None) -> Self:
        """Apply `func` as a decorator around every provider call (None removes it).

        Mutates the generator and returns it, so it affects every pipeline sharing it.
        Useful for custom rate limiting or backoff on top of the built-in retries.

        Args:
            func: A function taking the async provider call and returning a replacement.

        Returns:
            The generator.
        """
        self._wrap = func
        return self

    def _wrapped(self, call: Callable[..., Awaitable[T]]) -> Callable[..., Awaitable[T]]:
        return call if self._wrap is None else self._wrap(call)

    def _check_fixups(self, error: Exception) -> bool:
        """Activate the first available fixup that can fix `error` (see `Fixups.check`)."""
        return self._fixups.check(error)

    def _apply_fixups(self, messages: Sequence[Message]) -> Sequence[Message]:
        """`messages` through this generator's active fixups, in order."""
        return self._fixups.apply(messages)

    def with_cache(
        self,
        store: str | os.PathLike[str] | CacheStore,
        *,
        mode: CacheMode = "read_write",
        ttl: float | None = None,
        force: bool = False,
    ) -> CachedGenerator:
        """A generator that answers repeated deterministic requests from a cache.

        See docs/design/scale.md for keys, modes and what is never cached.

        Args:
            store: A path (an SQLite file, created when missing) or a `rigging.cache.CacheStore`.
            mode: ``"read_write"``, ``"read_only"`` or ``"refresh"`` (ask again, overwrite).
            ttl: Seconds an entry stays valid (None: forever).
            force: Also cache requests with ``temperature > 0`` and no seed.

        Returns:
            A `rigging.cache.CachedGenerator` wrapping this generator.
        """
        from rigging._cache.generator import with_cache  # the cache builds on generators

        return with_cache(self, store, mode=mode, ttl=ttl, force=force)

    def load(self) -> Self:
        """Load resources (model weights, clients); a no-op unless a subclass needs it.

        Returns:
            The generator.
        """
        return self

    def unload(self) -> Self:
        """Release what `load` acquired; a no-op unless a subclass needs it.

        Returns:
            The generator.
        """
        return self

    def _redact(self, text: str) -> str:
        """Remove every secret of this generator from `text`.

        Used on every error message built from I/O, provider error bodies included.
        """
        secrets = self._secrets()
        remember(secrets)
        return redact_text(text, secrets)

    def _request_secrets(self, params: GenerateParams | None) -> list[str]:
        """The secret values one request adds to the generator's own.

        Those of its params (values under secret names in ``extra``, header values, URL
        secrets); subclasses add what else the request sends (e.g. keys read from the
        environment).
        """
        return [] if params is None else secret_values(params)

    def _request_redactor(
        self, params: GenerateParams | None, extra: Iterable[str] = ()
    ) -> Callable[[str], str]:
        """`_redact` for one request: also removes the secrets of its `params`, and `extra`.

        The generator's and the params' secrets are remembered too, so logs and spans scrub
        them; `extra` (what one rendered request holds at its secret places) from its second
        request on (`remember_repeated`): a value made per request (an idempotency key, a
        nonce) would grow the process's known secrets, and the time of every scrub, with each.
        """
        secrets = [*self._secrets(), *self._request_secrets(params)]
        remember(secrets)
        extra = list(extra)
        remember_repeated(extra)
        secrets.extend(extra)

        def redact(text: str) -> str:
            return redact_text(text, secrets)

        return redact

    def chat(
        self, messages: MessageInput | None = None, params: GenerateParams | None = None
    ) -> ChatPipeline:
        """Stage a conversation with this generator (nothing is generated until a run).

        Args:
            messages: Messages, dicts or strs (a str is a user message).
            params: Pipeline-level params.

        Returns:
            The pipeline, with this generator's watch callbacks.
        """
        from rigging.chat import ChatPipeline  # the pipeline imports generators

        return ChatPipeline(self, messages, params=params, watch_callbacks=self._watch_callbacks)

    def complete(self, text: str, params: GenerateParams | None = None) -> CompletionPipeline:
        """Stage a text completion with this generator.

        Args:
            text: The prompt text.
            params: Pipeline-level params.

        Returns:
            The pipeline, with this generator's watch callbacks.
        """
        from rigging.completion import CompletionPipeline  # the pipeline imports generators

        return CompletionPipeline(self, text, params=params, watch_callbacks=self._watch_callbacks)

    @overload
    def prompt(self, func: Callable[P, Coroutine[Any, Any, R]]) -> Prompt[P, R]: ...

    @overload
    def prompt(self, func: Callable[P, R]) -> Prompt[P, R]: ...

    def prompt(self, func: Callable[..., Any]) -> Prompt[..., Any]:
        """Decorator: a prompt function running on this generator (see `rigging.prompt`).

        Args:
            func: The function.

        Returns:
            The prompt.
        """
        from rigging.prompt import prompt  # prompts build on generators

        return prompt(func, generator=self)

    async def generate_messages(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage]:
        """Generate one assistant message per conversation.

        Args:
            messages: The conversations.
            params: One params object per conversation (merged over `self.params`).

        Returns:
            One result per conversation, in order.

        Raises:
            NotImplementedError: This generator does not support chat generation.
        """
        raise NotImplementedError(f"{type(self).__name__} does not support chat generation")

    async def generate_messages_settled(
        self,
        messages: Sequence[Sequence[Message]],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedMessage | Exception]:
        """Like `generate_messages`, but one item's failure is that item's result alone.

        Pipelines generate through this method, so one failing conversation never costs
        the others their results. This default sends the whole batch to `generate_messages`;
        if that raises, the batch is split in halves and each is tried again, down to single
        items (at most ``2n - 1`` calls for ``n`` items; errors that concern every item alike,
        such as refused credentials, fail them all without splitting). Generators that can
        tell their items apart (the remote ones) override it to report each item's error.

        Args:
            messages: The conversations.
            params: One params object per conversation.

        Returns:
            One result or exception per conversation, in order.
        """
        from rigging.generator._settle import settle_batch  # imports asyncio

        return await settle_batch(self.generate_messages, messages, params)

    async def stream_messages(
        self, messages: Sequence[Message], params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Generate one assistant message for one conversation, yielding it as it arrives.

        The stream is `TextDelta` and `ToolCallDelta` chunks, then one `StreamFinish` with the
        stop reason, usage and extra details. This default calls `generate_messages` and
        yields the whole answer as one text chunk; generators with a streaming API (LiteLLM)
        override it. Closing the iterator early closes the request. A bad answer (not a list
        of one `GeneratedMessage`) raises a `GenerationError`, as a batch run's check does.

        Args:
            messages: The conversation.
            params: Request params (merged over `self.params`).

        Yields:
            The chunks, ending with one `StreamFinish`.
        """
        from rigging.generator._settle import one_result  # imports asyncio

        method = self.generate_messages
        returned = await method([messages], [params or GenerateParams()])
        generated = one_result(returned, method, GeneratedMessage)
        text = generated.message.content
        if text:
            yield TextDelta(text)
        for index, call in enumerate(generated.message.tool_calls or ()):
            name, arguments = call.function.name, call.function.arguments
            yield ToolCallDelta(index, id=call.id, name=name, arguments=arguments)
        yield StreamFinish(generated.stop_reason, generated.usage, dict(generated.extra))

    async def generate_texts(
        self,
        texts: Sequence[str],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedText]:
        """Generate one completion per text.

        Args:
            texts: The prompts.
            params: One params object per text (merged over `self.params`).

        Returns:
            One result per text, in order.

        Raises:
            NotImplementedError: This generator does not support text completion.
        """
        raise NotImplementedError(f"{type(self).__name__} does not support text completion")

    async def generate_texts_settled(
        self,
        texts: Sequence[str],
        params: Sequence[GenerateParams],
    ) -> Sequence[GeneratedText | Exception]:
        """Like `generate_texts`, but one item's failure is that item's result alone.

        Same contract as `generate_messages_settled`: the default splits a batch whose
        `generate_texts` call raised, to isolate the failing texts.

        Args:
            texts: The prompts.
            params: One params object per text.

        Returns:
            One result or exception per text, in order.
        """
        from rigging.generator._settle import settle_batch  # imports asyncio

        return await settle_batch(self.generate_texts, texts, params)

    async def stream_texts(
        self, text: str, params: GenerateParams | None = None
    ) -> AsyncIterator[StreamChunk]:
        """Complete one text, yielding the completion as it arrives.

        The stream is `TextDelta` chunks, then one `StreamFinish` with the stop reason, usage
        and extra details. This default calls `generate_texts` and yields the whole completion
        as one chunk; generators with a streaming API (LiteLLM) override it. Closing the
        iterator early closes the request. A bad answer raises a `GenerationError`.

        Args:
            text: The prompt.
            params: Request params (merged over `self.params`).

        Yields:
            The chunks, ending with one `StreamFinish`.
        """
        from rigging.generator._settle import one_result  # imports asyncio

        call = self.generate_texts
        generated = one_result(
            await call([text], [params or GenerateParams()]), call, GeneratedText
        )
        if generated.text:
            yield TextDelta(generated.text)
        yield StreamFinish(generated.stop_reason, generated.usage, dict(generated.extra))


__dir__ = _public_dir(globals())
_REGISTRY, _LOGGING = "rigging.generator.registry", "rigging.logging"
__getattr__ = _moved_names(
    __name__,
    {"get_generator": _REGISTRY, "get_identifier": _REGISTRY, "register_generator": _REGISTRY}
    | {"LazyGenerator": _REGISTRY, "g_providers": _REGISTRY}
    | {"trace_messages": _LOGGING, "trace_str": _LOGGING},
)
