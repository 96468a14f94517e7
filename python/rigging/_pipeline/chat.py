"""`Chat` (the result of a chat pipeline run) and `ChatList`."""

from __future__ import annotations

import copy
import typing as t
from collections.abc import Iterable, Sequence
from datetime import datetime
from uuid import UUID

from pydantic import ConfigDict, Field

from rigging._pipeline.result import RunResult
from rigging._uuid import uuid4
from rigging.generator import GenerateParams, Generator, StopReason, Usage
from rigging.message import Message, MessageDict
from rigging.model import Model
from rigging.tool.base import as_tools
from rigging.tool.native import system_tool_prompt

if t.TYPE_CHECKING:
    import pandas as pd
    from elasticsearch import AsyncElasticsearch

    from rigging._pipeline.chat_pipeline import ChatPipeline
    from rigging.data import ElasticOpType

__all__ = ["Chat", "ChatList", "MessageInput", "as_messages"]

MessageInput = t.Union[  # noqa: UP007 - runtime alias
    Message, MessageDict, str, Sequence[t.Union[Message, MessageDict, str]]  # noqa: UP007
]
"""One message or a sequence of messages, each a `Message`, a `MessageDict` or a user str."""


def as_messages(messages: MessageInput | None, what: str = "messages") -> list[Message]:
    """Turn messages in any accepted form into a new list of `Message` objects.

    Each `Message` object is deep-copied (same uuid), as 2.3 did, so changing a message
    after handing it over never changes a staged conversation or a chat; dicts and strings
    are converted (a str is a user message). Results of a run share their input messages
    without this step.

    Args:
        messages: One message or a sequence of them.
        what: What they are, for errors (``"generated"``).

    Returns:
        A new list.

    Raises:
        TypeError: `messages` or one of them is none of the accepted forms (a number in a
            chat file, say); the message names which.
    """
    if messages is None:
        return []
    if isinstance(messages, (str, dict, Message)):
        messages = [messages]
    elif not isinstance(messages, Iterable):
        raise TypeError(
            f"{what} must be a message (a Message, a dict or a str) or a list of them, "
            f"got {type(messages).__name__}"
        )
    out: list[Message] = []
    for index, item in enumerate(messages):
        if not isinstance(item, (str, dict, Message)):
            raise TypeError(
                f"{what}[{index}] must be a Message, a dict or a str, got {type(item).__name__}"
            )
        out.append(Message.fit(item))
    return out


class _DataExport:
    """`to_df` / `to_elastic` for a chat or a list of chats (the `rigging[data]` extra)."""

    def to_df(self) -> pd.DataFrame:
        """The chat(s) as a DataFrame, one row per message (see `rigging.data.chats_to_df`).

        Returns:
            The DataFrame.
        """
        from rigging.data import chats_to_df  # pandas only on use

        return chats_to_df(t.cast("Chat | Sequence[Chat]", self))

    async def to_elastic(
        self,
        index: str,
        client: AsyncElasticsearch,
        *,
        op_type: ElasticOpType = "index",
        create_index: bool = True,
        **kwargs: t.Any,
    ) -> int:
        """Write the chat(s) to Elasticsearch (see `rigging.data.chats_to_elastic`).

        Args:
            index: Target index.
            client: An ``elasticsearch.AsyncElasticsearch`` client.
            op_type: Bulk operation.
            create_index: Create the index (or put the mapping) first.
            **kwargs: Passed to the bulk helper.

        Returns:
            How many documents were written.
        """
        from rigging.data import chats_to_elastic  # elasticsearch only on use

        chats = t.cast("Chat | Sequence[Chat]", self)
        return await chats_to_elastic(
            chats, index, client, op_type=op_type, create_index=create_index, **kwargs
        )


