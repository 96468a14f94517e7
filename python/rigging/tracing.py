"""Tracing with logfire: spans cost (almost) nothing until logfire is configured.

``tracer.span(template, **attributes)`` opens a span; ``span.set_attribute(key, value)`` adds to
it. Once the application has imported logfire (the ``rigging[tracing]`` extra) and called
``logfire.configure()``, rigging's spans are exported under the otel scope ``rigging``. Until
then every span is a shared no-op object: rigging imports neither logfire nor ``logfire-api``
before that (``logfire-api`` imports an installed logfire eagerly), so
``import rigging`` stays light and an installed but unconfigured logfire neither slows runs
down nor warns.

Span catalogue (see ``docs/design/decisions-observability.md``): pipeline runs, generation rounds,
until checks and parse attempts, tool handlers, and watch/map/then callbacks. Attributes carry
the generator id (never the api key), params, counts, usage and failures.

Secrets never reach a span: every attribute, at opening and through ``set_attribute``, has
values under secret names masked, URL user-info masked, and every secret value a generator of
this process holds replaced by ``***`` (``rigging._redact``).
"""

from __future__ import annotations

import sys
import typing as t
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager

from rigging._exports import public_dir as _public_dir
from rigging._redact import MASK, is_secret_name, redact_exception, redact_known, redact_value
from rigging.error import _safe_str

__all__ = [
    "Span",
    "Tracer",
    "callback_name",
    "finish_run_span",
    "run_span",
    "tracer",
    "usage_attributes",
]


@t.runtime_checkable
class Span(t.Protocol):
    """What a span opened by `tracer.span` offers (a logfire span, or the no-op one)."""

    def set_attribute(self, key: str, value: t.Any) -> None:
        """Attach `value` under `key`."""
        ...

    def is_recording(self) -> bool:
        """Whether attributes set now are kept (False for the no-op span)."""
        ...


class _NoopSpan:
    """The span used while logfire is not configured: every call does nothing."""

    __slots__ = ()

    def set_attribute(self, key: str, value: t.Any) -> None:
        """Do nothing."""

    def set_attributes(self, attributes: Mapping[str, t.Any]) -> None:
        """Do nothing."""

    def is_recording(self) -> bool:
        """Never recording."""
        return False

    def __enter__(self) -> _NoopSpan:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


_NOOP = _NoopSpan()


def _clean(value: t.Any) -> t.Any:
    """An attribute value with its secrets masked (texts scrubbed of known secret values)."""
    value = redact_value(value)
    if isinstance(value, str):
        return redact_known(value)
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    return value


def _clean_attributes(attributes: Mapping[str, t.Any]) -> dict[str, t.Any]:
    return {
        key: MASK if is_secret_name(key) else _clean(value) for key, value in attributes.items()
    }


class _RedactingSpan:
    """Wraps a backend span (and its context manager) so attributes set later are redacted."""

    __slots__ = ("_inner", "_span")

    def __init__(self, inner: AbstractContextManager[t.Any]) -> None:
        self._inner = inner
        self._span: t.Any = inner

    def __enter__(self) -> _RedactingSpan:
        self._span = self._inner.__enter__()
        return self

    def __exit__(self, *exc: t.Any) -> t.Any:
        if isinstance(exc[1], BaseException):  # the backend records its text on the span
            # Only what is found to hold a secret is replaced: the error may be the caller's
            # own, raised by a callback, and its objects are theirs to read afterwards.
            redact_exception(exc[1], redact_known, thorough=False)
        return self._inner.__exit__(*exc)

    def set_attribute(self, key: str, value: t.Any) -> None:
        """Attach the redacted `value` under `key`."""
        self._span.set_attribute(key, MASK if is_secret_name(key) else _clean(value))

    def set_attributes(self, attributes: Mapping[str, t.Any]) -> None:
        """Attach each redacted attribute."""
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def is_recording(self) -> bool:
        """Whether the backend span records."""
        return bool(self._span.is_recording())

    def __getattr__(self, name: str) -> t.Any:
        return getattr(self._span, name)


