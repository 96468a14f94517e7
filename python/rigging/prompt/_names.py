"""XML names in rendered prompts: which texts may be a tag, and how other texts are written.

A prompt input lays out user data as XML. Where data would become a tag (a ``dict`` key),
only an XML name without a colon (``NCName``) is written as a tag; any other text goes into
an attribute value, escaped, so it can never close an element or open a new one.
"""

from __future__ import annotations

import re
from xml.parsers import expat

__all__ = ["ENTRY", "entry", "is_tag_name", "quote_attr"]

_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NCNAME = re.compile(f"[{_START}][{_START}\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040]*")
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

    The name must be an XML 1.0 (fifth edition) ``NCName``; a name beyond ASCII must also be
    read back by expat, which keeps the older, narrower tables of name characters (it refuses
    U+02C2, a name character since 2008). A prefixed name (``a:b``) is left out: its prefix
    would be an undeclared namespace.

    Args:
        text: A candidate tag.

    Returns:
        True when ``<text>`` is well-formed markup opening one element named `text`.
    """
    if _NCNAME.fullmatch(text) is None:
        return False
    return text.isascii() or _expat_reads(text)


def _expat_reads(name: str) -> bool:
    """Whether expat reads ``<name/>`` (`name` already an ``NCName``: one empty element)."""
    parser = expat.ParserCreate()
    try:
        parser.Parse(f"<{name}/>", True)
    except expat.ExpatError:
        return False
    return True


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
