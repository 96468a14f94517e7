"""The one jinja2 environment rigging renders template text with: sandboxed and immutable.

Every template rigging renders (prompt docstrings, HTTP specs) may come from users, so none
may reach Python internals: `ImmutableSandboxedEnvironment` refuses underscore attributes
(``__globals__``, ``__subclasses__``, ``__init__``...), function and frame internals, unsafe
``str.format`` fields and any method that mutates a list, dict or set, by raising
``jinja2.exceptions.SecurityError`` when the template runs. On top of that, ``*`` and ``**``
refuse results past `MAX_OPERATION_SIZE` (``'a' * 10**10`` would exhaust memory) with the
same error. Undefined variables raise (`jinja2.StrictUndefined`).

jinja2 is imported here, so import this module only where templates are rendered.
"""

from __future__ import annotations

import functools
import typing as t

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["MAX_OPERATION_SIZE", "SecurityError", "environment"]

SecurityError = jinja2.exceptions.SecurityError

MAX_OPERATION_SIZE = 1_000_000
"""Most items (characters, list entries) a ``*`` in a template may build, and most bits a
``**`` of two integers may give."""

_SEQUENCES = (str, bytes, list, tuple)


def _too_big(operator: str, left: t.Any, right: t.Any) -> bool:
    if operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            return max(left.bit_length(), 1) * right > MAX_OPERATION_SIZE and abs(left) > 1
        return False
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, _SEQUENCES) and isinstance(count, int):
            return len(seq) * count > MAX_OPERATION_SIZE
    return False


class _Sandbox(ImmutableSandboxedEnvironment):
    """`ImmutableSandboxedEnvironment` with bounded ``*`` and ``**``."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: t.Any, right: t.Any
    ) -> t.Any:
        if _too_big(operator, left, right):
            raise SecurityError(
                f"the template's {operator!r} would build more than "
                f"{MAX_OPERATION_SIZE} items; refused"
            )
        return super().call_binop(context, operator, left, right)


@functools.lru_cache(maxsize=4)
def environment(*, trim: bool = False) -> jinja2.Environment:
    """The shared sandboxed environment.

    Args:
        trim: Prompt-style whitespace (``trim_blocks``, ``lstrip_blocks``, trailing newline
            kept).

    Returns:
        The environment (templates it compiles raise `SecurityError` on unsafe access).
    """
    return _Sandbox(
        trim_blocks=trim,
        lstrip_blocks=trim,
        keep_trailing_newline=trim,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
    )
