"""Prompt inputs: each function parameter becomes an XML element in the rendered prompt."""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing as t
from dataclasses import dataclass

from rigging._model.base import class_info
from rigging.error import _safe_str
from rigging.model import Model
from rigging.prompt._names import entry, is_tag_name
from rigging.prompt._template import reads_variable
from rigging.util import escape_xml, to_snake, to_xml_tag

__all__ = [
    "BASIC",
    "BasicInput",
    "Ctx",
    "DataclassInput",
    "DictInput",
    "Input",
    "ListInput",
    "ModelInput",
    "check_model",
    "parse_parameter",
    "placeholders",
    "type_hints",
    "unwrap_annotated",
]

_TAG = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")

BASIC: tuple[type, ...] = (int, float, str, bool)
"""Types rendered with ``str()``."""


@dataclass(frozen=True)
class Ctx:
    """Names or describes a prompt input or output inside ``Annotated[T, Ctx(...)]``.

    Args:
        tag: The XML tag to use instead of one derived from the name.
        prefix: A line of text put before the element.
        example: Output only: what to show inside the tags (a `Model` is shown as XML).
    """

    tag: str | None = None
    prefix: str | None = None
    example: str | Model | None = None

    def __post_init__(self) -> None:
        # The tag names an XML element and, in snake case, the template variable that holds
        # it: anything else would be markup in the prompt or code in its template.
        if self.tag is not None and not (
            isinstance(self.tag, str) and _TAG.fullmatch(self.tag) and self.tag.isascii()
        ):
            raise ValueError(
                f"Ctx tag must be an XML name of letters, digits, '_' and '-' starting with a "
                f"letter or '_', got {self.tag!r}"
            )


def unwrap_annotated(annotation: t.Any) -> tuple[t.Any, Ctx | None]:
    """Split ``Annotated[T, ..., Ctx(...)]`` into ``T`` and the first `Ctx` (or None).

    Args:
        annotation: A type hint.

    Returns:
        The bare type and its context.
    """
    if t.get_origin(annotation) is t.Annotated:
        ctx = next((m for m in annotation.__metadata__ if isinstance(m, Ctx)), None)
        return annotation.__origin__, ctx
    return annotation, None


def type_hints(obj: t.Any, where: str) -> dict[str, t.Any]:
    """The resolved type hints of `obj` (``Annotated`` kept).

    Args:
        obj: A function or a class.
        where: What is being read, for the error (``prompt f()``).

    Returns:
        The hints by name.

    Raises:
        TypeError: A hint cannot be resolved (an undefined name in a string or postponed
            annotation, ``X | Y`` of strings on Python 3.10); the message names `where`.
    """
    try:
        return t.get_type_hints(obj, include_extras=True)
    except Exception as exc:
        raise TypeError(
            f"{where}: cannot resolve the type hints: {_safe_str(exc, named=True)}"
        ) from exc


def placeholders(inputs: t.Sequence[Input], func_name: str) -> list[str]:
    """The template variable that holds each input: the snake case of its tag.

    An input whose tag gives a name a template cannot read as a variable (``true``,
    ``none``: the placeholder printed the literal and the input never reached the prompt;
    ``self``: jinja's name for the template; ``not``: a keyword) is held by a name of
    rigging's own instead (``rigging_input_<position>``); its element keeps its tag.

    Args:
        inputs: The inputs, in order.
        func_name: The prompt's name, for the error.

    Returns:
        One variable name per input.

    Raises:
        TypeError: An input has no tag (a parameter named ``_``); give it one with ``Ctx``.
    """
    names = []
    for position, item in enumerate(inputs):
        if not item.tag:
            raise TypeError(
                f"prompt {func_name}(), parameter {item.name!r}: its name gives no XML tag; "
                "rename it or give it a tag with Annotated[..., Ctx(tag=...)]"
            )
        name = to_snake(item.tag)
        names.append(name if reads_variable(name) else f"rigging_input_{position}")
    return names


