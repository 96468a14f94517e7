"""Connection strings: a thin layer over the native parser that keeps the api key out of output.

Grammar: ``[provider!]model[,key=value]*``. Values are typed by the parser (int, float, bool,
str, ``a;b`` lists of str; quoted values stay str), so integers stay integers.
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass, field

from rigging._exports import public_dir as _public_dir
from rigging._native import Identifier, IdentifierError
from rigging._redact import is_secret_name, redact_field, redact_value
from rigging.error import InvalidModelSpecifiedError
from rigging.generator.params import IdentifierValue

__all__ = ["ParsedIdentifier", "format_identifier", "parse_identifier"]


@dataclass(frozen=True)
class ParsedIdentifier:
    """A parsed connection string."""

    provider: str | None
    """Provider name before ``!``, or None when the default provider applies."""
    model: str
    """Model name."""
    params: dict[str, IdentifierValue] = field(default_factory=dict)
    """Every ``key=value`` pair except the api key, in order."""
    api_key: str | None = field(default=None, repr=False)
    """The ``api_key=`` value, if given (never shown in reprs)."""

    def __repr__(self) -> str:
        """The fields, with the api key left out and other secrets masked."""
        return (
            f"ParsedIdentifier(provider={self.provider!r}, model={self.model!r}, "
            f"params={redact_value(self.params)!r})"
        )


def parse_identifier(text: str) -> ParsedIdentifier:
    """Parse a connection string.

    Args:
        text: The connection string, e.g. ``litellm!gpt-4o,temperature=0.5``.

    Returns:
        The parsed parts.

    Raises:
        InvalidModelSpecifiedError: The string is malformed; the message names the position
            and what was expected, and `position` is set. The input itself is not repeated.
    """
    try:
        ident = Identifier.parse(text)
    except IdentifierError as exc:
        position = getattr(exc, "position", None)
        raise InvalidModelSpecifiedError(
            f"invalid connection string: {exc}", position=position
        ) from exc
    params = dict(ident.params)
    api_key = ident.api_key
    if "api_key" in params:  # defensive: the parser is expected to lift it out already
        raw = params.pop("api_key")
        api_key = raw if isinstance(raw, str) else str(raw)
    return ParsedIdentifier(ident.provider, ident.model, params, api_key)


def format_identifier(
    provider: str,
    model: str,
    params: Mapping[str, IdentifierValue],
    schemas: Container[str] = (),
) -> str:
    """Format a connection string; no secret is ever written.

    Parameters under secret names (``api_key`` in request ``extra`` included, which the
    native constructor refuses as a parameter) and secrets inside JSON-object values
    (``extra_headers``) are left out here; URL user-info by the native formatter.

    Args:
        provider: Provider name.
        model: Model name.
        params: Parameters in the order they should appear.
        schemas: Names of parameters holding schemas (tool definitions), written as they are:
            their property names (``password``) are not secrets.

    Returns:
        The connection string.
    """
    clean = {
        key: value if key in schemas else redact_field(key, value, drop=True)
        for key, value in params.items()
        if not is_secret_name(key)
    }
    text: str = Identifier(model, provider=provider, params=clean).format()
    return text


__dir__ = _public_dir(globals())
