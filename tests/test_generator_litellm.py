import asyncio
import gc
import json
import logging
import pickle

import pytest
from _servers.litellm_loop import litellm_generator
from _servers.litellm_loop import server as server
from _servers.litellm_loop import stub as stub
from _servers.openai_stub import ErrorReply, OpenAIStub, Reply, ToolCall

from rigging.error import GenerationError
from rigging.generator import GenerateParams, get_generator
from rigging.generator.litellm_ import LiteLLMGenerator, _openai_text_target, import_litellm
from rigging.message import Message

SECRET = "sk-rigging-SECRET-0123456789"
TOOL = {
    "type": "function",
    "function": {
        "name": "add",
        "description": "Add numbers.",
        "parameters": {"type": "object", "properties": {"a": {"type": "integer"}}},
    },
}


# litellm caches its HTTP clients per event loop: share one loop across this module and close
# them at the end. litellm's OpenAI text path used to leak one aiohttp session per call (the
# generator now lends it a client per batch; a test below checks). Should another litellm
# version drop sessions unclosed on some path, its ResourceWarnings are ignored here and the
# leftovers collected at the end, so they cannot surface in another module's test.
pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


def _gen(server: OpenAIStub, **kwargs: object) -> LiteLLMGenerator:
    return litellm_generator(server, SECRET, **kwargs)


def _chat(text: str) -> list[Message]:
    return [Message(role="system", content="Be brief."), Message(role="user", content=text)]


async def test_chat_params_arrive_as_sent(server: OpenAIStub) -> None:
    gen = _gen(server)
    gen.params.temperature = 0.25
    params = GenerateParams(
        max_tokens=50,
        top_p=0.9,
        stop=["END", "STOP"],
        presence_penalty=0.1,
        frequency_penalty=0.2,
        seed=7,
        tools=[TOOL],
        tool_choice="auto",
        parallel_tool_calls=False,
        extra={"logprobs": True, "logit_bias": {"50256": -100}},
    )
    [result] = await gen.generate_messages([_chat("hello world")], [params])
    assert result.message.content == "hello world"
    [request] = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    body = request.json
    assert body["model"] == "stub-model"
    assert body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hello world"},
    ]
    expected = {
        "temperature": 0.25,
        "max_tokens": 50,
        "top_p": 0.9,
        "stop": ["END", "STOP"],
        "presence_penalty": 0.1,
        "frequency_penalty": 0.2,
        "seed": 7,
        "tools": [TOOL],
        "tool_choice": "auto",
        "parallel_tool_calls": False,
        "logprobs": True,
        "logit_bias": {"50256": -100},
    }
    assert {key: body.get(key) for key in expected} == expected, body
    assert gen.params.max_tokens is None  # request params never leak into the generator


async def test_tool_calls_usage_stop_reason_and_n(server: OpenAIStub) -> None:
    gen = _gen(server)
    server.script(
        Reply(tool_calls=[ToolCall("add", {"a": 1}, id="call-1")]),
        Reply(choices=["first", "second"], usage={"prompt_tokens": 3, "completion_tokens": 4}),
    )
    [called] = await gen.generate_messages([_chat("add")], [GenerateParams(tools=[TOOL])])
    assert called.stop_reason == "tool_calls"
    assert called.message.tool_calls is not None
    [call] = called.message.tool_calls
    assert (call.id, call.function.name, json.loads(call.function.arguments)) == (
        "call-1",
        "add",
        {"a": 1},
    )
    [many] = await gen.generate_messages([_chat("two")], [GenerateParams(extra={"n": 2})])
    assert server.requests[-1].json["n"] == 2
    assert many.message.content == "first"
    assert many.extra["other_choices"] == ["second"]
    assert many.extra["response_id"]
    assert many.usage is not None
    assert (many.usage.input_tokens, many.usage.output_tokens) == (3, 4)
    assert many.stop_reason == "stop"


async def test_text_completion(server: OpenAIStub) -> None:
    gen = _gen(server)
    server.script(Reply("the end", finish_reason="length"))
    [result] = await gen.generate_texts(["Once upon"], [GenerateParams(max_tokens=2)])
    assert result.text == "the end"
    assert result.stop_reason == "length"
    assert result.usage is not None
    [request] = server.requests
    assert request.path == "/v1/completions"
    assert request.json["prompt"] == "Once upon"
    assert request.json["max_tokens"] == 2


async def test_a_text_batch_reuses_connections_and_closes_them(
    server: OpenAIStub, caplog: pytest.LogCaptureFixture
) -> None:
    # litellm's own OpenAI text path builds an SDK client per call and never closes it: each
    # request opened a connection and logged "Unclosed client session" once collected.
    gen = _gen(server, max_connections=4)
    server.on_request(lambda request: Reply(delay=0.005, content="ok"))
    idle_before = server.open_connections  # earlier tests' pooled keep-alive connections
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        for _ in range(2):
            results = await gen.generate_texts(["p"] * 60, [GenerateParams()] * 60)
            assert [r.text for r in results] == ["ok"] * 60
        gc.collect()
        await asyncio.sleep(0.05)
    assert len(server.requests) == 120
    assert server.connections_opened <= 8  # at most 4 per batch, against 120 before
    for _ in range(300):
        if server.open_connections <= idle_before:
            break
        await asyncio.sleep(0.01)
    assert server.open_connections <= idle_before, "each batch closes its connections"
    assert "Unclosed" not in caplog.text


