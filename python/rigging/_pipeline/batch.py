"""Helpers for the batch runners: params per item, generator lists, the progress bar."""

from __future__ import annotations

import importlib
import typing as t
from collections.abc import Sequence

from rigging.generator import GenerateParams, Generator, get_generator

__all__ = ["close_progress", "fit_params", "open_progress", "resolve_generators"]


def fit_params(
    base: GenerateParams | None,
    per_item: Sequence[GenerateParams | None] | None,
    count: int,
) -> list[GenerateParams]:
    """Params for each of `count` items: `base` merged with each per-item entry.

    Without per-item params every item shares one params object (nothing is copied).

    Args:
        base: The pipeline's params.
        per_item: One entry per item, or None.
        count: Number of items.

    Returns:
        One params object per item.

    Raises:
        ValueError: `count` is negative or `per_item` does not have `count` entries.
    """
    if count < 0:
        raise ValueError(f"count must be 0 or more, got {count}")
    shared = base if base is not None else GenerateParams()
    if per_item is None:
        return [shared] * count
    if len(per_item) != count:
        raise ValueError(f"The number of params must be {count}, got {len(per_item)}")
    return [shared if p is None else shared.merge_with(p) for p in per_item]


def resolve_generators(generators: Sequence[Generator | str]) -> list[Generator]:
    """Turn connection strings into generators (generators are kept as they are).

    Args:
        generators: Generators or connection strings.

    Returns:
        The generators.
    """
    return [get_generator(g) if isinstance(g, str) else g for g in generators]


def open_progress(total: int, progress: bool | str) -> t.Any:
    """A tqdm progress bar over `total` items when asked for, else None.

    Args:
        total: Number of items.
        progress: False for none; True or a description to show one.

    Returns:
        The bar, or None.
    """
    if progress is False:
        return None
    try:
        tqdm = importlib.import_module("tqdm")
    except ModuleNotFoundError as exc:
        raise ModuleNotFoundError(
            "progress bars need 'tqdm', which is not installed; install it with: pip install tqdm",
            name=exc.name,
        ) from exc
    desc = progress if isinstance(progress, str) else "generating"
    return tqdm.tqdm(total=total, desc=desc, unit="item")


def close_progress(bar: t.Any) -> None:
    """Close a bar made by `open_progress` (None is ignored).

    Args:
        bar: The bar or None.
    """
    if bar is not None:
        bar.close()
