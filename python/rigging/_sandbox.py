"""The one jinja2 environment rigging renders template text with: sandboxed and immutable.

Every template rigging renders (prompt docstrings, HTTP specs) may come from users, so none
may reach Python internals: `ImmutableSandboxedEnvironment` refuses underscore attributes
(``__globals__``, ``__subclasses__``, ``__init__``...), function and frame internals, unsafe
``str.format`` fields and any method that mutates a list, dict or set, by raising
``jinja2.exceptions.SecurityError`` when the template runs. On top of that, ``*`` and ``**``
refuse results past `MAX_OPERATION_SIZE` (``'a' * 10**10`` would exhaust memory) with the
same error, as do printf-style widths past it (``'%9999999999s' % x``, ``'%(a)9999999999s'``),
``str`` and ``bytes`` padding methods (``center``, ``ljust``, ``rjust``, ``zfill``; ``expandtabs``
by its tabs), ``int.to_bytes`` and the ``center`` and ``indent`` filters. Integer arithmetic
refuses operands and results past `MAX_INT_BITS` (big-integer division takes time growing
faster than the size). Comparisons, tests and hashed keys measure a list or dict first: one
built by doubling a shared part holds far more elements than memory. Undefined variables raise
(`jinja2.StrictUndefined`).

Each render also runs on a budget, so that template text cannot hang or exhaust the process:
at most `MAX_RENDER_STEPS` loop iterations and calls (nested ``range`` loops, recursive macros
and ``recursive`` loops all count), and at most `MAX_RENDER_SIZE` characters in its output or in
any one text it builds: ``~``, ``+``, ``%``, ``join``, ``replace``, ``wordwrap``, ``indent``,
``tojson``, ``pprint`` and printing a list or dict are estimated before they run. Lists that
repeat one object (``[[s] * 1000] * 1000``) are measured by the text they would print, not by
their length. Each operation is also charged, before it runs, for the work it does, up to
`MAX_RENDER_WORK` units in all (a unit is about a few nanoseconds): a filter by its input's
items or characters, weighted by the Python it runs per item; a comparison, test or hashed key
by every element of its operands; a method by its text or list; integer arithmetic by its
operands' bits. So a loop repeating ``x in big``, ``big|sort`` or a big division stops within
seconds. Past a limit the render stops with a `SecurityError` naming it.

jinja2 is imported here, so import this module only where templates are rendered.
"""

from __future__ import annotations

import functools
import typing as t

import jinja2
from jinja2 import nodes
from jinja2.filters import make_attrgetter
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment

from rigging._sandbox_limits import (
    _BUDGET,
    _CALL_STEPS,
    _CONTAINERS,
    _SEQUENCES,
    MAX_INT_BITS,
    MAX_OPERATION_SIZE,
    MAX_RENDER_BUILT,
    MAX_RENDER_SIZE,
    MAX_RENDER_STEPS,
    MAX_RENDER_WORK,
    SecurityError,
    _argument,
    _Budget,
    _budget,
    _charge,
    _check_arguments,
    _check_format_specs,
    _check_size,
    _check_str_method,
    _counted,
    _measure,
    _refuse,
    _replaced_size,
    _step,
    _text_length,
    _too_big,
    call_work,
    check_integers,
    check_padding,
    filter_work,
    integer_work,
    walk_work,
)

__all__ = [
    "MAX_INT_BITS",
    "MAX_OPERATION_SIZE",
    "MAX_RENDER_BUILT",
    "MAX_RENDER_SIZE",
    "MAX_RENDER_STEPS",
    "MAX_RENDER_WORK",
    "SecurityError",
    "environment",
]


