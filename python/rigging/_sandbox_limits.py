"""The limits of one render: its budget, and what an operation would build, found before it runs.

`rigging._sandbox` applies them; this module holds the numbers and the checks.
"""

from __future__ import annotations

import contextvars
import re
import string
import typing as t

import jinja2

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

MAX_RENDER_WORK = 500_000_000
"""Most units of work the operations of one render may do in all, a unit about what copying
one item in C costs (a few nanoseconds), so a render's work stays within seconds. Each
operation is charged before it runs, by what it walks: a filter its input's items or
characters (weighted by how much Python runs per item: ``sort`` and ``map`` the most), a
comparison or test every element of both sides, a method its object, integer arithmetic by
its operands' bits. Steps bound how many operations run; this bounds their cost (a loop
``in``-testing or sorting a list of a million items)."""

MAX_NESTING = 200
"""Deepest list or dict nesting a template may print or pass to a filter."""

_SEQUENCES = (str, bytes, list, tuple)
_CONTAINERS = (list, tuple, dict, set, frozenset)
_PADDING = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_PERCENT_WIDTH = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\d+|\*)?(?:\.(\d+|\*))?")
"""A printf-style field, with its mapping key (``%(name)9s``): its width and precision."""

MAX_INT_BITS = 8192
"""Most bits an integer taking part in template arithmetic may have, or its result (about
2,500 digits). Work on larger ones grows faster than their size (``x // y`` of 20,000 bits
takes milliseconds), and repeated squaring doubles it each time."""

_ARITHMETIC = frozenset({"+", "-", "*", "/", "//", "%", "**"})

_WALK_WORK = 32
"""Units per element compared, tested or hashed (nested elements counted), or per item a
method of a list or dict, or a call's list argument, may walk."""
_FILTER_WORK = {
    "map": 1024,  # each item a filter or test call
    **dict.fromkeys(("sort", "dictsort", "groupby", "urlize"), 384),
    **dict.fromkeys(
        (
            "max", "min", "unique", "select", "reject", "selectattr", "rejectattr", "batch",
            "pprint", "join", "sum", "title", "wordwrap", "wordcount", "urlencode", "striptags",
            "xmlattr",
        ),
        64,
    ),
}  # fmt: skip
"""Units per item of a filter's input, measured (about 1 µs an item for ``sort``); others 1."""
_WALKING_METHODS = frozenset(
    {"index", "count", "copy", "union", "intersection", "difference", "symmetric_difference"}
    | {"issubset", "issuperset", "isdisjoint"}
)
_FREE_FILTERS = frozenset({"length", "count", "first", "last", "default", "d", "attr", "safe"})
_VIEWS: tuple[type, ...] = (range, type({}.keys()), type({}.values()), type({}.items()))


def check_integers(operator: str, left: t.Any, right: t.Any) -> None:
    """Refuse arithmetic on integers, or giving one, past `MAX_INT_BITS`."""
    if operator not in _ARITHMETIC or not (isinstance(left, int) or isinstance(right, int)):
        return
    if operator == "%" and isinstance(left, (str, bytes)):
        return  # formatting, checked by `_too_big`
    bits = [v.bit_length() for v in (left, right) if isinstance(v, int)]
    result = 0
    if operator == "*" and len(bits) == 2:
        result = sum(bits)
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        result = max(bits[0], 1) * right if abs(left) > 1 else 0
    if max(*bits, result) > MAX_INT_BITS:
        raise SecurityError(
            f"the template's {operator!r} on or giving an integer of more than {MAX_INT_BITS} "
            "bits; refused"
        )


def _work(units: int, what: str) -> None:
    """Charge work to the render's total; past `MAX_RENDER_WORK` the render stops."""
    budget = _budget()
    budget.work += units
    if budget.work > MAX_RENDER_WORK:
        raise SecurityError(
            f"{what} took the template past {MAX_RENDER_WORK} units of work in all; refused"
        )


def integer_work(operator: str, left: t.Any, right: t.Any) -> None:
    """Charge integer arithmetic by its operands' bits (division grows with their product)."""
    if not (isinstance(left, int) and isinstance(right, int)) or operator not in _ARITHMETIC:
        return
    bits, other = left.bit_length(), right.bit_length()
    units = (bits + other) >> 4
    if operator in ("*", "/", "//", "%"):
        units += (bits * other) >> 12
    elif operator == "**" and right > 0 and abs(left) > 1:
        units += (bits * right) ** 2 >> 12  # `check_integers` bounds it first
    _work(units, f"the template's {operator!r}")


def _items(value: t.Any) -> int:
    """How many items a walk over `value` visits (characters of a text), 0 if unknown."""
    if isinstance(value, (str, bytes, *_CONTAINERS, *_VIEWS)):
        return len(t.cast("t.Sized", value))
    return 0


