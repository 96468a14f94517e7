import json

import pytest
from pydantic import ValidationError

import rigging as rg
from rigging.generator import (
    GeneratedMessage,
    GeneratedText,
    GenerateParams,
    Usage,
    convert_stop_reason,
)

TOOL = {"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}


def test_field_order_is_the_spec_order() -> None:
    assert list(GenerateParams.model_fields) == [
        "temperature",
        "max_tokens",
        "top_k",
        "top_p",
        "stop",
        "presence_penalty",
        "frequency_penalty",
        "api_base",
        "timeout",
        "seed",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "extra",
    ]


def test_stop_accepts_string_split_on_semicolons() -> None:
    assert GenerateParams(stop="a;b;").stop == ["a", "b", ""]
    assert GenerateParams(stop=["x"]).stop == ["x"]
    with pytest.raises(ValidationError, match="stop must be a string"):
        GenerateParams(stop=3)


def test_unknown_keys_are_rejected() -> None:
    with pytest.raises(ValidationError, match="nope"):
        GenerateParams(nope=1)  # type: ignore[call-arg]


def test_tools_accept_dicts_and_json_strings() -> None:
    import json

    from_dict = GenerateParams(tools=[TOOL])
    from_json = GenerateParams(tools=[json.dumps(TOOL)])
    from_list_json = GenerateParams(tools=json.dumps([TOOL]))
    assert from_dict.tools == from_json.tools == from_list_json.tools
    assert from_dict.tools is not None
    assert from_dict.tools[0].function.name == "add"
    with pytest.raises(ValidationError, match="tools string is not valid JSON"):
        GenerateParams(tools=["{nope"])


def test_tool_choice_accepts_json_object_text() -> None:
    choice = '{"type": "function", "function": {"name": "add"}}'
    params = GenerateParams(tool_choice=choice)
    assert params.tool_choice == {"type": "function", "function": {"name": "add"}}
    assert GenerateParams(tool_choice="auto").tool_choice == "auto"


def test_merge_with_returns_a_new_object_and_never_mutates() -> None:
    base = GenerateParams(temperature=0.5, extra={"a": 1})
    merged = base.merge_with()
    assert merged == base
    assert merged is not base
    merged.extra["b"] = 2
    assert base.extra == {"a": 1}


def test_merge_with_layers_explicit_non_none_fields_in_order() -> None:
    base = GenerateParams(temperature=0.5, max_tokens=10, extra={"a": 1, "b": 1})
    first = GenerateParams(temperature=0.9, top_p=None, extra={"b": 2})
    second = GenerateParams(max_tokens=20, extra={"c": 3})
    merged = base.merge_with(first, None, second)
    assert merged.temperature == 0.9
    assert merged.max_tokens == 20
    assert merged.top_p is None
    assert merged.extra == {"a": 1, "b": 2, "c": 3}
    assert base.temperature == 0.5


def test_to_dict_drops_none_and_flattens_extra() -> None:
    params = GenerateParams(
        max_tokens=5, stop=["x"], tools=[TOOL], extra={"max_tokens": 7, "user": "u"}
    )
    data = params.to_dict()
    assert data["max_tokens"] == 7  # extra wins
    assert data["user"] == "u"
    assert data["stop"] == ["x"]
    assert data["tools"][0]["function"]["name"] == "add"
    assert "temperature" not in data
    assert "extra" not in data


def test_to_identifier_params_keeps_types_and_order() -> None:
    params = GenerateParams(
        max_tokens=10,
        temperature=1.0,
        stop=["a", "b"],
        tools=[TOOL],
        extra={"n": 2, "response_format": {"type": "json_object"}},
    )
    values = params.to_identifier_params()
    assert list(values) == ["temperature", "max_tokens", "stop", "tools", "n", "response_format"]
    assert values["max_tokens"] == 10
    assert isinstance(values["max_tokens"], int)
    assert values["temperature"] == 1.0
    assert values["stop"] == ["a", "b"]
    assert GenerateParams(tools=values["tools"]).tools == params.tools
    assert values["response_format"] == '{"type":"json_object"}'


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("stop", "stop"),
        ("eos", "stop"),
        ("end_turn", "stop"),
        ("length", "length"),
        ("model_length", "length"),
        ("content_filter", "content_filter"),
        ("tool_calls", "tool_calls"),
        ("function_tool", "tool_calls"),
        ("weird", "unknown"),
        (None, "unknown"),
    ],
)
def test_convert_stop_reason(given: str | None, expected: str) -> None:
    assert convert_stop_reason(given) == expected


def test_generated_results() -> None:
    message = GeneratedMessage.from_text("hello", stop_reason="eos")
    assert message.stop_reason == "stop"
    assert message.message.role == "assistant"
    assert str(message) == str(message.message)
    text = GeneratedText.from_text("done", stop_reason="length")
    text.usage = Usage(input_tokens=1, output_tokens=2, total_tokens=3)
    text.extra["id"] = "x"
    converted = text.to_generated_message()
    assert str(text) == "done"
    assert converted.message.content == "done"
    assert converted.stop_reason == "length"
    assert converted.usage == text.usage
    assert converted.extra == {"id": "x"}
    assert GeneratedText(text="t", stop_reason="tool_use").stop_reason == "tool_calls"


def test_usage_adds() -> None:
    total = Usage(input_tokens=1, output_tokens=2, total_tokens=3) + Usage(
        input_tokens=10, output_tokens=20, total_tokens=30
    )
    assert total == Usage(input_tokens=11, output_tokens=22, total_tokens=33)


def test_tool_schemas_are_not_searched_for_secrets() -> None:
    # A tool parameter named `password` is a name: its schema ({"type": "string"}) is not a
    # secret. Before, "string" became a known secret (masked in every log and error) and the
    # property was dropped from identifiers and masked in dumps.
    from rigging._redact import redact_known, remember_params, secret_values

    def login(user: str, password: str) -> str:
        """Log in."""
        return user

    tools = [rg.ApiTool(login).definition]
    params = rg.GenerateParams(tools=tools, extra={"api_key": "sk-tool-test-SECRET"})
    assert secret_values(params) == ["sk-tool-test-SECRET"]
    remember_params([params])
    assert redact_known("a string field") == "a string field"
    assert "sk-tool-test-SECRET" not in redact_known("key sk-tool-test-SECRET")
    generator = rg.get_generator("openai/gpt-4o")
    identifier = generator.to_identifier(params)
    assert "SECRET" not in identifier
    assert rg.get_generator(identifier).params.tools == params.tools
    dumped = json.loads(params.model_dump_json())
    assert dumped["tools"] == [tool.model_dump(mode="json") for tool in tools]
    assert dumped["extra"] == {"api_key": "***"}
    assert "'password': {'type': 'string'}" in repr(params)
    assert "sk-tool-test-SECRET" not in repr(params)
    chat = rg.Chat([rg.Message("user", "hi")], generator=generator, params=params)
    loaded = rg.Chat.model_validate_json(chat.model_dump_json())
    assert loaded.generator is not None
    assert loaded.generator.params.tools == params.tools
