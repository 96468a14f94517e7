"""Prompt outputs: the return hint gives the format shown to the model and its parser.

Each `Output` is built once, when the prompt is decorated; primitive model classes come
from the cached `make_primitive`, so no pydantic class is created per call.
"""

from __future__ import annotations

import dataclasses
import typing as t
from dataclasses import dataclass

from rigging.chat import Chat
from rigging.error import _safe_str
from rigging.model import Model
from rigging.prompt._inputs import BASIC, Ctx, check_model, type_hints, unwrap_annotated
from rigging.util import escape_xml, to_xml_tag

if t.TYPE_CHECKING:
    from rigging.message import Message

__all__ = [
    "BasicListOutput",
    "BasicOutput",
    "ChatOutput",
    "DataclassOutput",
    "ModelListOutput",
    "ModelOutput",
    "Output",
    "TupleOutput",
    "parse_output",
]

GUIDANCE = "Produce the following output (use xml tags):"
GUIDANCE_LIST = "Produce the following output for each item (use xml tags):"
GUIDANCE_MANY = "Produce the following outputs (use xml tags):"


@dataclass(frozen=True)
class Output:
    """How the prompt asks for its result and reads it back."""

    ctx: Ctx

    def guidance(self) -> str:
        """The line introducing the format."""
        return GUIDANCE

    def to_format(self) -> str:
        """The XML example shown to the model."""
        raise NotImplementedError

    def value(self, message: Message, chat: Chat | None) -> t.Any:
        """Read the result from the final message (`chat` fills `Chat` members)."""
        raise NotImplementedError

    def describe(self) -> str:
        """The output's type as errors name it (``Answer``, ``list[int]``, ``tuple[...]``)."""
        raise NotImplementedError

    def _prefixed(self, text: str) -> str:
        return f"{self.ctx.prefix}\n{text}" if self.ctx.prefix else text


@dataclass(frozen=True)
class ChatOutput(Output):
    """``rg.Chat``: the whole chat, no format and no parsing."""

    def to_format(self) -> str:
        """Nothing: a chat output asks for no format."""
        return ""

    def value(self, message: Message, chat: Chat | None) -> t.Any:
        """The chat itself."""
        return chat

    def describe(self) -> str:
        """``Chat``."""
        return "Chat"


@dataclass(frozen=True)
class BasicOutput(Output):
    """A basic value between ``<tag>`` tags."""

    type_: type
    tag: str
    model: type[Model]

    def to_format(self) -> str:
        """``<tag>example</tag>``."""
        example = self.ctx.example
        shown = example.to_pretty_xml() if isinstance(example, Model) else (example or "")
        return self._prefixed(f"<{self.tag}>{escape_xml(shown)}</{self.tag}>")

    def value(self, message: Message, chat: Chat | None) -> t.Any:
        """The value of the first element, converted to the declared type."""
        return message.parse(self.model).content  # type: ignore[attr-defined]

    def describe(self) -> str:
        """The basic type's name."""
        return self.type_.__name__


@dataclass(frozen=True)
class BasicListOutput(BasicOutput):
    """``list[basic]``: every ``<tag>`` element (at least one)."""

    def guidance(self) -> str:
        """Asks for one element per item."""
        return GUIDANCE_LIST

    def value(self, message: Message, chat: Chat | None) -> t.Any:
        """Every element's value, in order."""
        return [m.content for m in message.parse_set(self.model, minimum=1)]  # type: ignore[attr-defined]

    def describe(self) -> str:
        """``list[type]``."""
        return f"list[{self.type_.__name__}]"


@dataclass(frozen=True)
class ModelOutput(Output):
    """A `Model` subclass, parsed from its XML."""

    model: type[Model]

    def to_format(self) -> str:
        """The context's example model, else the model's `xml_example`."""
        example = self.ctx.example
        if isinstance(example, Model):
            return example.to_pretty_xml()
        if isinstance(example, str) and example:
            return example
        return self.model.xml_example()

    def value(self, message: Message, chat: Chat | None) -> t.Any:
        """The first filled instance."""
        return message.parse(self.model)

    def describe(self) -> str:
        """The model class's name."""
        return self.model.__name__


