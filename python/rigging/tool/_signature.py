"""A tool's signature: its docstring's texts, the argument model and the JSON schema.

`_build_signature` reads a callable once: the pydantic model that validates the arguments
a model sends, and the schema the model sees. Used by `rigging.tool.base` (`FunctionTool`,
`Tool.get_tools`).
"""

from __future__ import annotations

import inspect
import re
import typing as t
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field, create_model

from rigging.error import _safe_str
from rigging.util import deref_json

_ARGS_HEADER = re.compile(r"^\s*(Args|Arguments|Parameters):\s*$")
_SECTION = re.compile(r"^\s*[A-Z][A-Za-z ]*:\s*$")
_ARG_LINE = re.compile(r"^\s+(\*{0,2}\w+)(?:\s*\([^)]*\))?:\s*(.*)$")


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
    """Validates the arguments; its fields are internal names, aliased to the parameters."""
    schema: dict[str, t.Any]
    positional: tuple[str, ...]
    parameters: tuple[tuple[str, str], ...]
    """(field name, parameter name) of each parameter, in signature order."""


def _build_signature(
    fn: Callable[..., t.Any], name: str, *, skip_receiver: bool = False
) -> _Signature:
    """Build the argument model and schema of `fn`; unsupported signatures raise TypeError.

    With `skip_receiver`, the first parameter (a method's ``self``, given by the caller) is
    left out.
    """
    try:
        hints = t.get_type_hints(fn, include_extras=True)
    except Exception as exc:
        raise TypeError(
            f"tool {name!r}: cannot resolve the type hints: {_safe_str(exc, named=True)}"
        ) from exc
    _, arg_docs = _split_docstring(inspect.getdoc(fn))
    fields: dict[str, t.Any] = {}
    positional: list[str] = []
    names: list[tuple[str, str]] = []
    params = list(inspect.signature(fn).parameters.values())
    for param in params[1:] if skip_receiver else params:
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
        # The field gets a name of our own and the parameter's as its alias (what the schema
        # shows and the model sends), so names pydantic keeps for itself (``model_config``,
        # ``model_dump``, ``_private``) work as parameters.
        internal = f"arg_{len(fields)}"
        fields[internal] = (annotation, Field(default, alias=param.name, description=description))
        names.append((internal, param.name))
        if param.kind is not param.KEYWORD_ONLY:
            positional.append(param.name)
    try:
        model = create_model(
            f"{name}_arguments",
            __config__=ConfigDict(arbitrary_types_allowed=False, extra="forbid"),
            **fields,
        )
        schema = _clean_schema(model.model_json_schema(by_alias=True))
    except Exception as exc:
        raise TypeError(
            f"tool {name!r}: unsupported argument types: {_safe_str(exc, named=True)}"
        ) from exc
    return _Signature(t.cast("type[BaseModel]", model), schema, tuple(positional), tuple(names))
