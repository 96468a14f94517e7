"""Tools from Python callables: signature → JSON schema, argument validation, invocation.

A `FunctionTool` is what every kind of tool becomes before a model sees it: a plain
function (sync or async), a bound method, the public methods of a `Tool` subclass, or a
prompt function. Arguments are validated with a pydantic model built once from the
signature, and the function receives the *validated* values (a pydantic model parameter
gets a model instance, not a dict).
"""

from __future__ import annotations

import inspect
import json
import re
import typing as t
from collections.abc import Callable
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from rigging._exports import public_dir as _public_dir
from rigging._redact import environment_secrets, known_secrets, redact_text
from rigging.error import (
    _FEEDBACK_LIMIT,
    InvalidArgumentError,
    RunNestingError,
    _clip,
    _reduce,
    _safe_str,
)
from rigging.message import ContentImageUrl, ContentText, Message
from rigging.model import Model
from rigging.tool._signature import _build_signature, _split_docstring
from rigging.util import await_

if t.TYPE_CHECKING:
    from rigging.tool.api import ApiTool

__all__ = [
    "FunctionTool",
    "Tool",
    "ToolArgumentsError",
    "ToolDescription",
    "ToolResult",
    "as_tools",
    "converted_content",
    "describe_error",
    "result_content",
]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class ToolArgumentsError(ValueError):
    """The arguments a model sent for a tool are not valid JSON or do not fit the signature."""

    __reduce__ = _reduce


def result_content(result: t.Any) -> str | list[t.Any]:
    """Turn what a tool returned into message content.

    A `Message` gives its content; a content part or a list of parts is kept as parts; a
    `Model` gives its XML, another pydantic model its JSON; everything else is ``str()``-ed.

    Args:
        result: The tool's return value.

    Returns:
        Text or content parts.
    """
    if isinstance(result, Message):
        return result.all_content
    if isinstance(result, (ContentText, ContentImageUrl)):
        return [result]
    if (
        isinstance(result, list)
        and result
        and all(isinstance(p, (ContentText, ContentImageUrl)) for p in result)
    ):
        return list(result)
    if isinstance(result, Model):
        return result.to_pretty_xml()
    if isinstance(result, BaseModel):
        return result.model_dump_json()
    if result is None:
        return ""
    return str(result)


class _RefusedJSONError(ValueError):
    """JSON that Python's parser takes but JSON does not allow, or that is ambiguous."""

    __reduce__ = _reduce


def _no_constant(name: str) -> t.Any:
    raise _RefusedJSONError(f"{name} is not a JSON value")


def _unique_keys(pairs: list[tuple[str, t.Any]]) -> dict[str, t.Any]:
    decoded = dict(pairs)
    if len(decoded) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _RefusedJSONError(f"the key {key!r} appears more than once")
            seen.add(key)
    return decoded


def describe_error(exc: BaseException) -> str:
    """``Type: text`` of an exception, even when its ``str()`` itself raises.

    The text goes to the model (and so the provider) and into the chat: the secrets of
    every generator of this process and the secret-named environment values are masked,
    then the text is clipped to `rigging.error._FEEDBACK_LIMIT` characters.

    Args:
        exc: The exception.

    Returns:
        The description.
    """
    text = redact_text(_safe_str(exc, named=True), [*known_secrets(), *environment_secrets()])
    return _clip(text, _FEEDBACK_LIMIT)


def converted_content(tool_name: str, result: t.Any) -> tuple[str | list[t.Any], bool]:
    """`result_content` of a tool's return value, or an error text if the conversion fails.

    A return value that cannot become message content (a pydantic model that does not
    serialise, an object whose ``str()`` raises) is the tool's error, not the pipeline's:
    the model gets an error text naming the tool and the problem.

    Args:
        tool_name: The tool's name (for the error text).
        result: The tool's return value.

    Returns:
        The content and whether it is an error text.
    """
    try:
        return result_content(result), False
    except Exception as exc:
        text = (
            f"Error: the result of tool {tool_name!r} ({type(result).__name__}) could not be "
            f"converted to message content: {describe_error(exc)}"
        )
        return text, True


