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

Each render also runs on a budget, so that template text cannot hang or exhaust the process:
at most `MAX_RENDER_STEPS` loop iterations and calls (nested ``range`` loops, recursive macros
and ``recursive`` loops all count), and at most `MAX_RENDER_SIZE` characters in its output or in
any one text it builds: ``~``, ``+``, ``%``, ``join``, ``replace``, ``wordwrap``, ``indent``,
``tojson``, ``pprint`` and printing a list or dict are estimated before they run. Lists that
repeat one object (``[[s] * 1000] * 1000``) are measured by the text they would print, not by
their length. Past a limit the render stops with a `SecurityError` naming it.

jinja2 is imported here, so import this module only where templates are rendered.
"""

from __future__ import annotations

import contextvars
import functools
import re
import string
import typing as t

import jinja2
from jinja2 import nodes
from jinja2.filters import make_attrgetter
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

__all__ = [
    "MAX_OPERATION_SIZE",
    "MAX_RENDER_BUILT",
    "MAX_RENDER_SIZE",
    "MAX_RENDER_STEPS",
    "SecurityError",
    "environment",
]

SecurityError = jinja2.exceptions.SecurityError

MAX_OPERATION_SIZE = 1_000_000
"""Most items (characters, list entries) a ``*`` in a template may build, and most bits a
``**`` of two integers may give."""

MAX_RENDER_STEPS = 1_000_000
"""Most steps one render may run: a loop iteration is one, a call (function, method, macro,
recursive loop) four."""

_CALL_STEPS = 4  # a call (a macro's above all) costs about four loop iterations

MAX_RENDER_SIZE = 20_000_000
"""Most characters one render may output, and most any one text it builds may hold."""

MAX_RENDER_BUILT = 4 * MAX_RENDER_SIZE
"""Most characters (and list items) the operations of one render may build in all: every
text or list a filter, call or operator returns counts, kept or not. Each operation alone is
bounded; this bounds many of them (a ``map`` of a padding filter over a long list)."""

MAX_NESTING = 200
"""Deepest list or dict nesting a template may print or pass to a filter."""

_SEQUENCES = (str, bytes, list, tuple)
_CONTAINERS = (list, tuple, dict, set, frozenset)
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


class _Budget:
    """What one render has spent: steps, and the text size of each container it has measured."""

    __slots__ = ("built", "measured", "steps")

    def __init__(self) -> None:
        self.steps = 0
        self.built = 0
        # id -> (object, (text size, elements, depth)); the object is kept so its id stays unique
        self.measured: dict[int, tuple[t.Any, tuple[int, int, int]]] = {}


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "rigging_render_budget", default=None
)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # outside a render (a filter called directly): a budget of its own
        budget = _Budget()
    return budget


def _step(count: int = 1) -> None:
    budget = _budget()
    budget.steps += count
    if budget.steps > MAX_RENDER_STEPS:
        raise SecurityError(
            f"the template ran more than {MAX_RENDER_STEPS} steps (a loop iteration is one, "
            f"a call {_CALL_STEPS}); refused"
        )


def _charge(result: t.Any, what: str) -> t.Any:
    """Count a text or list an operation built towards the render's total; return it."""
    if isinstance(result, _SEQUENCES):
        budget = _budget()
        budget.built += len(result)
        if budget.built > MAX_RENDER_BUILT:
            raise SecurityError(
                f"{what} took the template past {MAX_RENDER_BUILT} characters built in all; refused"
            )
    return result


def _check_size(size: int, what: str) -> None:
    if size > MAX_RENDER_SIZE:
        raise SecurityError(f"{what} would build more than {MAX_RENDER_SIZE} characters; refused")


def _measure(value: t.Any, budget: _Budget, depth: int = 0) -> tuple[int, int, int]:
    """Estimate ``str(value)`` of a container: characters, elements, depth.

    Memoised per object, so a part shared many times is measured once.
    """
    if isinstance(value, str):
        return len(value) + 2, 1, 0
    if not isinstance(value, _CONTAINERS):
        return 8, 1, 0  # numbers, None, objects from the data: not built by the template
    known = budget.measured.get(id(value))
    if known is not None:
        return known[1]
    if depth > MAX_NESTING:
        raise SecurityError(f"a list or dict nested deeper than {MAX_NESTING} levels; refused")
    items: t.Iterable[t.Any] = value
    if isinstance(value, dict):
        items = (part for pair in value.items() for part in pair)
    size, elements, deepest = 2, 0, 0
    for item in items:
        item_size, item_elements, item_depth = _measure(item, budget, depth + 1)
        size += item_size + 2
        elements += item_elements
        deepest = max(deepest, item_depth)
        if size > MAX_RENDER_SIZE:
            break  # already too big: the caller refuses it
    result = (size, elements + 1, deepest + 1)
    budget.measured[id(value)] = (value, result)
    return result


