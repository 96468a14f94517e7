"""Small pure helpers kept for 2.3 compatibility: XML escaping, tag names, a sync bridge.

Decisions (see also ``docs/design/decisions-messages.md``):

- ``unescape_xml`` decodes the five XML entities in **one pass**, so ``&amp;lt;`` becomes
  ``&lt;`` (2.3 replaced them one after the other and produced ``<``, a bug).
- ``await_`` does not keep a global background event loop. With no loop running in the calling
  thread it runs the coroutines with ``asyncio.run``; from inside a running loop it raises a
  ``RuntimeError`` telling the caller to ``await`` instead (2.3 deadlocked in that case).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Coroutine
from typing import Any, TypeVar, overload

from rigging._exports import public_dir as _public_dir

__all__ = [
    "await_",
    "deref_json",
    "escape_xml",
    "get_qualified_name",
    "to_snake",
    "to_xml_tag",
    "truncate_string",
    "unescape_xml",
]

R = TypeVar("R")

_BARE_AMP = re.compile(r"&(?!(?:amp|lt|gt|apos|quot);)")
_ENTITY = re.compile(r"&(amp|lt|gt|apos|quot);")
_ENTITY_VALUES = {"amp": "&", "lt": "<", "gt": ">", "apos": "'", "quot": '"'}

_SNAKE_UPPER_RUN = re.compile(r"([A-Z]+)([A-Z][a-z])")
_SNAKE_LOWER_UPPER = re.compile(r"([a-z])([A-Z])")
_SNAKE_DIGIT_UPPER = re.compile(r"([0-9])([A-Z])")
_SNAKE_LOWER_DIGIT = re.compile(r"([a-z])([0-9])")


def escape_xml(xml_string: str) -> str:
    """Escape every bare ``&`` (one that does not already start an XML entity) as ``&amp;``.

    ``<``, ``>`` and quotes are left alone: the result is meant to be fed to an XML parser
    together with markup the model wrote.

    Args:
        xml_string: Text that may contain bare ampersands.

    Returns:
        The text with bare ``&`` replaced by ``&amp;``.
    """
    if "&" not in xml_string:
        return xml_string
    return _BARE_AMP.sub("&amp;", xml_string)


def unescape_xml(xml_string: str) -> str:
    """Decode ``&amp;``, ``&lt;``, ``&gt;``, ``&apos;`` and ``&quot;`` in a single pass.

    Args:
        xml_string: Text with XML entities.

    Returns:
        The decoded text. Other entities and character references are left as they are.
    """
    if "&" not in xml_string:
        return xml_string
    return _ENTITY.sub(lambda m: _ENTITY_VALUES[m.group(1)], xml_string)


def to_snake(text: str) -> str:
    """Convert ``CamelCase`` or ``kebab-case`` to ``snake_case``.

    Args:
        text: A class or field name.

    Returns:
        The snake-case form, e.g. ``HTTPServer`` → ``http_server``, ``Model2`` → ``model_2``.
    """
    text = _SNAKE_UPPER_RUN.sub(r"\1_\2", text)
    text = _SNAKE_LOWER_UPPER.sub(r"\1_\2", text)
    text = _SNAKE_DIGIT_UPPER.sub(r"\1_\2", text)
    text = _SNAKE_LOWER_DIGIT.sub(r"\1_\2", text)
    return text.replace("-", "_").lower()


def to_xml_tag(text: str) -> str:
    """Derive an XML tag from a class name: kebab-case without leading or trailing dashes.

    Args:
        text: A class name, e.g. ``FunFact``.

    Returns:
        The tag, e.g. ``fun-fact``.
    """
    return to_snake(text).replace("_", "-").strip("-")


def truncate_string(content: str, max_length: int, *, sep: str = "...") -> str:
    """Shorten ``content`` to about ``max_length`` characters, keeping both ends.

    Args:
        content: The text to shorten.
        max_length: The length above which the text is cut.
        sep: What replaces the removed middle.

    Returns:
        ``content`` unchanged if short enough, else its head and tail joined by ``sep``.
    """
    if len(content) <= max_length:
        return content
    keep = max(0, (max_length - len(sep)) // 2)
    return content[:keep] + sep + content[len(content) - keep :]


def get_qualified_name(obj: object) -> str:
    """A readable name for a callable, used in span names and logs.

    Args:
        obj: Any object; callables get a meaningful name.

    Returns:
        ``module.qualname`` for functions (just ``qualname`` in ``__main__``), ``Class.method``
        for bound methods, ``partial(...)``/``wrapped(...)`` for wrappers, the qualname of a
        class, ``Class.__call__`` for callable instances and ``"unknown"`` otherwise.
    """
    if obj is None or not callable(obj):
        return "unknown"
    if isinstance(obj, functools.partial):
        return f"partial({get_qualified_name(obj.func)})"
    if inspect.ismethod(obj):
        return f"{type(obj.__self__).__qualname__}.{obj.__func__.__name__}"
    if inspect.isclass(obj):
        return obj.__qualname__
    if inspect.isfunction(obj):
        wrapped = getattr(obj, "__wrapped__", None)
        if wrapped is not None:
            return f"wrapped({get_qualified_name(wrapped)})"
        if obj.__module__ == "__main__":
            return obj.__qualname__
        return f"{obj.__module__}.{obj.__qualname__}"
    return f"{type(obj).__qualname__}.__call__"


def deref_json(obj: dict[str, Any], *, is_json_schema: bool = False) -> dict[str, Any]:
    """Inline every local ``$ref`` (``#/...``) of a JSON document.

    ``$defs`` blocks are left in place. A reference cycle cannot be inlined and raises.

    Args:
        obj: The JSON document (e.g. a JSON schema).
        is_json_schema: Accepted for 2.3 compatibility; references are resolved the same way.

    Returns:
        A new document with references replaced by copies of their targets.

    Raises:
        ValueError: A reference does not resolve, is not local, or is part of a cycle.
    """
    del is_json_schema

    def resolve(pointer: str) -> Any:
        if not pointer.startswith("#"):
            raise ValueError(f"only local references are supported, got {pointer!r}")
        node: Any = obj
        for raw in filter(None, pointer[1:].split("/")):
            key = raw.replace("~1", "/").replace("~0", "~")
            try:
                node = node[int(key)] if isinstance(node, list) else node[key]
            except (KeyError, IndexError, ValueError, TypeError) as exc:
                raise ValueError(f"unresolvable reference {pointer!r}") from exc
        return node

    def walk(node: Any, active: tuple[str, ...]) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                if ref in active:
                    raise ValueError(f"reference cycle through {ref!r}")
                target = walk(resolve(ref), (*active, ref))
                siblings = {k: walk(v, active) for k, v in node.items() if k != "$ref"}
                return {**target, **siblings} if isinstance(target, dict) else target
            return {k: walk(v, active) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, active) for v in node]
        return node

    result: dict[str, Any] = walk(obj, ())
    return result


@overload
def await_(coro: Coroutine[Any, Any, R], /) -> R: ...
@overload
def await_(*coros: Coroutine[Any, Any, R]) -> list[R]: ...
def await_(*coros: Coroutine[Any, Any, R]) -> R | list[R]:
    """Run coroutines to completion from synchronous code and return their results.

    With no event loop running in this thread, the coroutines run concurrently in a fresh loop
    (``asyncio.run``). Inside a running loop blocking would deadlock, so this raises instead:
    use ``await`` there.

    Args:
        *coros: One or more coroutines.

    Returns:
        The result of a single coroutine, or the list of results in argument order.

    Raises:
        RuntimeError: Called from a thread whose event loop is running, or with no coroutine.
    """
    if not coros:
        raise RuntimeError("await_() needs at least one coroutine")
    import asyncio  # here, not at the top: it adds ~25 ms to `import rigging`

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        for coro in coros:
            coro.close()
        raise RuntimeError(
            "await_() cannot block inside a running event loop; use `await` on the coroutine "
            "(or asyncio.gather for several) instead"
        )

    async def gather() -> list[R]:
        return list(await asyncio.gather(*coros))

    results = asyncio.run(gather())
    return results[0] if len(coros) == 1 else results


__dir__ = _public_dir(globals())
