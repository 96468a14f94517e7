"""Every exception rigging raises, under one root: `RiggingError`."""

from __future__ import annotations

from rigging._native import FanOutError, IdentifierError, RiggingError, SpliceError

__all__ = ["FanOutError", "IdentifierError", "RiggingError", "SpliceError"]
