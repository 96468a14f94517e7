"""Provider ("API") function calling: the OpenAI wire shapes, `ApiTool` and its handler.

`ApiTool` offers a Python callable through ``GenerateParams.tools``; `ApiToolHandler` runs
the calls of an assistant message and answers each with a ``tool`` message carrying its
``tool_call_id``. Unknown tools, bad arguments and tool errors are answered with an error
text the model can read, so the run goes on (bounded by ``max_depth``).
"""

from __future__ import annotations

import typing as t
from collections.abc import Callable, Sequence

from rigging._exports import public_dir as _public_dir
from rigging._message.tool_calls import (
    FunctionCall,
    FunctionDefinition,
    NamedFunction,
    ToolCall,
    ToolChoice,
    ToolChoiceDefinition,
    ToolDefinition,
    unique_call_ids,
)
from rigging._tasks import gather_all
from rigging.error import _TOOL_NAME_LIMIT, RunNestingError, UnknownToolError, _clip
from rigging.message import Message
from rigging.tool._guard import ToolExitError, ToolTimeoutError, guarded_call
from rigging.tool._handler import ToolHandlerBase
from rigging.tool.base import (
    FunctionTool,
    ToolArgumentsError,
    converted_content,
    describe_error,
)
from rigging.tracing import tracer

__all__ = [
    "ApiTool",
    "ApiToolHandler",
    "FunctionCall",
    "FunctionDefinition",
    "NamedFunction",
    "ToolCall",
    "ToolChoice",
    "ToolChoiceDefinition",
    "ToolDefinition",
]

_MULTI_RUNS = ("run_many", "run_over")
"""Names of the callables `Prompt.bind_many`/`bind_over` return, which cannot be tools."""


