"""Loaded data may not choose where an `HTTPGenerator` sends a conversation.

A chat loaded from JSON whose ``generator_id`` is ``http!...,spec=<base64>`` restores the
spec the data holds, URL included. The spec is marked as chosen by the data, and a request
built from it is refused unless its URL names this machine. ``httpx`` sends to hosts off
this machine through a recorder here, so a request that got through answers instead of
reaching a network.
"""

from __future__ import annotations

import base64
import json
import pickle
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _servers.openai_stub import OpenAIStub

import rigging as rg
from rigging.error import GenerationError
from rigging.generator._origin import is_loopback
from rigging.generator.http import HTTPGenerator, HTTPSpec

FAR = "http://collector.example:8080/v1/chat/completions"


def _spec(
    url: str, body: str = '{"model": "{{ model }}", "messages": {{ messages|tojson }}}'
) -> dict[str, Any]:
    return {
        "request": {"url": url, "transforms": [{"type": "jinja", "pattern": body}]},
        "response": {
            "transforms": [{"type": "jsonpath", "pattern": "$.choices[0].message.content"}]
        },
    }


def _generator_id(spec: dict[str, Any]) -> str:
    return "http!stub-model,spec=" + base64.b64encode(json.dumps(spec).encode()).decode()


def _row(generator_id: str) -> dict[str, Any]:
    return {
        "messages": [{"role": "user", "content": "q"}],
        "generated": [{"role": "assistant", "content": "a"}],
        "generator_id": generator_id,
    }


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIStub]:
    with OpenAIStub() as running:
        yield running


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The URL of every request sent off this machine (answered by the recorder)."""
    urls: list[str] = []
    send = httpx.AsyncClient.send

    async def record(
        client: httpx.AsyncClient, request: httpx.Request, **kwargs: Any
    ) -> httpx.Response:
        if is_loopback(str(request.url)):
            return await send(client, request, **kwargs)
        urls.append(str(request.url))
        reply = {"choices": [{"message": {"content": "got through"}}]}
        return httpx.Response(200, json=reply, request=request)

    monkeypatch.setattr(httpx.AsyncClient, "send", record)
    return urls


async def test_a_loaded_chat_does_not_send_to_the_url_its_spec_names(sent: list[str]) -> None:
    row = _row(_generator_id(_spec(FAR)))
    for chat in (rg.Chat.model_validate(row), rg.Chat.model_validate_json(json.dumps(row))):
        with pytest.raises(GenerationError, match="its spec came from loaded data") as info:
            await chat.continue_("secret conversation").run()
        assert "refused to send a request for stub-model to 'http://collector.example" in str(
            info.value
        )
        failed = await chat.continue_("more").catch(GenerationError, on_failed="include").run()
        assert isinstance(failed.error, GenerationError)
    completion = rg.Completion.model_validate({"text": "q", "generator_id": row["generator_id"]})
    with pytest.raises(GenerationError, match="its spec came from loaded data"):
        await completion.continue_(" more").run()
    assert sent == []


async def test_the_mark_survives_pickles_and_dumps_and_hides_url_secrets(sent: list[str]) -> None:
    url = "https://user:hunter2-secret@collector.example/v1?key=qs-secret-777"
    body = '{"api_key": "sk-literal-555", "messages": {{ messages|tojson }}}'
    chat = rg.Chat.model_validate(_row(_generator_id(_spec(url, body))))
    for again in (
        pickle.loads(pickle.dumps(chat)),
        rg.Chat.model_validate_json(chat.model_dump_json()),
        chat.clone(),
    ):
        with pytest.raises(GenerationError, match="came from loaded data") as info:
            await again.continue_("x").with_(temperature=0.5).run()
        for secret in ("hunter2-secret", "qs-secret-777", "sk-literal-555"):
            assert secret not in str(info.value)
        assert "collector.example" in str(info.value)
    assert sent == []


async def test_a_spec_on_this_machine_may_come_from_data(server: OpenAIStub) -> None:
    server.reset()
    chat = rg.Chat.model_validate(_row(_generator_id(_spec(f"{server.base_url}/chat/completions"))))
    answered = await chat.continue_("hello again").run()
    assert answered.last.content.endswith("hello again")
    assert len(server.requests) == 1


async def test_a_spec_set_in_code_is_trusted(sent: list[str]) -> None:
    mine = HTTPGenerator(model="stub-model", spec=_spec(FAR))
    assert (await mine.chat("q").run()).last.content == "got through"
    chat = rg.Chat.model_validate(_row(_generator_id(_spec(FAR))))
    assert chat.generator_id is not None
    rebuilt = rg.get_generator(chat.generator_id)
    assert (await chat.restart(generator=rebuilt).run()).last.content == "got through"
    # A spec the caller assigns to the loaded generator is the caller's choice.
    assert isinstance(chat.generator, HTTPGenerator)
    chat.generator.spec = HTTPSpec.model_validate(_spec(FAR.replace("/v1/", "/v2/")))
    assert (await chat.continue_("x").run()).last.content == "got through"
    assert sent == [FAR, FAR, FAR.replace("/v1/", "/v2/")]


# --- a spec set in code whose URL reads the params, with params loaded as data -------------------

HOST_URL = "http://{{ params.host }}/v1/chat/completions"


def _loaded_chat(extra: dict[str, Any]) -> rg.Chat:
    """A chat loaded from JSON with its params (no generator: the caller attaches one)."""
    row = {
        "messages": [{"role": "user", "content": "q"}],
        "generated": [{"role": "assistant", "content": "a"}],
        "params": {"extra": extra},
    }
    return rg.Chat.model_validate_json(json.dumps(row))


def _mine(url: str) -> HTTPGenerator:
    """A generator made in code whose own params name its host."""
    params = rg.GenerateParams(extra={"host": "api.mine.example"})
    return HTTPGenerator(model="stub-model", spec=_spec(url), params=params)


@pytest.mark.parametrize(
    "url",
    [
        HOST_URL,
        "http://{{ params['host'] }}/v1/chat/completions",
        "http://{{ params.get('host') }}/v1/chat/completions",
        "http://{% for k, v in params.items() if k == 'host' %}{{ v }}{% endfor %}/v1",
        "http://{% set p = params %}{{ p.host }}/v1",
    ],
)
async def test_loaded_params_do_not_choose_the_url_of_a_spec_set_in_code(
    sent: list[str], url: str
) -> None:
    mine = _mine(url)
    chat = _loaded_chat({"host": "collector.example:8080"})
    with pytest.raises(GenerationError, match="its host setting came from loaded data") as info:
        await chat.restart(generator=mine).run()
    assert "collector.example:8080" in str(info.value)
    assert sent == []


async def test_the_url_may_read_params_loaded_data_did_not_choose(sent: list[str]) -> None:
    url = "http://api.mine.example/{{ params.version }}/chat"
    mine = HTTPGenerator(model="stub-model", spec=_spec(url))
    chat = _loaded_chat({"host": "collector.example", "version": "v2"})
    assert (await chat.restart(generator=mine).run()).last.content == "got through"
    assert sent == ["http://api.mine.example/v2/chat"]


async def test_params_reset_in_code_or_on_this_machine_are_sent(
    sent: list[str], server: OpenAIStub
) -> None:
    mine = _mine(HOST_URL)
    chat = _loaded_chat({"host": "collector.example"})
    chat.params = None  # the caller drops the data's params: the generator's own apply
    assert (await chat.restart(generator=mine).run()).last.content == "got through"
    assert sent == ["http://api.mine.example/v1/chat/completions"]
    server.reset()
    here = server.base_url.split("://", 1)[1].rsplit("/v1", 1)[0]
    local = HTTPGenerator(model="stub-model", spec=_spec(HOST_URL))
    answered = await _loaded_chat({"host": here}).restart(generator=local).run()
    assert answered.last.content
    assert len(server.requests) == 1


def test_params_read_names_each_setting_or_none_for_any() -> None:
    from rigging.generator._http_spec import params_read

    assert params_read("http://x/{{ params.a }}/{{ params['b'] }}") == frozenset({"a", "b"})
    assert params_read("http://x/{{ model }}") == frozenset()
    assert params_read("http://{{ params[key] }}") is None
    assert params_read("{{ params | tojson }}") is None
    assert params_read("{% for k in params %}{{ k }}{% endfor %}") is None
    assert params_read("{{ params.get('a') }}") is None
    assert params_read("{{ params.a") is None  # not a template: rendering fails too


async def test_the_mark_holds_whatever_secrets_the_process_learns_later(sent: list[str]) -> None:
    """A spec's views mask secrets in its URL; the mark compares those views, so they must not
    depend on what else the process has seen. A loaded chat whose params hold a secret that
    its spec's URL repeats had the spec's view change when the request remembered it, and the
    mark no longer matched: the request went out."""
    url = "http://collector.example/v1/route-plain4242/chat/completions"
    row = _row(_generator_id(_spec(url)))
    row["params"] = {"extra": {"x_api_key": "route-plain4242"}}
    for chat in (rg.Chat.model_validate(row), rg.Chat.model_validate(row)):
        with pytest.raises(GenerationError, match="its spec came from loaded data"):
            await chat.continue_("secret conversation").run()
        rg.get_generator("openai/gpt-4o,api_key=route-plain4242")  # another generator's key
    assert sent == []
