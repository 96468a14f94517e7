"""Redaction: the one helper every output channel uses to keep secrets out.

What is a secret (the rule lives in the Rust core, `rigging._native.is_secret_name`):

- the value of any parameter, field, dict key or header whose *name* looks like a secret
  (words such as key, token, secret, password, passwd, credential, authorization, cookie;
  ``API_KEY``, ``aws_secret_access_key``, ``azure_ad_token``, ``X-Api-Key``, ``Authorization``);
- the user-info of URLs (``https://user:PW@host``) and the values of their query parameters
  with secret names (``?key=...``, ``&sig=...``).

How it is kept out:

- identifiers leave secrets out (`rigging.get_identifier`, by the native formatter);
- reprs, dumps and span attributes show them as `MASK` (`redact_value`);
- free text (error messages, provider error bodies, log lines, span attributes) has the
  known secret *values* replaced by `MASK` (`redact_text`), and URL user-info masked.

Every generator remembers its secret values (`remember`), so that channels which do not know
the generator (logs, spans) can still scrub them (`redact_known`).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import html
import json
import logging
import os
import re
import threading
import urllib.parse
from collections.abc import Callable, Container, Iterable
from typing import Any

from pydantic import BaseModel

from rigging import _native
from rigging._surrogates import has_surrogates, stand_in

__all__ = [
    "MASK",
    "MIN_SECRET_LENGTH",
    "REVEAL",
    "RedactFilter",
    "environment_secrets",
    "is_secret_name",
    "known_secrets",
    "mask_urls",
    "query_secrets",
    "redact_dump",
    "redact_exception",
    "redact_known",
    "redact_repr_args",
    "redact_schema",
    "redact_text",
    "redact_value",
    "remember",
    "remember_params",
    "reveals",
    "schema_secrets",
    "secret_values",
]

MASK = "***"
"""What a secret is shown as."""

MIN_SECRET_LENGTH = 4
"""Shorter values are not searched for in free text (they would mask ordinary words)."""

REVEAL: dict[str, Any] = {"rigging_reveal_secrets": True}
"""Serialisation context under which params and generators dump their secrets (for requests
and identifiers only; every other dump masks them)."""


def reveals(context: Any) -> bool:
    """Whether a serialisation `context` is `REVEAL`."""
    return isinstance(context, dict) and context.get("rigging_reveal_secrets") is True


def redact_dump(data: Any, context: Any) -> Any:
    """A model's dump with its secrets masked, unless `context` is `REVEAL`."""
    return data if reveals(context) else redact_value(data)


def redact_repr_args(args: Iterable[tuple[str | None, Any]]) -> Iterable[tuple[str | None, Any]]:
    """Pydantic ``__repr_args__`` with secret fields masked and other values redacted."""
    for name, value in args:
        if name is not None and is_secret_name(name):
            yield name, MASK
        elif isinstance(value, str | dict | list | tuple):
            yield name, redact_value(value)
        else:
            yield name, value


