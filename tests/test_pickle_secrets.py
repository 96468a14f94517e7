"""Pickled data holds no secret; a generator pickled on its own (for a worker) keeps its own.

Chats, completions, lists of them, run errors carrying ``completed`` results, stream events
and results loaded from checkpoints pickle their generator without the api key or any other
secret it holds (`Generator._secrets`), and their params without secret values. In-process
copies keep everything, and so does a generator or a pipeline pickled directly.
"""

from __future__ import annotations

import copy
import pickle
import pickletools
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from _servers.litellm_loop import server as server
from _servers.litellm_loop import stub as stub
from _servers.openai_stub import OpenAIStub
from pydantic import Field, PrivateAttr, SecretStr

import rigging as rg
from rigging.cache import CachedGenerator
from rigging.error import GenerationError, MessagesExhaustedMaxRoundsError
from rigging.generator import GenerateParams, Generator
from rigging.generator.http import HTTPGenerator
from rigging.generator.litellm_ import LiteLLMGenerator
from rigging.generator.testing import ScriptedGenerator
from rigging.model import Answer

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

ON_STUB = pytest.mark.asyncio(loop_scope="module")
"""litellm caches its clients per event loop: tests on the module's stub share its loop."""

SECRET = "sk-test-SECRET-123"
ENV_KEY = "sk-env-KEY-from-the-environment"
PROTOCOLS = range(pickle.HIGHEST_PROTOCOL + 1)

SPEC = {
    "request": {
        "url": "https://models.example/v1/chat?key=qry-SECRET-654&mode=fast",
        "headers": {
            "Authorization": "Bearer {{ api_key }}",
            "X-Api-Key": "hdr-SECRET-321",
            "Content-Type": "application/json",
        },
        "transforms": [{"type": "json", "pattern": {"q": "$content", "token": "body-SECRET-9"}}],
    },
    "response": {"transforms": [{"type": "jsonpath", "pattern": "$.answer"}]},
}


def _litellm() -> Generator:
    return rg.get_generator(f"openai/gpt-4o,api_key={SECRET}")


def _litellm_with_more_secrets() -> Generator:
    return rg.get_generator(
        f"openai/gpt-4o,api_key={SECRET},azure_ad_token=tok-SECRET-456,"
        "api_base=https://user:pw-SECRET-789@models.example/v1,temperature=0.5"
    )


def _http() -> Generator:
    return HTTPGenerator(model="my-model", spec=SPEC, api_key=SECRET, max_retries=0)


def _cached(tmp: Path) -> Generator:
    return _litellm_with_more_secrets().with_cache(tmp / "cache.db")


def _scripted() -> Generator:
    return ScriptedGenerator(
        responses=["<answer>42</answer>"],
        cycle=True,
        api_key=SECRET,
        params=GenerateParams(extra={"extra_headers": {"Authorization": "Bearer hdr-SECRET-1"}}),
    )


GENERATORS: dict[str, Callable[[Path], Generator]] = {
    "litellm": lambda _: _litellm(),
    "litellm-more": lambda _: _litellm_with_more_secrets(),
    "http": lambda _: _http(),
    "cached": _cached,
    "scripted": lambda _: _scripted(),
}


class TokenGenerator(ScriptedGenerator):
    """A custom generator keeping a token it obtained in private state."""

    _token: str | None = PrivateAttr(default=None)


def _secrets_of(generator: Generator) -> list[str]:
    found = [SECRET, *generator._secrets()]
    assert len(found) > 1 or isinstance(generator, LiteLLMGenerator)
    return found


def _payloads(value: object) -> Iterator[bytes]:
    for protocol in PROTOCOLS:
        payload = pickle.dumps(value, protocol=protocol)
        yield payload
        yield pickletools.optimize(payload)


def _assert_no_secret(value: object, secrets: list[str]) -> None:
    for payload in _payloads(value):
        for secret in secrets:
            assert secret.encode() not in payload, secret


def _chat(generator: Generator) -> rg.Chat:
    chat = rg.Chat(
        [{"role": "user", "content": "What is 6 * 7?"}],
        [{"role": "assistant", "content": "<answer>42</answer>"}],
        generator=generator,
        params=GenerateParams(max_tokens=20, extra={"session_token": "sess-SECRET-77"}),
    )
    chat.meta(topic="math")
    chat.last.parse(Answer)
    return chat


