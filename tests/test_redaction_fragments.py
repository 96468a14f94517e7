"""A URL setting's fragment (never sent to a server) is taken for a secret and never shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _servers.openai_stub import ErrorReply, OpenAIStub

import rigging as rg
from rigging import _redact
from rigging.error import GenerationError
from rigging.generator import GenerateParams, get_generator
from rigging.generator.http import HTTPGenerator

FRAGMENT = "sk-FRAGMENT-0123456789"
URL = f"https://host.example/v1#{FRAGMENT}"


def test_an_api_base_fragment_is_masked_in_every_view() -> None:
    params = GenerateParams(api_base=URL)
    views = {
        "repr": repr(params),
        "str": str(params),
        "dump": str(params.model_dump()),
        "json": params.model_dump_json(),
    }
    for name, text in views.items():
        assert FRAGMENT not in text, name
        assert "https://host.example/v1#***" in text, name
    assert params.api_base == URL  # the value itself is kept


@pytest.mark.parametrize(
    "connection",
    [f"openai/gpt-4o,api_base={URL}", "openai/gpt-4o"],
)
def test_an_api_base_fragment_is_left_out_of_identifiers(connection: str) -> None:
    generator = get_generator(connection)
    generator.params.api_base = URL
    identifier = generator.to_identifier()
    assert FRAGMENT not in identifier
    assert identifier.endswith("api_base=https://host.example/v1")
    assert FRAGMENT not in repr(generator)
    chat = rg.Chat([rg.Message("user", "hi")], generator=generator)
    assert FRAGMENT not in chat.model_dump_json()
    assert get_generator(identifier).params.api_base == "https://host.example/v1"


def test_an_echoed_fragment_is_redacted_from_error_text() -> None:
    generator = get_generator("openai/gpt-4o")
    params = GenerateParams(api_base=URL.replace("-0", "%2D0"))
    assert FRAGMENT in _redact.secret_values(params.model_dump(context=_redact.REVEAL))
    redact = generator._request_redactor(params)
    echoed = redact(f"404 for {URL}: {FRAGMENT} / {FRAGMENT.replace('-0', '%2D0')}")
    assert FRAGMENT not in echoed
    assert "0123456789" not in echoed


def test_an_http_spec_url_fragment_is_masked() -> None:
    spec = {
        "request": {"url": URL, "transforms": [{"type": "json", "pattern": {"a": "$content"}}]},
        "response": {"transforms": [{"type": "jsonpath", "pattern": "$.x"}]},
    }
    generator = HTTPGenerator(model="m", spec=spec)
    assert generator.spec is not None
    assert generator.spec.request.url == URL
    for text in (repr(generator), repr(generator.spec), generator.spec.model_dump_json()):
        assert FRAGMENT not in text
    reloaded = get_generator(generator.to_identifier())
    assert isinstance(reloaded, HTTPGenerator)
    assert reloaded.spec is not None
    assert FRAGMENT not in reloaded.spec.request.url


@pytest.mark.parametrize(
    "text",
    [
        "issue #5",
        "see https://docs.example/page#section and #5",  # free text, not one URL
        "https://host/v1#",
        "https://host/{{ model }}#{{ key }}",  # a template
        "{# comment #}https://host/v1",
    ],
)
def test_other_hashes_are_kept(text: str) -> None:
    assert _redact.mask_fragment(text) == text
    assert GenerateParams(api_base=text).model_dump()["api_base"] == text


def test_a_fragment_elsewhere_is_data_and_kept() -> None:
    route = "https://app.example/#/callback-route"  # sent in the body: not an endpoint
    generator = get_generator("openai/gpt-4o")
    generator.params.extra["callback"] = route
    generator.params.api_base = "https://host.example/v1#x1234"
    assert route in repr(generator.params)
    assert generator.params.model_dump()["extra"]["callback"] == route
    reloaded = get_generator(generator.to_identifier())
    assert reloaded.params.extra["callback"] == route
    assert reloaded.params.api_base == "https://host.example/v1"
    assert "/callback-route" not in _redact.secret_values(generator.params.model_dump())


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIStub]:
    with OpenAIStub() as running:
        yield running


async def test_an_http_spec_url_fragment_echoed_is_redacted(server: OpenAIStub) -> None:
    """Masked in the spec's views, the fragment is a secret of the generator as well.

    A server or proxy quoting it has it scrubbed from the error, and the URL a result
    records (``extra["url"]``, kept in chats and caches) shows it masked.
    """
    server.reset()
    fragment = "sk-SPECFRAG-97531"
    spec = {
        "request": {
            "url": f"{server.base_url}/chat/completions#{fragment}",
            "transforms": [
                {"type": "json", "pattern": {"model": "$model", "messages": "$messages"}}
            ],
        },
        "response": {
            "transforms": [{"type": "jsonpath", "pattern": "$.choices[0].message.content"}]
        },
    }
    generator = HTTPGenerator(model="stub-model", spec=spec, max_retries=0)
    assert fragment in generator._secrets()
    assert generator._redact(f"echo {fragment}") == "echo ***"
    assert _redact.redact_known(f"log {fragment}") == "log ***"
    [result] = await generator.generate_texts(["hi"], [GenerateParams()])
    assert result.extra["url"].endswith("/chat/completions#***")
    server.on_request(lambda request: ErrorReply(401, message=f"bad route #{fragment}"))
    try:
        with pytest.raises(GenerationError, match=r"HTTP 401.*bad route #\*\*\*") as info:
            await generator.generate_texts(["hi"], [GenerateParams()])
    finally:
        server.on_request(None)
    assert fragment not in str(info.value)
    chat = rg.Chat([rg.Message("user", "hi")], generator=generator)
    assert fragment not in chat.model_dump_json()
