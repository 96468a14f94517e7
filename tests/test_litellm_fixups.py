"""LiteLLM applies its fixups: OpenAI's refusal of images in tool messages, and 2.3-style ones.

The loopback OpenAI stub refuses, with OpenAI's error, a request whose ``tool`` message
holds parts (recent litellm versions move a tool message's images out on their own, so the
stub refuses the parts litellm leaves; older ones sent the images and OpenAI refused them);
the generator activates `OpenAIToolsWithImageURLsFixup`, sends the conversation again
rewritten, and keeps the fixup for later requests.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from _servers._wire import RecordedRequest
from _servers.litellm_loop import litellm_generator
from _servers.litellm_loop import server as server
from _servers.litellm_loop import stub as stub
from _servers.openai_stub import ErrorReply, OpenAIStub

from rigging.error import GenerationError
from rigging.generator.base import Fixup, GeneratedMessage
from rigging.generator.litellm_ import LiteLLMGenerator, OpenAIToolsWithImageURLsFixup
from rigging.message import ContentImageUrl, ContentText, Message
from rigging.tool.api import FunctionCall, ToolCall

# litellm's warnings, not ours (see test_stream_litellm.py)
pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning"),
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

REFUSAL = (
    "Invalid 'messages[2]'. Image URLs are only allowed for messages with role 'user', but "
    "this message with role 'tool' contains an image URL."
)
IMAGE = ContentImageUrl.from_url("https://example.com/cat.png")


def _like_openai(request: RecordedRequest) -> ErrorReply | str:
    """Refuse tool messages holding parts; otherwise answer with the roles received."""
    messages = request.json["messages"]
    if any(m["role"] == "tool" and isinstance(m.get("content"), list) for m in messages):
        return ErrorReply(400, message=REFUSAL)
    return "roles: " + ",".join(m["role"] for m in messages)


def _conversation() -> list[Message]:
    call = ToolCall(id="call-1", function=FunctionCall(name="look", arguments="{}"))
    return [
        Message("user", "what is in the picture?"),
        Message("assistant", "", tool_calls=[call]),
        Message("tool", [ContentText(text="the picture"), IMAGE], tool_call_id="call-1"),
    ]


def _gen(server: OpenAIStub) -> LiteLLMGenerator:
    return litellm_generator(server, "sk-fixups")


async def test_the_image_refusal_activates_the_fixup_and_the_request_is_sent_again(
    server: OpenAIStub,
) -> None:
    server.on_request(_like_openai)
    generator = _gen(server)
    conversation = _conversation()
    [result] = await generator.generate_messages([conversation], [generator.params])
    assert result.message.content == "roles: user,assistant,tool,user"
    first, second = server.requests
    assert isinstance(first.json["messages"][2]["content"], list)
    tool, user = second.json["messages"][2:]
    assert tool == {"role": "tool", "content": "See next message", "tool_call_id": "call-1"}
    assert user["role"] == "user"
    assert user["content"] == [
        {"type": "text", "text": "the picture"},
        {
            "type": "image_url",
            "image_url": {"url": "https://example.com/cat.png", "detail": "auto"},
        },
    ]
    assert conversation[2].all_content == [ContentText(text="the picture"), IMAGE]
    assert [type(f) for f in generator._fixups.active] == [OpenAIToolsWithImageURLsFixup]

    # once active, the fixup is applied up front: one request, already rewritten
    [again] = await generator.generate_messages([conversation], [generator.params])
    assert again.message.content == "roles: user,assistant,tool,user"
    assert len(server.requests) == 3


async def test_concurrent_requests_refused_at_once_are_all_fixed(server: OpenAIStub) -> None:
    server.on_request(_like_openai)
    generator = _gen(server)
    results = await generator.generate_messages_settled(
        [_conversation() for _ in range(4)], [generator.params] * 4
    )
    assert all(isinstance(r, GeneratedMessage) for r in results), results
    texts = [r.message.content for r in results if isinstance(r, GeneratedMessage)]
    assert texts == ["roles: user,assistant,tool,user"] * 4
    assert len(generator._fixups.active) == 1
    assert len(server.requests) == 8  # each refused once, then sent rewritten


async def test_streams_apply_the_fixup_too(server: OpenAIStub) -> None:
    server.on_request(_like_openai)
    generator = _gen(server)
    text = ""
    async for chunk in generator.stream_messages(_conversation()):
        text += getattr(chunk, "text", "")
    assert text == "roles: user,assistant,tool,user"
    assert len(generator._fixups.active) == 1


async def test_other_refusals_are_raised_and_activate_nothing(server: OpenAIStub) -> None:
    server.script(ErrorReply(400, message="Invalid 'messages[2]': something else"))
    generator = _gen(server)
    with pytest.raises(GenerationError, match="something else"):
        await generator.generate_messages([_conversation()], [generator.params])
    assert len(server.requests) == 1
    assert generator._fixups.active == []


async def test_a_fixup_that_does_not_help_is_tried_once(server: OpenAIStub) -> None:
    server.on_request(lambda request: ErrorReply(400, message=REFUSAL))
    generator = _gen(server)
    with pytest.raises(GenerationError, match="Image URLs are only allowed"):
        await generator.generate_messages([_conversation()], [generator.params])
    assert len(server.requests) == 2  # the first refusal, then once rewritten


async def test_a_2_3_style_fixup_added_to_the_generator_is_applied(server: OpenAIStub) -> None:
    class NoSystem(Fixup):
        def can_fix(self, exception: Exception) -> bool:
            return "system messages are not supported" in str(exception)

        def fix(self, messages: Sequence[Message]) -> Sequence[Message]:
            return [Message("user", m.content) if m.role == "system" else m for m in messages]

    def refuse_system(request: RecordedRequest) -> ErrorReply | str:
        roles = [m["role"] for m in request.json["messages"]]
        if "system" in roles:
            return ErrorReply(400, message="system messages are not supported by this model")
        return ",".join(roles)

    server.on_request(refuse_system)
    generator = _gen(server)
    generator._fixups.available.append(NoSystem())
    messages = [Message("system", "be brief"), Message("user", "hi")]
    [result] = await generator.generate_messages([messages], [generator.params])
    assert result.message.content == "user,user"
    assert [type(f).__name__ for f in generator._fixups.active] == ["NoSystem"]
    assert [m.role for m in messages] == ["system", "user"]  # the conversation is unchanged
