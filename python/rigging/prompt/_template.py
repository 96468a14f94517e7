"""Jinja2 rendering of prompt docstrings; undeclared-variable analysis at decoration time.

Docstrings render in rigging's sandboxed, immutable environment (`rigging._sandbox`): a
template that reaches for Python internals raises ``jinja2.exceptions.SecurityError``.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing as t

__all__ = ["clean_docstring", "get_undeclared_variables", "reads_variable", "render_template"]

_COLLAPSE = re.compile(r"(?![\r\n])(\b\s+)")


def _environment() -> t.Any:
    from rigging._sandbox import environment  # only prompts need jinja2

    return environment(trim=True)


def clean_docstring(doc: str) -> str:
    """Dedent a docstring and collapse runs of whitespace after words (as 2.3 did).

    Args:
        doc: The raw docstring.

    Returns:
        The cleaned text.
    """
    return _COLLAPSE.sub(" ", inspect.cleandoc(doc))


def get_undeclared_variables(template: str) -> set[str]:
    """The variables a template reads without defining them.

    Args:
        template: Jinja2 source.

    Returns:
        The variable names.

    Raises:
        ValueError: The template has a syntax error (the message gives the line), or is
            nested too deeply to be read.
    """
    import jinja2
    from jinja2 import meta

    try:
        ast = _environment().parse(template)
        if any(node.name == "self" for node in ast.find_all(jinja2.nodes.Name)):
            # jinja's own name for the template: `{{ self.x }}` never reached the value
            raise ValueError(_SELF)
        return set(meta.find_undeclared_variables(ast))
    except jinja2.TemplateSyntaxError as exc:
        raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from exc
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None


@functools.lru_cache(maxsize=512)
def reads_variable(name: str) -> bool:
    """Whether ``{{ name }}`` prints the variable `name` (a value passed in may replace it).

    Not for an empty name, a keyword (``not``), a literal (``true``, ``none``: it prints the
    literal) or ``self`` (jinja's name for the template); a global (``range``) is read as a
    variable, and a value passed in replaces it.
    """
    import jinja2

    try:
        body = _environment().parse(f"{{{{ {name} }}}}").body
    except jinja2.TemplateSyntaxError:
        return False
    match body:
        case [jinja2.nodes.Output(nodes=[jinja2.nodes.Name(name=read, ctx="load")])]:
            return bool(read == name != "self")
    return False


_TOO_DEEP = "template is nested too deeply (brackets, blocks or filters) to be read"
_SELF = (
    "uses `self`, which jinja reserves for the template itself (a method prompt's receiver "
    "cannot be read there); pass what the template needs as a parameter"
)


@functools.lru_cache(maxsize=512)
def _compiled(template: str) -> t.Any:
    try:
        return _environment().from_string(template)
    except RecursionError:
        raise ValueError(_TOO_DEEP) from None


def render_template(template: str, variables: dict[str, t.Any]) -> str:
    """Render `template` with `variables` in the sandbox (undefined variables raise).

    Args:
        template: Jinja2 source.
        variables: The values.

    Returns:
        The text.

    Raises:
        jinja2.exceptions.SecurityError: The template reaches for something the sandbox
            refuses (underscore attributes, function internals, mutation, huge ``*``).
    """
    rendered: str = _compiled(template).render(variables)
    return rendered
