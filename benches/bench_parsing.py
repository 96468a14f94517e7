"""Parse 1,000 models out of a 1 MB message, and strip 1,000 parts: rigging vs the 2.3 approach.

The baseline is written here in plain Python the way 2.3 worked: a lazy DOTALL regex per tag
with a nested re-search per match, an O(P) overlap check per added part, and per-part string
splicing (normalisation on parse, slice-and-shift on strip). Both sides must give the same
models, content and slices before anything is timed.
"""

from __future__ import annotations

import re
from functools import cache

from corpus import MB, make_corpus
from pytest_benchmark.fixture import BenchmarkFixture

from rigging.message import Message
from rigging.model import Model
from rigging.util import unescape_xml

PARTS = 1_000


class Fact(Model):
    content: str


Parts = list[tuple[Model, slice]]
Outcome = tuple[str, list[tuple[Model, int, int]]]


@cache
def _text() -> str:
    """About 1 MB of corpus text with 1,000 ``<fact>`` elements put in after newlines.

    Every other element is written ``<fact >`` so that parsing normalises it.
    """
    corpus = make_corpus(MB)
    pieces: list[str] = []
    position = 0
    for index in range(PARTS):
        cut = corpus.index("\n", (index + 1) * len(corpus) // (PARTS + 1)) + 1
        pieces.append(corpus[position:cut])
        opener = "<fact >" if index % 2 else "<fact>"
        pieces.append(f"{opener}fact {index}: a &amp; b, 東京 🙂</fact>\n")
        position = cut
    pieces.append(corpus[position:])
    return "".join(pieces)


def _fresh(text: str) -> Message:
    return Message.model_validate({"role": "assistant", "content": text})


# --- the 2.3 way ----------------------------------------------------------------------------


def _regex_from_text(text: str) -> Parts:
    pattern = re.compile(r"(<(fact).*?>((.*?)</fact>))", re.DOTALL)
    matches = [m for m in pattern.finditer(text) if m.group(2) == "fact"]
    found: Parts = []
    for match in sorted(matches, key=lambda m: len(m.group(4)), reverse=True):
        inner, start, end = match.group(4), match.start(1), match.end(1)
        while (nested := pattern.search(inner)) is not None:
            start, end = start + len(match.group(0)) - len(inner) + nested.start(1), end
            inner = nested.group(4)
        found.append((Fact(content=unescape_xml(inner)), slice(start, end)))
    return sorted(found, key=lambda pair: pair[1].start)


def baseline_parse_set(text: str) -> Outcome:
    parts: Parts = []
    for model, sl in _regex_from_text(text):
        for _, other in parts:  # the per-part overlap check
            if sl.start < other.stop and other.start < sl.stop:
                raise ValueError("Incoming part overlaps with an existing part")
        parts.append((model, sl))
    shift = 0
    synced: list[tuple[Model, int, int]] = []
    for model, sl in parts:
        start, stop = sl.start + shift, sl.stop + shift
        pretty = model.to_pretty_xml()
        if text[start:stop] != pretty:
            text = text[:start] + pretty + text[stop:]
            shift += len(pretty) - (stop - start)
        synced.append((model, start, start + len(pretty)))
    return text, synced


def baseline_strip(text: str, parts: list[tuple[Model, int, int]]) -> Outcome:
    remaining = list(parts)
    for _ in [p for p in parts if isinstance(p[0], Fact)]:
        model, start, stop = next(p for p in remaining if isinstance(p[0], Fact))
        text = text[:start] + text[stop:]
        remaining.remove((model, start, stop))
        width = stop - start
        remaining = [(m, s - width, e - width) if s >= stop else (m, s, e) for m, s, e in remaining]
    return text, remaining


# --- rigging --------------------------------------------------------------------------------


def rigging_parse_set(message: Message) -> Outcome:
    message.parse_set(Fact)
    return message.content, [(p.model, p.slice_.start, p.slice_.stop) for p in message.parts]


def rigging_strip(message: Message) -> Outcome:
    message.strip(Fact)
    return message.content, [(p.model, p.slice_.start, p.slice_.stop) for p in message.parts]


@cache
def _parsed() -> Message:
    message = _fresh(_text())
    message.parse_set(Fact)
    assert len(message.parts) == PARTS
    return message


def bench_parse_set_rigging(benchmark: BenchmarkFixture) -> None:
    expected = baseline_parse_set(_text())
    assert len(expected[1]) == PARTS
    result = benchmark.pedantic(
        rigging_parse_set, setup=lambda: ((_fresh(_text()),), {}), rounds=5, iterations=1
    )
    assert result == expected


def bench_parse_set_baseline(benchmark: BenchmarkFixture) -> None:
    expected = rigging_parse_set(_fresh(_text()))
    assert benchmark.pedantic(baseline_parse_set, args=(_text(),), rounds=3) == expected


def bench_strip_rigging(benchmark: BenchmarkFixture) -> None:
    parsed = _parsed()
    start = (parsed.content, [(p.model, p.slice_.start, p.slice_.stop) for p in parsed.parts])
    expected = baseline_strip(*start)
    result = benchmark.pedantic(
        rigging_strip, setup=lambda: ((parsed.model_copy(deep=True),), {}), rounds=5, iterations=1
    )
    assert result == expected
    assert "<fact" not in result[0]


def bench_strip_baseline(benchmark: BenchmarkFixture) -> None:
    parsed = _parsed()
    start = (parsed.content, [(p.model, p.slice_.start, p.slice_.stop) for p in parsed.parts])
    expected = rigging_strip(parsed.model_copy(deep=True))
    assert benchmark.pedantic(baseline_strip, args=start, rounds=3) == expected
