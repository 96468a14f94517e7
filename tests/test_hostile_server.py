"""Remote generators against a server that misbehaves on purpose (the loopback stub).

Each misbehaviour fails its own item with an error naming it, in bounded time, while the
other items of the batch keep their results.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from _servers.litellm_loop import litellm_generator
from _servers.litellm_loop import server as server
from _servers.litellm_loop import stub as stub
from _servers.openai_stub import Drip, OpenAIStub, RawReply, RecordedRequest, Reply, prompt_of

from rigging.error import GenerationError
from rigging.generator import GenerateParams
from rigging.generator.http import HTTPGenerator
from rigging.generator.litellm_ import LiteLLMGenerator
from rigging.message import Message

SECRET = "sk-rigging-HOSTILE-SECRET-7731"

pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    # litellm's chunk model warns on a content that is not text; as an error (our setting) it
    # made litellm drop the content, which no user sees: it gets the content as sent
    pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning"),
    pytest.mark.asyncio(loop_scope="module"),
]

HTTP_SPEC = """
request:
  url: "{base}/chat/completions"
  headers:
    Authorization: "Bearer {{{{ api_key }}}}"
  transforms:
    - type: json
      pattern: {{model: $model, messages: $messages}}
response:
  transforms:
    - {{type: jsonpath, pattern: "$.choices[0].message.content"}}