@dataclass(frozen=True)
class Input:
    """One parameter as it appears in the prompt."""

    name: str
    """Parameter name."""
    ctx: Ctx
    """Its context (tag, prefix)."""

    @property
    def tag(self) -> str:
        """The XML tag."""
        return self.ctx.tag or to_xml_tag(self.name)

    def to_str(self, value: t.Any) -> str:
        """The element's content for `value` (unescaped)."""
        raise NotImplementedError

    def to_xml(self, value: t.Any) -> str:
        """The element for `value`, with the prefix line when one is set."""
        return self._element(escape_xml(self.to_str(value)))

    def _element(self, content: str) -> str:
        """The element holding `content` (escaped), after the prefix line when one is set."""
        if "\n" in content:
            content = f"\n{content}\n"
        element = f"<{self.tag}>{content}</{self.tag}>"
        return f"{self.ctx.prefix}\n{element}" if self.ctx.prefix else element


@dataclass(frozen=True)
class BasicInput(Input):
    """``int``, ``float``, ``str`` or ``bool``: the value's text."""

    def to_str(self, value: t.Any) -> str:
        """``str(value)``."""
        return str(value)


@dataclass(frozen=True)
class ModelInput(Input):
    """A `Model`: its own XML (no extra wrapper)."""

    def to_str(self, value: t.Any) -> str:
        """The model's pretty XML."""
        if not isinstance(value, Model):
            raise TypeError(f"argument {self.name!r} must be a Model, got {type(value).__name__}")
        return value.to_pretty_xml()

    def to_xml(self, value: t.Any) -> str:
        """The model's XML, after the prefix line when one is set."""
        xml = self.to_str(value)
        return f"{self.ctx.prefix}\n{xml}" if self.ctx.prefix else xml


@dataclass(frozen=True)
class DataclassInput(Input):
    """A dataclass: one child element per field."""

    fields: tuple[Input, ...] = ()

    def to_str(self, value: t.Any) -> str:
        """One element per field, one per line."""
        if not dataclasses.is_dataclass(value):
            raise TypeError(
                f"argument {self.name!r} must be a dataclass, got {type(value).__name__}"
            )
        return "\n".join(f.to_xml(getattr(value, f.name)) for f in self.fields)

    def to_xml(self, value: t.Any) -> str:
        """The fields' elements inside the parameter's element (children not escaped)."""
        element = f"<{self.tag}>\n{self.to_str(value)}\n</{self.tag}>"
        return f"{self.ctx.prefix}\n{element}" if self.ctx.prefix else element


@dataclass(frozen=True)
class ListInput(Input):
    """``list[X]``: each item's text, separated by blank lines."""

    interior: Input | None = None

    def to_str(self, value: t.Any) -> str:
        """Items joined by a blank line."""
        if not isinstance(value, (list, tuple)):
            raise TypeError(f"argument {self.name!r} must be a list, got {type(value).__name__}")
        assert self.interior is not None
        return "\n\n".join(self.interior.to_str(item) for item in value)


@dataclass(frozen=True)
class DictInput(Input):
    """``dict[str, X]``: one ``<key>value</key>`` line per entry.

    A key is written as its tag when it is an XML name, exactly as written; any other key
    (``"New York"``, ``"a:b"``, ``""``, text holding ``<`` or ``"``) gives
    ``<entry key="...">value</entry>``, the key escaped in the attribute. Keys never become
    markup, and two distinct keys never share an element.
    """

    interior: Input | None = None

    def to_str(self, value: t.Any) -> str:
        """One element per entry (escaped: keys may be character references)."""
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise TypeError(f"argument {self.name!r} must be a dict with str keys")
        assert self.interior is not None
        interior = self.interior
        return "\n".join(entry(k, escape_xml(interior.to_str(v))) for k, v in value.items())

    def to_xml(self, value: t.Any) -> str:
        """The entries inside the parameter's element (escaped once, by `to_str`)."""
        return self._element(self.to_str(value))


def check_model(cls: type[Model], where: str) -> None:
    """Refuse now a model class the codec would refuse at its first use.

    The codec's facts about a class (`class_info`, computed once and cached on the class)
    include its refusals, e.g. a name with an ``xmlns:`` prefix that no reader gives back.
    A class whose references are not all defined yet is left to its first use.

    Raises:
        TypeError: The codec refuses the class; the message starts with `where`.
    """
    if not (cls.__pydantic_complete__ and cls.__xml_serializer__ is not None):
        return
    try:
        class_info(cls)
    except TypeError as exc:
        raise TypeError(f"{where}: {_safe_str(exc)}") from None


