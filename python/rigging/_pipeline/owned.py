"""Each chat owns its reply: a message object something else still holds is copied.

2.3 deep-copied every message a chat took in. rigging keeps the reply object the generator
made (copying each costs more than the rest of a chat's bookkeeping), which is sound while
nothing else holds that object. A generator that answers with a `Message` it keeps (a test
double returning ``self.reply``, one object for every item) would leave several chats, and
the generator itself, sharing one object: parsing one chat's reply or changing it in place
would change the others' and every later answer. So a reply whose message has more
references than a fresh one (CPython's reference count, measured once at import through
the same code path) is deep-copied before a chat takes it.
"""

from __future__ import annotations

import sys

from rigging.generator import GeneratedMessage, GeneratedText
from rigging.message import Message

__all__ = ["own_messages"]


def _references(item: GeneratedMessage) -> int:
    return sys.getrefcount(item.message)


_FRESH = _references(GeneratedMessage(message=Message("assistant", "")))
"""References of a reply's message that nothing else holds (the result's, the call's)."""


def own_messages(generated: list[GeneratedMessage | GeneratedText | Exception]) -> None:
    """Replace, in place, each reply whose message something else holds by a deep copy.

    Args:
        generated: One generator result (or error) per item, as a round got them.
    """
    for index, item in enumerate(generated):
        if isinstance(item, GeneratedMessage) and _references(item) > _FRESH:
            copy = item.message.model_copy(deep=True)
            generated[index] = item.model_copy(update={"message": copy})
