"""Chats and chat pipelines: `Chat`, `ChatList`, `ChatPipeline` and the callback protocols."""

from __future__ import annotations

from rigging._exports import public_dir as _public_dir
from rigging._pipeline.callbacks import (
    MapChatCallback,
    ThenChatCallback,
    ToolHandler,
    UntilMessageCallback,
    WatchChatCallback,
)
from rigging._pipeline.chat import Chat, ChatList, MessageInput
from rigging._pipeline.chat_pipeline import ChatPipeline, MergeStrategy
from rigging._pipeline.state import DEFAULT_MAX_ROUNDS, FailMode, RunState

__all__ = [
    "DEFAULT_MAX_ROUNDS",
    "Chat",
    "ChatList",
    "ChatPipeline",
    "FailMode",
    "MapChatCallback",
    "MergeStrategy",
    "MessageInput",
    "RunState",
    "ThenChatCallback",
    "ToolHandler",
    "UntilMessageCallback",
    "WatchChatCallback",
]


__dir__ = _public_dir(globals())
