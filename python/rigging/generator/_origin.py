"""Endpoints chosen by loaded data: marked when a chat or completion is loaded, refused at send.

A chat loaded from JSON restores its generator from ``generator_id`` (and may carry
``params``). Their endpoint settings (``api_base``, ``base_url``, any setting naming a host or
holding a URL) then come from the data, while the request carries this process's credentials
(``OPENAI_API_KEY`` and the like, read by litellm from the environment). Such settings are
marked on the `GenerateParams` object (``merge_with`` carries the marks on), and a generator
that sends credentials refuses a request whose endpoint is still a marked value, unless it
names a loopback host. Params and generators made in code carry no marks.
"""

from __future__ import annotations

import ipaddress
import re
import typing as t
import urllib.parse

from rigging._redact import mask_urls
from rigging.error import GenerationError

if t.TYPE_CHECKING:
    from rigging.generator.params import GenerateParams

__all__ = ["endpoint_settings", "mark_from_data", "refuse_data_endpoints"]

# Name parts of settings that say where a request goes (api_base, base_url,
# aws_bedrock_runtime_endpoint, proxy_url, azure_endpoint...).
_ENDPOINT_WORDS = frozenset(
    {"base", "url", "uri", "endpoint", "host", "hostname", "address", "proxy", "server", "domain"}
)
_AMBIGUOUS = re.compile(r"[\\\s@%\x00-\x1f\x7f]")
_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])")


def _names_endpoint(name: str) -> bool:
    words = _SPLIT.split(name)
    return any(word.lower() in _ENDPOINT_WORDS for word in words)


def endpoint_settings(params: GenerateParams) -> list[tuple[str, str]]:
    """The ``(name, value)`` settings of `params` that choose where a request goes.

    ``api_base``, and every `extra` entry holding a string whose name names an endpoint
    (a word such as ``base``, ``url``, ``endpoint``, ``host``, ``proxy``) or whose value
    holds ``://``.
    """
    found = [] if params.api_base is None else [("api_base", params.api_base)]
    for name, value in params.extra.items():
        if isinstance(value, str) and (_names_endpoint(name) or "://" in value):
            found.append((name, value))
    return found


def mark_from_data(params: GenerateParams) -> GenerateParams:
    """Mark the endpoint settings `params` holds now as chosen by loaded data (in place)."""
    settings = endpoint_settings(params)
    if settings:
        params._data_endpoints = params._data_endpoints.union(settings)
    return params


def is_loopback(value: str) -> bool:
    """Whether the URL (or ``host:port``) `value` names this machine: localhost or loopback."""
    text = value.strip()
    if _AMBIGUOUS.search(text):  # parsers disagree on these; only a plain URL counts
        return False
    try:
        host = urllib.parse.urlsplit(text if "://" in text else f"//{text}").hostname
    except ValueError:
        return False
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def refuse_data_endpoints(params: GenerateParams, kwargs: dict[str, t.Any], model: str) -> None:
    """Raise if a request built from `params` would go where loaded data chose.

    Args:
        params: The merged params the request was built from.
        kwargs: The request's keyword arguments (``params.to_dict()`` plus the generator's).
        model: The model, for the error.

    Raises:
        GenerationError: An endpoint setting of the request is a value marked by
            `mark_from_data` and does not name a loopback host.
    """
    for name, value in sorted(params._data_endpoints):
        if kwargs.get(name) == value and not is_loopback(value):
            raise GenerationError(
                f"refused to send a request for {model} to {mask_urls(value)!r}: its {name} "
                "came from loaded data (a chat's or completion's generator_id or params), "
                "and the request would carry this process's credentials. For an endpoint you "
                "trust, set the generator and params yourself (e.g. chat.restart(generator="
                "rg.get_generator(...)) after chat.params = None)",
                model=model,
            )
