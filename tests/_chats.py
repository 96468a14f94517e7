"""Chats produced by real pipeline runs, shared by the data, watcher and tracing tests.

Every chat comes out of `ChatPipeline.run_many`/`run_batch` with offline generators: parsed
parts, pipeline metadata, usage, a failed chat (rounds exhausted), list content with an image,
tool calls and a tool reply, and non-ASCII text.
"""

from __future__ import annotations

import rigging as rg
from rigging.chat import ChatList
from rigging.generator.testing import ScriptedGenerator
from rigging.message import ContentImageUrl, ContentText
from rigging.model import Answer
from rigging.tool.api import FunctionCall, ToolCall

__all__ = ["ANSWERS", "make_chats", "sort_by_id"]

ANSWERS = ["<answer>42</answer>", "maybe ünïcødé 🙂", "<answer>7</answer>"]


def _inputs() -> list[rg.Message]:
    call = ToolCall(id="call_1", function=FunctionCall(name="add", arguments='{"a": 1, "b": 2}'))
    return [
        rg.Message("system", "You answer in <answer> tags."),
        rg.Message(
            "user",
            [
                ContentText(text="What is in this picture?"),
                ContentImageUrl(image_url=ContentImageUrl.ImageUrl(url="https://x.test/a.png")),
            ],
        ),
        rg.Message("assistant", "", tool_calls=[call]),
        rg.Message("tool", "3", tool_call_id="call_1"),
        rg.Message("user", "So, the answer?"),
    ]


async def make_chats(count: int = 4) -> ChatList:
    """`count` chats from one `run_many`; items 2, 5, ... fail (no rounds to recover)."""
    generator = ScriptedGenerator(responses=ANSWERS, cycle=True)
    pipeline = (
        generator.chat(_inputs())
        .meta(experiment="obs", tags=["a", "b"], nested={"k": 1.5})
        .until_parsed_as(Answer, max_rounds=0)
    )
    chats = await pipeline.run_many(count, on_failed="include")
    assert any(chat.failed for chat in chats)
    assert any(chat.generated and chat.generated[-1].parts for chat in chats)
    return chats


def sort_by_id(chats: list[rg.Chat]) -> list[rg.Chat]:
    """Chats ordered by uuid (watchers see them in finishing order)."""
    return sorted(chats, key=lambda chat: str(chat.uuid))
