"""Every kind of secret through every output channel: identifiers, reprs, str, dumps of
generators and chats, logs, spans and error messages (a 401 that echoes the key included)."""

from __future__ import annotations

import builtins
import json
import logging
import subprocess
import sys
import textwrap
import traceback
from typing import Any

import pytest
from _servers.litellm_loop import server as server
from _servers.litellm_loop import stub as stub
from _servers.openai_stub import ErrorReply, OpenAIStub, Reply
from pydantic import ValidationError

import rigging as rg
from rigging import _native
from rigging._redact import (
    MASK,
    is_secret_name,
    redact_exception,
    redact_text,
    redact_value,
    secret_values,
)
from rigging.error import GenerationError, InvalidModelSpecifiedError
from rigging.generator import GenerateParams, get_generator, get_identifier
from rigging.generator.identifier import parse_identifier
from rigging.generator.litellm_ import LiteLLMGenerator

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

# One value per kind of secret (all distinct, none a substring of another).
SECRETS = {
    "api_key": "sk-main-Qw3rTy0912",
    "API_KEY": "sk-upper-Zx8Cv7Bn65",
    "aws_secret_access_key": "AWSsecretAKIA0042xyz",
    "azure_ad_token": "eyJazureAdTok3n.abc",
    "authorization": "hdrBearerTok-77aa",
    "x_api_key": "hdrXApiKey-88bb",
    "password": "urlPassw0rd-99cc",
}
AUTH_HEADER = f"Bearer {SECRETS['authorization']}"


def _connection_string(api_base: str) -> str:
    headers = json.dumps({"Authorization": AUTH_HEADER, "X-Api-Key": SECRETS["x_api_key"]})
    base = api_base.replace("://", f"://me:{SECRETS['password']}@", 1)
    return (
        f"openai!stub-model,api_key={SECRETS['api_key']},API_KEY={SECRETS['API_KEY']},"
        f"aws_secret_access_key={SECRETS['aws_secret_access_key']},"
        f"azure_ad_token={SECRETS['azure_ad_token']},api_base={base},max_retries=1,"
        f"backoff_base=0.01,extra_headers={json.dumps(headers)},temperature=0.5"
    )


def _generator(server_url: str) -> Any:
    gen = get_generator(_connection_string(server_url).replace("openai!", "litellm!openai/"))
    assert isinstance(gen, LiteLLMGenerator)
    # Headers given as a dict (the usual way in Python) rather than a JSON string.
    gen.params.extra["extra_headers"] = {
        "Authorization": AUTH_HEADER,
        "X-Api-Key": SECRETS["x_api_key"],
    }
    return gen


def _assert_clean(text: str, where: str) -> None:
    for kind, secret in SECRETS.items():
        assert secret not in text, f"{kind} leaked through {where}: {text[:400]}"


def test_the_name_rule() -> None:
    for name in [
        "api_key",
        "API_KEY",
        "aws_secret_access_key",
        "azure_ad_token",
        "Authorization",
        "X-Api-Key",
        "hf_token",
        "client_secret",
        "db_password",
        "passwd",
        "vertex_credentials",
    ]:
        assert is_secret_name(name), name
    for name in ["max_tokens", "tokenizer", "pad_token_id", "api_base", "extra_headers", "model"]:
        assert not is_secret_name(name), name


def test_helpers() -> None:
    assert (
        redact_text("a sk-1234 b https://u:p@h/x", ["sk-1234", "no"]) == "a *** b https://***@h/x"
    )
    assert redact_text("abc", ["a", ""]) == "abc"  # too short to search for
    value = {"h": {"Authorization": "Bearer x"}, "u": ["s3://k:s@b/"], "j": '{"api-key": "v"}'}
    assert redact_value(value) == {
        "h": {"Authorization": MASK},
        "u": ["s3://***@b/"],
        "j": '{"api-key":"***"}',
    }
    assert redact_value(value, drop=True) == {"h": {}, "u": ["s3://b/"], "j": "{}"}
    found = secret_values(
        {"headers": {"Authorization": "Bearer tok-12345"}, "url": "https://u:pw12@h"}
    )
    assert {"Bearer tok-12345", "tok-12345", "u:pw12", "pw12"} <= set(found)
    exc = ValueError("key sk-1234 in body")
    exc.body = "sk-1234"  # type: ignore[attr-defined]
    assert str(redact_exception(exc, lambda t: t.replace("sk-1234", MASK))) == "key *** in body"
    assert exc.body == MASK  # type: ignore[attr-defined]
    # A str holding surrogates keeps them.
    assert _native.mask_userinfo("\ud800 http://a:b@c") == "\ufffd http://***@c"
    assert rg._redact.mask_urls("\ud800 http://a:b@c") == "\ud800 http://***@c"


