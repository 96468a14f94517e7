"""Chat and completion rules for the run loop: requests, `until` checks, results.

The chat rules follow the 2.3 state machine: each `until` check, in registration order,
decides on the latest message. A check that asks for another round gets up to
`max_rounds` regenerations, from the inputs alone or (with `attempt_recovery`) with the
failed message and the check's feedback appended. Completions regenerate from the same
prompt until every check accepts the text.
"""

from __future__ import annotations

import copy
import inspect
import typing as t
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from rigging._model.fast import construct
from rigging._pipeline.base import Settings, UntilSpec
from rigging._pipeline.callbacks import ToolHandler, ToolPolicy
from rigging._pipeline.chat import Chat
from rigging._pipeline.completion import Completion
from rigging._pipeline.owned import own_messages
from rigging._pipeline.parse_feedback import parse_failure
from rigging._pipeline.state import EMPTY_DIALOG, RunState
from rigging._uuid import uuid4
from rigging.error import (
    _FEEDBACK_LIMIT,
    CompletionExhaustedMaxRoundsError,
    ExhaustedMaxRoundsError,
    MessagesExhaustedMaxRoundsError,
    ToolDepthExceededError,
    _clip,
)
from rigging.generator import GeneratedMessage, GeneratedText, GenerateParams, Generator
from rigging.generator._settle import result_list
from rigging.logging import log, trace_messages, trace_str
from rigging.message import Message
from rigging.parsing import parse_many
from rigging.tracing import callback_name, tracer

__all__ = [
    "FORCE_PROMPT",
    "RECOVERY_PROMPT",
    "ChatDriver",
    "CompletionDriver",
    "ParsedAsCheck",
    "TextParsedAsCheck",
    "parse_check",
    "result_fields",
]

now = datetime.now

RECOVERY_PROMPT = "Rewrite your entire message with all the required elements."
"""Suffix of the feedback message sent when `until_parsed_as` fails with recovery on."""


def result_fields(
    state: RunState,
    content: dict[str, t.Any],
    metadata: dict[str, t.Any],
    generator: Generator,
) -> dict[str, t.Any]:
    """Every field of the result of a finished item, in the results' field order.

    Args:
        state: The item's state (its last generation gives stop reason and extra).
        content: The result's own content fields (messages or texts), in field order.
        metadata: The pipeline's metadata (copied).
        generator: The generator that ran the item.

    Returns:
        The fields, for `construct`.
    """
    last: GeneratedMessage | GeneratedText = state.last
    return {
        "uuid": uuid4(),
        "timestamp": now(),
        **content,
        "metadata": copied_metadata(metadata) if metadata else {},
        "stop_reason": last.stop_reason,
        "usage": state.usage(),
        "extra": dict(last.extra) if last.extra else {},
        "generator": generator,
        "params": state.params,
        "error": None,
        "failed": False,
    }


_SCALARS = (str, int, float, bool, type(None))


def copied_metadata(metadata: t.Mapping[str, t.Any]) -> dict[str, t.Any]:
    """A copy of the pipeline's metadata for one result, deep as the pipeline's own copies.

    A shallow copy let results share mutable values with each other and with the pipeline
    (a `then` appending to a list tag changed every chat and every later run). Scalars are
    copied as they are; a value that cannot be deep-copied (a client, a lock) is shared.
    """
    out: dict[str, t.Any] = {}
    for key, value in metadata.items():
        if type(value) in _SCALARS:
            out[key] = value
            continue
        try:
            out[key] = copy.deepcopy(value)
        except Exception:  # any failure to copy: share the value, as before
            out[key] = value
    return out


def _parse_error(message: Message, types: Sequence[type[t.Any]]) -> t.Any:
    """Parse ``message`` as all ``types``; the error model to send back, or None.

    A `ValidationErrorModel` when every failure is a pydantic validation error, else a
    `SystemErrorModel`; with several types it names each failing one (`parse_failure`). Its
    text is clipped to `rigging.error._FEEDBACK_LIMIT` characters.
    """
    failure = parse_failure(lambda: message.parse_many(*types), message.content, types)
    if failure is None:
        return None
    from rigging._model.stock import SystemErrorModel, ValidationErrorModel  # (lazy)

    validation, text = failure
    model = ValidationErrorModel if validation else SystemErrorModel
    return model(content=_clip(text, _FEEDBACK_LIMIT))


