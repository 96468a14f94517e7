"""Loopback test servers, and the pytest fixtures that run them.

To use the OpenAI-compatible stub in a test module or a conftest, import the fixture function;
it registers under the name ``openai_stub``::

    from _servers import openai_stub_fixture as openai_stub_fixture

    def test_x(openai_stub: OpenAIStub) -> None: ...
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .openai_stub import (
    Action,
    Drip,
    DropConnection,
    ErrorReply,
    Handler,
    Hang,
    OpenAIStub,
    RawReply,
    RecordedRequest,
    Reply,
    ResetMidBody,
    ToolCall,
    prompt_of,
)

__all__ = [
    "Action",
    "Drip",
    "DropConnection",
    "ErrorReply",
    "Handler",
    "Hang",
    "OpenAIStub",
    "RawReply",
    "RecordedRequest",
    "Reply",
    "ResetMidBody",
    "ToolCall",
    "openai_stub_fixture",
    "prompt_of",
]


@pytest.fixture(name="openai_stub")
def openai_stub_fixture() -> Iterator[OpenAIStub]:
    """A running `OpenAIStub` on 127.0.0.1; stopped after the test, with no thread left."""
    with OpenAIStub() as stub:
        yield stub
    if stub.handler_errors:
        raise AssertionError(f"the stub's request handler raised: {stub.handler_errors!r}")
