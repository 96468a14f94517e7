"""Tracing through ``logfire-api``: spans cost nothing until logfire is installed and configured.

``tracer.span(template, **attributes)`` opens a span; ``span.set_attribute(key, value)`` adds to it.
With the ``rigging[tracing]`` extra installed and ``logfire.configure()`` called, the spans are
exported; otherwise ``logfire-api`` turns them into no-ops.
"""

from __future__ import annotations

import logfire_api

__all__ = ["Span", "tracer"]

Span = logfire_api.LogfireSpan
"""The span type returned by ``tracer.span``."""

tracer = logfire_api.Logfire(otel_scope="rigging")
"""Rigging's tracer (otel scope ``rigging``)."""
