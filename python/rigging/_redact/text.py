"""Secrets in free text: URL user-info and query values, JSON text, header lines, known values."""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable

from rigging import _native
from rigging._redact.paths import mask_paths
from rigging._redact.secret import MASK, MIN_SECRET_LENGTH, _forms, _is_template, is_secret_name
from rigging._surrogates import has_surrogates, stand_in

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


_URL_VALUE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://\S*")
"""A value that is one URL (``scheme://`` first, no white space)."""


def _url_fragment(value: str) -> tuple[str, str] | None:
    """``(url before '#', fragment)`` when `value` is one URL with a non-empty fragment."""
    if "#" not in value or _URL_VALUE.fullmatch(value) is None or _is_template(value):
        return None
    base, _, fragment = value.partition("#")
    return (base, fragment) if fragment else None


def mask_fragment(value: str, mask: str = MASK) -> str:
    """A URL value with its fragment masked (removed when `mask` is empty); other text kept.

    A fragment is never sent to a server, so a URL setting (`api_base`) needs none: one there
    is taken for a secret (``https://host/v1#sk-...``). Only a value that is one URL is
    changed; a ``#`` in free text (``issue #5``, a link to a section) is not.
    """
    parts = _url_fragment(value)
    if parts is None:
        return value
    return f"{parts[0]}#{mask}" if mask else parts[0]


def fragment_secrets(value: str) -> list[str]:
    """The fragment of a URL value (raw and decoded), as `mask_fragment` masks it."""
    parts = _url_fragment(value)
    if parts is None:
        return []
    decoded = urllib.parse.unquote(parts[1])
    return [parts[1]] if decoded == parts[1] else [parts[1], decoded]


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

    The user-info (``https://user:PW@host``), the values of query parameters with secret
    names (``?key=...``, ``&sig=...``, ``?password=...``), path segments shaped like
    credentials and the secrets of the object viewed (`rigging._redact.paths`)
    are the secrets of a URL; with an empty `mask` the user-info and the secret
    ``name=value`` pairs are left out (a path segment is masked as `MASK` all the same: left
    out, it would name another route). Without `query`, query strings are not masked: for
    text where ``?name=`` is not a query string (a regular expression such as
    ``(?:token=)(.+)``).
    """
    if query and "?" in text and "=" in text:
        text = _QUERY.sub(lambda m: _mask_query(m.group(0), mask), text)
    if "://" not in text:
        return text
    text = mask_paths(text)
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
