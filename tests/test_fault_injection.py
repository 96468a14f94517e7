"""Fault injection on the loopback OpenAI stub: each fault fails its own item, and only it.

Every fault the stub can inject is tried on one request (what the caller gets, how many
attempts the server saw), then inside batches of 200 where other items succeed: each good
result must come back, in input order, with bounded attempts counted by the server itself.
Retry backoff is configured to ~0, so nothing here waits on a real delay except the one
client timeout.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from _servers.litellm_loop import litellm_generator
from _servers.litellm_loop import server as server
from _servers.litellm_loop import stub as stub
from _servers.openai_stub import (
    Action,
    ErrorReply,
    Hang,
    OpenAIStub,
    RawReply,
    RecordedRequest,
    Reply,
    ResetMidBody,
    prompt_of,
)

from rigging.error import GenerationError, ProcessingError
from rigging.generator import GenerateParams
from rigging.generator.litellm_ import LiteLLMGenerator
from rigging.message import Message

SECRET = "sk-rigging-FAULT-SECRET-0042"
N = 200

pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.asyncio(loop_scope="module"),
]

EMPTY_CHOICES = {"id": "x", "object": "chat.completion", "created": 1, "model": "m", "choices": []}
NO_MESSAGE = {**EMPTY_CHOICES, "choices": [{"index": 0, "finish_reason": "stop"}]}
NUMBER_CONTENT = {
    **EMPTY_CHOICES,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": 5}}],
}
EMPTY_TEXT_CHOICES = {**EMPTY_CHOICES, "object": "text_completion"}


def _calls(*calls: dict[str, Any]) -> dict[str, Any]:
    message = {"role": "assistant", "content": None, "tool_calls": list(calls)}
    return {
        **EMPTY_CHOICES,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
    }


NAMELESS_CALL = _calls(
    {"id": "c1", "type": "function", "function": {"name": None, "arguments": "{}"}}
)


def _gen(server: OpenAIStub, **kwargs: Any) -> LiteLLMGenerator:
    options: dict[str, Any] = {"backoff_base": 0.0, "backoff_max": 0.0, "max_retries": 2}
    options.update(kwargs)
    return litellm_generator(server, SECRET, **options)


def _chat(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


async def _one_chat(gen: LiteLLMGenerator, text: str = "q") -> Any:
    [result] = await gen.generate_messages_settled([_chat(text)], [GenerateParams()])
    return result


# --- one request, one fault ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (ErrorReply(500, message="upstream exploded"), "HTTP 500 (InternalServerError): upstream"),
        (ErrorReply(429, message="slow down", retry_after=0), "HTTP 429 (RateLimitError)"),
        (ResetMidBody(), "HTTP 500"),  # litellm reports a cut body as a server error
        (RawReply("this is { not json"), "HTTP 500"),
        (RawReply(EMPTY_CHOICES), 'malformed response: the response has an empty "choices"'),
        (RawReply(NO_MESSAGE), "HTTP 500"),
        (RawReply(NUMBER_CONTENT), "HTTP 500"),
        (RawReply([1, 2]), "HTTP 500"),
        # a raw pydantic ValidationError escaped, which `catch(GenerationError)` let through
        (RawReply(NAMELESS_CALL), "malformed response: tool call 0 has no function name"),
    ],
    ids=[
        "500",
        "429",
        "reset",
        "not-json",
        "empty-choices",
        "no-message",
        "int-content",
        "list",
        "nameless-call",
    ],
)
async def test_a_permanent_fault_is_a_generation_error_after_bounded_attempts(
    server: OpenAIStub, fault: Action, reason: str
) -> None:
    server.on_request(lambda request: fault)
    result = await _one_chat(_gen(server, max_retries=2), "bad")
    assert isinstance(result, GenerationError), result
    assert result.attempts == 3
    assert server.attempts()["bad"] == 3
    assert reason in str(result)
    assert SECRET not in str(result)


@pytest.mark.parametrize(
    "fault",
    [
        ErrorReply(500),
        ErrorReply(429, retry_after=0),
        ErrorReply(503),
        ResetMidBody(),
        RawReply("{truncated"),
        RawReply(EMPTY_CHOICES),
    ],
    ids=["500", "429", "503", "reset", "not-json", "empty-choices"],
)
async def test_a_transient_fault_is_retried_and_the_answer_kept(
    server: OpenAIStub, fault: Action
) -> None:
    server.script(fault, "recovered")
    result = await _one_chat(_gen(server), "flaky")
    assert not isinstance(result, Exception), result
    assert result.message.content == "recovered"
    assert server.attempts()["flaky"] == 2


async def test_empty_choices_in_a_text_completion_is_a_generation_error(
    server: OpenAIStub,
) -> None:
    server.on_request(lambda request: RawReply(EMPTY_TEXT_CHOICES))
    gen = _gen(server, max_retries=0)
    [result] = await gen.generate_texts_settled(["t"], [GenerateParams()])
    assert isinstance(result, GenerationError)
    assert 'empty "choices"' in str(result)
    with pytest.raises(GenerationError, match="empty"):  # never IndexError
        await gen.generate_texts(["t"], [GenerateParams()])


async def test_retry_after_is_honoured(server: OpenAIStub) -> None:
    # Without Retry-After the 30 s backoff would apply: the short wait is the header's.
    server.script(ErrorReply(429, retry_after=0.05), "ok")
    gen = _gen(server, backoff_base=30.0, backoff_max=60.0)
    start = time.monotonic()
    result = await _one_chat(gen, "wait")
    assert not isinstance(result, Exception)
    assert time.monotonic() - start >= 0.05
    assert server.attempts()["wait"] == 2


async def test_a_tool_call_without_an_id_is_answered_under_one(server: OpenAIStub) -> None:
    call = {"type": "function", "function": {"name": "shout", "arguments": '{"text": "a"}'}}
    server.script(RawReply(_calls(call)), "done")

    def shout(text: str) -> str:
        """Shout."""
        return text.upper()

    chat = await _gen(server).chat("q").using(shout, mode="api").run()
    assistant, answer = chat.all[1], chat.all[2]
    assert assistant.tool_calls is not None
    assert assistant.tool_calls[0].id  # litellm makes one up (rigging would: `call_0`)
    assert assistant.tool_calls[0].id == answer.tool_call_id
    assert answer.content == "A"


async def test_a_retry_after_of_nan_uses_the_backoff_instead_of_waiting_forever(
    server: OpenAIStub,
) -> None:
    server.script(ErrorReply(429, retry_after=float("nan")), "ok")
    gen = _gen(server, backoff_base=0.01, backoff_max=0.05)
    result = await asyncio.wait_for(_one_chat(gen, "nan"), timeout=60)
    assert not isinstance(result, Exception)
    assert server.attempts()["nan"] == 2


async def test_a_reply_slower_than_the_timeout_is_retried_then_fails(server: OpenAIStub) -> None:
    server.on_request(lambda request: Hang())
    gen = _gen(server, max_retries=1)
    [result] = await gen.generate_messages_settled(
        [_chat("slow")], [GenerateParams(extra={"timeout": 0.2})]
    )
    assert isinstance(result, GenerationError)
    assert "timeout" in str(result)
    assert server.attempts()["slow"] == 2


@pytest.mark.parametrize("status", [401, 403])
async def test_refused_credentials_are_not_retried_and_name_the_setting(
    server: OpenAIStub, status: int
) -> None:
    server.on_request(lambda request: ErrorReply(status, message=f"invalid key {SECRET}"))
    with pytest.raises(GenerationError) as info:
        await _gen(server, max_retries=3).generate_messages([_chat("auth")], [GenerateParams()])
    result = info.value
    assert result.auth
    assert result.status == status
    assert server.attempts()["auth"] == 1
    text = str(result)
    assert f"HTTP {status}" in text
    assert "invalid key ***" in text  # the provider's message, redacted
    assert "api_key=" in text
    assert SECRET not in text


async def test_a_missing_api_key_is_not_retried_and_names_the_setting(
    server: OpenAIStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    gen = LiteLLMGenerator(
        model="openai/stub-model",
        params=GenerateParams(api_base=server.base_url),
        max_retries=3,
        backoff_base=0.0,
    )
    with pytest.raises(GenerationError) as info:
        await gen.generate_messages([_chat("q")], [GenerateParams()])
    result = info.value
    assert result.auth
    assert result.attempts == 1
    assert "missing credentials" in str(result)
    assert "api_key=" in str(result)
    assert "OPENAI_API_KEY" in str(result)
    assert server.requests == []


async def test_a_client_error_names_the_provider_message_redacted(server: OpenAIStub) -> None:
    server.script(ErrorReply(400, message=f"model does not exist for key {SECRET}"))
    with pytest.raises(GenerationError) as info:
        await _gen(server).generate_messages([_chat("x")], [GenerateParams()])
    result = info.value
    assert result.status == 400
    assert "model does not exist for key ***" in str(result)
    assert result.__cause__ is None  # the original error's text holds the key
    assert server.attempts()["x"] == 1


# --- batches ------------------------------------------------------------------------------
# The chat batch runs 200 items; the other paths run SMALL items (the same faults, fewer good
# items) to keep the module fast: litellm spends ~20 ms of CPU per request on this machine.

BAD, FLAKY, MALFORMED, EMPTY = "item 7", "item 13", "item 21", "item 33"
SMALL = 40


def _faults(request: RecordedRequest, seen: dict[str, int]) -> Action | str:
    """7: always 500; 21: always malformed; 33: always empty/truncated; 13: a 429 once."""
    prompt = prompt_of(request)
    seen[prompt] = seen.get(prompt, 0) + 1
    streamed = bool(request.json.get("stream"))
    if prompt == BAD:
        return ErrorReply(500, message="permanent failure")
    if prompt == MALFORMED:  # a stream that ends cleanly before its finish reason
        if streamed:
            return RawReply(TRUNCATED_SSE, content_type="text/event-stream")
        return RawReply("{oops")
    if prompt == EMPTY:
        if streamed:  # cut in the middle of an event
            return Reply(chunks=["a ", "b ", "c"], drop_after=1, cut_event=True)
        chat = request.path.endswith("chat/completions")
        return RawReply(EMPTY_CHOICES if chat else {})
    if prompt == FLAKY and seen[prompt] == 1:
        return ErrorReply(429, retry_after=0)
    return Reply(f"answer to {prompt}")


TRUNCATED_SSE = (
    'data: {"id": "1", "object": "chat.completion.chunk", "created": 1, "model": "m", '
    '"choices": [{"index": 0, "delta": {"content": "par"}}]}\n\n'
)


def _install(server: OpenAIStub) -> None:
    seen: dict[str, int] = {}
    server.on_request(lambda request: _faults(request, seen))


def _items(count: int) -> list[str]:
    return [f"item {i}" for i in range(count)]


FAILING = {BAD, MALFORMED, EMPTY}


def _check_attempts(server: OpenAIStub, count: int, *, retried: bool = True) -> None:
    """Each good item: one request; the flaky one: two; each failing one: 1 + 2 retries."""
    attempts = server.attempts()
    for prompt in FAILING:
        assert attempts[prompt] == (3 if retried else 1), prompt
    assert attempts[FLAKY] == 2
    good = [p for p in _items(count) if p not in FAILING and p != FLAKY]
    assert all(attempts[p] == 1 for p in good)
    assert sum(attempts.values()) == count + 1 + len(FAILING) * (2 if retried else 0)


def _expected(count: int) -> list[str]:
    return [f"answer to {i}" for i in _items(count) if i not in FAILING]


async def test_chat_batch_of_200_include_keeps_every_good_chat_in_order(
    server: OpenAIStub,
) -> None:
    _install(server)
    pipeline = _gen(server).chat().catch(GenerationError, on_failed="include")
    chats = await pipeline.run_batch(_items(N))
    assert len(chats) == N
    assert [c.failed for c in chats] == [i in FAILING for i in _items(N)]
    assert all(isinstance(c.error, GenerationError) for c in chats if c.failed)
    assert [c.last.content for c in chats if not c.failed] == _expected(N)
    assert "permanent failure" in str(chats[7].error)
    assert 'empty "choices"' in str(chats[33].error)
    _check_attempts(server, N)


async def test_chat_batch_skip_returns_the_others_in_input_order(server: OpenAIStub) -> None:
    _install(server)
    pipeline = _gen(server).chat().catch(GenerationError)
    chats = await pipeline.run_batch(_items(SMALL), on_failed="skip")
    assert [c.last.content for c in chats] == _expected(SMALL)
    _check_attempts(server, SMALL)


async def test_chat_batch_that_raises_carries_the_finished_chats(server: OpenAIStub) -> None:
    _install(server)
    with pytest.raises(GenerationError) as info:
        await _gen(server).chat().run_batch(_items(SMALL))  # default on_failed="raise"
    assert "permanent failure" in str(info.value)  # item 7 comes first in input order
    completed = info.value.completed  # type: ignore[attr-defined]
    assert [c.last.content for c in completed] == _expected(SMALL)


async def test_completion_batch_include(server: OpenAIStub) -> None:
    _install(server)
    pipeline = _gen(server).complete("").catch(GenerationError, on_failed="include")
    completions = await pipeline.run_batch(_items(SMALL))
    assert [c.failed for c in completions] == [i in FAILING for i in _items(SMALL)]
    assert "the first choice has no text" in str(completions[33].error)
    assert [c.generated for c in completions if not c.failed] == _expected(SMALL)
    _check_attempts(server, SMALL)


async def test_streamed_batch_include(server: OpenAIStub) -> None:
    _install(server)
    pipeline = _gen(server).chat().catch(GenerationError, on_failed="include")
    async with pipeline.stream_batch(_items(SMALL)) as events:
        async for _ in events:
            pass
    chats = events.results
    assert chats is not None
    assert [c.failed for c in chats] == [i in FAILING for i in _items(SMALL)]
    assert [c.last.content for c in chats if not c.failed] == _expected(SMALL)
    assert "broke after 1 chunk(s)" in str(chats[21].error)
    assert "finish_reason" in str(chats[21].error)  # the provider's own words
    assert "broke after" in str(chats[33].error)
    # A stream that broke after delivering text is not retried; the 500 (before any text) is.
    attempts = server.attempts()
    assert (attempts[BAD], attempts[MALFORMED], attempts[EMPTY], attempts[FLAKY]) == (3, 1, 1, 2)


async def test_run_many_with_one_permanent_failure(server: OpenAIStub) -> None:
    def reply(request: RecordedRequest) -> Action:
        # Identical prompts: the item with temperature 0.5 always fails.
        if request.json.get("temperature") == 0.5:
            return ErrorReply(500, message="never works")
        return Reply("same")

    server.on_request(reply)
    params: list[GenerateParams | None] = [None] * SMALL
    params[5] = GenerateParams(temperature=0.5)
    pipeline = _gen(server, max_retries=1).chat("q").catch(GenerationError)
    chats = await pipeline.run_many(SMALL, params=params, on_failed="include")
    assert [c.failed for c in chats] == [i == 5 for i in range(SMALL)]
    assert len(server.requests) == SMALL + 1


async def test_run_over_one_failing_generator(server: OpenAIStub) -> None:
    server.on_request(
        lambda request: ErrorReply(500) if request.json.get("temperature") == 0.5 else Reply("ok")
    )
    good = _gen(server)
    bad = _gen(server)
    bad.params.temperature = 0.5
    pipeline = good.chat("q").catch(GenerationError)
    chats = await pipeline.run_over(bad, good, include_original=False, on_failed="include")
    assert [c.failed for c in chats] == [True, False]
    skipped = await pipeline.run_over(bad, good, include_original=False, on_failed="skip")
    assert [c.last.content for c in skipped] == ["ok"]
    with pytest.raises(GenerationError) as info:
        await good.chat("q").run_over(bad, good, include_original=False)
    assert [c.last.content for c in info.value.completed] == ["ok"]  # type: ignore[attr-defined]


# --- the HTTP generator ----------------------------------------------------------------------

HTTP_SPEC = """
request:
  url: "{base}/chat/completions"
  headers:
    Authorization: "Bearer {{{{ api_key }}}}"
    Content-Type: application/json
  transforms:
    - type: json
      pattern:
        model: $model
        messages: $messages
