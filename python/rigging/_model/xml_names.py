"""XML names: which texts parsers read as a tag or attribute name, and a check of whole trees.

A model's data may come from anywhere (a model's reply, a user); where pydantic-xml writes
data as a *name* (the keys of a ``dict[str, str]`` field become attribute names), a key that
is no XML name would be written unchecked and break the markup (``<d a"><x="1">``).
`check_names` refuses such a tree before it is written.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from xml.parsers import expat

__all__ = ["check_names", "is_ncname"]

_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NCNAME = re.compile(f"[{_START}][{_START}\\-.0-9\u00b7\u0300-\u036f\u203f-\u2040]*")
_SHOWN = 80
"""Characters of a refused name shown in the error."""


def is_ncname(text: str) -> bool:
    """Whether `text` is an XML name without ``:`` that parsers read back.

    The name must be an XML 1.0 (fifth edition) ``NCName``; a name beyond ASCII must also be
    read back by expat, which keeps the older, narrower tables of name characters (it refuses
    U+02C2, a name character since 2008).
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


def _is_written_name(name: object, encoding: str) -> bool:
    """A name as ElementTree holds it: ``local``, ``{uri}local`` or ``prefix:local``.

    The name must also be encodable in `encoding`: ElementTree writes a character the
    encoding lacks as a character reference, which is no name character (``&#233;t&#233;=``).
    """
    if not isinstance(name, str) or not _encodable(name, encoding):
        return False
    if name.startswith("{"):
        _uri, brace, local = name[1:].partition("}")
        return bool(brace) and is_ncname(local)
    prefix, colon, local = name.partition(":")
    if colon:  # a prefixed name, as rigging's classes may declare (``pf:e``, ``xml:lang``)
        return is_ncname(prefix) and is_ncname(local)
    return is_ncname(name)


def _encodable(name: str, encoding: str) -> bool:
    if encoding.lower() == "unicode" or name.isascii():
        return True
    try:
        name.encode(encoding)
    except (UnicodeError, LookupError):
        return False
    return True


def check_names(tree: ET.Element, model: str, encoding: str = "unicode") -> None:
    """Refuse a tree holding a tag or attribute name that is no XML name.

    Args:
        tree: The element tree about to be written.
        model: The model class named in the error.
        encoding: The encoding the tree is written in (``"unicode"`` for text); a name it
            cannot encode is refused too.

    Raises:
        ValueError: a name (a ``dict`` key written as an attribute) is no XML name; the
            message names it and the element that holds it.
    """
    for element in tree.iter():
        tag = element.tag
        if callable(tag):  # a comment or processing instruction
            continue
        if not _is_written_name(tag, encoding):
            raise ValueError(f"{model} cannot be written as XML: {_shown(tag)} is no tag name")
        for name in element.attrib:
            if not _is_written_name(name, encoding):
                why = (
                    f"has characters {encoding!r} lacks (write it as text: "
                    "encoding='unicode' or 'utf-8')"
                    if _is_written_name(name, "unicode")
                    else "is no XML name"
                )
                raise ValueError(
                    f"{model} cannot be written as XML: the attribute name {_shown(name)} "
                    f"(of <{tag}>) {why}; a dict field written as attributes takes only keys "
                    "that are XML names"
                )


def _shown(name: object) -> str:
    text = repr(name)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
