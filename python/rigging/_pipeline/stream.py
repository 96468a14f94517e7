"""Streaming pipelines: the run loop of `run()`, fed by the generator's streaming methods.

Chats stream through `Generator.stream_messages`, completions through `stream_texts`.
`stream()`, `stream_many()` and `stream_batch()` run the very loop `run()`, `run_many()` and
`run_batch()` use (`rigging._pipeline.run.execute`), with a driver whose generation step
streams each item and reports events as they happen. Checks, tool handlers, failure modes,
`map`/`then` callbacks and the building of results are therefore the same code, and the final
results equal what the non-streamed runners return for the same output.

The loop runs in a task of its own; `ChatStream` / `CompletionStream` hands its events to the
consumer. Breaking out of the iteration and closing it (`aclose`, ``async with``), or
cancelling the consuming task, cancels that task, which closes every open model stream (and
its HTTP response).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import typing as t
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

import typing_extensions as te

from rigging._message.tool_calls import unique_call_ids
from rigging._model.stream import ModelStream
from rigging._pipeline.batch import fit_params
from rigging._pipeline.drivers import ChatDriver, CompletionDriver
from rigging._pipeline.events import (
    ChatEvent,
    ChatFinishedEvent,
    CompletionEvent,
    CompletionFinishedEvent,
    ModelParsedEvent,
    RoundFinishedEvent,
    TextDeltaEvent,
    ToolCallFinishedEvent,
    ToolCallStartedEvent,
)
from rigging._pipeline.run import RunPlan, check_limit, execute, plan_run
from rigging._pipeline.state import FailMode, RunState
from rigging._surrogates import SurrogatePairs
from rigging._tasks import own_exit_fails
from rigging.error import GenerationError
from rigging.generator import Generator
from rigging.generator._remote import gather_settled
from rigging.generator._settle import stray_cancel
from rigging.generator.chunks import MessageAssembler, TextDelta, chunk_problem
from rigging.generator.results import GeneratedT
from rigging.tool.native import NativeToolHandler, find_calls

if t.TYPE_CHECKING:
    from rigging._pipeline.base import PipelineBase, Settings
    from rigging._pipeline.callbacks import ToolHandler
    from rigging._pipeline.chat import Chat
    from rigging._pipeline.completion import Completion
    from rigging.generator import GeneratedMessage, GeneratedText, GenerateParams
    from rigging.generator.chunks import StreamChunk
    from rigging.message import Message
    from rigging.model import Model

__all__ = [
    "ChatStream",
    "CompletionStream",
    "EventStream",
    "RoundStreamer",
    "StreamingChatDriver",
    "StreamingCompletionDriver",
    "open_stream",
]

Emit = Callable[[t.Any], None]
"""Queues one event (`ChatEvent` or `CompletionEvent`)."""

EventT = t.TypeVar("EventT")
ResultT = t.TypeVar("ResultT")


async def stream_round(
    emit: Emit,
    index: int,
    round_: int,
    stream: AsyncIterator[StreamChunk],
    types: tuple[type[Model], ...],
    stop_when_parsed: bool,
    source: Callable[..., t.Any] | None = None,
) -> tuple[MessageAssembler, bool]:
    """Consume one generation's stream, emitting text and parsed models as they arrive.

    Args:
        emit: Queues an event.
        index: The item's index.
        round_: The item's round.
        stream: The chunks (what `source` returned).
        types: The model types to parse.
        stop_when_parsed: Close the stream once every type was parsed.
        source: The streaming method, named by errors.

    Returns:
        The assembled chunks and whether the stream was closed early (every type parsed).

    Raises:
        GenerationError: The stream is not async iterable, yielded something that is not a
            stream chunk or a chunk after its `StreamFinish`, or ended without one (the item
            fails alone; ``catch(GenerationError)`` keeps it).
    """
    _check_stream(stream, source)
    parser = ModelStream(*types) if types else None
    assembler = MessageAssembler()
    pairs = SurrogatePairs()  # the events, the parser and the message see whole characters
    stopped = False

    def text_arrived(text: str) -> bool:
        """Hand a piece of text on; True when every type asked for has been parsed."""
        assembler.add(TextDelta(text))
        emit(TextDeltaEvent(index, round_, text))
        if parser is None:
            return False
        # An element whose validation raised is skipped by the parser, as an invalid one
        # (the until check names the error).
        for found in parser.feed(text):
            emit(ModelParsedEvent(index, round_, found.model, found.slice))
        return stop_when_parsed and parser.complete()

    try:
        async for chunk in stream:
            _check_chunk(assembler, chunk, source)
            if not isinstance(chunk, TextDelta):
                assembler.add(chunk)
                continue
            text = pairs.push(chunk.text)
            if text and text_arrived(text):
                stopped = True
                break
    finally:  # closes the provider stream (its HTTP response) now, not at collection
        close = getattr(stream, "aclose", None)
        if close is not None:
            await close()
    if assembler.finish is None and not stopped:  # cut off: its text is not the answer
        raise _stream_error(source, "ended without a StreamFinish (the stream was cut off)")
    rest = pairs.flush()
    if rest and not stopped:
        text_arrived(rest)  # the stream has ended: whatever this completes, it was not cut
    if parser is not None and not stopped:
        for found in parser.finish():
            emit(ModelParsedEvent(index, round_, found.model, found.slice))
    return assembler, stopped


def _check_stream(stream: object, source: Callable[..., t.Any] | None) -> None:
    """Raise a `GenerationError` unless `stream` (what `source` returned) is async iterable."""
    if isinstance(stream, AsyncIterable):
        return
    if inspect.iscoroutine(stream):
        stream.close()  # never awaited: no "coroutine was never awaited" warning
    raise _stream_error(source, f"returned {type(stream).__name__}, not an async iterable")


def _check_chunk(
    assembler: MessageAssembler, chunk: object, source: Callable[..., t.Any] | None
) -> None:
    """Raise a `GenerationError` unless `chunk` is a well-formed chunk that may come now.

    A stream ends with exactly one `StreamFinish`: a chunk after it (a second finish
    included) is a broken stream, as much as a stream without one, or a chunk whose fields
    have the wrong types (a `TextDelta` of bytes).
    """
    problem = chunk_problem(chunk)
    if problem is not None:
        raise _stream_error(source, problem)
    if assembler.finish is not None:
        raise _stream_error(
            source, f"yielded a {type(chunk).__name__} after its StreamFinish (the end)"
        )


def _stream_error(source: Callable[..., t.Any] | None, problem: str) -> GenerationError:
    """A `GenerationError` naming the streaming method `source` and what went wrong."""
    generator = getattr(source, "__self__", None)
    name = getattr(source, "__qualname__", None) or "the stream"
    return GenerationError(f"{name} {problem}", model=str(getattr(generator, "model", "") or ""))


def _streams(generator: Generator, method: str) -> bool:
    """Whether `generator` overrides the one-chunk default of `method`.

    The default delivers a whole, already paid-for answer in one chunk: stopping it early would
    only lose its stop reason and usage.
    """
    return getattr(type(generator), method) is not getattr(Generator, method)


class RoundStreamer(t.Generic[GeneratedT]):
    """The generation step of a streaming driver.

    Each item of a round is streamed concurrently, its events emitted, and its chunks
    assembled into the driver's result type.
    """

    def __init__(
        self,
        emit: Emit,
        types: Sequence[type[Model]],
        stop_when_parsed: bool,
        open_stream: Callable[[t.Any, GenerateParams], AsyncIterator[StreamChunk]],
        assemble: Callable[[MessageAssembler, bool], GeneratedT],
    ) -> None:
        self.emit = emit
        self.parse_types = tuple(types)
        self.stop_when_parsed = stop_when_parsed
        self.rounds: dict[int, int] = {}
        self._open = open_stream
        self._assemble: Callable[[MessageAssembler, bool], GeneratedT] = assemble

    async def generate(
        self, requests: list[tuple[int, t.Any]], params: list[GenerateParams]
    ) -> list[GeneratedT | Exception]:
        """Stream every item of the round concurrently; a failed stream fails its item alone."""
        return await gather_settled(
            [self._one(i, item, p) for (i, item), p in zip(requests, params, strict=True)]
        )

    async def _one(self, index: int, item: t.Any, params: GenerateParams) -> GeneratedT:
        round_ = self.rounds[index] = self.rounds.get(index, 0) + 1
        streamed = stream_round(
            self.emit,
            index,
            round_,
            self._open(item, params),
            self.parse_types,
            self.stop_when_parsed,
            self._open,
        )
        assembler, stopped = await own_exit_fails(
            streamed, lambda raised: stray_cancel(self._open, raised)
        )
        try:
            generated = self._assemble(assembler, stopped)
        except ValueError as exc:  # pydantic's: a usage or extra dict that fits no result
            raise _stream_error(self._open, f"yielded chunks that build no result: {exc}") from None
        self.emit(RoundFinishedEvent(index, round_, generated, stopped))
        return generated


class StreamingChatDriver(ChatDriver):
    """Chat rules of `ChatDriver`, with each generation streamed and reported as events."""

    def __init__(
        self,
        generator: Generator,
        settings: Settings,
        emit: Emit,
        types: Sequence[type[Model]],
        stop_when_parsed: bool,
    ) -> None:
        super().__init__(generator, settings)
        self.streamer = RoundStreamer(
            emit,
            types,
            stop_when_parsed and _streams(generator, "stream_messages"),
            generator.stream_messages,
            lambda assembler, stopped: assembler.result(stopped_early=stopped),
        )

    def request(self, state: RunState) -> tuple[int, list[Message]]:  # type: ignore[override]
        """The item's messages, tagged with its index for the events."""
        return state.index, super().request(state)

    async def generate(
        self, requests: list[t.Any], params: list[GenerateParams]
    ) -> list[GeneratedMessage | Exception]:
        """Stream every item of the round concurrently (see `RoundStreamer`)."""
        return await self.streamer.generate(requests, params)

    async def tools(self, state: RunState, generated: GeneratedMessage) -> bool:
        """Run the tool handlers, reporting each API call before and after (see `call_handler`)."""
        calls = generated.message.tool_calls or []
        if not calls:
            return await super().tools(state, generated)
        if self.handlers:  # the ids the events report are the ones the answers name
            unique_call_ids(calls)
        emit = self.streamer.emit
        round_ = self.streamer.rounds.get(state.index, 1)
        for call in calls:
            emit(ToolCallStartedEvent(state.index, round_, call))
        before = len(state.prefix)
        again = await super().tools(state, generated)
        answers = {m.tool_call_id: m for m in state.prefix[before:] if m.tool_call_id}
        for call in calls:
            emit(ToolCallFinishedEvent(state.index, round_, call, answers.get(call.id)))
        return again

    async def call_handler(
        self, state: RunState, handler: ToolHandler, message: Message
    ) -> Sequence[Message] | None:
        """Call one tool handler; native calls are reported before and after it runs.

        Native calls share one results message: each call's finished event carries it (None
        when nothing ran). API calls are reported by `tools`.
        """
        if not isinstance(handler, NativeToolHandler) or message.role != "assistant":
            return await super().call_handler(state, handler, message)
        calls = [c.as_tool_call(i) for i, c in enumerate(find_calls(message.content))]
        round_ = self.streamer.rounds.get(state.index, 1)
        for call in calls:
            self.streamer.emit(ToolCallStartedEvent(state.index, round_, call))
        results = await super().call_handler(state, handler, message)
        answer = results[0] if results else None
        for call in calls:
            self.streamer.emit(ToolCallFinishedEvent(state.index, round_, call, answer))
        return results