def _text_length(value: t.Any) -> int:
    """The length of ``str(value)``, estimated for containers (never built to find out)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, _CONTAINERS):
        return _measure(value, _budget())[0]
    return len(str(value))


def _check_arguments(args: t.Iterable[t.Any], what: str) -> None:
    """Refuse containers whose text would pass the limit before anything prints them."""
    for value in args:
        if isinstance(value, _CONTAINERS):
            _check_size(_measure(value, _budget())[0], what)


def _counted(iterable: t.Any) -> t.Iterator[t.Any]:
    """A loop's iterable, each item a step of the render's budget."""
    budget = _budget()
    for item in iterable:
        budget.steps += 1
        if budget.steps > MAX_RENDER_STEPS:
            _step(0)
        yield item


def _joined(values: list[t.Any]) -> str:
    """``a ~ b ~ c``: the parts' text, its size checked before it is built."""
    _check_arguments(values, "the template's '~'")
    _check_size(sum(_text_length(v) for v in values), "the template's '~'")
    return t.cast("str", _charge("".join(str(v) for v in values), "the template's '~'"))


def _replaced_size(text: str, old: t.Any, new: t.Any, count: t.Any) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    hits = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(0, len(new) - len(old))


def _guard_filter(name: str, original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """Wrap a filter: container arguments are measured first.

    The filters that can multiply their input are checked for the size of what they build.
    """
    passes = getattr(original, "jinja_pass_arg", None)
    what = f"the filter {name!r}"

    def guarded(*args: t.Any, **kwargs: t.Any) -> t.Any:
        head, rest = (args[:1], args[1:]) if passes is not None else ((), args)
        _check_arguments(rest, what)
        _check_arguments(kwargs.values(), what)
        rest = _FILTER_CHECKS.get(name, _unchanged)(head, rest, kwargs, what)
        result = original(*head, *rest, **kwargs)
        if rest and result is rest[0]:  # handed back as it came: nothing was built
            return result
        return _charge(result, what)

    if passes is not None:
        guarded.jinja_pass_arg = passes  # type: ignore[attr-defined]
    return guarded


def _unchanged(
    head: tuple[t.Any, ...], rest: tuple[t.Any, ...], kwargs: dict[str, t.Any], what: str
) -> tuple[t.Any, ...]:
    return rest


def _argument(rest: tuple[t.Any, ...], kwargs: dict[str, t.Any], index: int, name: str) -> t.Any:
    return rest[index] if len(rest) > index else kwargs.get(name)


def _check_join(
    head: tuple[t.Any, ...], rest: tuple[t.Any, ...], kwargs: dict[str, t.Any], what: str
) -> tuple[t.Any, ...]:
    if not rest:
        return rest
    items = list(_counted(rest[0]))
    attribute = _argument(rest, kwargs, 2, "attribute")
    if attribute is not None:  # measure what will be joined; join it without the lookup
        getter = make_attrgetter(head[0].environment, attribute)
        items = [getter(item) for item in items]
        kwargs.pop("attribute", None)
        rest = rest[:2]
    separator = _argument(rest, kwargs, 1, "d")
    gaps = max(len(items) - 1, 0) * (len(separator) if isinstance(separator, str) else 0)
    _check_arguments(items, what)
    _check_size(sum(_text_length(item) for item in items) + gaps, what)
    return (items, *rest[1:])


def _check_replace(
    head: tuple[t.Any, ...], rest: tuple[t.Any, ...], kwargs: dict[str, t.Any], what: str
) -> tuple[t.Any, ...]:
    if rest and isinstance(rest[0], str):
        old, new = _argument(rest, kwargs, 1, "old"), _argument(rest, kwargs, 2, "new")
        _check_size(_replaced_size(rest[0], old, new, _argument(rest, kwargs, 3, "count")), what)
    return rest


def _check_wordwrap(
    head: tuple[t.Any, ...], rest: tuple[t.Any, ...], kwargs: dict[str, t.Any], what: str
) -> tuple[t.Any, ...]:
    if rest and isinstance(rest[0], str):
        text, width = rest[0], _argument(rest, kwargs, 1, "width")
        wrap = _argument(rest, kwargs, 3, "wrapstring")
        width = width if isinstance(width, int) and width > 0 else 1
        lines = 2 * len(text) // width + text.count("\n") + 1  # two lines hold > width
        _check_size(len(text) + lines * (len(wrap) if isinstance(wrap, str) else 2), what)
    return rest


def _check_indent(
    head: tuple[t.Any, ...], rest: tuple[t.Any, ...], kwargs: dict[str, t.Any], what: str
) -> tuple[t.Any, ...]:
    width = _argument(rest, kwargs, 1, "width")
    if rest and isinstance(rest[0], str) and isinstance(width, str):
        _check_size(len(rest[0]) + (rest[0].count("\n") + 1) * len(width), what)
    return rest


def _check_fill(
    head: tuple[t.Any, ...], rest: tuple[t.Any, ...], kwargs: dict[str, t.Any], what: str
) -> tuple[t.Any, ...]:
    count = _argument(rest, kwargs, 1, "linecount" if "batch" in what else "slices")
    if isinstance(count, int) and count > MAX_OPERATION_SIZE:
        _refuse(what)
    return rest


def _check_layout(
    head: tuple[t.Any, ...], rest: tuple[t.Any, ...], kwargs: dict[str, t.Any], what: str
) -> tuple[t.Any, ...]:
    """``tojson(indent)`` and ``pprint``: each element on its own, indented line."""
    indent = _argument(rest, kwargs, 1, "indent") if "tojson" in what else 1
    if rest and isinstance(rest[0], _CONTAINERS) and isinstance(indent, int) and indent > 0:
        size, elements, depth = _measure(rest[0], _budget())
        _check_size(size + elements * (indent * depth + 1), what)
    return rest


def _check_sum(
    head: tuple[t.Any, ...], rest: tuple[t.Any, ...], kwargs: dict[str, t.Any], what: str
) -> tuple[t.Any, ...]:
    start = _argument(rest, kwargs, 2, "start")
    if not rest or not isinstance(start, _SEQUENCES):
        return rest
    items = list(_counted(rest[0]))  # adding sequences copies the total so far at each step
    total = sum(len(i) for i in items if isinstance(i, _SEQUENCES)) + len(start)
    if total > MAX_OPERATION_SIZE or total * len(items) > MAX_RENDER_SIZE:
        _refuse(what)
    return (items, *rest[1:])


_LOOP_FILTER = "rigging_counted_loop"
_CONCAT_FILTER = "rigging_checked_concat"


def _filtered(node: nodes.Expr, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


def _finalize(value: t.Any) -> t.Any:
    """Every ``{{ ... }}``: a list or dict is measured before it is printed."""
    if isinstance(value, _CONTAINERS):
        _check_size(_measure(value, _budget())[0], "printing a list or dict")
    return value


def _output(pieces: t.Iterable[str]) -> str:
    parts: list[str] = []
    size = 0
    for piece in pieces:
        size += len(piece)
        if size > MAX_RENDER_SIZE:
            _check_size(size, "the template's output")
        parts.append(piece)
    return "".join(parts)


def _check_str_method(
    text: str, method: str, args: tuple[t.Any, ...], kwargs: dict[str, t.Any], what: str
) -> tuple[t.Any, ...]:
    """Sizes of the ``str`` methods whose result can be far longer than their inputs."""
    if method == "join" and args:
        items = list(_counted(args[0]))
        _check_arguments(items, what)
        gaps = max(len(items) - 1, 0) * len(text)
        _check_size(sum(_text_length(item) for item in items) + gaps, what)
        return (items, *args[1:])
    if method == "replace" and len(args) >= 2:
        _check_size(
            _replaced_size(text, args[0], args[1], _argument(args, kwargs, 2, "count")), what
        )
    elif method == "translate" and args and isinstance(args[0], dict):
        longest = max((len(v) for v in args[0].values() if isinstance(v, str)), default=1)
        _check_size(len(text) * max(longest, 1), what)
    elif method in ("format", "format_map"):
        values = [*args, *kwargs.values()]
        if method == "format_map" and args and isinstance(args[0], dict):
            values = list(args[0].values())
        _check_size(
            len(text) + sum(_text_length(v) for v in values) * max(text.count("{"), 1), what
        )
    return args


_FILTER_CHECKS: dict[
    str,
    t.Callable[[tuple[t.Any, ...], tuple[t.Any, ...], dict[str, t.Any], str], tuple[t.Any, ...]],
] = {
    "join": _check_join,
    "replace": _check_replace,
    "wordwrap": _check_wordwrap,
    "indent": _check_indent,
    "batch": _check_fill,
    "slice": _check_fill,
    "tojson": _check_layout,
    "pprint": _check_layout,
    "sum": _check_sum,
}


class _Sandbox(ImmutableSandboxedEnvironment):
    """`ImmutableSandboxedEnvironment` with bounded operations and a per-render budget.

    ``*``, ``**``, ``%``, ``+`` and padding are bounded; each render counts its steps and
    characters.
    """

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: t.Any) -> None:
        super().__init__(finalize=_finalize, **options)
        for name in ("center", "indent"):
            self.filters[name] = _bounded_filter(name, self.filters[name])
        self.filters["format"] = _bounded_format(self.filters["format"])
        for name, original in list(self.filters.items()):
            self.filters[name] = _guard_filter(name, original)
        self.filters[_LOOP_FILTER] = _counted
        self.filters[_CONCAT_FILTER] = _joined

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The template's tree, with each loop's iterable counted and each ``~`` checked."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = _filtered(t.cast("nodes.Expr", loop.iter), _LOOP_FILTER)
        for concat in tree.find_all(nodes.Concat):
            concat.nodes = [_filtered(nodes.List(concat.nodes), _CONCAT_FILTER)]
        return tree

    def concat(self, pieces: t.Iterable[str]) -> str:
        """Joins a render's (or a macro's) output, within the render's budget."""
        if _BUDGET.get() is not None:
            return _output(pieces)
        token = _BUDGET.set(_Budget())
        try:
            return _output(pieces)
        except RecursionError as exc:  # macros or `recursive` loops calling themselves
            raise SecurityError("the template nests calls too deeply; refused") from exc
        finally:
            _BUDGET.reset(token)

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: t.Any, right: t.Any
    ) -> t.Any:
        if _too_big(operator, left, right):
            _refuse(f"the template's {operator!r}")
        if operator == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            limit = MAX_RENDER_SIZE if isinstance(left, (str, bytes)) else MAX_OPERATION_SIZE
            if len(left) + len(right) > limit:
                raise SecurityError(
                    f"the template's '+' would build more than {limit} items; refused"
                )
        if operator == "%" and isinstance(left, str):
            values = right if isinstance(right, tuple) else (right,)
            _check_arguments(values, "the template's '%'")
            _check_size(len(left) + sum(_text_length(v) for v in values), "the template's '%'")
        return _charge(
            super().call_binop(context, operator, left, right), f"the template's {operator!r}"
        )

    def call(
        __self,  # noqa: N805 - jinja2's signature: positional names that never clash with kwargs
        __context: jinja2.runtime.Context,
        __obj: t.Any,
        *args: t.Any,
        **kwargs: t.Any,
    ) -> t.Any:
        _step(_CALL_STEPS)
        owner = getattr(__obj, "__self__", None)
        method = getattr(__obj, "__name__", "")
        what = f"{type(owner).__name__}.{method}"
        if (
            isinstance(owner, (str, bytes))
            and method in _PADDING
            and any(isinstance(a, int) and a > MAX_OPERATION_SIZE for a in args)
        ):
            _refuse(what)
        _check_arguments(args, what if owner is not None else "a call")
        _check_arguments(kwargs.values(), what if owner is not None else "a call")
        if isinstance(__obj, LoopContext) and args:  # a `recursive` loop's next level
            args = (_counted(args[0]), *args[1:])
        elif isinstance(owner, str):
            args = _check_str_method(owner, method, args, kwargs, what)
        elif __obj is __self.globals.get("lipsum"):
            paragraphs = _argument(args, kwargs, 0, "n")
            most = _argument(args, kwargs, 3, "max")
            paragraphs = paragraphs if isinstance(paragraphs, int) else 5
            most = most if isinstance(most, int) else 100
            _check_size(paragraphs * most * 12, "lipsum")
        result = super().call(__context, __obj, *args, **kwargs)
        if result is owner:  # a method that handed its own text back built nothing
            return result
        return _charge(result, what if owner is not None else "a call")

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
