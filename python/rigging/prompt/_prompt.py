"""`Prompt`: a Python function signature turned into a chat pipeline with a typed result.

Everything about the function (inputs, output, template variables, generator) is checked
when it is decorated, so a mistake shows up at import time with the function and the
parameter named, not at the first call.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
import typing as t
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Concatenate

from pydantic import ValidationError
from typing_extensions import ParamSpec

from rigging._pipeline.run import set_completed
from rigging._pipeline.state import DEFAULT_MAX_DEPTH, check_count
from rigging.chat import Chat, ChatPipeline
from rigging.error import (
    _FEEDBACK_LIMIT,
    RiggingError,
    ValidatorRaisedError,
    _clip,
    _raised_while,
    _safe_str,
)
from rigging.generator import GenerateParams, Generator, get_generator
from rigging.message import Message
from rigging.prompt._inputs import Input, parse_parameter, placeholders, type_hints
from rigging.prompt._outputs import ChatOutput, Output, parse_output
from rigging.prompt._targets import Target, resolve_target, single_mode
from rigging.prompt._template import clean_docstring, get_undeclared_variables, render_template
from rigging.tracing import tracer
from rigging.util import get_qualified_name

if t.TYPE_CHECKING:
    from rigging._pipeline.state import FailMode, ToolMode
    from rigging.prompt._stream import PromptStream

__all__ = ["DEFAULT_DOC", "DEFAULT_MAX_ROUNDS", "P", "Prompt", "R"]

P = ParamSpec("P")
R = t.TypeVar("R")
_P2 = ParamSpec("_P2")
_S = t.TypeVar("_S")

_RECEIVERS = ("self", "cls")
"""Names of an unannotated first parameter read as a method's receiver (never an input)."""

DEFAULT_DOC = "Convert the following inputs to outputs ({func_name})."
"""Docstring used when the function has none."""
DEFAULT_MAX_ROUNDS = 3
"""Default number of recovery rounds when the output does not parse."""
RECOVERY_PROMPT = "Rewrite your entire message with all the required elements."


