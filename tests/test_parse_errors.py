import pytest
from pydantic import ValidationError

from rigging.error import MissingModelError, MultipleModelsError, RiggingError, XmlContentError
from rigging.message import Message


@pytest.mark.parametrize("cls", [MissingModelError, MultipleModelsError, XmlContentError])
def test_parse_errors_share_the_root_and_value_error(cls: type[Exception]) -> None:
    assert issubclass(cls, RiggingError)
    assert issubclass(cls, ValueError)


def test_error_attributes() -> None:
    missing = MissingModelError("nothing")
    assert missing.content == "nothing"
    assert str(missing) == "nothing"
    many = MultipleModelsError("too many", count=3)
    assert many.count == 3
    xml = XmlContentError("bad", tag="t", position=4, snippet="<t>")
    assert (xml.tag, xml.position, xml.snippet, str(xml)) == ("t", 4, "<t>", "bad")


def test_message_role_is_checked() -> None:
    with pytest.raises(ValidationError, match="Input should be 'system', 'user', 'assistant'"):
        Message("robot", "hi")  # type: ignore[arg-type]


def test_parsing_a_type_that_is_not_a_model_names_it() -> None:
    import rigging as rg
    from rigging.generator import get_generator

    with pytest.raises(TypeError, match="expected a rigging Model class, not <class 'int'>"):
        rg.parsing.try_parse_many("<answer>1</answer>", rg.model.Answer, int)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="expected a rigging Model class, not <class 'int'>"):
        rg.Message("assistant", "<answer>1</answer>").parse(int)  # type: ignore[type-var]
    pipeline = get_generator("base!x").chat("hi")
    with pytest.raises(TypeError, match="until_parsed_as takes Model classes, not <class 'int'>"):
        pipeline.until_parsed_as(int)  # type: ignore[arg-type]
