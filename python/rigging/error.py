"""Every exception rigging raises, under one root: `RiggingError`.

Parse failures also subclass `ValueError`, so a generic ``except ValueError`` keeps working.

Every rigging error survives ``copy.copy``, ``copy.deepcopy`` and ``pickle`` (so a failed
`Chat` or `Completion` can be deep-copied, sent to another process or through a Ray task):
the copy has the same type, message and attributes (``messages``, ``max_rounds``,
``last_error``, ``round``, ``index``...) and keeps the notes added with ``add_note``. As for
any Python exception, its ``__cause__``, ``__context__`` and traceback are not carried. An
error is rebuilt from its message and attributes, never by calling its constructor again,
and a pickle carries only those: no rigging error holds a request, headers or an api key, and
texts that could repeat a key are redacted when the error is made. The ``completed`` results
a raised run error carries pickle as a pickled `Chat` does: their generator without its api key
or any other secret (in-process copies keep them; see `rigging.generator.Generator`).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import re
import typing as t
from collections.abc import Callable
from typing import Any, TypeVar

from rigging._exports import public_dir as _public_dir
from rigging._native import FanOutError, IdentifierError, RiggingError, ScanError, SpliceError

__all__ = [
    "CallbackResultError",
    "CheckpointError",
    "CompletionExhaustedMaxRoundsError",
    "ExhaustedMaxRoundsError",
    "FanOutError",
    "GenerationError",
    "IdentifierError",
    "InvalidArgumentError",
    "InvalidModelSpecifiedError",
    "MessagesExhaustedMaxRoundsError",
    "MissingModelError",
    "MultipleModelsError",
    "NothingToStripError",
    "ProcessingError",
    "RestoredError",
    "RiggingError",
    "RunNestingError",
    "ScanError",
    "SpliceError",
    "ToolDepthExceededError",
    "UnknownToolError",
    "ValidatorRaisedError",
    "XmlContentError",
    "raise_as",
]

F = TypeVar("F", bound=Callable[..., Any])

_KEY_VALUE = re.compile(
    r"""(api_key\s*=\s*)("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^,\s]*)""", re.IGNORECASE
)


def _without_key(text: str) -> str:
    """`text` with the value of any ``api_key=`` replaced by ``***``."""
    return _KEY_VALUE.sub(r"\1***", text) if "=" in text else text


