"""Secrets in URL paths, and known secret values wherever they sit in a URL.

Some providers put the key in the path: ``https://api.telegram.org/bot123:AA.../sendMessage``,
``https://hooks.slack.com/services/T0/B0/<token>``, ``https://host/v1/key/<token>/...``, a
gateway's ``https://gateway.example/<token>/v1``. A path segment of a ``scheme://`` URL is
taken for a credential (`credential_segment`) when, percent-decoded, it

- starts with a known key prefix (`_PREFIX`: ``sk-``, ``xoxb-``, ``AIza``, ``ghp_``, ``hf_``,
  ``glpat-``, ``eyJ`` of a JWT, ``bot<digits>:`` of a Telegram token...) followed by at
  least 12 characters, or 6 with a digit among them;
- holds a run of at least 16 letters and digits with no separator that mixes both, or a run
  of at least 20 letters whose case changes at least once every three letters (random
  text: ``streamGenerateContent`` changes twice);
- follows a segment with a secret name (``/key/...``, ``/token/...``, ``/api_key/...``) and
  has 8 characters or more, a digit among them;
- belongs to a webhook URL's path (the URL is the credential): on a host with a ``hooks`` or
  ``webhook`` label (``hooks.slack.com``, ``*.webhook.office.com``) or after a ``hooks`` or
  ``webhooks`` segment (``discord.com/api/webhooks/...``), each segment of 6 characters or
  more that is not a lower-case word.

Other segments are shown: words (``v1``, ``chat``, ``completions``), model names
(``gpt-4o-mini``, ``meta-llama/Llama-3.1-8B-Instruct``,
``gemini-1.5-pro:streamGenerateContent``), UUIDs, dates and plain numbers. A masked segment
becomes `MASK` as a whole, in identifiers too (leaving it out would send requests to another
route). Limits: the rule reads shapes, so a long random id (a commit hash, a file id) is
masked like a key, and a short or word-like key in a path (``/key/abcdefgh``) is not; hosts
and query values under other names are not searched.

Besides, secret values are masked wherever they sit in a URL's path, query or fragment,
whatever their shape, from `MIN_SECRET_LENGTH` characters on: those of the object being
viewed (`secrets_in_view`: a generator's api key and secret-named params, an HTTP spec's
literals) and those the process remembers (`remember`: every generator's, every request's).
Not the host or port: a secret ``8080`` would hide a port. An HTTP spec's view takes its own
secrets only, none remembered: that view is how a spec from loaded data is recognised
(``rigging.generator._origin``), so it must depend on the spec alone.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import itertools
import re
import urllib.parse
from collections.abc import Iterable, Iterator

from rigging._redact.secret import MASK, MIN_SECRET_LENGTH, _forms, is_secret_name
from rigging._redact.store import known_sorted

_STOP = "\\s\"'<>\\\\`"
_URL = re.compile(
    rf"(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://[^/?#{_STOP}]*)"
    rf"(?P<path>/[^?#{_STOP}]*)?(?P<rest>[?#][^{_STOP}]*)?"
)
"""A URL: scheme and authority, path, then query and fragment (to white space or a quote)."""

_PREFIX = re.compile(
    r"(?:sk|rk)[-_]|xox[a-z]-|xapp-|AIza|ya29\.|gh[pousr]_|github_pat_|glpat-|hf_|r8_|gsk_"
    r"|pplx-|nvapi-|xai-|tvly-|AKIA|ASIA|eyJ|npm_|pypi-|dop_v1_|SG\.|bot[0-9]+:"
)
"""Known key prefixes (OpenAI and Anthropic, Stripe, Slack, Google, GitHub, GitLab, Hugging
Face, Replicate, Groq, Perplexity, NVIDIA, xAI, Tavily, AWS, JWTs, npm, PyPI, DigitalOcean,
SendGrid, Telegram bots). Not exhaustive: the shape rule finds most other keys."""

_RUN = re.compile(r"[A-Za-z0-9]+")
_MIN_SEGMENT = 8
"""Shorter segments are never taken for credentials (``v1``, ``chat``)."""


def credential_segment(segment: str, previous: str = "") -> bool:
    """Whether the URL path segment `segment` (after `previous`) looks like a credential.

    Args:
        segment: The segment as written (percent-escapes are decoded first).
        previous: The segment before it (a secret name there makes a short value one).

    Returns:
        True when it is masked (see the module's rule).
    """
    decoded = urllib.parse.unquote(segment) if "%" in segment else segment
    if len(decoded) < _MIN_SEGMENT or decoded == MASK:
        return False
    digit = any(c.isdigit() for c in decoded)
    prefix = _PREFIX.match(decoded)
    if prefix is not None:
        rest = len(decoded) - prefix.end()
        if rest >= 12 or (rest >= 6 and any(c.isdigit() for c in decoded[prefix.end() :])):
            return True
    for run in _RUN.findall(decoded):
        if len(run) >= 16 and not run.isdigit() and not run.isalpha():
            return True
        if len(run) >= 20 and run.isalpha() and 3 * _case_changes(run) >= len(run):
            return True
    if digit and previous:
        return is_secret_name(urllib.parse.unquote(previous))
    return False


def _case_changes(run: str) -> int:
    """How often the case changes between neighbouring letters of `run`."""
    return sum(a.isupper() != b.isupper() for a, b in itertools.pairwise(run))


_WEBHOOK_WORDS = frozenset({"hooks", "webhook", "webhooks", "webhookb2"})
"""Host labels and path segments that make a URL a webhook's, whose path is its credential."""
_HOST_LABEL = re.compile(r"[.@/:]")
_WORD = re.compile(r"[a-z_-]*")


def _webhook_start(head: str, segments: list[str]) -> int | None:
    """The index of the first segment of a webhook URL's secret part, or None for other URLs.

    A host with a webhook label (``hooks.slack.com``, ``x.webhook.office.com``): the whole
    path; a webhook segment (``/api/webhooks/...``): what follows it.
    """
    authority = head.partition("://")[2].rpartition("@")[2]
    if any(label.lower() in _WEBHOOK_WORDS for label in _HOST_LABEL.split(authority)):
        return 0
    for index, segment in enumerate(segments):
        if segment.lower() in _WEBHOOK_WORDS:
            return index + 1
    return None


def _webhook_segment(segment: str) -> bool:
    """A segment of a webhook's secret part: 6 characters or more, not a lower-case word."""
    return (
        len(segment) >= 6
        and segment != MASK
        and segment.lower() not in _WEBHOOK_WORDS
        and _WORD.fullmatch(segment) is None
    )


def _secret_segments(head: str, path: str) -> list[tuple[str, bool]]:
    """Each segment of `path` (from its first ``/``) and whether it is masked."""
    segments = path.split("/")
    webhook = _webhook_start(head, segments)
    flags: list[tuple[str, bool]] = []
    previous = ""
    for index, segment in enumerate(segments):
        secret = credential_segment(segment, previous) or (
            webhook is not None and index >= webhook and _webhook_segment(segment)
        )
        flags.append((segment, secret))
        previous = segment
    return flags


def _masked_path(head: str, path: str) -> str:
    """`path` with its secret segments replaced by `MASK`."""
    return "/".join(MASK if secret else segment for segment, secret in _secret_segments(head, path))


_IN_VIEW: contextvars.ContextVar[tuple[tuple[str, ...], bool]] = contextvars.ContextVar(
    "rigging_secrets_in_view", default=((), True)
)
"""The secrets of the object being viewed, and whether remembered ones are masked too."""


@contextlib.contextmanager
def secrets_in_view(secrets: Iterable[str], *, own_only: bool = False) -> Iterator[None]:
    """Mask `secrets` in every URL `mask_paths` reads inside the block.

    Views of an object (its repr, dump, identifier, pickled form) run inside one, with the
    object's own secrets: a generator's api key is then masked in its params' ``api_base``.

    Args:
        secrets: The values (shorter than `MIN_SECRET_LENGTH`: skipped).
        own_only: Mask these only: not an enclosing block's nor the remembered ones (a view
            that must depend on its object alone).
    """
    outer, remembered = _IN_VIEW.get()
    kept = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
    if not own_only:
        kept.update(outer)
    token = _IN_VIEW.set((tuple(sorted(kept, key=len, reverse=True)), remembered and not own_only))
    try:
        yield
    finally:
        _IN_VIEW.reset(token)


def _masked_known(tail: str, known: tuple[str, ...]) -> str:
    """A URL's path, query and fragment with each known secret (each form) masked."""
    index = _form_index(known)
    size = MIN_SECRET_LENGTH
    found = {
        form
        for at in range(len(tail) - size + 1)
        for form in index.get(tail[at : at + size], ())
        if tail.startswith(form, at)
    }
    for form in sorted(found, key=len, reverse=True):
        tail = tail.replace(form, MASK)
    return tail


@functools.lru_cache(maxsize=16)
def _form_index(known: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """The forms of the `known` secrets by their first `MIN_SECRET_LENGTH` characters.

    A URL is read once, looking up each of its positions, instead of once per form.
    """
    index: dict[str, list[str]] = {}
    for secret in known:
        for form in _forms(secret):  # each at least MIN_SECRET_LENGTH long
            index.setdefault(form[:MIN_SECRET_LENGTH], []).append(form)
    return {head: tuple(forms) for head, forms in index.items()}


def mask_paths(text: str) -> str:
    """`text` with its URLs' credential path segments, and known secret values, masked.

    Args:
        text: Any text (the URLs in it start with ``scheme://``).

    Returns:
        The text, `text` itself when nothing was masked.
    """
    if "://" not in text:
        return text
    viewed, remembered = _IN_VIEW.get()
    known = (*viewed, *known_sorted()) if remembered else viewed

    def masked(match: re.Match[str]) -> str:
        head, path, rest = match.group("head"), match.group("path") or "", match.group("rest")
        tail = (_masked_path(head, path) if path else "") + (rest or "")
        return head + (_masked_known(tail, known) if known and tail else tail)

    out = _URL.sub(masked, text)
    return text if out == text else out


def path_secrets(text: str) -> list[str]:
    """The credential segments of the paths of the URLs in `text` (raw and decoded).

    Those `mask_paths` masks by their shape, so that an echo of one (a server quoting the
    path it got) is scrubbed from free text too.
    """
    found: list[str] = []
    if "://" not in text:
        return found
    for match in _URL.finditer(text):
        for segment, secret in _secret_segments(match.group("head"), match.group("path") or ""):
            if secret:
                found.append(segment)
                decoded = urllib.parse.unquote(segment)
                if decoded != segment:
                    found.append(decoded)
    return found