class ApiTool(FunctionTool):
    """A callable offered through the provider's function calling (``GenerateParams.tools``).

    Accepts plain functions (sync or async), bound methods and prompt functions: a `Prompt`
    is called through its `run`, a callable from `Prompt.bind` (it carries ``__rg_prompt__``)
    is called itself; both with the schema of the decorated function (without the ``self``
    of a method prompt read through an instance).

    Args:
        fn: The callable or `Prompt`.
        name: The tool name (defaults to the function's name).
        description: What the tool does (defaults to the docstring's description).

    Raises:
        TypeError: The signature cannot be described to a model; the message names the
            parameter.
        ValueError: `fn` comes from `Prompt.bind_many` or `Prompt.bind_over` (it runs the
            prompt several times, not once per call).
    """

    def __init__(
        self,
        fn: Callable[..., t.Any],
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        from rigging.prompt import Prompt  # prompts build on tools

        prompt = fn if isinstance(fn, Prompt) else getattr(fn, "__rg_prompt__", None)
        if not isinstance(prompt, Prompt):
            super().__init__(fn, name=name, description=description)
            return
        label = name or prompt.name
        if prompt is not fn and getattr(fn, "__name__", None) in _MULTI_RUNS:
            raise ValueError(
                f"tool {label!r}: a callable from Prompt.bind_many/bind_over ({fn.__name__}) "
                "runs the prompt several times and takes a count or generators first; only "
                "Prompt.bind(...) (or the prompt itself) can be a tool"
            )
        if prompt.func is None:
            raise TypeError("a prompt made with make_prompt() takes no arguments to use it")
        if prompt._has_receiver() and not prompt.receiver_:
            raise TypeError(
                f"tool {label!r}: the prompt is a method: offer it read through an instance "
                f"(obj.{prompt.name}), so it is bound to that instance"
            )
        super().__init__(
            prompt.run if prompt is fn else fn,
            name=name,
            description=description,
            _signature_of=prompt.func,
            _skip_receiver=bool(prompt.receiver_),
        )
        if description is None:
            self.description = prompt.docstring

    @property
    def definition(self) -> ToolDefinition:
        """The definition sent to the provider."""
        return ToolDefinition(
            function=FunctionDefinition(
                name=self.name,
                description=self.description or None,
                parameters=self.parameters_schema,
            )
        )

    async def execute(self, tool_call: ToolCall, *, timeout: float | None = None) -> Message:
        """Run one call and answer it with a ``tool`` message.

        Bad arguments, exceptions raised by the tool and a call past `timeout` are answered
        with an error text (the model can correct itself); the message names the tool and
        the problem (see `run_call`).

        Args:
            tool_call: The call made by the model.
            timeout: Most seconds the call may take (None: no limit); see `run_call`.

        Returns:
            A ``tool`` message with the call's ``tool_call_id``.

        Raises:
            UnknownToolError: The call is for another tool (a `ValueError`).
        """
        if tool_call.function.name != self.name:
            name = tool_call.function.name
            shown = _clip(name, _TOOL_NAME_LIMIT)
            raise UnknownToolError(
                name, detail=f"tool call for {shown!r} sent to tool {self.name!r}"
            )
        with tracer.span(f"Tool {self.name}()", name=self.name, tool_call_id=tool_call.id) as span:
            span.set_attribute("arguments", tool_call.function.arguments)
            content = await run_call(self, tool_call.function.arguments, timeout=timeout)
            span.set_attribute("result", content if isinstance(content, str) else str(content))
        return Message("tool", content, tool_call_id=tool_call.id)

    __call__ = execute


async def run_call(
    tool: FunctionTool, arguments: str | dict[str, t.Any] | None, *, timeout: float | None = None
) -> t.Any:
    """Invoke `tool`; bad arguments and tool errors become an error text for the model.

    The call runs in a task of its own (see `guarded_call`). What the tool raises is its
    error, answered with a text naming the tool: an exception, and also a `BaseException`
    that is no interrupt (a stray `GeneratorExit`, a `CancelledError` of its own while the
    run was not cancelled). An async tool still running after `timeout` seconds is
    cancelled and answered with an error naming the tool and the limit. A sync tool runs
    on the event loop, which cannot interrupt it: it runs to its end and its result
    counts. `KeyboardInterrupt`, `SystemExit`, `RunNestingError` and the cancellation of
    the run propagate.

    Args:
        tool: The tool.
        arguments: JSON text or a decoded object.
        timeout: Most seconds the call may take (None: no limit).

    Returns:
        The result as message content.
    """
    try:
        result = await guarded_call(tool.name, tool.invoke(arguments), timeout)
    except ToolArgumentsError as exc:
        return f"Error: {exc}"
    except RunNestingError:
        raise  # ends the whole chain of runs, not one level of it
    except (ToolTimeoutError, ToolExitError) as exc:
        return f"Error: {exc}"
    except Exception as exc:
        return f"Error: tool {tool.name!r} raised {describe_error(exc)}"
    return converted_content(tool.name, result)[0]


def unknown_tool(name: str, known: Sequence[str]) -> str:
    """The error text for a call to a tool that does not exist.

    Args:
        name: The name the model used.
        known: The names of the available tools.

    Returns:
        The text.
    """
    available = ", ".join(repr(k) for k in known) or "none"
    shown = _clip(name, _TOOL_NAME_LIMIT)  # the model's own text: it may be of any length
    return f"Error: there is no tool named {shown!r} (available tools: {available})"


class ApiToolHandler(ToolHandlerBase):
    """Tool hook for provider function calling: runs an assistant message's `tool_calls`.

    Args:
        tools: The tools (names must be unique).
        max_depth: Most tool rounds one chat may take.
        policy: Whether the model must call a tool (see `ToolPolicy`).
        timeouts: Most seconds one call of a tool may take, by tool name (see `run_call`).
    """

    async def __call__(self, message: Message, /) -> list[Message] | None:
        """Answer every tool call in `message` (concurrently, in call order); None if none.

        Calls that share an id (or have none) are first given ids of their own in `message`
        (see `unique_call_ids`), so that each answer names one call. An exception a call
        does not answer (`KeyboardInterrupt`, `SystemExit`, `RunNestingError`) cancels the
        other calls and is raised from here (see `gather_all`); any other error of a call,
        a time limit passed included, is answered (see `run_call`).
        """
        if not message.tool_calls:
            return None
        unique_call_ids(message.tool_calls)
        return await gather_all([self._one(call) for call in message.tool_calls])

    async def _one(self, call: ToolCall) -> Message:
        tool = self.tools.get(call.function.name)
        if tool is None:
            text = unknown_tool(call.function.name, list(self.tools))
            return Message("tool", text, tool_call_id=call.id)
        timeout = self.timeouts.get(tool.name)
        if isinstance(tool, ApiTool):
            if timeout is None:  # a subclass's own `execute` may predate `timeout`
                return await tool.execute(call)
            return await tool.execute(call, timeout=timeout)
        content = await run_call(tool, call.function.arguments, timeout=timeout)
        return Message("tool", content, tool_call_id=call.id)


__dir__ = _public_dir(globals())
