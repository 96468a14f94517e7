import copy
import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import pytest
from _servers.openai_stub import ErrorReply, OpenAIStub, RawReply, Reply

from rigging._redact import MASK
from rigging.error import GenerationError, ProcessingError
from rigging.generator import GenerateParams
from rigging.generator.http import HTTPGenerator
from rigging.message import Message

SECRET = "sk-http-SECRET-77"

SPEC = """
request:
  url: "{{ api_base }}/chat/completions?key={{ api_key }}"
  headers:
    Authorization: "Bearer {{ api_key }}"
    Content-Type: application/json
  transforms:
    - type: json
      pattern:
        model: $model
        messages: $messages
        temperature: $params.temperature
response:
  transforms:
    - type: jsonpath
      pattern: $.choices[0].message.content
"""


@pytest.fixture(scope="module")
def stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as server:
        yield server


@pytest.fixture
def server(stub: OpenAIStub) -> OpenAIStub:
    stub.reset()
    return stub


def _gen(server: OpenAIStub, **kwargs: object) -> HTTPGenerator:
    spec = SPEC.replace("{{ api_base }}", server.base_url)
    options: dict[str, object] = {"backoff_base": 0.01, "backoff_max": 0.05, "max_retries": 2}
    options.update(kwargs)
    return HTTPGenerator(
        model="stub-model",
        api_key=SECRET,
        spec=spec,
        params=GenerateParams(temperature=0.3),
        **options,
    )


async def test_request_built_from_spec_and_response_read(server: OpenAIStub) -> None:
    gen = _gen(server)
    server.script("the answer")
    convo = [Message(role="system", content="s"), Message(role="user", content="question")]
    [result] = await gen.generate_messages([convo], [GenerateParams(temperature=0.9)])
    assert result.message.content == "the answer"
    assert result.stop_reason == "stop"
    assert result.extra["status_code"] == 200
    assert SECRET not in result.extra["url"]
    assert "key=***" in result.extra["url"]
    json.dumps(result.extra)  # plain JSON values
    [request] = server.requests
    assert request.headers["authorization"] == f"Bearer {SECRET}"
    assert request.json == {
        "model": "stub-model",
        "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "question"}],
        "temperature": 0.9,
    }
    [text] = await gen.generate_texts(["hi"], [GenerateParams()])
    assert text.text == "hi"  # echoed by the stub
    assert server.requests[-1].json["temperature"] == 0.3


async def test_a_generator_that_sent_requests_pickles_and_deep_copies(server: OpenAIStub) -> None:
    """The spec's parametrized steps are found by pickle; the throttle's asyncio state is not
    copied (a fresh one with the same limits is)."""
    gen = _gen(server, max_connections=3)
    convo = [Message(role="user", content="question")]
    await gen.generate_messages([convo], [GenerateParams()])
    assert gen.peak_connections == 1
    for same in (pickle.loads(pickle.dumps(gen)), copy.deepcopy(gen)):
        assert isinstance(same, HTTPGenerator)
        assert same.api_key == SECRET  # a generator pickled on its own keeps its key
        assert same.spec == gen.spec
        assert same.to_identifier() == gen.to_identifier()
        assert same.peak_connections == 0
        [result] = await same.generate_messages([convo], [GenerateParams()])
        assert result.message.content == "question"
        assert same.semaphore is not gen.semaphore


async def test_retries_then_clear_error(server: OpenAIStub) -> None:
    gen = _gen(server)
    server.script(ErrorReply(429, retry_after=0.01), ErrorReply(502), "ok")
    [result] = await gen.generate_texts(["x"], [GenerateParams()])
    assert result.text == "ok"
    server.reset()
    server.script(*[ErrorReply(503)] * 3)
    with pytest.raises(GenerationError, match=r"'stub-model' failed after 3 attempt.*HTTP 503"):
        await gen.generate_texts(["x"], [GenerateParams()])
    assert len(server.requests) == 3


async def test_invalid_status_names_the_url_without_the_key(server: OpenAIStub) -> None:
    gen = _gen(server)
    server.script(ErrorReply(404))
    with pytest.raises(ProcessingError, match="received invalid status code 404 for http") as info:
        await gen.generate_texts(["x"], [GenerateParams()])
    assert SECRET not in str(info.value)
    assert len(server.requests) == 1
    # the provider's own message says why (it was dropped), with the key masked
    server.script(ErrorReply(400, message=f"max_tokens too large for key {SECRET}"))
    with pytest.raises(ProcessingError, match=r"status code 400 .*max_tokens too large") as info:
        await gen.generate_texts(["x"], [GenerateParams()])
    assert SECRET not in str(info.value)


