"""Tools a model can call: Python functions, methods, `Tool` classes and prompts.

``pipeline.using(*tools)`` offers them through the provider's function calling
(`rigging.tool.api`) or, for models without a tool API, as XML in the text
(`rigging.tool.native`).
"""

from __future__ import annotations

import typing as t

from rigging._exports import public_dir as _public_dir
from rigging.tool import api, native
from rigging.tool.api import ApiTool
from rigging.tool.base import FunctionTool, Tool, ToolArgumentsError, ToolDescription, ToolResult

__all__ = [
    "ApiTool",
    "FunctionTool",
    "Tool",
    "ToolArgumentsError",
    "ToolDescription",
    "ToolResult",
    "ToolType",
    "api",
    "native",
]

ToolType = t.Literal["api", "native"]
"""How tools are offered to a model: through the provider's API or as XML in the prompt."""


__dir__ = _public_dir(globals())
