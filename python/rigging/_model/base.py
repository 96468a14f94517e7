"""The `Model` base class: tags, the registry of model classes, XML rendering and extraction.

The facts parsing reads about a class are computed in `rigging._model.info`; fields placed as
child elements when a class is created, in `rigging._model.bare_fields`.
"""

from __future__ import annotations

import functools
import importlib
import re
import typing as t
import weakref
import xml.etree.ElementTree as ET

from pydantic_core import to_jsonable_python
from pydantic_xml import BaseXmlModel
from pydantic_xml.element.native import etree as _pydantic_xml_etree
from pydantic_xml.fields import XmlEntityInfo
from typing_extensions import Self

from rigging._model.bare_fields import _bare_fields_as_elements
from rigging._model.fallback import fallback_example
from rigging._model.info import BASIC_TYPES, class_info
from rigging._model.info import ClassInfo as ClassInfo  # re-exported for the parsers
from rigging._model.info import require_defined as require_defined
from rigging._model.plan import codec_of, example_codec, example_of, fallback_reason
from rigging._model.xml_names import check_names
from rigging.error import MultipleModelsError
from rigging.util import to_xml_tag, unescape_xml

__all__ = [
    "BASIC_TYPES",
    "Model",
    "ModelT",
    "XmlTagDescriptor",
    "class_info",
    "lookup_model",
    "model_path",
]


class XmlTagDescriptor:
    """Class-level descriptor giving a model its tag, derived from the class name once.

    ``FunFact`` → ``fun-fact``. A parametrised generic (``Primitive[str]``) uses its parent's
    tag. The value is computed on first access and cached for the owning class.
    """

    def __init__(self) -> None:
        self._owner: weakref.ref[type] | None = None
        self._tag = ""

    def __get__(self, instance: object, owner: type) -> str:
        if self._owner is not None and self._owner() is owner:
            return self._tag
        if "[" in owner.__name__:
            parent = owner.__mro__[1]
            tag = str(getattr(parent, "__xml_tag__", to_xml_tag(parent.__name__)))
        else:
            tag = to_xml_tag(owner.__name__)
        if self._owner is None:
            self._owner, self._tag = weakref.ref(owner), tag
        return tag


NATIVE_TO_XML: bool = _pydantic_xml_etree is ET
"""Whether `Model.to_xml` may render natively: pydantic-xml writes with the standard
``xml.etree.ElementTree`` (lxml, when installed, writes differently and is left to do so)."""


_EXAMPLES: weakref.WeakKeyDictionary[type, str] = weakref.WeakKeyDictionary()
_REGISTRY: weakref.WeakValueDictionary[str, type[Model]] = weakref.WeakValueDictionary()


def model_path(cls: type[Model]) -> str:
    """The ``module:qualname`` path a model class is serialized under.

    Args:
        cls: A `Model` subclass.

    Returns:
        e.g. ``"rigging.model:Answer"``.
    """
    return f"{cls.__module__}:{cls.__qualname__}"


_OWN_MODEL_MODULES = frozenset({"rigging.model", "rigging._model.stock"})
"""Paths of rigging's ready-made models (loaded lazily); found without importing anything the
data names: the fixed module ``rigging._model.stock`` is loaded instead."""


def lookup_model(path: str) -> type[Model] | None:
    """Find a model class from its `model_path`, among the classes this process defined.

    Only the registry of `Model` subclasses created in this process is consulted (every
    subclass adds itself when it is defined; the registry holds weak references, so classes
    can still be collected). Nothing is imported, looked up on a module or called because
    the data names it, so a chat file cannot make rigging run code; rigging's own stock
    models resolve by loading their fixed module.

    Args:
        path: A ``module:qualname`` path.

    Returns:
        The class, or None when no class of that path was defined in this process.
    """
    found = _REGISTRY.get(path)
    if found is not None:
        return found
    module_name, _, qualname = path.partition(":")
    if module_name not in _OWN_MODEL_MODULES or not qualname:
        return None
    importlib.import_module("rigging._model.stock")  # a fixed module, never one from the data
    return _REGISTRY.get(f"rigging._model.stock:{qualname}")


def _reads_back(text: str, tag: str) -> bool:
    """Whether `text` written raw inside ``<tag>`` parses back to itself.

    A simple model's pretty XML (and so the message content after parsing) is raw text. It
    reads back when it holds no entity the parse would decode, no ``<tag``/``</tag`` that
    would end or nest the element and no ``<!`` (CDATA, comments, declarations). 2.3 wrote
    such text raw, and a second parse of the message then read a shorter or other value.
    """
    if "&" in text and unescape_xml(text) != text:
        return False
    return not ("<" in text and _markup_in(tag).search(text))