def _interior(annotation: t.Any, where: str, ctx: Ctx, within: tuple[type, ...]) -> Input:
    base, inner_ctx = unwrap_annotated(annotation)
    if t.get_origin(base) in (list, dict):
        raise TypeError(f"{where}: nested lists and dicts are not supported as prompt inputs")
    return _make(base, "item", inner_ctx or ctx, where, within)


def _dataclass(base: type, name: str, ctx: Ctx, where: str, within: tuple[type, ...]) -> Input:
    """A dataclass input; `within` holds the dataclasses it is a field of (a cycle is refused)."""
    if base in within:
        raise TypeError(
            f"{where}: the dataclass {base.__qualname__} contains itself; a prompt input "
            "must be rendered in full, so it cannot refer back to a dataclass holding it"
        )
    hints = type_hints(base, where)
    fields: dict[str, Input] = {}  # by tag
    for field in dataclasses.fields(base):
        f_base, f_ctx = unwrap_annotated(hints[field.name])
        f_where = f"{where}.{field.name}"
        made = _tagged(_make(f_base, field.name, f_ctx or Ctx(), f_where, (*within, base)), f_where)
        other = fields.setdefault(made.tag, made)
        if other is not made:
            raise TypeError(
                f"{where}: the fields {other.name!r} and {made.name!r} of dataclass "
                f"{base.__qualname__} both give the tag {made.tag!r}; rename one or give it "
                "a tag with Annotated[..., Ctx(tag=...)]"
            )
    return DataclassInput(name, ctx, tuple(fields.values()))


def _tagged(made: Input, where: str) -> Input:
    """`made`, refused when its tag (derived from its name) cannot open an element."""
    if not made.tag:
        raise TypeError(
            f"{where}: its name gives no XML tag; rename it or give it a tag with "
            "Annotated[..., Ctx(tag=...)]"
        )
    if not is_tag_name(made.tag):
        raise TypeError(
            f"{where}: its name gives the tag {made.tag!r}, which is not an XML name; rename "
            "it or give it a tag with Annotated[..., Ctx(tag=...)]"
        )
    return made


def _make(base: t.Any, name: str, ctx: Ctx, where: str, within: tuple[type, ...] = ()) -> Input:
    origin = t.get_origin(base)
    if base in BASIC:
        return BasicInput(name, ctx)
    if isinstance(base, type) and issubclass(base, Model):
        check_model(base, where)
        return ModelInput(name, ctx)
    if isinstance(base, type) and dataclasses.is_dataclass(base):
        return _dataclass(base, name, ctx, where, within)
    if origin is list:
        (item,) = t.get_args(base) or (None,)
        if item is None:
            raise TypeError(f"{where}: give the list's item type, e.g. list[str]")
        return ListInput(name, ctx, _interior(item, where, ctx, within))
    if origin is dict:
        args = t.get_args(base)
        if len(args) != 2 or args[0] is not str:
            raise TypeError(f"{where}: dicts must be typed dict[str, X]")
        return DictInput(name, ctx, _interior(args[1], where, ctx, within))
    raise TypeError(
        f"{where}: unsupported parameter type {base!r}; use str, int, float, bool, a Model, "
        "a dataclass, list[X] or dict[str, X]"
    )


def parse_parameter(param: inspect.Parameter, hint: t.Any, func_name: str) -> Input:
    """Turn a function parameter into an `Input`.

    Args:
        param: The parameter.
        hint: Its resolved type hint (``inspect.Parameter.empty`` when missing).
        func_name: The function's name, for error messages.

    Returns:
        The input.

    Raises:
        TypeError: ``*args``/``**kwargs``, a missing hint, or an unsupported type; the
            message names the function and the parameter.
    """
    where = f"prompt {func_name}(), parameter {param.name!r}"
    if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD, param.POSITIONAL_ONLY):
        raise TypeError(
            f"{where}: *args, **kwargs and positional-only parameters are not supported"
        )
    if hint is inspect.Parameter.empty:
        raise TypeError(f"{where}: a type annotation is required")
    base, ctx = unwrap_annotated(hint)
    return _tagged(_make(base, param.name, ctx or Ctx(), where), where)
