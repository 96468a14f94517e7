"""Completions of raw text: `Completion`, `CompletionPipeline` and their callback protocols."""

from __future__ import annotations

from rigging._exports import public_dir as _public_dir
from rigging._pipeline.callbacks import (
    MapCompletionCallback,
    ThenCompletionCallback,
    UntilCompletionCallback,
    WatchCompletionCallback,
)
from rigging._pipeline.completion import Completion, CompletionList
from rigging._pipeline.completion_pipeline import CompletionPipeline
from rigging._pipeline.state import DEFAULT_MAX_ROUNDS, FailMode, RunState

__all__ = [
    "DEFAULT_MAX_ROUNDS",
    "Completion",
    "CompletionList",
    "CompletionPipeline",
    "FailMode",
    "MapCompletionCallback",
    "RunState",
    "ThenCompletionCallback",
    "UntilCompletionCallback",
    "WatchCompletionCallback",
]


__dir__ = _public_dir(globals())
