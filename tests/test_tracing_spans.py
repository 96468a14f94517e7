"""Span tree of real runs, exported by a configured logfire (in a subprocess: global config)."""

import json
import subprocess
import sys
import textwrap
from typing import Any

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    import logfire
    from logfire.testing import TestExporter
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    import rigging as rg
    from rigging.generator.testing import ScriptedGenerator
    from rigging.model import Answer

    exporter = TestExporter()
    logfire.configure(
        send_to_logfire=False, console=False, inspect_arguments=False,
        additional_span_processors=[SimpleSpanProcessor(exporter)],
    )

    class AddTool:
        max_rounds = 3
        async def __call__(self, message):
            if "<call>" in message.content:
                return [rg.Message("user", "<result>4</result>")]
            return None

    async def keep(chats):
        return None

    async def tag(chat):
        return chat.meta(tagged=True)

    async def main():
        gen = ScriptedGenerator(
            responses=["<call>add 2 2</call>", "it is four", "<answer>4</answer>"],
            api_key="sk-SECRET-123",
        )
        pipeline = (
            gen.chat("what is 2+2?")
            .add_tool_handler(AddTool())
            .until_parsed_as(Answer, attempt_recovery=True)
            .watch(keep)
            .then(tag)
        )
        chat = await pipeline.with_(temperature=0.5).run()
        assert chat.metadata == {"tagged": True}

    asyncio.run(main())
    spans = []
    for span in exporter.exported_spans_as_dict():
        spans.append({
            "id": span["context"]["span_id"],
            "parent": span["parent"]["span_id"] if span["parent"] else None,
            "name": span["name"],
            "message": span["attributes"].get("logfire.msg"),
            "attributes": {
                k: v for k, v in span["attributes"].items()
                if not k.startswith(("logfire.", "code."))
            },
        })
    json.dump(spans, sys.stdout)
    """
)


def run_traced() -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", SCRIPT], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr
    return list(json.loads(out.stdout))


def test_span_tree_of_a_run_with_tools_and_recovery() -> None:
    spans = run_traced()
    (root,) = [s for s in spans if s["parent"] is None]
    assert root["message"].startswith("Chat with base!scripted")
    attrs = root["attributes"]
    assert json.loads(attrs["params"]) == {"temperature": 0.5}
    assert attrs["failed"] is False
    assert attrs["results"] == 1
    assert json.loads(attrs["usage"])["total_tokens"] > 0

    children = [s for s in spans if s["parent"] == root["id"]]
    names = [s["name"] for s in children]
    rounds = [s for s in children if s["name"] == "Generate round {round} ({count} items)"]
    assert [r["attributes"]["round"] for r in rounds] == [1, 2, 3]
    assert all(json.loads(r["attributes"]["usage"])["total_tokens"] > 0 for r in rounds)
    tools = [s for s in children if s["name"] == "Tool handler {handler}()"]
    assert [t["attributes"]["handled"] for t in tools] == [True, False, False]
    untils = [s for s in children if s["name"] == "Until with {callback}()"]
    assert [u["attributes"]["again"] for u in untils] == [True, False]
    assert untils[0]["attributes"]["attempt_recovery"] is True
    parses = [s for s in spans if s["name"] == "Parse as {types}"]
    assert [p["parent"] for p in parses] == [u["id"] for u in untils]
    assert [p["attributes"]["parsed"] for p in parses] == [False, True]
    assert "Failed to find" in parses[0]["attributes"]["error"]
    assert "Watch with {callback}()" in names
    assert "Then with {callback}()" in names
    (watch,) = [s for s in children if s["name"] == "Watch with {callback}()"]
    assert watch["message"].endswith(".keep()")


def test_no_span_carries_the_api_key() -> None:
    text = json.dumps(run_traced())
    assert "sk-SECRET-123" not in text
    assert "api_key" not in text


BROKEN_STR_SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys
    import logfire
    from logfire.testing import TestExporter
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    import rigging as rg

    exporter = TestExporter()
    logfire.configure(
        send_to_logfire=False, console=False, inspect_arguments=False,
        additional_span_processors=[SimpleSpanProcessor(exporter)],
    )

    class Bad(Exception):
        def __str__(self):
            raise RuntimeError("str boom")

    class G(rg.Generator):
        async def generate_messages(self, messages, params):
            if any(m[-1].content == "b" for m in messages):
                raise Bad()
            return [rg.GeneratedMessage.from_text("ok") for _ in messages]

    async def main():
        pipeline = G(model="g").chat().catch(Bad, on_failed="include")
        chats = await pipeline.run_batch(["a", "b", "c"])
        return [c.failed for c in chats]

    failed = asyncio.run(main())
    errors = [
        span["attributes"]["error"]
        for span in exporter.exported_spans_as_dict()
        if "error" in span["attributes"]
    ]
    json.dump({"failed": failed, "errors": errors}, sys.stdout)
    """
)


def test_an_error_whose_str_raises_fails_its_item_alone_under_tracing() -> None:
    out = subprocess.run(
        [sys.executable, "-W", "error", "-c", BROKEN_STR_SCRIPT],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["failed"] == [False, True, False]
    assert result["errors"]
    assert set(result["errors"]) == {"Bad"}  # the type's name stands in
