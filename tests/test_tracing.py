import os
import subprocess
import sys

from rigging.generator import GeneratedMessage, Usage
from rigging.tracing import Span, callback_name, tracer, usage_attributes


def test_spans_are_no_ops_without_logfire() -> None:
    with tracer.span("Chat with {generator_id}", generator_id="x") as span:
        assert isinstance(span, Span)
        span.set_attribute("failed", False)


def test_imported_but_unconfigured_logfire_stays_silent_and_cheap() -> None:
    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "import logfire\n"
        "from rigging.tracing import tracer\n"
        "assert not tracer.enabled\n"
        "with tracer.span('x {a}', a=1) as span:\n"
        "    span.set_attribute('b', 2)\n"
        "    assert not span.is_recording()\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert (out.returncode, out.stdout.strip(), out.stderr) == (0, "ok", "")


def test_import_rigging_does_not_import_logfire() -> None:
    # logfire registers a pydantic plugin that pydantic itself imports; rigging must not.
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "1"}
    code = "import rigging, sys; print('logfire' in sys.modules, 'logfire_api' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip() == "False False"


def test_callback_names_and_usage_totals() -> None:
    assert callback_name(test_callback_names_and_usage_totals).endswith(
        "test_tracing.test_callback_names_and_usage_totals"
    )
    assert usage_attributes([]) == {}
    gen = GeneratedMessage.from_text("x")
    gen.usage = Usage(input_tokens=2, output_tokens=3, total_tokens=5)
    assert usage_attributes([gen, gen, GeneratedMessage.from_text("y")]) == {
        "input_tokens": 4,
        "output_tokens": 6,
        "total_tokens": 10,
    }