class StreamingCompletionDriver(CompletionDriver):
    """Completion rules of `CompletionDriver`, with each generation streamed as events."""

    def __init__(
        self,
        generator: Generator,
        settings: Settings,
        emit: Emit,
        types: Sequence[type[Model]],
        stop_when_parsed: bool,
    ) -> None:
        super().__init__(generator, settings)
        self.streamer = RoundStreamer(
            emit,
            types,
            stop_when_parsed and _streams(generator, "stream_texts"),
            generator.stream_texts,
            lambda assembler, stopped: assembler.text_result(stopped_early=stopped),
        )

    def request(self, state: RunState) -> tuple[int, str]:  # type: ignore[override]
        """The item's prompt, tagged with its index for the events."""
        return state.index, super().request(state)

    async def generate(
        self, requests: list[t.Any], params: list[GenerateParams]
    ) -> list[GeneratedText | Exception]:
        """Stream every item of the round concurrently (see `RoundStreamer`)."""
        return await self.streamer.generate(requests, params)


class _End:
    """Marks the end of the event queue."""


_END = _End()


class EventStream(t.Generic[EventT, ResultT]):
    """The events of a streamed pipeline run, as an async iterator.

    Iterate with ``async for``; the last events are one finished event per result. Nothing is
    sent before the first ``__anext__``. Use ``async with`` (or call `aclose`) to stop early:
    the run is cancelled and every open model stream closed before `aclose` returns.
    Cancelling the task that iterates does the same. An error of the run is raised from the
    iteration. Several tasks may iterate one stream: each event goes to one of them, and each
    one's iteration ends with the run; a task iterating while another closes the stream ends
    its iteration quietly (it is not cancelled).

    Attributes:
        results: The final results once the iteration ended normally, else None.
    """

    def __init__(
        self,
        run: Callable[[Emit], Awaitable[list[ResultT]]],
        finished: Callable[[int, ResultT], EventT],
    ) -> None:
        self._run = run
        self._finished = finished
        self._queue: asyncio.Queue[EventT | _End] = asyncio.Queue()
        self._task: asyncio.Task[list[ResultT] | _Interrupted] | None = None
        self._closed = False
        self.results: list[ResultT] | None = None

    def __aiter__(self) -> te.Self:
        return self

    async def __aenter__(self) -> te.Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def __anext__(self) -> EventT:
        if self._closed:
            raise StopAsyncIteration
        if self._task is None:
            # The task must not reference the stream, so a dropped stream is collected.
            self._task = asyncio.get_running_loop().create_task(
                _produce(self._run, self._queue, self._finished)
            )
        try:
            item = await self._queue.get()
        except BaseException:  # the consumer was cancelled: stop the run with it
            await self.aclose()
            raise
        if isinstance(item, _End):
            self._queue.put_nowait(item)  # for any other task iterating this stream
            self._closed = True
            await asyncio.wait((self._task,))  # done once it queued the end, or just after
            self._end(self._task)
        return item

    def _end(self, task: asyncio.Task[list[ResultT] | _Interrupted]) -> t.NoReturn:
        """End the iteration once the run's task is done: its error, or StopAsyncIteration.

        A run stopped by `aclose` (from whichever task) ends the iteration quietly: its
        `CancelledError` is not the iterating task's. An interrupt is raised once, in the
        first task to see it.
        """
        if task.cancelled():
            raise StopAsyncIteration
        outcome = task.result()
        if isinstance(outcome, _Interrupted):  # raised here, from the consumer's task
            if outcome.raised:
                raise StopAsyncIteration
            raise outcome.take()
        self.results = outcome
        raise StopAsyncIteration

    async def aclose(self) -> None:
        """Stop the run (if still going) and wait until its streams are closed.

        Raises:
            KeyboardInterrupt: The run was interrupted before it was stopped (a `SystemExit`
                likewise): a consumer that stops early must not lose it. Raised once.
        """
        self._closed = True
        task = self._task
        if task is None:
            return
        if not task.done():
            task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        if task.cancelled() or task.exception() is not None:
            return
        outcome = task.result()
        if isinstance(outcome, _Interrupted) and not outcome.raised:
            raise outcome.take()

    def __del__(self) -> None:
        # Dropped unread: stop the run, and take its error (one it ended with after the
        # consumer left), which no one will read, so asyncio does not log it as never
        # retrieved.
        task = self._task
        if task is None:
            return
        if task.done():
            _retrieve(task)
            return
        task.add_done_callback(_retrieve)
        with contextlib.suppress(RuntimeError):  # its loop is already closed
            task.cancel()


