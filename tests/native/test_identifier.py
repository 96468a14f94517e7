"""FFI edges of `Identifier`: types, code-point positions, error classes and messages, secrets."""

from __future__ import annotations

import math
import re

import pytest

from rigging._native import Identifier, IdentifierError, RiggingError

SECRET = "sk-Zq8Xv3Lm0Pt7Rw2Ny"


def test_parse_fields_and_types() -> None:
    ident = Identifier.parse(
        "litellm!many/model/slashes,max_tokens=1024,top_p=0.1,seed=-3,stream=TRUE,"
        'stop=a;b;c;,api_base=https://localhost:8000,big="123456789012345678901234"'
    )
    assert ident.provider == "litellm"
    assert ident.model == "many/model/slashes"
    assert ident.api_key is None
    params = ident.params
    assert list(params) == ["max_tokens", "top_p", "seed", "stream", "stop", "api_base", "big"]
    assert params["max_tokens"] == 1024
    assert type(params["max_tokens"]) is int
    assert params["top_p"] == 0.1
    assert type(params["top_p"]) is float
    assert params["seed"] == -3
    assert params["stream"] is True
    assert params["stop"] == ["a", "b", "c", ""]
    assert params["api_base"] == "https://localhost:8000"
    assert params["big"] == "123456789012345678901234"


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        (
            "m,max_tokens=99999999999999999999999",
            "parameter 'max_tokens' at position 13 does not fit in a 64-bit integer",
            13,
        ),
        (
            "m, seed = -9223372036854775809",
            "parameter 'seed' at position 10 does not fit in a 64-bit integer",
            10,
        ),
        (
            "é,temperature=1e400",
            "parameter 'temperature' at position 14 is too large for a 64-bit float",
            14,
        ),
        ("m,Sk9xQ=99999999999999999999", "value of a parameter at position 8 does not fit", 8),
    ],
)
def test_numbers_out_of_range_are_refused_at_parse_time(
    text: str, message: str, position: int
) -> None:
    with pytest.raises(IdentifierError, match=re.escape(message)) as info:
        Identifier.parse(text)
    assert info.value.position == position
    assert "9999" not in str(info.value)


def test_no_provider_is_none() -> None:
    ident = Identifier.parse("gpt-3.5")
    assert ident.provider is None
    assert ident.model == "gpt-3.5"
    assert ident.params == {}
    assert str(ident) == "gpt-3.5"


def test_special_floats() -> None:
    params = Identifier.parse("m,a=inf,b=-inf,c=nan,d=1e3,e=.5").params
    assert params["a"] == math.inf
    assert params["b"] == -math.inf
    assert isinstance(params["c"], float)
    assert math.isnan(params["c"])
    assert params["d"] == 1000.0
    assert params["e"] == 0.5
    # NaN parameters still compare equal after a round trip.
    ident = Identifier.parse("m,c=nan")
    assert Identifier.parse(ident.format()) == ident


def test_quoting_escapes_and_whitespace() -> None:
    text = r' p ! "a,b!c" , k = "x,\"y\";z" , b64 = YWJj== , e=a!b , l = "1;2" ; 3 , q="10"'
    ident = Identifier.parse(text)
    assert ident.provider == "p"
    assert ident.model == "a,b!c"
    assert ident.params == {
        "k": 'x,"y";z',
        "b64": "YWJj==",
        "e": "a!b",
        "l": ["1;2", "3"],
        "q": "10",
    }
    assert ident.format() == r'p!"a,b!c",k="x,\"y\";z",b64=YWJj==,e=a!b,l="1;2";3,q="10"'
    assert Identifier.parse(ident.format()) == ident


def test_duplicate_keys_keep_first_position_last_value() -> None:
    ident = Identifier.parse("m,a=1,b=2,a=3")
    assert list(ident.params.items()) == [("a", 3), ("b", 2)]


def test_constructor_and_format() -> None:
    ident = Identifier(
        "gpt-4o",
        provider="openai",
        params={"temperature": 1.0, "n": 2, "flag": False, "name": "true", "stop": ["x", "y;z"]},
        api_key=SECRET,
    )
    assert ident.format() == 'openai!gpt-4o,temperature=1.0,n=2,flag=false,name="true",stop=x;"y;z"'
    assert str(ident) == ident.format()
    back = Identifier.parse(ident.format())
    assert back.params == ident.params
    assert back != ident  # the api key is not written
    assert back == Identifier("gpt-4o", provider="openai", params=ident.params)


def test_one_element_list_has_no_spelling_of_its_own() -> None:
    ident = Identifier("m", params={"stop": ["x"]})
    assert ident.format() == "m,stop=x"
    assert Identifier.parse(ident.format()).params == {"stop": "x"}