def _assert_same_content(restored: rg.Chat, original: rg.Chat) -> None:
    assert restored == original
    assert restored.uuid == original.uuid
    assert restored.messages == original.messages
    assert restored.generated == original.generated
    assert restored.metadata == original.metadata
    assert restored.last.parts == original.last.parts
    assert restored.generator_id == original.generator_id
    assert restored.model_dump_json() == original.model_dump_json()


# --- data pickles hold no secret --------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_a_pickled_chat_holds_no_secret(kind: str, tmp_path: Path) -> None:
    generator = GENERATORS[kind](tmp_path)
    chat = _chat(generator)
    secrets = [*_secrets_of(generator), "sess-SECRET-77"]
    _assert_no_secret(chat, secrets)
    restored = pickle.loads(pickle.dumps(chat))
    _assert_same_content(restored, chat)
    clean = restored.generator
    assert clean is not None
    assert type(clean) is type(generator)
    assert clean.model == generator.model
    assert clean.api_key is None
    assert clean._secrets() == []
    assert clean.to_identifier() == generator.to_identifier()
    assert restored.params is not None
    assert restored.params.max_tokens == 20
    assert "session_token" not in restored.params.extra
    # the chat pickled is left as it was
    assert generator.api_key == SECRET or isinstance(generator, CachedGenerator)
    assert generator._secrets() == _secrets_of(generator)[1:]
    assert chat.params is not None
    assert chat.params.extra["session_token"] == "sess-SECRET-77"


def test_the_clean_generator_keeps_settings_and_drops_secrets() -> None:
    generator = _litellm_with_more_secrets()
    clean = pickle.loads(pickle.dumps(_chat(generator))).generator
    assert isinstance(clean, LiteLLMGenerator)
    assert clean.params.temperature == 0.5
    assert clean.params.api_base == "https://models.example/v1"  # user-info left out
    assert "azure_ad_token" not in clean.params.extra
    assert clean.model_fields_set == generator.model_fields_set


def test_an_http_generators_spec_is_masked_as_its_identifier_carries_it() -> None:
    clean = pickle.loads(pickle.dumps(_chat(_http()))).generator
    assert isinstance(clean, HTTPGenerator)
    assert clean.spec is not None
    request = clean.spec.request
    assert request.headers == {
        "Authorization": "Bearer {{ api_key }}",  # a template holds no secret
        "X-Api-Key": "***",
        "Content-Type": "application/json",
    }
    assert request.url == "https://models.example/v1/chat?key=***&mode=fast"
    assert request.transforms[0].pattern == {"q": "$content", "token": "***"}


async def _watch(chats: list[rg.Chat]) -> None:
    pass


def test_private_state_stays_behind() -> None:
    generator = TokenGenerator(responses=["ok"], api_key=SECRET)
    generator._token = "oauth-SECRET-555"
    generator.watch(_watch)
    chat = _chat(generator)
    _assert_no_secret(chat, [SECRET, "oauth-SECRET-555"])
    clean = pickle.loads(pickle.dumps(chat)).generator
    assert isinstance(clean, TokenGenerator)
    assert clean._token is None
    assert clean.watch_callbacks == []
    assert clean.responses == ["ok"]
    assert generator._token == "oauth-SECRET-555"
    assert generator.watch_callbacks == [_watch]
    alone = pickle.loads(pickle.dumps(generator))  # for a worker: everything travels
    assert alone._token == "oauth-SECRET-555"
    assert alone.watch_callbacks == [_watch]


def test_a_message_with_parts_holds_no_secret() -> None:
    chat = _chat(_litellm())
    message = chat.last
    assert message.parts
    _assert_no_secret(message, [SECRET])
    assert pickle.loads(pickle.dumps(message)) == message


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_a_list_of_chats_pickles_one_clean_generator(kind: str, tmp_path: Path) -> None:
    generator = GENERATORS[kind](tmp_path)
    chats = rg.ChatList(_chat(generator) for _ in range(3))
    _assert_no_secret(chats, _secrets_of(generator))
    _assert_no_secret([chats, {"nested": (chats[0],)}], _secrets_of(generator))
    restored = pickle.loads(pickle.dumps(chats))
    assert isinstance(restored, rg.ChatList)
    assert restored == chats
    assert restored[0].generator is restored[2].generator  # shared, as in the original
    assert restored[0].generator is not None
    assert restored[0].generator.api_key is None