@dataclass(eq=False)
class Prompt(t.Generic[P, R]):
    """A prompt function: call it (``await fn(...)``) to render, generate and parse.

    Create one with `prompt`, ``generator.prompt``, ``pipeline.prompt`` or `make_prompt`.
    `with_`, `set_` and `watch` change the prompt in place and return it, as in 2.3; `clone`
    returns a separate copy.
    """

    func: Callable[P, t.Any] | None = None
    """The decorated function (its body never runs), or None for `make_prompt`."""
    attempt_recovery: bool = True
    """Send parse errors back to the model to fix."""
    drop_dialog: bool = True
    """Keep only the final answer, not the recovery dialog."""
    max_rounds: int = DEFAULT_MAX_ROUNDS
    """Recovery rounds allowed before the call fails."""
    params: GenerateParams | None = None
    """Params merged over the pipeline's for every call."""
    tools: tuple[t.Any, ...] = ()
    """Tools offered to the model (see `ChatPipeline.using`)."""
    tool_mode: ToolMode = "auto"
    """How the tools are offered."""
    max_depth: int | None = None
    """Most tool rounds per call (None: the pipeline default)."""
    system_prompt: str | None = None
    """A system message put before the rendered prompt."""
    watch_callbacks: list[Callable[..., Awaitable[t.Any]]] = field(default_factory=list)
    """Watch callbacks added to the pipeline of every call (the prompt's own list, as in 2.3)."""
    pipeline_: ChatPipeline | None = field(default=None, repr=False)
    """The pipeline calls fork from (None: unbound)."""
    docstring_: str | None = field(default=None, repr=False)
    """The docstring used instead of the function's (`make_prompt`)."""
    output_hint: t.Any = field(default=None, repr=False)
    """The return hint used instead of the function's (`make_prompt`)."""
    receiver_: tuple[t.Any, ...] = field(default=(), repr=False)
    """The instance a method prompt is bound to (set when read through an instance)."""
    inputs: list[Input] = field(init=False, repr=False)
    """One input per parameter not placed by the docstring itself."""
    output: Output = field(init=False, repr=False)
    """How the result is asked for and parsed."""

    def __post_init__(self) -> None:
        name = self.name
        if not isinstance(self.watch_callbacks, list):  # a tuple given: the prompt's own list
            self.watch_callbacks = list(self.watch_callbacks)
        if self.max_rounds < 0:
            raise ValueError(f"prompt {name}(): max_rounds must be 0 or more")
        self.inputs = []
        if self.func is None:  # make_prompt: the text is used verbatim, never rendered
            self.output = parse_output(self.output_hint or str, name)
            return
        try:
            declared = get_undeclared_variables(self.docstring)
        except ValueError as exc:
            raise ValueError(f"prompt {name}(): docstring {exc}") from None
        hints = type_hints(self.func, f"prompt {name}()")
        params = inspect.signature(self.func).parameters
        unknown = sorted(declared - set(params))
        if unknown:
            raise TypeError(
                f"prompt {name}(): the docstring uses {unknown[0]!r}, which is not a "
                f"parameter (parameters: {', '.join(params) or 'none'})"
            )
        for position, param in enumerate(params.values()):
            if position == 0 and _is_receiver(param, hints):
                continue
            if param.name not in declared:
                hint = hints.get(param.name, inspect.Parameter.empty)
                self.inputs.append(parse_parameter(param, hint, name))
        tags = placeholders(self.inputs, name)
        if len(set(tags)) != len(tags) or set(tags) & declared:
            raise TypeError(f"prompt {name}(): two inputs share the tag of {tags!r}")
        returned = hints.get("return", inspect.Signature.empty)
        self.output = parse_output(self.output_hint or returned, name)
        functools.update_wrapper(self, self.func, updated=())

    # --- methods -------------------------------------------------------------------------------

    def __set_name__(self, owner: type[t.Any], name: str) -> None:
        self._attr = name

    @t.overload
    def __get__(self, instance: None, owner: type[t.Any] | None = None) -> Prompt[P, R]: ...

    @t.overload
    def __get__(
        self: Prompt[Concatenate[_S, _P2], R], instance: _S, owner: type[t.Any] | None = None
    ) -> Prompt[_P2, R]: ...

    def __get__(self, instance: t.Any, owner: type[t.Any] | None = None) -> t.Any:
        """Read through an instance, a method prompt is bound to it (like a method).

        Each read gives a new bound copy, as a method read gives a new bound method; the copy
        shares this prompt's analysis (nothing is parsed again). Nothing is stored on the
        instance: a bound copy kept in its ``__dict__`` made the instance unpicklable.
        """
        if instance is None or self.receiver_ or not self._has_receiver():
            return self
        bound = copy.copy(self)
        bound.receiver_ = (instance,)
        bound.watch_callbacks = list(self.watch_callbacks)
        return bound

    def _has_receiver(self) -> bool:
        known: bool | None = self.__dict__.get("_receiver")
        if known is None:
            first = None
            if self.func is not None:
                first = next(iter(inspect.signature(self.func).parameters.values()), None)
            known = first is not None and _is_receiver(first, self.func.__annotations__)
            self.__dict__["_receiver"] = known
        return known

    # --- description ---------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """The function's name (``prompt`` for `make_prompt`)."""
        return getattr(self.func, "__name__", "prompt")

    @property
    def docstring(self) -> str:
        """The cleaned docstring: the template's first part."""
        if self.docstring_ is not None:
            return self.docstring_
        doc = getattr(self.func, "__doc__", None) or DEFAULT_DOC.format(func_name=self.name)
        return clean_docstring(doc)

    def _tail(self) -> str:
        if isinstance(self.output, ChatOutput):
            return ""
        return f"\n{self.output.guidance()}\n\n{self.output.to_format()}\n"

    def _head(self) -> str:
        slots = "".join(f"\n{{{{ {p} }}}}\n" for p in placeholders(self.inputs, self.name))
        return f"{self.docstring}\n{slots}"

    @property
    def template(self) -> str:
        """The full template: docstring, input placeholders, output guidance and format."""
        return self._head() + self._tail()

    def render(self, *args: P.args, **kwargs: P.kwargs) -> str:
        """The exact user message a call with these arguments sends.

        Returns:
            The text.

        Raises:
            TypeError: The arguments do not fit the function's signature or types.
            jinja2.exceptions.SecurityError: The docstring template reaches for something
                the sandbox refuses (the message names the prompt).
        """
        if self.func is None:
            if args or kwargs:
                raise TypeError(f"prompt {self.name}() takes no arguments")
            return self._head() + self._tail()
        bound = inspect.signature(self.func).bind(*self.receiver_, *args, **kwargs)
        bound.apply_defaults()
        variables: dict[str, t.Any] = dict(bound.arguments)
        for item, name in zip(self.inputs, placeholders(self.inputs, self.name), strict=True):
            variables[name] = item.to_xml(bound.arguments[item.name])
        from rigging._sandbox import SecurityError  # jinja2 loads only once prompts render

        try:
            return render_template(self._head(), variables) + self._tail()
        except SecurityError as exc:
            raise SecurityError(f"prompt {self.name}(): template refused: {exc}") from exc

    def process(self, chat: Chat) -> R:
        """Read the declared result from a finished chat.

        Args:
            chat: The chat.

        Returns:
            The parsed value (the chat itself for ``-> rg.Chat``).
        """
        return t.cast("R", self.output.value(chat.last, chat))

    def _values(self, chats: Sequence[Chat]) -> list[R]:
        """The typed values of a run's chats; a failed chat has no value to give.

        With ``-> rg.Chat`` failed chats come back as they are (``failed=True``). Otherwise
        the first problem in order is raised: a failed chat's error, or the error of reading
        a finished chat's value (a ``then`` callback rewrote its answer), carrying the values
        of the chats that gave one (in order) as ``error.completed``: a typed result cannot
        stand for a failure, and parsing the unanswered prompt would return it as if it were
        an answer. One chat's problem never costs the others their values.
        """
        if isinstance(self.output, ChatOutput):
            return [self.process(chat) for chat in chats]
        values: list[R] = []
        first: BaseException | None = None
        for chat in chats:
            if chat.failed:
                if first is None:  # failed without an error: nothing better to raise
                    first = chat.error or RiggingError("a chat of the prompt failed, no error")
                continue
            try:
                values.append(self.process(chat))
            except Exception as exc:
                first = exc if first is None else first
        if first is None:
            return values
        set_completed(first, values)
        raise first

    def _typed_completed(self, exc: BaseException) -> None:
        """Turn the chats a raising run attached as ``exc.completed`` into typed values.

        So ``error.completed`` holds what the prompt returns (its typed values, or chats for
        ``-> rg.Chat``) whether the run raised or `_values` did; a chat that does not give a
        value leaves the list as the run attached it.
        """
        completed = getattr(exc, "completed", None)
        if isinstance(self.output, ChatOutput) or not isinstance(completed, list):
            return
        if not all(isinstance(c, Chat) for c in completed):
            return
        try:
            values = [self.process(c) for c in completed]
        except Exception:
            return
        set_completed(exc, values)

    def _check(self, message: Message) -> tuple[bool, list[Message]]:
        try:
            self.output.value(message, None)
        except ValidationError as exc:
            from rigging._model.stock import ValidationErrorModel  # stock models load lazily

            error: t.Any = ValidationErrorModel(content=_clip(_safe_str(exc), _FEEDBACK_LIMIT))
        except Exception as exc:  # a parse error; any other raised while validating is named
            from rigging._model.stock import SystemErrorModel

            if isinstance(exc, RiggingError | ValueError) and not isinstance(
                exc, ValidatorRaisedError
            ):
                text = _safe_str(exc)
            else:  # a validator's TypeError, pydantic-core's for an error it cannot print
                # (reported by the parsers as a ValidatorRaisedError)...
                text = _raised_while(f"validating the output {self.output.describe()}", exc)
            error = SystemErrorModel(content=_clip(text, _FEEDBACK_LIMIT))
        else:
            return False, [message]
        return True, [message, Message.from_model(error, suffix=RECOVERY_PROMPT)]

    # --- builders (copies) ---------------------------------------------------------------------

    def clone(self, *, skip_callbacks: bool = False) -> Prompt[P, R]:
        """A copy (tools, params and pipeline included).

        Args:
            skip_callbacks: Leave out the watch callbacks.

        Returns:
            The new prompt.
        """
        return self._replace(watch_callbacks=[] if skip_callbacks else [*self.watch_callbacks])

    def _replace(self, **changes: t.Any) -> Prompt[P, R]:
        return dataclasses.replace(self, **changes)

    def with_(self, params: GenerateParams | None = None, **kwargs: t.Any) -> Prompt[P, R]:
        """Set the params later calls generate with (they replace any set before, as in 2.3).

        Changes this prompt in place and returns it, so both ``p.with_(...)`` as a statement
        and ``p.with_(...).run_many(...)`` work; use `clone` first for a separate variant.

        Args:
            params: The params; when None, built from ``kwargs``.
            **kwargs: Fields of `GenerateParams`.

        Returns:
            This prompt.
        """
        self.params = params if params is not None else GenerateParams(**kwargs)
        return self

    def set_(
        self,
        attempt_recovery: bool | None = None,
        drop_dialog: bool | None = None,
        max_rounds: int | None = None,
    ) -> Prompt[P, R]:
        """Change recovery settings in place (None keeps a setting; False and 0 are set).

        Returns:
            This prompt.
        """
        if attempt_recovery is not None:
            self.attempt_recovery = attempt_recovery
        if drop_dialog is not None:
            self.drop_dialog = drop_dialog
        if max_rounds is not None:
            self.max_rounds = max_rounds
        return self

    def watch(self, *callbacks: Callable[..., Awaitable[t.Any]]) -> Prompt[P, R]:
        """Add watch callbacks in place (duplicates ignored).

        Returns:
            This prompt.
        """
        for callback in callbacks:
            if callback not in self.watch_callbacks:
                self.watch_callbacks.append(callback)
        return self

    # --- running -------------------------------------------------------------------------------

    @property
    def pipeline(self) -> ChatPipeline | None:
        """The pipeline calls fork from, or None when unbound."""
        return self.pipeline_

    def _prepare(self, base: ChatPipeline, rendered: str) -> ChatPipeline:
        pipeline = base.clone()
        if self.system_prompt:
            pipeline.chat.inject_system_content(self.system_prompt)
        pipeline.add(rendered)
        if self.tools:
            depth = DEFAULT_MAX_DEPTH if self.max_depth is None else self.max_depth
            pipeline.using(*self.tools, mode=self.tool_mode, max_depth=depth)
        if not isinstance(self.output, ChatOutput):
            pipeline.until(
                self._check,
                attempt_recovery=self.attempt_recovery,
                drop_dialog=self.drop_dialog,
                max_rounds=self.max_rounds,
            )
        if self.params is not None:
            pipeline = pipeline.with_(self.params)
        if self.watch_callbacks:
            pipeline.watch(*self.watch_callbacks)
        return pipeline

    def _require(self) -> ChatPipeline:
        if self.pipeline_ is None:
            raise RuntimeError(
                f"prompt {self.name}() has no generator: pass generator_id=, generator= or "
                "pipeline= to @rg.prompt, or use bind(...)"
            )
        return self.pipeline_

    def bind(self, other: Target) -> Callable[P, Awaitable[R]]:
        """An async function running the prompt once on `other`.

        Args:
            other: A pipeline, generator, chat (continued) or generator id.

        Returns:
            The function.
        """
        base = resolve_target(other)

        async def run(*args: P.args, **kwargs: P.kwargs) -> R:
            return await self._one(base, args, kwargs)

        run.__rg_prompt__ = self  # type: ignore[attr-defined]
        return run

    def bind_many(self, other: Target) -> Callable[Concatenate[int, P], Awaitable[list[R]]]:
        """An async function ``(count, *args, **kwargs)`` running the prompt `count` times.

        The function refuses a ``count`` that is not an int from 0 to 10,000,000 (`TypeError`,
        `ValueError`) before rendering anything, as `run_many`.

        Args:
            other: A pipeline, generator, chat or generator id.

        Returns:
            The function.
        """
        base = resolve_target(other)

        async def run_many(count: int, /, *args: P.args, **kwargs: P.kwargs) -> list[R]:
            return await self._many(base, count, args, kwargs)

        run_many.__rg_prompt__ = self  # type: ignore[attr-defined]
        return run_many

    def bind_over(
        self, other: Target | None = None
    ) -> Callable[Concatenate[Sequence[Generator | str], P], Awaitable[list[R]]]:
        """An async function ``(generators, *args, **kwargs)`` running once per generator.

        Args:
            other: The pipeline to start from (its generator runs too); None to run only
                the given generators.

        Returns:
            The function.
        """
        base = None if other is None else resolve_target(other)

        async def run_over(
            generators: Sequence[Generator | str], /, *args: P.args, **kwargs: P.kwargs
        ) -> list[R]:
            gens = [get_generator(g) if isinstance(g, str) else g for g in generators]
            if base is None and not gens:
                raise ValueError("run_over needs at least one generator")
            start = base if base is not None else gens[0].chat()
            pipeline = self._prepare(start, self.render(*args, **kwargs))
            try:
                if base is not None:
                    chats = list(await pipeline.run_over(*gens))
                else:  # gens[0] runs as the pipeline's own generator, which comes back last
                    chats = list(await pipeline.run_over(*gens[1:]))
                    chats = [chats[-1], *chats[:-1]]
            except Exception as exc:
                self._typed_completed(exc)
                raise
            return self._values(chats)

        run_over.__rg_prompt__ = self  # type: ignore[attr-defined]
        return run_over

    async def _many(
        self,
        base: ChatPipeline,
        count: int,
        args: tuple[t.Any, ...],
        kwargs: dict[str, t.Any],
        on_failed: FailMode | None = None,
    ) -> list[R]:
        check_count("count", count)  # before rendering: a huge count is refused, not tried
        name = get_qualified_name(self.func) if self.func else "prompt"
        label = f"Prompt {name}()" + (f" (x{count})" if count > 1 else "")
        with tracer.span(label, count=count, name=name) as span:
            pipeline = self._prepare(base, self.render(*args, **kwargs))
            try:
                chats = await pipeline.run_many(count, on_failed=on_failed)
            except Exception as exc:
                self._typed_completed(exc)
                raise
            results = self._values(chats)
            span.set_attribute("results", [repr(r) for r in results])
        return results

    async def _one(
        self, base: ChatPipeline, args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
    ) -> R:
        """One call: the single result, or the error that kept it from coming back.

        A pipeline that skips failures has nothing to return for a single failed item, so
        the call runs in ``"raise"`` mode and the item's own error (the provider's, or the
        exhausted rounds) propagates, as `ChatPipeline.run` cannot skip either.
        """
        results = await self._many(base, 1, args, kwargs, single_mode(base))
        if len(results) != 1:  # a map callback dropped or added results
            raise ValueError(
                f"prompt {self.name}(): map callbacks must keep exactly one result in a "
                f"single call, got {len(results)}"
            )
        return results[0]

    async def run(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Render, generate and parse once.

        Returns:
            The parsed result.

        Raises:
            RuntimeError: The prompt has no generator.
        """
        return await self._one(self._require(), args, kwargs)

    def stream(self, *args: P.args, **kwargs: P.kwargs) -> PromptStream[R]:
        """Like `run`, streaming the chat events and ending with the typed value.

        See `rigging.stream`: the last event is a `PromptFinishedEvent` with the value `run`
        returns for the same output. When the output holds no lists, the model stream is
        closed as soon as every value was parsed.

        Returns:
            The event stream (nothing is sent before iteration starts).

        Raises:
            RuntimeError: The prompt has no generator.
        """
        from rigging.prompt._stream import open_prompt_stream

        return open_prompt_stream(self, args, kwargs)

    async def run_many(self, count: int, /, *args: P.args, **kwargs: P.kwargs) -> list[R]:
        """Render once, generate `count` independent answers and parse each.

        Returns:
            The parsed results, in order.

        Raises:
            TypeError: ``count`` is not an int.
            ValueError: ``count`` is not from 0 to 10,000,000 (every result is kept in
                memory), checked before anything is rendered or sent.
        """
        return await self._many(self._require(), count, args, kwargs)

    async def run_over(
        self, generators: Sequence[Generator | str], /, *args: P.args, **kwargs: P.kwargs
    ) -> list[R]:
        """Run once per generator (the prompt's own generator last).

        Returns:
            The parsed results, in generator order.
        """
        return await self.bind_over(self._require())(generators, *args, **kwargs)

    async def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Same as `run`."""
        return await self.run(*args, **kwargs)


def _is_receiver(param: inspect.Parameter, hints: t.Mapping[str, t.Any]) -> bool:
    """Whether `param` (a first parameter) is a method's ``self``/``cls``, not an input."""
    return (
        param.name in _RECEIVERS
        and param.name not in hints
        and param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD)
    )
