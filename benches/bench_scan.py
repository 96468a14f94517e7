"""`rigging._native.scan` against upstream's regex extraction.

The "before" line is upstream's approach: per tag, `re.finditer` of
`(<(TAG).*?>((.*?)</TAG>))` under DOTALL (tag not escaped), then for each match a re-search
of its inner text (plus end tag) that descends while another element is found inside.

Intended differences, which the clean corpus below removes before comparing:
- prefix collisions: the regex takes `<answers>`, `<answer-key>` and `<question-answer>` as
  starts of `answer` / `question` (and then runs to the next real end tag);
- a quoted `>` in an attribute (`source="wiki > blog"`) ends the regex's start tag early;
- CDATA is opaque to the scanner and plain text to the regex.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from corpus import MB, TAGS, all_lt, deep_nesting, make_corpus, unclosed_starts

from rigging._native import Span, scan


def regex_innermost(text: str, tag: str) -> list[str]:
    """Upstream-style extraction: the innermost inner text reached from each regex match."""
    pattern = re.compile(rf"(<({tag}).*?>((.*?)</{tag}>))", re.DOTALL)
    found = []
    for match in pattern.finditer(text):
        inner, rest = match.group(4), match.group(3)
        while (nested := pattern.search(rest)) is not None:
            inner, rest = nested.group(4), nested.group(3)
        found.append(inner)
    return found


def regex_all(text: str) -> dict[str, Counter[str]]:
    return {tag: Counter(regex_innermost(text, tag)) for tag in TAGS}


def scanner_innermost(text: str, spans: list[Span]) -> dict[str, Counter[str]]:
    """Inner texts of the spans with no span of the same tag inside them."""
    found: dict[str, Counter[str]] = {tag: Counter() for tag in TAGS}
    by_tag: dict[str, list[Span]] = {}
    for span in spans:
        by_tag.setdefault(span.tag, []).append(span)
    for tag, group in by_tag.items():
        group.sort(key=lambda s: s.start)
        for span, following in zip(group, [*group[1:], None], strict=True):
            if following is None or following.start >= span.end:
                found[tag][text[span.inner_slice]] += 1
    return found


def clean(text: str) -> str:
    """The corpus without the constructs where the regex is wrong by design (see above)."""
    for old, new in [
        ('source="wiki > blog"', 'source="wiki"'),
        ("<![CDATA[ raw </item.v2> and <answer> inside ]]>", "raw data"),
        ("question-answer>", "qa>"),
        ("answers>", "replies>"),
        ("answer-key>", "key>"),
    ]:
        text = text.replace(old, new)
    return text


def ours(text: str) -> list[Span]:
    return scan(text, TAGS)


def test_regex_agrees_on_the_clean_corpus(corpus_1mb: str) -> None:
    text = clean(corpus_1mb)
    expected = regex_all(text)
    assert sum(expected["answer"].values()) > 1000
    assert scanner_innermost(text, ours(text)) == expected


def test_regex_differs_where_documented() -> None:
    text = '<fun-fact source="a > b">x</fun-fact> <answers>y</answers> <answer>z</answer>'
    assert regex_innermost(text, "fun-fact") == [' b">x']
    assert regex_innermost(text, "answer") == ["z"]
    assert [text[s.inner_slice] for s in ours(text)] == ["x", "z"]


def bench_scan_1mb(benchmark: Any, corpus_1mb: str) -> None:
    benchmark.group = "scan 1 MB"
    spans = benchmark(ours, corpus_1mb)
    assert len(spans) > 5_000


def bench_regex_1mb(benchmark: Any, corpus_1mb: str) -> None:
    benchmark.group = "scan 1 MB"
    found = benchmark(regex_all, corpus_1mb)
    assert sum(found["answer"].values()) > 100


def bench_scan_10mb(benchmark: Any, corpus_10mb: str) -> None:
    benchmark.group = "scan 10 MB"
    spans = benchmark(ours, corpus_10mb)
    assert len(spans) > 50_000


# The adversarial inputs the foundation issue names, each at its named size and at 10x:
# 100k start tags with no close (1.5 MB), 10k-deep nesting of one tag, 1 MB of `<`.
ADVERSARIAL = {
    "unclosed": (unclosed_starts, 100_000, 0),
    "nesting": (deep_nesting, 10_000, 1),
    "all_lt": (all_lt, 1_000_000, 0),
}


@pytest.mark.parametrize("scale", [1, 10])
@pytest.mark.parametrize("kind", sorted(ADVERSARIAL))
def bench_scan_adversarial(benchmark: Any, kind: str, scale: int) -> None:
    make, size, spans_per_unit = ADVERSARIAL[kind]
    benchmark.group = f"adversarial {kind}"
    text = make(size * scale)
    spans = benchmark(scan, text, ["answer"])
    assert len(spans) == size * scale * spans_per_unit
    benchmark.extra_info["chars"] = len(text)


def bench_regex_adversarial_small(benchmark: Any) -> None:
    """The regex on 300 unclosed starts (4.5 KB): already slow, and cubic beyond."""
    benchmark.group = "adversarial unclosed (regex, small)"
    text = unclosed_starts(300)
    found = benchmark.pedantic(regex_innermost, args=(text, "answer"), rounds=1, iterations=1)
    assert found == []
    assert ours(text) == []


def test_corpus_is_deterministic() -> None:
    assert make_corpus(MB // 100) == make_corpus(MB // 100)