def _retrieve(task: asyncio.Task[t.Any]) -> None:
    """Mark the error of a finished run that nobody reads as retrieved."""
    if not task.cancelled():
        task.exception()


class ChatStream(EventStream[ChatEvent, "Chat"]):
    """The events of a streamed chat pipeline run (`ChatPipeline.stream` and friends).

    The last events are one `ChatFinishedEvent` per result; see `EventStream`.
    """

    def __init__(self, run: Callable[[Emit], Awaitable[list[Chat]]]) -> None:
        super().__init__(run, ChatFinishedEvent)

    @property
    def chats(self) -> list[Chat] | None:
        """The final chats once the iteration ended normally, else None."""
        return self.results


class CompletionStream(EventStream[CompletionEvent, "Completion"]):
    """The events of a streamed completion pipeline run (`CompletionPipeline.stream` etc.).

    The last events are one `CompletionFinishedEvent` per result; see `EventStream`.
    """

    def __init__(self, run: Callable[[Emit], Awaitable[list[Completion]]]) -> None:
        super().__init__(run, CompletionFinishedEvent)

    @property
    def completions(self) -> list[Completion] | None:
        """The final completions once the iteration ended normally, else None."""
        return self.results


@dataclass(slots=True)
class _Interrupted:
    """A `KeyboardInterrupt` or `SystemExit` of the run, carried out of its task."""

    error: BaseException
    raised: bool = False
    """Whether the stream raised it already (the end of the iteration or `aclose`)."""

    def take(self) -> BaseException:
        """The error, to raise now (it counts as raised from here on)."""
        self.raised = True
        return self.error


