"""Lone surrogates ("\\ud83d", a cut emoji) anywhere in a text: every parse path reads the text
as it reads the same text with U+FFFD in their place, offsets index the original str, texts
handed back keep the surrogates, and serialisation writes U+FFFD instead of failing."""

from __future__ import annotations

import asyncio
import json
import typing as t

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

import rigging as rg
from rigging import _native
from rigging._surrogates import restore, scrub, stand_in
from rigging.generator.testing import ScriptedGenerator
from rigging.model import Model, attr, element
from rigging.stream import ModelStream

SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)
_TOKENS = ["a", " ", "é", "🙂", "<a>", "</a>", "<b x='1'>", "</b>", "<a/>", "<", ">", "&amp;"]
PROSE = st.lists(st.sampled_from(_TOKENS), max_size=25).map("".join)


@st.composite
def with_surrogates(draw: st.DrawFn) -> tuple[str, str]:
    """(text with lone surrogates at random points, the same text with U+FFFD there)."""
    text = draw(PROSE)
    points = draw(st.lists(st.integers(0, len(text)), min_size=1, max_size=6))
    pieces, last = [], 0
    for point in sorted(points):
        pieces += [text[last:point], draw(SURROGATE)]
        last = point
    pieces.append(text[last:])
    raw = "".join(pieces)
    return raw, scrub(raw)


def _fields(spans: t.Sequence[_native.Span]) -> list[tuple[t.Any, ...]]:
    return [(s.tag, s.start, s.end, s.inner_start, s.inner_end, s.closed) for s in spans]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(with_surrogates(), st.sampled_from(["drop", "close"]))
def test_scan_and_tag_stream_read_surrogates_as_replacement_characters(
    texts: tuple[str, str], incomplete: str
) -> None:
    raw, plain = texts
    spans = _native.scan(raw, ["a", "b"], incomplete=incomplete)  # type: ignore[arg-type]
    assert _fields(spans) == _fields(_native.scan(plain, ["a", "b"], incomplete=incomplete))  # type: ignore[arg-type]
    for s in spans:  # offsets index the original str
        assert len(raw[s.start : s.end]) == s.end - s.start
    stream = _native.TagStream(["a", "b"], incomplete=incomplete)  # type: ignore[arg-type]
    fed = [sp for ch in raw for sp in stream.feed(ch)]
    fed += stream.finish()
    assert sorted(_fields(fed)) == sorted(_fields(spans))


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(with_surrogates(), st.data())
def test_text_stream_hands_back_the_original_text(
    texts: tuple[str, str], data: st.DataObject
) -> None:
    raw, _ = texts
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=5)))
    stream = _native.TextStream(["a", "b"])
    spans: list[_native.Span] = []
    for start, end in zip([0, *cuts], [*cuts, len(raw)], strict=True):
        spans += stream.feed(raw[start:end])
    assert stream.text == raw
    for s in spans:
        assert stream.slice(s.start, s.end) == raw[s.start : s.end]
        assert stream.slice(s.inner_start, s.inner_end) == raw[s.inner_start : s.inner_end]
    start = data.draw(st.integers(0, len(raw)))
    end = data.draw(st.integers(start, len(raw)))
    assert stream.slice(start, end) == raw[start:end]


def _reference_splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    out, last = [], 0
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1])):
        out += [text[last:start], replacement]
        last = end
    return "".join([*out, text[last:]])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(with_surrogates(), st.data())
def test_strip_and_splice_keep_every_surrogate_they_do_not_remove(
    texts: tuple[str, str], data: st.DataObject
) -> None:
    raw, plain = texts
    n = len(raw)
    points = sorted(data.draw(st.lists(st.integers(0, n), min_size=2, max_size=6)))
    edits = [
        (points[i], points[i + 1], data.draw(st.sampled_from(["", "x", "\udc01", "é\ud800y"])))
        for i in range(0, len(points) - 1, 2)
    ]
    spans = [(0, n), (points[0], points[-1])]
    text, remapped = _native.splice(raw, edits, spans)
    assert text == _reference_splice(raw, edits)
    plain_edits = [(s, e, scrub(r)) for s, e, r in edits]
    assert remapped == _native.splice(plain, plain_edits, spans)[1]
    remove = [(s, e) for s, e, _ in edits]
    text, remapped = _native.strip_spans(raw, remove, spans)
    assert text == _reference_splice(raw, [(s, e, "") for s, e in remove])
    assert remapped == _native.strip_spans(plain, remove, spans)[1]


