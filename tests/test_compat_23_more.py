"""2.3 user programs that must keep running: tools, pipeline views, module names."""

from __future__ import annotations

from typing import Annotated

import pytest

import rigging as rg
from rigging.generator.testing import ScriptedGenerator


class Forecast(rg.Tool):
    """A 2.3-style tool whose name and description are properties."""

    @property
    def name(self) -> str:  # type: ignore[override]
        return "forecast"

    @property
    def description(self) -> str:  # type: ignore[override]
        return "Weather forecasts"

    def city(self, city: Annotated[str, "The city name"]) -> str:
        """The forecast for a city."""
        return f"sunny in {city}"


async def test_a_tool_may_give_its_name_and_description_as_properties() -> None:
    description = Forecast().get_description()
    assert (description.name, description.description) == ("forecast", "Weather forecasts")
    assert [f.name for f in description.functions] == ["forecast_city"]
    generator = ScriptedGenerator(
        responses=['<tool-call name="forecast_city">{"city": "Oslo"}</tool-call>', "done"]
    )
    chat = await generator.chat("weather?").using(Forecast()).run()
    assert "sunny in Oslo" in chat.conversation
    assert chat.last.content == "done"


def test_a_property_name_is_still_checked_when_the_tool_is_used() -> None:
    class Blank(rg.Tool, description="d"):
        @property
        def name(self) -> str:  # type: ignore[override]
            return " "

        def go(self) -> str:
            return "x"

    with pytest.raises(TypeError, match=r"Blank needs a non-empty 'name'"):
        Blank().get_description()