async def _produce(
    run: Callable[[Emit], Awaitable[list[ResultT]]],
    queue: asyncio.Queue[EventT | _End],
    finished: Callable[[int, ResultT], EventT],
) -> list[ResultT] | _Interrupted:
    """Run the pipeline, queueing its events, then the finished events and the end marker.

    This runs in a task of its own: a `KeyboardInterrupt` or `SystemExit` raised in a task
    stops the event loop from there (the consumer got a bare `CancelledError`, and
    ``asyncio.run`` raised the interrupt again after the caller handled it), so it leaves
    the task boxed in `_Interrupted` and the stream raises it from the consumer's task.
    """
    try:
        results = await run(queue.put_nowait)
        for index, result in enumerate(results):
            queue.put_nowait(finished(index, result))
        return results
    except (Exception, asyncio.CancelledError):
        raise
    except BaseException as exc:
        return _Interrupted(exc)
    finally:
        queue.put_nowait(_END)


def _types(
    pipeline: PipelineBase[t.Any, t.Any, t.Any],
    models: Sequence[type[Model]],
    stop_when_parsed: bool | None,
) -> tuple[tuple[type[Model], ...], bool]:
    until = pipeline.settings.until_types
    types = tuple(dict.fromkeys((*until, *models)))
    stop = bool(until) if stop_when_parsed is None else stop_when_parsed
    if stop and not types:
        raise ValueError(
            "stop_when_parsed=True needs model types: register until_parsed_as(...) or pass "
            "models=(...)"
        )
    return types, stop