def test_immutable_unhashable_and_equality() -> None:
    ident = Identifier.parse("p!m,a=1")
    with pytest.raises(AttributeError):
        ident.model = "x"  # type: ignore[misc]
    ident.params["a"] = 2
    assert ident.params == {"a": 1}
    with pytest.raises(TypeError, match="unhashable"):
        hash(ident)
    assert ident == Identifier("m", provider="p", params={"a": 1})
    assert ident != Identifier("m", provider="p", params={"a": 1.5})
    assert ident != "p!m,a=1"


def test_repr() -> None:
    ident = Identifier.parse("p!m,a=1")
    assert repr(ident) == "Identifier(provider='p', model='m', params={'a': 1}, api_key=None)"
    ident = Identifier.parse("m")
    assert repr(ident) == "Identifier(provider=None, model='m', params={}, api_key=None)"


def test_api_key_is_separate_and_never_rendered() -> None:
    ident = Identifier.parse(f"openai!gpt-4o,api_key={SECRET},temperature=0")
    assert ident.api_key == SECRET
    assert "api_key" not in ident.params
    assert ident.params == {"temperature": 0}
    for rendering in (repr(ident), str(ident), ident.format()):
        assert SECRET not in rendering
    assert "api_key=<redacted>" in repr(ident)
    assert Identifier.parse(f'm,api_key="{SECRET},x"').api_key == f"{SECRET},x"
    assert Identifier.parse("m,api_key=12345").api_key == "12345"


@pytest.mark.parametrize(
    "text",
    [
        f"m,api_key={SECRET},k",
        f'm,api_key="{SECRET}" x',
        f'm,api_key="{SECRET}',
        f"m,{SECRET}",
        f"m,{SECRET}=1,",
        f"{SECRET}!a!b",
        f'm,k="{SECRET}\\q"',
    ],
)
def test_api_key_never_in_error_text(text: str) -> None:
    with pytest.raises(IdentifierError) as info:
        Identifier.parse(text)
    assert SECRET not in str(info.value)
    assert SECRET not in repr(info.value)
    assert all(SECRET not in str(arg) for arg in info.value.args)


@pytest.mark.parametrize(
    ("text", "message", "position"),
    [
        ("", "empty model name at position 0", 0),
        ("😀!", "invalid provider name at position 0", 0),
        ("p!😀,", "trailing ',' at position 3 (expected key=value after it)", 3),
        ("p!", "empty model name at position 2", 2),
        ('""', "empty model name at position 0", 0),
        ("a!b!c", "unexpected second '!' at position 3", 3),
        ("open ai!m", "invalid provider name at position 0", 0),
        ("m,,a=1", "empty parameter after ',' at position 1", 1),
        ("m,9a=1", "expected a parameter name at position 2", 2),
        ("openai!gpt-4,temperature 0.5", "expected '=' after key 'temperature' at position 25", 25),
        ('é😀,k="abc', "unterminated quoted value starting at position 5", 5),
        ('p!"abc', "unterminated quoted model name starting at position 2", 2),
        ('😀,k="a\\nb"', "invalid escape at position 6", 6),
        ('"m" x', "expected ',' after the quoted model name at position 4", 4),
        ('m,k="a"b', "expected ',' or ';' after the quoted value at position 7", 7),
    ],
)
def test_errors_say_what_was_expected_where(text: str, message: str, position: int) -> None:
    with pytest.raises(IdentifierError, match=f"^{re.escape(message)}") as info:
        Identifier.parse(text)
    assert info.value.position == position
    assert position <= len(text)


def test_identifier_error_classes() -> None:
    with pytest.raises(ValueError, match="trailing") as info:
        Identifier.parse("m,")
    assert isinstance(info.value, RiggingError)
    assert isinstance(info.value, IdentifierError)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"provider": "a b"}, ValueError, "invalid provider name"),
        ({"provider": ""}, ValueError, "invalid provider name"),
        ({"params": {"api_key": "x"}}, ValueError, "'api_key' is not a parameter"),
        ({"params": {"ok": 1, "9x": 1}}, ValueError, "invalid name for parameter 1"),
        ({"params": {"a": object()}}, TypeError, "parameter 'a' must be int, float, bool, str"),
        ({"params": {"a": [1]}}, TypeError, "parameter 'a' must be int, float, bool, str"),
        ({"params": {"a": 2**70}}, ValueError, "parameter 'a' does not fit in a 64-bit integer"),
        ({"params": {SECRET: object()}}, TypeError, "parameter 0 must be int"),
    ],
)
def test_constructor_rejects_unwritable_fields(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)) as info:
        Identifier("m", **kwargs)  # type: ignore[arg-type]
    assert SECRET not in str(info.value)


def test_empty_model_rejected_by_constructor() -> None:
    with pytest.raises(ValueError, match=r"^empty model name$"):
        Identifier("")


def test_tuple_lists_are_accepted() -> None:
    assert Identifier("m", params={"stop": ("a", "b")}).params == {"stop": ["a", "b"]}