def parse_check(message: Message, types: Sequence[type[t.Any]]) -> tuple[bool, list[Message]]:
    """The `until_parsed_as` check: parse `message` as all `types`, else give feedback.

    Parsed models are recorded in the message's parts. Validation errors and parse errors
    (rigging errors, `ValueError`) become an error model sent back to the model, and so does
    any other error raised while validating (a validator's own `TypeError`, or what
    pydantic-core raises when a validator's error cannot be printed), named with its type;
    an interrupt (a `BaseException` only) propagates.

    Args:
        message: The generated message.
        types: The model types.

    Returns:
        ``(False, [message])`` when parsing worked, else ``(True, [message, feedback])``.
    """
    if not tracer.enabled:  # the usual case: no span, no attribute values to build
        error = _parse_error(message, types)
    else:
        with tracer.span("Parse as {types}", types=[m.__name__ for m in types]) as span:
            error = _parse_error(message, types)
            span.set_attribute("parsed", error is None)
            if error is not None:
                span.set_attribute("error", error.content)
    if error is None:
        return False, [message]
    return _feedback(message, error)


def _feedback(message: Message, error: t.Any) -> tuple[bool, list[Message]]:
    """A failed parse check's result: the message and the error model sent back."""
    return True, [message, Message.from_model(error, suffix=RECOVERY_PROMPT)]


@dataclass(frozen=True, slots=True)
class ParsedAsCheck:
    """A chat pipeline's `until_parsed_as` check as a 2.3 until callback.

    Calling it runs the check a run applies: ``(False, [message])`` when `message` parses as
    every type, else ``(True, [message, feedback])`` with the error sent back to the model.
    """

    types: tuple[type[t.Any], ...]
    """The pipeline's `until_types` when the view was read."""

    def __call__(self, message: Message) -> tuple[bool, list[Message]]:
        return parse_check(message, self.types)


@dataclass(frozen=True, slots=True)
class TextParsedAsCheck:
    """A completion pipeline's `until_parsed_as` check as a 2.3 until callback.

    Calling it with a text returns True (generate again) when the text does not parse as
    every type, as a run decides.
    """

    types: tuple[type[t.Any], ...]
    """The pipeline's `until_types` when the view was read."""

    def __call__(self, text: str) -> bool:
        try:
            parse_many(text, *self.types)
        except Exception:  # any parse or validation failure asks for another round
            return True
        return False


MAX_ERROR_TEXT = 1000
"""Most characters of a check's feedback kept as an exhausted error's `last_error`."""


def _shorten(text: str) -> str:
    return _clip(text.strip(), MAX_ERROR_TEXT)


def _rejection(spec: UntilSpec, message: Message, step: Sequence[Message]) -> str:
    """Why a chat check asked for another round: its feedback's error, else the check's name.

    The parse checks (`until_parsed_as`, prompts) send back an error model; its content is
    the parse or validation error. A custom check's own feedback message is used as is.
    """
    from rigging._model.stock import ErrorModel  # stock models load lazily

    for feedback in reversed(step):
        if feedback is message:
            continue
        for part in feedback.parts:
            if isinstance(part.model, ErrorModel) and isinstance(part.model.content, str):
                return _shorten(part.model.content)
        text = feedback.content if isinstance(feedback.content, str) else str(feedback)
        if text.strip():
            return _shorten(text)
    name = "until_parsed_as" if spec.callback is None else callback_name(spec.callback)
    return f"the check {name}() asked for another round"


FORCE_PROMPT = (
    "You must call at least one of the available tools before answering. Call a tool now."
)
"""Sent back when `using(force=True)` and the model answered without calling a tool."""


def _warned(error: ExhaustedMaxRoundsError, index: int) -> ExhaustedMaxRoundsError:
    """Log a warning for rounds running out (as 2.3 did) and return the error to raise."""
    log("warning", "Item {}: {}", index, error)
    return error