"""

CHAT = {
    "id": "chatcmpl-drip",
    "object": "chat.completion",
    "created": 1,
    "model": "stub-model",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "late"}, "finish_reason": "stop"}
    ],
}
TEXT = {
    "id": "cmpl-drip",
    "object": "text_completion",
    "created": 1,
    "model": "stub-model",
    "choices": [{"index": 0, "text": "late", "finish_reason": "stop"}],
}


def _litellm(server: OpenAIStub, **kwargs: Any) -> LiteLLMGenerator:
    options: dict[str, Any] = {"backoff_base": 0.0, "backoff_max": 0.0, "max_retries": 0}
    options.update(kwargs)
    return litellm_generator(server, SECRET, **options)


def _http(server: OpenAIStub, **kwargs: Any) -> HTTPGenerator:
    options: dict[str, Any] = {"backoff_base": 0.0, "backoff_max": 0.0, "max_retries": 0}
    options.update(kwargs)
    spec = HTTP_SPEC.format(base=server.base_url)
    return HTTPGenerator(model="stub-model", api_key=SECRET, spec=spec, **options)


def _drip_for(prompt: str, body: Any) -> Any:
    """A handler: the request for `prompt` gets `body` a byte at a time, the others an echo."""

    def handle(request: RecordedRequest) -> Any:
        # ~330 bytes, one each 50 ms: at least 16 s, against a timeout of 1 s
        return Drip(body) if prompt_of(request) == prompt else Reply(prompt_of(request))

    return handle


def _timed_out(result: object, attempts: int) -> None:
    assert isinstance(result, GenerationError), result
    text = str(result)
    reason = "last error: timeout (DeadlineExceededError)"
    assert f"failed after {attempts} attempt(s); {reason}" in text
    assert "no complete answer within 1 s (the timeout)" in text
    assert SECRET not in text


# --- a body sent a byte at a time -------------------------------------------------------------


async def test_an_http_answer_sent_a_byte_at_a_time_ends_at_the_timeout(server: OpenAIStub) -> None:
    """httpx's read timeout restarts on every byte: the request lasted as long as the server
    liked, and held its connection slot all along."""
    server.on_request(_drip_for("slow", CHAT))
    gen = _http(server, max_retries=1)
    conversations = [[Message("user", text)] for text in ("slow", "fast")]
    results = await gen.generate_messages_settled(conversations, [GenerateParams(timeout=1)] * 2)
    _timed_out(results[0], attempts=2)
    assert not isinstance(results[1], Exception)
    assert results[1].message.content == "fast"
    assert server.attempts() == {"slow": 2, "fast": 1}


async def test_a_litellm_chat_answer_sent_a_byte_at_a_time_ends_at_the_timeout(
    server: OpenAIStub,
) -> None:
    server.on_request(_drip_for("slow", CHAT))
    conversations = [[Message("user", text)] for text in ("slow", "fast")]
    results = await _litellm(server).generate_messages_settled(
        conversations, [GenerateParams(timeout=1)] * 2
    )
    _timed_out(results[0], attempts=1)
    assert not isinstance(results[1], Exception)
    assert results[1].message.content == "fast"


async def test_a_litellm_text_answer_sent_a_byte_at_a_time_ends_at_the_timeout(
    server: OpenAIStub,
) -> None:
    server.on_request(_drip_for("slow", TEXT))
    results = await _litellm(server).generate_texts_settled(
        ["slow", "fast"], [GenerateParams(timeout=1)] * 2
    )
    _timed_out(results[0], attempts=1)
    assert not isinstance(results[1], Exception)
    assert results[1].text == "fast"


async def test_a_stream_whose_head_comes_a_byte_at_a_time_fails_to_open_at_the_timeout(
    server: OpenAIStub,
) -> None:
    """Opening a stream waits for the response head, which a server could send for ever."""
    server.script(Drip(None, content_type="text/event-stream"))
    stream = _litellm(server).stream_messages([Message("user", "q")], GenerateParams(timeout=1))
    with pytest.raises(GenerationError) as info:
        async for _ in stream:
            pass
    _timed_out(info.value, attempts=1)


# --- stream events of the wrong shape -------------------------------------------------------

SSE = "text/event-stream"


def _events(*payloads: dict[str, Any]) -> str:
    base = {"id": "s1", "created": 1, "model": "stub-model"}
    return "".join(f"data: {json.dumps({**base, **p})}\n\n" for p in payloads) + "data: [DONE]\n\n"


def _chat_events(content: Any) -> str:
    def choice(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    return _events(choice({"role": "assistant", "content": content}), choice({}, "stop"))


def _bad_for(prompt: str, events: str) -> Any:
    def handle(request: RecordedRequest) -> Any:
        if prompt_of(request) == prompt:
            return RawReply(events, content_type=SSE)
        return Reply(prompt_of(request))

    return handle


@pytest.mark.parametrize(
    ("content", "kind"), [(5, "int"), (["a", "b"], "list"), ({"text": "a"}, "dict")]
)
async def test_a_streamed_content_that_is_not_text_fails_its_item_alone(
    server: OpenAIStub, content: Any, kind: str
) -> None:
    """litellm hands a delta's content on as the server sent it: `stream_messages` yielded a
    TextDelta of an int (or list, dict), which a pipeline blamed on the generator itself."""
    server.on_request(_bad_for("bad", _chat_events(content)))
    expected = f"sent a malformed chunk after 0 chunk(s): the delta's content is a {kind}, not"
    chunks = _litellm(server).stream_messages([Message("user", "bad")])
    with pytest.raises(GenerationError, match=re.escape(expected)) as info:
        async for _ in chunks:
            pass
    assert info.value.model == "openai/stub-model"
    pipeline = _litellm(server).chat().catch(GenerationError, on_failed="include")
    async with pipeline.stream_batch(["ok", "bad", "fine"]) as stream:
        async for _ in stream:
            pass
    assert stream.chats is not None
    good, bad, fine = stream.chats
    assert (good.last.content, fine.last.content) == ("ok", "fine")
    assert not good.failed
    assert not fine.failed
    assert bad.failed
    assert isinstance(bad.error, GenerationError)
    assert expected in str(bad.error)


# --- a key echoed into what a result keeps ----------------------------------------------------


def _echoing(request: RecordedRequest) -> RawReply:
    """The request's own Authorization header, in the id and in fields of the server's own."""
    auth = request.headers["authorization"]
    base = {"id": f"id {auth}", "created": 1, "model": "stub-model"}
    if request.json.get("stream"):
        delta = {"role": "assistant", "content": "hi"}
        events = [
            {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]},
            {
                "object": "chat.completion.chunk",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            },
        ]
        text = "".join(f"data: {json.dumps({**base, **e})}\n\n" for e in events)
        return RawReply(text + "data: [DONE]\n\n", content_type=SSE)
    if request.path.endswith("/completions") and "prompt" in request.json:
        choice: dict[str, Any] = {"index": 0, "text": "hi", "finish_reason": "stop"}
        return RawReply({**base, "object": "text_completion", "choices": [choice]})
    message = {"role": "assistant", "content": "hi"}
    choice = {"index": 0, "message": message, "finish_reason": "stop"}
    choice.update(echo=auth, nested=[{"auth": auth}])  # kept by litellm as the server's own
    return RawReply({**base, "object": "chat.completion", "choices": [choice]})


async def test_a_key_echoed_into_a_results_extra_is_redacted(server: OpenAIStub) -> None:
    """litellm keeps the response id and a choice's fields of the server's own; they went
    into the result's extra as sent, and with it into every dumped chat."""
    server.on_request(_echoing)
    gen = _litellm(server)
    chat = await gen.chat("q").run()
    [text] = await gen.generate_texts(["q"], [GenerateParams()])
    streamed = [c async for c in gen.stream_messages([Message("user", "q")])]
    assert chat.last.content == "hi"
    assert chat.extra["response_id"] == "id Bearer ***"
    assert chat.extra["echo"] == "Bearer ***"
    assert chat.extra["nested"] == [{"auth": "***"}]
    assert text.extra["response_id"] == "id Bearer ***"
    assert streamed[-1].extra["response_id"] == "id Bearer ***"  # type: ignore[union-attr]
    for shown in (chat.model_dump_json(), repr(text), repr(streamed)):
        assert SECRET not in shown
    assert all(r.headers["authorization"] == f"Bearer {SECRET}" for r in server.requests)
