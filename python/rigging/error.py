"""Every exception rigging raises, under one root: `RiggingError`."""

from __future__ import annotations

from rigging._native import FanOutError, IdentifierError, RiggingError, SpliceError

__all__ = [
    "FanOutError",
    "GenerationError",
    "IdentifierError",
    "InvalidModelSpecifiedError",
    "ProcessingError",
    "RiggingError",
    "SpliceError",
]


class InvalidModelSpecifiedError(RiggingError, ValueError):
    """A generator connection string or its values are invalid.

    The message names the problem (and the position when the string could not be parsed),
    never the full identifier, so an inline ``api_key=`` cannot leak into logs.

    Attributes:
        position: Code-point index of the problem in the connection string, when known.
    """

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


class ProcessingError(RiggingError):
    """A generator could not build a request or read a response (for example an HTTP spec step)."""


class GenerationError(RiggingError):
    """A generator gave up on a request after its retries.

    Attributes:
        model: The model the request was for.
        status: The HTTP status of the last attempt, if it got one.
        attempts: How many attempts were made.
    """

    def __init__(
        self, message: str, *, model: str, status: int | None = None, attempts: int = 1
    ) -> None:
        super().__init__(message)
        self.model = model
        self.status = status
        self.attempts = attempts
