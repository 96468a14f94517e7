"""`Prompt.stream`: the chat events of a prompt run, ending with its typed value."""

from __future__ import annotations

import typing as t
from collections.abc import Callable
from dataclasses import dataclass

from rigging._pipeline.events import ChatEvent
from rigging.prompt._targets import single_mode

if t.TYPE_CHECKING:
    from rigging._pipeline.chat import Chat
    from rigging._pipeline.stream import ChatStream
    from rigging.model import Model
    from rigging.prompt import Prompt

__all__ = ["PromptFinishedEvent", "PromptStream", "open_prompt_stream"]

R = t.TypeVar("R")


@dataclass(frozen=True, slots=True)
class PromptFinishedEvent(t.Generic[R]):
    """The last event of `Prompt.stream`: the value `Prompt.run` returns for the same output."""

    value: R
    """The parsed result."""
    chat: Chat
    """The chat it was read from."""


class PromptStream(t.Generic[R]):
    """Chat events of a prompt run, then one `PromptFinishedEvent` (see `ChatStream`).

    Attributes:
        value: The result once the iteration ended normally.
    """

    def __init__(self, chats: ChatStream, process: Callable[[Chat], R]) -> None:
        self._chats = chats
        self._process = process
        self._done = False
        self.value: R | None = None

    def __aiter__(self) -> PromptStream[R]:
        return self

    async def __aenter__(self) -> PromptStream[R]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def __anext__(self) -> ChatEvent | PromptFinishedEvent[R]:
        if self._done:
            raise StopAsyncIteration
        try:
            return await self._chats.__anext__()
        except StopAsyncIteration:
            chats = self._chats.chats
            if self._done or chats is None:  # another task ended it first, or it was closed
                self._done = True
                raise
            self._done = True
            if len(chats) != 1:
                raise ValueError(
                    f"map callbacks must keep exactly one chat in a prompt run, got {len(chats)}"
                ) from None
            value = self.value = self._process(chats[0])
            return PromptFinishedEvent(value, chats[0])

    async def aclose(self) -> None:
        """Stop the run and close its streams (see `ChatStream.aclose`)."""
        self._done = True
        await self._chats.aclose()


def _output_models(output: t.Any) -> tuple[list[type[Model]], bool]:
    """Model types an output parses, and whether each is a single value (not a list)."""
    models: list[type[Model]] = []
    single = True
    for part in getattr(output, "members", None) or (output,):
        model = getattr(part, "model", None)
        if model is None:
            continue
        models.append(model)
        single = single and "List" not in type(part).__name__
    return models, single


def open_prompt_stream(
    prompt: Prompt[t.Any, R], args: tuple[t.Any, ...], kwargs: dict[str, t.Any]
) -> PromptStream[R]:
    """The streaming form of ``prompt.run(*args, **kwargs)``.

    The output's model types are reported as they arrive. When the output is one or more
    single values (no lists), the stream closes as soon as each is parsed.

    Args:
        prompt: The prompt.
        args: Positional arguments of the call.
        kwargs: Keyword arguments of the call.

    Returns:
        The stream (not started).
    """
    base = prompt._require()
    pipeline = prompt._prepare(base, prompt.render(*args, **kwargs))
    models, single = _output_models(prompt.output)
    chats = pipeline.stream(
        models=models, stop_when_parsed=single and bool(models), on_failed=single_mode(base)
    )
    return PromptStream(chats, prompt.process)
