import json
import os
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import rigging as rg
from rigging._redact import is_secret_name
from rigging.error import InvalidModelSpecifiedError
from rigging.generator import (
    GenerateParams,
    Generator,
    get_generator,
    get_identifier,
    providers,
    register_generator,
)
from rigging.generator.http import HTTPGenerator
from rigging.generator.litellm_ import LiteLLMGenerator
from rigging.generator.testing import EchoGenerator

SECRET = "sk-registry-SECRET-42"


class CustomGenerator(Generator):
    custom_field: int = 0


class CustomChild(CustomGenerator):
    pass


def test_routing_of_keys_and_typed_values() -> None:
    gen = get_generator(
        "openai/gpt-4o,max_connections=10,temperature=1,max_tokens=100,stop=a;b,"
        f"top_k=5,response_format=json,n=2,api_key={SECRET}"
    )
    assert isinstance(gen, LiteLLMGenerator)
    assert gen.model == "openai/gpt-4o"
    assert gen.max_connections == 10
    assert gen.api_key == SECRET
    assert gen.params.temperature == 1.0
    assert gen.params.max_tokens == 100
    assert gen.params.stop == ["a", "b"]
    assert gen.params.extra == {"response_format": "json", "n": 2}
    assert isinstance(gen.params.extra["n"], int)


@pytest.mark.parametrize(
    "identifier",
    [
        "litellm!gpt-3.5",
        "litellm!test_model,max_tokens=1024,top_p=0.1",
        "litellm!custom,temperature=1.0,max_tokens=100,api_base=https://localhost:8000",
        'litellm!many/model/slashes,stop=a;b;"";',
        "litellm!with_cls_args,max_connections=10",
        "litellm!m,max_connections=3,seed=1,parallel_tool_calls=false,n=2,mode=fast",
        'litellm!m,tool_choice=auto,note="x,y=z",quote="say \\"hi\\""',
        "vllm!org/model,dtype=half,gpu_memory_utilization=0.5",
        "transformers!org/model,load_in_4bit=true,temperature=0.5",
    ],
)
def test_identifiers_round_trip(identifier: str) -> None:
    gen = get_generator(identifier)
    assert get_identifier(gen) == get_identifier(get_generator(get_identifier(gen)))
    if "stop=" not in identifier:
        assert get_identifier(gen) == identifier


def test_default_provider_is_litellm() -> None:
    assert get_identifier(get_generator("gpt-3.5")) == "litellm!gpt-3.5"
    assert providers()[:2] == ["litellm", "http"]


def test_tools_and_http_spec_round_trip() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    gen = LiteLLMGenerator(model="m", params=GenerateParams(tools=[tool], tool_choice="required"))
    again = get_generator(get_identifier(gen))
    assert again.params.tools == gen.params.tools
    assert again.params.tool_choice == "required"
    spec = {
        "request": {
            "url": "http://x/{{ model }}",
            "transforms": [{"type": "jinja", "pattern": "{{ content }}"}],
        }
    }
    http = HTTPGenerator(model="h", spec=spec, api_key=SECRET)
    rebuilt = get_generator(get_identifier(http))
    assert isinstance(rebuilt, HTTPGenerator)
    assert rebuilt.spec == http.spec
    assert rebuilt.api_key is None


def test_get_identifier_never_mutates_and_merges_params() -> None:
    gen = LiteLLMGenerator(model="m", params=GenerateParams(temperature=0.5, extra={"k": "v"}))
    text = get_identifier(gen, GenerateParams(max_tokens=9))
    assert text == "litellm!m,temperature=0.5,max_tokens=9,k=v"
    assert gen.params.extra == {"k": "v"}
    assert gen.params.max_tokens is None
    assert gen.to_identifier() == "litellm!m,temperature=0.5,k=v"


def test_custom_generators_serialise_under_their_own_provider() -> None:
    register_generator("custom", CustomGenerator)
    gen = get_generator("custom!thing,custom_field=3,temperature=0.5")
    assert isinstance(gen, CustomGenerator)
    assert gen.custom_field == 3
    assert get_identifier(gen) == "custom!thing,custom_field=3,temperature=0.5"
    assert get_identifier(CustomChild(model="c")) == "custom!c"  # closest registered class
    register_generator("lazy-custom", lambda: CustomChild)
    assert isinstance(get_generator("lazy-custom!x"), CustomChild)
    assert get_identifier(CustomChild(model="c")) == "lazy-custom!c"
    assert get_identifier(EchoGenerator()) == "base!echo"


def test_register_generator_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="invalid provider name 'a!b'"):
        register_generator("a!b", CustomGenerator)
    with pytest.raises(TypeError, match="int is not a Generator subclass"):
        register_generator("num", int)  # type: ignore[arg-type]
    register_generator("broken", lambda: int)  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match="loader for provider 'broken' did not return"):
        get_generator("broken!x")


@pytest.mark.parametrize(
    ("identifier", "message"),
    [
        ("", "invalid connection string: .*position 0"),
        (
            "gpt-4,temperature",
            "invalid connection string: expected '=' after key 'temperature' at position 17",
        ),
        ("nope!gpt-4", r"unknown provider 'nope' \(registered: .*litellm"),
        (
            "gpt-4,temperature=hot",
            "invalid generation parameter temperature: Input should be a valid number",
        ),
        ("gpt-4,stop=1", "invalid generation parameter stop: Value error, stop must be a string"),
        ("gpt-4,max_connections=lots", "invalid LiteLLMGenerator argument max_connections"),
        ("gpt-4,model=x", "key 'model' is reserved"),
    ],
)
def test_bad_identifiers_name_the_problem(identifier: str, message: str) -> None:
    with pytest.raises(InvalidModelSpecifiedError, match=message):
        get_generator(f"{identifier},api_key={SECRET}" if identifier else identifier)


