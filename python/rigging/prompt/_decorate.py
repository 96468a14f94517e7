"""`prompt` and `make_prompt`: build a `Prompt` from a function, or from a text and a type.

Typed with overloads so that type checkers see ``Prompt[P, R]``: the function's parameters
and its return type (what an async function awaits to).
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Coroutine, Sequence

from typing_extensions import ParamSpec

from rigging.error import RiggingError, _safe_str
from rigging.generator import get_generator
from rigging.prompt._prompt import Prompt
from rigging.tool.base import as_tools

if t.TYPE_CHECKING:
    from rigging._pipeline.state import ToolMode
    from rigging.chat import ChatPipeline
    from rigging.generator import Generator
    from rigging.prompt._inputs import Ctx

__all__ = ["make_prompt", "prompt"]

P = ParamSpec("P")
R = t.TypeVar("R")


def _renamed(exc: Exception, where: str) -> Exception:
    """`exc` again, its text prefixed with `where`: an error of its type when that works.

    A type that cannot be built from one text (its constructor takes other arguments, as a
    pydantic ``ValidationError`` does) or whose own ``__str__`` fails gives its nearest
    built-in family instead, the type's name in the text: never a second, unrelated error.
    """
    try:
        renamed = type(exc)(f"{where}: {_safe_str(exc)}")
        str(renamed)  # its own __str__ must work on the new text
    except Exception:
        family = next(k for k in (TypeError, ValueError, RiggingError) if isinstance(exc, k))
        renamed = family(f"{where}: {_safe_str(exc, named=True)}")
    return renamed


def _tools(tools: Sequence[t.Any] | None, name: str) -> tuple[t.Any, ...]:
    converted: list[t.Any] = []
    for tool in tools or ():
        try:
            converted.extend(as_tools(tool))
        except (TypeError, ValueError) as exc:
            raise _renamed(exc, f"prompt {name}(), tools") from None
    return tuple(converted)


def _pipeline_for(
    name: str,
    pipeline: ChatPipeline | None,
    generator: Generator | None,
    generator_id: str | None,
) -> ChatPipeline | None:
    given = [x for x in (pipeline, generator, generator_id) if x is not None]
    if len(given) > 1:
        raise ValueError(
            f"prompt {name}(): give only one of pipeline=, generator= and generator_id="
        )
    if pipeline is not None:
        return pipeline
    if generator is not None:
        return generator.chat()
    if generator_id is not None:
        try:
            return get_generator(generator_id).chat()
        except (RiggingError, ValueError, TypeError) as exc:
            raise _renamed(exc, f"prompt {name}(), generator_id") from None
    return None


class _Decorator(t.Protocol):
    """What ``prompt(...)`` with arguments returns: sync and async functions both fit."""

    @t.overload
    def __call__(self, func: Callable[P, Coroutine[t.Any, t.Any, R]], /) -> Prompt[P, R]: ...

    @t.overload
    def __call__(self, func: Callable[P, R], /) -> Prompt[P, R]: ...


@t.overload
def prompt(
    func: Callable[P, Coroutine[t.Any, t.Any, R]],
    /,
    *,
    pipeline: ChatPipeline | None = None,
    generator: Generator | None = None,
    generator_id: str | None = None,
    system_prompt: str | None = None,
    tools: Sequence[t.Any] | None = None,
    tool_mode: ToolMode = "auto",
    max_depth: int | None = None,
) -> Prompt[P, R]: ...


@t.overload
def prompt(
    func: Callable[P, R],
    /,
    *,
    pipeline: ChatPipeline | None = None,
    generator: Generator | None = None,
    generator_id: str | None = None,
    system_prompt: str | None = None,
    tools: Sequence[t.Any] | None = None,
    tool_mode: ToolMode = "auto",
    max_depth: int | None = None,
) -> Prompt[P, R]: ...


@t.overload
def prompt(
    func: None = None,
    /,
    *,
    pipeline: ChatPipeline | None = None,
    generator: Generator | None = None,
    generator_id: str | None = None,
    system_prompt: str | None = None,
    tools: Sequence[t.Any] | None = None,
    tool_mode: ToolMode = "auto",
    max_depth: int | None = None,
) -> _Decorator: ...


def prompt(
    func: Callable[..., t.Any] | None = None,
    /,
    *,
    pipeline: ChatPipeline | None = None,
    generator: Generator | None = None,
    generator_id: str | None = None,
    system_prompt: str | None = None,
    tools: Sequence[t.Any] | None = None,
    tool_mode: ToolMode = "auto",
    max_depth: int | None = None,
) -> t.Any:
    """Turn a function's signature and docstring into a prompt (``@rg.prompt``).

    The function body never runs; sync and async functions both give an async prompt. The
    docstring is a jinja2 template over the arguments; arguments it does not use are laid
    out as XML after it. The return hint says what to ask for and how to parse the answer.
    Methods work too: an unannotated first ``self``/``cls`` is the receiver, bound when the
    prompt is read through an instance, and never an input.

    Type checkers see ``Prompt[P, R]`` with the function's parameters and return type (for
    an async function, what it awaits to). mypy reports a body holding only the docstring
    as ``empty-body``; disable that code where prompts are declared
    (``# mypy: disable-error-code="empty-body"``).

    Args:
        func: The function (when used bare, ``@rg.prompt``).
        pipeline: Pipeline calls fork from.
        generator: Generator calls use.
        generator_id: Connection string of the generator (resolved now).
        system_prompt: A system message put before the prompt.
        tools: Tools the model may call while answering.
        tool_mode: How the tools are offered (see `ChatPipeline.using`).
        max_depth: Most tool rounds per call.

    Returns:
        The `Prompt`, or a decorator when `func` is not given.

    Raises:
        TypeError: Unsupported parameter or return hints, or template variables that are
            not parameters (the message names the function and the parameter).
        ValueError: More than one of pipeline/generator/generator_id.
    """

    def decorate(fn: Callable[..., t.Any]) -> Prompt[..., t.Any]:
        name = getattr(fn, "__name__", "prompt")
        return Prompt(
            fn,
            tools=_tools(tools, name),
            tool_mode=tool_mode,
            max_depth=max_depth,
            system_prompt=system_prompt,
            pipeline_=_pipeline_for(name, pipeline, generator, generator_id),
        )

    if func is not None:
        return decorate(func)
    return decorate


@t.overload
def make_prompt(
    content: str,
    return_type: None = None,
    *,
    ctx: Ctx | None = None,
    generator_id: str | None = None,
    generator: Generator | None = None,
    pipeline: ChatPipeline | None = None,
) -> Prompt[[], str]: ...


@t.overload
def make_prompt(
    content: str,
    return_type: type[R],
    *,
    ctx: Ctx | None = None,
    generator_id: str | None = None,
    generator: Generator | None = None,
    pipeline: ChatPipeline | None = None,
) -> Prompt[[], R]: ...


@t.overload
def make_prompt(
    content: str,
    return_type: t.Any,
    *,
    ctx: Ctx | None = None,
    generator_id: str | None = None,
    generator: Generator | None = None,
    pipeline: ChatPipeline | None = None,
) -> Prompt[[], t.Any]: ...


def make_prompt(
    content: str,
    return_type: t.Any = None,
    *,
    ctx: Ctx | None = None,
    generator_id: str | None = None,
    generator: Generator | None = None,
    pipeline: ChatPipeline | None = None,
) -> Prompt[[], t.Any]:
    """A prompt without arguments from a text (used verbatim) and a return type.

    The text is never rendered as a template: ``{{ ... }}`` and ``{% ... %}`` reach the model
    as written, so text from users or data is safe here.

    Args:
        content: The prompt text, sent as it is.
        return_type: The result type (``str`` when None).
        ctx: Tag, prefix or example for the output.
        generator_id: Connection string of the generator.
        generator: Generator calls use.
        pipeline: Pipeline calls fork from.

    Returns:
        The prompt; ``await p()`` runs it.
    """
    hint = return_type or str
    if ctx is not None:
        hint = t.Annotated[hint, ctx]
    return Prompt(
        None,
        docstring_=content,
        output_hint=hint,
        pipeline_=_pipeline_for("make_prompt", pipeline, generator, generator_id),
    )
