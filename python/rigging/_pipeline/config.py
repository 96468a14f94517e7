"""Pipeline configuration: the `Settings` value and the builder methods that change it.

`PipelineConfig` holds what every pipeline is made of (its generator and `Settings`), the hooks
each kind fills in, and the builder and copy methods; `PipelineBase`
(`rigging._pipeline.base`) adds the runners on top.

Value semantics (see
docs/design/decisions-pipelines.md): configuration methods (`catch`, `watch`,
`then`, `map`, `meta`, `until*`, `add`) change the pipeline and return it; `copy_with`, `fork`,
`clone` and `apply` return a new pipeline and never touch the receiver. `with_` keeps 2.3's
behaviour: it sets params on the pipeline while it has none, and returns a copy afterwards.
The configuration is an immutable `Settings` value, so copies share nothing mutable except
`metadata`, which is deep-copied. Assigning one of 2.3's attributes (``pipeline.params = ...``,
``pipeline.then_callbacks = [...]``) replaces that setting, checked as its method checks it.
"""

from __future__ import annotations

import copy
import inspect
import types
import typing as t
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace

from typing_extensions import Self

from rigging._model.base import Model
from rigging._pipeline.state import DEFAULT_MAX_ROUNDS, FailMode, check_fail_mode, check_rounds
from rigging._pipeline.views import SettingList, SettingSet
from rigging.generator import GenerateParams, Generator
from rigging.tracing import callback_name

if t.TYPE_CHECKING:
    import os

    from rigging._cache.generator import CacheMode
    from rigging._cache.store import CacheStore
    from rigging._pipeline.callbacks import ToolHandler
    from rigging._pipeline.run import Driver

__all__ = [
    "AnyCallback",
    "PipelineConfig",
    "Settings",
    "UntilSpec",
    "refuse_assignment",
    "until_specs",
]

T = t.TypeVar("T")
ResultT = t.TypeVar("ResultT")
ListT = t.TypeVar("ListT", bound=list[t.Any])
StreamT = t.TypeVar("StreamT")
AnyCallback = Callable[..., t.Any]


