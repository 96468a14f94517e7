"""Typed stub of `rigging._native`, the Rust core. User-facing docs of native objects live here."""

__all__ = [
    # errors
    "FanOutError",
    "IdentifierError",
    "RiggingError",
    "SpliceError",
    "__version__",
]
__version__: str

# --- errors ---------------------------------------------------------------------------------

class RiggingError(Exception):
    """Root of every exception rigging raises."""

class IdentifierError(RiggingError, ValueError):
    """A generator connection string is malformed.

    Attributes:
        position: Code-point index in the connection string where the problem was found.
    """

    position: int

class SpliceError(RiggingError, ValueError):
    """Spans given to `strip_spans` or `splice` are out of bounds or overlap."""

class FanOutError(RiggingError, RuntimeError):
    """A batch bookkeeping table was asked for an impossible state change."""
