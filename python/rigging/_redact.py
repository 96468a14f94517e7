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
import collections
import contextlib
import functools
import html
import itertools
import json
import logging
import os
import re
import sys
import threading
import types
import urllib.parse
import weakref
from collections.abc import Callable, Container, Iterable, Mapping
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


_MAX_VISITS = 20_000
"""Most values one `redact_exception` call visits (beyond: withheld, see `_Scrub`)."""
_MAX_DEPTH = 24
"""Deepest value `redact_exception` scrubs under an exception (deeper: withheld)."""
_MAX_PROBE = 4_000
"""Most values searched for a secret inside one object rigging cannot copy."""

#: Attributes exceptions hold natively, outside ``__dict__`` (``OSError.filename``,
#: ``UnicodeError.object``, ``AttributeError.obj``...). Not ``StopIteration.value``: a
#: return value on its way, not an error's payload.
_NATIVE_ATTRIBUTES = (
    "filename",
    "filename2",
    "strerror",
    "text",
    "msg",
    "object",
    "reason",
    "name",
    "path",
    "obj",
    "code",
)

#: Objects searched neither for secrets nor by `redact_exception`: code and runtime state
#: (a traceback's frames hold the locals of every caller; see `redact_exception`).
_NOT_SEARCHED = (
    type,
    types.ModuleType,
    types.CodeType,
    types.FrameType,
    types.TracebackType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
    weakref.ReferenceType,
)

#: Response headers describing a body the scrubbed copy no longer holds encoded.
_BODY_ENCODED = frozenset({"content-encoding", "transfer-encoding"})

_PENDING = object()
"""Marks a value whose copy is being made (a cycle back to it is withheld)."""


def _withheld(value: Any, why: str = "it held a secret") -> str:
    """The stand-in of a value that held a secret and could not be copied without it."""
    kind = type(value)
    return f"<{kind.__module__}.{kind.__qualname__} withheld: {why}>"


def _rigging_owned(value: Any) -> bool:
    """Whether `value` is an object of one of rigging's own classes (or of a subclass).

    Generators, params, chats and rigging's models mask their secrets in reprs, dumps and
    pickles themselves; a run error's ``completed`` chats must keep their generator.
    """
    return any(
        cls.__module__ == "rigging" or cls.__module__.startswith("rigging.")
        for cls in type(value).__mro__[:-1]
    )


def _slot_values(value: Any) -> list[tuple[str, Any]]:
    """The ``__slots__`` attributes of `value` that are set (read without running code)."""
    out: list[tuple[str, Any]] = []
    for cls in type(value).__mro__:
        slots = cls.__dict__.get("__slots__", ())
        for name in (slots,) if isinstance(slots, str) else slots:
            descriptor = cls.__dict__.get(name)
            if isinstance(descriptor, types.MemberDescriptorType):
                with contextlib.suppress(AttributeError):
                    out.append((name, descriptor.__get__(value, cls)))
    return out


def _parts(value: Any) -> list[tuple[Any, bool]]:
    """What an object holds, as ``(value, under a secret name)``: for `_Scrub.holds`."""
    parts: list[tuple[Any, bool]] = []
    if isinstance(value, BaseException):
        parts.extend((v, False) for v in (value.args, value.__cause__, value.__context__))
    if isinstance(value, Mapping):
        for key, item in value.items():
            parts.append((key, False))
            parts.append((item, isinstance(key, str | bytes) and _secret_key(key)))
    elif isinstance(value, list | tuple | set | frozenset | collections.deque):
        parts.extend((item, False) for item in value)
    elif isinstance(value, types.MethodType | types.BuiltinMethodType):
        parts.append((value.__self__, False))
    elif isinstance(value, functools.partial):
        parts.extend((v, False) for v in (value.func, value.args, value.keywords))
    elif isinstance(value, types.FunctionType):
        cells = value.__closure__ or ()
        parts.extend((c.cell_contents, False) for c in cells if _cell_set(c))
        parts.extend((v, False) for v in (value.__defaults__, value.__kwdefaults__))
    attributes = vars(value) if hasattr(value, "__dict__") else None
    if isinstance(attributes, dict):
        parts.extend((v, isinstance(k, str) and is_secret_name(k)) for k, v in attributes.items())
    parts.extend((v, is_secret_name(k)) for k, v in _slot_values(value))
    return parts


def _cell_set(cell: types.CellType) -> bool:
    try:
        cell.cell_contents  # noqa: B018 - an empty cell raises
    except ValueError:
        return False
    return True