@functools.lru_cache(maxsize=256)
def _markup_in(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<(?:!|/?{re.escape(tag)}(?=[\s/>]|$))")


# A `<` that may start markup (a tag, an end tag, a comment, CDATA, an instruction).
_MARKUP_START = re.compile(r"<[A-Za-z_:/!?]")


def _start_tag(info: ClassInfo) -> str:
    """The start tag of a class as its XML writes it (with its namespace declarations)."""
    return f"<{info.tag}>" if info.namespaces is None else info.namespaces.start_tag


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@t.overload
def _plan_render(model: Model, *, compact: t.Literal[False]) -> str | None: ...
@t.overload
def _plan_render(model: Model, *, compact: t.Literal[True]) -> bytes | None: ...
def _plan_render(model: Model, *, compact: bool) -> str | bytes | None:
    """``model`` written by its class's codec plan: pretty text, or compact ASCII bytes.

    Read from the instance's own fields, else from its ``to_jsonable_python`` dict. None when
    the plan cannot give what pydantic-xml writes: no plan, a plan that does not render
    (``skip_empty``), wrapped fields whose values need encoding (a wrapper's presence depends
    on the value, not its encoding), or values with lone surrogates.
    """
    codec = codec_of(type(model))
    if codec is None or not codec.renders:
        return None
    native = codec.native
    try:
        rendered = (native.render_compact_model if compact else native.render_model)(model)
        if rendered is None and not codec.wrapped:
            encoded = to_jsonable_python(model, by_alias=False)
            rendered = (native.render_compact if compact else native.render)(encoded)
    except UnicodeEncodeError:
        return None
    return rendered


class Model(BaseXmlModel):
    """Base class of structured output: a pydantic-xml model whose tag comes from its name.

    Subclass it with fields; use `attr`, `element` and `wrapped` for XML attributes, child
    elements and wrapper paths. ``class LongName(Model, tag="short")`` sets the tag explicitly.
    """

    def __init_subclass__(
        cls,
        tag: str | None = None,
        ns: str | None = None,
        nsmap: dict[str, str] | None = None,
        ns_attrs: bool | None = None,
        skip_empty: bool | None = None,
        search_mode: t.Any = None,
        **kwargs: t.Any,
    ) -> None:
        super().__init_subclass__(
            tag=tag,
            ns=ns,
            nsmap=nsmap,
            ns_attrs=ns_attrs,
            skip_empty=skip_empty,
            search_mode=search_mode,
            **kwargs,
        )
        cls.__xml_tag__ = tag if tag else t.cast("str", XmlTagDescriptor())
        _REGISTRY[model_path(cls)] = cls
        _bare_fields_as_elements(cls)

    def __str__(self) -> str:
        return self.to_pretty_xml()

    @classmethod
    def _rg_content_xml_applies(cls) -> bool:
        """Whether `_rg_content_xml` may give other than `to_pretty_xml()` (simple models)."""
        return class_info(cls).simple_field is not None

    def _rg_content_xml(self, pretty: str, element: str) -> str:
        """The text a message's content takes for this model's element (normalising).

        ``pretty`` is `to_pretty_xml()`, which differs from ``element``, the element as
        written. A simple model's pretty XML is its text raw: when that text holds markup
        the element did not hold as written (``&lt;question&gt;`` decoded), writing it raw
        would add tags to the message, changing how other elements read (a ``<question>``
        for a surrounding model, a ``</qa>`` closing it early). The text is then written
        escaped, which reads back as the same model.
        """
        info = class_info(type(self))
        if info.simple_field is None:
            return pretty
        start, end = _start_tag(info), f"</{info.tag}>"
        inner = pretty[len(start) : -len(end)]
        if (
            not pretty.startswith(start)
            or not pretty.endswith(end)
            or not _MARKUP_START.search(inner)
            or (inner in element and "<![CDATA[" not in element)  # its markup as written
        ):
            return pretty
        return start + _escape_text(inner) + end

    def to_pretty_xml(self) -> str:
        """Render the model as indented XML with explicit end tags (``<a></a>``, never ``<a/>``).

        Simple models (one text field) show their text raw, without entity escaping.

        Returns:
            The XML text, without declaration or trailing newline.
        """
        info = class_info(type(self))
        shortcut = info.shortcut
        if shortcut is not None:
            value: t.Any = self.__dict__.get(info.simple_field)  # type: ignore[arg-type]
            kind = type(value)
            if kind is shortcut:
                if kind is bool:
                    text = "true" if value else "false"
                elif kind is str:
                    text = value if _reads_back(value, info.tag) else _escape_text(value)
                else:
                    text = repr(value)
                return f"<{info.tag}>{text}</{info.tag}>"
        rendered = _plan_render(self, compact=False)
        if rendered is None:
            rendered = self.pydantic_xml_pretty()
        if info.simple_field is None:
            return rendered
        raw = unescape_xml(rendered)
        start, end = _start_tag(info), f"</{info.tag}>"
        inner = raw[len(start) : -len(end)]
        if raw.startswith(start) and raw.endswith(end) and not _reads_back(inner, info.tag):
            return rendered  # the raw text would not parse back: keep it escaped
        return raw

    @t.overload
    def to_xml(
        self,
        *,
        skip_empty: bool = False,
        exclude_none: bool = False,
        exclude_unset: bool = False,
        encoding: t.Literal["unicode"],
        **kwargs: t.Any,
    ) -> str: ...
    @t.overload
    def to_xml(
        self,
        *,
        skip_empty: bool = False,
        exclude_none: bool = False,
        exclude_unset: bool = False,
        **kwargs: t.Any,
    ) -> bytes: ...
    def to_xml(
        self,
        *,
        skip_empty: bool = False,
        exclude_none: bool = False,
        exclude_unset: bool = False,
        **kwargs: t.Any,
    ) -> str | bytes:
        """Render the model as compact XML, as pydantic-xml's ``to_xml`` does.

        With the default arguments, a class with a codec plan is written by the native
        renderer: the same bytes pydantic-xml and ``ElementTree.tostring`` write (ASCII, no
        declaration, ``<a />`` for empty elements, non-ASCII characters as ``&#233;``).
        Any option, a class without a plan (or one whose plan does not render), and values
        the native renderer cannot take go to pydantic-xml.

        Args:
            skip_empty: Leave out empty elements, attributes and ``None`` values.
            exclude_none: Leave out ``None`` values.
            exclude_unset: Leave out fields that were not set explicitly.
            **kwargs: Passed to the XML library's ``tostring`` (e.g. ``encoding="unicode"``).

        Returns:
            The XML (``bytes`` by default; ``str`` with ``encoding="unicode"``).
        """
        if NATIVE_TO_XML and not (skip_empty or exclude_none or exclude_unset or kwargs):
            rendered = _plan_render(self, compact=True)
            if rendered is not None:
                return rendered
        tree = self.to_xml_tree(
            skip_empty=skip_empty, exclude_none=exclude_none, exclude_unset=exclude_unset
        )
        check_names(tree, type(self).__name__, str(kwargs.get("encoding") or "us-ascii"))
        written: str | bytes = _pydantic_xml_etree.tostring(tree, **kwargs)
        # A raw `\r` (only text writes one) would read back as `\n`: written as a reference.
        if isinstance(written, bytes):
            return written.replace(b"\r", b"&#13;") if b"\r" in written else written
        return written.replace("\r", "&#13;") if "\r" in written else written

    def pydantic_xml_pretty(self) -> str:
        r"""The indented XML as pydantic-xml and `ElementTree` write it, ``\r`` as ``&#13;``.

        The renderer of classes without a codec plan, and the reference the native renderer
        is tested against. `ElementTree` writes a ``\r`` in text raw, which every parser reads
        back as ``\n``; both renderers write it as a character reference instead.

        Returns:
            The XML text, entities escaped.
        """
        tree = self.to_xml_tree()
        check_names(tree, type(self).__name__)
        ET.indent(tree, "  ")
        written = ET.tostring(tree, encoding="unicode", short_empty_elements=False)
        return written.replace("\r", "&#13;") if "\r" in written else written

    @classmethod
    def codec_fallback_reason(cls) -> str | None:
        """Why this class is parsed and rendered by pydantic-xml instead of the native codec.

        Returns:
            The reason (namespaces, custom XML validators, a union of models, ...), or None when
            the class has a compiled codec plan.
        """
        return fallback_reason(cls)

    @classmethod
    def is_simple(cls) -> bool:
        """Whether the model is one ``int``/``str``/``float``/``bool`` text field.

        Simple models are read straight from the text between their tags, without XML parsing.

        Returns:
            True for simple models.
        """
        return class_info(cls).simple_field is not None

    @classmethod
    def xml_start_tag(cls) -> str:
        """The start tag, e.g. ``<fun-fact>``.

        A class with namespaces writes it as its XML does, prefixed and with the namespace
        declarations it carries (``<x:item xmlns:x="urn:x">``).
        """
        return _start_tag(class_info(cls))

    @classmethod
    def xml_end_tag(cls) -> str:
        """The end tag, e.g. ``</fun-fact>`` (``</x:item>`` with a namespace)."""
        return f"</{class_info(cls).tag}>"

    @classmethod
    def xml_tags(cls) -> str:
        """An empty element, e.g. ``<fun-fact></fun-fact>``."""
        return cls.xml_start_tag() + cls.xml_end_tag()

    @classmethod
    def xml_example(cls) -> str:
        """An example of the XML the model expects, to show to a language model.

        Simple models give `xml_tags`; a model without fields ``<tag/>``. Other models are
        written from their codec plan: attributes as attributes, nested models expanded,
        lists with two items, each value its field's description or type, so a reply that
        follows the example parses. A class that falls back to pydantic-xml for how it reads
        values (validators, ``extra="forbid"``, a union of models, ...) is shown from a plan
        of its shape alone (a union of models as its first choice); classes whose shape has
        no plan (namespaces, custom XML hooks, mapping or tuple fields) are written from their
        fields' pydantic-xml metadata, the same way. Namespaced names are written as the
        class's own XML writes them (``<x:item xmlns:x="urn:x" n="int">``), so the example is
        what `to_pretty_xml` of a model holding the placeholders gives, and parses back.
        At most `rigging._model.plan.EXAMPLE_MODELS` (64) nested models are shown, so models
        that nest in each other give a bounded example.
        Override it to give a richer example.

        Returns:
            The example XML.
        """
        require_defined(cls)
        info = class_info(cls)
        if info.simple_field is not None:
            return cls.xml_tags()
        if info.namespaces is not None:  # read with the class's facts: they follow ElementTree
            return info.namespaces.example
        example = _EXAMPLES.get(cls)
        if example is None:
            codec = example_codec(cls)
            example = example_of(codec) if codec is not None else fallback_example(cls, info.tag)
            _EXAMPLES[cls] = example
        return example

    @classmethod
    def ensure_valid(cls) -> None:
        """Check that the model can be parsed from text.

        Raises:
            ValueError: The model's only field is an attribute.
        """
        fields = cls.model_fields
        if len(fields) == 1:
            info = next(iter(fields.values()))
            for meta in info.metadata:
                location = (
                    getattr(meta, "location", None) if isinstance(meta, XmlEntityInfo) else None
                )
                if location is not None and location.name == "ATTRIBUTE":
                    raise ValueError(
                        f"Model '{cls.__name__}' has a single attr() field which is not supported"
                    )

    @classmethod
    def from_text(cls, content: str) -> list[tuple[Self, slice]]:
        """Find and build every instance of the model in a text.

        Tags are found by the native scanner (linear time, exact tag names, stray start tags
        ignored); the XML parser only sees one element at a time.

        Args:
            content: The text to search.

        Returns:
            ``(model, slice)`` pairs in document order; ``content[slice]`` is the element.

        Raises:
            MissingModelError: No element of the model's tag is in the text.
            pydantic.ValidationError: Elements were found but none holds a valid model.
            ValidatorRaisedError: As above, when validating the longest element raised an
                error pydantic did not report as a validation error.
            XmlContentError: Elements were found but none holds readable XML.
        """
        from rigging._model.extract import extract

        return [(found.model, found.slice) for found in extract(cls, content)]

    @classmethod
    def one_from_text(cls, content: str, *, fail_on_many: bool = False) -> tuple[Self, slice]:
        """Build the model from the longest matching element of a text.

        Args:
            content: The text to search.
            fail_on_many: Raise if more than one element holds a valid model.

        Returns:
            The model and its slice.

        Raises:
            MultipleModelsError: ``fail_on_many`` and several models were found.
        """
        found = cls.from_text(content)
        if fail_on_many and len(found) > 1:
            raise MultipleModelsError(
                f"Expected one {class_info(cls).tag!r} ({cls.__name__}) in the text, "
                f"found {len(found)}",
                count=len(found),
            )
        return max(found, key=lambda pair: pair[1].stop - pair[1].start)


ModelT = t.TypeVar("ModelT", bound=Model)
"""A `Model` subclass."""