class Tracer:
    """Opens spans through logfire when the application configured it, else no-op spans.

    Args:
        otel_scope: The OpenTelemetry instrumentation scope of the spans.
    """

    def __init__(self, otel_scope: str = "rigging") -> None:
        self.otel_scope = otel_scope
        self._logfire: t.Any = None

    def _backend(self) -> t.Any:
        """The logfire instance to use, or None while logfire is absent or unconfigured."""
        module = sys.modules.get("logfire")
        if module is None:
            return None
        default = getattr(module, "DEFAULT_LOGFIRE_INSTANCE", None)
        config = getattr(default, "config", None)
        if not getattr(config, "_initialized", False):
            return None
        if self._logfire is None:
            # logfire is already imported and configured here, so logfire-api is a thin
            # pass-through to it (importing logfire_api earlier would import logfire eagerly).
            import logfire_api

            self._logfire = logfire_api.Logfire(otel_scope=self.otel_scope)
        return self._logfire

    @property
    def enabled(self) -> bool:
        """Whether spans are being recorded (logfire imported and configured)."""
        return self._backend() is not None

    def span(self, msg_template: str, /, **attributes: t.Any) -> AbstractContextManager[t.Any]:
        """Open a span; use as ``with tracer.span("Chat with {generator_id}", ...) as span``.

        Args:
            msg_template: Message template; ``{name}`` fields are filled from `attributes`.
            **attributes: Attributes of the span.

        Returns:
            A context manager yielding the span (`Span`).
        """
        backend = self._backend()
        if backend is None:
            return _NOOP
        return _RedactingSpan(backend.span(msg_template, **_clean_attributes(attributes)))


tracer = Tracer("rigging")
"""Rigging's tracer (otel scope ``rigging``)."""


def callback_name(callback: t.Any) -> str:
    """Readable name of a callback for span names: ``module.qualname``.

    Args:
        callback: A function, bound method or callable object.

    Returns:
        The name.
    """
    target = callback if hasattr(callback, "__qualname__") else type(callback)
    qualname = str(getattr(target, "__qualname__", repr(target)))
    module = getattr(target, "__module__", None)
    return f"{module}.{qualname}" if module else qualname


def usage_attributes(results: Sequence[t.Any]) -> dict[str, int]:
    """Sum the token usage reported on generation results.

    Args:
        results: Objects with an optional ``usage`` (input/output/total tokens).

    Returns:
        ``{"input_tokens", "output_tokens", "total_tokens"}`` totals (empty when none reported).
    """
    totals = {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    seen = False
    for result in results:
        usage = getattr(result, "usage", None)
        if usage is None:
            continue
        seen = True
        for key in totals:
            totals[key] += int(getattr(usage, key, 0) or 0)
    return totals if seen else {}


def run_span(
    msg_template: str, generator: t.Any, params: t.Any, /, **attributes: t.Any
) -> AbstractContextManager[t.Any]:
    """Open the span of a pipeline run (attributes are only computed when tracing is on).

    Args:
        msg_template: Span template; may use ``{generator_id}`` and the `attributes`.
        generator: The generator of the run (its identifier never holds the api key).
        params: The run's pipeline-level `GenerateParams`, or None.
        **attributes: More attributes (``count`` ...).

    Returns:
        The span context manager.
    """
    if not tracer.enabled:
        return _NOOP
    generator_id = generator.to_identifier() if generator is not None else None
    dumped = params.to_dict() if params is not None else {}
    return tracer.span(msg_template, generator_id=generator_id, params=dumped, **attributes)


def finish_run_span(span: t.Any, results: Sequence[t.Any]) -> None:
    """Record the outcome of a run on its span: counts, failures, first error, usage.

    Args:
        span: The run's span.
        results: Chats or completions of the run.
    """
    if not span.is_recording():
        return
    failed = [r for r in results if getattr(r, "failed", False)]
    span.set_attribute("results", len(results))
    span.set_attribute("result_ids", [str(getattr(r, "uuid", "")) for r in results])
    span.set_attribute("failed", bool(failed))
    span.set_attribute("failed_count", len(failed))
    if failed:
        span.set_attribute("error", _safe_str(getattr(failed[0], "error", "")))
    usage = usage_attributes(results)
    if usage:
        span.set_attribute("usage", usage)


__dir__ = _public_dir(globals())