def test_bad_identifier_errors_never_contain_the_key() -> None:
    for bad in [f"gpt-4,api_key={SECRET},temperature=hot", f"gpt-4,api_key={SECRET},x"]:
        with pytest.raises(InvalidModelSpecifiedError) as info:
            get_generator(bad)
        assert SECRET not in str(info.value)
        assert SECRET not in repr(info.value)


def test_position_is_reported() -> None:
    with pytest.raises(InvalidModelSpecifiedError) as info:
        get_generator("gpt-4,bad")
    assert info.value.position == 9
    assert isinstance(info.value, ValueError)


_names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: (
        n not in GenerateParams.model_fields
        and n not in LiteLLMGenerator.model_fields
        and not is_secret_name(n)
    )  # left out of identifiers by design (`pw`, `sig`, `xkey`...)
)


def _json_container(text: str) -> bool:
    """Text that reads as a JSON list or dict: identifiers spell such an `extra` str the same
    as the list or dict itself, which is what it reads back as (documented)."""
    try:
        return isinstance(json.loads(text), (list, dict))
    except (ValueError, RecursionError):
        return False


_values = st.one_of(
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=12).filter(
        lambda text: not _json_container(text)
    ),
)


@settings(max_examples=150, deadline=None)
@given(
    model=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_./:-]{0,20}", fullmatch=True),
    temperature=st.none() | st.floats(0, 2, width=32),
    max_tokens=st.none() | st.integers(1, 10**6),
    stop=st.none()
    | st.lists(st.text(max_size=5).filter(lambda s: ";" not in s), min_size=1, max_size=3),
    extra=st.dictionaries(_names, _values, max_size=4),
    connections=st.none() | st.integers(0, 100),
)
def test_property_round_trip(
    model: str,
    temperature: float | None,
    max_tokens: int | None,
    stop: list[str] | None,
    extra: dict[str, object],
    connections: int | None,
) -> None:
    params = GenerateParams(temperature=temperature, max_tokens=max_tokens, stop=stop, extra=extra)
    kwargs = {} if connections is None else {"max_connections": connections}
    gen = LiteLLMGenerator(model=model, params=params, api_key=SECRET, **kwargs)
    text = get_identifier(gen)
    assert SECRET not in text
    again = get_generator(text)
    assert type(again) is LiteLLMGenerator
    assert again.model == model
    assert again.params == gen.params
    assert again.max_connections == gen.max_connections
    assert get_identifier(again) == text


def test_litellm_is_imported_on_first_use_only() -> None:
    code = (
        "import os, sys\n"
        "import rigging\n"
        "gen = rigging.get_generator('gpt-4o,max_connections=3')\n"
        "assert type(gen).__name__ == 'LiteLLMGenerator', type(gen)\n"
        "assert 'litellm' not in sys.modules\n"
        "assert 'LITELLM_LOCAL_MODEL_COST_MAP' not in os.environ\n"
        "from rigging.generator.litellm_ import import_litellm\n"
        "import_litellm()\n"
        "assert os.environ['LITELLM_LOCAL_MODEL_COST_MAP'] == 'True'\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_a_stop_sequence_holding_a_semicolon_survives_an_identifier() -> None:
    """`stop=["a;b"]` was written quoted and split on its `;` when read back."""
    for stop in (["a;b"], ["a;b", "c"], ["x"], ["a", "b"]):
        gen = get_generator("openai/gpt-x", params=GenerateParams(stop=stop))
        assert get_generator(gen.to_identifier()).params.stop == stop
    assert get_generator("gpt-x,stop=a;b").params.stop == ["a", "b"]  # bare: a list
    assert get_generator('gpt-x,stop="a;b"').params.stop == ["a;b"]  # quoted: one sequence


def test_dict_and_list_extras_come_back_from_an_identifier_as_they_were() -> None:
    """Identifiers write them as JSON text, which was read back as a str: litellm then
    refused `extra_headers` with an opaque error."""
    extra = {
        "extra_headers": {"X-Trace": "1"},
        "metadata": {"a": [1, {"b": None}]},
        "logit_bias": {"50256": -100},
        "numbers": [1, 2.5],
        "one_tag": ["a"],
        "one_number_like": ["0"],
        "no_tags": [],
        "two_tags": ["a", "b"],
        "note": "{not json",
        "brackets": "[literal]",
    }
    gen = get_generator("openai/gpt-x", params=GenerateParams(extra=extra))
    again = get_generator(gen.to_identifier())
    assert again.params.extra == extra
    assert again.to_identifier() == gen.to_identifier()


def test_secret_params_in_request_extra_are_left_out_of_identifiers() -> None:
    # `api_key` is refused as a parameter when parsing a connection string, but a request's
    # `extra` may carry one (`.with_(extra={"api_key": ...})`): the identifier leaves it out,
    # so the chat's generator_id, equality and JSON dump work.
    generator = rg.get_generator("openai/gpt-4o")
    params = rg.GenerateParams(extra={"api_key": "sk-extra-SECRET", "top_k": 3, "Token": "t-S"})
    identifier = generator.to_identifier(params)
    assert "top_k=3" in identifier
    for leaked in ("SECRET", "api_key", "t-S"):
        assert leaked not in identifier
    chat = rg.Chat([rg.Message("user", "hi")], generator=generator, params=params)
    assert "sk-extra-SECRET" not in chat.model_dump_json()
    assert chat == chat.model_copy()