def test_a_completion_holds_no_secret() -> None:
    generator = _litellm_with_more_secrets()
    completion = rg.Completion("Count: ", "1 2 3", generator=generator)
    _assert_no_secret(completion, _secrets_of(generator))
    restored = pickle.loads(pickle.dumps(completion))
    assert restored == completion
    assert restored.generator is not None
    assert restored.generator.api_key is None


async def test_pipeline_results_and_their_events_hold_no_secret() -> None:
    generator = _scripted()
    pipeline = generator.chat("What is 6 * 7?").until_parsed_as(Answer)
    chats = await pipeline.run_many(3)
    events = [event async for event in pipeline.stream()]
    completions = await generator.complete("Count: ").run_many(2)
    secrets = _secrets_of(generator)
    for data in (chats, events, completions, await pipeline.run()):
        _assert_no_secret(data, secrets)
    assert pickle.loads(pickle.dumps(chats)) == chats
    assert pickle.loads(pickle.dumps(completions)) == completions


async def test_an_error_with_completed_chats_holds_no_secret() -> None:
    generator = ScriptedGenerator(
        responses=["<answer>1</answer>", "no", "<answer>3</answer>"], api_key=SECRET
    )
    pipeline = generator.chat("hi").until_parsed_as(Answer, max_rounds=0)
    with pytest.raises(MessagesExhaustedMaxRoundsError) as info:
        await pipeline.run_many(3)
    error = info.value
    completed = error.completed  # type: ignore[attr-defined]
    assert len(completed) == 2
    _assert_no_secret(error, [SECRET])
    restored = pickle.loads(pickle.dumps(error))
    assert isinstance(restored, MessagesExhaustedMaxRoundsError)
    assert restored.completed == completed  # type: ignore[attr-defined]
    assert restored.completed[0].generator.api_key is None  # type: ignore[attr-defined]
    # in-process copies keep the key
    for same in (copy.copy(error), copy.deepcopy(error)):
        assert same.completed[0].generator.api_key == SECRET  # type: ignore[attr-defined]


# --- in-process copies and generators pickled on their own keep their secrets -----------------


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_in_process_copies_keep_every_secret(kind: str, tmp_path: Path) -> None:
    generator = GENERATORS[kind](tmp_path)
    chat = _chat(generator)
    for same in (copy.copy(chat), copy.deepcopy(chat), chat.model_copy(deep=True)):
        assert same.generator is not None
        assert same.generator._secrets() == generator._secrets()
        assert same.params == chat.params
    assert copy.deepcopy(generator)._secrets() == generator._secrets()


@pytest.mark.parametrize("kind", sorted(GENERATORS))
def test_a_generator_or_pipeline_pickled_on_its_own_keeps_its_secrets(
    kind: str, tmp_path: Path
) -> None:
    generator = GENERATORS[kind](tmp_path)
    restored = pickle.loads(pickle.dumps(generator))
    assert type(restored) is type(generator)
    assert restored.to_identifier() == generator.to_identifier()
    assert restored._secrets() == generator._secrets()
    pipeline = pickle.loads(pickle.dumps(generator.chat("hi")))
    assert pipeline.generator._secrets() == generator._secrets()


# --- against the loopback server: runs, checkpoints, continuing an unpickled chat -------------


def _stub_generator(server: OpenAIStub) -> LiteLLMGenerator:
    return LiteLLMGenerator(
        model="openai/stub-model",
        api_key=SECRET,
        params=GenerateParams(api_base=server.base_url),
        max_retries=0,
    )


