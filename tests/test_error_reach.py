"""Nothing reachable from an error rigging raises holds a secret.

Not only its text: a provider's exception carries the HTTP response (headers and body a
server or proxy may echo the key in), the request (its ``Authorization: Bearer <key>``
header, a ``?key=`` URL), a body dict, debug info, and its own cause and context. The walk
here follows all of it (exceptions, attributes, containers, httpx headers, URLs, requests
and responses, pickles) and asserts that the key, in the forms it was sent in, is nowhere.
Tracebacks are not followed: their frames hold the locals of every caller, the generator
(with its key) among them, and neither a formatted traceback nor a pickle carries them.
"""

from __future__ import annotations

import base64
import builtins
import collections
import contextlib
import json
import pickle
import traceback
import types
from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

import httpx
import pytest
from _servers.litellm_loop import server as server
from _servers.litellm_loop import stub as stub
from _servers.openai_stub import (
    Action,
    DropConnection,
    OpenAIStub,
    RawReply,
    RecordedRequest,
    Reply,
    ResetMidBody,
)

import rigging as rg
from rigging._redact import MASK, redact_exception, redact_text, remember
from rigging.error import GenerationError
from rigging.generator import GenerateParams
from rigging.generator.http import HTTPGenerator
from rigging.generator.litellm_ import LiteLLMGenerator
from rigging.generator.testing import EchoGenerator

pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

KEY = "sk-reach-KEY-31415926"

#: The module's tests that talk to the stub share its loop (litellm caches clients per loop).
module_loop = pytest.mark.asyncio(loop_scope="module")

# --- the walk ------------------------------------------------------------------------------

_MAX_NODES = 100_000
_SKIPPED = (
    type,
    types.ModuleType,
    types.CodeType,
    types.FrameType,
    types.TracebackType,
    types.BuiltinFunctionType,
    types.FunctionType,
)


def _texts_of(value: bytes | bytearray | memoryview) -> list[str]:
    data = bytes(value)
    return [data.decode("utf-8", "replace"), data.decode("latin-1")]


def _exception_children(node: BaseException) -> Iterator[tuple[str, Any]]:
    yield ".args", node.args
    yield ".__cause__", node.__cause__
    yield ".__context__", node.__context__
    yield ".exceptions", getattr(node, "exceptions", None)
    for name in ("filename", "filename2", "strerror", "object", "obj", "name", "value"):
        if not isinstance(getattr(type(node), name, None), property):
            yield f".{name}", getattr(node, name, None)