class Chat(RunResult, _DataExport):
    """A conversation and what a generator answered: the result of a chat pipeline run.

    ``messages`` are what was sent, ``generated`` what came back. Messages given to the
    constructor are copied; the input messages of one run's chats are shared between them,
    and methods that change a message replace it in this chat only.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)
    _EQ_FIELDS: t.ClassVar[tuple[str, ...]] = (
        "uuid",
        "timestamp",
        "messages",
        "generated",
        "metadata",
        "stop_reason",
        "usage",
        "extra",
        "failed",
    )

    uuid: UUID = Field(default_factory=uuid4)
    """Identity of the chat (new for clones)."""
    timestamp: datetime = Field(default_factory=datetime.now, repr=False)
    """When the chat was created (local time)."""
    messages: list[Message]
    """The messages sent to the generator."""
    generated: list[Message] = Field(default_factory=list)
    """The messages the run produced (with recovery dialog when kept)."""
    metadata: dict[str, t.Any] = Field(default_factory=dict)
    """Free-form data (pipeline `meta` plus your own)."""
    stop_reason: StopReason = "unknown"
    """Why the last generation stopped."""
    usage: Usage | None = None
    """Token usage summed over every generation call made for the chat (recovery and tool
    rounds included), with the per-call breakdown in ``usage.calls`` and the USD cost where
    LiteLLM lists the model's price; None when the generator reported none."""
    extra: dict[str, t.Any] = Field(default_factory=dict)
    """Generator-specific data of the last generation."""
    generator: Generator | None = Field(default=None, exclude=True, repr=False)
    """The generator that produced the chat (dumped as `generator_id`)."""
    params: GenerateParams | None = Field(default=None, exclude=True, repr=False)
    """Params the chat was generated with."""
    error: Exception | None = Field(default=None, repr=False)
    """Why the chat failed (JSON dumps hold its text; loading gives a `RestoredError`)."""
    failed: bool = False
    """Whether the run failed for this chat."""

    def __init__(
        self,
        messages: MessageInput | None = None,
        generated: MessageInput | None = None,
        generator: Generator | None = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init__(
            messages=as_messages(messages),
            generated=as_messages(generated, "generated"),
            generator=generator,
            **kwargs,
        )

    def __len__(self) -> int:
        return len(self.messages) + len(self.generated)

    # --- views ----------------------------------------------------------------------------------

    @property
    def all(self) -> list[Message]:
        """`messages` followed by `generated` (a new list of the same message objects)."""
        return [*self.messages, *self.generated]

    @property
    def prev(self) -> list[Message]:
        """The messages sent to the generator (`messages`)."""
        return self.messages

    @property
    def next(self) -> list[Message]:
        """The messages the run produced (`generated`)."""
        return self.generated

    @property
    def last(self) -> Message:
        """The last message of the conversation.

        Raises:
            IndexError: The chat holds no message at all.
        """
        if self.generated:
            return self.generated[-1]
        if self.messages:
            return self.messages[-1]
        raise IndexError("the chat holds no message")

    @property
    def conversation(self) -> str:
        """The transcript: every message as ``[role]: content``, separated by blank lines."""
        return "\n\n".join(str(m) for m in self.all)

    @property
    def message_dicts(self) -> list[MessageDict]:
        """Every message as a ``{"role", "content"}`` dict (content parts dumped as dicts)."""
        return [
            t.cast("MessageDict", {"role": m.role, "content": _dump_content(m)}) for m in self.all
        ]

    # --- changing the chat ----------------------------------------------------------------------

    def meta(self, **kwargs: t.Any) -> Chat:
        """Add or replace metadata. Mutates the chat.

        Args:
            **kwargs: Metadata entries.

        Returns:
            The chat.
        """
        self.metadata.update(kwargs)
        return self

    def apply(self, **kwargs: str) -> Chat:
        """Fill ``$name`` placeholders in the last message. Mutates the chat.

        The last generated message is templated, or the last input message when nothing was
        generated. The message is replaced by a filled copy, so other chats sharing it are
        unaffected.

        Args:
            **kwargs: Values of the placeholders.

        Returns:
            The chat.
        """
        target = self.generated if self.generated else self.messages
        if target:
            target[-1] = target[-1].apply(**kwargs)
        return self

    def apply_to_all(self, **kwargs: str) -> Chat:
        """Fill ``$name`` placeholders in every message. Mutates the chat.

        Args:
            **kwargs: Values of the placeholders.

        Returns:
            The chat.
        """
        self.messages = [m.apply(**kwargs) for m in self.messages]
        self.generated = [m.apply(**kwargs) for m in self.generated]
        return self

    def strip(self, model_type: type[Model], fail_on_missing: bool = False) -> Chat:
        """Return a clone with every parsed `model_type` part cut out of every message.

        Args:
            model_type: The model to remove.
            fail_on_missing: Require every message to hold the model.

        Returns:
            The clone.
        """
        clone = self.clone()
        for message in clone.all:
            message.strip(model_type, fail_on_missing=fail_on_missing)
        return clone

    def inject_system_content(self, content: str) -> Message:
        """Add `content` to the system prompt: a new first message, or appended to it.

        The system message is replaced by an updated copy (other chats sharing it keep theirs).

        Args:
            content: Text to add.

        Returns:
            The system message.
        """
        if not self.messages or self.messages[0].role != "system":
            system = Message("system", content)
            self.messages.insert(0, system)
            return system
        system = self.messages[0].clone()
        system.content = f"{system.content}\n\n{content}"
        self.messages[0] = system
        return system

    def inject_tool_prompt(self, tools: Sequence[t.Any]) -> Message:
        """Describe `tools` in the system prompt, the way native tools are offered.

        Args:
            tools: Functions, methods, `Tool` objects or classes, `ApiTool`s or prompts.

        Returns:
            The system message.

        Raises:
            TypeError: A tool cannot be described to a model.
        """
        flat = [tool for item in tools for tool in as_tools(item)]
        return self.inject_system_content(system_tool_prompt(flat))

    # --- copies and continuations ---------------------------------------------------------------

    def clone(self, *, only_messages: bool = False) -> Chat:
        """A copy with a new uuid and timestamp and deep-copied messages.

        Args:
            only_messages: Copy only messages and generator; reset metadata, params, usage,
                failure and the other run details.

        Returns:
            The copy.
        """
        if only_messages:  # the constructor copies each message
            return Chat(self.messages, self.generated, generator=self.generator)
        messages = [m.model_copy(deep=True) for m in self.messages]
        generated = [m.model_copy(deep=True) for m in self.generated]
        return self.model_copy(
            update={
                "uuid": uuid4(),
                "timestamp": datetime.now(),
                "messages": messages,
                "generated": generated,
                "metadata": copy.deepcopy(self.metadata),
                "extra": dict(self.extra),
            }
        )

    def restart(
        self, *, generator: Generator | None = None, include_all: bool = False
    ) -> ChatPipeline:
        """Start a new pipeline from this chat's inputs (or all messages).

        Carries over the messages (copied), the generator and `params`; nothing of the
        pipeline that produced the chat.

        Args:
            generator: Generator to use instead of the chat's own.
            include_all: Start from `all` messages instead of `messages`.

        Returns:
            The new pipeline.

        Raises:
            ValueError: The chat has no generator and none was given.
        """
        from rigging._pipeline.chat_pipeline import ChatPipeline  # back-reference

        generator = generator or self.generator
        if generator is None:
            raise ValueError("Cannot restart a chat without an associated generator")
        source = self.all if include_all else self.messages
        messages = [m.model_copy(deep=True) for m in source]
        return ChatPipeline(generator, messages, params=self.params)

    def fork(self, messages: MessageInput, *, include_all: bool = False) -> ChatPipeline:
        """`restart`, then `add` messages: go back to the inputs and ask something else.

        Args:
            messages: Messages to add.
            include_all: Keep the generated messages too (see `continue_`).

        Returns:
            The new pipeline.
        """
        return self.restart(include_all=include_all).add(messages)

    def continue_(self, messages: MessageInput) -> ChatPipeline:
        """Continue the conversation: all messages so far plus `messages`.

        Args:
            messages: Messages to add.

        Returns:
            The new pipeline.
        """
        return self.fork(messages, include_all=True)


def _dump_content(message: Message) -> t.Any:
    content = message.all_content
    if isinstance(content, str):
        return content
    return [part.model_dump() for part in content]


class ChatList(list[Chat], _DataExport):
    """The chats of a `run_many`, `run_batch` or `run_over`, in input order."""

    def to_json(self) -> list[dict[str, t.Any]]:
        """Every chat as a python-mode dump (a list of dicts, not strings).

        Returns:
            The dumps.
        """
        return [chat.model_dump() for chat in self]