_known: set[str] = set()
_known_lock = threading.Lock()
_known_sorted: tuple[str, ...] = ()


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether a parameter, field or header called `name` holds a secret.

    Args:
        name: The name (any case, any separators).

    Returns:
        True for names such as ``api_key``, ``API_KEY``, ``aws_secret_access_key``,
        ``azure_ad_token``, ``Authorization``, ``X-Api-Key``; False for ``max_tokens``.
    """
    return bool(_native.is_secret_name(name))


_QUERY = re.compile(r"\?[^\s#\"'<>\\`]+")
"""A URL query string: from ``?`` to a fragment, white space, a quote or a backslash."""
_QUERY_PAIR = re.compile(r"([^&;=]*)=(.*)", re.DOTALL)


def _query_pairs(query: str) -> list[str]:
    """The ``name=value`` pairs and separators (``&``, ``;``) of a query string, in order."""
    return re.split(r"([&;])", query)


def _secret_query_pair(pair: str) -> tuple[str, str] | None:
    """``(name, value)`` when the query pair `pair` holds a secret (by its name)."""
    match = _QUERY_PAIR.fullmatch(pair)
    if match is None or not match.group(2) or _is_template(match.group(2)):
        return None  # "?key={{ api_key }}" names a secret, holds none
    name = urllib.parse.unquote_plus(match.group(1))
    return (match.group(1), match.group(2)) if is_secret_name(name) else None


def _mask_query(query: str, mask: str) -> str:
    """A query string (``?a=1&key=...``) with secret-named values masked (dropped if empty)."""
    parts = _query_pairs(query[1:])
    kept: list[str] = []
    changed = False
    for index in range(0, len(parts), 2):
        pair = parts[index]
        secret = _secret_query_pair(pair)
        if secret is not None:
            changed = True
            if not mask:
                continue
            pair = f"{secret[0]}={mask}"
        if kept:
            kept.append(parts[index - 1])
        kept.append(pair)
    if not changed:
        return query
    rest = "".join(kept)
    return f"?{rest}" if rest else ""


def query_secrets(text: str) -> list[str]:
    """The values of secret-named query parameters of the URLs in `text` (raw and decoded)."""
    out: list[str] = []
    if "?" not in text or "=" not in text:
        return out
    for query in _QUERY.findall(text):
        for pair in _query_pairs(query[1:])[::2]:
            secret = _secret_query_pair(pair)
            if secret is not None:
                out.append(secret[1])
                decoded = urllib.parse.unquote_plus(secret[1])
                if decoded != secret[1]:
                    out.append(decoded)
    return out


def mask_urls(text: str, mask: str = MASK, *, query: bool = True) -> str:
    """`text` with the secrets of every URL replaced by `mask` (removed when empty).

    The user-info (``https://user:PW@host``) and the values of query parameters with secret
    names (``?key=...``, ``&sig=...``, ``?password=...``) are the secrets of a URL; with an
    empty `mask` the user-info and the secret ``name=value`` pairs are left out. Without
    `query`, only user-info is masked: for text where ``?name=`` is not a query string (a
    regular expression such as ``(?:token=)(.+)``).
    """
    if query and "?" in text and "=" in text:
        text = _QUERY.sub(lambda m: _mask_query(m.group(0), mask), text)
    if "://" not in text:
        return text
    if has_surrogates(text):  # the native side reads U+FFFD there; keep the originals
        swapped, back = stand_in(text)
        return back(_native.mask_userinfo(swapped, mask))
    return _native.mask_userinfo(text, mask)


def _mask_json(text: str) -> str:
    """`text` with the values of secret names in JSON text in it masked."""
    if '"' not in text:
        return text
    if has_surrogates(text):
        swapped, back = stand_in(text)
        return back(_native.mask_json_secrets(swapped))
    return _native.mask_json_secrets(text)


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """`text` with each secret replaced by `MASK`, and URL user-info and JSON secrets masked.

    Values under secret names in JSON text (an echoed request body) are masked too.

    Args:
        text: Free text (an error message, a provider's error body, a log line).
        secrets: The secret values to remove; values shorter than `MIN_SECRET_LENGTH` are
            skipped. Longer secrets are replaced first.

    Returns:
        The redacted text.
    """
    kept = [s for s in secrets if len(s) >= MIN_SECRET_LENGTH]
    forms = {form for s in kept for form in _forms(s)}
    if "%" in text:
        text = _mask_lowercase_escapes(text, [f for f in forms if "%" in f])
    for secret in sorted(forms, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    text = _mask_other_case(text, forms)
    return mask_urls(_mask_json(text))


def _mask_other_case(text: str, forms: Iterable[str]) -> str:
    """`text` with the `forms` masked where they appear in another case (``SK-ABC``).

    A provider may echo a key upper-cased (or a proxy lower-case it). The exact forms are
    masked already; the case-folded search runs only when a folded form is found.
    """
    lowered = text.lower()
    found = [f for f in forms if f.lower() in lowered]
    if not found:
        return text
    pattern = "|".join(re.escape(f) for f in sorted(found, key=len, reverse=True))
    return re.sub(pattern, MASK, text, flags=re.IGNORECASE)


_ESCAPE = re.compile(r"%[0-9a-fA-F]{2}")


def _mask_lowercase_escapes(text: str, forms: list[str]) -> str:
    """`text` with the percent-encoded `forms` masked where their escapes are in lower case.

    `forms` write escapes in upper case (``%2F``); `text` may not (``%2f``). Upper-casing
    the escapes keeps every position, so matches in the folded text are cut from `text`.
    """
    folded = _ESCAPE.sub(lambda m: m.group(0).upper(), text)
    if folded == text or not forms:
        return text
    spans: list[tuple[int, int]] = []
    for form in forms:
        start = folded.find(form)
        while start >= 0:
            spans.append((start, start + len(form)))
            start = folded.find(form, start + 1)
    if not spans:
        return text
    pieces: list[str] = []
    end = 0
    for first, last in sorted(spans):
        if first >= end:
            pieces.extend((text[end:first], MASK))
        end = max(end, last)
    pieces.append(text[end:])
    return "".join(pieces)


@functools.lru_cache(maxsize=1024)
def _forms(secret: str) -> tuple[str, ...]:
    r"""`secret` and the forms it takes when echoed encoded, as URLs and JSON bodies hold it.

    Percent-encoded (``/`` kept or not, ``+`` for a space or not; the escapes' hex case
    is matched by `_mask_lowercase_escapes`), JSON-escaped (``/`` escaped or not,
    non-ASCII as ``\u`` escapes or not) and HTML-escaped: a key with ``/``, ``+`` or
    ``=`` in it (a base64 key) comes back so from a server echoing the URL or body it got.
    """
    forms = {secret}
    for encoded in (
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret, safe="/"),
        urllib.parse.quote_plus(secret, safe=""),
        urllib.parse.quote_plus(secret, safe="/"),
    ):
        forms.add(encoded)
    for ascii_only in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        forms.update((escaped, escaped.replace("/", "\\/")))
    forms.add(html.escape(secret))
    return tuple(f for f in forms if len(f) >= MIN_SECRET_LENGTH)


def redact_known(text: str) -> str:
    """`redact_text` with every secret value a generator of this process has held."""
    return redact_text(text, _known_sorted)


def remember(secrets: Iterable[str]) -> None:
    """Add secret values to those `redact_known` removes (for logs and spans)."""
    global _known_sorted
    new = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH} - _known
    if not new:
        return
    with _known_lock:
        _known.update(new)
        _known_sorted = tuple(sorted(_known, key=len, reverse=True))


def remember_params(params: Iterable[BaseModel]) -> None:
    """Remember the secret values of request params (values under secret names, headers...).

    A request's own secrets (``with_(extra={"api_key": ...})``) are then scrubbed from the
    logs, spans and errors of the run, as the generator's are.
    """
    for unique in {id(p): p for p in params}.values():
        remember(secret_values(unique))


_MIN_ENV_SECRET = 8
"""Shorter environment values are not taken for keys (``DISABLE_AUTH=false``)."""


def environment_secrets() -> list[str]:
    """The values of environment variables under secret names that look like keys.

    ``OPENAI_API_KEY``, ``AZURE_AD_TOKEN``...: values of at least `_MIN_ENV_SECRET`
    characters that are not a plain word (``DISABLE_AUTH=disabled`` is no key).

    Returns:
        The values.
    """
    return [
        value
        for name, value in os.environ.items()
        if len(value) >= _MIN_ENV_SECRET
        and not value.isalpha()
        and name not in _NOT_SECRET_ENV
        and is_secret_name(name)
    ]


# The shell's working directories: `pwd` is a secret word, but these hold paths, and masking
# them hid every path under the current directory in error messages (`'***/cache.db'`).
_NOT_SECRET_ENV = frozenset({"PWD", "OLDPWD"})


def known_secrets() -> frozenset[str]:
    """The secret values remembered so far."""
    return frozenset(_known)


_MAX_PARSED = 100_000
"""Longest text searched for a header container as JSON."""
_MAX_LITERAL = 10_000
"""Longest text read as a Python literal (a header container's ``repr``)."""


def _container(text: str) -> dict[Any, Any] | list[Any] | None:
    """The dict or list a string spells as JSON or as a Python literal, or None.

    Header containers arrive as text too (``'{"Authorization": ...}'``, a JSON array of
    pairs, a ``repr`` of a dict, JSON with a trailing comma).
    """
    stripped = text.strip()
    if len(stripped) > _MAX_PARSED or not (
        (stripped.startswith("{") and stripped.endswith("}"))
        or (stripped.startswith("[") and stripped.endswith("]"))
    ):
        return None
    value: Any
    try:
        value = json.loads(stripped)
    except RecursionError:  # nested too deeply to be a header container
        return None
    except ValueError:
        if len(stripped) > _MAX_LITERAL:
            return None
        try:
            value = ast.literal_eval(stripped)
        except Exception:  # any malformed or too deeply nested text is no container
            return None
    if isinstance(value, tuple):
        value = list(value)
    if not isinstance(value, dict | list) or not _shallow(value):
        return None
    return value


_MAX_NESTING = 32
"""Containers nested deeper than this are no header container (and the walks recurse)."""


def _shallow(value: Any) -> bool:
    """Whether `value` nests dicts and lists at most `_MAX_NESTING` deep.

    Walked without recursion: Python 3.13's JSON parser reads 5000 nested brackets without
    complaint, and the redaction walks would then exceed the recursion limit.
    """
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        node, depth = pending.pop()
        if depth > _MAX_NESTING:
            return False
        children = node.values() if isinstance(node, dict) else node
        pending.extend(
            (child, depth + 1) for child in children if isinstance(child, dict | list | tuple)
        )
    return True


def _secret_pair(item: Any) -> bool:
    """Whether `item` is a ``(name, value)`` pair under a secret name (a header in a list)."""
    return (
        isinstance(item, list | tuple)
        and len(item) == 2
        and isinstance(item[0], str)
        and is_secret_name(item[0])
    )


_HEADER_LINE = re.compile(r"(?m)^([ \t]*)([A-Za-z][A-Za-z0-9_-]*)([ \t]*:[ \t]*)(\S[^\r\n]*)")
"""A header written as a line of text (``Authorization: Bearer sk-...``), one a line."""


def _mask_header_lines(text: str, drop: bool) -> str:
    """`text` with the value of each header line under a secret name masked.

    With `drop`, the line is left out.
    """
    if ":" not in text:
        return text

    def masked(match: re.Match[str]) -> str:
        if not is_secret_name(match.group(2)):
            return match.group(0)
        return "" if drop else match.group(1) + match.group(2) + match.group(3) + MASK

    return _HEADER_LINE.sub(masked, text)


def _header_line_secrets(text: str) -> list[str]:
    """The values of the header lines under secret names in `text` (and their tokens)."""
    if ":" not in text:
        return []
    found: list[str] = []
    for match in _HEADER_LINE.finditer(text):
        if is_secret_name(match.group(2)):
            value = match.group(4).strip()
            found.append(value)
            found.extend(value.split()[1:])  # "Bearer sk-..." echoed as "sk-..."
    return found


def redact_value(value: Any, *, drop: bool = False) -> Any:
    """A copy of `value` with its secrets masked (or, with `drop`, left out).

    Dict entries and ``(name, value)`` pairs in lists under a secret name are masked
    (dropped); strings have URL secrets and the values of header lines under secret names
    (``Authorization: Bearer ...``) masked (removed); a string holding a container
    (``extra_headers='{"Authorization": ...}'``, a JSON array of pairs, a Python literal) is
    redacted inside. Lists, tuples and nested dicts are walked; other values are kept.

    Args:
        value: A parameter value, a params dict, span attributes...
        drop: Leave secrets out instead of masking them (for identifiers).

    Returns:
        The redacted copy.
    """
    if isinstance(value, str):
        inner = _container(value) if value[:1] in "{[" or value[:1].isspace() else None
        if inner is not None:
            redacted = redact_value(inner, drop=drop)
            if redacted != inner:
                return json.dumps(redacted, separators=(",", ":"), default=str)
        # JSON text that does not parse (a typo in an ``extra_headers`` string) still has
        # the values of its secret names masked, and so do header lines
        return mask_urls(_mask_header_lines(_mask_json(value), drop), "" if drop else MASK)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and is_secret_name(key):
                if not drop:
                    out[key] = MASK
            else:
                out[key] = redact_value(item, drop=drop)
        return out
    if isinstance(value, list | tuple):
        items: list[Any] = []
        for item in value:
            if _secret_pair(item):
                if not drop:
                    items.append(type(item)((item[0], MASK)))
            else:
                items.append(redact_value(item, drop=drop))
        return type(value)(items)
    return value


def _is_template(value: str) -> bool:
    return "{{" in value or "{%" in value


def _secrets_in(value: Any, secret: bool, out: list[str]) -> None:
    if isinstance(value, str):
        if secret and not _is_template(value):  # "{{ api_key }}" names a secret, holds none
            out.append(value)
            out.extend(value.split()[1:])  # "Bearer sk-..." echoed as "sk-..."
        out.extend(_native.userinfo_of(value))
        out.extend(info.partition(":")[2] for info in _native.userinfo_of(value))
        out.extend(query_secrets(value))
        out.extend(_header_line_secrets(value))
        inner = _container(value) if "{" in value or "[" in value else None
        if inner is not None:
            _secrets_in(inner, secret, out)
    elif isinstance(value, dict):
        for key, item in value.items():
            if item is None or isinstance(item, bool):
                continue
            _secrets_in(item, secret or (isinstance(key, str) and is_secret_name(key)), out)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            if _secret_pair(item):  # [("Authorization", "Bearer ...")]
                _secrets_in(item[1], True, out)
            else:
                _secrets_in(item, secret, out)
    elif isinstance(value, BaseModel):  # nested params or settings: their fields by name
        _model_secrets(value, secret, out)
    elif secret and isinstance(value, int | float) and not isinstance(value, bool):
        out.append(str(value))


_SCHEMA_VALUES = frozenset({"default", "const", "enum", "examples", "example"})
"""The keywords of a JSON schema that hold values (a property's default, allowed values)."""
_SCHEMA_NAMES = frozenset({"properties", "patternProperties", "$defs", "definitions"})
"""The keywords of a JSON schema whose keys are names (of parameters or definitions)."""


def _plain(value: Any) -> Any:
    """`value` with pydantic models dumped to JSON-like data (tool definitions)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def redact_schema(value: Any, *, drop: bool = False) -> Any:
    """A copy of tool definitions or a JSON schema with its secrets masked (or dropped).

    Secrets are left out with `drop`. The keys of ``properties`` (and of definitions) are
    parameter names, never secrets: a tool parameter called ``password`` is kept. What a
    schema holds for a parameter with a secret name (``default``, ``const``, ``enum``,
    ``examples``) is masked (dropped), and every text has its URL secrets masked (user-info,
    secret query values). Pydantic models in `value` are dumped first.
    """
    return _redact_schema(_plain(value), drop, False)


def _redact_schema(node: Any, drop: bool, secret: bool) -> Any:
    if isinstance(node, str):
        return mask_urls(node, "" if drop else MASK)
    if isinstance(node, list):
        return [_redact_schema(item, drop, False) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[Any, Any] = {}
    for key, item in node.items():
        if secret and key in _SCHEMA_VALUES:
            if not drop:
                out[key] = MASK
        elif key in _SCHEMA_NAMES and isinstance(item, dict):
            out[key] = {
                name: _redact_schema(sub, drop, isinstance(name, str) and is_secret_name(name))
                for name, sub in item.items()
            }
        else:
            out[key] = _redact_schema(item, drop, False)
    return out


def schema_secrets(value: Any) -> list[str]:
    """The secret values of tool definitions or a JSON schema (those `redact_schema` masks).

    Args:
        value: Tool definitions, a tool choice or a schema (pydantic models are dumped).

    Returns:
        The values, long enough to be searched for (`MIN_SECRET_LENGTH`).
    """
    out: list[str] = []
    _schema_secrets(_plain(value), False, out)
    return [s for s in dict.fromkeys(out) if len(s) >= MIN_SECRET_LENGTH]


def _schema_secrets(node: Any, secret: bool, out: list[str]) -> None:
    """The secret values of a schema, as `redact_schema` masks them (for `secret_values`)."""
    if isinstance(node, str):
        _secrets_in(node, False, out)
    elif isinstance(node, list):
        for item in node:
            _schema_secrets(item, False, out)
    elif isinstance(node, dict):
        for key, item in node.items():
            if secret and key in _SCHEMA_VALUES:
                _secrets_in(item, True, out)
            elif key in _SCHEMA_NAMES and isinstance(item, dict):
                for name, sub in item.items():
                    _schema_secrets(sub, isinstance(name, str) and is_secret_name(name), out)
            else:
                _schema_secrets(item, False, out)


def _model_secrets(model: BaseModel, secret: bool, out: list[str]) -> None:
    """`_secrets_in` of a model's fields by name.

    Fields its class names in ``__not_secret__`` hold schemas and are searched as schemas
    (`schema_secrets`).
    """
    schemas: Container[str] = getattr(type(model), "__not_secret__", ())
    for name, item in model.__dict__.items():
        if name in schemas:
            _schema_secrets(_plain(item), False, out)
        else:
            _secrets_in({name: item}, secret, out)


def secret_values(value: Any) -> list[str]:
    """The secret values inside `value`: those under secret names, and URL user-info.

    Args:
        value: A dict of parameters or fields (nested dicts, lists and JSON-object strings
            are searched too).

    Returns:
        The values, long enough to be searched for (`MIN_SECRET_LENGTH`).
    """
    out: list[str] = []
    _secrets_in(value, False, out)
    return [s for s in dict.fromkeys(out) if len(s) >= MIN_SECRET_LENGTH]


def _redact_texts(value: Any, redact: Callable[[str], str], depth: int = 0) -> Any:
    """`value` with every str in it redacted; containers are copied, never changed."""
    if isinstance(value, str):
        return redact(value)
    if depth > 20:  # deeper than any error payload: leave it
        return value
    if isinstance(value, dict):
        return {k: _redact_texts(v, redact, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        items = [_redact_texts(v, redact, depth + 1) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return items if isinstance(value, list) else tuple(items)
    return value


def _linked(exc: BaseException) -> list[BaseException]:
    """The exceptions `exc` leads to: its cause, its context and a group's members."""
    linked = [e for e in (exc.__cause__, exc.__context__) if e is not None]
    members = getattr(exc, "exceptions", None)  # an exception group (3.11+ or the backport)
    if isinstance(members, tuple | list):
        linked.extend(e for e in members if isinstance(e, BaseException))
    return linked


def redact_exception(exc: BaseException, redact: Callable[[str], str]) -> BaseException:
    """Scrub an exception's text in place: its args and its attributes (``message``...).

    For errors raised with text a provider sent back (a 400/401 that echoes the key), and
    for errors leaving a span. Strs are redacted wherever they sit in the args, the notes
    (``add_note``) and attributes (in dicts, lists and tuples too: those are replaced by
    redacted copies, the objects the caller holds are not changed). Its cause, its context
    and, for an exception group, its members are scrubbed too, and theirs in turn.

    Args:
        exc: The exception.
        redact: Maps a text to its redacted form (e.g. a generator's ``_redact``).

    Returns:
        The same exception.
    """
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        pending.extend(_linked(current))
        try:
            args = _redact_texts(current.args, redact)
            if args is not current.args:
                current.args = args
        except (AttributeError, TypeError):  # read-only args: leave them
            pass
        for name, value in list(getattr(current, "__dict__", {}).items()):
            if name.startswith("__") and name != "__notes__":  # notes print with the error
                continue
            redacted = _redact_texts(value, redact)
            if redacted is not value and redacted != value:
                with contextlib.suppress(AttributeError, TypeError):  # read-only: leave them
                    setattr(current, name, redacted)
    return exc


class RedactFilter(logging.Filter):
    """A logging filter that scrubs remembered secrets and URL user-info from each record.

    The message is formatted once (``getMessage``) and replaced by its redacted text; an
    attached traceback is formatted and redacted too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact `record` in place; never drops it."""
        message = record.getMessage()
        redacted = redact_known(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact_known(text)
            record.exc_info = None
        return True