class FunctionTool:
    """A Python callable offered to a model as a tool.

    Args:
        fn: The function (sync or async) or bound method to call.
        name: The tool name (defaults to the function's name).
        description: What the tool does (defaults to the docstring's description).

    Raises:
        TypeError: The signature cannot be described to a model (a parameter without a type,
            ``*args``, or a type pydantic cannot validate); the message names the parameter.
        ValueError: The name is not 1-64 letters, digits, ``_`` or ``-``.
    """

    def __init__(
        self,
        fn: Callable[..., t.Any],
        *,
        name: str | None = None,
        description: str | None = None,
        _signature_of: Callable[..., t.Any] | None = None,
        _skip_receiver: bool = False,
    ) -> None:
        self.fn = fn
        """The callable that runs the tool."""
        source = _signature_of or fn
        self.name = name or getattr(source, "__name__", "") or type(source).__name__
        summary, _ = _split_docstring(inspect.getdoc(source))
        self.description = summary if description is None else description
        self._signature = _build_signature(source, self.name, skip_receiver=_skip_receiver)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    @property
    def name(self) -> str:
        """The name the model calls the tool by."""
        return self._name

    @name.setter
    def name(self, value: str) -> None:
        if not isinstance(value, str) or not _NAME.match(value):
            raise ValueError(
                f"tool name {value!r} is invalid: use 1-64 letters, digits, '_' or '-'"
            )
        self._name = value

    @property
    def description(self) -> str:
        """What the tool does, as shown to the model."""
        return self._description

    @description.setter
    def description(self, value: str) -> None:
        self._description = value

    @property
    def parameters_schema(self) -> dict[str, t.Any]:
        """JSON schema of the arguments (an object schema, references inlined)."""
        return self._signature.schema

    @property
    def schema(self) -> dict[str, t.Any]:
        """JSON schema of the arguments, as the model sees it (2.3 name of `parameters_schema`)."""
        return self.parameters_schema

    def validate(self, arguments: str | dict[str, t.Any] | None) -> dict[str, t.Any]:
        """Decode and validate arguments sent by a model.

        Args:
            arguments: JSON text (``""`` means no arguments) or an already decoded object.

        Returns:
            The validated keyword arguments (models as instances).

        Raises:
            ToolArgumentsError: Invalid JSON, not an object, or values not fitting the
                signature (the pydantic errors are listed; any other error raised while
                validating is named with its type).
        """
        if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
            decoded: t.Any = {}
        elif isinstance(arguments, str):
            try:
                decoded = json.loads(
                    arguments, parse_constant=_no_constant, object_pairs_hook=_unique_keys
                )
            except json.JSONDecodeError as exc:
                raise ToolArgumentsError(
                    f"arguments for tool {self.name!r} are not valid JSON: {exc}"
                ) from exc
            except RecursionError:
                raise ToolArgumentsError(
                    f"arguments for tool {self.name!r} are nested too deeply to read"
                ) from None
            except _RefusedJSONError as exc:  # it quotes a key: clipped
                raise ToolArgumentsError(
                    f"arguments for tool {self.name!r} are not valid JSON: "
                    f"{_clip(_safe_str(exc), _FEEDBACK_LIMIT)}"
                ) from None
            except ValueError as exc:  # an integer past Python's digit limit
                raise ToolArgumentsError(
                    f"arguments for tool {self.name!r} cannot be read: {exc}"
                ) from None
        else:
            decoded = arguments
        if not isinstance(decoded, dict):
            raise ToolArgumentsError(
                f"arguments for tool {self.name!r} must be a JSON object, "
                f"got {type(decoded).__name__}"
            )
        try:
            model = self._signature.model.model_validate(decoded)
        except ValidationError as exc:
            raise ToolArgumentsError(
                f"invalid arguments for tool {self.name!r}: "
                f"{_clip(_safe_str(exc), _FEEDBACK_LIMIT)}"
            ) from exc
        except RecursionError:
            raise ToolArgumentsError(
                f"arguments for tool {self.name!r} are nested too deeply to validate"
            ) from None
        except Exception as exc:  # a validator's own TypeError, pydantic-core's error for a
            # validator error it cannot print...: the arguments' failure, not the tool's
            raise ToolArgumentsError(
                f"invalid arguments for tool {self.name!r}: validating them raised "
                f"{describe_error(exc)}"
            ) from exc
        return {name: getattr(model, field) for field, name in self._signature.parameters}

    async def invoke(self, arguments: str | dict[str, t.Any] | None) -> t.Any:
        """Validate `arguments` and call the function (awaited when async).

        Args:
            arguments: JSON text or a decoded object.

        Returns:
            What the function returned.

        Raises:
            ToolArgumentsError: The arguments are invalid (the function is not called).
        """
        result = self.call_validated(self.validate(arguments))
        if inspect.isawaitable(result):
            result = await result
        return result

    def call_validated(self, values: dict[str, t.Any]) -> t.Any:
        """Call the function with arguments `validate` returned (an awaitable if it is async).

        Args:
            values: The validated keyword arguments.

        Returns:
            What the function returned.
        """
        values = dict(values)
        args = [values.pop(key) for key in self._signature.positional]
        return self.fn(*args, **values)