@dataclass(frozen=True, slots=True)
class UntilSpec:
    """One registered `until` check."""

    callback: AnyCallback | None
    """The check; None stands for the pipeline's own parse check over `until_types`."""
    attempt_recovery: bool = False
    """Chat: send the failed message and the check's feedback back to the model."""
    drop_dialog: bool = True
    """Chat: keep only the final message, not the recovery dialog."""
    max_rounds: int = DEFAULT_MAX_ROUNDS
    """Extra generations the check may ask for."""
    use_all_text: bool = False
    """Completion: check prompt + generated text instead of the generated text."""

    def __post_init__(self) -> None:
        check_rounds("max_rounds", self.max_rounds, 0)


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a pipeline is configured with, besides its generator and content."""

    params: GenerateParams | None = None
    metadata: dict[str, t.Any] = field(default_factory=dict)
    on_failed: FailMode = "raise"
    fail_on: tuple[type[BaseException], ...] = ()
    exclude: tuple[type[BaseException], ...] = ()
    untils: tuple[UntilSpec, ...] = ()
    until_types: tuple[type[Model], ...] = ()
    thens: tuple[AnyCallback, ...] = ()
    maps: tuple[AnyCallback, ...] = ()
    watches: tuple[AnyCallback, ...] = ()
    tool_handlers: tuple[ToolHandler, ...] = ()


def _exception_types(what: str, given: t.Any) -> tuple[type[BaseException], ...]:
    """`given` as a tuple of exception classes; a `TypeError` naming `what` and the bad one."""
    if given is None:
        return ()
    if isinstance(given, str | type) or not isinstance(given, t.Iterable):
        raise TypeError(f"{what} takes a list of exception classes, got {given!r}")
    out: list[type[BaseException]] = []
    for index, item in enumerate(given):
        if isinstance(item, types.UnionType):  # ValueError | KeyError, as isinstance takes
            out.extend(_exception_types(what, t.get_args(item)))
            continue
        if isinstance(item, type) and issubclass(item, BaseException):
            out.append(item)
            continue
        hint = (
            f" (an instance: pass {type(item).__name__} itself)"
            if isinstance(item, BaseException)
            else f" (a {type(item).__name__})"
        )
        raise TypeError(f"{what} takes exception classes, got {item!r}{hint} at position {index}")
    return tuple(out)


def _require_async(kind: str, callback: AnyCallback) -> None:
    call = getattr(callback, "__call__", None)  # noqa: B004 - async callable objects too
    if not (inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(call)):
        raise TypeError(f"{kind} callback must be an async function, got {callback!r}")


def _require_sync(kind: str, callback: t.Any) -> None:
    """Refuse an async (or non-callable) `callback` where a plain function is called."""
    call = getattr(callback, "__call__", None)  # noqa: B004 - callable objects too
    if call is None:
        raise TypeError(f"{kind} callback must be a function, got {callback!r}")
    if inspect.iscoroutinefunction(callback) or inspect.iscoroutinefunction(call):
        raise TypeError(
            f"{kind} callback {callback_name(callback)} must be a plain (not async) function: "
            f"it is called synchronously after each generation, got {callback!r}"
        )


def _unique(items: tuple[T, ...]) -> tuple[T, ...]:
    return tuple(dict.fromkeys(items))


def _model_types(what: str, given: t.Any) -> tuple[type[Model], ...]:
    """`given` as a tuple of `Model` classes; a `TypeError` naming `what` and the bad one."""
    if isinstance(given, str | type) or not isinstance(given, t.Iterable):
        raise TypeError(f"{what} takes a list of Model classes, got {given!r}")
    items = tuple(given)
    for model_type in items:
        if not (isinstance(model_type, type) and issubclass(model_type, Model)):
            raise TypeError(f"{what} takes Model classes, not {model_type!r}")
    return items


def _async_callbacks(kind: str, what: str, given: t.Any) -> tuple[AnyCallback, ...]:
    """`given` as a tuple of async callables, each checked as ``kind(...)`` checks it."""
    if isinstance(given, str) or not isinstance(given, t.Iterable):
        raise TypeError(f"pipeline.{what} takes a list of async callables, got {given!r}")
    items = tuple(given)
    for callback in items:
        _require_async(kind, callback)
    return items


def _check_params(what: str, params: t.Any) -> GenerateParams | None:
    if params is not None and not isinstance(params, GenerateParams):
        raise TypeError(f"{what} takes GenerateParams or None, got {type(params).__name__}")
    return params


def until_specs(
    rows: t.Any, shape: str, parse_check: type[t.Any], types: tuple[type[Model], ...]
) -> tuple[tuple[AnyCallback | None, tuple[t.Any, ...]], ...]:
    """2.3 ``until_callbacks`` tuples as ``(callback, other fields)``, checked as ``until``.

    An entry holding the pipeline's parse check (as read from ``until_callbacks``) stands for
    the `until_parsed_as` check (callback None); one over other types cannot be rebuilt.
    """
    if isinstance(rows, str) or not isinstance(rows, t.Iterable):
        raise TypeError(f"pipeline.until_callbacks takes a list of {shape} tuples, got {rows!r}")
    out: list[tuple[AnyCallback | None, tuple[t.Any, ...]]] = []
    width = shape.count(",") + 1
    for index, row in enumerate(rows):
        if not isinstance(row, tuple) or len(row) != width:
            raise TypeError(
                f"pipeline.until_callbacks takes {shape} tuples, got {row!r} at position {index}"
            )
        callback, *rest = row
        if isinstance(callback, parse_check):
            if callback.types != types or any(c is None for c, _ in out):
                raise AttributeError(
                    f"pipeline.until_callbacks: the parse check at position {index} is not this "
                    "pipeline's (its types differ, or it is there twice); use until_parsed_as(...)"
                )
            callback = None
        else:
            _require_sync("until", callback)
        out.append((callback, tuple(rest)))
    return tuple(out)


def refuse_assignment(setting: str, use: str) -> t.NoReturn:
    """Refuse 2.3's assignment of a tool `setting` with an error naming the method to use."""
    raise AttributeError(
        f"pipeline.{setting} cannot be assigned here: it is derived from the tools given to "
        f"the pipeline (their handlers, params and system prompt); use {use} instead"
    )


def _params_of(params: GenerateParams | None, kwargs: dict[str, t.Any]) -> GenerateParams:
    """``params`` with the keyword fields merged over it."""
    _check_params("params", params)
    if not kwargs:
        return params if params is not None else GenerateParams()
    from_kwargs = GenerateParams(**kwargs)
    return from_kwargs if params is None else params.merge_with(from_kwargs)


