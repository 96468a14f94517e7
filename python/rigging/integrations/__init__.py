"""Tools from other systems (`robopages`)."""

from __future__ import annotations

from rigging._exports import public_dir as _public_dir
from rigging.integrations.robopages import RobopagesApiTool, RobopagesTool, robopages

__all__ = ["RobopagesApiTool", "RobopagesTool", "robopages"]


__dir__ = _public_dir(globals())
