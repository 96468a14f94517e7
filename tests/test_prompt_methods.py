# mypy: disable-error-code="empty-body"
# (a prompt function's body is its docstring: see the rg.prompt docs)
"""Prompt functions on methods, sync and async functions, and the typed run helpers."""

from __future__ import annotations

import pytest

import rigging as rg
from rigging.generator.testing import ScriptedGenerator


def gen(*responses: str) -> ScriptedGenerator:
    return ScriptedGenerator(responses=list(responses))


class Librarian:
    def __init__(self, shelf: str) -> None:
        self.shelf = shelf

    @rg.prompt(generator=gen("<str>Dune</str>", "<str>Emma</str>"))
    async def pick(self, genre: str) -> str:
        """Pick one book."""

    @rg.prompt
    def count(self, genre: str) -> int:
        """Count the books."""


async def test_method_prompt_binds_the_instance_and_keeps_it_out_of_the_inputs() -> None:
    librarian = Librarian("B7")
    assert [i.name for i in Librarian.pick.inputs] == ["genre"]
    assert librarian.pick.render("scifi") == (
        "Pick one book.\n\n<genre>scifi</genre>\n\n"
        "Produce the following output (use xml tags):\n\n<str></str>\n"
    )
    assert await librarian.pick("scifi") == "Dune"
    # Through the class the instance is passed like any method's.
    assert await Librarian.pick(librarian, "classic") == "Emma"


async def test_method_prompt_binding_is_per_instance_and_stores_nothing_on_it() -> None:
    """A bound copy used to be kept in the instance's `__dict__`, which made the instance
    unpicklable (pickle found a prompt where it looked for the function)."""
    import copy
    import pickle

    first, second = Librarian("A1"), Librarian("Z9")
    assert first.pick is not first.pick  # a new bound copy per read, as for methods
    assert first.pick.receiver_ == first.pick.receiver_ == (first,)
    assert "pick" not in vars(first)
    assert pickle.loads(pickle.dumps(first)).shelf == "A1"
    assert copy.deepcopy(first).shelf == "A1"
    assert first.pick.receiver_ == (first,)
    assert second.pick.receiver_ == (second,)
    assert Librarian.pick.receiver_ == ()


async def test_sync_method_prompt_binds_to_a_generator() -> None:
    librarian = Librarian("C3")
    count = librarian.count.bind(gen("<int>12</int>"))
    assert await count("poetry") == 12
    many = librarian.count.bind_many(gen("<int>1</int>", "<int>2</int>"))
    assert await many(2, genre="poetry") == [1, 2]


def test_a_first_parameter_named_self_with_a_type_is_an_input() -> None:
    @rg.prompt
    def echo(self: str) -> str:
        """Echo."""

    assert [i.name for i in echo.inputs] == ["self"]


def test_a_plain_prompt_read_through_an_instance_is_not_rebound() -> None:
    @rg.prompt
    def shout(text: str) -> str:
        """Shout."""

    class Holder:
        fn = shout

    # Statically every prompt read through an instance is bound; at run time only a method
    # prompt (an unannotated first parameter) is.
    assert Holder().fn is shout  # type: ignore[comparison-overlap]


async def test_sync_and_async_functions_give_the_same_prompt() -> None:
    @rg.prompt(generator=gen("<int>3</int>"))
    def sync_count(text: str) -> int:
        """Count."""

    @rg.prompt(generator=gen("<int>4</int>"))
    async def async_count(text: str) -> int:
        """Count."""

    assert await sync_count("a b c") == 3
    assert await async_count("a b c d") == 4


async def test_make_prompt_without_and_with_a_return_type() -> None:
    hello = rg.make_prompt("Say hello.", generator=gen("<str>hi</str>"))
    number = rg.make_prompt("Pick.", int, generator=gen("<int>7</int>"))
    assert await hello() == "hi"
    assert await number() == 7


def test_method_prompt_with_a_missing_argument_names_it() -> None:
    with pytest.raises(TypeError, match="genre"):
        Librarian("A").pick.render()  # type: ignore[call-arg]


def test_a_docstring_reading_self_is_refused_at_decoration() -> None:
    """jinja reserves `self` for the template: `{{ self.persona }}` failed at every call with
    "'jinja2.runtime.TemplateReference object' has no attribute 'persona'"."""
    with pytest.raises(ValueError, match=r"prompt ask\(\): docstring uses `self`, which jinja"):

        class Agent:
            persona = "a pirate"

            @rg.prompt
            async def ask(self, question: str) -> str:
                """You are {{ self.persona }}. Answer {{ question }}."""