def test_identifiers_reprs_and_dumps(tmp_path: Any) -> None:
    gen = _generator("http://127.0.0.1:9/v1")
    identifier = gen.to_identifier()
    assert identifier.startswith("litellm!openai/stub-model,")
    assert "api_base=http://127.0.0.1:9/v1" in identifier  # user-info left out, host kept
    assert "temperature=0.5" in identifier
    rebuilt = get_generator(identifier)  # still a working identifier, without the secrets
    assert rebuilt.params.api_base == "http://127.0.0.1:9/v1"
    params = GenerateParams(api_base=gen.params.api_base, extra=dict(gen.params.extra))
    chat = rg.Chat([rg.Message("user", "hi")], generator=gen, params=params)
    native = _native.Identifier.parse(_connection_string("http://h/v1"))
    surfaces = {
        "to_identifier": identifier,
        "get_identifier with params": get_identifier(gen, params),
        "native format": native.format(),
        "native repr": repr(native),
        "ParsedIdentifier repr": repr(parse_identifier(_connection_string("http://h/v1"))),
        "generator repr": repr(gen),
        "generator str": str(gen),
        "params repr": repr(gen.params),
        "generator model_dump": repr(gen.model_dump()),
        "generator model_dump json": json.dumps(gen.model_dump(mode="json")),
        "generator model_dump_json": gen.model_dump_json(),
        "params model_dump_json": gen.params.model_dump_json(),
        "chat repr": repr(chat),
        "chat model_dump": repr(chat.model_dump()),
        "chat model_dump_json": chat.model_dump_json(),
    }
    for where, text in surfaces.items():
        _assert_clean(text, where)
    assert MASK in surfaces["generator repr"]
    # The request itself still gets every secret.
    sent = gen.params.to_dict()
    assert sent["API_KEY"] == SECRETS["API_KEY"]
    assert sent["extra_headers"]["Authorization"] == AUTH_HEADER
    assert SECRETS["password"] in sent["api_base"]


def test_validation_errors_do_not_repeat_inputs() -> None:
    with pytest.raises(ValidationError) as info:
        GenerateParams(extra={"API_KEY": SECRETS["API_KEY"], "n": 2**70})
    _assert_clean(str(info.value), "GenerateParams validation error")
    with pytest.raises(InvalidModelSpecifiedError) as spec_info:
        rg.get_generator(f"base!m,max_tokens=-1,API_KEY={SECRETS['API_KEY']}")
    _assert_clean(str(spec_info.value), "get_generator error")


def test_logs(caplog: pytest.LogCaptureFixture) -> None:
    _generator("http://127.0.0.1:9/v1")  # the generator's secrets are remembered
    caplog.set_level(logging.DEBUG, logger="rigging")
    logger = logging.getLogger("rigging")  # the stdlib side (loguru's records: test_logging)
    everything = " ".join(SECRETS.values())
    logger.warning("provider said %s", everything)
    try:
        raise RuntimeError(f"boom {everything}")
    except RuntimeError:
        logger.exception("call failed at http://me:%s@h/", SECRETS["password"])
    assert caplog.records
    _assert_clean(caplog.text, "logs")
    assert MASK in caplog.text