def _http_children(node: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(node, httpx.Headers):
        yield ".raw", node.raw
    if isinstance(node, httpx.Request | httpx.Response):
        yield ".headers", node.headers
        with contextlib.suppress(httpx.RequestNotRead, httpx.ResponseNotRead):
            yield ".content", node.content
    if isinstance(node, httpx.Request):
        yield ".url", str(node.url)
    if isinstance(node, httpx.Response):
        yield "._request", getattr(node, "_request", None)
        yield ".history", node.history
    if isinstance(node, httpx.URL):
        yield "(str)", str(node)


def _attribute_children(node: Any) -> Iterator[tuple[str, Any]]:
    attributes = getattr(node, "__dict__", None)
    if isinstance(attributes, dict):
        for name, item in attributes.items():
            yield f".{name}", item
    for cls in type(node).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            if name not in ("__dict__", "__weakref__"):
                yield f".{name}", getattr(node, name, None)


def _children(node: Any) -> Iterator[tuple[str, Any]]:
    """What a node holds, named for the report (every way a caller could reach it)."""
    if isinstance(node, BaseException):
        yield from _exception_children(node)
    yield from _http_children(node)
    if isinstance(node, Mapping):
        for key, item in list(node.items()):
            yield f"[{key!r}](key)", key
            yield f"[{key!r}]", item
    elif isinstance(node, list | tuple | set | frozenset | collections.deque):
        for index, item in enumerate(list(node)):
            yield f"[{index}]", item
    yield from _attribute_children(node)


def reachable_texts(root: BaseException) -> tuple[list[tuple[str, str]], bool]:
    """Every text reachable from `root`, as ``(path, text)``, and whether the walk finished.

    Strs, bytes (decoded), reprs of objects, the pickle of each exception that pickles,
    and the formatted traceback of `root`. Bounded by `_MAX_NODES` objects.
    """
    texts: list[tuple[str, str]] = [("traceback", "".join(traceback.format_exception(root)))]
    seen: set[int] = set()
    alive: list[Any] = []
    pending: list[tuple[str, Any]] = [("error", root)]
    visited = 0
    while pending:
        path, node = pending.pop()
        if node is None or isinstance(node, (bool, int, float, complex, *_SKIPPED)):
            continue
        if isinstance(node, str):
            texts.append((path, node))
            continue
        if isinstance(node, bytes | bytearray | memoryview):
            texts.extend((path, text) for text in _texts_of(node))
            continue
        if id(node) in seen:
            continue
        visited += 1
        if visited > _MAX_NODES:
            return texts, False
        seen.add(id(node))
        alive.append(node)
        with contextlib.suppress(Exception):
            texts.append((f"repr({path})", repr(node)))
        if isinstance(node, BaseException):
            with contextlib.suppress(Exception):  # a provider's exception may not pickle
                texts.extend((f"pickle({path})", t) for t in _texts_of(pickle.dumps(node)))
        try:
            pending.extend((path + name, child) for name, child in _children(node))
        except Exception:
            texts.append((path, "<could not be walked>"))
    return texts, True


def _forms(key: str) -> list[str]:
    """The key as it was sent (raw, as a bearer token, base64) and echoed."""
    return [key, f"Bearer {key}", base64.b64encode(key.encode()).decode()]


def assert_unreachable(error: BaseException, *secrets: str) -> None:
    texts, complete = reachable_texts(error)
    needles = [form for secret in secrets for form in _forms(secret)]
    leaks = sorted({path for path, text in texts for n in needles if n in text})
    assert not leaks, f"a secret is reachable from the error at: {leaks[:20]}"
    assert complete, "the walk did not finish: too much is reachable from the error"


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    pending: list[BaseException | None] = [error]
    while pending:
        current = pending.pop()
        if current is None or any(current is f for f in found):
            continue
        found.append(current)
        pending.extend((current.__cause__, current.__context__))
    return found


# --- a server that echoes the credentials it received -----------------------------------


def _echo(status: int) -> Callable[[RecordedRequest], Action]:
    """An error answer echoing the request's credentials in its headers and its body."""

    def answer(request: RecordedRequest) -> Action:
        auth = request.headers.get("authorization", "")
        seen = f"{auth} {request.headers.get('x-api-key', '')} {request.query}"
        return RawReply(
            {"error": {"message": "refused", "type": "invalid_request_error", "seen": seen}},
            status=status,
            headers={
                "X-Echo": f"seen {seen}",
                "X-Echo-Authorization": auth,
                "X-Request-Id": "req-42",
            },
        )

    return answer


def _litellm(server: OpenAIStub) -> LiteLLMGenerator:
    return LiteLLMGenerator(
        model="openai/stub-model",
        api_key=KEY,
        params=GenerateParams(api_base=server.base_url),
        max_retries=0,
    )


# --- litellm --------------------------------------------------------------------------------


@module_loop
@pytest.mark.parametrize("status", [401, 400, 500])
async def test_a_litellm_error_keeps_no_echoed_key_reachable(
    server: OpenAIStub, status: int
) -> None:
    server.on_request(_echo(status))
    with pytest.raises(GenerationError) as info:
        await _litellm(server).generate_messages([[rg.Message("user", "x")]], [GenerateParams()])
    error = info.value
    assert error.status == status
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"  # it was sent
    assert_unreachable(error, KEY)
    # What the tester found: the key in a response header of the provider's exception.
    cause: Any = error.__cause__
    assert cause is not None, "the provider's error (its text holds no key) stays the cause"
    assert cause.status_code == status
    assert cause.llm_provider == "openai"
    assert "refused" in str(cause)
    assert cause.response.status_code == status
    assert cause.response.headers["x-echo"].startswith("seen Bearer ***")
    assert cause.response.headers["x-echo-authorization"] == MASK
    assert cause.response.headers["x-request-id"] == "req-42"  # no secret: kept
    assert cause.response.json()["error"]["message"] == "refused"
    requests = [getattr(e, "request", None) for e in _chain(error)]
    sent = [r for r in requests if isinstance(r, httpx.Request)]
    assert sent, "the requests stay for debugging"
    assert any(r.url.host == "127.0.0.1" for r in sent)
    assert any(r.headers.get("authorization") == MASK for r in [*sent, cause.response.request])


@module_loop
async def test_a_litellm_connection_error_keeps_no_key_reachable(server: OpenAIStub) -> None:
    server.script(DropConnection())
    with pytest.raises(GenerationError) as info:
        await _litellm(server).generate_messages([[rg.Message("user", "x")]], [GenerateParams()])
    assert "connection" in str(info.value).lower()
    assert_unreachable(info.value, KEY)


@module_loop
async def test_a_litellm_stream_error_keeps_no_key_reachable(server: OpenAIStub) -> None:
    gen = _litellm(server)
    server.on_request(_echo(401))
    with pytest.raises(GenerationError) as opening:
        async for _ in gen.stream_messages([rg.Message("user", "x")]):
            pass
    assert opening.value.status == 401
    assert_unreachable(opening.value, KEY)
    server.on_request(None)
    server.script(Reply(chunks=["a", "b", "c"], drop_after=1))
    with pytest.raises(GenerationError, match="broke after") as broken:
        async for _ in gen.stream_messages([rg.Message("user", "x")]):
            pass
    assert_unreachable(broken.value, KEY)


# --- the HTTP generator -------------------------------------------------------------------

# A credential the spec holds literally, sent in a secret-named header (base64, as Basic is).
BASIC = base64.b64encode(f"me:{KEY}-proxy".encode()).decode()

SPEC = f"""
request:
  url: "BASE/chat/completions?key={{{{ api_key }}}}&trace=on"
  headers:
    Authorization: "Bearer {{{{ api_key }}}}"
    Proxy-Authorization: "Basic {BASIC}"
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


def _http(server: OpenAIStub) -> HTTPGenerator:
    return HTTPGenerator(
        model="stub-model",
        api_key=KEY,
        spec=SPEC.replace("BASE", server.base_url),
        max_retries=0,
    )


@module_loop
@pytest.mark.parametrize("fault", ["drop", "reset", "401", "500"])
async def test_an_http_generator_error_keeps_no_key_reachable(
    server: OpenAIStub, fault: str
) -> None:
    if fault == "drop":
        server.script(DropConnection())
    elif fault == "reset":
        server.script(ResetMidBody())
    else:
        server.on_request(_echo(int(fault)))
    with pytest.raises(GenerationError) as info:
        await _http(server).generate_messages([[rg.Message("user", "x")]], [GenerateParams()])
    [sent] = server.requests
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert f"key={KEY}" in sent.query
    assert_unreachable(info.value, KEY, BASIC)
    cause = info.value.__cause__
    if fault in ("drop", "reset"):  # a transport error carries the request it sent
        assert isinstance(cause, httpx.TransportError)
        request = cause.request
        assert request.url.host == "127.0.0.1"
        assert request.url.params["key"] == MASK
        assert request.url.params["trace"] == "on"
        assert request.headers["authorization"] == MASK
        assert request.headers["proxy-authorization"] == MASK
        assert request.headers["content-type"] == "application/json"
    else:
        assert info.value.status == int(fault)


# --- redact_exception on the objects themselves -------------------------------------------


class _ProviderError(Exception):
    """A stand-in for a provider's exception: a message, and the HTTP exchange."""


def _scrub(text: str) -> str:
    return redact_text(text, [KEY])


def _exchange() -> tuple[httpx.Request, httpx.Response]:
    """A request with secrets in its URL, headers and body, and the answer that echoes them."""
    request = httpx.Request(
        "POST",
        f"https://me:pw-{KEY}@api.example/v1/chat?key={KEY}&a=1",
        headers=[
            ("Authorization", "Bearer unknown-token-2718"),  # not a known value: masked by name
            ("X-Echo", f"echo {KEY}"),
            ("X-Echo", "plain"),
        ],
        content=json.dumps({"api_key": KEY, "n": 1}).encode(),
    )
    response = httpx.Response(
        401,
        headers=[("X-Echo", f"seen {KEY}"), ("Set-Cookie", "s=cookie-161803"), ("X-Id", "r9")],
        content=f"bad key {KEY}".encode(),
        request=request,
    )
    return request, response


def test_http_objects_are_replaced_by_scrubbed_copies() -> None:
    request, response = _exchange()
    body = {"echo": KEY.encode(), "items": (KEY, 3)}
    exc: Any = _ProviderError("refused")
    exc.response, exc.request, exc.headers, exc.body = response, request, response.headers, body
    assert id(redact_exception(exc, _scrub)) == id(exc)  # in place (`is` would narrow `exc`)
    assert_unreachable(exc, KEY, "unknown-token-2718", "cookie-161803")
    # The copies keep what holds no secret.
    assert exc.response is not response
    assert exc.response.status_code == 401
    assert exc.response.text == "bad key ***"
    assert exc.response.headers["x-echo"] == "seen ***"
    assert exc.response.headers["set-cookie"] == MASK
    assert exc.response.headers["x-id"] == "r9"
    assert exc.response.request is exc.request  # shared objects stay shared
    assert exc.headers == exc.response.headers
    assert exc.request.method == "POST"
    assert str(exc.request.url) == "https://***@api.example/v1/chat?key=***&a=1"
    assert exc.request.headers["authorization"] == MASK
    assert exc.request.headers.get_list("x-echo") == ["echo ***", "plain"]
    assert json.loads(exc.request.content) == {"api_key": MASK, "n": 1}
    assert exc.body == {"echo": MASK.encode(), "items": (MASK, 3)}
    # What the caller holds is unchanged.
    assert request.headers["authorization"] == "Bearer unknown-token-2718"
    assert KEY in str(request.url)
    assert KEY.encode() in request.content
    assert response.headers["x-echo"] == f"seen {KEY}"
    assert response.request is request
    assert body == {"echo": KEY.encode(), "items": (KEY, 3)}


def test_a_response_body_sent_compressed_is_copied_decoded() -> None:
    import gzip

    request = httpx.Request("GET", "https://api.example/v1")
    raw = gzip.compress(f'{{"echo": "{KEY}"}}'.encode())
    response = httpx.Response(
        400, headers={"Content-Encoding": "gzip"}, content=raw, request=request
    )
    response.read()
    assert KEY in response.text
    exc: Any = _ProviderError("refused")
    exc.response = response
    redact_exception(exc, _scrub)
    assert exc.response.json() == {"echo": MASK}
    assert "content-encoding" not in exc.response.headers
    assert_unreachable(exc, KEY)


class _Holder:
    """An object rigging has no copy for."""

    def __init__(self, secret: str) -> None:
        self.settings = {"endpoint": "https://api.example", "token": secret}
        self.retries = 3

    def describe(self) -> str:
        return f"{self.settings['endpoint']} ({self.retries} retries)"


class _Clean:
    def __init__(self) -> None:
        self.note = "nothing secret"


class _Slotted:
    __slots__ = ("hidden",)

    def __init__(self, hidden: str) -> None:
        self.hidden = hidden


class _Pair(NamedTuple):
    name: str
    value: str


class _Login(NamedTuple):
    user: str
    password: str


def test_objects_without_a_copy_are_withheld_when_they_hold_a_secret() -> None:
    generator = EchoGenerator(model="echo", api_key=KEY)
    clean = _Clean()
    exc: Any = _ProviderError("refused")
    exc.holder = _Holder("unknown-token-2718")  # a secret by its name only
    exc.slotted = _Slotted(f"echo {KEY}")
    exc.bound = _Holder(KEY).describe  # a bound method reaches its object
    exc.clean = clean
    exc.generator = generator  # rigging's own objects mask their secrets themselves
    exc.login = _Login("me", "unknown-token-2718")  # a named tuple's field under a secret name
    exc.pairs = [
        ("Authorization", "Bearer unknown-token-2718"),
        _Pair("X-Api-Key", "unknown-token-2718"),
        ("X-Id", "r9"),
    ]
    exc.proxy = types.MappingProxyType({"X-Api-Key": "unknown-token-2718", "X-Id": "r9"})
    redact_exception(exc, _scrub)
    for name in ("holder", "slotted", "bound"):
        assert isinstance(vars(exc)[name], str), name
        assert "withheld" in vars(exc)[name], name
    assert exc.clean is clean
    assert exc.generator is generator
    assert exc.login == _Login("me", MASK)
    assert exc.pairs == [("Authorization", MASK), _Pair("X-Api-Key", MASK), ("X-Id", "r9")]
    assert type(exc.pairs[1]) is _Pair
    assert dict(exc.proxy) == {"X-Api-Key": MASK, "X-Id": "r9"}
    texts, _ = reachable_texts(exc)
    assert not [path for path, text in texts if "unknown-token-2718" in text]
    assert generator.api_key == KEY  # the generator itself is not changed


def test_native_attributes_groups_and_linked_exceptions_are_scrubbed() -> None:
    _, response = _exchange()
    missing = FileNotFoundError(2, "No such file", f"/keys/{KEY}")
    undecodable = UnicodeDecodeError("utf-8", f"{KEY} \xff".encode("latin-1"), 0, 1, "bad")
    inner: Any = _ProviderError("inner")
    inner.response = response
    exc: Any = _ProviderError("outer")
    exc.errors = [missing, undecodable]  # exceptions held as attributes are followed too
    group_type = getattr(builtins, "ExceptionGroup", None)
    if group_type is not None:  # 3.11+
        exc.__context__ = group_type("many", [inner])
    else:
        exc.__context__ = inner
    redact_exception(exc, _scrub)
    assert missing.filename == "/keys/***"
    assert inner.response.status_code == 401
    assert_unreachable(exc, KEY)


def test_cycles_depth_width_and_hostile_objects_end_without_raising() -> None:
    cycle: list[Any] = [f"in a cycle {KEY}", 2]
    cycle.append(cycle)
    deep: Any = KEY
    for _ in range(5_000):
        deep = [deep]
    mapping: dict[str, Any] = {"echo": KEY}
    mapping["self"] = mapping

    class Hostile(Mapping[str, str]):
        def __getitem__(self, key: str) -> str:
            raise RuntimeError("no")

        def __iter__(self) -> Iterator[str]:
            raise RuntimeError("no")

        def __len__(self) -> int:
            raise RuntimeError("no")

    class FrozenError(Exception):
        def __setattr__(self, name: str, value: Any) -> None:
            raise AttributeError("frozen")

    frozen = FrozenError("frozen")
    vars(frozen)["echo"] = KEY
    exc: Any = _ProviderError("refused")
    exc.cycle, exc.deep, exc.mapping, exc.hostile = cycle, deep, mapping, Hostile()
    exc.wide = [f"line {i}" for i in range(30_000)] + [KEY]
    exc.__cause__ = frozen
    object.__setattr__(frozen, "__context__", exc)  # a cycle of exceptions
    redact_exception(exc, _scrub)
    assert_unreachable(exc, KEY)
    assert cycle[0] == f"in a cycle {KEY}"  # the caller's objects are not changed
    assert mapping["echo"] == KEY
    assert isinstance(exc.hostile, str)
    assert "withheld" in exc.hostile

    def broken(text: str) -> str:
        raise RuntimeError("a redaction that fails")

    redact_exception(_ProviderError(KEY), broken)  # never raises


class _Big:
    """A caller's object too large for redaction to search whole."""

    def __init__(self, size: int) -> None:
        self.rows = [_Clean() for _ in range(size)]


def test_errors_leaving_a_span_keep_what_holds_no_secret_found() -> None:
    big, clean = _Big(10_000), _Clean()
    exc: Any = _ProviderError("a callback failed")
    exc.big, exc.clean, exc.holder = big, clean, _Holder(KEY)
    exc.wide = [f"line {i}" for i in range(30_000)]
    redact_exception(exc, _scrub, thorough=False)
    assert exc.big is big  # too large to search whole: the caller's object is kept
    assert exc.clean is clean
    assert len(exc.wide) == 30_000
    assert exc.wide[-1] == "line 29999"
    assert isinstance(exc.holder, str)
    assert "withheld" in exc.holder
    thorough: Any = _ProviderError("a provider failed")
    thorough.big = big
    redact_exception(thorough, _scrub)
    assert isinstance(thorough.big, str)  # a provider's error: what cannot be told is withheld


@pytest.mark.parametrize("thorough", [True, False])
def test_the_text_of_every_linked_error_is_redacted_past_the_walks_bounds(
    thorough: bool,
) -> None:
    # A callback's error holding many texts uses up the walk's budget before its cause (a
    # provider's error whose message echoes the key) is reached: the cause still prints
    # redacted, and keeps args that are a tuple of its own values.
    cause: Any = _ProviderError(f"bad key {KEY}")
    cause.__notes__ = [f"sent {KEY}"]  # as add_note (3.11+) writes it
    exc: Any = _ProviderError("a callback failed")
    exc.wide = [f"line {i}" for i in range(30_000)]
    exc.__cause__ = cause
    redact_exception(exc, _scrub, thorough=thorough)
    assert cause.args == (f"bad key {MASK}",)
    assert cause.__notes__ == [f"sent {MASK}"]
    assert KEY not in "".join(traceback.format_exception(exc))


def test_a_recording_span_keeps_a_callbacks_error_objects() -> None:
    from rigging import tracing

    big = _Big(10_000)
    exc: Any = _ProviderError("a callback failed")
    exc.big, exc.holder = big, _Holder(KEY)
    remember([KEY])  # as a generator holding it would
    # The wrapper a configured logfire's spans get (the backend span here records nothing).
    with pytest.raises(_ProviderError), tracing._RedactingSpan(contextlib.nullcontext()):
        raise exc
    assert exc.big is big
    assert isinstance(exc.holder, str)
    assert "withheld" in exc.holder


@pytest.mark.parametrize("thorough", [True, False])
def test_a_cycle_is_kept_without_a_secret_and_cut_in_a_copy_with_one(thorough: bool) -> None:
    clean: dict[str, Any] = {"name": "root", "child": {"note": "plain"}}
    clean["child"]["parent"] = clean
    clean["self"] = clean
    holding: dict[str, Any] = {"name": "root", "child": {"echo": f"token {KEY}"}}
    holding["child"]["parent"] = holding  # the secret's container reaches the original back
    holding["self"] = holding
    exc: Any = _ProviderError("refused")
    exc.clean, exc.holding = clean, holding
    redact_exception(exc, _scrub, thorough=thorough)
    assert exc.clean is clean  # nothing to hide: the caller's graph, cycles and all
    assert exc.holding is not holding
    assert exc.holding["child"]["echo"] == "token ***"
    assert "withheld" in exc.holding["self"]
    assert "withheld" in exc.holding["child"]["parent"]
    assert holding["child"]["echo"] == f"token {KEY}"  # the caller's objects are not changed
    assert_unreachable(exc, KEY)


def test_nested_cycles_through_secrets_end_and_hold_no_secret() -> None:
    root: dict[str, Any] = {"echo": KEY}
    node = root
    for level in range(50):  # each level reaches back to every level above it
        child: dict[str, Any] = {"echo": f"{level} {KEY}", "up": node, "root": root}
        node["down"] = child
        node = child
    exc: Any = _ProviderError("refused")
    exc.tree = root
    redact_exception(exc, _scrub)
    assert_unreachable(exc, KEY)
    assert root["echo"] == KEY