def _settle(state: RunState) -> None:
    """The model recovered: drop the failed tool turns marked for dropping."""
    if state.drop_from >= 0:
        state.prefix = state.prefix[: state.drop_from]
        state.drop_from = -1


def _release_choice(params: GenerateParams) -> GenerateParams:
    """After a tool round, stop forcing a tool choice (else the model could never answer)."""
    choice = params.tool_choice
    if choice is None or choice in ("auto", "none"):
        return params
    return params.model_copy(update={"tool_choice": None})


def _not_awaitable(callback: t.Any, result: t.Any) -> t.Any:
    """`result` of an until `callback`, refused if it is awaitable (the check is async).

    Registration refuses async functions; an object that returns an awaitable anyway (a
    `functools.partial` of one, say) is caught here, and its coroutine closed unawaited.

    Raises:
        TypeError: The callback returned an awaitable.
    """
    if inspect.isawaitable(result):
        close = getattr(result, "close", None)
        if close is not None:
            close()
        raise TypeError(
            f"until callback {callback_name(callback)} must be a plain (not async) function, "
            f"it returned {type(result).__name__}"
        )
    return result


class ChatDriver:
    """Chat rules: message-list requests, the until state machine, tool hook, `Chat` results."""

    def __init__(self, generator: Generator, settings: Settings) -> None:
        self.generator = generator
        self.untils = settings.untils
        self.types = settings.until_types
        self.handlers = settings.tool_handlers
        self.metadata = settings.metadata
        self.has_tools = bool(self.handlers)
        self.generated_type: type[t.Any] = GeneratedMessage
        self.tool_budget = max((h.max_rounds for h in self.handlers), default=0)
        policies = [p for h in self.handlers if (p := getattr(h, "policy", None)) is not None]
        self.forced: ToolPolicy | None = next((p for p in policies if p.force), None)
        retries = max((p.max_rounds for p in policies), default=0)
        self.budget = 1 + sum(u.max_rounds for u in self.untils) + self.tool_budget + retries

    def request(self, state: RunState) -> list[Message]:
        """Inputs, then the item's tool dialog and recovery dialog."""
        if not state.prefix and not state.running:
            return t.cast("list[Message]", state.inputs)
        return [*state.inputs, *state.prefix, *state.running]

    async def generate(
        self, requests: list[t.Any], params: list[GenerateParams]
    ) -> Sequence[GeneratedMessage | Exception]:
        """One `generate_messages_settled` call for the round (an item may fail alone)."""
        trace_messages(requests, f"Generating messages with {self.generator.model!r}")
        settled = self.generator.generate_messages_settled
        generated = result_list(await settled(requests, params), settled)
        own_messages(generated)
        trace_messages([g for g in generated if not isinstance(g, Exception)], "Generated messages")
        return generated

    async def tools(self, state: RunState, generated: GeneratedMessage) -> bool:
        """Consult tool handlers; a handled tool turn is kept and the item goes again."""
        message = generated.message
        for handler in self.handlers:
            name = callback_name(handler)
            with tracer.span("Tool handler {handler}()", handler=name, item=state.index) as span:
                results = await self.call_handler(state, handler, message)
                span.set_attribute("handled", results is not None)
                if results is not None:
                    span.set_attribute("tool_messages", len(results))
            if results is None:
                continue
            if getattr(results, "malformed", False):
                policy = getattr(handler, "policy", None) or ToolPolicy()
                return self._retry(state, policy, [message, *results])
            _settle(state)
            state.tool_rounds += 1
            if state.tool_rounds > self.tool_budget:
                raise _warned(
                    ToolDepthExceededError(self.tool_budget, [*state.prefix, message]), state.index
                )
            state.prefix = [*state.prefix, message, *results]
            state.params = _release_choice(state.params)
            return True
        if self.forced is not None and state.tool_rounds == 0:
            return self._retry(state, self.forced, [message, Message("user", FORCE_PROMPT)])
        _settle(state)
        return False

    async def call_handler(
        self, state: RunState, handler: ToolHandler, message: Message
    ) -> Sequence[Message] | None:
        """Call one tool handler on the item's generated message (streams report around it)."""
        return await handler(message)

    def _retry(self, state: RunState, policy: ToolPolicy, dialog: list[Message]) -> bool:
        """A failed tool turn: send it back (or regenerate), within `policy.max_rounds`."""
        state.tool_retries += 1
        if state.tool_retries > policy.max_rounds:
            raise _warned(
                MessagesExhaustedMaxRoundsError(policy.max_rounds, [*state.prefix, dialog[0]]),
                state.index,
            )
        if policy.attempt_recovery:
            if policy.drop_dialog and state.drop_from < 0:
                state.drop_from = len(state.prefix)
            state.prefix = [*state.prefix, *dialog]
        return True

    def _check(self, spec: UntilSpec, message: Message) -> tuple[bool, list[Message]]:
        if not tracer.enabled:
            if spec.callback is None:  # `until_parsed_as` untraced: no span to open either
                error = _parse_error(message, self.types)
                return (False, [message]) if error is None else _feedback(message, error)
            return self._run_check(spec, message)
        name = "until_parsed_as" if spec.callback is None else callback_name(spec.callback)
        with tracer.span(
            "Until with {callback}()",
            callback=name,
            max_rounds=spec.max_rounds,
            attempt_recovery=spec.attempt_recovery,
            drop_dialog=spec.drop_dialog,
        ) as span:
            again, step = self._run_check(spec, message)
            span.set_attribute("again", again)
        return again, step

    def _run_check(self, spec: UntilSpec, message: Message) -> tuple[bool, list[Message]]:
        if spec.callback is None:
            return parse_check(message, self.types)
        result = _not_awaitable(spec.callback, spec.callback(message))
        feedback = result[1] if isinstance(result, tuple) and len(result) == 2 else None
        if not (
            isinstance(feedback, (list, tuple)) and all(isinstance(m, Message) for m in feedback)
        ):
            got = type(result).__name__
            if isinstance(result, tuple) and len(result) == 2:
                got = f"(bool, {type(result[1]).__name__})"
                if isinstance(feedback, (list, tuple)):
                    bad = next(m for m in feedback if not isinstance(m, Message))
                    got = f"(bool, a list holding a {type(bad).__name__})"
            raise TypeError(
                f"until callback {callback_name(spec.callback)} must return "
                f"(bool, list[Message]), got {got}"
            )
        return bool(result[0]), list(feedback)

    def advance(self, state: RunState, generated: GeneratedMessage) -> bool:
        """Apply the until checks to a new message; True asks for another generation."""
        message = generated.message
        if state.rounds == 0:
            state.outputs = [message]
            return self._stages(state, message)
        spec = self.untils[state.stage]
        again, step = self._check(spec, message)
        if spec.attempt_recovery:
            state.running.extend(step)
        if again:
            state.last_error = _rejection(spec, message, step)
            if state.rounds >= spec.max_rounds:
                dialog = state.running[:-1] if spec.attempt_recovery else [message]
                raise _warned(
                    MessagesExhaustedMaxRoundsError(
                        spec.max_rounds, dialog, last_error=state.last_error
                    ),
                    state.index,
                )
            state.rounds += 1
            return True
        kept = step if spec.drop_dialog or not spec.attempt_recovery else state.running
        state.outputs[-1:] = kept
        state.running = EMPTY_DIALOG
        state.rounds = 0
        state.stage += 1
        return bool(state.outputs) and self._stages(state, state.outputs[-1])

    def _stages(self, state: RunState, message: Message) -> bool:
        """Run checks from the current stage on `message` until one asks for a round."""
        untils = self.untils
        while state.stage < len(untils):
            spec = untils[state.stage]
            again, step = self._check(spec, message)
            if not again:
                state.outputs[-1:] = step
                state.stage += 1
                if not state.outputs:
                    return False
                message = state.outputs[-1]
                continue
            state.last_error = _rejection(spec, message, step)
            if spec.max_rounds < 1:
                raise _warned(
                    MessagesExhaustedMaxRoundsError(
                        spec.max_rounds, [message], last_error=state.last_error
                    ),
                    state.index,
                )
            state.running = list(step) if spec.attempt_recovery else []
            state.rounds = 1
            return True
        return False

    def finish(self, state: RunState) -> Chat:
        """The chat of a finished item (built without re-validating its parts)."""
        inputs: list[Message] = state.inputs
        messages = [*inputs, *state.prefix] if state.prefix else list(inputs)
        content = {"messages": messages, "generated": state.outputs}
        return construct(Chat, result_fields(state, content, self.metadata, self.generator))

    def failed(self, state: RunState, error: BaseException) -> Chat:
        """The chat of a failed item: the kept dialog when rounds ran out, else nothing."""
        generated: list[Message] = []
        if isinstance(error, MessagesExhaustedMaxRoundsError):
            generated = [*state.outputs[:-1], *error.messages]
        chat = self.finish(state) if state.last is not None else self._empty(state)
        chat.generated = generated
        chat.failed = True
        chat.error = t.cast("Exception", error)
        return chat

    def _empty(self, state: RunState) -> Chat:
        return Chat(
            [*state.inputs, *state.prefix],
            generator=self.generator,
            params=state.params,
            metadata=dict(self.metadata),
        )