async def test_a_literal_key_in_a_template_body_echoed_by_the_server_is_redacted(
    server: OpenAIStub,
) -> None:
    """A body template beside ``{{ messages|tojson }}`` is no JSON; its literal key is still a
    secret of the generator, so a server repeating it has it scrubbed from the error."""
    literal = "sk-LITERAL-in-body-5150"
    body = (
        '{"model": "{{ model }}", "api_key": "' + literal + '", "messages": {{ messages|tojson }}}'
    )
    spec = {
        "request": {
            "url": f"{server.base_url}/chat/completions",
            "transforms": [{"type": "jinja", "pattern": body}],
        }
    }
    gen = HTTPGenerator(model="stub-model", spec=spec, max_retries=0)
    server.on_request(
        lambda request: ErrorReply(401, message=f"unknown key {request.json['api_key']}")
    )
    try:
        with pytest.raises(GenerationError, match=r"HTTP 401.*unknown key \*\*\*") as info:
            await gen.generate_texts(["x"], [GenerateParams()])
    finally:
        server.on_request(None)
    assert server.requests[0].json["api_key"] == literal
    assert literal not in str(info.value)


async def test_timeouts_fire(server: OpenAIStub) -> None:
    gen = _gen(server, max_retries=1)
    server.script(Reply("late", delay=2), Reply("late", delay=2))
    with pytest.raises(GenerationError, match=r"2 attempt\(s\); last error: timeout"):
        await gen.generate_texts(["x"], [GenerateParams(timeout=1)])


async def test_max_connections_and_order(server: OpenAIStub) -> None:
    gen = _gen(server, max_connections=5)
    server.on_request(
        lambda request: Reply(delay=0.01, content=request.json["messages"][-1]["content"])
    )
    texts = [f"n{i}" for i in range(60)]
    results = await gen.generate_texts(texts, [GenerateParams()] * 60)
    assert [r.text for r in results] == texts
    assert gen.peak_connections == 5


async def test_missing_spec_and_bad_response() -> None:
    with pytest.raises(ProcessingError, match="no spec"):
        await HTTPGenerator(model="m").generate_texts(["x"], [GenerateParams()])


async def test_response_transform_failure_names_step(server: OpenAIStub) -> None:
    gen = _gen(server)
    assert gen.spec is not None
    assert gen.spec.response is not None
    gen.spec.response.transforms[0].pattern = "$.nothing"
    with pytest.raises(ProcessingError, match=r"response\.transforms\[0\] \(jsonpath\) failed"):
        await gen.generate_texts(["x"], [GenerateParams()])


async def test_headers_that_cannot_be_sent_and_bad_urls_fail_at_once(server: OpenAIStub) -> None:
    """A line break or non-ASCII in a rendered header was retried as a "connection error"
    (or escaped as a bare UnicodeEncodeError); a URL with another scheme was retried too."""
    for content, problem in (("a\r\nX-Injected: 1", "line break"), ("h\u00e9llo", "ASCII")):
        gen = _gen(server)
        assert gen.spec is not None
        gen.spec.request.headers["X-Query"] = "{{ content }}"
        [result] = await gen.generate_messages_settled(
            [[Message("user", content)]], [GenerateParams()]
        )
        assert isinstance(result, ProcessingError)
        assert "request.headers['X-Query'] renders" in str(result)
        assert problem in str(result)
    assert server.requests == []
    gen = _gen(server)
    assert gen.spec is not None
    gen.spec.request.url = "file:///etc/passwd"
    [result] = await gen.generate_messages_settled([[Message("user", "q")]], [GenerateParams()])
    assert isinstance(result, GenerationError)
    assert "1 attempt(s)" in str(result)
    assert "invalid request (UnsupportedProtocol)" in str(result)


async def test_secret_response_headers_are_masked_by_name(
    server: OpenAIStub, tmp_path: Path
) -> None:
    cookie, token = "sessCOOKIE-99887766", "srvTOKEN-5544"
    reply = {"choices": [{"message": {"content": "hi"}}]}
    headers = {"Set-Cookie": f"session={cookie}; HttpOnly", "X-Auth-Token": token, "X-Req": "abc"}
    server.script(*[RawReply(reply, headers=headers)] * 2)
    gen = _gen(server)
    [result] = await gen.generate_messages([[Message("user", "q")]], [GenerateParams()])
    assert result.extra["headers"]["set-cookie"] == MASK
    assert result.extra["headers"]["x-auth-token"] == MASK
    assert result.extra["headers"]["x-req"] == "abc"
    cached = gen.with_cache(tmp_path / "cache.db", force=True)
    chat = await cached.chat("q").run()
    stored = (tmp_path / "cache.db").read_bytes()
    for text in (json.dumps(result.extra), chat.model_dump_json(), stored.decode("latin-1")):
        assert cookie not in text
        assert token not in text