def _secret_key(key: str | bytes) -> bool:
    """Whether a mapping key (a header name, as text or bytes) names a secret."""
    return is_secret_name(key.decode("latin-1") if isinstance(key, bytes) else key)


class _Scrub:
    """One `redact_exception` walk: scrubbed copies of what the exceptions hold.

    Values are replaced, never changed: strs and bytes by redacted ones, containers and
    header mappings by scrubbed copies, httpx requests, responses, headers and URLs by
    scrubbed copies, and any other object that holds a secret by the text `_withheld`.
    Each value is visited once (a copy made once is reused, so shared values stay shared
    and cycles end: a container that holds no secret is kept, cycle and all, and one that
    does is copied with the cycle replaced by `_withheld`); past `_MAX_VISITS` values or
    `_MAX_DEPTH` levels, what is left is withheld rather than searched. Not `thorough`, what
    lies past the bounds, and an object too large or unreadable to search, is kept instead:
    only what is found to hold a secret is replaced. The objects visited are kept alive for
    the walk, so their ids are not reused.
    """

    def __init__(self, redact: Callable[[str], str], thorough: bool = True) -> None:
        self.redact = redact
        self.thorough = thorough
        self.visits = _MAX_VISITS
        self.copies: dict[int, Any] = {}
        self.cycled: set[int] = set()  # containers a cycle came back to while being copied
        self.cut: set[int] = set()  # those copied again with the cycle cut
        self.holding: dict[int, bool] = {}
        self.alive: list[Any] = []
        self.found: list[BaseException] = []

    def text(self, value: str, secret: bool) -> str:
        if secret and value and not _is_template(value):
            return MASK
        redacted = self.redact(value)
        return value if redacted == value else redacted

    def data(self, value: bytes | bytearray, secret: bool) -> bytes | bytearray:
        if secret and value:
            return type(value)(MASK.encode())
        text = bytes(value).decode("utf-8", "surrogateescape")  # any bytes: kept as they are
        redacted = self.text(text, False)
        if redacted is text:
            return value
        try:
            return type(value)(redacted.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:  # `redact` put other surrogates in
            return type(value)(redacted.encode("utf-8", "replace"))

    def value(self, value: Any, depth: int, secret: bool = False) -> Any:
        """`value` without secrets: itself when it holds none, else a copy or a stand-in."""
        if value is None or isinstance(value, bool | int | float | complex):
            return value
        if isinstance(value, BaseException):  # scrubbed in place, as the chain is
            self.found.append(value)
            return value
        self.visits -= 1
        if self.visits < 0 or depth > _MAX_DEPTH:
            return _withheld(value, "past what redaction searches") if self.thorough else value
        if isinstance(value, str):
            return self.text(value, secret)
        if isinstance(value, bytes | bytearray):
            return self.data(value, secret)
        if isinstance(value, _NOT_SEARCHED):
            return value
        key = id(value)
        if key in self.copies:
            copy = self.copies[key]
            if copy is not _PENDING:
                return copy
            if key in self.cut:
                return _withheld(value, "a cycle")
            # A cycle back to a container being copied: the container itself, which is right
            # if it turns out to hold no secret (else it is copied again, the cycle cut).
            self.cycled.add(key)
            return value
        self.alive.append(value)
        mark = len(self.copies)
        self.copies[key] = _PENDING
        copy = self.rebuilt_or_withheld(value, depth, secret)
        if copy is not value and key in self.cycled and key not in self.cut:
            # The copy reaches the original (which holds a secret) through the cycle: what
            # was copied inside it is copied again, with the cycle cut.
            for stale in list(self.copies)[mark + 1 :]:
                del self.copies[stale]
            self.cut.add(key)
            copy = self.rebuilt_or_withheld(value, depth, secret)
        self.copies[key] = copy
        return copy

    def rebuilt_or_withheld(self, value: Any, depth: int, secret: bool) -> Any:
        try:
            return self.rebuilt(value, depth, secret)
        except Exception:  # a copy that cannot be made: keep nothing of it
            return _withheld(value)

    def rebuilt(self, value: Any, depth: int, secret: bool) -> Any:
        httpx = sys.modules.get("httpx")  # loaded by whoever made its objects
        if httpx is not None and isinstance(value, httpx.Headers | httpx.URL):
            return self.headers(value) if isinstance(value, httpx.Headers) else self.url(value)
        if httpx is not None and isinstance(value, httpx.Request | httpx.Response):
            if isinstance(value, httpx.Request):
                return self.request(value, depth)
            return self.response(value, depth)
        if isinstance(value, Mapping):
            return self.mapping(value, depth, secret)
        if isinstance(value, list | tuple | set | frozenset | collections.deque):
            return self.sequence(value, depth, secret)
        if _rigging_owned(value) or not self.holds(value, secret):
            return value
        self.holding[id(value)] = True
        return _withheld(value)

    def mapping(self, value: Mapping[Any, Any], depth: int, secret: bool) -> Any:
        pairs: list[tuple[Any, Any]] = []
        changed = False
        for key, item in _items(value):
            named = secret or (isinstance(key, str | bytes) and _secret_key(key))
            new_key, new_item = self.value(key, depth + 1), self.value(item, depth + 1, named)
            changed = changed or new_key is not key or new_item is not item
            pairs.append((new_key, new_item))
        if not changed:
            return value
        return dict(pairs) if type(value) is dict else _same_kind(type(value), pairs)

    def sequence(self, value: Any, depth: int, secret: bool) -> Any:
        fields = getattr(type(value), "_fields", None)  # a named tuple's field names
        named = [
            secret or (fields is not None and isinstance(name, str) and is_secret_name(name))
            for name, _ in itertools.zip_longest(fields or (), value)
        ]
        items = [
            self.pair(item, depth + 1)  # [("Authorization", "Bearer ...")]
            if _secret_pair(item) and item[1]
            else self.value(item, depth + 1, flag)
            for item, flag in zip(value, named, strict=False)
        ]
        if all(new is old for new, old in zip(items, value, strict=True)):
            return value
        kind: Any = type(value)
        if kind in (list, tuple, set, frozenset):
            return kind(items)
        with contextlib.suppress(Exception):
            make = getattr(kind, "_make", None)  # a named tuple
            return make(items) if make is not None else kind(items)
        return tuple(items) if isinstance(value, tuple) else list(items)

    def pair(self, pair: Any, depth: int) -> Any:
        """A ``(name, value)`` pair (a tuple, list or named tuple) with its value masked."""
        masked = (self.value(pair[0], depth + 1), MASK)
        make = getattr(type(pair), "_make", None)
        return make(masked) if make is not None else type(pair)(masked)

    def headers(self, headers: Any) -> Any:
        """An ``httpx.Headers`` copy: secret-named values masked, the others redacted."""
        raw = [(name, self.data(item, _secret_key(name))) for name, item in headers.raw]
        if all(new is old for (_, new), (_, old) in zip(raw, headers.raw, strict=True)):
            return headers
        return type(headers)(raw, encoding=headers.encoding)

    def url(self, url: Any) -> Any:
        """An ``httpx.URL`` with known secrets, user-info and secret query values masked."""
        text = str(url)
        masked = mask_urls(self.text(text, False))
        return url if masked == text else type(url)(masked)

    def request(self, request: Any, depth: int) -> Any:
        """An ``httpx.Request`` copy: method, scrubbed URL, headers and body (when read)."""
        url, headers = self.value(request.url, depth + 1), self.value(request.headers, depth + 1)
        content = _read(request)
        body = None if content is None else self.value(content, depth + 1)
        if url is request.url and headers is request.headers and body is content:
            return request
        timeout = {k: v for k, v in request.extensions.items() if k == "timeout"}
        return type(request)(request.method, url, headers=headers, content=body, extensions=timeout)

    def response(self, response: Any, depth: int) -> Any:
        """An ``httpx.Response`` copy: status, scrubbed headers, body (when read), request.

        The copy holds the body decoded, so it leaves out the headers that described its
        encoding (``Content-Encoding``).
        """
        request = getattr(response, "_request", None)  # `.request` raises when it has none
        new_request = None if request is None else self.value(request, depth + 1)
        headers = self.value(response.headers, depth + 1)
        content = _read(response)
        body = None if content is None else self.value(content, depth + 1)
        same = new_request is request and headers is response.headers and body is content
        if same and not response.history:
            return response
        raw = [(k, v) for k, v in headers.raw if k.decode("latin-1").lower() not in _BODY_ENCODED]
        info = {k: v for k, v in response.extensions.items() if k in _RESPONSE_INFO}
        return type(response)(
            response.status_code,
            headers=raw,
            content=body,
            request=new_request,
            extensions=info,
            history=[self.value(earlier, depth + 1) for earlier in response.history],
        )

    def holds(self, value: Any, secret: bool) -> bool:
        """Whether an object that cannot be copied holds a secret (or too much to tell).

        Its attributes (``__dict__`` and slots), items, a bound method's object and a
        function's closure are searched, at most `_MAX_PROBE` values: a secret value, a
        value under a secret name, or (`thorough`) a search cut short by the bound or by an
        object that cannot be read all count as holding.
        """
        budget = _MAX_PROBE
        pending: list[tuple[Any, bool, int]] = [(value, secret, 0)]
        entered: list[int] = []
        while pending:
            current, named, depth = pending.pop()
            budget -= 1
            if budget < 0 or depth > _MAX_DEPTH:
                return self.thorough
            if current is None or isinstance(current, bool | int | float | complex):
                continue
            if isinstance(current, str | bytes | bytearray):
                if self.secret_text(current, named):
                    return True
                continue
            if isinstance(current, _NOT_SEARCHED) or (depth and _rigging_owned(current)):
                continue
            key = id(current)
            if self.holding.get(key) is False or key in entered:
                continue
            if self.holding.get(key):
                return True
            entered.append(key)
            self.alive.append(current)
            try:
                parts = _parts(current)
            except Exception:  # what cannot be read cannot be told free of secrets
                return self.thorough
            pending.extend((part, named or n, depth + 1) for part, n in parts)
        for key in entered:  # nothing found in any: remembered for the next search
            self.holding[key] = False
        return False

    def secret_text(self, value: str | bytes | bytearray, named: bool) -> bool:
        if not value:
            return False
        text = value if isinstance(value, str) else bytes(value).decode("utf-8", "replace")
        return (named and not _is_template(text)) or self.redact(text) != text


_RESPONSE_INFO = frozenset({"http_version", "reason_phrase"})
"""The extensions of an httpx response a scrubbed copy keeps (the others are connections)."""


def _read(message: Any) -> bytes | None:
    """The body of an httpx request or response, or None when it was never read."""
    try:
        content = message.content
    except Exception:  # RequestNotRead / ResponseNotRead: a stream nobody read
        return None
    return content if isinstance(content, bytes) else None


def _items(value: Mapping[Any, Any]) -> list[tuple[Any, Any]]:
    """The pairs of a mapping, each value of a multi-mapping included (``multi_items``)."""
    multi = getattr(value, "multi_items", None)
    if callable(multi):
        return list(multi())
    return list(value.items())


def _same_kind(kind: Any, pairs: list[tuple[Any, Any]]) -> Any:
    """A mapping of `kind` holding `pairs`, or a plain dict when `kind` does not take them.

    The copy is checked to hold exactly `pairs` (a constructor may ignore or add items).
    """
    joined = _joined(pairs)
    for made, expected in ((pairs, pairs), (joined, list(joined.items()))):
        with contextlib.suppress(Exception):
            copy = kind(made)
            if isinstance(copy, Mapping) and _items(copy) == expected:
                return copy
    return joined


def _joined(pairs: list[tuple[Any, Any]]) -> dict[Any, Any]:
    """A dict of `pairs`; values of a repeated text key are joined by ``", "`` (as HTTP does)."""
    out: dict[Any, Any] = {}
    for key, item in pairs:
        if key in out and isinstance(out[key], str) and isinstance(item, str):
            out[key] = f"{out[key]}, {item}"
        else:
            out[key] = item
    return out


def _linked(exc: BaseException) -> list[BaseException]:
    """The exceptions `exc` leads to: its cause, its context and a group's members."""
    linked = [e for e in (exc.__cause__, exc.__context__) if e is not None]
    members = getattr(exc, "exceptions", None)  # an exception group (3.11+ or the backport)
    if isinstance(members, tuple | list):
        linked.extend(e for e in members if isinstance(e, BaseException))
    return linked


def _replace(exc: BaseException, name: str, value: Any) -> None:
    """Set an attribute of `exc`, through ``__dict__`` when its class refuses (frozen)."""
    try:
        setattr(exc, name, value)
    except Exception:
        attributes = getattr(exc, "__dict__", None)
        if isinstance(attributes, dict) and name in attributes:
            attributes[name] = value


def _attributes(exc: BaseException) -> dict[str, Any]:
    """The attributes of an exception: ``__dict__``, slots and the native ones that are set."""
    attributes = getattr(exc, "__dict__", None)
    values: dict[str, Any] = dict(attributes) if isinstance(attributes, dict) else {}
    for name, value in _slot_values(exc):
        values.setdefault(name, value)
    for name in _NATIVE_ATTRIBUTES:
        descriptor = getattr(type(exc), name, None)
        if name not in values and isinstance(
            descriptor, types.MemberDescriptorType | types.GetSetDescriptorType
        ):
            with contextlib.suppress(Exception):
                values[name] = getattr(exc, name)
    return values


def _scrub_printed(items: Any, scrub: _Scrub) -> Any:
    """An exception's args or notes, scrubbed: the same type, and every text redacted.

    They print with the error (a span records them), so their texts are redacted even past
    the bounds of the walk, which a large value elsewhere in the chain may have used up.
    """
    if not isinstance(items, tuple | list):
        return scrub.value(items, 1)
    new = [
        scrub.text(item, False)
        if isinstance(item, str)
        else scrub.data(item, False)
        if isinstance(item, bytes | bytearray)
        else scrub.value(item, 1)
        for item in items
    ]
    if all(a is b for a, b in zip(new, items, strict=True)):
        return items
    return tuple(new) if isinstance(items, tuple) else new


def _scrub_one(exc: BaseException, scrub: _Scrub) -> None:
    """Scrub the args, notes and attributes of one exception in place."""
    with contextlib.suppress(Exception):  # args a class will not take: left as they are
        args = _scrub_printed(exc.args, scrub)
        if args is not exc.args:
            exc.args = args
    for name, value in _attributes(exc).items():
        if name.startswith("__") and name != "__notes__":  # notes print with the error
            continue
        try:
            if name == "__notes__":
                redacted = _scrub_printed(value, scrub)
            else:
                redacted = scrub.value(value, 1, is_secret_name(name))
        except Exception:  # nothing is kept of a value that could not be scrubbed
            redacted = _withheld(value)
        if redacted is not value:
            _replace(exc, name, redacted)


def redact_exception(
    exc: BaseException, redact: Callable[[str], str], *, thorough: bool = True
) -> BaseException:
    """Scrub an exception, and everything reachable from it, of its secrets, in place.

    For errors raised with what a provider sent back (a 400/401 that echoes the key in its
    body or its headers), the cause of a `GenerationError` and errors leaving a span. The
    exception, its cause, its context and a group's members (and theirs in turn) keep their
    types; in each, the args, the notes (``add_note``) and every attribute are replaced by
    values without secrets (`_Scrub`):

    - strs and bytes (a body) are redacted with `redact`; a value under a secret name
      (``api_key``, an ``Authorization`` header) is `MASK` whatever it holds;
    - dicts, lists, tuples, sets and mappings (``httpx.Headers``, multi-dicts) become
      scrubbed copies of the same type where possible (a plain dict otherwise);
    - httpx requests and responses become scrubbed copies: method, URL (user-info and secret
      query values masked), status, headers and body (when it was read); a response's
      connection and stream are left behind;
    - rigging's own objects are kept (generators, chats and params mask their secrets in
      reprs, dumps and pickles; a run error keeps its ``completed`` chats);
    - any other object is searched (its attributes, items and closures, at most
      `_MAX_PROBE` values) and, when it holds a secret or is too large to tell, replaced by
      the text `_withheld` naming its type.

    Objects the caller holds are never changed: only the exceptions' own attributes are
    replaced. The walk is bounded (`_MAX_VISITS` values, `_MAX_DEPTH` levels; what lies
    beyond is withheld) and never raises. Not ``thorough`` (errors leaving a span: often the
    caller's own, whose objects it may still read), what lies past the bounds and objects too
    large or unreadable to search are kept: only what is found to hold a secret is replaced.
    Tracebacks are not searched: their frames hold
    the locals of every caller (the generator, with its key, among them); pickles and
    formatted tracebacks carry none of them.

    Args:
        exc: The exception.
        redact: Maps a text to its redacted form (e.g. a generator's ``_redact``).
        thorough: Withhold what cannot be searched, as well as what holds a secret.

    Returns:
        The same exception.
    """
    scrub = _Scrub(redact, thorough)
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        scrub.alive.append(current)
        with contextlib.suppress(Exception):
            pending.extend(_linked(current))
        with contextlib.suppress(Exception):  # `_scrub_one` withholds what it cannot scrub
            _scrub_one(current, scrub)
        pending.extend(scrub.found)
        scrub.found.clear()
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