class Tool:
    """Base class for a tool made of several functions: its public methods become tools.

    Subclass it, give ``name`` and ``description`` (class attributes, class keywords or, as
    in 2.3, properties) and write typed, documented methods; ``pipeline.using(MyTool())``
    offers each public method (name not starting with ``_``; static, class and inherited
    methods too) as ``<name>_<method>``.

    Example:
        >>> class Weather(Tool, name="weather", description="Weather data"):
        ...     def forecast(self, city: str) -> str:
        ...         return f"sunny in {city}"
    """

    name: t.ClassVar[str]
    """Prefix of the tool's function names."""
    description: t.ClassVar[str]
    """What the tool offers."""

    def __init_subclass__(
        cls, *, name: str | None = None, description: str | None = None, **kwargs: t.Any
    ) -> None:
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.name = name
        if description is not None:
            cls.description = description
        for attribute in ("name", "description"):
            value = inspect.getattr_static(cls, attribute, None)
            if isinstance(value, property):
                continue  # a property (as 2.3 allowed): its value is checked per instance
            _check_label(cls, attribute, value)

    def _label(self, attribute: str) -> str:
        """``name`` or ``description`` of this instance, checked (a property may be empty)."""
        return _check_label(type(self), attribute, getattr(self, attribute))

    def get_description(self) -> ToolDescription:
        """What this tool offers: its name, description and one definition per function.

        Returns:
            The description (``str()`` of it is the text native tools put in the prompt).
        """
        from rigging.tool.native import system_tool_prompt  # native builds on this module

        tools = self.get_tools()
        return ToolDescription(
            name=self.name,
            description=self.description,
            functions=tuple(tool.definition.function for tool in tools),
            text=system_tool_prompt(tools),
        )

    def execute(self, call: t.Any) -> ToolResult:
        """Run one call of a function of this tool and return its result (never raises).

        Works outside a pipeline, as 2.3's ``Tool.execute`` did; an async method is run to
        completion (so call it from synchronous code, or use the pipeline). Unknown
        functions, invalid arguments and exceptions raised by the method (any
        `BaseException` but `KeyboardInterrupt` and `SystemExit`) come back as a result
        with ``error=True``.

        Args:
            call: An API `ToolCall` or a native call (anything with ``name``/``arguments``
                or ``function.name``/``function.arguments``); the function may be named
                ``<tool>_<method>`` or just ``<method>``.

        Returns:
            The result.
        """
        name, arguments = _call_parts(call)
        tools = {tool.name: tool for tool in self.get_tools()}
        tool = tools.get(name) or tools.get(f"{self.name}_{name}")
        if tool is None:
            from rigging.tool.api import unknown_tool  # api builds on this module

            return ToolResult(self.name, name, unknown_tool(name, list(tools)), error=True)
        function = tool.name.removeprefix(f"{self.name}_")
        try:
            result = tool.call_validated(tool.validate(arguments))
            if inspect.isawaitable(result):  # a coroutine as it is: refused, it is closed
                result = await_(result if inspect.iscoroutine(result) else _awaited(result))
        except ToolArgumentsError as exc:
            return ToolResult(self.name, function, f"Error: {exc}", error=True)
        except (RunNestingError, KeyboardInterrupt, SystemExit):
            raise  # ends the whole chain of runs, not one level of it; an interrupt
        except BaseException as exc:  # a stray GeneratorExit too: the call ran in a loop of
            # its own (`await_`), so even a CancelledError is the method's own
            text = f"Error: tool {tool.name!r} raised {describe_error(exc)}"
            return ToolResult(self.name, function, text, error=True)
        content, failed = converted_content(tool.name, result)
        return ToolResult(self.name, function, content, error=failed)

    __call__ = execute

    def get_tools(self) -> list[ApiTool]:
        """One tool per public method, in alphabetical order.

        Methods (static and class methods too) defined on the class and on its bases up to
        `Tool` count; a subclass's definition replaces a base's of the same name, and the
        methods `Tool` itself provides (`execute`, ...) are not offered.

        Returns:
            The tools.
        """
        from rigging.tool.api import ApiTool  # api builds on this module

        name, description = self._label("name"), self._label("description")
        tools = []
        for attr, function in _public_methods(type(self)):
            method = getattr(self, attr)
            summary, _ = _split_docstring(inspect.getdoc(function))
            described = f"{description}: {summary}" if summary else description
            tools.append(ApiTool(method, name=f"{name}_{attr}", description=described))
        if not tools:
            raise TypeError(f"Tool {type(self).__qualname__} has no public methods to offer")
        return tools