def test_identifier_and_tags_accept_any_str() -> None:
    ident = _native.Identifier.parse("m\ud800,k=v\udc00")
    assert ident.model == "m\ufffd"
    assert ident.params == {"k": "v\ufffd"}
    with pytest.raises(_native.ScanError):
        _native.Tags(["a\ud800"])
    with pytest.raises(ValueError, match="incomplete must be"):
        _native.scan("x", ["a"], incomplete="d\ud800")  # type: ignore[arg-type]
    assert _native.Identifier("m\ud800", params={"k": ["\udfff"]}).format() == ("m\ufffd,k=\ufffd")


class Answer(Model):
    content: str


class Item(Model):
    name: str = attr()
    value: str = element()


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(with_surrogates(), with_surrogates())
def test_parse_entry_points_find_models_in_text_with_surrogates(
    before: tuple[str, str], value: tuple[str, str]
) -> None:
    raw_value = value[0].replace("<", "").replace(">", "").replace("&", "") or "v"
    text = f'{before[0].replace("<", "")} <item name="n\ud83d"><value>{raw_value}</value></item>'
    text += f" <answer>{raw_value}\ud83d</answer> \ude00"
    message = rg.Message("assistant", text)
    item = message.try_parse(Item)
    assert item is not None
    assert item.name == "n\ud83d"
    assert item.value.strip() == raw_value.strip()
    answer = message.parse(Answer)
    assert answer.content == f"{raw_value}\ud83d"
    assert message.try_parse_set(Answer) == [answer]
    assert [p.model for p in message.parts] == [item, answer]
    for part in message.parts:  # slices index the (normalised) content
        assert message.content[part.slice_].startswith(f"<{part.model.__xml_tag__}")
    stream = ModelStream(Answer, Item)
    found = [m.model for chunk in text for m in stream.feed(chunk)]
    assert found == [item, answer]
    assert stream.text == text
    message.strip(Item)
    assert message.content.endswith("\ude00")


def test_stand_in_picks_a_block_the_text_does_not_use_and_round_trips() -> None:
    text = "a\ud800\U000f0001\udfff"
    swapped, back = stand_in(text)
    assert "\U000f0001" in swapped
    assert not any(0xD800 <= ord(c) <= 0xDFFF for c in swapped)
    assert back(swapped) == text
    crowded = "".join(chr(0xF0000 + i * 0x800) for i in range(64)) + "\ud800"
    swapped, back = stand_in(crowded)
    assert swapped.endswith("\ufffd")
    assert back(swapped) == swapped
    assert restore({"k": ("x", {1})}, str.upper) == {"K": ("X", {1})}


def test_stand_ins_avoid_blocks_that_character_references_name() -> None:
    """A reference to a private-use character decodes to it later: its block is not used to
    stand in for surrogates (it came back as a surrogate)."""
    for reference in ("&#xF0000;", "&#983040;", "&#x000000000F0000;", "&#00000983041;"):
        text = f'<item name="n"><value>\ud800|{reference}</value></item>'
        assert rg.parsing.parse(text, Item)[0].value == "\ud800|" + chr(
            int(reference[3:-1], 16) if reference[2] == "x" else int(reference[2:-1])
        )


def test_until_parsed_as_finds_the_tag_in_a_reply_with_a_surrogate() -> None:
    reply = "cut emoji \ud83d then <answer>42</answer>"
    generator = ScriptedGenerator(model="s", responses=[reply])
    chat = asyncio.run(generator.chat("q").until_parsed_as(Answer, max_rounds=1).run())
    assert not chat.failed
    assert chat.last.parse(Answer).content == "42"


def test_serialisation_writes_replacement_characters(tmp_path: t.Any) -> None:
    chat = rg.Chat(
        [rg.Message("user", "hi \ud83d")], [rg.Message("assistant", "<answer>\udc00</answer>")]
    )
    chat.last.parse(Answer)
    text = chat.model_dump_json()
    data = json.loads(text)
    assert data["messages"][0]["content"] == "hi \ufffd"
    assert "\ufffd" in json.dumps(data["generated"][0]["parts"], ensure_ascii=False)
    loaded = rg.Chat.model_validate_json(text)
    assert loaded.messages[0].content == "hi \ufffd"
    assert json.loads(chat.model_dump_json(indent=2, ensure_ascii=True)) == data
    assert json.loads(rg.Message("user", "\udfff").model_dump_json())["content"] == "\ufffd"
    # The JSONL watcher writes the chat instead of failing the run.
    path = tmp_path / "chats.jsonl"
    write = rg.watchers.write_chats_to_jsonl(path)([chat])
    asyncio.run(write)
    line = json.loads(path.read_text(encoding="utf-8").splitlines()[0])
    assert line["messages"][0]["content"] == "hi \ufffd"
    # Text that does not need it is dumped unchanged.
    plain = rg.Message("user", "plain")
    assert plain.model_dump_json() == BaseModel.model_dump_json(plain)
