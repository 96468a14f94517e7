"""Every exception rigging raises, under one root: `RiggingError`.

Parse failures also subclass `ValueError`, so a generic ``except ValueError`` keeps working.
"""

from __future__ import annotations

from typing import Any

from rigging._exports import public_dir as _public_dir
from rigging._native import FanOutError, IdentifierError, RiggingError, ScanError, SpliceError

__all__ = [
    "CompletionExhaustedMaxRoundsError",
    "ExhaustedMaxRoundsError",
    "FanOutError",
    "GenerationError",
    "IdentifierError",
    "InvalidModelSpecifiedError",
    "MessagesExhaustedMaxRoundsError",
    "MissingModelError",
    "MultipleModelsError",
    "ProcessingError",
    "RestoredError",
    "RiggingError",
    "ScanError",
    "SpliceError",
    "ToolDepthExceededError",
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


class ExhaustedMaxRoundsError(RiggingError):
    """A pipeline ran out of generation rounds before its checks were satisfied.

    This is the class to check for (``isinstance(chat.error, ExhaustedMaxRoundsError)``);
    chat and completion pipelines raise the subclasses below.

    Attributes:
        max_rounds: The round budget that was used up.
        index: Position of the item in its batch (0 for a single run), once known.
        round: The generation round the budget ran out in, once known.
    """

    def __init__(self, max_rounds: int) -> None:
        super().__init__(f"Exhausted max rounds ({max_rounds}) while generating")
        self.max_rounds = max_rounds
        self.index: int | None = None
        self.round: int | None = None


class MessagesExhaustedMaxRoundsError(ExhaustedMaxRoundsError):
    """A chat pipeline ran out of rounds; carries the dialog that was current at that point.

    Attributes:
        messages: The messages generated so far; they become the failed chat's `generated`.
    """

    def __init__(self, max_rounds: int, messages: list[Any]) -> None:
        super().__init__(max_rounds)
        self.messages = messages

    @property
    def last_message(self) -> Any:
        """The last message the model produced before the rounds ran out (or None)."""
        return self.messages[-1] if self.messages else None


class CompletionExhaustedMaxRoundsError(ExhaustedMaxRoundsError):
    """A completion pipeline ran out of rounds.

    Attributes:
        completion: The last generated text.
    """

    def __init__(self, max_rounds: int, completion: str) -> None:
        super().__init__(max_rounds)
        self.completion = completion


class ToolDepthExceededError(MessagesExhaustedMaxRoundsError):
    """A chat kept calling tools past the pipeline's ``max_depth`` (see `ChatPipeline.using`).

    Attributes:
        max_depth: The tool-round budget that was used up.
    """

    def __init__(self, max_depth: int, messages: list[Any]) -> None:
        super().__init__(max_depth, messages)
        self.max_depth = max_depth
        self.args = (
            f"Tool calls exceeded max_depth ({max_depth}): the model was still calling tools "
            f"after {max_depth} tool rounds; raise max_depth in using() or revise the prompt",
        )


class RestoredError(RiggingError):
    """Stands in for the error of a failed chat or completion loaded back from JSON.

    Exceptions cannot be rebuilt from their text, so a loaded failure keeps the message only.
    """


__dir__ = _public_dir(globals())
