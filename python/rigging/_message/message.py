"""`Message`: a role, text or content parts, tool calls, and the models parsed from it."""

from __future__ import annotations

import string
import typing as t
from collections.abc import Sequence
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator
from typing_extensions import Self

from rigging._deep_json import load_json
from rigging._message.alone import parse_alone
from rigging._message.content import (
    Content,
    ContentText,
    MessageDict,
    ParsedMessagePart,
    Role,
    dedent,
    drop_unresolved,
    fit_content,
)
from rigging._message.parts import add_parts, strip_parts, without_crossing
from rigging._message.tool_calls import ToolCall
from rigging._model.base import Model, ModelT, class_info
from rigging._model.fast import SharedFieldsSet, own_fields_set_for
from rigging._surrogates import dump_json
from rigging._uuid import uuid4
from rigging.error import MissingModelError, NothingToStripError
from rigging.parsing import found_many

__all__ = ["Message", "Messages"]


_ROLES = frozenset(t.get_args(Role))
_set = object.__setattr__

#: The fields set of every message made by `Message(...)` without extra keyword arguments.
_INIT_FIELDS_SET = SharedFieldsSet(("role", "all_content", "parts", "tool_calls", "tool_call_id"))


class Message(BaseModel):
    """A chat message: role, content (text or parts), tool calls and parsed models.

    ``Message("user", "hi")``. String content is dedented on construction (as in 2.3), not
    when loaded from a dump. Parsing methods record what they find in `parts`; the message
    content is then normalised to each part's `Model.to_pretty_xml` (see
    ``docs/design/decisions-messages.md``).
    """

    # NaN and infinities (a logprob of -inf in metadata) are written as JSON's NaN/Infinity
    # constants, which loading reads back; the default wrote null, and the value was lost.
    model_config = ConfigDict(
        defer_build=True,
        serialize_by_alias=True,
        validate_by_name=True,
        ser_json_inf_nan="constants",
    )

    uuid: UUID = Field(default_factory=uuid4, repr=False)
    """Identity of the message; kept by `fit`, new for `clone`/`apply`."""
    role: Role
    """Who wrote the message."""
    parts: list[ParsedMessagePart] = Field(default_factory=list)
    """Models parsed from the content, sorted by position."""
    all_content: str | list[Content] = Field(
        default="",
        validation_alias=AliasChoices("content", "all_content"),
        serialization_alias="content",
    )
    """The raw content: text, or a list of text and image parts (dumped as ``content``)."""

    def model_dump_json(self, **kwargs: t.Any) -> str:
        """JSON of the model; a lone surrogate in any text is written as U+FFFD."""
        return dump_json(self, super().model_dump_json, **kwargs)

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **kwargs: t.Any) -> Self:
        """``model_validate_json`` that also reads text nested as deep as dumps go."""
        return load_json(cls, super().model_validate_json, json_data, **kwargs)

    tool_calls: list[ToolCall] | None = None
    """Tool calls requested by the model."""
    tool_call_id: str | None = None
    """For ``tool`` messages: the call this message answers."""
    metadata: dict[str, t.Any] = Field(default_factory=dict)
    """Free-form data attached by the user."""

    def __init__(
        self,
        role: Role,
        content: str | Sequence[str | Content] | None = None,
        parts: Sequence[ParsedMessagePart] | None = None,
        tool_calls: Sequence[ToolCall] | Sequence[dict[str, t.Any]] | None = None,
        tool_call_id: str | None = None,
        **kwargs: t.Any,
    ) -> None:
        if (
            type(self) is Message
            and not kwargs
            and not parts
            and tool_calls is None
            and type(role) is str
            and role in _ROLES
            and (tool_call_id is None or type(tool_call_id) is str)
            and (content is None or type(content) is str)
        ):
            # The common call (a text message): every value is already what validation would
            # produce, so the instance is assembled directly, as pydantic would leave it.
            _set(
                self,
                "__dict__",
                {
                    "uuid": uuid4(),
                    "role": role,
                    "parts": [],
                    "all_content": "" if content is None else dedent(content),
                    "tool_calls": None,
                    "tool_call_id": tool_call_id,
                    "metadata": {},
                },
            )
            _set(self, "__pydantic_fields_set__", _INIT_FIELDS_SET)
            _set(self, "__pydantic_extra__", None)
            _set(self, "__pydantic_private__", None)
            return
        super().__init__(
            role=role,
            all_content=fit_content(content),
            parts=list(parts or []),
            tool_calls=None if tool_calls is None else list(tool_calls),
            tool_call_id=tool_call_id,
            **kwargs,
        )
        if not kwargs:
            # Always the same five names: one shared set instead of one per message (one
            # object less per message for the cyclic GC; copied on the first assignment of
            # another field, see `__setattr__`).
            object.__setattr__(self, "__pydantic_fields_set__", _INIT_FIELDS_SET)

    def __setattr__(self, name: str, value: t.Any) -> None:
        own_fields_set_for(self, name)
        if name == "all_content" and self.__dict__.get("parts"):
            # Parts point into the text: new text (set through `all_content` as through
            # `content`) leaves them pointing at other words, which `strip` would then cut.
            before = self.content
            super().__setattr__(name, value)
            if self.content != before:
                own_fields_set_for(self, "parts")
                super().__setattr__("parts", [])
            return
        super().__setattr__(name, value)

    # Validation (model_validate*) goes straight to pydantic, not through __init__.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    @model_validator(mode="before")
    @classmethod
    def _load_parts(cls, data: t.Any) -> t.Any:
        if isinstance(data, dict) and isinstance(data.get("parts"), list):
            data = {**data, "parts": drop_unresolved(data["parts"])}
        return data

    @model_validator(mode="after")
    def _check_loaded_parts(self) -> Self:
        """Loaded parts must fit the content: inside it, forward, and not crossing each other.

        One part may hold another, as parsing records them. A dump never holds others;
        hand-made or damaged data did, and `strip` then cut the wrong text (or the native
        splice refused the slice later, naming no part).
        """
        parts = self.__dict__.get("parts")
        if not parts:
            return self
        size = len(self.content)
        spans = []
        for index, part in enumerate(parts):
            where = part.slice_
            start, stop = where.start, where.stop
            if (
                where.step not in (None, 1)
                or not isinstance(start, int)
                or not isinstance(stop, int)
                or not 0 <= start <= stop <= size
            ):
                raise ValueError(
                    f"part {index} ({start}:{stop}) does not fit the content ({size} characters)"
                )
            spans.append((start, -stop, index))
        spans.sort()  # by start, the longer first: a part holding another comes before it
        open_: list[tuple[int, int]] = []  # (stop, index) of the parts holding this one
        for start, negative_stop, index in spans:
            stop = -negative_stop
            while open_ and open_[-1][0] <= start:
                open_.pop()
            if open_ and stop > open_[-1][0]:
                raise ValueError(f"parts {open_[-1][1]} and {index} cross each other")
            open_.append((stop, index))
        return self

    # --- content ------------------------------------------------------------------------------

    @property
    def content(self) -> str:
        """The text of the message; for part lists, the text parts joined by newlines.

        Setting it clears `parts`. With list content, the text parts are replaced by one text
        part holding the new value (where the first one was) and images are kept.
        """
        if isinstance(self.all_content, str):
            return self.all_content
        return "\n".join(part.text for part in self.all_content if isinstance(part, ContentText))

    @content.setter
    def content(self, value: str) -> None:
        self.parts = []
        if isinstance(self.all_content, str):
            self.all_content = dedent(value)
            return
        items = list(self.all_content)
        first = next((i for i, item in enumerate(items) if isinstance(item, ContentText)), 0)
        kept: list[Content] = [item for item in items if not isinstance(item, ContentText)]
        position = sum(1 for item in items[:first] if not isinstance(item, ContentText))
        kept.insert(position, ContentText(text=value))
        self.all_content = kept

    def force_str_content(self) -> Self:
        """Replace list content by its text (images are dropped); parts stay valid.

        Returns:
            This message (changed in place).
        """
        self.all_content = self.content
        return self

    @property
    def models(self) -> list[Model]:
        """The models of `parts`, in position order."""
        return [part.model for part in self.parts]

    def __str__(self) -> str:
        if isinstance(self.all_content, str):
            text = f"[{self.role}]: {self.all_content}"
        else:
            text = f"[{self.role}]:" + "".join(f"\n |- {part}" for part in self.all_content)
        for call in self.tool_calls or []:
            text += f"\n |- {call}"
        return text

    def __repr_args__(self) -> t.Iterator[tuple[str | None, t.Any]]:
        # As the 2.3 docs print it: `Message(role='user', parts=[], content='Say hello!')`.
        yield "role", self.role
        yield "parts", self.parts
        yield "content", self.all_content
        if self.tool_calls is not None:
            yield "tool_calls", self.tool_calls
        if self.tool_call_id is not None:
            yield "tool_call_id", self.tool_call_id
        if self.metadata:
            yield "metadata", self.metadata

    def __len__(self) -> int:
        return len(self.content)

    def to_openai_spec(self) -> dict[str, t.Any]:
        """The message as sent to OpenAI-compatible APIs (``None`` values left out).

        Returns:
            A dict with ``role``, ``content`` and, when set, ``tool_calls``/``tool_call_id``.
        """
        content: t.Any = self.all_content
        if not isinstance(content, str):
            content = [part.model_dump() for part in content]
        spec: dict[str, t.Any] = {"role": self.role, "content": content}
        if self.tool_calls is not None:
            spec["tool_calls"] = [call.model_dump() for call in self.tool_calls]
        if self.tool_call_id is not None:
            spec["tool_call_id"] = self.tool_call_id
        return spec

    # --- copies -------------------------------------------------------------------------------

    def clone(self) -> Message:
        """A deep copy with a new uuid: content (images included), parts, tool calls, metadata.

        Returns:
            The copy.
        """
        return self.model_copy(deep=True, update={"uuid": uuid4()})

    def meta(self, **kwargs: t.Any) -> Message:
        """A copy (new uuid) with ``kwargs`` merged into `metadata`.

        Args:
            **kwargs: Metadata to add or replace.

        Returns:
            The copy.
        """
        copy = self.clone()
        copy.metadata.update(kwargs)
        return copy

    def apply(self, **kwargs: str) -> Message:
        """A copy (new uuid, no parts) with ``$name``/``${name}`` placeholders filled.

        Unknown placeholders are left as they are (`string.Template.safe_substitute`).

        Args:
            **kwargs: Values of the placeholders.

        Returns:
            The copy.
        """
        copy = self.clone()
        copy.parts = []
        if isinstance(copy.all_content, str):
            copy.all_content = string.Template(copy.all_content).safe_substitute(kwargs)
        else:
            copy.all_content = [
                ContentText(text=string.Template(item.text).safe_substitute(kwargs))
                if isinstance(item, ContentText)
                else item
                for item in copy.all_content
            ]
        return copy

    @classmethod
    def fit(cls, message: Message | MessageDict | str) -> Message:
        """Turn a str (a user message), a dict or a Message (deep-copied, same uuid) into one.

        Args:
            message: What to convert.

        Returns:
            The message.
        """
        if isinstance(message, str):
            return cls("user", message)
        if isinstance(message, Message):
            return message.model_copy(deep=True)
        return cls(**message)

    @classmethod
    def fit_as_list(cls, messages: Messages | Message | MessageDict | str) -> list[Message]:
        """`fit` a single message or each message of a sequence.

        Args:
            messages: One message or a sequence of them.

        Returns:
            The messages.
        """
        if isinstance(messages, (str, dict, Message)):
            return [cls.fit(messages)]
        return [cls.fit(message) for message in messages]

    @classmethod
    def apply_to_list(cls, messages: Messages, **kwargs: str) -> list[Message]:
        """`apply` to each message.

        Args:
            messages: The messages.
            **kwargs: Values of the placeholders.

        Returns:
            The filled copies.
        """
        return [message.apply(**kwargs) for message in cls.fit_as_list(messages)]

    @classmethod
    def from_model(
        cls,
        models: Model | Sequence[Model],
        role: Role = "user",
        suffix: str | None = None,
    ) -> Message:
        """A message made of models' pretty XML, one per line, with parts pointing at each.

        Args:
            models: One model or a list or tuple of them.
            role: The message role.
            suffix: Text added after a blank line.

        Returns:
            The message.
        """
        items = [models] if isinstance(models, Model) else list(models)
        chunks: list[str] = []
        parts: list[ParsedMessagePart] = []
        position = 0
        for model in items:
            xml = model.to_pretty_xml()
            parts.append(
                ParsedMessagePart(model=model, slice_=slice(position, position + len(xml)))
            )
            chunks.append(xml + "\n")
            position += len(xml) + 1
        if suffix is not None:
            chunks.append("\n" + suffix)
        return cls.model_validate({"role": role, "content": "".join(chunks), "parts": parts})

    # --- parsing ------------------------------------------------------------------------------

    def parse(self, model_type: type[ModelT]) -> ModelT:
        """Parse the first filled instance of a model from the content and record all of them.

        Args:
            model_type: The model class.

        Returns:
            The model.

        Raises:
            MissingModelError: The tag is not in the content.
            pydantic.ValidationError: Tags were found but none holds a valid model.
            ValidatorRaisedError: As above, when validating the longest element raised an
                error pydantic did not report as a validation error (its ``__cause__``).
            XmlContentError: Tags were found but none holds readable XML (an unclosed CDATA
                section or comment is named), or a found element crosses a recorded part.
        """
        return t.cast("ModelT", self.try_parse_many(model_type, fail_on_missing=True)[0])

    def try_parse(self, model_type: type[ModelT]) -> ModelT | None:
        """Like `parse`, but return None when nothing valid is found.

        Args:
            model_type: The model class.

        Returns:
            The model or None.
        """
        found = self.try_parse_many(model_type)
        return t.cast("ModelT", found[0]) if found else None

    def parse_set(self, model_type: type[ModelT], minimum: int | None = None) -> list[ModelT]:
        """Parse every instance of a model (see `rigging.parsing.parse_set`).

        Args:
            model_type: The model class.
            minimum: Raise if fewer are found.

        Returns:
            The models in document order.
        """
        return self.try_parse_set(model_type, minimum=minimum, fail_on_missing=True)

    def try_parse_set(
        self,
        model_type: type[ModelT],
        minimum: int | None = None,
        fail_on_missing: bool = False,
    ) -> list[ModelT]:
        """Parse every instance of a model, returning ``[]`` when none is found.

        Args:
            model_type: The model class.
            minimum: Raise `MissingModelError` if fewer are found (even when not failing on
                missing).
            fail_on_missing: Raise parse failures.

        Returns:
            The models in document order.
        """
        models = self.try_parse_many(model_type, fail_on_missing=fail_on_missing)
        if minimum is not None and len(models) < minimum:
            raise MissingModelError(
                f"Expected at least {minimum} {model_type.__name__} in message, found {len(models)}"
            )
        return t.cast("list[ModelT]", models)

    def parse_many(self, *types: type[Model]) -> list[Model]:
        """Parse every instance of several models; each must be present.

        Args:
            *types: The model classes.

        Returns:
            The models of all types in document order.
        """
        return self.try_parse_many(*types, fail_on_missing=True)

    def try_parse_many(self, *types: type[Model], fail_on_missing: bool = False) -> list[Model]:
        """Parse every instance of several models, skipping types that are not found.

        Found models are added to `parts` (a model already recorded at the same place is not
        added twice) and the content is normalised to their pretty XML.

        Args:
            *types: The model classes.
            fail_on_missing: Raise the first failure instead of skipping that type.

        Returns:
            The models of all types in document order.

        Raises:
            XmlContentError: With ``fail_on_missing``, a found element crosses an element
                recorded before or found in this call (neither holds the other); the message
                names both, their models and code-point ranges. Without it, such an element
                is left out (the one that starts first is kept; recorded ones stay).
        """
        done = spans = None
        if len(types) == 1 and (
            # Assignments of a class that validates them go through validation: the general
            # path does them (the one-element path writes the fields directly).
            type(self) is Message or not type(self).model_config.get("validate_assignment")
        ):
            model, done, spans = parse_alone(self, types[0])
            if model is not None:
                return [model]
        found = found_many(
            self.content, *types, fail_on_missing=fail_on_missing, done=done, spans=spans
        )
        if not fail_on_missing and (len(found) > 1 or self.parts):
            found = without_crossing(self, found)
        add_parts(self, found)
        return [item.model for item in found]

    def strip(
        self, model_type: type[Model], *, fail_on_missing: bool = False
    ) -> list[ParsedMessagePart]:
        """Cut every part whose model is a ``model_type`` out of the content and `parts`.

        Parts inside a removed part go with it. A part holding a removed part is no longer
        recorded (its element changed; its text stays). Other parts are shifted to stay
        correct.

        Args:
            model_type: The model class to remove (subclasses included).
            fail_on_missing: Raise if the message has no such part.

        Returns:
            The removed parts.

        Raises:
            NothingToStripError: ``fail_on_missing`` and nothing was removed (a
                `MissingModelError`, and a `TypeError` as in 2.3).
        """
        removed = strip_parts(self, model_type)
        if not removed and fail_on_missing:
            raise NothingToStripError(
                f"Could not find <{class_info(model_type).tag}> ({model_type.__name__}) in message"
            )
        return removed


Messages = t.Union[Sequence[MessageDict], Sequence[Message]]  # noqa: UP007 - a runtime alias
"""Several messages, as dicts or `Message` objects."""