class PipelineConfig(t.Generic[ResultT, ListT, StreamT]):
    """The configuration side of `PipelineBase`: hooks, settings views, builders and copies."""

    _result_type: t.ClassVar[type[t.Any]]
    _list_type: t.ClassVar[type[list[t.Any]]]
    _generator: Generator

    def __init__(
        self,
        generator: Generator,
        *,
        params: GenerateParams | None = None,
        watch_callbacks: Sequence[AnyCallback] | None = None,
    ) -> None:
        self.generator = generator
        self.settings = Settings(params=params, watches=tuple(watch_callbacks or ()))
        """The pipeline's configuration (immutable; builder methods replace it)."""

    # --- hooks for the two kinds ----------------------------------------------------------------

    def _driver(self, generator: Generator) -> Driver[ResultT]:
        raise NotImplementedError

    def _base_input(self) -> t.Any:
        raise NotImplementedError

    def _batch_inputs(self, many: t.Any) -> list[t.Any]:
        raise NotImplementedError

    def _copy_content(self) -> None:
        raise NotImplementedError

    def _streaming(self) -> tuple[type[t.Any], Callable[..., StreamT]]:
        """The streaming driver class and the event stream class (`rigging._pipeline.stream`)."""
        raise NotImplementedError

    # --- configuration views --------------------------------------------------------------------

    @property
    def params(self) -> GenerateParams | None:
        """Pipeline-level params, merged over the generator's and under per-call params."""
        return self.settings.params

    @params.setter
    def params(self, value: GenerateParams | None) -> None:
        self._set(params=_check_params("pipeline.params", value))

    @property
    def generator(self) -> Generator:
        """The generator runs use (swapped per clone by `run_over`); assignable, as in 2.3."""
        return self._generator

    @generator.setter
    def generator(self, value: Generator) -> None:
        if not isinstance(value, Generator):
            raise TypeError(
                f"pipeline.generator takes a Generator, got {type(value).__name__} "
                "(for a connection string, use rigging.get_generator(...))"
            )
        self._generator = value

    @property
    def metadata(self) -> dict[str, t.Any]:
        """Metadata copied into every result (assignable: a dict with str keys, as `meta`)."""
        return self.settings.metadata

    @metadata.setter
    def metadata(self, value: t.Mapping[str, t.Any]) -> None:
        if not isinstance(value, t.Mapping):
            raise TypeError(f"pipeline.metadata takes a dict, got {type(value).__name__}")
        bad = [key for key in value if not isinstance(key, str)]
        if bad:  # meta(**kwargs) only ever adds str keys
            raise TypeError(f"pipeline.metadata keys must be str, got {bad[0]!r}")
        self._set(metadata=value if type(value) is dict else dict(value))

    @property
    def on_failed(self) -> FailMode:
        """Default failure mode of the runners (see `FailMode`).

        Assignable, as in 2.3 (``pipeline.on_failed = "include"``), with the same check as
        ``catch(on_failed=...)``. Copies made afterwards keep it; copies made before, and
        ``clone(only_messages=True)``, do not.
        """
        return self.settings.on_failed

    @on_failed.setter
    def on_failed(self, value: FailMode) -> None:
        self._set(on_failed=check_fail_mode(value))

    @property
    def errors_to_fail_on(self) -> set[type[BaseException]]:
        """Errors that mark an item failed instead of propagating (see `catch`).

        Assigning a set (or list) of exception classes replaces them, checked as `catch`.
        """
        return SettingSet(self.settings.fail_on, "errors_to_fail_on", "catch(...)")

    @errors_to_fail_on.setter
    def errors_to_fail_on(self, value: t.Iterable[type[BaseException]]) -> None:
        self._set(fail_on=_unique(_exception_types("pipeline.errors_to_fail_on", value)))

    @property
    def errors_to_exclude(self) -> set[type[BaseException]]:
        """Errors that always propagate, even if a caught class matches (assignable)."""
        return SettingSet(self.settings.exclude, "errors_to_exclude", "catch(..., exclude=...)")

    @errors_to_exclude.setter
    def errors_to_exclude(self, value: t.Iterable[type[BaseException]]) -> None:
        self._set(exclude=_unique(_exception_types("pipeline.errors_to_exclude", value)))

    @property
    def until_types(self) -> list[type[Model]]:
        """Models every generated output must parse as.

        Assigning a list replaces them, checked as `until_parsed_as`; assigning types to a
        pipeline without that check adds it with `until_parsed_as`'s defaults, and ``[]``
        removes it.
        """
        return SettingList(self.settings.until_types, "until_types", "until_parsed_as(...)")

    @until_types.setter
    def until_types(self, value: t.Iterable[type[Model]]) -> None:
        types = _unique(_model_types("pipeline.until_types", value))
        untils = self.settings.untils
        if not types:
            untils = tuple(u for u in untils if u.callback is not None)
        elif all(u.callback is not None for u in untils):
            untils = (*untils, UntilSpec(None))
        self._set(until_types=types, untils=untils)

    @property
    def then_callbacks(self) -> list[AnyCallback]:
        """Callbacks run on each result after the run (assignable: async callables)."""
        return SettingList(self.settings.thens, "then_callbacks", "then(...)")

    @then_callbacks.setter
    def then_callbacks(self, value: t.Iterable[AnyCallback]) -> None:
        self._set(thens=_async_callbacks("then", "then_callbacks", value))

    @property
    def map_callbacks(self) -> list[AnyCallback]:
        """Callbacks run on all results after the run (assignable: async callables)."""
        return SettingList(self.settings.maps, "map_callbacks", "map(...)")

    @map_callbacks.setter
    def map_callbacks(self, value: t.Iterable[AnyCallback]) -> None:
        self._set(maps=_async_callbacks("map", "map_callbacks", value))

    @property
    def watch_callbacks(self) -> list[AnyCallback]:
        """Callbacks that observe results as they finish (assignable: async callables)."""
        return SettingList(self.settings.watches, "watch_callbacks", "watch(...)")

    @watch_callbacks.setter
    def watch_callbacks(self, value: t.Iterable[AnyCallback]) -> None:
        self._set(watches=_async_callbacks("watch", "watch_callbacks", value))

    # --- configuration (mutating) ---------------------------------------------------------------

    def _set(self, **changes: t.Any) -> Self:
        self.settings = replace(self.settings, **changes)
        return self

    def catch(
        self,
        *errors: type[BaseException] | types.UnionType,
        on_failed: FailMode | None = None,
        exclude: Sequence[type[BaseException] | types.UnionType] | None = None,
    ) -> Self:
        """Turn errors of these types into failed results instead of exceptions.

        Errors still propagate while the failure mode is ``"raise"``; pass ``on_failed``
        (or use ``run(allow_failed=True)``) to keep them. Running out of rounds is always
        catchable. Mutates the pipeline.

        Args:
            *errors: Exception classes to catch (subclasses included), or unions of them.
            on_failed: New default failure mode.
            exclude: Exception classes that always propagate.

        Returns:
            The pipeline.

        Raises:
            TypeError: An argument is not an exception class (``ValueError()``,
                ``"ValueError"``); it used to fail only once an item failed.
        """
        s = self.settings
        caught = _exception_types("catch()", errors)
        excluded = _exception_types("catch(exclude=...)", exclude)
        return self._set(
            fail_on=s.fail_on + tuple(e for e in caught if e not in s.fail_on),
            exclude=s.exclude + tuple(e for e in excluded if e not in s.exclude),
            on_failed=s.on_failed if on_failed is None else check_fail_mode(on_failed),
        )

    def watch(
        self,
        *callbacks: Callable[[list[ResultT]], Awaitable[t.Any]],
        allow_duplicates: bool = False,
    ) -> Self:
        """Add callbacks that receive results as they finish, round by round.

        Watchers see failed results too. Mutates the pipeline; clones get their own list.

        Args:
            *callbacks: Async callables taking a list of results.
            allow_duplicates: Add a callback already registered again.

        Returns:
            The pipeline.
        """
        watches = list(self.settings.watches)
        for callback in callbacks:
            _require_async("watch", callback)
            if allow_duplicates or callback not in watches:
                watches.append(callback)
        return self._set(watches=tuple(watches))

    def then(self, callback: Callable[[ResultT], Awaitable[ResultT | None]]) -> Self:
        """Add a callback run on each result after the run; it may return a replacement.

        Args:
            callback: Async callable taking one result, returning a result or None.

        Returns:
            The pipeline.

        Raises:
            TypeError: The callback is not async.
        """
        _require_async("then", callback)
        return self._set(thens=(*self.settings.thens, callback))

    def map(self, callback: Callable[[list[ResultT]], Awaitable[list[ResultT]]]) -> Self:
        """Add a callback run once on all results after the run, returning the new list.

        Args:
            callback: Async callable taking and returning a list of results.

        Returns:
            The pipeline.

        Raises:
            TypeError: The callback is not async.
        """
        _require_async("map", callback)
        return self._set(maps=(*self.settings.maps, callback))

    def meta(self, **kwargs: t.Any) -> Self:
        """Add metadata copied into every result. Mutates the pipeline.

        Args:
            **kwargs: Metadata entries.

        Returns:
            The pipeline.
        """
        self.settings.metadata.update(kwargs)
        return self

    def wrap(self, func: Callable[..., t.Any] | None) -> Self:
        """Wrap the generator's provider call (see `Generator.wrap`).

        This changes the generator itself, so every pipeline sharing it is affected.

        Args:
            func: Decorator for the provider call, or None to remove it.

        Returns:
            The pipeline.
        """
        self.generator = self.generator.wrap(func)
        return self

    def _add_until(self, spec: UntilSpec) -> Self:
        if spec.callback is not None:
            _require_sync("until", spec.callback)
        return self._set(untils=(*self.settings.untils, spec))

    def _add_until_types(self, types: Sequence[type[Model]], spec: UntilSpec) -> Self:
        if not types:
            raise ValueError("until_parsed_as needs at least one model type")
        _model_types("until_parsed_as", types)
        s = self.settings
        new_types = s.until_types + tuple(m for m in types if m not in s.until_types)
        if any(u.callback is None for u in s.untils):
            return self._set(until_types=new_types)
        return self._add_until(spec)._set(until_types=new_types)

    # --- copies (new pipeline) ------------------------------------------------------------------

    def _clone(self, *, only_content: bool) -> Self:
        new = copy.copy(self)
        s = self.settings
        if only_content:
            new.settings = Settings(params=s.params, watches=s.watches)
        else:
            new.settings = replace(s, metadata=copy.deepcopy(s.metadata))
        new._copy_content()
        return new

    def with_(self, params: GenerateParams | None = None, **kwargs: t.Any) -> Self:
        """Set generation params, the 2.3 way: the first time on this pipeline, then on copies.

        While the pipeline has no params of its own, they are set on it and it is returned
        (so ``pipeline.with_(temperature=0)`` as a statement works, as in 2.3). Once it has
        params (from an earlier ``with_``, or API tools from `using`), a copy is returned
        with the new params merged over the current ones, and the receiver is unchanged.
        Use `copy_with` to always get a copy.

        Args:
            params: Params to merge.
            **kwargs: Fields of `GenerateParams` (merged over ``params`` when both given).

        Returns:
            This pipeline (first time) or a new one.
        """
        new_params = _params_of(params, kwargs)
        if self.params is None:
            self.params = new_params
            return self
        return self.copy_with(new_params)

    def copy_with(self, params: GenerateParams | None = None, **kwargs: t.Any) -> Self:
        """A copy whose params are these merged over the current ones (never the receiver).

        Args:
            params: Params to merge.
            **kwargs: Fields of `GenerateParams` (merged over ``params`` when both given).

        Returns:
            The new pipeline.
        """
        new_params = _params_of(params, kwargs)
        merged = new_params if self.params is None else self.params.merge_with(new_params)
        new = self._clone(only_content=False)
        new.params = merged
        return new

    def with_cache(
        self,
        store: str | os.PathLike[str] | CacheStore,
        *,
        mode: CacheMode = "read_write",
        ttl: float | None = None,
        force: bool = False,
    ) -> Self:
        """A copy whose generator answers repeated requests from a cache (docs/design/scale.md).

        Same as building the pipeline from ``generator.with_cache(...)``; the receiver and
        its generator are unchanged.

        Args:
            store: A path (an SQLite file) or a `rigging.cache.CacheStore`.
            mode: ``"read_write"``, ``"read_only"`` or ``"refresh"``.
            ttl: Seconds an entry stays valid (None: forever).
            force: Also cache requests with ``temperature > 0`` and no seed.

        Returns:
            The new pipeline.
        """
        new = self._clone(only_content=False)
        new.generator = self.generator.with_cache(store, mode=mode, ttl=ttl, force=force)
        return new
