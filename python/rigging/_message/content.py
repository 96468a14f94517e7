"""Message content parts, the message dict shape and parsed parts (a model plus its slice).

Also how content given to `Message(...)` is stored (`fit_content`, `dedent`).
"""

from __future__ import annotations

import base64
import json
import mimetypes
import typing as t
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    SerializeAsAny,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_xml import attr
from typing_extensions import TypedDict

from rigging import _native
from rigging._model.base import Model, lookup_model, model_path
from rigging.error import _reduce
from rigging.util import truncate_string

__all__ = [
    "Content",
    "ContentImageUrl",
    "ContentText",
    "ContentTypes",
    "MessageDict",
    "ParsedMessagePart",
    "PartDroppedWarning",
    "Role",
    "UnresolvedModel",
    "UnresolvedPartWarning",
]

Role = t.Literal["system", "user", "assistant", "tool"]
"""Who wrote a message."""


class PartDroppedWarning(UserWarning):
    """A serialized parsed part could not be rebuilt as its model class on load.

    A part that names no model class is dropped with this warning; one whose class is not
    defined in this process is kept as an `UnresolvedModel` (`UnresolvedPartWarning`).
    """

    __reduce__ = _reduce


class UnresolvedPartWarning(PartDroppedWarning):
    """A loaded parsed part names a model class this process never defined.

    The part holds an `UnresolvedModel` instead (loading never imports what the data names).
    """


class UnresolvedModel(Model):
    """Stands in for a loaded parsed part whose model class this process never defined.

    Loading a chat never imports a module or looks up a name the data gives: the class is
    taken only from the `Model` subclasses defined in this process. When it is not one of
    them, the part keeps its slice and holds this model instead, with the path the data
    named and the fields as JSON text, and an `UnresolvedPartWarning` is issued. Dumping
    writes the original ``model_class`` and fields back, so loading the dump again in a
    process that defines the class rebuilds the real model.
    """

    model_class: str = attr()
    """The ``module:qualname`` the data named."""
    content: str
    """The model's fields, as a JSON object text."""

    @field_validator("content")
    @classmethod
    def _json_object(cls, value: str) -> str:
        if not isinstance(json.loads(value), dict):
            raise ValueError("content must be the JSON text of an object (the model's fields)")
        return value

    @property
    def fields(self) -> dict[str, t.Any]:
        """The model's fields as the data gave them."""
        return t.cast("dict[str, t.Any]", json.loads(self.content))


class ContentText(BaseModel):
    """A text part of a message."""

    model_config = ConfigDict(defer_build=True)

    type: t.Literal["text"] = "text"
    """Always ``"text"``."""
    text: str
    """The text."""

    def __str__(self) -> str:
        return self.text


class ContentImageUrl(BaseModel):
    """An image part of a message, given by URL (``https:`` or ``data:``)."""

    model_config = ConfigDict(defer_build=True)

    class ImageUrl(BaseModel):
        """The image reference."""

        model_config = ConfigDict(defer_build=True)

        url: str
        """An ``https:`` URL or a ``data:<mime>;base64,…`` URL."""
        detail: t.Literal["auto", "low", "high"] = "auto"
        """How closely the model should look at the image."""

    type: t.Literal["image_url"] = "image_url"
    """Always ``"image_url"``."""
    image_url: ImageUrl
    """The image reference."""

    def __str__(self) -> str:
        return f"<ContentImageUrl '{truncate_string(self.image_url.url, 50)}'>"

    @classmethod
    def from_file(cls, file: Path | str, *, mimetype: str | None = None) -> ContentImageUrl:
        """Embed an image file as a base64 ``data:`` URL.

        Args:
            file: The image file.
            mimetype: Its MIME type; guessed from the extension when omitted.

        Returns:
            The image part.

        Raises:
            FileNotFoundError: The file does not exist.
            ValueError: The MIME type is not given and cannot be guessed.
        """
        path = Path(file)
        if not path.is_file():
            raise FileNotFoundError(f"image file not found: {path}")
        if mimetype is None:
            mimetype = mimetypes.guess_type(path.name)[0]
            if mimetype is None:
                raise ValueError(f"cannot tell the MIME type of {path.name!r}; pass mimetype=")
        encoded = base64.b64encode(path.read_bytes()).decode("ascii")
        return cls(image_url=cls.ImageUrl(url=f"data:{mimetype};base64,{encoded}"))

    @classmethod
    def from_url(
        cls, url: str, *, detail: t.Literal["auto", "low", "high"] = "auto"
    ) -> ContentImageUrl:
        """Refer to an image by URL.

        Args:
            url: The URL.
            detail: How closely the model should look at the image.

        Returns:
            The image part.
        """
        return cls(image_url=cls.ImageUrl(url=url, detail=detail))


Content = t.Annotated[t.Union[ContentText, ContentImageUrl], Field(discriminator="type")]  # noqa: UP007
"""A content part: text or image."""

