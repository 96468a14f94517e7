"""The one jinja2 environment rigging renders template text with: sandboxed and immutable.

Every template rigging renders (prompt docstrings, HTTP specs) may come from users, so none
may reach Python internals: `ImmutableSandboxedEnvironment` refuses underscore attributes
(``__globals__``, ``__subclasses__``, ``__init__``...), function and frame internals, unsafe
``str.format`` fields and any method that mutates a list, dict or set, by raising
``jinja2.exceptions.SecurityError`` when the template runs. On top of that, ``*`` and ``**``
refuse results past `MAX_OPERATION_SIZE` (``'a' * 10**10`` would exhaust memory) with the
same error, as do printf-style widths past it (``'%9999999999s' % x``), ``str`` padding
methods (``center``, ``ljust``, ``rjust``, ``zfill``, ``expandtabs``) and the ``center`` and
``indent`` filters. Undefined variables raise (`jinja2.StrictUndefined`).

jinja2 is imported here, so import this module only where templates are rendered.
"""

from __future__ import annotations

import functools
import re
import string
import typing as t

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = ["MAX_OPERATION_SIZE", "SecurityError", "environment"]

SecurityError = jinja2.exceptions.SecurityError

MAX_OPERATION_SIZE = 1_000_000
"""Most items (characters, list entries) a ``*`` in a template may build, and most bits a
``**`` of two integers may give."""

_SEQUENCES = (str, bytes, list, tuple)
_PADDING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_PERCENT_WIDTH = re.compile(r"%[#0\- +]*(\d+|\*)?(?:\.(\d+|\*))?")


def _refuse(what: str) -> t.NoReturn:
    raise SecurityError(f"{what} would build more than {MAX_OPERATION_SIZE} items; refused")


def _too_big(operator: str, left: t.Any, right: t.Any) -> bool:
    if operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            return max(left.bit_length(), 1) * right > MAX_OPERATION_SIZE and abs(left) > 1
        return False
    if operator == "%":  # printf-style widths: '%9999999999s', '%*s' % (10**10, x)
        if not isinstance(left, str):
            return False
        values = right if isinstance(right, tuple) else (right,)
        starred = any(isinstance(v, int) and v > MAX_OPERATION_SIZE for v in values)
        for match in _PERCENT_WIDTH.finditer(left):
            for width in match.groups():
                if width == "*" and starred:
                    return True
                if width and width != "*" and int(width) > MAX_OPERATION_SIZE:
                    return True
        return False
    for seq, count in ((left, right), (right, left)):
        if isinstance(seq, _SEQUENCES) and isinstance(count, int):
            return len(seq) * count > MAX_OPERATION_SIZE
    return False


def _bounded_filter(name: str, original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def bounded(value: t.Any, width: t.Any = 80, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if isinstance(width, int) and width > MAX_OPERATION_SIZE:
            _refuse(f"the filter {name!r}")
        return original(value, width, *args, **kwargs)

    return bounded


def _bounded_format(original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def bounded(value: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if _too_big("%", value, kwargs or args):
            _refuse("the filter 'format'")
        return original(value, *args, **kwargs)

    return bounded


class _Sandbox(ImmutableSandboxedEnvironment):
    """`ImmutableSandboxedEnvironment` with bounded ``*``, ``**``, ``%`` and padding."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: t.Any) -> None:
        super().__init__(**options)
        for name in ("center", "indent"):
            self.filters[name] = _bounded_filter(name, self.filters[name])
        self.filters["format"] = _bounded_format(self.filters["format"])

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: t.Any, right: t.Any
    ) -> t.Any:
        if _too_big(operator, left, right):
            _refuse(f"the template's {operator!r}")
        return super().call_binop(context, operator, left, right)

    def call(
        __self,  # noqa: N805 - jinja2's signature: positional names that never clash with kwargs
        __context: jinja2.runtime.Context,
        __obj: t.Any,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> t.Any:
        owner = getattr(__obj, "__self__", None)
        if (
            isinstance(owner, (str, bytes))
            and getattr(__obj, "__name__", "") in _PADDING
            and any(isinstance(a, int) and a > MAX_OPERATION_SIZE for a in args)
        ):
            _refuse(f"{type(owner).__name__}.{__obj.__name__}")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: t.Any) -> t.Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _check_format_specs(str(value.__self__))
        return wrapped


def _check_format_specs(text: str) -> None:
    """Refuse ``str.format`` widths past the limit (``'{:>9999999999}'``).

    Widths taken from arguments (``'{:{w}}'``) are refused too: they cannot be checked first.
    """
    try:
        fields = list(string.Formatter().parse(text))
    except ValueError:
        return  # str.format raises its own error for this text
    for _, _, spec, _ in fields:
        if not spec:
            continue
        if "{" in spec:
            raise SecurityError("str.format with a width from an argument is refused")
        if any(int(n) > MAX_OPERATION_SIZE for n in re.findall(r"\d+", spec)):
            _refuse("str.format")


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