@dataclass(frozen=True)
class ModelListOutput(ModelOutput):
    """``list[Model]``: every instance (at least one)."""

    def guidance(self) -> str:
        """Asks for one element per item."""
        return GUIDANCE_LIST

    def value(self, message: Message, chat: Chat | None) -> t.Any:
        """Every instance, in order."""
        return message.parse_set(self.model, minimum=1)

    def describe(self) -> str:
        """``list[Model]``."""
        return f"list[{self.model.__name__}]"


@dataclass(frozen=True)
class TupleOutput(Output):
    """``tuple[...]``: several outputs at once, returned in order."""

    members: tuple[Output, ...] = ()

    def _single(self) -> Output | None:
        parsed = [m for m in self.members if not isinstance(m, ChatOutput)]
        return parsed[0] if len(parsed) == 1 else None

    def guidance(self) -> str:
        """The member's guidance when only one is parsed, else a plural line."""
        single = self._single()
        return single.guidance() if single is not None else GUIDANCE_MANY

    def to_format(self) -> str:
        """Members' formats separated by blank lines (chat members left out)."""
        formats = [m.to_format() for m in self.members if not isinstance(m, ChatOutput)]
        return self._prefixed("\n\n".join(formats))

    def value(self, message: Message, chat: Chat | None) -> t.Any:
        """A tuple of the members' values."""
        return tuple(m.value(message, chat) for m in self.members)

    def describe(self) -> str:
        """``tuple[...]`` of the members."""
        return f"tuple[{', '.join(m.describe() for m in self.members)}]"


@dataclass(frozen=True)
class DataclassOutput(TupleOutput):
    """A dataclass: one output per field, built with the field values."""

    cls: type | None = None
    names: tuple[str, ...] = ()
    """The field each member fills, passed to the constructor by keyword."""

    def value(self, message: Message, chat: Chat | None) -> t.Any:
        """An instance of the dataclass."""
        assert self.cls is not None
        values = super().value(message, chat)
        return self.cls(**dict(zip(self.names, values, strict=True)))

    def describe(self) -> str:
        """The dataclass's name."""
        assert self.cls is not None
        return self.cls.__name__


def _basic(base: type, ctx: Ctx, *, many: bool) -> BasicOutput:
    from rigging._model.stock import make_primitive  # stock models load lazily

    tag = ctx.tag or to_xml_tag(base.__name__)
    model = make_primitive(f"{tag}_output", base, tag=tag)
    cls = BasicListOutput if many else BasicOutput
    return cls(ctx, base, tag, t.cast("type[Model]", model))


def _field_ctx(ctx: Ctx, name: str, where: str) -> Ctx:
    """`ctx` with the tag derived from the dataclass field `name`, refused when it has none."""
    tag = to_xml_tag(name)
    try:
        return dataclasses.replace(ctx, tag=tag)
    except ValueError:  # Ctx refuses a tag that is not an XML name
        shown = f"the tag {tag!r}, which is not an XML name" if tag else "no XML tag"
        raise TypeError(
            f"{where}: the field {name!r} gives {shown}; rename it or give it a tag with "
            "Annotated[..., Ctx(tag=...)]"
        ) from None


def _members(
    hints: t.Sequence[tuple[str | None, t.Any]], where: str, ctx: Ctx
) -> tuple[Output, ...]:
    members = []
    for name, hint in hints:
        base, m_ctx = unwrap_annotated(hint)
        m_ctx = m_ctx or Ctx()
        if name is not None and m_ctx.tag is None:
            m_ctx = _field_ctx(m_ctx, name, where)
        members.append(_parse(base, m_ctx, where, nested=False))
    tags = [
        getattr(m, "tag", None) or m.model.xml_start_tag()  # type: ignore[attr-defined]
        for m in members
        if not isinstance(m, ChatOutput)
    ]
    duplicates = sorted({tag for tag in tags if tags.count(tag) > 1})
    if duplicates:
        raise TypeError(
            f"{where}: several outputs share the tag {duplicates[0]!r}; name them with "
            "Annotated[T, rg.Ctx('tag')]"
        )
    return tuple(members)


