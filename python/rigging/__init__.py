"""Rigging: a lightweight LLM framework with structured output, prompts, tools and pipelines."""

from __future__ import annotations

from rigging import error
from rigging._native import __version__

__all__ = ["__version__", "error"]
