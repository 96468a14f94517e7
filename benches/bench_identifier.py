"""Parse and re-format 10,000 connection strings: native `Identifier` vs a split-based parser."""

from __future__ import annotations

import random
from functools import cache

from pytest_benchmark.fixture import BenchmarkFixture

from rigging._native import Identifier

COUNT = 10_000
Params = dict[str, int | float | bool | str | list[str]]
Parsed = tuple[str | None, str, Params, str | None]

_PROVIDERS = ("litellm", "openai", "anthropic", "vllm", "http")
_MODELS = ("gpt-4o", "claude-3-5-sonnet-20240620", "meta-llama/Llama-3-8b@v1.2", "groq/x:latest")


@cache
def _identifiers() -> list[str]:
    """Fixed-seed connection strings in the shapes users write (no quoting needed)."""
    rng = random.Random(7)
    out = []
    for _ in range(COUNT):
        head = rng.choice(_MODELS)
        if rng.random() < 0.8:
            head = f"{rng.choice(_PROVIDERS)}!{head}"
        params = [
            f"temperature={round(rng.uniform(0, 2), 2)}",
            f"max_tokens={rng.randint(16, 4096)}",
            f"top_p={round(rng.random(), 2)}",
            f"stream={rng.choice(['true', 'false'])}",
            "stop=</answer>;###;END",
            "api_base=https://example.test:8000/v1",
            f"api_key=sk-{rng.getrandbits(64):016x}",
            f"seed={rng.randint(0, 99)}",
        ]
        rng.shuffle(params)
        out.append(",".join([head, *params[: rng.randint(0, len(params))]]))
    return out


def _typed(value: str) -> int | float | bool | str | list[str]:
    if ";" in value:
        return value.split(";")
    for convert in (int, float):
        try:
            return convert(value)
        except ValueError:
            pass
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def python_parse(text: str) -> Parsed:
    """Upstream-style parsing: split on `!`, then `,`, then the first `=`."""
    provider = None
    head, _, rest = text.partition(",")
    if "!" in head:
        provider, head = head.split("!")
    params: Params = {}
    api_key = None
    for piece in rest.split(",") if rest else []:
        key, _, value = piece.partition("=")
        if key == "api_key":
            api_key = value
        else:
            params[key] = _typed(value)
    return provider, head, params, api_key


def python_format(parsed: Parsed) -> str:
    provider, model, params, _ = parsed
    out = f"{provider}!{model}" if provider else model
    for key, value in params.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, list):
            value = ";".join(value)
        out += f",{key}={value}"
    return out


def native_fields(texts: list[str]) -> list[Parsed]:
    out = []
    for text in texts:
        ident = Identifier.parse(text)
        out.append((ident.provider, ident.model, ident.params, ident.api_key))
    return out


def native_round_trip(texts: list[str]) -> list[str]:
    return [Identifier.parse(text).format() for text in texts]


def python_round_trip(texts: list[str]) -> list[str]:
    return [python_format(python_parse(text)) for text in texts]


def bench_identifier_native(benchmark: BenchmarkFixture) -> None:
    texts = _identifiers()
    assert native_fields(texts) == [python_parse(text) for text in texts]
    expected = python_round_trip(texts)
    assert benchmark(native_round_trip, texts) == expected


def bench_identifier_python(benchmark: BenchmarkFixture) -> None:
    texts = _identifiers()
    expected = native_round_trip(texts)
    assert benchmark(python_round_trip, texts) == expected
