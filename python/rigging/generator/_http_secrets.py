"""Literal secrets written into an HTTP spec's patterns: where they stand, and masking them.

A value under a secret name in a JSON pattern, in JSON-like template text, in a form pair,
or given a secret name by the template's own syntax (``{% set api_key = "..." %}``). Used by
`rigging.generator._http_spec` (reprs and dumps of `TransformStep`, `spec_literal_secrets`).
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from typing import Any

import jinja2

from rigging._redact import MASK, is_secret_name, mask_urls
from rigging._sandbox import environment


def _literal(value: Any) -> bool:
    """A value written into the spec itself, not a ``$path`` reference or a template."""
    return (
        isinstance(value, str) and bool(value) and not value.startswith("$") and "{{" not in value
    )


def _mask_literals(node: Any) -> Any:
    """A copy of a JSON pattern with its secrets masked.

    Literal values under secret names, and the secrets of URLs in its texts (user-info,
    secret query values).
    """
    if isinstance(node, str):
        return mask_urls(node)
    if isinstance(node, dict):
        return {
            key: MASK if is_secret_name(str(key)) and _literal(value) else _mask_literals(value)
            for key, value in node.items()
        }
    if isinstance(node, list):
        return [_mask_literals(item) for item in node]
    return node


_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
"""The rest of a JSON string after its opening quote, closing quote included."""


_PAIR_COLON = re.compile(r'\s*:\s*"')


_FORM_PAIR = re.compile(r"(?<![^\s&;?])([A-Za-z0-9_.~%+\[\]-]+)=(?!=)([^\s&;\"']+)")
"""A ``name=value`` pair of form-encoded or query text, at its start or after a separator."""


def _json_text(raw: str) -> str:
    """The text a JSON string's contents `raw` stands for (`raw` when it does not parse)."""
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


def _json_pairs(text: str) -> list[tuple[str, int, int]]:
    """``(name, start, end)`` of each ``"name": "value"`` pair's value in JSON-like text.

    The strings are read in turn from the start, as a JSON reader would (one pass: an
    unterminated string ends the search).
    """
    pairs: list[tuple[str, int, int]] = []
    position = text.find('"')
    while position >= 0:
        key_end = _STRING_REST.match(text, position + 1)
        if key_end is None:
            break
        after = key_end.end()
        colon = _PAIR_COLON.match(text, after)
        if colon is not None:
            value_end = _STRING_REST.match(text, colon.end())
            if value_end is None:
                break
            name = _json_text(text[position + 1 : after - 1])
            pairs.append((name, colon.end(), value_end.end() - 1))
            after = value_end.end()
        position = text.find('"', after)
    return pairs


def _template_literals(text: str) -> list[tuple[int, int, list[str]]]:
    """Where template text holds a literal under a secret name, and the secret's forms.

    ``"name": "value"`` pairs of JSON-like text (``{{ messages|tojson }}`` beside them makes
    it no JSON) and ``name=value`` form pairs, whose value holds no ``{{``/``{%``.
    """
    found: list[tuple[int, int, list[str]]] = []
    for name, start, end in _json_pairs(text) if '"' in text else ():
        value = text[start:end]
        if value and not _holds_template(value) and is_secret_name(name):
            found.append((start, end, [value, _json_text(value)]))
    for match in _FORM_PAIR.finditer(text) if "=" in text else ():
        value = match.group(2)
        name = urllib.parse.unquote_plus(match.group(1))
        if not _holds_template(value) and is_secret_name(name):
            found.append((match.start(2), match.end(2), [value, urllib.parse.unquote_plus(value)]))
    for value in _assigned_secrets(text) if _holds_template(text) else ():
        forms = [value, _json_text(value)]
        found.extend((start, start + len(value), forms) for start in _places(text, value))
    return found


_QUOTED = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'")
"""A quoted string of template syntax; its content is group 1 or 2."""


@functools.lru_cache(maxsize=256)
def _assigned_secrets(text: str) -> tuple[str, ...]:
    """String literals a template's own syntax gives secret names.

    ``{% set api_key = "v" %}``, ``{% set token %}v{% endset %}``, ``{"api_key": "v"}`` or
    ``{'api_key': 'v'}`` inside a tag, and ``dict(api_key="v")``. A template that does not
    parse has none (rendering it fails, so nothing is sent).
    """
    try:
        tree = environment().parse(text)
    except (jinja2.TemplateError, RecursionError):
        return ()
    nodes = jinja2.nodes
    found: list[str] = []

    def text_of(node: object) -> str | None:
        return node.value if isinstance(node, nodes.Const) and isinstance(node.value, str) else None

    for assign in tree.find_all(nodes.Assign):
        if isinstance(assign.target, nodes.Name) and is_secret_name(assign.target.name):
            found.append(text_of(assign.node) or "")
    for block in tree.find_all(nodes.AssignBlock):
        if isinstance(block.target, nodes.Name) and is_secret_name(block.target.name):
            for output in block.body:
                if isinstance(output, nodes.Output):
                    found.extend(
                        data.data for data in output.nodes if isinstance(data, nodes.TemplateData)
                    )
    for pair in tree.find_all(nodes.Pair):
        key = text_of(pair.key)
        if key is not None and is_secret_name(key):
            found.append(text_of(pair.value) or "")
    for keyword in tree.find_all(nodes.Keyword):
        if is_secret_name(keyword.key):
            found.append(text_of(keyword.value) or "")
    return tuple(dict.fromkeys(value for value in found if value.strip()))


def _places(text: str, value: str) -> list[int]:
    """Where `value` stands in `text`: as a quoted string's content, or as raw block text."""
    places = [
        match.start(1) if match.group(1) is not None else match.start(2)
        for match in _QUOTED.finditer(text)
        if value in (match.group(1), match.group(2))
    ]
    if places:
        return places
    at = text.find(value)
    while at >= 0:  # an `{% set x %}...{% endset %}` body is written as it is
        places.append(at)
        at = text.find(value, at + len(value))
    return places


def _holds_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def _mask_template_literals(text: str) -> str:
    """`text` with each literal of `_template_literals` masked (pairs that overlap: once)."""
    out: list[str] = []
    copied = 0
    for start, end, _ in sorted(_template_literals(text)):
        if start >= copied:
            out.append(text[copied:start] + MASK)
            copied = end
    return "".join(out) + text[copied:] if out else text