def _check_label(cls: type, attribute: str, value: object) -> str:
    """`value` if it is a non-blank str, else an error naming the class and attribute.

    A missing (or non-str) value is a `TypeError`, a blank one an `InvalidArgumentError` (a
    `TypeError` and a `ValueError`), as 2.3 raised `TypeError` and `ValueError` there.
    """
    if not isinstance(value, str) or not value.strip():
        error = InvalidArgumentError if isinstance(value, str) else TypeError
        raise error(
            f"Tool subclass {cls.__qualname__} needs a non-empty {attribute!r} "
            f"(class attribute, property or class keyword: class {cls.__name__}(Tool, "
            f"{attribute}=...))"
        )
    return value


def _public_methods(cls: type[Tool]) -> list[tuple[str, Callable[..., t.Any]]]:
    """The public methods of a `Tool` subclass and its bases, by name: (name, function)."""
    defined: dict[str, t.Any] = {}
    for klass in cls.__mro__:
        if klass is Tool:
            break
        for attr, member in vars(klass).items():
            defined.setdefault(attr, member)  # the most derived definition wins
    methods: list[tuple[str, Callable[..., t.Any]]] = []
    for attr, member in sorted(defined.items()):
        if attr.startswith("_") or attr in vars(Tool):
            continue
        function = member.__func__ if isinstance(member, (staticmethod, classmethod)) else member
        if inspect.isfunction(function):
            methods.append((attr, function))
    return methods


@dataclass(frozen=True)
class ToolResult:
    """The answer `Tool.execute` gives to one call."""

    tool: str
    """The tool's name."""
    function: str
    """The method that was called (or the unknown name the call used)."""
    content: str | list[t.Any]
    """The result as message content, or the error text."""
    error: bool = False
    """Whether the call failed (unknown function, bad arguments, or the method raised)."""

    def __str__(self) -> str:
        if isinstance(self.content, str):
            return self.content
        return "\n".join(str(getattr(part, "text", part)) for part in self.content)


@dataclass(frozen=True)
class ToolDescription:
    """What `Tool.get_description` returns."""

    name: str
    """The tool's name."""
    description: str
    """What the tool offers."""
    functions: tuple[t.Any, ...]
    """One `FunctionDefinition` (name, description, JSON schema) per public method."""
    text: str = field(default="", repr=False)
    """The description as native tools show it in the system prompt."""

    def __str__(self) -> str:
        return self.text

    def to_pretty_xml(self) -> str:
        """The description as native tools show it (``str()``; 2.3's name, kept for its code).

        Returns:
            The text, in the native tool format.
        """
        return self.text


def _call_parts(call: t.Any) -> tuple[str, t.Any]:
    """The function name and the arguments of an API or native tool call."""
    function = getattr(call, "function", None)
    if function is not None and hasattr(function, "arguments"):
        return str(function.name), function.arguments
    if hasattr(call, "name") and hasattr(call, "arguments"):
        return str(call.name), call.arguments
    raise TypeError(
        f"cannot execute {type(call).__name__}: pass a ToolCall or a native call "
        "(with name and arguments)"
    )


async def _awaited(awaitable: t.Awaitable[t.Any]) -> t.Any:
    return await awaitable


def as_tools(obj: t.Any) -> list[ApiTool]:
    """Turn anything `ChatPipeline.using` accepts into function tools.

    Args:
        obj: A `FunctionTool` (or `ApiTool`), a `Tool` instance or subclass (instantiated
            with no arguments), a `Prompt`, or a callable.

    Returns:
        The tools it stands for.

    Raises:
        TypeError: `obj` is none of these, or its signature cannot be described.
    """
    from rigging.tool.api import ApiTool  # api builds on this module

    if isinstance(obj, ApiTool):
        return [obj]
    if isinstance(obj, FunctionTool):
        return [ApiTool(obj.fn, name=obj.name, description=obj.description)]
    if isinstance(obj, type) and issubclass(obj, Tool):
        obj = obj()
    if isinstance(obj, Tool):
        return obj.get_tools()
    if callable(obj):
        return [ApiTool(obj)]
    raise TypeError(
        f"cannot use {type(obj).__name__} as a tool: pass a function, a method, a Tool, "
        "an ApiTool or a Prompt"
    )


__dir__ = _public_dir(globals())