def _rebuild(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """An exception of `cls` with `args` as its ``args``, made without running ``__init__``."""
    return cls.__new__(cls, *args)


def _add_note(exc: BaseException, note: str, *, replacing: str | None = None) -> None:
    """Append `note` to `exc.__notes__` (``add_note`` is 3.11+), never failing.

    Args:
        exc: The exception.
        note: The note.
        replacing: Drop earlier notes starting with this first (an exception object raised
            again, in another run, would otherwise keep notes that no longer hold).
    """
    kept = list(getattr(exc, "__notes__", None) or ())
    if replacing is not None:
        kept = [n for n in kept if not str(n).startswith(replacing)]
    with contextlib.suppress(AttributeError, TypeError):  # an exception type with __slots__
        exc.__notes__ = [*kept, note]  # type: ignore[attr-defined]


def _safe_str(error: object, *, named: bool = False) -> str:
    """``str(error)``, or the type's name when its ``__str__`` raises or gives no str.

    For every place that turns a user's, a provider's, a tool's or the OS's error into text
    (span attributes, messages, notes, feedback to the model): a broken ``__str__`` must not
    turn one item's failure into the run's. A str subclass comes back as a plain str (its
    own methods could raise later). The text is not shortened: redact it first, then clip it.

    Args:
        error: The error (any object).
        named: Give ``Type: text``: the type's name, then the text; ``Type`` alone when the
            text is empty, ``Type: <the error's text could not be built>`` when it is broken.

    Returns:
        The text.
    """
    try:
        text = str.__str__(str(error))
    except Exception:  # a broken __str__ (raises, or returns no str): name the type
        if named:
            return f"{type(error).__name__}: <the error's text could not be built>"
        return type(error).__name__
    if named:
        return f"{type(error).__name__}: {text}" if text else type(error).__name__
    return text


_FEEDBACK_LIMIT = 4000
"""Most characters of the error text a parse check, a prompt or a tool call sends back to the
model (before the clip's mark): a validation error lists every failed value, and a model
reply or a tool argument of megabytes made a feedback message of megabytes."""

_TOOL_NAME_LIMIT = 200
"""Most characters of a tool name the model wrote that an error text or a result quotes: the
name is the model's own text, of any length (a real tool's name has at most 64)."""


def _clip(text: str, limit: int) -> str:
    """`text` cut to its first `limit` characters, the cut marked with how much was left out.

    Clip after redacting: a secret cut in two would no longer be found, and its first part
    would stay. A Python str is cut between code points, so no character's UTF-8 bytes are
    split; a surrogate pair held as two code points (a high surrogate, then a low one) is not
    split either (the cut moves before it).

    Args:
        text: The text.
        limit: Most characters kept (the mark comes after them).

    Returns:
        `text` itself when it is short enough, else its head and
        `` [... N more characters clipped]``.
    """
    if len(text) <= limit:
        return text
    cut = max(limit, 0)
    if cut and "\ud800" <= text[cut - 1] <= "\udbff" and "\udc00" <= text[cut] <= "\udfff":
        cut -= 1  # a high surrogate followed by its low one: keep the pair whole
    return f"{text[:cut]} [... {len(text) - cut:,} more characters clipped]"


def _raised_while(doing: str, error: BaseException) -> str:
    """``{doing} raised Type: text``: an error other than a parse failure, as feedback.

    For the places that turn a failed validation into feedback to the model or into one
    item's failure, when validating raised something pydantic did not report as a
    validation error: a validator's `TypeError` or `KeyError`, or what pydantic-core raises
    itself when a validator's `ValueError` or `AssertionError` has a ``__str__`` that raises
    (that error comes up, with nothing linking it to the validator's) or gives no str (a
    `TypeError`). The type is always named; the text goes through `_safe_str`. A
    `ValidatorRaisedError` (a parser's report of such an error) names the original one.

    Args:
        doing: What was being done, e.g. ``validating the reply as Answer``.
        error: The error.

    Returns:
        The text.
    """
    if isinstance(error, ValidatorRaisedError):  # a parser's report of such an error
        return f"{doing} raised {error.raised}"
    return f"{doing} raised {_safe_str(error, named=True)}"


def _reduce(self: BaseException) -> tuple[Any, ...]:
    """``__reduce__`` of an exception whose ``__init__`` does not take its own ``args``.

    Python copies and unpickles an exception by calling ``type(e)(*e.args)``; for an error
    whose constructor takes other parameters (``MessagesExhaustedMaxRoundsError(max_rounds,
    messages)``) that raises or garbles the message. This rebuilds it from its ``args`` with
    `_rebuild` and restores its attributes (notes included) from ``__dict__``: the same parts
    as ``BaseException.__reduce__``, so it carries nothing more than the error holds.

    Set as ``__reduce__`` on each exception class of the package that is not a subclass of
    another one with it (subclasses inherit it).
    """
    return _rebuild, (type(self), self.args), self.__dict__ or None


class MissingModelError(RiggingError, ValueError):
    """A model's tags were not found in a text, or fewer models than required were parsed."""

    __reduce__ = _reduce

    def __init__(self, content: str) -> None:
        super().__init__(content)
        self.content = content
        """The message of the error."""


class NothingToStripError(MissingModelError, TypeError):
    """``Message.strip(..., fail_on_missing=True)`` found no part of the model to remove.

    A `MissingModelError` (so a `ValueError`) and, as 2.3 raised there, a `TypeError`:
    ``except TypeError`` from 2.3 code still catches it.
    """


class CallbackResultError(RiggingError, TypeError, ValueError):
    """A then or map callback returned what it must not.

    A then callback returns the result or None, a map callback a list of results. A
    `TypeError` and, as 2.3 raised there, a `ValueError`: either ``except`` catches it.
    """

    __reduce__ = _reduce


class InvalidArgumentError(RiggingError, TypeError, ValueError):
    """An argument or class setting that cannot be used, where 2.3 raised a `ValueError`.

    A prompt bound to something that is not a pipeline, generator, chat or generator id; a
    `Tool` subclass whose ``name`` or ``description`` is empty. A `TypeError` and, as 2.3
    raised there, a `ValueError`: either ``except`` catches it.
    """

    __reduce__ = _reduce


class MultipleModelsError(RiggingError, ValueError, TypeError):
    """One model was required but the text holds several (``one_from_text(fail_on_many=True)``).

    A `ValueError` (as every parse error) and, as 2.3 surfaced it, a `TypeError`.
    """

    __reduce__ = _reduce

    def __init__(self, content: str, *, count: int) -> None:
        super().__init__(content)
        self.count = count
        """How many models were found."""


class XmlContentError(RiggingError, ValueError):
    """A model's tag was found but what it holds is not XML the model can be read from.

    Raised for malformed markup inside a non-simple model and for entity or document-type
    declarations (``<!DOCTYPE``, ``<!ENTITY``), which are refused before any XML parser runs.
    """

    __reduce__ = _reduce

    def __init__(self, message: str, *, tag: str, position: int, snippet: str) -> None:
        super().__init__(message)
        self.tag = tag
        """The tag of the model being parsed."""
        self.position = position
        """Code-point index of the element's start tag in the parsed text."""
        self.snippet = snippet
        """A shortened copy of the offending element."""


class ValidatorRaisedError(RiggingError, ValueError):
    """Validating a model's element raised an error pydantic did not report as invalid content.

    pydantic-core raises a validator error's own ``__str__`` failure in its place (a
    `RuntimeError`, a `KeyError`, a `TypeError` when it gives no str), and a validator's
    error other than `ValueError` or `AssertionError` comes up as it is. The parsers treat
    the element as an invalid one: the ``try_`` forms skip it, the strict forms raise this
    when no element of the model is valid (the original error is its ``__cause__``). The
    message names the class, the element and the original error's type.
    """

    __reduce__ = _reduce

    def __init__(
        self, message: str, *, model: str, tag: str, position: int, snippet: str, raised: str
    ) -> None:
        super().__init__(message)
        self.model = model
        """The name of the model class being validated."""
        self.tag = tag
        """The tag of the model being parsed."""
        self.position = position
        """Code-point index of the element's start tag in the parsed text."""
        self.snippet = snippet
        """A shortened copy of the element."""
        self.raised = raised
        """The original error as ``Type: text`` (`_safe_str` with ``named=True``)."""


class InvalidModelSpecifiedError(RiggingError, ValueError):
    """A generator connection string or its values are invalid.

    The message names the problem (and the position when the string could not be parsed),
    never the full identifier, so an inline ``api_key=`` cannot leak into logs. Code written
    for 2.3 may raise it with a whole connection string (``InvalidModelSpecifiedError(model)``);
    any ``api_key=`` value in it is replaced by ``***``.

    Args:
        model: What is wrong (or, as in 2.3, the invalid connection string).
        position: Code-point index of the problem in the connection string, when known.

    Attributes:
        model: The message, with any api key masked.
        position: Code-point index of the problem in the connection string, when known.
    """

    __reduce__ = _reduce

    def __init__(self, model: str, *, position: int | None = None) -> None:
        model = _without_key(str(model))
        super().__init__(model)
        self.model = model
        self.position = position


class ProcessingError(RiggingError):
    """A generator could not build a request or read a response (for example an HTTP spec step).

    Args:
        content: What went wrong.
    """

    __reduce__ = _reduce

    def __init__(self, content: str) -> None:
        super().__init__(content)
        self.content = content
        """The message of the error."""


class UnknownToolError(RiggingError, ValueError):
    """A tool call named a tool (or a function of a `Tool`) that is not available.

    Inside a pipeline such a call is answered with an error text the model can act on; this
    error is raised when a tool is executed directly with a call meant for another tool.

    Args:
        tool_name: The name the call used.
        detail: More context for the message.
    """

    __reduce__ = _reduce

    def __init__(self, tool_name: str, *, detail: str | None = None) -> None:
        shown = _clip(tool_name, _TOOL_NAME_LIMIT)  # the model's own text: of any length
        message = f"Unknown tool call was requested for {shown!r}"
        super().__init__(f"{message} ({detail})" if detail else message)
        self.tool_name = tool_name
        """The name the call used."""


class GenerationError(RiggingError):
    """A generator gave up on a request: after its retries, or at once when retrying is useless.

    The message names the model, the attempts, the last failure and the provider's own
    message (with secrets redacted). Credential failures (401/403, no key configured) are
    not retried and say which setting to fix. A malformed answer (no choices, no message,
    content of the wrong type, not JSON) is a `GenerationError` of the item it answered.

    Attributes:
        model: The model the request was for.
        status: The HTTP status of the last attempt, if it got one.
        attempts: How many attempts were made.
        auth: Whether the request was refused for its credentials (or had none).
    """

    __reduce__ = _reduce

    def __init__(
        self,
        message: str,
        *,
        model: str,
        status: int | None = None,
        attempts: int = 1,
        auth: bool = False,
    ) -> None:
        super().__init__(message)
        self.model = model
        self.status = status
        self.attempts = attempts
        self.auth = auth


class ExhaustedMaxRoundsError(RiggingError):
    """A pipeline ran out of generation rounds before its checks were satisfied.

    This is the class to check for (``isinstance(chat.error, ExhaustedMaxRoundsError)``);
    chat and completion pipelines raise the subclasses below.

    Attributes:
        max_rounds: The round budget that was used up.
        last_error: Why the last round was rejected (the parse or validation error, or
            which check asked again), when known; also part of the message.
        index: Position of the item in its batch (0 for a single run), once known.
        round: The generation round the budget ran out in, once known.
    """

    __reduce__ = _reduce

    def __init__(self, max_rounds: int, *, last_error: str | None = None) -> None:
        message = f"Exhausted max rounds ({max_rounds}) while generating"
        if last_error:
            message += f"; last error: {last_error}"
        super().__init__(message)
        self.max_rounds = max_rounds
        self.last_error = last_error
        self.index: int | None = None
        self.round: int | None = None


class MessagesExhaustedMaxRoundsError(ExhaustedMaxRoundsError):
    """A chat pipeline ran out of rounds; carries the dialog that was current at that point.

    Attributes:
        messages: The messages generated so far; they become the failed chat's `generated`.
    """

    def __init__(
        self, max_rounds: int, messages: list[Any], *, last_error: str | None = None
    ) -> None:
        super().__init__(max_rounds, last_error=last_error)
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

    def __init__(self, max_rounds: int, completion: str, *, last_error: str | None = None) -> None:
        super().__init__(max_rounds, last_error=last_error)
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


class CheckpointError(RiggingError):
    """A batch checkpoint cannot be used (another pipeline or input set, in use, damaged).

    The message says what changed and how to start over.
    """

    __reduce__ = _reduce


class RunNestingError(RiggingError):
    """Pipeline runs nested too deeply: a tool or callback runs a pipeline that runs it again.

    Raised by the run that would pass the limit (`rigging._pipeline.base.MAX_NESTED_RUNS`);
    tools hand it on instead of turning it into an error text for the model, so it ends
    every run of the chain at once rather than letting each level retry.
    """

    __reduce__ = _reduce


class RestoredError(RiggingError):
    """Stands in for the error of a failed chat or completion loaded back from JSON.

    Exceptions cannot be rebuilt from their text, so a loaded failure keeps the message only.
    """

    __reduce__ = _reduce


def raise_as(error_type: type[Exception], message: str) -> Callable[[F], F]:
    """Decorator: any exception raised by the function becomes ``error_type(message)``.

    The original exception is chained as ``__cause__``; async functions are supported. Kept
    for 2.3 code: converting every exception hides its type, so prefer narrower handling.

    Args:
        error_type: The exception class to raise.
        message: Its message.

    Returns:
        The decorator.
    """

    def decorator(func: F) -> F:
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    return await func(*args, **kwargs)
                except Exception as exc:
                    raise error_type(message) from exc

            wrapper: Callable[..., Any] = async_wrapper
        else:

            @functools.wraps(func)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                try:
                    return func(*args, **kwargs)
                except Exception as exc:
                    raise error_type(message) from exc

            wrapper = sync_wrapper
        doc = f"{inspect.cleandoc(func.__doc__)}\n\n" if func.__doc__ else ""
        wrapper.__doc__ = f"{doc}Raises:\n    {error_type.__name__}: {message}\n"
        return t.cast("F", wrapper)

    return decorator


__dir__ = _public_dir(globals())
