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
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from rigging._exports import public_dir as _public_dir
from rigging.model import Model
from rigging.util import deref_json

if t.TYPE_CHECKING:
    from rigging.tool.api import ApiTool

__all__ = [
    "FunctionTool",
    "Tool",
    "ToolArgumentsError",
    "as_tools",
    "result_content",
]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_SECTION = re.compile(r"^\s*[A-Z][A-Za-z ]*:\s*$")
_ARG_LINE = re.compile(r"^\s+(\*{0,2}\w+)(?:\s*\([^)]*\))?:\s*(.*)$")


class ToolArgumentsError(ValueError):
    """The arguments a model sent for a tool are not valid JSON or do not fit the signature."""


def _split_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a Google-style docstring into its description and per-argument descriptions."""
    if not doc:
        return "", {}
    summary: list[str] = []
    args: dict[str, str] = {}
    current: str | None = None
    section: str | None = None
    for line in inspect.cleandoc(doc).splitlines():
        if _SECTION.match(line) and not line[:1].isspace():
            section = "args" if _ARGS_HEADER.match(line) else "other"
            current = None
            continue
        if section is None:
            summary.append(line)
        elif section == "args":
            match = _ARG_LINE.match(line)
            if match:
                current = match.group(1).lstrip("*")
                args[current] = match.group(2).strip()
            elif current is not None and line.strip():
                args[current] = f"{args[current]} {line.strip()}".strip()
    return "\n".join(summary).strip(), args


def _annotated_description(annotation: t.Any) -> str | None:
    """The first str in `Annotated[...]` metadata (2.3's ``Annotated[T, "text"]``)."""
    if t.get_origin(annotation) is t.Annotated:
        for extra in annotation.__metadata__:
            if isinstance(extra, str):
                return extra
    return None


def _clean_schema(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """Inline references and drop pydantic's generated titles."""
    inlined = deref_json(schema)
    inlined.pop("$defs", None)

    def walk(node: t.Any, parent_is_properties: bool = False) -> t.Any:
        if isinstance(node, dict):
            return {
                k: walk(v, k == "properties")
                for k, v in node.items()
                if parent_is_properties or k != "title"
            }
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    cleaned: dict[str, t.Any] = walk(inlined)
    return cleaned


@dataclass(frozen=True)
class _Signature:
    model: type[BaseModel]
    schema: dict[str, t.Any]
    positional: tuple[str, ...]


def _build_signature(fn: Callable[..., t.Any], name: str) -> _Signature:
    """Build the argument model and schema of `fn`; unsupported signatures raise TypeError."""
    try:
        hints = t.get_type_hints(fn, include_extras=True)
    except Exception as exc:
        raise TypeError(f"tool {name!r}: cannot resolve the type hints: {exc}") from exc
    _, arg_docs = _split_docstring(inspect.getdoc(fn))
    fields: dict[str, t.Any] = {}
    positional: list[str] = []
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(
                f"tool {name!r}: parameter {param.name!r} is *args/**kwargs, which a model "
                "cannot fill; give every argument a name and a type"
            )
        if param.name not in hints:
            raise TypeError(
                f"tool {name!r}: parameter {param.name!r} needs a type annotation "
                "(it becomes the JSON schema the model sees)"
            )
        annotation = hints[param.name]
        description = _annotated_description(annotation) or arg_docs.get(param.name)
        default = ... if param.default is param.empty else param.default
        fields[param.name] = (annotation, Field(default, description=description))
        if param.kind is not param.KEYWORD_ONLY:
            positional.append(param.name)
    try:
        model = create_model(
            f"{name}_arguments",
            __config__=ConfigDict(arbitrary_types_allowed=False, extra="forbid"),
            **fields,
        )
        schema = _clean_schema(model.model_json_schema())
    except Exception as exc:
        raise TypeError(f"tool {name!r}: unsupported argument types: {exc}") from exc
    return _Signature(t.cast("type[BaseModel]", model), schema, tuple(positional))


def result_content(result: t.Any) -> str | list[t.Any]:
    """Turn what a tool returned into message content.

    A `Message` gives its content; a content part or a list of parts is kept as parts; a
    `Model` gives its XML, another pydantic model its JSON; everything else is ``str()``-ed.

    Args:
        result: The tool's return value.

    Returns:
        Text or content parts.
    """
    from rigging.message import ContentImageUrl, ContentText, Message  # message imports tool

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
    ) -> None:
        self.fn = fn
        """The callable that runs the tool."""
        source = _signature_of or fn
        self.name: str = name or getattr(source, "__name__", "") or type(source).__name__
        """The name the model calls the tool by."""
        if not _NAME.match(self.name):
            raise ValueError(
                f"tool name {self.name!r} is invalid: use 1-64 letters, digits, '_' or '-'"
            )
        summary, _ = _split_docstring(inspect.getdoc(source))
        self.description: str = summary if description is None else description
        """What the tool does, as shown to the model."""
        self._signature = _build_signature(source, self.name)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"

    @property
    def parameters_schema(self) -> dict[str, t.Any]:
        """JSON schema of the arguments (an object schema, references inlined)."""
        return self._signature.schema

    def validate(self, arguments: str | dict[str, t.Any] | None) -> dict[str, t.Any]:
        """Decode and validate arguments sent by a model.

        Args:
            arguments: JSON text (``""`` means no arguments) or an already decoded object.

        Returns:
            The validated keyword arguments (models as instances).

        Raises:
            ToolArgumentsError: Invalid JSON, not an object, or values not fitting the
                signature (the pydantic errors are listed).
        """
        if arguments is None or (isinstance(arguments, str) and not arguments.strip()):
            decoded: t.Any = {}
        elif isinstance(arguments, str):
            try:
                decoded = json.loads(arguments)
            except json.JSONDecodeError as exc:
                raise ToolArgumentsError(
                    f"arguments for tool {self.name!r} are not valid JSON: {exc}"
                ) from exc
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
            raise ToolArgumentsError(f"invalid arguments for tool {self.name!r}: {exc}") from exc
        return {key: getattr(model, key) for key in type(model).model_fields}

    async def invoke(self, arguments: str | dict[str, t.Any] | None) -> t.Any:
        """Validate `arguments` and call the function (awaited when async).

        Args:
            arguments: JSON text or a decoded object.

        Returns:
            What the function returned.

        Raises:
            ToolArgumentsError: The arguments are invalid (the function is not called).
        """
        values = self.validate(arguments)
        positional = self._signature.positional
        args = [values.pop(key) for key in positional]
        result = self.fn(*args, **values)
        if inspect.isawaitable(result):
            result = await result
        return result


class Tool:
    """Base class for a tool made of several functions: its public methods become tools.

    Subclass it, give ``name`` and ``description`` (class attributes or class keywords),
    and write typed, documented methods; ``pipeline.using(MyTool())`` offers each public
    method (name not starting with ``_``) as ``<name>_<method>``.

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
            value = getattr(cls, attribute, None)
            if not isinstance(value, str) or not value.strip():
                raise TypeError(
                    f"Tool subclass {cls.__qualname__} needs a non-empty {attribute!r} "
                    f"(class attribute or class keyword: class {cls.__name__}(Tool, "
                    f"{attribute}=...))"
                )

    def get_tools(self) -> list[ApiTool]:
        """One tool per public method, in alphabetical order.

        Returns:
            The tools.
        """
        from rigging.tool.api import ApiTool  # api builds on this module

        tools = []
        for attr, member in sorted(vars(type(self)).items()):
            if attr.startswith("_") or not inspect.isfunction(member):
                continue
            method = getattr(self, attr)
            summary, _ = _split_docstring(inspect.getdoc(member))
            described = f"{self.description}: {summary}" if summary else self.description
            tools.append(ApiTool(method, name=f"{self.name}_{attr}", description=described))
        if not tools:
            raise TypeError(f"Tool {type(self).__qualname__} has no public methods to offer")
        return tools


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