def _dataclass_fields(cls: type, where: str) -> tuple[str, ...]:
    """The fields of dataclass `cls` the model fills: those its constructor takes.

    Fields with ``init=False`` are left out (the class sets them itself). The constructor
    must take every other field by keyword and need nothing else, so that the parsed values
    always build an instance; anything else is refused here, when the prompt is decorated.
    """
    import inspect

    names = tuple(f.name for f in dataclasses.fields(cls) if f.init)
    problem = f"{where}: dataclass {cls.__name__} cannot be built from the fields the model fills"
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{problem}: its constructor has no signature ({_safe_str(exc, named=True)})"
        ) from None
    keyword = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    for name in names:
        param = params.get(name)
        if (param is None and not takes_any) or (param is not None and param.kind not in keyword):
            raise TypeError(f"{problem}: its constructor takes no keyword argument {name!r}")
    for param in params.values():
        required = param.default is inspect.Parameter.empty and param.kind in (
            *keyword,
            inspect.Parameter.POSITIONAL_ONLY,
        )
        if required and param.name not in names:
            raise TypeError(
                f"{problem}: its constructor needs {param.name!r}, which is not a field the "
                "model fills (an InitVar or a parameter of a custom __init__); give it a default"
            )
    return names


def _parse(base: t.Any, ctx: Ctx, where: str, *, nested: bool = True) -> Output:
    origin = t.get_origin(base)
    if isinstance(ctx.example, Model):  # shown in the format: rendered with every prompt
        check_model(type(ctx.example), where)
    if base is Chat:
        return ChatOutput(ctx)
    if base in BASIC:
        return _basic(base, ctx, many=False)
    if isinstance(base, type) and issubclass(base, Model):
        check_model(base, where)
        return ModelOutput(ctx, base)
    if origin is list and nested:
        (item,) = t.get_args(base) or (None,)
        item_base, item_ctx = unwrap_annotated(item)
        item_ctx = item_ctx or ctx
        if item_base in BASIC:
            return _basic(item_base, item_ctx, many=True)
        if isinstance(item_base, type) and issubclass(item_base, Model):
            check_model(item_base, where)
            return ModelListOutput(item_ctx, item_base)
        raise TypeError(f"{where}: lists must hold str, int, float, bool or a Model, got {item!r}")
    if origin is tuple and nested:
        args = t.get_args(base)
        if not args or Ellipsis in args:
            raise TypeError(f"{where}: tuples must list their member types, e.g. tuple[str, int]")
        return TupleOutput(ctx, _members([(None, a) for a in args], where, ctx))
    if isinstance(base, type) and dataclasses.is_dataclass(base) and nested:
        names = _dataclass_fields(base, where)
        hints = type_hints(base, where)
        members = _members([(name, hints[name]) for name in names], where, ctx)
        return DataclassOutput(ctx, members, base, names)
    kind = "nested output" if not nested else "return type"
    raise TypeError(
        f"{where}: unsupported {kind} {base!r}; use str, int, float, bool, a Model, "
        "list[...] of those, a tuple, a dataclass or rg.Chat"
    )


def parse_output(hint: t.Any, func_name: str) -> Output:
    """Turn a return hint into an `Output`.

    Args:
        hint: The resolved return hint (``inspect.Signature.empty`` when missing).
        func_name: The function name, for error messages.

    Returns:
        The output.

    Raises:
        TypeError: A missing or unsupported hint; the message names the function.
    """
    import inspect

    where = f"prompt {func_name}(), return type"
    if hint is inspect.Signature.empty or hint is None:
        raise TypeError(f"{where}: a return annotation is required (e.g. -> str or -> rg.Chat)")
    base, ctx = unwrap_annotated(hint)
    return _parse(base, ctx or Ctx(), where)
