"""Tools from other systems (`robopages`)."""

from __future__ import annotations

from rigging.integrations.robopages import RobopagesApiTool, RobopagesTool, robopages

__all__ = ["RobopagesApiTool", "RobopagesTool", "robopages"]
