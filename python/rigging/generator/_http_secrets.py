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

from rigging._redact import (
    MASK,
    MIN_SECRET_LENGTH,
    fragment_secrets,
    is_secret_name,
    mask_urls,
    secret_values,
)
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
    it no JSON) and ``name=value`` form pairs; of a value holding ``{{``/``{%``, its literal
    pieces (`_value_pieces`). And what the template's syntax names a secret
    (`_secret_places`).
    """
    found: list[tuple[int, int, list[str]]] = []
    for name, start, end in _json_pairs(text) if '"' in text else ():
        value = text[start:end]
        if not value or not is_secret_name(name):
            continue
        if _holds_template(value):  # "api_key": "sk-{{ x }}": its literal pieces
            found.extend(_pieces_at(text, start, _value_pieces(value)))
        else:
            found.append((start, end, [value, _json_text(value)]))
    for match in _FORM_PAIR.finditer(text) if "=" in text else ():
        value = match.group(2)
        if not is_secret_name(urllib.parse.unquote_plus(match.group(1))):
            continue
        if _holds_template(value):  # cut at the tag's first space: the text before the tag
            first = min(i for i in (value.find("{{"), value.find("{%")) if i >= 0)
            pieces = [(0, first)] if first else []
            found.extend(_pieces_at(text, match.start(2), pieces))
        else:
            found.append((match.start(2), match.end(2), [value, urllib.parse.unquote_plus(value)]))
    for start, end, value in _secret_places(text) if _holds_template(text) else ():
        found.append((start, end, [value, _json_text(value)]))
    return found


_SCHEME_WORD = re.compile(
    r"[ \t]*(?:(?:Bearer|Basic|Token|Bot|Digest|Key|ApiKey|JWT|OAuth|SSWS)[ \t]+)?", re.IGNORECASE
)
"""An authorization scheme leading a header value (``Bearer ``): shown, it names no secret."""


def _after_scheme(value: str, end: int) -> int:
    """Where `value`'s text up to `end` goes on after a leading `_SCHEME_WORD`."""
    match = _SCHEME_WORD.match(value, 0, end)
    return match.end() if match is not None else 0


def _value_pieces(value: str) -> list[tuple[int, int]]:
    """Where a secret value holding template syntax has literal text, as ``(start, end)``.

    Its text around the tags (white space and a leading ``Bearer `` left out), the contents
    of the string literals inside its tags and its comments: ``Bearer sk-{{ "a" ~ x }}``
    has ``sk-`` and ``a``. A value that does not lex: its text before the first tag.
    """
    spans = _token_spans(value) if "\r" not in value else []
    if not spans:
        first = min(i for i in (value.find("{{"), value.find("{%"), len(value)) if i >= 0)
        start = _after_scheme(value, first)
        return [(start, first)] if value[start:first].strip() else []
    pieces: list[tuple[int, int]] = []
    for kind, start, end in spans:
        if kind == "data":
            if start == 0:
                start = _after_scheme(value, end)
            text = value[start:end]
            if text.strip():
                lead = len(text) - len(text.lstrip())
                pieces.append((start + lead, start + len(text.rstrip())))
        elif kind == "string" and end - start > 2:
            pieces.append((start + 1, end - 1))
        elif kind == "comment" and value[start:end].strip():
            pieces.append((start, end))
    return pieces


def _pieces_at(
    text: str, offset: int, pieces: list[tuple[int, int]]
) -> list[tuple[int, int, list[str]]]:
    """`_template_literals` entries for `pieces` of a value starting at `offset` of `text`."""
    return [
        (offset + start, offset + end, [text[offset + start : offset + end]])
        for start, end in pieces
    ]


def mask_secret_template(value: str) -> str:
    """A secret value holding template syntax with its literal pieces masked (`_value_pieces`).

    A header under a secret name is a secret whole: ``Bearer {{ api_key }}`` is kept, and
    ``Bearer sk-{{ "a" ~ "b" }}`` shows as ``Bearer ***{{ "***" ~ "***" }}``.
    """
    out: list[str] = []
    copied = 0
    for start, end in _value_pieces(value):
        out.append(value[copied:start] + MASK)
        copied = end
    return "".join(out) + value[copied:]


def secret_template_pieces(value: str) -> list[str]:
    """The literal pieces `mask_secret_template` masks (for the generator's secrets)."""
    return [value[start:end] for start, end in _value_pieces(value)]


def _expression_pieces(node: object) -> list[str]:
    """The string constants an expression is built from (``"sk-" ~ "abc"``, ``x or "k"``).

    Operands of concatenation and addition, both branches of ``a if c else b``, ``or`` and
    ``and``, the items of a list or tuple, and a filtered value with ``default``'s argument;
    not a name, an attribute or item looked up, or a call's arguments (``params.get("k")``).
    """
    nodes = jinja2.nodes
    if isinstance(node, nodes.Const):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, nodes.Concat):
        return [piece for item in node.nodes for piece in _expression_pieces(item)]
    if isinstance(node, nodes.Add | nodes.Or | nodes.And):
        return [*_expression_pieces(node.left), *_expression_pieces(node.right)]
    if isinstance(node, nodes.CondExpr):
        return [*_expression_pieces(node.expr1), *_expression_pieces(node.expr2)]
    if isinstance(node, nodes.List | nodes.Tuple):
        return [piece for item in node.items for piece in _expression_pieces(item)]
    if isinstance(node, nodes.Filter):
        inner = _expression_pieces(node.node) if node.node is not None else []
        if node.name == "default":
            inner.extend(piece for arg in node.args for piece in _expression_pieces(arg))
        return inner
    return []


@functools.lru_cache(maxsize=256)
def _assigned_secrets(text: str) -> tuple[str, ...]:
    """String literals a template's own syntax gives secret names.

    ``{% set api_key = "v" %}``, ``{% set token %}v{% endset %}``, ``{"api_key": "v"}`` or
    ``{'api_key': 'v'}`` inside a tag, and ``dict(api_key="v")``; for a value built by an
    expression (``"sk-" ~ "abc"``), the literals it is built from (`_expression_pieces`). A
    template that does not parse has none (rendering it fails, so nothing is sent).
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
            found.extend(_expression_pieces(assign.node))
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
            found.extend(_expression_pieces(pair.value))
    for keyword in tree.find_all(nodes.Keyword):
        if is_secret_name(keyword.key):
            found.extend(_expression_pieces(keyword.value))
    return tuple(dict.fromkeys(value for value in found if value.strip()))


@functools.lru_cache(maxsize=256)
def _secret_places(text: str) -> tuple[tuple[int, int, str], ...]:
    r"""``(start, end, secret)`` of each place template `text` writes a `_assigned_secrets` one.

    Inside tags, each string literal of Jinja's own lexer whose value (escapes decoded;
    adjacent literals joined, as the parser joins them) holds a secret: its whole source
    text inside its quotes, as written (``sk-\x41b`` of ``"sk-\x41b"``), so the masked
    text still parses; a literal holding only a part of a secret is kept. In the template's
    data (an ``{% set token %}...{% endset %}`` body, text around the tags), each verbatim
    occurrence. A secret shorter than `MIN_SECRET_LENGTH` is masked only where a literal
    is exactly it, never searched for in other literals or the data (``{% set api_key =
    "a" %}`` would otherwise mask every ``a`` of the text).
    """
    secrets = _assigned_secrets(text)
    if not secrets:
        return ()
    # The lexer reads every line break as "\n": positions are found in the text it reads,
    # then moved back to `text` (`origins[i]`: where character `i` of `lexed` starts).
    lexed = text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text
    origins = _origins(text) if lexed is not text else None
    places: list[tuple[int, int, str]] = []
    run: list[tuple[int, int, str]] = []  # (start, end, raw) of adjacent string literals
    for kind, start, end in [*_token_spans(lexed), ("end", 0, 0)]:
        if kind == "string":
            run.append((start, end, lexed[start:end]))
            continue
        if kind == "whitespace" and run:
            continue
        if run:
            value = "".join(_string_values([raw for _, _, raw in run]))
            for secret in secrets:  # inside each one's quotes: the masked text still parses
                if secret == value or (len(secret) >= MIN_SECRET_LENGTH and secret in value):
                    places.extend((first + 1, last - 1, secret) for first, last, _ in run)
            run = []
        if kind == "data":
            for secret in (s for s in secrets if len(s) >= MIN_SECRET_LENGTH):
                at = lexed.find(secret, start, end)
                while at >= 0:
                    places.append((at, at + len(secret), secret))
                    at = lexed.find(secret, at + len(secret), end)
    if origins is None:
        return tuple(places)
    return tuple((origins[start], origins[end], value) for start, end, value in places)


def _token_spans(lexed: str) -> list[tuple[str, int, int]]:
    r"""``(kind, start, end)`` of each token Jinja's lexer reads in `lexed` (newlines: ``\n``).

    The lexer gives each token's source text in order, leaving out only whitespace that
    ``{%-``/``-%}`` strip and lines it drops at the end, so each is found from where the
    one before it ended.
    """
    try:
        tokens = list(environment().lex(lexed))
    except (jinja2.TemplateError, RecursionError):
        return []
    spans: list[tuple[str, int, int]] = []
    cursor = 0
    for _, kind, raw in tokens:
        at = lexed.find(raw, cursor)
        if at >= 0:
            cursor = at + len(raw)
            spans.append((kind, at, cursor))
    return spans


def _string_values(raws: list[str]) -> list[str]:
    """The values of string literals written as `raws` (quotes included), as Jinja reads them."""
    stream = environment().lexer.wrap(iter([(1, "string", raw) for raw in raws]))
    return [str(token.value) for token in stream]


def _origins(text: str) -> list[int]:
    r"""Where each character of `text`, its line breaks read as one ``\n``, starts in `text`.

    One entry more than characters: the end of `text`.
    """
    origins: list[int] = []
    index = 0
    size = len(text)
    while index < size:
        origins.append(index)
        index += 2 if text.startswith("\r\n", index) else 1
    origins.append(size)
    return origins


def _holds_template(text: str) -> bool:
    return "{{" in text or "{%" in text


def _mask_template_literals(text: str) -> str:
    """`text` with each literal of `_template_literals` masked (overlapping ones: once)."""
    out: list[str] = []
    copied = 0
    for start, end, _ in sorted(_template_literals(text)):
        if start >= copied:
            out.append(text[copied:start] + MASK)
            copied = end
        elif end > copied:  # runs on past the one masked (a longer secret there): one mask
            copied = end
    return "".join(out) + text[copied:] if out else text


def rendered_secrets(url: str, headers: dict[str, str], body: str) -> list[str]:
    """The secrets of one rendered request: what its secret-bearing places hold.

    The URL's user-info, secret query values, key-shaped path segments and fragment; the
    values of headers under secret names (and the token after ``Bearer``); the body's values
    under secret names (JSON, JSON-like or form text). Whatever expression made them
    (``{{ "sk-" ~ "abc" }}``, a filter, a loop), the request's errors are scrubbed of them.
    The rest of the body (the conversation) is not searched: its values are no secrets, and
    remembering them would grow the process's known secrets with every request.
    """
    found = [*secret_values({"url": url, "headers": headers}), *fragment_secrets(url)]
    try:
        parsed = json.loads(body)
    except (ValueError, RecursionError):
        parsed = None
    if isinstance(parsed, dict | list):
        _named_values(parsed, False, found)
    else:
        for name, start, end in _json_pairs(body) if '"' in body else ():
            if is_secret_name(name):
                found.extend((body[start:end], _json_text(body[start:end])))
        for match in _FORM_PAIR.finditer(body) if "=" in body else ():
            if is_secret_name(urllib.parse.unquote_plus(match.group(1))):
                found.extend((match.group(2), urllib.parse.unquote_plus(match.group(2))))
    return found


def _named_values(node: Any, secret: bool, out: list[str]) -> None:
    """The texts and numbers of parsed JSON under secret names (at any depth below one)."""
    pending = [(node, secret)]
    while pending:
        current, named = pending.pop()
        if isinstance(current, dict):
            pending.extend(
                (item, named or (isinstance(key, str) and is_secret_name(key)))
                for key, item in current.items()
            )
        elif isinstance(current, list):
            pending.extend((item, named) for item in current)
        elif named and isinstance(current, str | int | float) and not isinstance(current, bool):
            out.append(str(current))
