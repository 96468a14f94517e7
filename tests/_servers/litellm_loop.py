"""Shared set-up for modules that drive LiteLLM against the loopback OpenAI stub.

litellm caches its HTTP clients per event loop, so such a module shares one loop
(``pytest.mark.asyncio(loop_scope="module")``) and closes the clients at the end; any aiohttp
session litellm dropped unclosed (its OpenAI text path did so on every call before the
generator lent it a client per batch) is collected at the end, where it cannot surface in
another module's test. Import the
fixtures into the test module::

    from _servers.litellm_loop import litellm_generator, server, stub
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from rigging.generator import GenerateParams
from rigging.generator.litellm_ import LiteLLMGenerator

from .openai_stub import OpenAIStub

__all__ = ["litellm_generator", "server", "stub"]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def stub() -> AsyncIterator[OpenAIStub]:
    """One stub server for the module; litellm's clients are closed when it ends."""
    from rigging.generator.litellm_ import import_litellm

    try:
        with OpenAIStub() as running:
            yield running
    finally:
        await import_litellm().close_litellm_async_clients()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ResourceWarning)
            gc.collect()


@pytest.fixture
def server(stub: OpenAIStub) -> OpenAIStub:
    """The module's stub, with its script and records cleared for this test."""
    stub.reset()
    return stub


def litellm_generator(server: OpenAIStub, api_key: str, **kwargs: Any) -> LiteLLMGenerator:
    """A LiteLLM generator pointed at ``server`` with fast retries (overridable)."""
    options: dict[str, Any] = {"backoff_base": 0.01, "backoff_max": 0.05, "max_retries": 2}
    options.update(kwargs)
    return LiteLLMGenerator(
        model="openai/stub-model",
        api_key=api_key,
        params=GenerateParams(api_base=server.base_url),
        **options,
    )
