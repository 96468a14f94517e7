"""Typed stub of `rigging._native`, the Rust core. User-facing docs of native objects live here."""

from collections.abc import Mapping, Sequence
from typing import ClassVar, final

__all__ = [
    "FanOutError",
    "Identifier",
    "IdentifierError",
    "RiggingError",
    "SpliceError",
    "__version__",
    "splice",
    "strip_spans",
]
__version__: str

# --- errors ---------------------------------------------------------------------------------

class RiggingError(Exception):
    """Root of every exception rigging raises."""

class IdentifierError(RiggingError, ValueError):
    """A generator connection string is malformed.

    Attributes:
        position: Code-point index in the connection string where the problem was found.
    """

    position: int

class SpliceError(RiggingError, ValueError):
    """Spans given to `strip_spans` or `splice` are out of bounds or overlap."""

class FanOutError(RiggingError, RuntimeError):
    """A batch bookkeeping table was asked for an impossible state change."""

# --- strip ----------------------------------------------------------------------------------

def splice(
    text: str,
    edits: Sequence[tuple[int, int, str]],
    spans: Sequence[tuple[int, int]] = (),
) -> tuple[str, list[tuple[int, int] | None]]:
    """Replace ranges of `text` in one pass and tell where other ranges went.

    All offsets, in and out, are code points (Python `str` indexes).

    Each span maps as follows:

    - equal to an edit's range: the range of that edit's replacement;
    - not overlapping any edit (touching counts as not overlapping): shifted by the length
      change of the edits before it;
    - containing edits: start and end shift separately, so the span grows or shrinks with the
      edits inside it;
    - partly overlapping an edit, or inside one without being equal to it: `None`.

    An insertion (`start == end`) at a span's start or end stays outside the span; several
    insertions at one point are applied in the order given.

    Args:
        text: The text to edit.
        edits: `(start, end, replacement)` triples in any order; they may touch but not overlap.
        spans: `(start, end)` ranges of `text` to remap.

    Returns:
        The new text and, per span, its new `(start, end)` or `None`.

    Raises:
        SpliceError: An edit or span is outside the text or reversed, or two edits overlap; the
            message names the item, its index and the text length.
    """

def strip_spans(
    text: str,
    remove: Sequence[tuple[int, int]],
    spans: Sequence[tuple[int, int]] = (),
) -> tuple[str, list[tuple[int, int] | None]]:
    """Remove ranges of `text` and remap other ranges, like `splice` with empty replacements.

    Unlike edits, the removed ranges may overlap: they are merged first. A span equal to a
    removed range maps to an empty range where it was; one inside a merged removal is `None`.

    Args:
        text: The text to edit.
        remove: `(start, end)` code-point ranges to delete, in any order.
        spans: `(start, end)` ranges of `text` to remap.

    Returns:
        The new text and, per span, its new `(start, end)` or `None`.

    Raises:
        SpliceError: A range or span is outside the text or reversed.
    """

# --- ident ----------------------------------------------------------------------------------

@final
class Identifier:
    r"""A generator connection string, `[provider!]model[,key=value]*`, parsed.

    - `provider` is optional (letters, digits, `_`, `-`); only one `!`, before the first `,`,
      separates it.
    - The model is everything up to the first unquoted `,` (it may hold `/`, `:`, `.`, `@`),
      or a double-quoted string.
    - Parameter names are `[A-Za-z_][A-Za-z0-9_.-]*`. A value is bare (anything but `,`,
      trimmed; `=` and `!` are fine) or double-quoted with `\"` and `\\` escapes.
    - Bare values are typed: a 64-bit integer is `int`; a decimal or exponent form, `inf` or
      `nan` is `float`; `true`/`false` in any case is `bool`; a value containing `;` is a
      `list[str]` (`stop=a;b;` is `["a", "b", ""]`, elements may be quoted one by one); the
      rest, and every quoted value, is `str`.
    - A repeated name keeps its first position and takes its last value.
    - `api_key=...` goes to `api_key`, untyped, and is never written back: `format()`,
      `str()` and `repr()` never show it, nor do error messages.

    `Identifier.parse(x.format())` equals `x` apart from `api_key`, except that a list of
    fewer than two elements has no spelling of its own: `["x"]` is written `stop=x` and
    reads back as the string `"x"` (callers that expect a list, such as `stop`, wrap it).

    An identifier is immutable; `params` returns a new dict on each access.

    Args:
        model: The model name (not empty).
        provider: The provider, or None to let the caller pick its default.
        params: Parameters, in order; names must not include `api_key`.
        api_key: The api key, kept out of every rendering.

    Raises:
        ValueError: The provider, model or a parameter name cannot be written in a
            connection string, or an int does not fit in 64 bits.
        TypeError: A parameter value is not int, float, bool, str or list[str].
    """

    __hash__: ClassVar[None]  # type: ignore[assignment]

    def __new__(
        cls,
        model: str,
        *,
        provider: str | None = None,
        params: Mapping[str, int | float | bool | str | list[str]] | None = None,
        api_key: str | None = None,
    ) -> Identifier: ...
    @staticmethod
    def parse(text: str) -> Identifier:
        """Parse a connection string.

        Args:
            text: The connection string.

        Returns:
            The parsed identifier.

        Raises:
            IdentifierError: The string is malformed; `position` is the code-point index of
                the problem and the message says what was expected there.
        """
    @property
    def provider(self) -> str | None:
        """The provider before `!`, or None when the string has none."""
    @property
    def model(self) -> str:
        """The model name."""
    @property
    def params(self) -> dict[str, int | float | bool | str | list[str]]:
        """The parameters in order of first appearance (a new dict on each access)."""
    @property
    def api_key(self) -> str | None:
        """The api key, if one was given."""
    def format(self) -> str:
        r"""Write the connection string `provider!model,key=value,...`, without the api key.

        Strings are quoted whenever a bare spelling would read back differently (`"10"`,
        `"true"`, empty, containing `,` `"` `;` `\`, or with outer whitespace), and floats
        always read back as the same float (`1.0`, `1e20`, `inf`, `NaN`).

        Returns:
            The connection string.
        """
    def __eq__(self, other: object, /) -> bool:
        """Whether all fields, including the api key, are equal."""
