"""A dict written as attributes: keys that are no XML names are refused when rendering."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from rigging.model import Model, attr, element


class Attrs(Model, tag="attrs"):
    d: dict[str, str]


class Boxed(Model, tag="boxed"):
    d: dict[str, str] = element()
    name: str = attr(default="n")


class Outer(Model, tag="outer"):
    inner: Attrs
    text: str = element(default="t")


BAD_KEYS = ['a"><x', "a b", "1a", "", "a\x00", "a\nb", "<x>", "a=b", 'a="1" onload', "a:b:c"]


def _renders(model: Model) -> dict[str, object]:
    return {
        "to_xml": model.to_xml,
        "to_xml(unicode)": lambda: model.to_xml(encoding="unicode"),
        "to_xml(skip_empty)": lambda: model.to_xml(skip_empty=True),
        "to_pretty_xml": model.to_pretty_xml,
        "str": lambda: str(model),
        "pydantic_xml_pretty": model.pydantic_xml_pretty,
    }


@pytest.mark.parametrize("key", BAD_KEYS)
def test_keys_that_are_no_xml_names_are_refused_by_every_renderer(key: str) -> None:
    models = (Attrs(d={key: "1"}), Boxed(d={"ok": "1", key: "2"}), Outer(inner=Attrs(d={key: "1"})))
    for model in models:
        for name, render in _renders(model).items():
            with pytest.raises(ValueError, match="no XML name") as caught:
                render()  # type: ignore[operator]
            assert repr(key)[:40] in str(caught.value), name


def test_xml_names_are_written_and_read_back() -> None:
    keys = {"a": "1", "b-c.d_e": '"<&>', "_z9": ""}
    model = Boxed(d=keys)
    for render in _renders(model).values():
        written = render()  # type: ignore[operator]
        ET.fromstring(written)
        assert Boxed.from_xml(written).d == keys


def test_a_name_the_encoding_lacks_is_refused_in_bytes_only() -> None:
    model = Boxed(d={"\u00e9t\u00e9": "x"})
    with pytest.raises(ValueError, match="characters 'us-ascii' lacks"):
        model.to_xml()  # ElementTree would write `&#233;t&#233;="x"`: no name
    for written in (
        model.to_xml(encoding="unicode"),
        model.to_xml(encoding="utf-8"),
        model.to_pretty_xml(),
    ):
        assert Boxed.from_xml(written).d == {"\u00e9t\u00e9": "x"}


def test_a_long_bad_key_is_clipped_in_the_error() -> None:
    with pytest.raises(ValueError, match="no XML name") as caught:
        Attrs(d={"x" * 10_000 + " y": "1"}).to_pretty_xml()
    assert len(str(caught.value)) < 400
