"""Building results without re-validation, for the run loop's hot path.

Inputs of a run are already validated objects; the helper lives in the model layer
(`rigging._model.fast`) because parsed parts use it too.
"""

from __future__ import annotations

from rigging._model.fast import construct

__all__ = ["construct"]
