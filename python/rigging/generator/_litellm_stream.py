"""Reading a litellm stream: the next chunk (within the idle limit), a break, closing it.

Used by `rigging.generator.litellm_`; nothing here imports litellm.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rigging.error import GenerationError
from rigging.generator._litellm_convert import MalformedChunkError
from rigging.generator._litellm_errors import classify_litellm_error, provider_message
from rigging.generator._remote import Failure, cause_of, clip_detail

if TYPE_CHECKING:
    from rigging.generator._owned import Owned
    from rigging.generator.chunks import StreamChunk


def _converted(
    convert: Callable[[Any, dict[str, Any]], list[StreamChunk]],
    chunk: Any,
    seen: dict[str, Any],
    model: str,
    received: int,
    redact: Callable[[str], str],
) -> list[StreamChunk]:
    """`convert(chunk, seen)`; a chunk it cannot read is a `GenerationError` of the stream.

    Its item's own error: a chunk of the wrong type handed on would fail the whole run as a
    broken generator.
    """
    try:
        return convert(chunk, seen)
    except MalformedChunkError as exc:
        problem = str(exc)
    message = f"stream from model {model!r} sent a malformed chunk after {received} "
    message += f"chunk(s): {problem}"
    raise GenerationError(redact(message), model=model, attempts=1)


async def _close(stream: Any) -> None:
    """Close a litellm stream and its HTTP response now.

    Chat streams (`CustomStreamWrapper`) close their response in ``aclose``. Text-completion
    streams (`TextCompletionStreamWrapper`) have no ``aclose``, and the async generators inside
    them end without closing the provider stream they iterate, so an abandoned completion
    would keep its connection (and the model generating) until the client is collected. For
    those, the provider stream wrappers held by the generators' frames are closed too; if
    litellm's layout changes, closing the generators is what remains.
    """
    close = getattr(stream, "aclose", None)
    if close is not None:
        await close()
        return
    generators, wrappers = [], []
    node = getattr(stream, "completion_stream", None)
    for _ in range(_MAX_STREAM_DEPTH):
        frame = getattr(node, "ag_frame", None)
        if frame is None:
            break
        generators.append(node)
        local = frame.f_locals
        wrapper = local.get("streamwrapper")
        if wrapper is not None and hasattr(wrapper, "aclose"):
            wrappers.append(wrapper)
        node = local.get("response")
    for item in (*wrappers, *generators):
        try:
            await item.aclose()
        except Exception:  # best effort: the stream is being abandoned anyway
            continue


#: Nested async generators walked by `_close` (litellm nests two).
_MAX_STREAM_DEPTH = 4


def _time_limit(timeout: Any) -> float | None:
    """The request's ``timeout`` in seconds, when it is one.

    It bounds each request as a whole (`with_deadline`), and how long a stream may go
    without a chunk.
    """
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        return None
    return float(timeout) if timeout > 0 and math.isfinite(timeout) else None


async def _next_chunk(
    iterator: Any,
    model: str,
    received: int,
    redact: Callable[[str], str],
    idle: float | None = None,
    owned: Owned | None = None,
) -> Any:
    """The next chunk of a stream, or None at its end.

    Any failure midway (transport, a cut or malformed event, a stream that ends before its
    finish reason, no chunk within `idle` seconds) becomes a `GenerationError` naming the
    provider's message: a stream is never retried once text was delivered.
    """
    if idle is not None:
        import asyncio  # here, not at the top: it adds ~25 ms to `import rigging`

        try:
            if sys.version_info >= (3, 11):
                async with asyncio.timeout(idle):
                    return await iterator.__anext__()
            # `wait_for` reads in a task of its own here: the generators it starts are the
            # stream's too.
            read = asyncio.ensure_future(iterator.__anext__())
            if owned is not None:
                owned.adopt(read)
            return await asyncio.wait_for(read, idle)
        except StopAsyncIteration:
            return None
        except asyncio.TimeoutError:
            message = f"stream from model {model!r} sent no chunk for {idle:g} s (the "
            message += f"timeout) after {received} chunk(s)"
            raise GenerationError(redact(message), model=model, attempts=1) from None
        except Exception as exc:
            failure = exc
    else:
        try:
            return await iterator.__anext__()
        except StopAsyncIteration:
            return None
        except Exception as exc:
            failure = exc
    # Raised outside the handlers: inside one, the provider's error would stay the error's
    # (suppressed but reachable) __context__, unredacted, when it is not the cause.
    raise _broken(failure, model, received, redact) from cause_of(failure, redact)


def _broken(
    exc: Exception, model: str, received: int, redact: Callable[[str], str]
) -> GenerationError:
    """The error of a stream that broke midway."""
    failure = classify_litellm_error(exc) or Failure(
        False, type(exc).__name__, detail=provider_message(exc)
    )
    message = f"stream from model {model!r} broke after {received} chunk(s): "
    message += failure.reason
    detail = clip_detail(failure.detail, redact)
    if detail:
        message += f": {detail}"
    return GenerationError(redact(message), model=model, status=failure.status, attempts=1)
