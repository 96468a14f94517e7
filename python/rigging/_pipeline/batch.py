"""Helpers for the batch runners: params per item, generator lists, the progress bar."""

from __future__ import annotations

import importlib
import itertools
import typing as t
from collections.abc import Sequence, Sized

from rigging._pipeline import state
from rigging._pipeline.state import check_count
from rigging.generator import GenerateParams, Generator, get_generator

__all__ = [
    "batch_items",
    "check_params",
    "close_progress",
    "fit_params",
    "open_progress",
    "resolve_generators",
]


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
        TypeError: `count` is not an int, or `per_item` is not a list of params.
        ValueError: `count` is negative or above `MAX_ITEMS_LIMIT`, or `per_item` does not
            have `count` entries.
    """
    check_count("count", count)
    shared = base if base is not None else GenerateParams()
    if per_item is None:
        return [shared] * count
    check_params(per_item)
    if len(per_item) != count:
        raise ValueError(f"The number of params must be {count}, got {len(per_item)}")
    return [shared if p is None else shared.merge_with(p) for p in per_item]


def check_params(per_item: t.Any) -> None:
    """Refuse per-item ``params`` that are not a sequence of `GenerateParams` (or None).

    Raises:
        TypeError: `per_item` is a single object, or holds something else.
        ValueError: `per_item` holds more than `MAX_ITEMS_LIMIT` entries.
    """
    if isinstance(per_item, (GenerateParams, str, bytes, dict)) or not isinstance(
        per_item, Sequence
    ):
        raise TypeError(
            "params must be a list with one GenerateParams (or None) per item, "
            f"got {type(per_item).__name__}"
        )
    check_count("len(params)", len(per_item))
    for index, entry in enumerate(per_item):
        if entry is not None and not isinstance(entry, GenerateParams):
            raise TypeError(
                f"params[{index}] must be a GenerateParams or None, got {type(entry).__name__}"
                + (" (use GenerateParams(**...))" if isinstance(entry, dict) else "")
            )


def batch_items(many: t.Any) -> list[t.Any]:
    """The inputs of a batch run as a list; anything not iterable is a clear `TypeError`.

    At most `MAX_ITEMS_LIMIT` inputs: a sized `many` is refused by its length before it is
    read, any other iterable once it yields one input more (so an endless one stops too).

    Raises:
        TypeError: `many` is None or not iterable.
        ValueError: `many` holds more than `MAX_ITEMS_LIMIT` inputs.
    """
    if many is None or isinstance(many, (bytes, int, float)):
        raise TypeError(f"run_batch takes a list of inputs, got {type(many).__name__}")
    if isinstance(many, Sized):
        check_count("len(many)", len(many))
    limit = state.MAX_ITEMS_LIMIT
    try:
        items = list(itertools.islice(many, limit + 1))
    except TypeError:
        raise TypeError(f"run_batch takes a list of inputs, got {type(many).__name__}") from None
    if len(items) > limit:
        raise ValueError(
            f"len(many) must be at most {limit:,}, got more (a run keeps every item in "
            "memory; iter_batch streams any number)"
        )
    return items


def resolve_generators(generators: Sequence[Generator | str]) -> list[Generator]:
    """Turn connection strings into generators (generators are kept as they are).

    Args:
        generators: Generators or connection strings.

    Returns:
        The generators.
    """
    for index, generator in enumerate(generators):
        if not isinstance(generator, (Generator, str)):
            raise TypeError(
                "run_over takes generators or connection strings, got "
                f"{type(generator).__name__} at {index}"
            )
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
