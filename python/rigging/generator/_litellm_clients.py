"""OpenAI SDK clients shared by a batch of litellm text completions (`_TextClients`).

Used by `rigging.generator.litellm_`; the ``openai`` package loads when a client is made.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Any

_OPENAI_TEXT = ("openai", "text-completion-openai")


def _openai_text_target(
    litellm: ModuleType, model: str, kwargs: dict[str, Any]
) -> tuple[str, str, str | None] | None:
    """Where a text completion goes when litellm routes it through its OpenAI SDK path.

    Returns ``(base_url, api_key, organization)`` for that path (which builds a new SDK client
    for every call), None for any other provider or when a setting is missing.
    """
    if "client" in kwargs:
        return None  # the caller brought a client of their own
    try:
        _, provider, key, base = litellm.get_llm_provider(
            model=model,
            api_base=kwargs.get("api_base") or kwargs.get("base_url"),
            api_key=kwargs.get("api_key"),
        )
    except Exception:  # litellm raises the same error, with its own wording, in the call
        return None
    compatible = getattr(litellm, "openai_text_completion_compatible_providers", ())
    if provider in _OPENAI_TEXT:
        key = (
            key
            or getattr(litellm, "api_key", None)
            or getattr(litellm, "openai_key", None)
            or os.environ.get("OPENAI_API_KEY")
        )
        base = (
            base
            or getattr(litellm, "api_base", None)
            or os.environ.get("OPENAI_BASE_URL")
            or os.environ.get("OPENAI_API_BASE")
            or "https://api.openai.com/v1"
        )
    elif provider not in compatible:
        return None
    if not key or not base:
        return None  # litellm reports the missing setting itself
    return str(base), str(key), kwargs.get("organization")


class _TextClients:
    """OpenAI SDK clients shared by the text completions of one batch, closed with it.

    litellm's OpenAI-style text completion path (``openai/``, ``text-completion-openai/``,
    ``hosted_vllm/`` and the other OpenAI-compatible providers) builds a new SDK client for
    each call and never closes it: every request opened a connection of its own, and with
    litellm's aiohttp transport each one logged "Unclosed client session" when collected.
    Passing ``client=`` makes litellm use ours, so a batch reuses connections.
    """

    def __init__(self, litellm: ModuleType) -> None:
        self._litellm = litellm
        self._clients: dict[tuple[str, str, str | None], Any] = {}
        # Where each distinct (model, settings) goes: the calls of a batch share them.
        self._targets: dict[tuple[Any, ...], tuple[str, str, str | None] | None] = {}

    def client_for(self, model: str, kwargs: dict[str, Any]) -> Any | None:
        """A client for this call (per-call timeout applied), or None to leave it to litellm."""
        settings = tuple(kwargs.get(k) for k in ("api_base", "base_url", "api_key", "organization"))
        where = (model, "client" in kwargs, *settings)
        if where not in self._targets:
            self._targets[where] = _openai_text_target(self._litellm, model, kwargs)
        target = self._targets[where]
        if target is None:
            return None
        client = self._clients.get(target)
        if client is None:
            base, key, organization = target
            openai = importlib.import_module("openai")  # installed with litellm
            client = openai.AsyncOpenAI(
                api_key=key, base_url=base, organization=organization, max_retries=0
            )
            self._clients[target] = client
        timeout = kwargs.get("timeout") or getattr(self._litellm, "request_timeout", 600)
        return client.with_options(timeout=timeout)

    async def aclose(self) -> None:
        """Close every client (and its connections)."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()
