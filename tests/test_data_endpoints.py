"""Loaded data may not choose where a request carrying this process's credentials goes.

A chat or completion loaded from JSON restores its generator from ``generator_id`` and may
carry ``params``; their endpoint settings (``api_base``, ``base_url``, anything naming a host
or holding a URL) are marked, and the LiteLLM generator refuses to send to a marked endpoint
unless it names this machine. litellm's ``acompletion`` is replaced by a recorder here
(except for the loopback stub), so a request that got through answers instead of reaching a
network.
"""

from __future__ import annotations

import json
from types import SimpleNamespace
from typing import Any

import pytest
from _servers.litellm_loop import server as server
from _servers.litellm_loop import stub as stub
from _servers.openai_stub import OpenAIStub

import rigging as rg
from rigging.error import GenerationError
from rigging.generator import GenerateParams
from rigging.generator._origin import _canonical, endpoint_settings, is_loopback, mark_from_data
from rigging.generator.litellm_ import import_litellm

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

EVIL = "https://collector.example/v1"
ENV_KEY = "sk-from-the-environment-0123456789"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """The keyword arguments of every chat request litellm was asked to send."""
    litellm = import_litellm()
    calls: list[dict[str, Any]] = []

    async def record(**kwargs: Any) -> Any:
        calls.append(kwargs)
        text = f"sent to {kwargs.get('api_base')}"
        message = SimpleNamespace(content=text, role="assistant", tool_calls=None)
        choice = SimpleNamespace(message=message, finish_reason="stop")
        return SimpleNamespace(id="r", choices=[choice], usage=None)

    monkeypatch.setattr(litellm, "acompletion", record)
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    return calls


def _row(generator_id: str | None, **extra: object) -> dict[str, object]:
    row: dict[str, object] = {"messages": [{"role": "user", "content": "q"}], **extra}
    if generator_id is not None:
        row["generator_id"] = generator_id
    return row


@pytest.mark.parametrize(
    "generator_id",
    [
        f"openai/gpt-x,api_base={EVIL}",
        f"openai/gpt-x,base_url={EVIL}",
        "openai/gpt-x,aws_bedrock_runtime_endpoint=collector.example",
        f"openai/gpt-x,innocent_name={EVIL}",
        "openai/gpt-x,api_base=http://localhost\\@collector.example/",
        # Secret words in the name, a destination all the same: litellm sends this
        # process's credentials there (GIGACHAT_CREDENTIALS, a Keycloak client secret).
        f"gigachat/GigaChat,gigachat_auth_url={EVIL}/oauth",
        "openai/gpt-x,anthropic_keycloak_token_url=collector.example:8443/token",
        f"huggingface/{EVIL}",  # the model name is the endpoint
    ],
)
@pytest.mark.asyncio(loop_scope="module")
async def test_a_loaded_chat_does_not_send_to_the_endpoint_its_data_names(
    generator_id: str, sent: list[dict[str, Any]]
) -> None:
    row = _row(generator_id)
    for chat in (rg.Chat.model_validate(row), rg.Chat.model_validate_json(json.dumps(row))):
        with pytest.raises(GenerationError, match="came from loaded data") as info:
            await chat.continue_("more").run()
        assert "refused to send a request for " in str(info.value)
        failed = await chat.continue_("more").catch(GenerationError, on_failed="include").run()
        assert failed.failed
        assert isinstance(failed.error, GenerationError)
        assert ENV_KEY not in str(failed.error)
    assert sent == []


@pytest.mark.asyncio(loop_scope="module")
async def test_loaded_params_cannot_redirect_a_generator_made_in_code(
    sent: list[dict[str, Any]],
) -> None:
    mine = rg.get_generator("openai/gpt-x")
    for params in ({"api_base": EVIL}, {"extra": {"base_url": EVIL}}):
        chat = rg.Chat.model_validate(_row(None, params=params))
        assert chat.params is not None
        assert chat.params._data_endpoints
        with pytest.raises(GenerationError, match=r"its (api_base|base_url) came from loaded"):
            await chat.restart(generator=mine).run()
        assert sent == []
        # Params set in code are the caller's choice.
        chat.params = None
        assert (await chat.restart(generator=mine).run()).last.content == "sent to None"
        sent.clear()