@pytest.mark.asyncio(loop_scope="module")
async def test_provider_errors_that_echo_secrets(
    server: OpenAIStub, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    gen = _generator(server.base_url)
    # aiohttp refuses user-info in the URL it sends to along with an Authorization header: the
    # URL with a password goes in another parameter here.
    gen.params.api_base = server.base_url
    gen.params.extra["callback_url"] = f"https://me:{SECRETS['password']}@hooks.example/x"
    echo = "invalid credentials: " + " / ".join([*SECRETS.values(), AUTH_HEADER])
    failures: dict[str, BaseException] = {}
    for status in (401, 400):  # not retried: a GenerationError at once
        server.script(ErrorReply(status, message=echo))
        with pytest.raises(Exception, match="invalid credentials") as info:
            await gen.generate_messages([[rg.Message("user", "x")]], [GenerateParams()])
        failures[str(status)] = info.value
    server.script(*[ErrorReply(500, message=echo)] * 2)  # retried, then a GenerationError
    with pytest.raises(GenerationError) as gen_info:
        await gen.generate_messages([[rg.Message("user", "x")]], [GenerateParams()])
    failures["500"] = gen_info.value
    assert "HTTP 500" in str(failures["500"])
    assert isinstance(failures["401"], GenerationError)
    assert isinstance(failures["400"], GenerationError)
    assert "HTTP 401" in str(failures["401"])
    assert "invalid credentials" in str(failures["401"])
    for name, exc in failures.items():
        _assert_clean(str(exc), f"str of the {name} error")
        _assert_clean(repr(exc), f"repr of the {name} error")
        _assert_clean("".join(traceback.format_exception(exc)), f"traceback of the {status} error")
    # The headers and key reached the server: the secrets were only kept out of the output.
    request = server.requests[0]
    assert request.headers.get("authorization") == AUTH_HEADER
    assert request.headers.get("x-api-key") == SECRETS["x_api_key"]
    # A chat that failed carries the redacted error in its dump.
    server.script(ErrorReply(401, message=echo))
    chat = await gen.chat("x").catch(Exception, on_failed="include").run()
    assert chat.failed
    _assert_clean(chat.model_dump_json(), "failed chat dump")
    server.script(Reply("fine"))
    ok = await gen.chat("x").run()
    _assert_clean(ok.model_dump_json(), "chat dump")
    # Rigging's own records (third-party loggers such as litellm's DEBUG output are theirs).
    ours = [r for r in caplog.records if r.name.split(".")[0] == "rigging"]
    _assert_clean(" ".join(r.getMessage() + str(r.exc_text) for r in ours), "logs of the run")


SPAN_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    import logfire
    from logfire.testing import TestExporter
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    import rigging as rg
    from rigging.generator import GenerateParams
    from rigging.generator.testing import ScriptedGenerator
    from rigging.tracing import tracer

    secrets = json.loads(sys.argv[1])
    exporter = TestExporter()
    logfire.configure(
        send_to_logfire=False, console=False, inspect_arguments=False,
        additional_span_processors=[SimpleSpanProcessor(exporter)],
    )
    params = GenerateParams(
        api_base=f"https://me:{secrets['password']}@h/v1",
        extra={
            "API_KEY": secrets["API_KEY"],
            "aws_secret_access_key": secrets["aws_secret_access_key"],
            "azure_ad_token": secrets["azure_ad_token"],
            "extra_headers": {"Authorization": "Bearer " + secrets["authorization"],
                              "X-Api-Key": secrets["x_api_key"]},
        },
    )
    gen = ScriptedGenerator(
        responses=["fine"], cycle=True, api_key=secrets["api_key"], params=params,
    )
    asyncio.run(gen.chat("q").with_(temperature=0.5).run())

    async def boom(chat):
        raise RuntimeError("provider echoed " + " ".join(secrets.values()))

    try:
        asyncio.run(gen.chat("q").then(boom).run())
    except RuntimeError as exc:
        assert "provider echoed ***" in str(exc), exc
    with tracer.span("custom {x}", x="at " + secrets["API_KEY"], headers=params.extra) as span:
        span.set_attribute("echo", list(secrets.values()))
        span.set_attribute("API_KEY", "anything")
    try:
        with tracer.span("raising"):
            raise ValueError("raised with " + secrets["api_key"])
    except ValueError:
        pass
    json.dump(exporter.exported_spans_as_dict(), sys.stdout, default=str)
    """
)


def test_spans() -> None:
    out = subprocess.run(
        [sys.executable, "-c", SPAN_SCRIPT, json.dumps(SECRETS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    spans = json.loads(out.stdout)
    assert len(spans) >= 3
    text = json.dumps(spans)
    _assert_clean(text, "spans")
    assert MASK in text
    assert "provider echoed" in text


HTTP_SPEC = """
request:
  url: "http://127.0.0.1:9/v1/chat"
  headers:
    Authorization: "Bearer {{ api_key }}"
    X-Api-Key: LITERAL-hdr-secret-55
    Accept: application/json
  transforms:
    - type: json
      pattern:
        messages: $messages
response:
  transforms:
    - type: jsonpath
      pattern: $.choices[0].message.content
"""


def test_literal_secrets_in_an_http_spec() -> None:
    import base64

    from rigging.generator.http import HTTPGenerator

    gen = HTTPGenerator(model="m", api_key=SECRETS["api_key"], spec=HTTP_SPEC)
    spec_b64 = gen.model_dump()["spec"]
    dumped_spec = base64.b64decode(spec_b64).decode()
    identifier = gen.to_identifier()
    rebuilt_spec = base64.b64decode(get_generator(identifier).model_dump()["spec"]).decode()
    for where, text in {
        "repr": repr(gen),
        "dump": dumped_spec,
        "identifier": identifier,
        "identifier spec": rebuilt_spec,
    }.items():
        assert "LITERAL-hdr-secret-55" not in text, where
        assert SECRETS["api_key"] not in text, where
    assert "Bearer {{ api_key }}" in dumped_spec  # templates are kept: they hold no secret
    assert gen.spec is not None
    assert gen.spec.request.headers["X-Api-Key"] == "LITERAL-hdr-secret-55"  # still sent


QUERY_KEY = "AIzaQUERYsecret-0001"
SAS_SIG = "sv%2Bsig-SAS-0002"
DSN_PASSWORD = "DSNpw-0003-abcdef"


def test_secrets_in_url_query_strings() -> None:
    from rigging.generator.testing import ScriptedGenerator

    gen = get_generator(
        "litellm!gemini/gemini-pro,api_base=https://generativelanguage.googleapis.com/v1"
        f"?alt=sse&key={QUERY_KEY}"
    )
    params = GenerateParams(
        api_base=f"https://acct.blob.core.windows.net/c?sv=2022&sig={SAS_SIG}&se=1",
        extra={"replica_url": f"postgres://db/x?password={DSN_PASSWORD}&sslmode=require"},
    )
    scripted = ScriptedGenerator(responses=["ok"], params=params)
    chat = rg.Chat([rg.Message("user", "hi")], generator=scripted, params=params)
    secrets = [QUERY_KEY, SAS_SIG, DSN_PASSWORD]
    surfaces = {
        "identifier": gen.to_identifier(),
        "repr": repr(gen),
        "model_dump_json": gen.model_dump_json(),
        "scripted identifier": scripted.to_identifier(),
        "params repr": repr(params),
        "chat dump": chat.model_dump_json(),
        "error text": rg._redact.redact_known(f"GET /v1?key={QUERY_KEY} failed"),
    }
    for where, text in surfaces.items():
        for secret in secrets:
            assert secret not in text, f"{secret} leaked through {where}: {text}"
    # Identifiers leave the secret pair out and keep the rest of the URL.
    assert "api_base=https://generativelanguage.googleapis.com/v1?alt=sse," in (
        surfaces["identifier"] + ","
    )
    assert "?sv=2022&se=1" in surfaces["scripted identifier"]
    assert f"key={MASK}" in surfaces["repr"]
    assert "sslmode=require" in surfaces["params repr"]
    # The values are known secrets (raw and decoded), and the request still gets them.
    assert {QUERY_KEY, SAS_SIG, "sv+sig-SAS-0002", DSN_PASSWORD} <= rg._redact.known_secrets()
    assert QUERY_KEY in gen.params.to_dict()["api_base"]
    assert (
        rg._redact.mask_urls("https://h/p?a=1&api_key=zz12#f x")
        == "https://h/p?a=1&api_key=***#f x"
    )
    assert rg._redact.mask_urls("https://h/p?key=zz12;b=2", "") == "https://h/p?b=2"
    assert rg._redact.mask_urls("what? token=1") == "what? token=1"


def test_more_secret_names() -> None:
    for name in ["sig", "signature", "sas", "session", "sessionid", "session_id"]:
        assert is_secret_name(name), name
    for name in ["client_assertion", "pw", "Set-Cookie", "JWT", "creds", "hmac", "otp"]:
        assert is_secret_name(name), name
    for name in ["signal", "design", "pwm", "credit", "passthrough", "hotplug"]:
        assert not is_secret_name(name), name
    # Personal access tokens (`github_pat`), not words that merely start with "pat".
    for name in ["github_pat", "GH_PAT", "adoPat"]:
        assert is_secret_name(name), name
    for name in ["path", "patch", "pattern", "patience", "dispatch"]:
        assert not is_secret_name(name), name


def test_secret_urls_connection_strings_and_words_ending_in_key() -> None:
    for name in ["SENTRY_DSN", "SLACK_WEBHOOK_URL", "webhookUri", "DATABASE_URL", "conn_str"]:
        assert is_secret_name(name), name
    for name in ["AZURE_STORAGE_CONNECTION_STRING", "passkey", "monkey_api_key"]:
        assert is_secret_name(name), name
    for name in ["monkey", "turkey", "hotkey", "webhook", "webhook_enabled", "database"]:
        assert not is_secret_name(name), name
    # A value under such a name is masked in reprs and left out of identifiers.
    params = rg.GenerateParams(extra={"webhook_url": "https://hooks.example/T0/B0/abcdef"})
    assert "abcdef" not in repr(params)
    assert "abcdef" not in rg.get_generator("litellm!m").to_identifier(params)
    assert "monkey=banana" in rg.get_generator("litellm!m").to_identifier(
        rg.GenerateParams(extra={"monkey": "banana"})
    )


TRUNCATED_KEY = "sk-proj-TRUNCATEDKEY-0123456789abcdefghij"


def _cut_key_message() -> str:
    """A provider message whose echoed key straddles the `MAX_DETAIL` cut."""
    from rigging.generator._remote import MAX_DETAIL

    return "x" * (MAX_DETAIL - 15) + " key=" + TRUNCATED_KEY


@pytest.mark.asyncio(loop_scope="module")
async def test_a_key_cut_by_truncation_does_not_leak(server: OpenAIStub) -> None:
    from rigging.generator._remote import clip_detail
    from rigging.generator.litellm_ import _next_chunk

    gen = LiteLLMGenerator(
        model="openai/stub",
        api_key=TRUNCATED_KEY,
        params=GenerateParams(api_base=server.base_url),
        max_retries=0,
    )
    spaced = "pass  phrase\twith\nspaces-1234"  # joining its white space would hide it
    assert clip_detail(f"bad {spaced}", lambda t: t.replace(spaced, MASK)) == f"bad {MASK}"
    server.script(ErrorReply(401, message=_cut_key_message()))
    with pytest.raises(GenerationError) as info:
        await gen.generate_messages([[rg.Message("user", "x")]], [GenerateParams()])
    text = "".join(traceback.format_exception(info.value))
    assert TRUNCATED_KEY[:10] not in text, text

    class Broken:
        async def __anext__(self) -> Any:
            raise RuntimeError(_cut_key_message())

    with pytest.raises(GenerationError) as stream_info:
        await _next_chunk(Broken(), gen.model, 3, gen._request_redactor(None))
    assert TRUNCATED_KEY[:10] not in "".join(traceback.format_exception(stream_info.value))
    assert "broke after 3 chunk(s)" in str(stream_info.value)


@pytest.mark.asyncio
async def test_a_failed_chat_dumps_its_error_redacted() -> None:
    from collections.abc import Sequence

    from rigging.generator import GeneratedMessage, GeneratedText, Generator

    key, param_secret = "sk-chatERR-KEY-5566", "ParamSecret-7788"

    class Failing(Generator):
        async def generate_messages(
            self, messages: Sequence[Sequence[rg.Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage]:
            raise RuntimeError(f"upstream said: invalid key {self.api_key} / {param_secret}")

        async def generate_texts(
            self, texts: Sequence[str], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedText]:
            raise RuntimeError(f"upstream said: invalid key {self.api_key} / {param_secret}")

    gen = Failing(model="m", api_key=key, params=GenerateParams(extra={"x_token": param_secret}))
    chat = await gen.chat("x").catch(Exception, on_failed="include").run()
    completion = await gen.complete("x").catch(Exception, on_failed="include").run()
    assert chat.failed
    assert completion.failed
    dumps = {
        "chat json": chat.model_dump_json(),
        "completion json": completion.model_dump_json(),
        "flatten": json.dumps(rg.data.flatten_chats([chat]), default=str),
        "to_df": chat.to_df().to_json(date_format="iso"),
    }
    for where, text in dumps.items():
        assert key not in text, where
        assert param_secret not in text, where
        assert "upstream said: invalid key ***" in text, where
    assert rg.Chat.model_validate_json(dumps["chat json"]) == chat  # compared redacted


async def test_a_custom_generators_error_is_scrubbed_before_it_leaves_the_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from collections.abc import Sequence

    from rigging.generator import GeneratedMessage, GeneratedText, Generator

    key, env_key, param_secret = "sk-custom-KEY-1122", "envKEY-from-3344", "ParamSecret-5566"
    monkeypatch.setenv("ACME_API_KEY", env_key)

    class Leaky(Generator):
        async def generate_messages(
            self, messages: Sequence[Sequence[rg.Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage]:
            raise ValueError(f"refused {self.api_key} / {env_key} / {params[0].extra}")

        async def generate_texts(
            self, texts: Sequence[str], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedText]:
            cause = KeyError(f"cause holds {env_key}")
            raise RuntimeError(f"refused {self.api_key}") from cause

    gen = Leaky(model="m", api_key=key)
    pipeline = gen.chat("x").with_(extra={"x_api_key": param_secret})
    with pytest.raises(ValueError, match="refused") as raised:
        await pipeline.run()
    texts = [str(raised.value), "".join(traceback.format_exception(raised.value))]
    with pytest.raises(RuntimeError, match="refused") as raised_text:
        await gen.complete("x").run()
    texts.append("".join(traceback.format_exception(raised_text.value)))
    chats = await gen.chat("x").catch(ValueError).run_many(2, on_failed="include")
    texts += [str(c.error) for c in chats] + [c.model_dump_json() for c in chats]
    for text in texts:
        assert key not in text
        assert env_key not in text
        assert param_secret not in text
    assert "refused ***" in texts[0]


def test_chat_and_completion_validation_errors_do_not_repeat_inputs() -> None:
    key = "sk-VALID-ERR-1357"
    cases: list[tuple[type[rg.Chat] | type[rg.Completion], dict[str, Any]]] = [
        (rg.Chat, {"messages": [], "generator_id": f"no-such-provider!m,api_key={key}"}),
        (rg.Chat, {"messages": [{"role": "bogus", "content": key}]}),
        (
            rg.Completion,
            {"text": "t", "generated": 5, "generator_id": f"no-such-provider!m,api_key={key}"},
        ),
    ]
    for cls, data in cases:
        with pytest.raises(ValidationError) as info:
            cls.model_validate_json(json.dumps(data))
        assert key[-8:] not in str(info.value), str(info.value)


def test_headers_as_lists_of_pairs_and_other_containers() -> None:
    from rigging.generator.testing import ScriptedGenerator

    tokens = {
        "pairs": "HLtok-0003-abcdef",
        "json array": "JAtok-0011-abcdef",
        "python repr": "PRtok-0005-abcdef",
        "trailing comma": "BJtok-0004-abcdef",
    }
    extra = {
        "extra_headers": [("Authorization", "Bearer " + tokens["pairs"]), ("Accept", "a/b")],
        "headers2": '[["X-Api-Key", "' + tokens["json array"] + '"]]',
        "headers3": "{'Authorization': 'Bearer " + tokens["python repr"] + "'}",
        "headers4": '{"Authorization": "Bearer ' + tokens["trailing comma"] + '",}',
    }
    params = GenerateParams(extra=extra)
    gen = ScriptedGenerator(responses=["ok"], params=params)
    chat = rg.Chat([rg.Message("user", "hi")], generator=gen, params=params)
    surfaces = {
        "repr": repr(gen),
        "identifier": gen.to_identifier(),
        "dump": gen.model_dump_json(),
        "params repr": repr(params),
        "chat dump": chat.model_dump_json(),
    }
    for where, text in surfaces.items():
        for kind, token in tokens.items():
            assert token not in text, f"{kind} leaked through {where}: {text}"
    assert "a/b" in surfaces["identifier"]  # other headers are kept
    assert redact_value([("Authorization", "x"), ("Accept", "y")]) == [
        ("Authorization", MASK),
        ("Accept", "y"),
    ]
    assert redact_value('[["X-Api-Key", "k"]]', drop=True) == "[]"
    assert set(tokens.values()) <= set(secret_values(extra))
    assert params.to_dict()["extra_headers"][0][1] == "Bearer " + tokens["pairs"]  # still sent
    # Text nested too deeply is no container (and no crash).
    deep = "[" * 5000 + "]" * 5000
    assert redact_value(deep) == deep
    assert redact_value("{" * 5000) == "{" * 5000


@pytest.mark.asyncio(loop_scope="module")
async def test_secrets_of_one_request_are_redacted(server: OpenAIStub) -> None:
    gen = LiteLLMGenerator(
        model="openai/stub",
        api_key="sk-gen-own-1234",
        params=GenerateParams(api_base=server.base_url),
        max_retries=0,
    )
    secret = "reqLevelSecret-9876"
    requests = {
        "extra": GenerateParams(extra={"aws_secret_access_key": secret}),
        "header": GenerateParams(extra={"extra_headers": {"Authorization": "Bearer " + secret}}),
        "header pairs": GenerateParams(extra={"extra_headers": [("X-Api-Key", secret)]}),
    }
    for where, params in requests.items():
        server.script(ErrorReply(400, message=f"unknown value: {secret}"))
        with pytest.raises(GenerationError) as info:
            await gen.generate_messages([[rg.Message("user", "x")]], [params])
        text = "".join(traceback.format_exception(info.value))
        assert secret not in text, where
        assert "unknown value: ***" in text, where
    streamed = "reqStreamSecret-5432"
    server.script(ErrorReply(400, message=f"bad {streamed}"))
    with pytest.raises(GenerationError) as stream_info:
        async for _ in gen.stream_messages(
            [rg.Message("user", "x")], GenerateParams(extra={"API_KEY": streamed})
        ):
            pass
    assert streamed not in "".join(traceback.format_exception(stream_info.value))
    # Params given to a pipeline: the failed chat's dump and later logs/spans scrub them.
    piped = "reqPipeSecret-1357"
    server.script(ErrorReply(401, message=f"bad key {piped}"))
    chat = (
        await gen.chat("x")
        .with_(extra={"API_KEY": piped})
        .catch(Exception, on_failed="include")
        .run()
    )
    assert chat.failed
    assert piped not in chat.model_dump_json()
    assert piped in rg._redact.known_secrets()


@pytest.mark.asyncio(loop_scope="module")
async def test_a_key_from_the_environment_is_redacted(
    server: OpenAIStub, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_key = "sk-EnvKey-ZYXWVU-2468"
    monkeypatch.setenv("OPENAI_API_KEY", env_key)
    monkeypatch.setenv("RIGGING_TEST_DISABLE_AUTH", "disabled")  # a word, not a key
    gen = LiteLLMGenerator(
        model="openai/stub", params=GenerateParams(api_base=server.base_url), max_retries=0
    )
    server.script(ErrorReply(401, message=f"Incorrect API key provided: {env_key}"))
    with pytest.raises(GenerationError) as info:
        await gen.generate_messages([[rg.Message("user", "x")]], [GenerateParams()])
    assert env_key not in "".join(traceback.format_exception(info.value))
    assert server.requests[-1].headers.get("authorization") == f"Bearer {env_key}"  # still sent
    server.script(ErrorReply(401, message=f"Incorrect API key provided: {env_key}"))
    chat = await gen.chat("x").catch(Exception, on_failed="include").run()
    assert env_key not in chat.model_dump_json()
    assert "disabled" not in rg._redact.environment_secrets()


def test_redact_exception_follows_every_link_and_container() -> None:
    key = "sk-exc-KEY-8642"

    def scrub(text: str) -> str:
        return text.replace(key, MASK)

    payload = {"detail": f"echo {key}", "items": [key, 3]}
    inner = ValueError(payload)
    context = KeyError(f"context {key}")
    cause = RuntimeError(f"cause {key}")
    group_type = getattr(builtins, "ExceptionGroup", None)  # 3.11+
    if group_type is not None:
        group: BaseException = group_type("many", [inner, TypeError(f"member {key}")])
    else:  # no groups before 3.11: the members are reached as a context chain
        group = TypeError(f"member {key}")
        group.__context__ = inner
    top = RuntimeError(f"top {key}")
    top.__cause__ = cause
    cause.__context__ = context  # reached through the cause
    top.__context__ = group  # a context beside a cause is followed too
    top.body = {"message": key}  # type: ignore[attr-defined]
    assert redact_exception(top, scrub) is top
    text = "".join(traceback.format_exception(top)) + repr(vars(top))
    assert key not in text, text
    assert "detail': 'echo ***'" in repr(inner)
    assert payload == {"detail": f"echo {key}", "items": [key, 3]}  # the caller's dict kept


@pytest.mark.asyncio(loop_scope="module")
async def test_a_key_echoed_encoded_is_redacted(server: OpenAIStub) -> None:
    """A base64 key (``/``, ``+``, ``=``) echoed as a URL or JSON holds it: percent-encoded
    (either hex case, ``+`` for a space or not), with ``\\/`` for ``/``, HTML-escaped."""
    import html
    import urllib.parse

    key = "wJalrXUtnFEMI/K7MDENG+bPxRf<i>CYEXAMPLE=="
    forms = {
        "raw": key,
        "query": urllib.parse.quote(key, safe=""),
        "path": urllib.parse.quote(key),
        "form": urllib.parse.quote_plus(key),
        "lower hex": urllib.parse.quote(key, safe="").replace("%2B", "%2b").replace("%3D", "%3d"),
        "json": json.dumps(key)[1:-1],
        "json slash": json.dumps(key)[1:-1].replace("/", "\\/"),
        "html": html.escape(key),
    }
    for name, form in forms.items():
        assert redact_text(f"bad key {form}!", [key]) == f"bad key {MASK}!", name
    gen = _stub_generator(server, key)
    server.script(ErrorReply(401, message="refused: " + " ".join(forms.values())))
    with pytest.raises(GenerationError) as info:
        await gen.generate_messages([[rg.Message("user", "x")]], [GenerateParams()])
    text = "".join(traceback.format_exception(info.value))
    assert "refused" in text
    for name, form in forms.items():
        assert form not in text, name


def test_the_working_directory_is_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """`pwd` is a secret word, but PWD holds a path: every path under it showed as `***/`."""
    from rigging._redact import environment_secrets

    monkeypatch.setenv("PWD", "/home/someone/project-2024")
    monkeypatch.setenv("OLDPWD", "/home/someone/other-2023")
    monkeypatch.setenv("DB_PWD", "s3cret-pass-2024")
    found = environment_secrets()
    assert "/home/someone/project-2024" not in found
    assert "/home/someone/other-2023" not in found
    assert "s3cret-pass-2024" in found


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and every exception reachable from it: causes and contexts, suppressed or not."""
    seen: list[BaseException] = []
    pending = [exc]
    while pending:
        current = pending.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        pending.extend(e for e in (current.__cause__, current.__context__) if e is not None)
    return seen


def _stub_generator(server: OpenAIStub, key: str) -> LiteLLMGenerator:
    """A litellm generator with `key`, talking to the stub, without retries."""
    return LiteLLMGenerator(
        model="openai/stub-model",
        api_key=key,
        params=GenerateParams(api_base=server.base_url),
        max_retries=0,
    )


@pytest.mark.asyncio(loop_scope="module")
async def test_a_suppressed_context_does_not_keep_the_echoed_key(server: OpenAIStub) -> None:
    """A provider error whose text holds the key is left out of the chain: not the cause,
    and not the (suppressed, but reachable) __context__ of the final error either."""
    from rigging.generator.litellm_ import _next_chunk

    key = "sk-probe-ZZZ-12345"
    gen = _stub_generator(server, key)
    server.script(ErrorReply(401, message=f"Incorrect API key provided: {key}"))
    with pytest.raises(GenerationError) as info:
        await gen.generate_messages([[rg.Message("user", "x")]], [GenerateParams()])

    class Broken:
        async def __anext__(self) -> Any:
            raise RuntimeError(f"stream refused {key}")

    redact = gen._request_redactor(None)
    with pytest.raises(GenerationError) as stream_info:
        await _next_chunk(Broken(), gen.model, 3, redact)
    with pytest.raises(GenerationError) as idle_info:
        await _next_chunk(Broken(), gen.model, 3, redact, idle=5.0)
    for error in (info.value, stream_info.value, idle_info.value):
        assert "***" in str(error)
        for linked in _chain(error):
            assert key not in f"{linked!s} {linked!r} {linked.args!r}", repr(linked)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_key_echoed_in_another_case_is_redacted(server: OpenAIStub) -> None:
    key = "sk-probe-ZZZ-12345"
    assert redact_text(f"a {key.upper()} b {key.lower()} c", [key]) == f"a {MASK} b {MASK} c"
    gen = _stub_generator(server, key)
    server.script(ErrorReply(401, message=f"Incorrect API key provided: {key.upper()}"))
    chat = await gen.chat("x").catch(Exception, on_failed="include").run()
    assert chat.failed
    dumped = chat.model_dump_json()
    assert "Incorrect API key provided: ***" in dumped
    assert key.upper() not in dumped


def test_a_header_string_that_is_not_valid_json_keeps_its_secrets_out() -> None:
    key = "sk-probe-ZZZ-12345"
    typo = '{"Authorization": "Bearer ' + key + '", "X-Trace": 1,'  # a trailing comma, no brace
    params = GenerateParams(extra={"extra_headers": typo})
    gen = LiteLLMGenerator(model="openai/m", params=params)
    for where, text in {
        "params repr": repr(params),
        "params dump": json.dumps(params.model_dump()),
        "generator repr": repr(gen),
        "identifier": gen.to_identifier(),
    }.items():
        assert key not in text, where
    assert '"X-Trace": 1' in repr(params)


@pytest.mark.asyncio
async def test_exception_notes_are_scrubbed() -> None:
    """Notes (``add_note``, 3.11+) print with the traceback: a custom generator's note holding
    its key, or one on the error's cause, must be redacted like the message."""
    from collections.abc import Sequence

    from rigging.generator import GeneratedMessage, Generator

    key = "sk-probe-ZZZ-12345"

    class Noted(Generator):
        async def generate_messages(
            self, messages: Sequence[Sequence[rg.Message]], params: Sequence[GenerateParams]
        ) -> Sequence[GeneratedMessage]:
            cause = KeyError("cause")
            vars(cause)["__notes__"] = [f"cause note {self.api_key}"]  # add_note (3.11+)
            error = ValueError("refused")
            vars(error)["__notes__"] = [f"note holds {self.api_key}"]
            raise error from cause

    with pytest.raises(ValueError, match="refused") as raised:
        await Noted(model="m", api_key=key).chat("x").run()
    notes = [*vars(raised.value)["__notes__"], *vars(raised.value.__cause__)["__notes__"]]
    assert "note holds ***" in notes
    assert "cause note ***" in notes
    assert key not in "".join(traceback.format_exception(raised.value))


def test_header_lines_under_secret_names_are_masked() -> None:
    """`extra_headers` written as header lines (`Authorization: Bearer ...`), not JSON, went
    into reprs, dumps and identifiers as they were."""
    from rigging._redact import secret_values

    key = "sk-headerline-SECRET-4242"
    text = f"Authorization: Bearer {key}\nX-Trace: 7\nX-Api-Key:{key}"
    params = rg.GenerateParams(extra={"extra_headers": text})
    assert key in secret_values(params)
    generator = rg.get_generator("openai/gpt-4o")
    for shown in (repr(params), params.model_dump_json(), generator.to_identifier(params)):
        assert key not in shown
        assert "X-Trace: 7" in shown
    assert "Authorization: ***" in repr(params)
    through_identifier = rg.get_generator(f"openai/gpt-4o,extra_headers=Authorization: {key}")
    assert key not in through_identifier.to_identifier()
    assert key not in repr(through_identifier)
    # Text that merely has a colon is left alone.
    plain = rg.GenerateParams(extra={"note": "ratio: 3:1, token count: 5"})
    assert "token count: 5" in repr(plain)
