"""Property tests: models embedded in random prose come back exactly, with exact slices."""

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from rigging import parsing
from rigging.message import Message
from rigging.model import Model, attr, element


class FunFact(Model):
    fact: str


class Item(Model):
    name: str = attr()
    value: str = element()


_TOKENS = [
    *"abc xyz<>/=\"'&;-\n",
    "é",
    "東",
    "🙂",
    "<b>",
    "</i>",
    "<answer>",
    "<item",
    "<![CDATA[<item>]]>",
    "<!-- <fun-fact> -->",
]
PROSE = st.lists(st.sampled_from(_TOKENS), max_size=30).map("".join)
CONTENT = st.text(
    alphabet=st.characters(blacklist_characters="<&", blacklist_categories=("Cs", "Cc")),
    min_size=1,
    max_size=20,
).filter(lambda text: text.strip() != "")
NAME = st.text(alphabet="abcdefghij 东🙂", min_size=1, max_size=8)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, list[Model]]:
    count = draw(st.integers(min_value=0, max_value=6))
    pieces = [draw(PROSE)]
    models: list[Model] = []
    for _ in range(count):
        if draw(st.booleans()):
            model: Model = FunFact(fact=draw(CONTENT))
        else:
            # An empty value reads back as "" (it was "Field required" before).
            value = draw(st.one_of(st.just(""), CONTENT.map(lambda c: c.replace(">", "").strip())))
            model = Item(name=draw(NAME), value=value)
        models.append(model)
        pieces.extend([model.to_pretty_xml(), draw(PROSE)])
    text = "".join(pieces)
    visible = text.replace("<!-- <fun-fact> -->", "").replace("<![CDATA[<item>]]>", "")
    for tag in ("fun-fact", "item"):
        assume(visible.count(f"<{tag}") == sum(model.__xml_tag__ == tag for model in models))
    return text, models


def _kept(models: list[Model]) -> list[Model]:
    """The models parsing keeps: per type, hollow ones only when the type has no filled one.

    An `Item` is hollow when neither its name nor its value has a visible character (the
    codec read no visible text from it); a `FunFact` never is here (its text is not blank).
    """

    def hollow(model: Model) -> bool:
        return isinstance(model, Item) and not (model.name.strip() or model.value.strip())

    kept: list[Model] = []
    for model_type in (FunFact, Item):
        of_type = [model for model in models if isinstance(model, model_type)]
        filled = [model for model in of_type if not hollow(model)]
        kept.extend(filled or of_type)
    return [model for model in models if any(model is k for k in kept)]


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_parse_set_finds_exactly_the_embedded_models(doc: tuple[str, list[Model]]) -> None:
    text, models = doc
    for model_type in (FunFact, Item):
        expected = [model for model in _kept(models) if isinstance(model, model_type)]
        found = parsing.try_parse_set(text, model_type)
        assert [model for model, _ in found] == expected
        assert [text[sl] for _, sl in found] == [model.to_pretty_xml() for model in expected]


@settings(max_examples=100, suppress_health_check=[HealthCheck.too_slow])
@given(documents())
def test_message_parts_survive_parse_and_strip(doc: tuple[str, list[Model]]) -> None:
    text, models = doc
    message = Message.model_validate({"role": "assistant", "content": text})  # no dedent
    message.try_parse_many(FunFact, Item)
    assert message.content == text
    kept = _kept(models)
    assert message.models == kept
    removed = message.strip(FunFact)
    assert len(removed) == sum(isinstance(model, FunFact) for model in kept)
    assert [message.content[part.slice_] for part in message.parts] == [
        model.to_pretty_xml() for model in kept if isinstance(model, Item)
    ]
