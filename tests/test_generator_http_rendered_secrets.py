"""Secrets an HTTP spec builds with template expressions (``{{ "sk-" ~ "abc" }}``).

What a secret-bearing place of the rendered request holds (a header under a secret name, the
URL's user-info, secret query values, key-shaped path segments and fragment, the body's
values under secret names) is a secret of that request, whatever expression made it: a
server echoing it has it scrubbed from the error, and logs and spans scrub it afterwards.
The views of the spec mask the literal pieces a secret is built from where they stand: in
a header under a secret name, in a value under a secret name, and in what a template's
syntax assigns to a secret name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from _servers.openai_stub import ErrorReply, OpenAIStub
from _spec_views import spec_views

from rigging import _redact
from rigging.error import GenerationError
from rigging.generator import GenerateParams
from rigging.generator.http import HTTPGenerator

#: In every literal piece below; not hex, so no uuid or digest holds it by chance.
_MARK = "zq7531"


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIStub]:
    with OpenAIStub() as running:
        yield running


def _spec(url: str, headers: dict[str, str], body: str) -> dict[str, Any]:
    return {
        "request": {
            "url": url,
            "headers": headers,
            "transforms": [{"type": "jinja", "pattern": body}],
        },
        "response": {
            "transforms": [{"type": "jsonpath", "pattern": "$.choices[0].message.content"}]
        },
    }


async def test_secrets_built_by_expressions_echoed_by_the_server_are_redacted(
    server: OpenAIStub,
) -> None:
    server.reset()
    spec = _spec(
        server.base_url + '/chat/completions?key={{ "sk-q-" ~ "zq7531" ~ "-query" }}',
        {
            "Authorization": "Bearer {{ 'sk-h-' ~ 'zq7531' ~ '-header' }}",
            "X-Trace": "{{ 'trace-1' }}",
        },
        '{"model": "{{ model }}", "api_key": "{{ ["sk-b", "zq7531", "body"] | join("-") }}",'
        ' "messages": {{ messages | tojson }}}',
    )
    generator = HTTPGenerator(model="stub-model", spec=spec, max_retries=0)
    rendered = ["sk-q-zq7531-query", "sk-h-zq7531-header", "sk-b-zq7531-body"]

    def echo(request: Any) -> ErrorReply:
        said = [request.query, request.headers["authorization"], request.json["api_key"]]
        return ErrorReply(401, message=f"rejected {' '.join(said)}")

    server.on_request(echo)
    try:
        for _ in range(2):  # remembered from the second request on (`remember_repeated`)
            with pytest.raises(GenerationError, match="HTTP 401") as info:
                await generator.generate_texts(["hi"], [GenerateParams()])
    finally:
        server.on_request(None)
    request = server.requests[-1]
    assert request.headers["authorization"] == f"Bearer {rendered[1]}"  # sent as rendered
    assert request.json["api_key"] == rendered[2]
    for text in (str(info.value), repr(info.value)):
        assert _MARK not in text
    for value in rendered:  # remembered: logs and spans scrub them too
        assert _redact.redact_known(f"log {value}") == "log ***"
    assert "trace-1" not in _redact.known_secrets()  # a header under another name is no secret


async def test_a_key_shaped_path_rendered_from_an_expression_is_redacted(
    server: OpenAIStub,
) -> None:
    server.reset()
    token = "{{ 'tg' ~ 'Rendered' ~ '0123456789abcdef' }}"
    spec = _spec(
        server.base_url.removesuffix("/v1") + f"/{token}/chat#{{{{ 'frag-' ~ '{_MARK}' }}}}",
        {},
        '{"m": {{ messages | tojson }}}',
    )
    spec["response"] = {"valid_status_codes": [200]}
    generator = HTTPGenerator(model="stub-model", spec=spec, max_retries=0)
    for _ in range(2):  # remembered from the second request on (`remember_repeated`)
        with pytest.raises(Exception, match="404") as info:
            await generator.generate_texts(["hi"], [GenerateParams()])
    assert server.requests[0].path == "/tgRendered0123456789abcdef/chat"
    assert "tgRendered0123456789abcdef" not in str(info.value)
    assert _redact.redact_known(f"frag-{_MARK}") == "***"


def test_rendered_secrets_are_those_of_the_secret_places() -> None:
    from rigging.generator._http_secrets import rendered_secrets

    conversation = "see https://u:conv-pw@x/conv-sk-proj-abc123def456\nToken: conv-zq7531"
    found = rendered_secrets(
        "https://u:pw-zq7531@host/sk-proj-zq7531abc/v1?sig=s-zq7531&page=2#f-zq7531",
        {"Authorization": "Bearer t-zq7531", "Accept": "application/json"},
        json.dumps({"client_secret": "c-zq7531", "messages": [{"content": conversation}]}),
    )
    for secret in ("pw-zq7531", "sk-proj-zq7531abc", "s-zq7531", "f-zq7531", "t-zq7531"):
        assert secret in found
    assert "c-zq7531" in found
    assert not {"2", "application/json", conversation} & set(found)
    assert not [secret for secret in found if "conv" in secret]  # the conversation is data
    form = rendered_secrets("https://host/v1", {}, "grant_type=x&client_secret=c2-zq7531&a=1")
    assert "c2-zq7531" in form


@pytest.mark.parametrize(
    ("headers", "shown"),
    [
        ({"Authorization": "Bearer sk-live-zq7531{{ '' }}"}, "Bearer ***{{ '' }}"),
        ({"X-Api-Key": "{{ 'sk-' ~ 'zq7531' }}"}, "{{ '***' ~ '***' }}"),
        ({"Authorization": "Bearer {{ api_key }}"}, "Bearer {{ api_key }}"),
        ({"Authorization": "{# zq7531 #}{{ api_key }}"}, "{#***#}{{ api_key }}"),
    ],
)
def test_literal_pieces_of_a_secret_header_template_are_masked(
    headers: dict[str, str], shown: str
) -> None:
    generator = HTTPGenerator(model="m", spec=_spec("http://127.0.0.1:1/v1", headers, "x"))
    assert generator.spec is not None
    assert generator.spec.model_dump()["request"]["headers"] == {next(iter(headers)): shown}
    for text in spec_views(generator):
        assert _MARK not in text
    assert generator.spec.request.headers == headers  # sent as written


@pytest.mark.parametrize(
    ("body", "masked"),
    [
        (
            '{% set api_key = "sk-live-" ~ "zq7531" %}{{ api_key }}',
            '{% set api_key = "***" ~ "***" %}{{ api_key }}',
        ),
        (
            "{{ dict(token=params.tok or 'fallback-zq7531').token }}",
            "{{ dict(token=params.tok or '***').token }}",
        ),
        (
            '{"api_key": "sk-zq7531-{{ model }}", "messages": {{ messages | tojson }}}',
            '{"api_key": "***{{ model }}", "messages": {{ messages | tojson }}}',
        ),
        (
            "grant_type=x&client_secret=zq7531x{{ model }}",
            "grant_type=x&client_secret=***{{ model }}",
        ),
    ],
)
def test_literal_pieces_of_secrets_in_a_body_template_are_masked(body: str, masked: str) -> None:
    generator = HTTPGenerator(model="m", spec=_spec("http://127.0.0.1:1/v1", {}, body))
    assert generator.spec is not None
    assert generator.spec.model_dump()["request"]["transforms"][0]["pattern"] == masked
    for text in spec_views(generator):
        assert _MARK not in text
    assert any(_MARK in secret for secret in generator._secrets())  # and scrubbed from echoes


def test_lookups_inside_a_secret_expression_are_kept() -> None:
    """A key looked up (``params.get("token")``) names where the secret comes from."""
    body = '{% set token = params.get("token", "") %}{"token": "{{ token }}"} token'
    generator = HTTPGenerator(model="m", spec=_spec("http://127.0.0.1:1/v1", {}, body))
    assert generator.spec is not None
    assert generator.spec.model_dump()["request"]["transforms"][0]["pattern"] == body


def test_values_made_per_request_are_not_remembered_process_wide() -> None:
    """A secret-named body value made per request (an idempotency key) was remembered for
    the whole process: the known secrets grew with every request, each remembering re-sorted
    them all (quadratic over a run), and a short common value then vanished from all logs."""
    from rigging._redact import store

    before = _redact.known_secrets()
    for n in range(store.SEEN_ONCE_MAX + 500):  # past the bound of values met once
        store.remember_repeated([f"idem-{n:06d}-zq7531"])
    assert _redact.known_secrets() == before
    assert len(store._seen_once) <= store.SEEN_ONCE_MAX
    store.remember_repeated(["stable-zq7531-key"])
    assert "stable-zq7531-key" not in _redact.known_secrets()
    store.remember_repeated(["stable-zq7531-key"])
    assert "stable-zq7531-key" in _redact.known_secrets()


async def test_a_generator_does_not_remember_a_value_it_renders_per_request(
    server: OpenAIStub,
) -> None:
    server.reset()
    spec = _spec(
        server.base_url + "/chat/completions",
        {},
        '{"model": "{{ model }}", "session_key": "s-{{ messages[-1].content }}-zq7531",'
        ' "messages": {{ messages | tojson }}}',
    )
    generator = HTTPGenerator(model="stub-model", spec=spec, max_retries=0)
    before = _redact.known_secrets()
    prompts = [f"prompt number {n}" for n in range(20)]
    await generator.generate_texts(prompts, [GenerateParams()] * len(prompts))
    assert len(server.requests) == len(prompts)
    assert not {s for s in _redact.known_secrets() - before if "prompt number" in s}