@pytest.mark.asyncio(loop_scope="module")
async def test_a_generator_and_params_the_caller_sets_are_trusted(
    sent: list[dict[str, Any]],
) -> None:
    chat = rg.Chat.model_validate(_row(f"openai/gpt-x,api_base={EVIL}"))
    assert chat.generator_id is not None
    mine = rg.get_generator(chat.generator_id)
    assert (await chat.restart(generator=mine).run()).last.content == f"sent to {EVIL}"
    own = rg.Chat(["q"], generator=rg.get_generator("openai/gpt-x"))
    own.params = GenerateParams(api_base=EVIL)
    assert (await own.continue_("x").run()).last.content == f"sent to {EVIL}"
    assert [call.get("api_key") for call in sent] == [None, None]


@pytest.mark.asyncio(loop_scope="module")
async def test_a_loaded_completion_is_held_to_the_same_rule(sent: list[dict[str, Any]]) -> None:
    row = {"text": "q", "generator_id": f"openai/gpt-x,api_base={EVIL}"}
    completion = rg.Completion.model_validate(row)
    with pytest.raises(GenerationError, match="came from loaded data"):
        await completion.continue_(" more").run()


@pytest.mark.asyncio(loop_scope="module")
async def test_the_marks_survive_copies_and_merges_and_the_error_masks_user_info(
    sent: list[dict[str, Any]],
) -> None:
    url = "https://user:hunter2-secret@collector.example/v1"
    chat = rg.Chat.model_validate(_row(f"openai/gpt-x,api_base={url}"))
    pipeline = chat.clone().continue_("x").with_(temperature=0.5).fork("y")
    with pytest.raises(GenerationError) as info:
        await pipeline.run()
    assert "hunter2-secret" not in str(info.value)
    assert "collector.example" in str(info.value)
    assert sent == []


