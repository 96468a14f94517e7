"""Examples of models that nest in each other stay small (a bounded number of models)."""

from __future__ import annotations

import pytest

from rigging._model.plan import EXAMPLE_MODELS, codec_of
from rigging.model import Model, attr, element


class P0(Model, tag="p0"):
    label: str = attr()
    p0s: list[P0] = element(default_factory=list)
    p1s: list[P1] = element(default_factory=list)
    p2s: list[P2] = element(default_factory=list)
    p3s: list[P3] = element(default_factory=list)


class P1(Model, tag="p1"):
    label: str = attr()
    p0s: list[P0] = element(default_factory=list)
    p1s: list[P1] = element(default_factory=list)
    p2s: list[P2] = element(default_factory=list)
    p3s: list[P3] = element(default_factory=list)


class P2(Model, tag="p2"):
    label: str = attr()
    p0s: list[P0] = element(default_factory=list)
    p1s: list[P1] = element(default_factory=list)
    p2s: list[P2] = element(default_factory=list)
    p3s: list[P3] = element(default_factory=list)


class P3(Model, tag="p3"):
    label: str = attr()
    p0s: list[P0] = element(default_factory=list)
    p1s: list[P1] = element(default_factory=list)
    p2s: list[P2] = element(default_factory=list)
    p3s: list[P3] = element(default_factory=list)


class F0(Model, tag="f0"):
    label: str = attr()
    attrs: dict[str, int] = element(default_factory=dict)  # no plan: written from fields
    f0s: list[F0] = element(default_factory=list)
    f1s: list[F1] = element(default_factory=list)
    f2s: list[F2] = element(default_factory=list)
    f3s: list[F3] = element(default_factory=list)


class F1(Model, tag="f1"):
    label: str = attr()
    f0s: list[F0] = element(default_factory=list)
    f1s: list[F1] = element(default_factory=list)
    f2s: list[F2] = element(default_factory=list)
    f3s: list[F3] = element(default_factory=list)


class F2(Model, tag="f2"):
    label: str = attr()
    f0s: list[F0] = element(default_factory=list)
    f1s: list[F1] = element(default_factory=list)
    f2s: list[F2] = element(default_factory=list)
    f3s: list[F3] = element(default_factory=list)


class F3(Model, tag="f3"):
    label: str = attr()
    f0s: list[F0] = element(default_factory=list)
    f1s: list[F1] = element(default_factory=list)
    f2s: list[F2] = element(default_factory=list)
    f3s: list[F3] = element(default_factory=list)


for _cls in (P0, P1, P2, P3, F0, F1, F2, F3):
    _cls.model_rebuild()


@pytest.mark.parametrize("cls", [P0, P1, P2, P3, F0, F1, F2, F3])
def test_examples_of_models_nesting_in_each_other_stay_small(cls: type[Model]) -> None:
    """Each class may appear twice on a path and lists show two items, so four or five
    classes holding lists of each other made examples of megabytes (650 MB for five); now
    at most `EXAMPLE_MODELS` nested models are shown, by both example writers."""
    assert (codec_of(cls) is None) == cls.__name__.startswith("F")
    example = cls.xml_example()
    tags = example.count(" label=")
    assert 1 + EXAMPLE_MODELS // 2 <= tags <= 1 + EXAMPLE_MODELS
    assert example.startswith(f"<{cls.__name__.lower()} label=")
