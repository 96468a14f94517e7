"""Prompt functions: a Python signature in, a typed answer out (2.3 path `rigging.prompt`)."""

from __future__ import annotations

from rigging._exports import public_dir as _public_dir
from rigging.prompt._decorate import make_prompt, prompt
from rigging.prompt._inputs import Ctx, unwrap_annotated
from rigging.prompt._prompt import DEFAULT_DOC, DEFAULT_MAX_ROUNDS, P, Prompt, R
from rigging.prompt._template import get_undeclared_variables

__all__ = [
    "DEFAULT_DOC",
    "DEFAULT_MAX_ROUNDS",
    "Ctx",
    "P",
    "Prompt",
    "R",
    "get_undeclared_variables",
    "make_prompt",
    "prompt",
    "unwrap_annotated",
]


__dir__ = _public_dir(globals())
