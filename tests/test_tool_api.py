import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from rigging._message.tool_calls import unique_call_ids
from rigging.tool import ToolType, api
from rigging.tool.api import (
    FunctionCall,
    FunctionDefinition,
    NamedFunction,
    ToolCall,
    ToolChoice,
    ToolChoiceDefinition,
    ToolDefinition,
)


def test_function_definition_drops_empty_object_schema() -> None:
    empty = FunctionDefinition(name="ping", parameters={"type": "object", "properties": {}})
    assert empty.parameters is None
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
    assert FunctionDefinition(name="add", parameters=schema).parameters == schema
    assert FunctionDefinition(name="f").description is None


def test_tool_definition_shape() -> None:
    definition = ToolDefinition(function=FunctionDefinition(name="f", description="does f"))
    assert definition.model_dump() == {
        "type": "function",
        "function": {"name": "f", "description": "does f", "parameters": None},
    }
    with pytest.raises(ValidationError, match="Input should be 'function'"):
        ToolDefinition.model_validate({"type": "other", "function": {"name": "f"}})


def test_tool_choice() -> None:
    choice = ToolChoiceDefinition(function=NamedFunction(name="f"))
    assert choice.model_dump() == {"type": "function", "function": {"name": "f"}}
    adapter: TypeAdapter[ToolChoice] = TypeAdapter(ToolChoice)
    assert adapter.validate_python("auto") == "auto"
    assert adapter.validate_python({"type": "function"}) == {"type": "function"}


def test_tool_call_str_and_round_trip() -> None:
    call = ToolCall(id="1", function=FunctionCall(name="add", arguments='{"x": 1}'))
    assert str(call) == '<ToolCall add({"x": 1})>'
    assert ToolCall.model_validate_json(call.model_dump_json()) == call
    with pytest.raises(ValidationError, match="arguments"):
        FunctionCall.model_validate({"name": "x"})


def test_module_surface() -> None:
    tool_type: ToolType = "api"
    assert tool_type == "api"
    assert sorted(api.__all__) == api.__all__


@given(st.lists(st.sampled_from(["", "a", "a_1", "a_2", "b", "call_0", "call_1"]), max_size=8))
def test_unique_call_ids_gives_every_call_its_own_id(ids: list[str]) -> None:
    calls = [ToolCall(id=i, function=FunctionCall(name="f", arguments="{}")) for i in ids]
    unique_call_ids(calls)
    after = [call.id for call in calls]
    assert len(set(after)) == len(after)
    assert "" not in after
    seen: set[str] = set()
    for before, now in zip(ids, after, strict=True):
        if before and before not in seen:
            assert now == before  # the first use of an id is kept
        seen.add(before)
