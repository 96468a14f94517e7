"""XML names in rendered prompts: which texts may be a tag, and how other texts are written.

A prompt input lays out user data as XML. Where data would become a tag (a ``dict`` key),
only an XML name without a colon (``NCName``) is written as a tag; any other text goes into
an attribute value, escaped, so it can never close an element or open a new one.
"""

from __future__ import annotations

from rigging._model.xml_names import is_ncname

__all__ = ["ENTRY", "entry", "is_tag_name", "quote_attr"]

_ATTR_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\t": "&#9;",
        "\n": "&#10;",
        "\r": "&#13;",
    }
)

ENTRY = "entry"
"""The element of a dict entry whose key is not a tag name (the key is its ``key`` attribute)."""


def is_tag_name(text: str) -> bool:
    """Whether `text` can be written as a tag: an XML name without ``:`` that parsers read.

    See `rigging._model.xml_names.is_ncname`. A prefixed name (``a:b``) is left out: its
    prefix would be an undeclared namespace.

    Args:
        text: A candidate tag.

    Returns:
        True when ``<text>`` is well-formed markup opening one element named `text`.
    """
    return is_ncname(text)


def quote_attr(text: str) -> str:
    """`text` as a double-quoted attribute value: ``&``, ``<``, ``>`` and ``"`` escaped.

    Every ``&`` is escaped (not only bare ones), and tabs and line breaks are character
    references (an XML reader turns raw ones into spaces), so the value reads back as `text`.
    """
    return '"' + text.translate(_ATTR_ESCAPES) + '"'


def entry(key: str, content: str) -> str:
    """One dict entry as an element: ``<key>content</key>``, or ``<entry key="...">``.

    Args:
        key: The dict key (any text).
        content: The element's content, already escaped.

    Returns:
        The element. Distinct keys always give distinct elements.
    """
    if is_tag_name(key):
        return f"<{key}>{content}</{key}>"
    return f"<{ENTRY} key={quote_attr(key)}>{content}</{ENTRY}>"