def _bounded_filter(name: str, original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """`original` (``center``, ``indent``), refusing a width past `MAX_OPERATION_SIZE`.

    A width not given stays the filter's own default.
    """

    def bounded(value: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        width = args[0] if args else kwargs.get("width")
        if isinstance(width, int) and width > MAX_OPERATION_SIZE:
            _refuse(f"the filter {name!r}")
        return original(value, *args, **kwargs)

    return bounded


def _bounded_format(original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    def bounded(value: t.Any, *args: t.Any, **kwargs: t.Any) -> t.Any:
        if _too_big("%", value, kwargs or args):
            _refuse("the filter 'format'")
        return original(value, *args, **kwargs)

    return bounded


def _joined(values: list[t.Any]) -> str:
    """``a ~ b ~ c``: the parts' text, its size checked before it is built."""
    _check_arguments(values, "the template's '~'")
    _check_size(sum(_text_length(v) for v in values), "the template's '~'")
    return t.cast("str", _charge("".join(str(v) for v in values), "the template's '~'"))


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
        if rest:
            rest = (filter_work(name, rest[0], what), *rest[1:])
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
    # A str width is the indent itself, an int the number of spaces (jinja2's default is 4).
    per_line = len(width) if isinstance(width, str) else width if isinstance(width, int) else 4
    if rest and isinstance(rest[0], str):
        _check_size(len(rest[0]) + (rest[0].count("\n") + 1) * max(per_line, 0), what)
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
_WALK_FILTER = "rigging_checked_walk"
_CONCAT_FILTER = "rigging_checked_concat"


def _filtered(node: nodes.Expr, name: str) -> nodes.Filter:
    return nodes.Filter(node, name, [], [], None, None, lineno=node.lineno)


def _walk_checked(node: nodes.Expr, operator: str = "") -> nodes.Expr:
    if isinstance(node, nodes.Const):
        return node
    checked = _filtered(node, _WALK_FILTER)
    checked.args = [nodes.Const(operator, lineno=node.lineno)]
    return checked


def _walked(value: t.Any, operator: str = "") -> t.Any:
    """A value compared or hashed: a list, tuple or dict is measured first.

    Comparing or hashing walks every element, and lists that repeat one object
    (``[x, x]`` doubled 60 times) hold far more elements than they take memory. The walk is
    charged to the render's work (a dict or set searched by ``in`` is hashed, not walked).
    """
    _check_arguments((value,), "comparing or hashing a list or dict")
    walk_work(value, "comparing or hashing", hashed=operator in ("in", "notin"))
    return value


def _guard_test(name: str, original: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """Wrap a test (``is eq``, ``is in``): its container arguments are measured first."""
    passes = getattr(original, "jinja_pass_arg", None)

    def guarded(*args: t.Any, **kwargs: t.Any) -> t.Any:
        _check_arguments(args[1:] if passes is not None else args, f"the test {name!r}")
        _check_arguments(kwargs.values(), f"the test {name!r}")
        for value in (*(args[1:] if passes is not None else args), *kwargs.values()):
            walk_work(value, f"the test {name!r}", hashed=name == "in")
        return original(*args, **kwargs)

    if passes is not None:
        guarded.jinja_pass_arg = passes  # type: ignore[attr-defined]
    return guarded


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

    intercepted_binops = frozenset({"*", "**", "%", "+", "-", "/", "//"})

    def __init__(self, **options: t.Any) -> None:
        super().__init__(finalize=_finalize, **options)
        for name in ("center", "indent"):
            self.filters[name] = _bounded_filter(name, self.filters[name])
        self.filters["format"] = _bounded_format(self.filters["format"])
        for name, original in list(self.filters.items()):
            self.filters[name] = _guard_filter(name, original)
        self.filters[_LOOP_FILTER] = _counted
        self.filters[_CONCAT_FILTER] = _joined
        self.filters[_WALK_FILTER] = _walked
        for name, test in list(self.tests.items()):
            self.tests[name] = _guard_test(name, t.cast("t.Callable[..., t.Any]", test))

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        """The template's tree, with each loop's iterable counted and each ``~`` checked."""
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            loop.iter = _filtered(t.cast("nodes.Expr", loop.iter), _LOOP_FILTER)
        for concat in tree.find_all(nodes.Concat):
            concat.nodes = [_filtered(nodes.List(concat.nodes), _CONCAT_FILTER)]
        # `==`, `<`, `in` walk lists to the end; a dict's key is hashed, a tuple to the end.
        # Constants come from the template text itself and are left as they are (tools
        # reading the tree, such as the literal-secret search, see them unchanged).
        for compare in tree.find_all(nodes.Compare):
            compare.expr = _walk_checked(compare.expr)
            for operand in compare.ops:
                operand.expr = _walk_checked(operand.expr, operand.op)
        for pair in tree.find_all(nodes.Pair):
            pair.key = _walk_checked(pair.key)
        return tree

    def getitem(self, obj: t.Any, argument: t.Any) -> t.Any:
        """``obj[key]``: a tuple key is hashed to the end, so it is measured first."""
        _walked(argument)
        return super().getitem(obj, argument)

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
        check_integers(operator, left, right)
        integer_work(operator, left, right)
        if _too_big(operator, left, right):
            _refuse(f"the template's {operator!r}")
        if operator == "+" and isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            limit = MAX_RENDER_SIZE if isinstance(left, (str, bytes)) else MAX_OPERATION_SIZE
            if len(left) + len(right) > limit:
                raise SecurityError(
                    f"the template's '+' would build more than {limit} items; refused"
                )
        if operator == "%" and isinstance(left, (str, bytes)):
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
        check_padding(owner, method, (*args, *kwargs.values()), what)
        _check_arguments(args, what if owner is not None else "a call")
        _check_arguments(kwargs.values(), what if owner is not None else "a call")
        if not isinstance(__obj, jinja2.runtime.Macro):
            call_work(owner, method, (*args, *kwargs.values()), what)
        if isinstance(__obj, LoopContext) and args:  # a `recursive` loop's next level
            args = (_counted(args[0]), *args[1:])
        elif isinstance(owner, (str, bytes)):
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
