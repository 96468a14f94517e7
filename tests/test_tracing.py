from rigging.tracing import Span, tracer


def test_spans_are_no_ops_without_logfire() -> None:
    with tracer.span("Chat with {generator_id}", generator_id="x") as span:
        assert isinstance(span, Span)
        span.set_attribute("failed", False)
