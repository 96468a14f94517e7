"""Connection strings and params refuse numbers a provider or the identifier cannot carry, when
they are given, naming the parameter (and, from a connection string, its position)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

import rigging as rg
from rigging.error import InvalidModelSpecifiedError
from rigging.generator import GenerateParams


@pytest.mark.parametrize(
    ("identifier", "name", "position"),
    [
        ("base!m,max_tokens=99999999999999999999999", "max_tokens", 18),
        ("base!m,seed=-99999999999999999999999", "seed", 12),
        ("base!m,my_extra=18446744073709551616", "my_extra", 16),
        ("base!m,temperature=2e308", "temperature", 19),
    ],
)
def test_get_generator_refuses_out_of_range_numbers(
    identifier: str, name: str, position: int
) -> None:
    with pytest.raises(
        InvalidModelSpecifiedError, match=f"'{name}' at position {position}"
    ) as info:
        rg.get_generator(identifier)
    assert info.value.position == position


@pytest.mark.parametrize(
    ("identifier", "name"),
    [
        ("base!m,temperature=nan", "temperature"),
        ("base!m,top_p=inf", "top_p"),
        ("base!m,presence_penalty=-inf", "presence_penalty"),
        ("base!m,temperature=-0.5", "temperature"),
        ("base!m,max_tokens=-1", "max_tokens"),
        ("base!m,timeout=-3", "timeout"),
        ("base!m,timeout=0", "timeout"),  # litellm waited 600 s for it, httpx not at all
        ("base!m,top_p=1.5", "top_p"),
    ],
)
def test_get_generator_refuses_values_without_meaning(identifier: str, name: str) -> None:
    with pytest.raises(InvalidModelSpecifiedError, match=f"invalid generation parameter {name}"):
        rg.get_generator(identifier)


def test_params_in_python_are_held_to_the_same_ranges() -> None:
    bads: list[dict[str, Any]] = [
        {"max_tokens": 2**64},
        {"seed": -(2**63) - 1},
        {"temperature": float("nan")},
        {"extra": {"n": 2**63}},
    ]
    for bad in bads:
        with pytest.raises(ValidationError):
            GenerateParams(**bad)
    ok = GenerateParams(seed=-(2**63), top_k=-1, extra={"n": 2**63 - 1, "x": float("inf")})
    generator = rg.get_generator("base!m").model_copy(update={"params": ok})
    assert rg.get_generator(generator.to_identifier()).params == ok


def test_quoted_big_numbers_stay_strings() -> None:
    generator = rg.get_generator('base!m,org="99999999999999999999999"')
    assert generator.params.extra["org"] == "99999999999999999999999"
    assert (
        rg.get_generator(generator.to_identifier()).params.extra["org"] == "99999999999999999999999"
    )