ContentTypes = (ContentText, ContentImageUrl)
"""The content part classes, for ``isinstance`` checks."""


class MessageDict(TypedDict):
    """A message as a plain dict, as accepted by `Message.fit`."""

    role: Role
    """Who wrote it."""
    content: str | list[t.Any]
    """Text, or a list of content parts."""


def dedent(text: str) -> str:
    """`textwrap.dedent`, natively; skipped when no line starts with whitespace (common)."""
    if text.isascii():  # O(1); the native check then reads the str's own bytes
        if not _native.has_indented_line(text):
            return text
    elif text[:1] not in (" ", "\t") and "\n " not in text and "\n\t" not in text:
        return text  # checked on the str itself, without reading it as UTF-8
    return _native.dedent(text)


def fit_content(content: str | Sequence[str | Content] | None) -> str | list[Content]:
    """The content given to `Message(...)` as stored: dedented text or a list of parts.

    Raises:
        TypeError: Neither a str, a part (dict) nor a sequence of str and parts.
    """
    if content is None:
        return ""
    if isinstance(content, str):
        return dedent(content)
    if isinstance(content, Mapping):  # one part written as a dict, not a list of its keys
        content = [t.cast("Content", content)]
    elif not isinstance(content, Sequence) or isinstance(content, bytes | bytearray):
        raise TypeError(
            "message content must be a str or a list of content parts, "
            f"got {type(content).__name__}"
        )
    return [ContentText(text=dedent(item)) if isinstance(item, str) else item for item in content]


def _to_slice(value: t.Any) -> slice:
    if isinstance(value, slice):
        return value
    if isinstance(value, (list, tuple)) and len(value) == 2:
        start, stop = value
        if isinstance(start, int) and isinstance(stop, int):
            return slice(start, stop)
    raise ValueError(f"expected a slice or a [start, stop] pair, got {value!r}")


SliceField = t.Annotated[
    slice,
    PlainValidator(_to_slice),
    PlainSerializer(lambda value: [value.start, value.stop]),
    WithJsonSchema({"type": "array", "items": {"type": "integer"}, "minItems": 2, "maxItems": 2}),
]


def drop_unresolved(parts: list[t.Any]) -> list[t.Any]:
    """Resolve serialized parts; drop (with a `PartDroppedWarning`) those naming no class.

    Args:
        parts: Parts as loaded from a dump, or `ParsedMessagePart` objects.

    Returns:
        The parts that can be loaded (unknown classes as `UnresolvedModel`).
    """
    kept = []
    for part in parts:
        resolved = resolve_part(part)
        if resolved is None:
            warnings.warn(
                f"dropping a parsed part: it names no model class ({part.get('model_class')!r})",
                PartDroppedWarning,
                stacklevel=4,
            )
        else:
            kept.append(resolved)
    return kept


def resolve_part(data: t.Any) -> t.Any:
    """Rebuild a serialized part's model as its own class, if this process defined it.

    The class comes only from `rigging._model.base.lookup_model`: nothing the data names is
    imported.

    Args:
        data: A part as loaded from a dump, or anything else (returned unchanged).

    Returns:
        The part data with its model rebuilt; with an `UnresolvedModel` (and an
        `UnresolvedPartWarning`) when the class is not defined here; None when the part names
        no model class.
    """
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict):
        return data
    path = data.get("model_class")
    if not isinstance(path, str) or not path:
        return None
    cls = lookup_model(path)
    if cls is None:
        warnings.warn(
            f"parsed part loaded unresolved: its model class {path!r} is not defined in this "
            "process (data never makes rigging import a class); kept as UnresolvedModel",
            UnresolvedPartWarning,
            stacklevel=5,
        )
        fields = json.dumps(data["model"], default=str)
        return {**data, "model": UnresolvedModel(model_class=path, content=fields)}
    return {**data, "model": cls.model_validate(data["model"])}


class ParsedMessagePart(BaseModel):
    """A model parsed from a message, with the slice of the message content it came from.

    Dumps carry ``model_class`` (``module:qualname``) so loading rebuilds the concrete model.
    """

    model_config = ConfigDict(defer_build=True)

    model: SerializeAsAny[Model]
    """The parsed model."""
    slice_: SliceField
    """Where its element is in `Message.content` (code points)."""

    @model_validator(mode="before")
    @classmethod
    def _rebuild_model(cls, data: t.Any) -> t.Any:
        resolved = resolve_part(data)
        if resolved is None:
            raise ValueError(f"the part names no model class ({data.get('model_class')!r})")
        return resolved

    @model_serializer(mode="wrap")
    def _with_class(self, handler: SerializerFunctionWrapHandler) -> dict[str, t.Any]:
        dumped: dict[str, t.Any] = handler(self)
        model = self.model
        if isinstance(model, UnresolvedModel):  # write back what was loaded, unchanged
            dumped["model"], dumped["model_class"] = model.fields, model.model_class
        else:
            dumped["model_class"] = model_path(type(model))
        return dumped