async def test_only_litellms_openai_text_path_gets_a_shared_client(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    litellm = import_litellm()
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_BASE", raising=False)
    base = {"api_base": "http://127.0.0.1:9/v1", "api_key": SECRET}
    assert _openai_text_target(litellm, "openai/m", base) == (base["api_base"], SECRET, None)
    assert _openai_text_target(litellm, "hosted_vllm/m", {**base, "organization": "o"}) == (
        base["api_base"],
        SECRET,
        "o",
    )
    assert _openai_text_target(litellm, "openai/m", {**base, "client": object()}) is None
    assert _openai_text_target(litellm, "anthropic/claude-3-5-haiku", base) is None
    assert _openai_text_target(litellm, "nosuchprovider/m", base) is None
    assert _openai_text_target(litellm, "openai/m", {}) is None  # no key: litellm says so
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    assert _openai_text_target(litellm, "openai/m", {}) == (
        "https://api.openai.com/v1",
        SECRET,
        None,
    )


async def test_batch_results_keep_order(server: OpenAIStub) -> None:
    gen = _gen(server)
    texts = [f"item {i}" for i in range(12)]
    results = await gen.generate_messages([_chat(t) for t in texts], [GenerateParams()] * 12)
    assert [r.message.content for r in results] == texts


async def test_retries_rate_limit_and_server_errors_then_succeeds(server: OpenAIStub) -> None:
    gen = _gen(server, max_retries=3)
    server.script(ErrorReply(429, retry_after=0.01), ErrorReply(500), ErrorReply(503), "finally")
    [result] = await gen.generate_texts(["x"], [GenerateParams()])
    assert result.text == "finally"
    assert len(server.requests) == 4


async def test_retries_stop_with_a_clear_error(server: OpenAIStub) -> None:
    gen = _gen(server, max_retries=2)
    server.script(*[ErrorReply(429, message="slow down")] * 5)
    with pytest.raises(GenerationError) as info:
        await gen.generate_messages([_chat("x")], [GenerateParams()])
    assert len(server.requests) == 3
    message = str(info.value)
    assert message.startswith("request to model 'openai/stub-model' failed after 3 attempt(s)")
    assert "HTTP 429 (RateLimitError)" in message
    assert info.value.status == 429
    assert SECRET not in message


async def test_client_errors_are_not_retried(server: OpenAIStub) -> None:
    gen = _gen(server, max_retries=3)
    server.script(ErrorReply(400, message=f"bad request for key {SECRET}"))
    with pytest.raises(GenerationError, match=r"HTTP 400 .*bad request for key") as info:
        await gen.generate_texts(["x"], [GenerateParams()])
    assert len(server.requests) == 1
    assert info.value.status == 400
    assert SECRET not in str(info.value)


async def test_timeouts_fire_and_are_retried(server: OpenAIStub) -> None:
    gen = _gen(server, max_retries=1)
    server.script(Reply("late", delay=3), Reply("late", delay=3))
    with pytest.raises(GenerationError, match=r"after 2 attempt\(s\); last error: timeout"):
        await gen.generate_texts(["x"], [GenerateParams(timeout=1)])
    assert len(server.requests) == 2


async def test_max_connections_is_honoured_under_200_requests(server: OpenAIStub) -> None:
    gen = _gen(server, max_connections=8)
    server.on_request(lambda request: Reply(delay=0.03, content="ok"))
    results = await gen.generate_texts([f"t{i}" for i in range(200)], [GenerateParams()] * 200)
    assert len(results) == 200
    assert all(r.text == "ok" for r in results)
    assert len(server.requests) == 200
    assert gen.peak_connections == 8
    # The stub counts a request finished before its last byte leaves, so a request that
    # replaces a finished one is never counted together with it.
    assert server.max_in_flight == 8


async def test_min_delay_between_requests_spaces_them(server: OpenAIStub) -> None:
    gen = _gen(server, min_delay_between_requests=50)
    loop = asyncio.get_running_loop()
    start = loop.time()
    await gen.generate_texts(["a", "b", "c"], [GenerateParams()] * 3)
    assert loop.time() - start >= 0.1
    assert len(server.requests) == 3


async def test_api_key_never_leaks(server: OpenAIStub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    gen = get_generator(f"openai/stub-model,api_key={SECRET},max_retries=0")
    assert isinstance(gen, LiteLLMGenerator)
    assert gen.api_key == SECRET
    gen.params.api_base = server.base_url
    server.script(ErrorReply(500, message=f"echoing {SECRET}"))
    with pytest.raises(GenerationError) as info:
        await gen.generate_messages([_chat("x")], [GenerateParams()])
    [result] = await gen.generate_messages([_chat("ok")], [GenerateParams()])
    surfaces = [
        repr(gen),
        str(gen),
        gen.to_identifier(),
        json.dumps(gen.model_dump(mode="json")),
        gen.model_dump_json(),
        result.model_dump_json(),
        str(info.value),
        caplog.text,
    ]
    for text in surfaces:
        assert SECRET not in text


async def test_a_key_in_the_api_base_path_echoed_by_the_server_is_redacted(
    server: OpenAIStub,
) -> None:
    """A gateway taking its key in the path: the stub's ``404 no route for <path>`` echoes it."""
    token = "gwPathToken0123456789abcdEF"
    gen = _gen(server, max_retries=0)
    gen.params.api_base = server.base_url.replace("/v1", f"/{token}/v1")
    with pytest.raises(GenerationError) as info:
        await gen.generate_messages([_chat("x")], [GenerateParams()])
    assert server.requests[0].path == f"/{token}/v1/chat/completions"
    error = info.value
    surfaces = [str(error), repr(error), repr(error.__cause__), repr(pickle.dumps(error))]
    surfaces += [gen.to_identifier(), repr(gen), gen.model_dump_json()]
    for text in surfaces:
        assert token not in text
