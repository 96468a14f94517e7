"""Messages: roles, text and image content, parsed parts, and the `Message` class.

Public facade over ``rigging._message``. Choices made against 2.3 are listed in
``docs/design/decisions-messages.md``.
"""

from __future__ import annotations

from rigging._exports import public_dir as _public_dir
from rigging._message.content import (
    Content,
    ContentImageUrl,
    ContentText,
    ContentTypes,
    MessageDict,
    ParsedMessagePart,
    PartDroppedWarning,
    Role,
    UnresolvedModel,
    UnresolvedPartWarning,
)
from rigging._message.message import Message, Messages

__all__ = [
    "Content",
    "ContentImageUrl",
    "ContentText",
    "ContentTypes",
    "Message",
    "MessageDict",
    "Messages",
    "ParsedMessagePart",
    "PartDroppedWarning",
    "Role",
    "UnresolvedModel",
    "UnresolvedPartWarning",
]


__dir__ = _public_dir(globals())
