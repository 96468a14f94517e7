"""Property test: any text, cut anywhere, streams to the models of the one-shot parse."""

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from rigging.model import Answer, Model, Question, QuestionAnswer, attr, element
from rigging.parsing import try_parse_many
from rigging.stream import ModelStream


class Item(Model):
    name: str = attr()
    value: str = element()


_TOKENS = [
    *"ab <>/=\"' \n&",
    "é",
    "東",
    "🙂",
    "<answer>",
    "</answer>",
    "<answer/>",
    "<answer x='>'>",
    "<question>",
    "</question>",
    "<question-answer>",
    "</question-answer>",
    '<item name="n">',
    "<value>v</value>",
    "</item>",
    "<![CDATA[</answer>]]>",
    "<!-- <answer>x</answer> -->",
]
TEXT = st.lists(st.sampled_from(_TOKENS), max_size=40).map("".join)
TYPES: tuple[type[Model], ...] = (Answer, Question, QuestionAnswer, Item)


def keys(found: list[tuple[Model, slice]]) -> list[tuple[int, int, str, str]]:
    return sorted((s.start, s.stop, type(m).__name__, m.model_dump_json()) for m, s in found)


@settings(max_examples=400, deadline=None)
@given(text=TEXT, cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12))
def test_streamed_models_equal_the_one_shot_parse(text: str, cuts: list[int]) -> None:
    points = sorted({min(c, len(text)) for c in cuts} | {0, len(text)})
    pieces = [text[a:b] for a, b in itertools.pairwise(points)]
    stream = ModelStream(*TYPES)
    found: list[tuple[Model, slice]] = []
    received = 0
    for piece in pieces:
        received += len(piece)
        for item in stream.feed(piece):
            # emitted by the piece holding the closing '>'
            assert received - len(piece) < item.slice.stop <= received
            assert not item.hollow
            found.append((item.model, item.slice))
    found += [(item.model, item.slice) for item in stream.finish()]
    assert keys(found) == keys(try_parse_many(text, *TYPES))
    assert len({(s.start, s.stop, type(m)) for m, s in found}) == len(found)  # once each
