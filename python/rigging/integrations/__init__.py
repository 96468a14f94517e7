"""Tools from other systems (`robopages`)."""

from __future__ import annotations

from rigging.integrations.robopages import RobopagesTool, robopages

__all__ = ["RobopagesTool", "robopages"]
