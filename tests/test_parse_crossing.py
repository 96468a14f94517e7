"""Crossing elements and unclosed sections in parsed messages.

- A found element that crosses a recorded part (or another found one) makes the strict forms
  raise an `XmlContentError` naming both elements, their models and code-point ranges; the
  ``try_`` forms leave it out.
- Normalising a part never deletes or escapes a tag of an element that crosses it: such a part
  keeps its text as written.
- An element hidden by a CDATA section or comment that never ends is named in the error, and
  adversarial floods of openers cost linear time.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rigging as rg
from rigging import _native
from rigging._model.base import class_info
from rigging.error import MissingModelError, XmlContentError
from rigging.model import Model, attr, element


class Answer(Model, tag="answer"):
    content: str


class F(Model, tag="f"):
    content: str


class G(Model, tag="g"):
    id: str = attr()
    content: str


class H(Model, tag="h"):
    id: str = attr()
    body: str = element()


class Absent(Model, tag="absent"):
    content: str


def _tag(cls: type[Model]) -> str:
    return class_info(cls).tag


def _span(text: str, tag: str) -> tuple[int, int]:
    """The one element of ``tag`` in ``text`` (code points)."""
    (span,) = _native.scan(text, [tag])
    return span.start, span.end


def _crosses(x: tuple[int, int], y: tuple[int, int]) -> bool:
    return x[0] < y[0] < x[1] < y[1] or y[0] < x[0] < y[1] < x[1]


# (first model, second model, content): the two elements cross. Each first element is one a
# parse rewrites when nothing crosses it (single quotes, an entity, a self-closing child...).
CROSSING = [
    (Answer, F, "é <answer>a &amp; <f>b</answer> c</f> ü"),
    (F, Answer, "é <answer>a <f>b &lt; </answer> c</f> ü"),
    (G, Answer, "é <answer>a <g id='1'>b</answer> c</g> ü"),
    (G, Answer, "é <g id='1'>a <answer>b</g> c</answer> ü"),
    (F, Answer, "é <answer>a <f>b &amp; </answer> c</f> ü"),
    (H, Answer, "é <answer><h id='1'><body> b</answer></body></h> ü"),
    (H, F, "é <h id='1'>\n<body>b <f>x</body>\n</h> y</f> ü"),
    (G, F, "é <g id='1'><![CDATA[<]]> <f>x</g> y</f> ü"),
]


def _strict(message: rg.Message, cls: type[Model], how: str) -> object:
    if how == "parse":
        return message.parse(cls)
    if how == "parse_set":
        return message.parse_set(cls)
    if how == "parse_many":
        return message.parse_many(cls)
    if how == "try_parse_many":
        return message.try_parse_many(cls, fail_on_missing=True)
    return message.try_parse_set(cls, fail_on_missing=True)


STRICT = ["parse", "parse_set", "parse_many", "try_parse_many", "try_parse_set"]


@pytest.mark.parametrize("how", STRICT)
@pytest.mark.parametrize(("first", "second", "text"), CROSSING)
def test_a_strict_parse_of_an_element_crossing_a_part_names_both(
    first: type[Model], second: type[Model], text: str, how: str
) -> None:
    message = rg.Message("assistant", text)
    message.parse(first)
    assert message.content == text  # crossed: kept as written (the next test)
    one, other = _tag(first), _tag(second)
    (s1, e1), (s2, e2) = _span(text, one), _span(text, other)
    with pytest.raises(XmlContentError) as raised:
        _strict(message, second, how)
    error = raised.value
    assert str(error).startswith(
        f"<{other}> ({second.__name__}) at {s2}..{e2} crosses "
        f"<{one}> ({first.__name__}) at {s1}..{e1} (code points of the content)"
    )
    assert isinstance(error, ValueError)
    assert (error.tag, error.position) == (other, s2)
    assert error.snippet == text[s2:e2][: len(error.snippet)] or error.snippet.endswith("...")
    # Nothing was recorded or changed by the failed call.
    assert [type(m) for m in message.models] == [first]
    assert message.content == text


@pytest.mark.parametrize(("first", "second", "text"), CROSSING)
def test_the_try_forms_leave_an_element_crossing_a_part_out(
    first: type[Model], second: type[Model], text: str
) -> None:
    message = rg.Message("assistant", text)
    recorded = message.try_parse(first)
    assert recorded is not None
    assert message.try_parse(second) is None
    assert message.try_parse_set(second) == []
    assert message.try_parse_many(second) == []
    assert message.try_parse_many(first, second) == [recorded]
    assert message.models == [recorded]
    assert message.content == text
    # Found in one call: the element that starts first is kept, the other left out.
    both = rg.Message("assistant", text)
    kept = both.try_parse_many(first, second)
    assert len(kept) == 1
    with pytest.raises(XmlContentError, match="crosses"):
        rg.Message("assistant", text).parse_many(first, second)


@pytest.mark.parametrize(("first", "second", "text"), CROSSING)
def test_normalising_keeps_the_tags_of_an_element_crossing_the_part(
    first: type[Model], second: type[Model], text: str
) -> None:
    """The parsed element stays as written; without the crossing it is rewritten."""
    tag = _tag(second)
    for how in ("parse", "try_parse_many", "parse_set"):
        message = rg.Message("assistant", text)
        if how == "parse":  # one element: the one-element paths
            message.parse(first)
        elif how == "try_parse_many":  # one found of several types
            assert len(message.try_parse_many(first, Absent)) == 1
        else:
            message.parse_set(first)
        assert message.content == text
        assert _span(message.content, tag) == _span(text, tag)
    # Several of them in one call (the general layout): only the crossed one keeps its text.
    own = _tag(first)
    start, end = _span(text, own)
    alone = text[start:end].replace(f"</{tag}>", "").replace(f"<{tag}>", "")
    message = rg.Message("assistant", f"{text} {alone}")
    models = message.parse_set(first)
    assert len(models) == 2
    assert message.content.startswith(text)
    assert message.content[message.parts[1].slice_] == models[1].to_pretty_xml()
    assert alone != models[1].to_pretty_xml()  # (each case's element is one that is rewritten)


def test_the_part_keeps_its_text_on_the_list_content_and_nested_layouts() -> None:
    # A part nested in a recorded one is never rewritten; a crossed standalone one neither.
    text = "<qa><g id='1'>a <f>b</g> c</f></qa> <g id='2'>d</g>"
    message = rg.Message("assistant", text)
    assert [m.id for m in message.parse_set(G)] == ["1", "2"]
    assert (
        message.content
        == "<qa><g id='1'>a <f>b</g> c</f></qa> " + G(id="2", content="d").to_pretty_xml()
    )
    assert message.try_parse(F) is None


# --- many shapes at once ------------------------------------------------------------------


class A(Model, tag="a"):
    id: str = attr()
    content: str


class B(Model, tag="b"):
    id: str = attr()
    content: str


TOKENS = ["<a id='1'>", "</a>", "<b id='2'>", "</b>", "x", " & ", "é", "<![CDATA[<y>]]>"]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _expected(
    text: str, cls: type[Model], recorded: list[tuple[int, int]]
) -> tuple[str, list[tuple[int, int]], list[tuple[int, int]]]:
    """What ``try_parse_set(cls)`` makes of ``text`` with parts at ``recorded``, worked out
    from the rules: the content, the new parts' original spans, and those crossing a part.

    Every element of ``cls`` found is recorded unless it crosses a recorded part; a recorded
    one neither holding nor inside a part is rewritten to its pretty XML unless an element of
    the text crosses it.
    """
    found = [
        (model, (where.start, where.stop)) for model, where in rg.parsing.try_parse_set(text, cls)
    ]
    elements = [(s.start, s.end) for s in _native.scan(text, ["a", "b"])]
    crossing = [span for _, span in found if any(_crosses(span, r) for r in recorded)]
    kept = [(model, span) for model, span in found if span not in crossing]
    pieces, at = [], 0
    for model, (start, end) in kept:
        nested = any(
            (r[0] <= start and end <= r[1]) or (start <= r[0] and r[1] <= end) for r in recorded
        )
        if nested or any(_crosses((start, end), e) for e in elements):
            continue
        pieces += [text[at:start], model.to_pretty_xml()]
        at = end
    return "".join(pieces) + text[at:], [span for _, span in kept], crossing


def _spans(message: rg.Message) -> list[tuple[int, int]]:
    return [(p.slice_.start, p.slice_.stop) for p in message.parts]


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=14))
def test_two_types_parsed_in_turn_follow_the_rules(tokens: list[str]) -> None:
    message = rg.Message("assistant", "".join(tokens))
    text = message.content  # (dedented)
    content, spans, _ = _expected(text, A, [])
    message.try_parse_set(A)
    assert message.content == content
    assert len(message.parts) == len(spans)
    after_a = message.content
    recorded = _spans(message)
    content, spans, crossing = _expected(after_a, B, recorded)
    strict = message.model_copy(deep=True)
    message.try_parse_set(B)
    assert message.content == content, (text, after_a)
    assert len(message.parts) == len(recorded) + len(spans)
    parts = _spans(message)
    assert not any(_crosses(x, y) for x in parts for y in parts)
    if crossing:
        with pytest.raises(XmlContentError, match=r"<b> \(B\) at \d+\.\.\d+ crosses <a> \(A\)"):
            strict.parse_set(B)
        assert strict.content == after_a
    elif spans:
        strict.parse_set(B)
        assert strict.content == message.content


@SETTINGS
@given(st.lists(st.sampled_from(TOKENS), max_size=14))
def test_strict_forms_raise_only_parse_errors_and_try_forms_never(tokens: list[str]) -> None:
    text = "".join(tokens)
    for calls in ([A, B], [B, A]):
        tried = rg.Message("assistant", text)
        strict = rg.Message("assistant", text)
        errors: list[str] = []
        for cls in calls:
            tried.try_parse(cls)
            tried.try_parse_many(A, B)
            try:
                strict.parse(cls)
            except MissingModelError:
                pass
            except XmlContentError as error:
                errors.append(str(error))
        assert all(" crosses <" in error for error in errors)
        for message in (tried, strict):
            parts = _spans(message)
            assert not any(_crosses(x, y) for x in parts for y in parts)
            for part in message.parts:  # each part still reads as its model
                assert type(part.model).from_text(message.content[part.slice_])[0][0] == part.model


# --- unclosed CDATA sections and comments ----------------------------------------------------


UNCLOSED = [
    # (model, text, tag position, section kind, section position)
    (Answer, "<answer><![CDATA[abc</answer>", 0, "CDATA section", 8),
    (Answer, "é ü <answer>x <![CDATA[abc</answer> tail", 4, "CDATA section", 14),
    (G, "é <g id='1'><![CDATA[<b>x</b></g>", 2, "CDATA section", 12),
    (H, "<h id='1'><body><![CDATA[x</body></h>", 0, "CDATA section", 16),
    (Answer, "<answer><!-- note</answer>", 0, "comment", 8),
    (Answer, "é <answer>a <answer>b <![CDATA[c</answer>", 12, "CDATA section", 22),
    (Answer, "é <![CDATA[ then <answer>abc</answer>", 17, "CDATA section", 2),
    (G, "<!-- <g id='1'>abc</g>", 5, "comment", 0),
]


@pytest.mark.parametrize(("cls", "text", "position", "kind", "at"), UNCLOSED)
def test_an_element_an_unclosed_section_hides_is_named_with_the_section(
    cls: type[Model], text: str, position: int, kind: str, at: int
) -> None:
    tag = _tag(cls)
    for parse in (
        lambda: rg.Message("assistant", text).parse(cls),
        lambda: rg.Message("assistant", text).parse_set(cls),
        lambda: rg.Message("assistant", text).parse_many(cls, Answer),
        lambda: rg.parsing.parse(text, cls),
        lambda: cls.from_text(text),
    ):
        with pytest.raises(XmlContentError) as raised:
            parse()
        error = raised.value
        assert str(error).startswith(f"<{tag}> at {position} ")
        assert f"a {kind} open" in str(error) or f"inside a {kind} opened at {at}" in str(error)
        assert f" at {at} " in str(error)
        assert (error.tag, error.position) == (tag, position)
    message = rg.Message("assistant", text)
    assert message.try_parse(cls) is None
    assert message.try_parse_set(cls) == []
    assert message.try_parse_many(cls, Answer) == []
    assert message.content == text


def test_an_unclosed_section_that_hides_no_element_leaves_the_missing_error() -> None:
    for text in [
        "<![CDATA[ nothing here",
        "<other><!-- x</other>",
        "no section",
        "Use <answer> tags. <![CDATA[ x",  # a start tag in prose: no end tag after the opener
    ]:
        with pytest.raises(MissingModelError, match="Failed to find '<answer></answer>'"):
            rg.Message("assistant", text).parse(Answer)
    # A valid element before the section is found as usual.
    message = rg.Message("assistant", "<answer>ok</answer> <answer><![CDATA[x</answer>")
    assert message.parse(Answer) == Answer(content="ok")


FLOODS = [
    # (model, text, found): found or refused naming the section
    (Answer, "<answer>" + "<![CDATA[" * 100_000 + "</answer>", False),
    (Answer, "<answer>" + "<!--" * 100_000 + "</answer>", False),
    (G, "<g id='1'>" + "<![CDATA[" * 100_000 + "</g>", False),
    (G, "<![CDATA[" * 100_000 + "<g id='1'>x</g>", False),
    (G, "<g id='1'>x" + "<?" * 100_000 + "</g>", True),  # not opaque to the scanner
    (Answer, "<answer>x" + "<?" * 100_000 + "</answer>", True),
    (G, "<g id='1'>" + "<![CDATA[]]>" * 50_000 + "</g>" + "<![CDATA[" * 50_000, True),
    (Answer, "<answer>" * 50_000 + "<![CDATA[</answer>", False),
]


@pytest.mark.parametrize(("cls", "text", "found"), FLOODS)
def test_floods_of_section_openers_are_read_in_linear_time(
    cls: type[Model], text: str, found: bool
) -> None:
    """Each would take minutes if every opener searched the rest of the text."""
    message = rg.Message("assistant", text)
    if found:
        model = message.parse(cls)
        assert rg.Message("assistant", text).try_parse(cls) == model
        assert message.content[message.parts[0].slice_].endswith(f"</{_tag(cls)}>")
        return
    assert message.try_parse(cls) is None
    with pytest.raises(XmlContentError, match=r" never closed: a | that no "):
        message.parse(cls)