def walk_work(value: t.Any, what: str, hashed: bool = False) -> None:
    """Charge comparing, testing or hashing `value`: its elements, nested ones too.

    A dict or set searched by ``in`` (`hashed`) is not walked.
    """
    if hashed and isinstance(value, (dict, set, frozenset)):
        return
    if isinstance(value, _CONTAINERS):
        units = _measure(value, _budget())[1] * _WALK_WORK
    else:
        units = len(value) // 8 if isinstance(value, (str, bytes)) else _items(value)
    _work(units + 1, what)


def filter_work(name: str, value: t.Any, what: str) -> t.Any:
    """Charge a filter for walking its input; an iterator is charged item by item."""
    if name in _FREE_FILTERS:
        return value
    weight = _FILTER_WORK.get(name, 1)
    if isinstance(value, t.Iterator) and not isinstance(value, _SEQUENCES):
        return _charged(value, weight, what)
    _work(_items(value) * weight, what)
    return value


def call_work(owner: t.Any, method: str, args: t.Iterable[t.Any], what: str) -> None:
    """Charge a call for what it walks.

    A text's method: its text and text arguments; a list's or set's walking method, or any
    other call but a macro's: its object and container arguments.
    """
    if isinstance(owner, (str, bytes)):
        units = len(owner) + sum(len(a) for a in args if isinstance(a, (str, bytes)))
    elif isinstance(owner, _CONTAINERS) and method not in _WALKING_METHODS:
        return  # a lookup (``get``) or a view (``items``)
    else:
        units = _WALK_WORK * (_items(owner) + sum(_items(a) for a in args if _items(a)))
    _work(units, what)


def _charged(iterator: t.Iterator[t.Any], weight: int, what: str) -> t.Iterator[t.Any]:
    for item in iterator:
        _work(weight, what)
        yield item


def _refuse(what: str) -> t.NoReturn:
    raise SecurityError(f"{what} would build more than {MAX_OPERATION_SIZE} items; refused")


def _too_big(operator: str, left: t.Any, right: t.Any) -> bool:
    if operator == "%":  # printf-style widths: '%9999999999s', '%*s' % (10**10, x)
        if isinstance(left, bytes):
            left = left.decode("latin-1")
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


class _Budget:
    """What one render has spent: steps, characters built, work, measured containers."""

    __slots__ = ("built", "measured", "steps", "work")

    def __init__(self) -> None:
        self.steps = 0
        self.built = 0
        self.work = 0
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
    if isinstance(value, bytes):
        return 4 * len(value) + 3  # its repr, each byte at most an escape such as \x00
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


def _replaced_size(text: str | bytes, old: t.Any, new: t.Any, count: t.Any) -> int:
    if not isinstance(old, type(text)) or not isinstance(new, type(text)):
        return len(text)
    hits = len(text) + 1 if not old else text.count(old)  # type: ignore[arg-type]  # same type
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(0, len(new) - len(old))


def _argument(rest: tuple[t.Any, ...], kwargs: dict[str, t.Any], index: int, name: str) -> t.Any:
    return rest[index] if len(rest) > index else kwargs.get(name)


def check_padding(owner: t.Any, method: str, args: t.Iterable[t.Any], what: str) -> None:
    """Refuse a width past `MAX_OPERATION_SIZE` for a padding method or ``int.to_bytes``."""
    pads = isinstance(owner, (str, bytes)) and method in _PADDING
    sized = pads or (isinstance(owner, int) and method == "to_bytes")
    if sized and any(isinstance(a, int) and a > MAX_OPERATION_SIZE for a in args):
        _refuse(what)


def _check_str_method(
    text: str | bytes,
    method: str,
    args: tuple[t.Any, ...],
    kwargs: dict[str, t.Any],
    what: str,
) -> tuple[t.Any, ...]:
    """Sizes of the ``str`` and ``bytes`` methods whose result can outgrow their inputs."""
    if method == "expandtabs":  # each tab can become `tabsize` spaces
        size = _argument(args, kwargs, 0, "tabsize")
        tab = "\t" if isinstance(text, str) else b"\t"
        tabs = text.count(tab)  # type: ignore[arg-type]  # tab is of text's type
        _check_size(len(text) + tabs * (size if isinstance(size, int) else 8), what)
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
    elif method in ("format", "format_map") and isinstance(text, str):
        values = [*args, *kwargs.values()]
        if method == "format_map" and args and isinstance(args[0], dict):
            values = list(args[0].values())
        _check_size(
            len(text) + sum(_text_length(v) for v in values) * max(text.count("{"), 1), what
        )
    return args


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
