"""Deeply nested values: for the tests of data too deep to write."""

from __future__ import annotations

import typing as t

__all__ = ["nested_dicts"]


def nested_dicts(levels: int) -> dict[str, t.Any]:
    """``{"a": {"a": ...}}``, `levels` dicts below the root."""
    root: dict[str, t.Any] = {}
    node = root
    for _ in range(levels):
        node["a"] = {}
        node = node["a"]
    return root
