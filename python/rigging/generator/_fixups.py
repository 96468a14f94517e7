"""Fixups: conversation rewrites a generator turns on when a provider refuses a request.

A `Fixup` recognises a provider's error (`Fixup.can_fix`) and rewrites the messages so the
provider accepts them (`Fixup.fix`). A generator keeps its `Fixups`: the ``available`` ones,
and the ``active`` ones, applied in order to every later request of that generator. The
first refusal an available fixup can fix activates it and the request is sent again,
rewritten (`send_fixed`); a fixup stays active for the generator's lifetime. The public
names are 2.3's, importable from `rigging.generator.base`.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from rigging.message import Message

__all__ = ["Fixup", "Fixups", "OpenAIToolsWithImageURLsFixup", "send_fixed"]

T = TypeVar("T")


class Fixup(ABC):
    """A rewrite of the conversation for a provider that refused it (subclass it)."""

    @abstractmethod
    def can_fix(self, exception: Exception) -> bool:
        """Whether `exception` (a failed request's error) is the refusal this fixup handles.

        Args:
            exception: The error the provider call raised.

        Returns:
            True to activate this fixup and send the request again, rewritten.
        """

    @abstractmethod
    def fix(self, messages: Sequence[Message]) -> Sequence[Message]:
        """The messages rewritten so the provider accepts them (the input is left as it is).

        Args:
            messages: The conversation about to be sent.

        Returns:
            The conversation to send instead.
        """


@dataclass
class Fixups:
    """A generator's fixups: those it may turn on, and those turned on (applied in order)."""

    available: list[Fixup] = field(default_factory=list)
    """Fixups not active yet; the first one that can fix an error becomes active."""
    active: list[Fixup] = field(default_factory=list)
    """Fixups applied to every request, in activation order."""

    def check(self, error: Exception) -> bool:
        """Activate the first available fixup that can fix `error`.

        Args:
            error: A failed request's error.

        Returns:
            Whether one was activated.
        """
        for fixup in self.available:
            if fixup.can_fix(error):
                self.available.remove(fixup)
                self.active.append(fixup)
                return True
        return False

    def apply(self, messages: Sequence[Message]) -> Sequence[Message]:
        """`messages` through every active fixup, in order.

        Args:
            messages: The conversation.

        Returns:
            The rewritten conversation (`messages` itself when no fixup is active).
        """
        return apply_all(self.active, messages)


def apply_all(fixups: Sequence[Fixup], messages: Sequence[Message]) -> Sequence[Message]:
    """`messages` through each of `fixups`, in order."""
    for fixup in fixups:
        messages = fixup.fix(messages)
    return messages


async def send_fixed(
    fixups: Fixups,
    messages: Sequence[Message],
    send: Callable[[list[dict[str, Any]]], Awaitable[T]],
) -> T:
    """Send `messages` (as OpenAI dicts) with the active fixups applied.

    When `send` raises an error that an available fixup can fix, that fixup is activated and
    the messages are sent again; so they are when a fixup that can fix it was activated
    meanwhile by a concurrent request of the same generator. Each round applies more fixups
    than the one before, so a refusal no fixup cures is raised after at most one more round
    per fixup.

    Args:
        fixups: The generator's fixups.
        messages: The conversation.
        send: Sends the payload; its error, unless a fixup takes it, is raised as it is.

    Returns:
        What `send` returned.
    """
    while True:
        applied = list(fixups.active)
        payload = [message.to_openai_spec() for message in apply_all(applied, messages)]
        try:
            return await send(payload)
        except Exception as exc:
            newer = [fixup for fixup in fixups.active if fixup not in applied]
            if not (fixups.check(exc) or any(fixup.can_fix(exc) for fixup in newer)):
                raise


_IMAGES_ONLY_FOR_USER = re.compile(
    r"image urls are only allowed for messages with role ['\"]?user", re.IGNORECASE
)

_SEE_NEXT = "See next message"


class OpenAIToolsWithImageURLsFixup(Fixup):
    """OpenAI refuses images in ``tool`` messages: move them into a ``user`` message.

    Triggers on OpenAI's "Image URLs are only allowed for messages with role 'user'" error.
    Each ``tool`` message whose content is a list of parts keeps its ``tool_call_id`` with
    the text "See next message", and its parts are sent as a ``user`` message placed after
    the run of consecutive ``tool`` messages it belongs to (tool results must directly
    follow the assistant message that called them).
    """

    def can_fix(self, exception: Exception) -> bool:
        """Whether `exception` is OpenAI's refusal of an image outside a user message.

        Args:
            exception: The error the provider call raised.

        Returns:
            Whether this fixup handles it.
        """
        return _IMAGES_ONLY_FOR_USER.search(str(exception)) is not None

    def fix(self, messages: Sequence[Message]) -> Sequence[Message]:
        """Move the parts of list-content tool messages into user messages after the run.

        Args:
            messages: The conversation.

        Returns:
            The rewritten conversation (new messages where rewritten; the rest as given).
        """
        fixed: list[Message] = []
        moved: list[Message] = []
        for message in messages:
            if message.role != "tool":
                fixed.extend(moved)
                moved = []
                fixed.append(message)
            elif isinstance(message.all_content, list):
                fixed.append(Message("tool", _SEE_NEXT, tool_call_id=message.tool_call_id))
                moved.append(Message("user", list(message.all_content)))
            else:
                fixed.append(message)
        fixed.extend(moved)
        return fixed
