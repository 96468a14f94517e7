"""Tools a model can call: provider function calling (`rigging.tool.api`) and XML tools."""

from __future__ import annotations

import typing as t

from rigging.tool import api

__all__ = ["ToolType", "api"]

ToolType = t.Literal["api", "native"]
"""How tools are offered to a model: through the provider's API or as XML in the prompt."""
