"""Fixed-seed corpora of realistic model output, shared by the benches and the tests.

The text mixes prose, markdown, code fences full of ``<`` and ``>``, stray and unclosed tags,
attributes (some with a quoted ``>``), nested models, CDATA and non-ASCII text (accents, CJK,
emoji), with many well-formed tags of the names in ``TAGS``.
"""

from __future__ import annotations

import random

__all__ = [
    "MB",
    "TAGS",
    "all_lt",
    "deep_nesting",
    "make_corpus",
    "unclosed_starts",
]

MB = 1_000_000
TAGS = ("answer", "thinking", "fun-fact", "question", "tool_calls", "item.v2")

_WORDS = (
    "the model said that a value of 3 < 4 and 5 > 2 holds, which is fine "
    "café naïve déjà vu 東京 北京 données über straße 🙂 🚀 ∑ λ → ≤ ≥ "
    "rigging parses structured output from language models while they write text"
).split()

_CODE = (
    "```python\nfor i in range(10):\n    if i < 5 and i > 2:\n        print(f'<{i}>')\n```\n",
    '```html\n<div class="x"><p>Hello &amp; <b>bye</b></p></div>\n```\n',
    "```rust\nfn lt<T: Ord>(a: T, b: T) -> bool { a < b }\n```\n",
)


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(6, 18))
    return " ".join(words).capitalize() + ". "


def _fragment(rng: random.Random) -> str:
    kind = rng.randrange(14)
    if kind < 4:
        return _sentence(rng)
    if kind == 4:
        return f"\n## {_sentence(rng).strip()}\n\n- {_sentence(rng)}\n- {_sentence(rng)}\n"
    if kind == 5:
        return rng.choice(_CODE)
    if kind == 6:
        return f"<answer>{_sentence(rng).strip()}</answer>\n"
    if kind == 7:
        return f"<thinking>\n{_sentence(rng)}{_sentence(rng)}\n</thinking>\n"
    if kind == 8:
        n = rng.randint(1, 99)
        return f"<fun-fact source=\"wiki > blog\" n='{n}'>{_sentence(rng)}</fun-fact>"
    if kind == 9:
        return "Use <answer> tags for the reply, like <answer></answer>. "
    if kind == 10:
        inner = f"<question>{_sentence(rng)}</question><answer>{_sentence(rng)}</answer>"
        return f"<question-answer>{inner}</question-answer>\n"
    if kind == 11:
        return (
            '<tool_calls><call tool="calc" function="add"><parameter name="x">1</parameter>'
            '<parameter name="y" value="2"/></call></tool_calls>\n'
        )
    if kind == 12:
        cdata = "<![CDATA[ raw </item.v2> and <answer> inside ]]>"
        return f"<item.v2>{cdata}</item.v2> {_sentence(rng)}"
    return f"a < b, <br> and <answers>{_sentence(rng)}</answers> <answer-key>x</answer-key> "


def make_corpus(size: int, seed: int = 1234) -> str:
    """Return about ``size`` characters of realistic model output, the same for the same seed."""
    rng = random.Random(seed)
    parts: list[str] = []
    total = 0
    while total < size:
        piece = _fragment(rng)
        parts.append(piece)
        total += len(piece)
    return "".join(parts)


def unclosed_starts(count: int, tag: str = "answer") -> str:
    """``count`` start tags of ``tag`` with text between them and no closing tag."""
    return f"<{tag}> x > y " * count


def deep_nesting(depth: int, tag: str = "answer") -> str:
    """One tag nested in itself ``depth`` times."""
    return f"<{tag}>" * depth + "core" + f"</{tag}>" * depth


def all_lt(size: int) -> str:
    """``size`` characters of ``<``."""
    return "<" * size