response:
  transforms:
    - type: jsonpath
      pattern: $.choices[0].message.content
"""


def _http(server: OpenAIStub) -> Any:
    from rigging.generator.http import HTTPGenerator

    return HTTPGenerator(
        model="stub-model",
        api_key=SECRET,
        spec=HTTP_SPEC.format(base=server.base_url),
        backoff_base=0.0,
        backoff_max=0.0,
        max_retries=2,
    )


@pytest.mark.parametrize("status", [401, 403])
async def test_http_generator_refused_credentials_are_not_retried(
    server: OpenAIStub, status: int
) -> None:
    server.on_request(lambda request: ErrorReply(status, message=f"bad key {SECRET}"))
    [result] = await _http(server).generate_messages_settled([_chat("h")], [GenerateParams()])
    assert isinstance(result, GenerationError)
    assert (result.status, result.auth, server.attempts()["h"]) == (status, True, 1)
    assert "bad key ***" in str(result)
    assert "api_key=" in str(result)
    assert SECRET not in str(result)


async def test_http_generator_batch_keeps_every_good_item(server: OpenAIStub) -> None:
    _install(server)
    pipeline = _http(server).chat().catch(GenerationError, ProcessingError, on_failed="include")
    chats = await pipeline.run_batch(_items(SMALL))
    assert [c.failed for c in chats] == [i in FAILING for i in _items(SMALL)]
    assert isinstance(chats[7].error, GenerationError)
    # The spec's own reading of a malformed body fails in its step (not retried).
    assert isinstance(chats[21].error, ProcessingError)
    assert server.attempts()[BAD] == 3
    assert server.attempts()[FLAKY] == 2
    good = [c for i, c in zip(_items(SMALL), chats, strict=True) if i not in FAILING]
    assert [c.last.content for c in good] == _expected(SMALL)