def open_stream(
    pipeline: PipelineBase[ResultT, t.Any, t.Any],
    inputs: Sequence[t.Any],
    params: Sequence[GenerateParams | None] | None,
    mode: FailMode,
    *,
    models: Sequence[type[Model]] = (),
    stop_when_parsed: bool | None = None,
    max_concurrency: int | None = None,
) -> t.Any:
    """The event stream running `inputs` through `pipeline` (the streaming `_run_items`).

    Args:
        pipeline: The pipeline (its settings are read now).
        inputs: The input of each item (a conversation, or a prompt text).
        params: Per-item params (merged over the pipeline's), or None.
        mode: The failure mode.
        models: Model types to report besides the pipeline's `until_parsed_as` types.
        stop_when_parsed: Close each stream once a filled model of every type was parsed
            (None: when the pipeline has `until_parsed_as` types).
        max_concurrency: Most items streamed at once per round.

    Returns:
        The stream (not started): a `ChatStream` or `CompletionStream`.

    Raises:
        ValueError: ``stop_when_parsed=True`` without model types, or a bad
            ``max_concurrency`` or params count.
    """
    types, stop = _types(pipeline, models, stop_when_parsed)
    check_limit(max_concurrency)
    fitted = fit_params(pipeline.params, params, len(inputs))
    generator = pipeline.generator
    settings = pipeline.settings
    driver_type, stream_type = pipeline._streaming()

    async def run(emit: Emit) -> list[ResultT]:
        driver = driver_type(generator, settings, emit, types, stop)
        plan: RunPlan[ResultT] = plan_run(
            driver, settings, inputs, fitted, mode, limit=max_concurrency
        )
        results = await execute(plan)
        return await pipeline._finalize(results, mode)

    return stream_type(run)