@ON_STUB
async def test_chats_of_a_remote_run_pickle_without_secrets_and_continue_with_the_env_key(
    server: OpenAIStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = _stub_generator(server)
    chats = await generator.chat("hello").run_many(2)
    assert generator.peak_connections >= 1  # the throttle exists, yet it all pickles
    _assert_no_secret(chats, [SECRET])
    again = pickle.loads(pickle.dumps(generator))
    assert again.api_key == SECRET
    assert again.max_connections == generator.max_connections
    deep = copy.deepcopy(chats)  # the throttle's asyncio state is not copied either
    assert deep == chats
    assert deep[0].generator is not None
    assert deep[0].generator.api_key == SECRET
    restored = pickle.loads(pickle.dumps(chats))
    assert restored == chats
    assert server.requests[-1].headers["authorization"] == f"Bearer {SECRET}"

    monkeypatch.setenv("OPENAI_API_KEY", ENV_KEY)
    continued = await restored[0].continue_("and again").run()
    assert continued.last.content == "and again"
    assert server.requests[-1].headers["authorization"] == f"Bearer {ENV_KEY}"

    monkeypatch.delenv("OPENAI_API_KEY")
    sent = len(server.requests)
    with pytest.raises(GenerationError) as info:
        await restored[1].continue_("once more").run()
    assert info.value.auth
    assert "no api key" in str(info.value)
    assert "OPENAI_API_KEY" in str(info.value)
    assert len(server.requests) == sent


@ON_STUB
async def test_checkpoint_data_and_resumed_results_hold_no_secret(
    server: OpenAIStub, tmp_path: Path
) -> None:
    path = tmp_path / "run.jsonl"
    generator = _stub_generator(server)
    pipeline = generator.chat("sys")
    first = await pipeline.run_batch(["a", "b", "c"], checkpoint=path)
    assert SECRET.encode() not in path.read_bytes()
    sent = len(server.requests)
    resumed = await pipeline.run_batch(["a", "b", "c"], checkpoint=path)
    assert len(server.requests) == sent  # every result came from the checkpoint
    assert resumed[0].generator is generator  # loaded results get the pipeline's generator
    _assert_no_secret([first, resumed], [SECRET])
    assert pickle.loads(pickle.dumps(resumed)) == resumed == first


class CredentialedGenerator(ScriptedGenerator):
    """A custom generator with credentials of its own and generators it falls back to."""

    access_token: str | None = None
    password: str | None = None
    signing: SecretStr | None = None
    fallbacks: list[Generator] = Field(default_factory=list)


class WithApiTools(ScriptedGenerator):
    """A scripted generator whose tools reach it through the API."""

    supports_api_tools = True


def test_secret_named_fields_secret_types_and_held_generators_are_dropped() -> None:
    inner = _litellm()
    generator = CredentialedGenerator(
        responses=["<answer>1</answer>"],
        access_token="tok-ACCESSTOKEN-123456",
        password="pw-PASSWORD-123456",
        signing=SecretStr("ss-SIGNING-123456"),
        fallbacks=[inner],
    )
    clean = generator._without_secrets()
    assert clean._secrets() == []
    assert clean.fallbacks[0].api_key is None
    assert (clean.access_token, clean.password, clean.signing) == (None, None, None)
    chat = _chat(generator)
    secrets = [
        "tok-ACCESSTOKEN-123456",
        "pw-PASSWORD-123456",
        "ss-SIGNING-123456",
        SECRET,
        *generator._secrets(),
    ]
    _assert_no_secret(chat, secrets)
    # In-process copies keep them.
    assert copy.deepcopy(generator).access_token == "tok-ACCESSTOKEN-123456"


async def test_a_tool_default_holding_a_key_stays_out_of_every_output() -> None:
    """Tool schemas are read as schemas: a parameter named `password` stays in them, while a
    key written as a parameter's default is masked (dropped from identifiers)."""
    key = "sk-live-TOOLDEFAULT-987654"

    def lookup(query: str, api_key: str = key) -> str:
        """Look something up at https://alice:pw-URLUSER-1@svc.example/x."""
        return query

    def login(user: str, password: str) -> str:
        """Log in."""
        return user

    chat = await WithApiTools(responses=["hello"]).chat("hi").using(lookup, login, mode="api").run()
    assert chat.params is not None
    assert chat.generator_id is not None
    shown = [chat.model_dump_json(), repr(chat), repr(chat.params), chat.generator_id]
    for text in shown:
        assert key not in text
        assert "pw-URLUSER-1" not in text
    assert '\\"password\\":{\\"type\\":\\"string\\"}' in chat.generator_id
    _assert_no_secret(chat, [key, "pw-URLUSER-1"])
    rebuilt = rg.get_generator(chat.generator_id)
    tools = rebuilt.params.tools
    assert tools is not None
    assert [t.function.name for t in tools] == ["lookup", "login"]
