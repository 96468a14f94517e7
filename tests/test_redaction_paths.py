"""Keys in URL paths: credential-shaped segments, webhook paths and given secrets are masked.

Every view (identifier, repr, dumps, a chat's dump and pickle) masks them, and a server that
echoes the path it got has them scrubbed from the error.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterator

import pytest
from _servers.openai_stub import OpenAIStub

import rigging as rg
from rigging import _redact
from rigging.error import ProcessingError
from rigging.generator import GenerateParams, get_generator
from rigging.generator.http import HTTPGenerator

#: Not a real key anywhere: 24 letters and digits, as a gateway token is.
GATEWAY_TOKEN = "Zx8kQ2pLm9RtV4wY7bN1cH6d"


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        (
            "https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/sendMessage",
            "bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw",
        ),
        ("https://hooks.slack.com/services/T000/B000/XXXXXXXX", "XXXXXXXX"),
        (
            "https://hooks.slack.com/services/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",
            "aBcD1234eFgH5678iJkL9012",
        ),
        ("https://discord.com/api/webhooks/1234567/AbCdEfGh_ij-12", "AbCdEfGh_ij-12"),
        ("https://host.example/v1/key/3f9a2c71/chat", "3f9a2c71"),
        ("https://host.example/api/token/tk-2024-0917/send", "tk-2024-0917"),
        (f"https://gateway.example/{GATEWAY_TOKEN}/v1", GATEWAY_TOKEN),
        ("https://gw.example/sk-proj-abc123def456/v1/chat", "sk-proj-abc123def456"),
        ("https://gw.example/hf_AbCdEfGhIjKlMnOpQr/models", "hf_AbCdEfGhIjKlMnOpQr"),
        ("https://gw.example/AIzaSyA1b2C3d4E5f6G7/v1", "AIzaSyA1b2C3d4E5f6G7"),
        ("https://gw.example/ghp_abcdef123456/repos", "ghp_abcdef123456"),
        ("https://gw.example/xoxb-1234-5678-abcdef/x", "xoxb-1234-5678-abcdef"),
        ("https://gw.example/sk%2Dproj%2Dabc123def456/v1", "sk%2Dproj%2Dabc123def456"),
        ("https://gw.example/AbCdEfGhIjKlMnOpQrStUv/v1", "AbCdEfGhIjKlMnOpQrStUv"),
    ],
)
def test_credential_path_segments_are_masked(url: str, secret: str) -> None:
    masked = _redact.mask_urls(url)
    assert secret not in masked
    assert "/***" in masked
    assert secret in _redact.secret_values(url)  # a known secret: echoes are scrubbed
    # in free text as well (a log line, an error quoting the URL)
    assert secret not in _redact.redact_text(f"POST {url} failed", [])
    # dropped secrets (identifiers) still mask a path segment: left out, it names another route
    assert "/***" in _redact.mask_urls(url, "")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.openai.com/v1/chat/completions",
        "https://router.huggingface.co/hf-inference/models/meta-llama/Llama-3.1-8B-Instruct/v1",
        "https://api.together.xyz/v1/models/mistralai/Mixtral-8x22B-Instruct-v0.1",
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-1.5-pro:streamGenerateContent",
        "https://x.example/v1/projects/my-project-123456/locations/us-central1/models/gpt-4o-mini",
        "https://bedrock.example/model/anthropic.claude-3-5-sonnet-20240620-v1:0/invoke",
        "https://host.example/threads/123e4567-e89b-12d3-a456-426614174000/runs",
        "https://host.example/auth/v1/token",
        "https://host.example/auth/realms/master/protocol/openid-connect/token",
        "https://host.example/v1/messages/count_tokens",
        "https://gw.example/sk-learn/hf_transfer/v1",
        "https://github.com/org/repo/settings/hooks/new",
        "https://hooks.slack.com/services/T000/B000",  # short ids: no token
        "https://host.example/v1/XMLHttpRequestHandlerFactory",
    ],
)
def test_ordinary_path_segments_are_kept(url: str) -> None:
    assert _redact.mask_urls(url) == url
    assert _redact.secret_values(url) == []
    assert GenerateParams(api_base=url).model_dump()["api_base"] == url


def _views(generator: rg.Generator) -> dict[str, str]:
    chat = rg.Chat([rg.Message("user", "hi")], generator=generator)
    return {
        "identifier": generator.to_identifier(),
        "repr": repr(generator),
        "str": str(generator),
        "dump": generator.model_dump_json(),
        "params": repr(generator.params),
        "chat": chat.model_dump_json(),
        "pickle": repr(pickle.dumps(chat)),
    }


def test_a_key_in_the_api_base_path_never_shows() -> None:
    url = f"https://gateway.example/{GATEWAY_TOKEN}/v1"
    generator = get_generator(f"openai/gpt-4o,api_base={url}")
    assert generator.params.api_base == url  # the value itself is sent as it is
    for name, text in _views(generator).items():
        assert GATEWAY_TOKEN not in text, name
    identifier = generator.to_identifier()
    assert identifier.endswith("api_base=https://gateway.example/***/v1")
    assert get_generator(identifier).params.api_base == "https://gateway.example/***/v1"
    saved = pickle.loads(pickle.dumps(rg.Chat([rg.Message("user", "x")], generator=generator)))
    assert saved.generator is not None
    assert GATEWAY_TOKEN not in repr(saved.generator.params.api_base)


def test_a_secret_given_as_such_is_masked_wherever_it_sits_in_a_url() -> None:
    """A key of no telling shape (a word, a digit) in a path: masked because it is the key."""
    key = "plainkey-4242"
    generator = get_generator(f"openai/gpt-4o,api_key={key}")
    generator.params.api_base = f"https://gw.example/{key}/v1?route=x-{key}"
    for name, text in _views(generator).items():
        assert key not in text, name
    assert "https://gw.example/***/v1?route=x-***" in generator.to_identifier()
    # params of their own: their secret-named values are masked in their URLs too
    params = GenerateParams(
        api_base="https://gw.example/own-key-7777/v1", extra={"x_api_key": "own-key-7777"}
    )
    shown = params.to_identifier_params()["api_base"]  # secret-named ones: left to the formatter
    for text in (repr(params), params.model_dump_json(), str(shown)):
        assert "own-key-7777" not in text


def test_a_key_in_a_spec_url_path_never_shows() -> None:
    spec = {
        "request": {
            "url": f"https://api.telegram.org/bot424242:{GATEWAY_TOKEN}/sendMessage",
            "transforms": [{"type": "json", "pattern": {"text": "$content"}}],
        }
    }
    generator = HTTPGenerator(model="m", spec=spec)
    for name, text in _views(generator).items():
        assert GATEWAY_TOKEN not in text, name
    assert f"bot424242:{GATEWAY_TOKEN}" in generator._secrets()
    assert _redact.redact_known(f"sent /bot424242:{GATEWAY_TOKEN}/x") == "sent /***/x"


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIStub]:
    with OpenAIStub() as running:
        yield running


@pytest.mark.parametrize("where", ["spec", "params"])
async def test_a_path_key_echoed_by_the_server_is_redacted(server: OpenAIStub, where: str) -> None:
    """The stub answers an unknown route with ``404 no route for <path>``: an echo of the key."""
    server.reset()
    token = f"tg{where}0123456789abcdefXYZ"
    root = server.base_url.removesuffix("/v1")
    url = f"{root}/{token}/chat" if where == "spec" else "{{ params.api_base }}/chat"
    spec = {
        "request": {"url": url, "transforms": [{"type": "json", "pattern": {"m": "$content"}}]},
        "response": {"valid_status_codes": [200]},
    }
    generator = HTTPGenerator(model="m", spec=spec, max_retries=0)
    params = GenerateParams(api_base=f"{root}/{token}")
    with pytest.raises(ProcessingError, match="404") as info:
        await generator.generate_texts(["x"], [params])
    assert server.requests[0].path == f"/{token}/chat"
    assert "no route for /***/chat" in str(info.value)
    assert token not in str(info.value)
