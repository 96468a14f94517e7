"""Endpoints chosen by loaded data: marked when a chat or completion is loaded, refused at send.

A chat loaded from JSON restores its generator from ``generator_id`` (and may carry
``params``). Their endpoint settings then come from the data, while the request carries this
process's credentials (``OPENAI_API_KEY`` and the like, read by litellm from the environment).
Such settings are marked on the `GenerateParams` object (``merge_with`` and ``model_copy`` carry
the marks on), and a generator that sends credentials refuses a request whose setting still
holds the marked value, unless every destination in it names this machine. Params and
generators made in code carry no marks.

A setting is an endpoint setting when it is ``api_base``; an `extra` entry whose name has an
endpoint word (``base``, ``url``, ``endpoint``, ``host``, ``proxy``...) and whose value looks
like a host or URL; an entry whose value starts with a URL scheme; or an entry holding a list
or dict with any of those inside (litellm's ``model_list`` and ``fallbacks`` carry whole
deployments, ``api_base`` included). A model name holding a URL (``huggingface/https://...``)
is one too. Names that never route a request (``user``, ``metadata``, ``base_model``, the
headers and body) are not. A secret-named entry (``api_key``, ``vertex_credentials``) holds the
data's own credential and is not one either, unless it is a destination all the same: its value
starts with a URL scheme, or its name ends with an endpoint word and its value looks like a host
(``gigachat_auth_url``, ``anthropic_keycloak_token_url``: litellm sends this process's
credentials there).

A generator whose own settings say where it sends (an `HTTPGenerator`'s spec, which names
the URL) marks them too, under their own name (``mark_destination_from_data``), and refuses a
request built from them while they hold the marked value, unless its URL names this machine
(``refuse_data_destination``): the request carries the conversation, and a spec may put this
process's secrets in it.

Marks hold a SHA-256 digest of the setting's value, never the value: a marked entry may hold
secrets (a deployment's ``api_key`` beside its ``api_base``), and marks travel with the params
(copies, merges, pickles).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import re
import typing as t
import urllib.parse

from rigging._redact import is_secret_name, mask_fragment, mask_urls
from rigging.error import GenerationError, _clip

if t.TYPE_CHECKING:
    from rigging.generator.params import GenerateParams

__all__ = [
    "endpoint_settings",
    "is_loopback",
    "mark_destination_from_data",
    "mark_from_data",
    "refuse_data_destination",
    "refuse_data_endpoints",
    "refuse_data_params",
]

# Name parts of settings that say where a request goes (api_base, base_url,
# aws_bedrock_runtime_endpoint, proxy_url, azure_endpoint...).
_ENDPOINT_WORDS = frozenset(
    {"base", "url", "uri", "endpoint", "host", "hostname", "address", "proxy", "server", "domain"}
)
# Request settings that match the rule but never choose where a request goes.
_NOT_ROUTING = frozenset(
    {
        "base_model",
        "user",
        "metadata",
        "tags",
        "extra_headers",
        "extra_body",
        "mock_response",
        "response_format",
    }
)
_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_UNPARSABLE = re.compile(r"[\\\s\x00-\x1f\x7f]")
# A plain authority: a name or a bracketed IPv6 address, and a port of digits.
_AUTHORITY = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?")
_MAX_DEPTH = 32  # deeper containers are marked whole, unread


def _names_endpoint(name: object) -> bool:
    """Whether `name` has an endpoint word; for a secret name, whether it ends with one."""
    if not isinstance(name, str):
        return False
    words = [word.lower() for word in _SPLIT.split(name) if word]
    if is_secret_name(name):  # `auth_url` routes; `proxy_password` is a credential
        return bool(words) and words[-1] in _ENDPOINT_WORDS
    return any(word in _ENDPOINT_WORDS for word in words)


def _looks_like_host(value: str) -> bool:
    """``https://h/...``, ``h.example``, ``h:8000``, ``localhost``; not ``azure/gpt-4``."""
    text = value.strip()
    if "://" in text:
        return True
    first = text.split("/", 1)[0]
    return first.lower() == "localhost" or "." in first or ":" in first


def _destinations(name: object, value: object, depth: int = 0) -> list[str] | None:
    """The hosts and URLs inside `value` (set under `name`); None when it is too deep to read."""
    if isinstance(value, str):
        if _SCHEME.match(value.strip()) or (_names_endpoint(name) and _looks_like_host(value)):
            return [value]
        return []
    if depth >= _MAX_DEPTH:
        return None
    found: list[str] = []
    items: t.Iterable[tuple[object, object]]
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        items = ((name, item) for item in value)  # a list's items stand under its name
    else:
        return []
    for key, item in items:
        inner = _destinations(key, item, depth + 1)
        if inner is None:
            return None
        found.extend(inner)
    return found