class CompletionDriver:
    """Completion rules: text requests, regenerate until every check accepts the text."""

    def __init__(self, generator: Generator, settings: Settings) -> None:
        self.generator = generator
        self.untils = settings.untils
        self.types = settings.until_types
        self.metadata = settings.metadata
        self.has_tools = False
        self.generated_type: type[t.Any] = GeneratedText
        self.max_rounds = min((u.max_rounds for u in self.untils), default=0)
        self.budget = 1 + self.max_rounds

    def request(self, state: RunState) -> str:
        """The item's prompt text."""
        return t.cast("str", state.inputs)

    async def generate(
        self, requests: list[t.Any], params: list[GenerateParams]
    ) -> Sequence[GeneratedText | Exception]:
        """One `generate_texts_settled` call for the round (an item may fail alone)."""
        trace_str(requests, f"Generating texts with {self.generator.model!r}")
        settled = self.generator.generate_texts_settled
        generated = result_list(await settled(requests, params), settled)
        trace_str([g for g in generated if not isinstance(g, Exception)], "Generated texts")
        return generated

    async def tools(self, state: RunState, generated: GeneratedText) -> bool:
        """Completions have no tool hook."""
        return False

    def _retry(self, spec: UntilSpec, prompt: str, text: str) -> str | None:
        """Why `spec` rejects the text, or None when it accepts it."""
        checked = prompt + text if spec.use_all_text else text
        if spec.callback is None:
            types = self.types
            failure = parse_failure(lambda: parse_many(checked, *types), checked, types)
            return None if failure is None else _shorten(failure[1])
        if _not_awaitable(spec.callback, spec.callback(checked)):
            return f"the check {callback_name(spec.callback)}() asked for another round"
        return None

    def advance(self, state: RunState, generated: GeneratedText) -> bool:
        """True while any check rejects the text (every check sees every text)."""
        if not self.untils:
            return False
        text = generated.text
        reasons = [self._retry(spec, state.inputs, text) for spec in self.untils]
        rejected = [r for r in reasons if r is not None]
        if not rejected:
            return False
        state.last_error = rejected[0]
        if state.rounds >= self.max_rounds:
            raise _warned(
                CompletionExhaustedMaxRoundsError(
                    self.max_rounds, text, last_error=state.last_error
                ),
                state.index,
            )
        state.rounds += 1
        return True

    def finish(self, state: RunState) -> Completion:
        """The completion of a finished item; its text is the item's own prompt."""
        last: GeneratedText = state.last
        content = {"text": state.inputs, "generated": last.text}
        fields = result_fields(state, content, self.metadata, self.generator)
        return construct(Completion, fields)

    def failed(self, state: RunState, error: BaseException) -> Completion:
        """The completion of a failed item: last text when rounds ran out, else ``""``."""
        if state.last is None:
            completion = Completion(
                state.inputs,
                "",
                generator=self.generator,
                params=state.params,
                metadata=dict(self.metadata),
            )
        else:
            completion = self.finish(state)
        if not isinstance(error, CompletionExhaustedMaxRoundsError):
            completion.generated = ""
        completion.failed = True
        completion.error = t.cast("Exception", error)
        return completion