# litellm's request path without an api_key imports a module of its own whose TypedDicts make
# pydantic warn (litellm 1.110); the warning is litellm's, not ours.
@pytest.mark.filterwarnings("ignore:Item.* `ReadOnly` qualifier:UserWarning")
@pytest.mark.asyncio(loop_scope="module")
async def test_an_endpoint_on_this_machine_may_come_from_data(
    server: OpenAIStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A saved chat of a local server (vLLM, Ollama...) runs again with the environment's key."""
    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    chat = rg.Chat.model_validate_json(
        json.dumps(_row(f"openai/stub-model,api_base={server.base_url}"))
    )
    assert is_loopback(server.base_url)
    answered = await chat.continue_("hello again").run()
    assert answered.last.content.endswith("hello again")
    [request] = server.requests
    assert request.headers["authorization"] == f"Bearer {ENV_KEY}"


def test_loopback_is_only_a_plain_url_naming_this_machine() -> None:
    near = [
        "http://localhost:8000/v1",
        "127.0.0.1:8000",
        "http://[::1]:80/",
        "localhost",
        "http://localhost.:8000/v1",
        "http://127.9.9.9",
        "http://0.0.0.0:8000/v1",  # what vLLM prints; connects here
        "http://[::ffff:127.0.0.1]:8000/",
        "http://localhost:8000/v1/a@b%20c",  # '@' and '%' in the path only
    ]
    far = [
        EVIL,
        "http://model.localhost/v1",  # a name the resolver may send to DNS
        "http://user:pw@localhost@collector.example/",
        "http://localhost@collector.example/",
        "http://collector.example\\@localhost/",
        "http://localhost%2ecollector.example/",
        "http://local host/",
        "http://localhost\n.collector.example/",
        "http://[::1/",
        "http://127.0.0.1:8000.collector.example/",
        "http://localhost:8000;collector.example/",
        "http://[::1]collector.example/",
        "",
    ]
    assert [v for v in near if not is_loopback(v)] == []
    assert [v for v in far if is_loopback(v)] == []


def test_endpoint_settings_marks_and_equality() -> None:
    deployments = [{"model_name": "m", "litellm_params": {"model": "openai/m", "api_base": EVIL}}]
    params = GenerateParams(
        api_base=EVIL,
        temperature=0.1,
        extra={
            "baseURL": "collector.example",
            "proxyHost": "10.0.0.1:3128",
            "database": "c",
            "note": "http://x",
            "n": 1,
            "model_list": deployments,
            "fallbacks": ["openai/other"],  # other models: no host of the data's
            "base_model": "azure/gpt-4-1106-preview",
            "user": "https://app.example/u/1",
            "metadata": {"source": "https://app.example"},
            "vertex_credentials": '{"token_uri": "https://oauth2.example/token"}',
        },
    )
    assert endpoint_settings(params) == [
        ("api_base", EVIL),
        ("baseURL", "collector.example"),
        ("proxyHost", "10.0.0.1:3128"),
        ("note", "http://x"),
        ("model_list", deployments),
    ]
    twin = params.model_copy(deep=True)
    mark_from_data(params)
    assert params == twin  # where a value came from is not part of it
    assert params.model_copy()._data_endpoints == params._data_endpoints
    merged = GenerateParams(max_tokens=3).merge_with(None, params, GenerateParams(seed=1))
    assert ("api_base", _canonical(EVIL)) in merged._data_endpoints
    assert not twin._data_endpoints
    assert not GenerateParams().merge_with(twin)._data_endpoints


@pytest.mark.asyncio(loop_scope="module")
async def test_deployments_and_fallbacks_in_loaded_params_are_endpoints_too(
    sent: list[dict[str, Any]],
) -> None:
    """litellm sends to the ``api_base`` of a ``model_list`` deployment or a fallback."""
    mine = rg.get_generator("openai/gpt-x")
    deployment = {"model": "openai/gpt-x", "api_base": EVIL}
    for extra in (
        {"model_list": [{"model_name": "openai/gpt-x", "litellm_params": deployment}]},
        {"fallbacks": [deployment]},
        {"context_window_fallback_dict": {"openai/gpt-x": {"deep": [{"base_url": EVIL}]}}},
    ):
        chat = rg.Chat.model_validate_json(json.dumps(_row(None, params={"extra": extra})))
        with pytest.raises(GenerationError, match="came from loaded data") as info:
            await chat.restart(generator=mine).run()
        assert "collector.example" in str(info.value)
    assert sent == []


@pytest.mark.asyncio(loop_scope="module")
async def test_saved_settings_that_do_not_route_run_again(sent: list[dict[str, Any]]) -> None:
    extras: list[dict[str, Any]] = [
        {"base_model": "azure/gpt-4-1106-preview"},
        {"user": "https://app.example/u/1"},
        {"metadata": {"source": "https://app.example"}},
        {"fallbacks": ["openai/gpt-y"]},
        {"api_base": "http://0.0.0.0:8000/v1"},
    ]
    for extra in extras:
        mine = rg.get_generator("openai/gpt-x", params=GenerateParams(extra=extra))
        saved = (await mine.chat("q").run()).model_dump_json()
        loaded = rg.Chat.model_validate_json(saved)
        assert (await loaded.continue_("more").run()).last.content.startswith("sent to")
    assert len(sent) == 2 * len(extras)


def test_secret_named_settings_are_endpoints_only_when_they_hold_a_destination() -> None:
    """A credential is not a destination; a secret-named URL setting is one."""
    secret = "sk-deployment-own-secret-0123456789"
    deployments = [{"model_name": "m", "litellm_params": {"api_key": secret, "api_base": EVIL}}]
    params = GenerateParams(
        extra={
            "gigachat_auth_url": f"{EVIL}/oauth",
            "anthropic_keycloak_token_url": "collector.example:8443/token",
            "token_endpoint": "collector.example",
            "api_key": secret,
            "proxy_password": "pa.ss",  # ends with no endpoint word: a credential
            "vertex_credentials": '{"token_uri": "https://oauth2.example/token"}',
            "auth": {"client_secret": secret, "token_url": EVIL},
            "model_list": deployments,
        }
    )
    assert [name for name, _ in endpoint_settings(params)] == [
        "gigachat_auth_url",
        "anthropic_keycloak_token_url",
        "token_endpoint",
        "auth",
        "model_list",
    ]
    mark_from_data(params)
    assert len(params._data_endpoints) == 5
    # Marks are digests: the secrets beside a marked destination are not copied into them.
    import pickle

    assert secret not in repr(params._data_endpoints)
    assert secret.encode() not in pickle.dumps(params._data_endpoints)
