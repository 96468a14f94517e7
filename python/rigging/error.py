"""Every exception rigging raises, under one root: `RiggingError`.

Parse failures also subclass `ValueError`, so a generic ``except ValueError`` keeps working.
"""

from __future__ import annotations

from rigging._native import FanOutError, IdentifierError, RiggingError, SpliceError

__all__ = [
    "FanOutError",
    "GenerationError",
    "IdentifierError",
    "InvalidModelSpecifiedError",
    "MissingModelError",
    "MultipleModelsError",
    "ProcessingError",
    "RiggingError",
    "SpliceError",
    "XmlContentError",
]


class MissingModelError(RiggingError, ValueError):
    """A model's tags were not found in a text, or fewer models than required were parsed."""

    def __init__(self, content: str) -> None:
        super().__init__(content)
        self.content = content
        """The message of the error."""


class MultipleModelsError(RiggingError, ValueError):
    """One model was required but the text holds several (``one_from_text(fail_on_many=True)``)."""

    def __init__(self, content: str, *, count: int) -> None:
        super().__init__(content)
        self.count = count
        """How many models were found."""


class XmlContentError(RiggingError, ValueError):
    """A model's tag was found but what it holds is not XML the model can be read from.

    Raised for malformed markup inside a non-simple model and for entity or document-type
    declarations (``<!DOCTYPE``, ``<!ENTITY``), which are refused before any XML parser runs.
    """

    def __init__(self, message: str, *, tag: str, position: int, snippet: str) -> None:
        super().__init__(message)
        self.tag = tag
        """The tag of the model being parsed."""
        self.position = position
        """Code-point index of the element's start tag in the parsed text."""
        self.snippet = snippet
        """A shortened copy of the offending element."""


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