def _canonical(value: object) -> str:
    """A digest of `value` for marks: equal values give equal digests, and it holds no secret."""
    if isinstance(value, str):
        text = "s:" + value
    else:
        text = "j:" + json.dumps(value, sort_keys=True, default=repr, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def endpoint_settings(params: GenerateParams) -> list[tuple[str, t.Any]]:
    """The ``(name, value)`` settings of `params` that choose where a request goes."""
    found: list[tuple[str, t.Any]] = []
    if params.api_base is not None:
        found.append(("api_base", params.api_base))
    for name, value in params.extra.items():
        if name in _NOT_ROUTING:
            continue
        destinations = _destinations(name, value)
        if destinations is None or destinations:
            found.append((name, value))
    return found


def mark_from_data(params: GenerateParams, *, model: str | None = None) -> GenerateParams:
    """Mark the endpoint settings `params` holds now as chosen by loaded data (in place).

    Args:
        params: The params (a restored generator's, or params given as data).
        model: The restored generator's model: marked too when it holds a URL.

    Returns:
        `params`.
    """
    marks = {(name, _canonical(value)) for name, value in endpoint_settings(params)}
    if model is not None and _SCHEME.search(model):
        marks.add(("model", _canonical(model)))
    if marks:
        params._data_endpoints = params._data_endpoints.union(marks)
    return params


def is_loopback(value: str) -> bool:
    """Whether the URL (or ``host:port``) `value` names this machine.

    ``localhost``, a loopback address (``127.0.0.0/8``, ``::1``, ``::ffff:127.0.0.1``) or an
    unspecified one (``0.0.0.0``, ``::``, which connect here). Only a plain URL counts: a
    backslash, space or control character anywhere, or an authority that is more than a host
    and a port of digits (user-info, percent escapes, text after ``]``), make it not one (URL
    parsers disagree on those).
    """
    text = value.strip()
    if not text or _UNPARSABLE.search(text):
        return False
    try:
        parts = urllib.parse.urlsplit(text if "://" in text else f"//{text}")
        _ = parts.port  # raises for a port that is not a number
    except ValueError:
        return False
    host = parts.hostname
    if not host or not _AUTHORITY.fullmatch(parts.netloc):
        return False
    if host in ("localhost", "localhost."):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or address.is_unspecified


def refuse_data_endpoints(params: GenerateParams, kwargs: dict[str, t.Any], model: str) -> None:
    """Raise if a request built from `params` would go where loaded data chose.

    Args:
        params: The merged params the request was built from.
        kwargs: The request's keyword arguments (``params.to_dict()`` plus the generator's).
        model: The model the request is for.

    Raises:
        GenerationError: A setting of the request (or its model) holds a value marked by
            `mark_from_data`, and a destination in it is not this machine.
    """
    for name, marked in sorted(params._data_endpoints):
        current = model if name == "model" else kwargs.get(name)
        if current is None or _canonical(current) != marked:
            continue
        destinations: list[str] | None
        if name == "model":
            url = _SCHEME.search(model)
            destinations = [model[url.start() :] if url else model]
        elif isinstance(current, str):
            destinations = [current]  # marked: it is an endpoint whatever it looks like
        else:
            destinations = _destinations(name, current)
        far = None if destinations is None else [d for d in destinations if not is_loopback(d)]
        if far == []:
            continue
        where = "a value too deeply nested to read" if not far else _shown(far[0])
        raise _refusal(model, where, name)


def mark_destination_from_data(params: GenerateParams, name: str, value: object) -> None:
    """Mark a generator's own destination setting `name` (holding `value`) as from data.

    Args:
        params: The restored generator's params (the marks travel with them).
        name: The setting (``spec``).
        value: What it holds now (a digest of it is kept).
    """
    params._data_endpoints = params._data_endpoints.union({(name, _canonical(value))})


def refuse_data_destination(
    params: GenerateParams, name: str, value: object, url: str, model: str, shown: str
) -> None:
    """Raise if a request to `url`, built from setting `name`, would go where data chose.

    Args:
        params: The generator's params, holding the marks.
        name: The setting the request was built from (``spec``).
        value: What it holds now (as given to `mark_destination_from_data`).
        url: Where the request would go.
        model: The model the request is for.
        shown: `url` as the error may show it (the request's secrets removed).

    Raises:
        GenerationError: `value` is marked under `name` and `url` is not this machine.
    """
    if (name, _canonical(value)) in params._data_endpoints and not is_loopback(url):
        carries = "the conversation (and any secret the spec sends)"
        raise _refusal(model, _shown(shown), name, carries)


def refuse_data_params(
    params: GenerateParams,
    read: frozenset[str] | None,
    url: str,
    model: str,
    shown: str,
) -> None:
    """Raise if a request to `url` off this machine was built from marked settings of `params`.

    An HTTP spec set in code may take its URL from the params (``{{ params.host }}``); params
    loaded with a chat then choose where the conversation goes.

    Args:
        params: The merged params the URL was rendered from, holding the marks.
        read: The settings the URL template reads (None: any of them).
        url: Where the request would go.
        model: The model the request is for.
        shown: `url` as the error may show it (the request's secrets removed).

    Raises:
        GenerationError: A setting the URL reads still holds the value loaded data chose,
            and `url` is not this machine.
    """
    if not params._data_endpoints or is_loopback(url):
        return
    current = params.to_dict()
    for name, marked in sorted(params._data_endpoints):
        if read is not None and name not in read:
            continue
        if name in current and _canonical(current[name]) == marked:
            carries = "the conversation (and any secret the spec sends)"
            raise _refusal(model, _shown(shown), f"{name} setting", carries)


MAX_SHOWN = 500
"""Most characters of a destination an error shows (a URL rendered from a message's content
can be as long as the message)."""


def _shown(url: str) -> str:
    """`url` as a refusal shows it: its secrets masked, then clipped, quoted."""
    return repr(_clip(mask_fragment(mask_urls(url)), MAX_SHOWN))


def _refusal(
    model: str, where: str, name: str, carries: str = "this process's credentials"
) -> GenerationError:
    return GenerationError(
        f"refused to send a request for {model} to {where}: its {name} came from loaded "
        "data (a chat's or completion's generator_id or params), and the request would "
        f"carry {carries}. For an endpoint you trust, set the generator "
        "and params yourself (e.g. chat.restart(generator=rg.get_generator(...)) after "
        "chat.params = None)",
        model=model,
    )
