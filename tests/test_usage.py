"""Usage and cost: a chat's usage sums every generation call made for it, priced by LiteLLM.

Runs LiteLLM against the loopback OpenAI stub, which reports the usage each test scripts.
"""

from __future__ import annotations

from typing import Any

import pytest
from _servers.litellm_loop import litellm_generator
from _servers.litellm_loop import server as server
from _servers.litellm_loop import stub as stub
from _servers.openai_stub import OpenAIStub, Reply, ToolCall

from rigging.generator import Usage
from rigging.generator.litellm_ import LiteLLMGenerator, import_litellm
from rigging.generator.testing import ScriptedGenerator
from rigging.model import Answer
from rigging.stream import ChatFinishedEvent, RoundFinishedEvent

# litellm's stream handler trips a pydantic 2.11 deprecation on tool-call chunks (see
# test_stream_litellm): its warning, not ours.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
    pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning"),
]

PRICED = "openai/gpt-4o-mini"  # in LiteLLM's local price list
FIRST = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
SECOND = {"prompt_tokens": 150, "completion_tokens": 30, "total_tokens": 180}


def _gen(server: OpenAIStub, model: str = PRICED) -> LiteLLMGenerator:
    gen = litellm_generator(server, "sk-test")
    gen.model = model
    return gen


def _price(prompt_tokens: int, completion_tokens: int) -> float:
    """The price straight from LiteLLM's cost map (per-token prices)."""
    entry: dict[str, Any] = import_litellm().model_cost["gpt-4o-mini"]
    return float(
        prompt_tokens * entry["input_cost_per_token"]
        + completion_tokens * entry["output_cost_per_token"]
    )


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def _tool_script() -> list[Any]:
    return [
        Reply(tool_calls=[ToolCall("add", {"a": 1, "b": 2})], usage=FIRST),
        Reply(content="<answer>3</answer>", usage=SECOND),
    ]


def _check_two_calls(usage: Usage | None) -> None:
    assert usage is not None
    assert (usage.input_tokens, usage.output_tokens, usage.total_tokens) == (250, 50, 300)
    assert [(c.input_tokens, c.output_tokens) for c in usage.calls if c] == [(100, 20), (150, 30)]
    assert len(usage.calls) == 2
    first, second = usage.calls
    assert first is not None
    assert second is not None
    assert first.cost == pytest.approx(_price(100, 20))
    assert second.cost == pytest.approx(_price(150, 30))
    assert usage.cost == pytest.approx(_price(250, 50))
    assert usage.cost is not None
    assert usage.cost > 0


@pytest.mark.asyncio(loop_scope="module")
async def test_a_tool_round_trip_reports_both_calls(server: OpenAIStub) -> None:
    server.script(*_tool_script())
    chat = await _gen(server).chat("1+2?").using(add, mode="api").run()
    assert chat.last.content == "<answer>3</answer>"
    assert len(server.requests) == 2
    _check_two_calls(chat.usage)


@pytest.mark.asyncio(loop_scope="module")
async def test_recovery_rounds_are_counted(server: OpenAIStub) -> None:
    server.script(
        Reply(content="no tags here", usage=FIRST),
        Reply(content="<answer>4</answer>", usage=SECOND),
    )
    chat = await _gen(server).chat("2+2?").until_parsed_as(Answer).run()
    assert chat.last.parse(Answer).content == "4"
    _check_two_calls(chat.usage)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_failed_chat_still_reports_the_calls_it_made(server: OpenAIStub) -> None:
    server.script(Reply(content="bad", usage=FIRST), Reply(content="worse", usage=SECOND))
    pipeline = _gen(server).chat("2+2?").until_parsed_as(Answer, max_rounds=1)
    (chat,) = await pipeline.run_many(1, on_failed="include")
    assert chat.failed
    _check_two_calls(chat.usage)


@pytest.mark.asyncio(loop_scope="module")
async def test_a_model_without_a_price_has_cost_none_not_zero(server: OpenAIStub) -> None:
    server.script(*_tool_script())
    chat = await _gen(server, "openai/stub-model").chat("1+2?").using(add, mode="api").run()
    usage = chat.usage
    assert usage is not None
    assert usage.total_tokens == 300
    assert usage.cost is None
    assert [c.cost for c in usage.calls if c is not None] == [None, None]


@pytest.mark.asyncio(loop_scope="module")
async def test_streaming_reports_usage_at_the_end_of_each_round(server: OpenAIStub) -> None:
    server.script(*_tool_script())
    events = [e async for e in _gen(server).chat("1+2?").using(add, mode="api").stream()]
    rounds = [e for e in events if isinstance(e, RoundFinishedEvent)]
    assert [e.round for e in rounds] == [1, 2]
    per_round = [e.generated.usage for e in rounds]
    assert [(u.input_tokens, u.output_tokens) for u in per_round if u] == [(100, 20), (150, 30)]
    assert [u.cost for u in per_round if u] == [
        pytest.approx(_price(100, 20)),
        pytest.approx(_price(150, 30)),
    ]
    final = events[-1]
    assert isinstance(final, ChatFinishedEvent)
    _check_two_calls(final.chat.usage)
    assert server.requests[0].json["stream_options"] == {"include_usage": True}


@pytest.mark.asyncio(loop_scope="module")
async def test_usage_survives_serialization(server: OpenAIStub) -> None:
    from rigging.chat import Chat

    server.script(*_tool_script())
    chat = await _gen(server).chat("1+2?").using(add, mode="api").run()
    again = Chat.model_validate_json(chat.model_dump_json())
    assert again.usage == chat.usage


@pytest.mark.asyncio
async def test_completion_regenerations_are_counted() -> None:
    gen = ScriptedGenerator(responses=["one two", "three four five"])
    completion = await gen.complete("count:").until(lambda text: "five" not in text).run()
    usage = completion.usage
    assert usage is not None
    assert len(usage.calls) == 2
    assert usage.output_tokens == 2 + 3
    assert usage.cost is None  # an offline generator has no price


def test_total_of_partly_reported_calls() -> None:
    priced = Usage(input_tokens=3, output_tokens=4, total_tokens=7, cost=0.5)
    unpriced = Usage(input_tokens=1, output_tokens=1, total_tokens=2)
    assert Usage.total([]) is None
    assert Usage.total([None, None]) is None
    both = Usage.total([priced, priced])
    assert both is not None
    assert both.cost == 1.0
    assert both.total_tokens == 14
    mixed = Usage.total([priced, None, unpriced])
    assert mixed is not None
    assert mixed.total_tokens == 9
    assert mixed.cost is None
    assert mixed.calls == [priced, None, unpriced]
    assert (priced + priced).cost == 1.0
    assert (priced + unpriced).cost is None
