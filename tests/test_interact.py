import io
import os
import signal
import subprocess
import sys
import time
import typing as t
from collections.abc import Iterator
from pathlib import Path

import pytest
from _servers import OpenAIStub

import rigging as rg
from rigging.__main__ import main
from rigging.generator.testing import EchoGenerator, FailingGenerator, ScriptedGenerator
from rigging.interact import interact
from rigging.watchers import write_chats_to_jsonl


def lines(*typed: str) -> Iterator[str]:
    yield from typed


def reader(*typed: str):  # type: ignore[no-untyped-def]
    source = lines(*typed)

    def read(prompt: str) -> str:
        try:
            return next(source)
        except StopIteration:
            raise EOFError from None

    return read


async def test_history_is_kept_and_exit_ends_the_session(tmp_path: Path) -> None:
    gen = ScriptedGenerator(responses=["first reply", "second reply"])
    pipeline = gen.chat([rg.Message("system", "be brief")]).watch(
        write_chats_to_jsonl(tmp_path / "s.jsonl")
    )
    out = io.StringIO()
    chat = await interact(pipeline, read=reader("hi", "", "and?", "/exit", "never"), output=out)
    assert chat is not None
    assert [m.role for m in chat.all] == ["system", "user", "assistant", "user", "assistant"]
    assert [m.content for m in chat.all][1:] == ["hi", "first reply", "and?", "second reply"]
    assert len(gen.calls) == 2
    assert "first reply\n" in out.getvalue()
    assert "second reply\n" in out.getvalue()
    assert len((tmp_path / "s.jsonl").read_text().splitlines()) == 2
    assert len(pipeline.chat.messages) == 1  # the given pipeline is untouched


async def test_retry_reset_help_and_unknown_commands() -> None:
    gen = ScriptedGenerator(responses=["a1", "a2", "a3"])
    out = io.StringIO()
    seen: list[rg.Chat | None] = []
    chat = await interact(
        gen,
        read=reader("/retry", "q", "/retry", "/help", "/nope", "/reset", "fresh"),
        output=out,
        reset_callback=seen.append,
    )
    text = out.getvalue()
    assert "(nothing to retry yet)" in text
    assert "(unknown command /nope;" in text
    assert "Commands: /exit" in text
    assert seen
    assert seen[0] is not None
    assert seen[0].last.content == "a2"
    assert chat is not None
    assert [m.content for m in chat.all] == ["fresh", "a3"]
    inputs = [t.cast("list[dict[str, t.Any]]", c.input) for c in gen.calls]
    assert [i[-1]["content"] for i in inputs] == ["q", "q", "fresh"]


async def test_retry_after_a_failed_turn_sends_that_turn_and_a_failed_retry_loses_nothing() -> None:
    """`/retry` after a failed turn re-sent the turn before it, and a `/retry` that failed
    dropped the last exchange from the conversation."""
    from rigging.error import GenerationError

    boom = GenerationError("boom", model="m")
    gen = ScriptedGenerator(responses=["R1", boom, "R3"])
    chat = await interact(gen, read=reader("first", "second", "/retry"), output=io.StringIO())
    sent = [[m["content"] for m in t.cast("list[dict[str, t.Any]]", c.input)] for c in gen.calls]
    assert sent == [["first"], ["first", "R1", "second"], ["first", "R1", "second"]]
    assert chat is not None
    assert [m.content for m in chat.all] == ["first", "R1", "second", "R3"]

    gen = ScriptedGenerator(responses=["R1", "R2", boom, "R4", "R5"])
    chat = await interact(
        gen, read=reader("first", "second", "/retry", "third", "/retry"), output=io.StringIO()
    )
    sent = [[m["content"] for m in t.cast("list[dict[str, t.Any]]", c.input)] for c in gen.calls]
    assert sent[3] == ["first", "R1", "second", "R2", "third"]  # the failed retry lost nothing
    assert sent[4] == ["first", "R1", "second", "R2", "third"]  # /retry redoes the last turn
    assert chat is not None
    assert [m.content for m in chat.all] == ["first", "R1", "second", "R2", "third", "R5"]


async def test_errors_are_printed_and_the_session_goes_on() -> None:
    gen = FailingGenerator(fail_on=1, message="boom")
    out = io.StringIO()
    chat = await interact(gen, read=reader("one", "two"), output=out)
    assert "[error] GenerationError: boom (item 1)" in out.getvalue()
    assert chat is not None
    assert [m.content for m in chat.all] == ["two", "two"]


async def test_connection_strings_and_bad_entrypoints() -> None:
    assert await interact("base!echo", read=reader(), output=io.StringIO()) is None
    with pytest.raises(TypeError, match="interact\\(\\) needs a ChatPipeline, a Generator"):
        await interact(42, read=reader(), output=io.StringIO())  # type: ignore[arg-type]


def test_ctrl_c_while_reading_ends_cleanly() -> None:
    def read(prompt: str) -> str:
        raise KeyboardInterrupt

    import asyncio

    out = io.StringIO()
    assert asyncio.run(interact(EchoGenerator(), read=read, output=out)) is None


def stub_id(stub: OpenAIStub) -> str:
    return f"openai/stub-model,api_base={stub.base_url},api_key=sk-cli-secret"


def test_cli_chat_with_piped_input(openai_stub: OpenAIStub) -> None:
    openai_stub.script("Hello there!", "Still here.")
    out = subprocess.run(
        [sys.executable, "-m", "rigging", "chat", stub_id(openai_stub), "--system", "be kind"],
        input="hi\nhow are you?\n/exit\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "Hello there!" in out.stdout
    assert "Still here." in out.stdout
    assert "sk-cli-secret" not in out.stdout + out.stderr
    second = openai_stub.requests[-1].json["messages"]
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[-1]["content"] == "how are you?"


def test_cli_ctrl_c_at_the_prompt_exits_cleanly(openai_stub: OpenAIStub) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "rigging", "chat", stub_id(openai_stub)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    banner = proc.stdout.readline()
    assert banner.startswith("Chatting with litellm!openai/stub-model")
    assert proc.stdout.read(2) == "> "  # input() is waiting, with ctrl-c armed
    time.sleep(0.1)
    os.kill(proc.pid, signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr


def test_cli_rejects_bad_connection_strings(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "nosuchprovider!model"]) == 2
    assert (
        "rigging: invalid generator: unknown provider 'nosuchprovider'" in capsys.readouterr().err
    )
    with pytest.raises(SystemExit):
        main([])


async def test_replies_are_printed_without_terminal_escapes_or_lone_surrogates() -> None:
    """A reply could set the terminal's title, clear it or write its clipboard; a lone
    surrogate ended the session with a UnicodeEncodeError."""
    reply = "hi\x1b]0;TITLE\x07\x1b[2J\x1b]52;c;cHduZWQ=\x07 \ud83d\n\tok \U0001f600"
    gen = ScriptedGenerator(responses=[reply])
    out = io.StringIO()
    await interact(gen, read=reader("q"), output=out)
    text = out.getvalue()
    assert "\x1b" not in text
    assert "\x07" not in text
    assert "hi\\x1b]0;TITLE\\x07\\x1b[2J" in text
    assert "\\ud83d\n\tok \U0001f600" in text
    text.encode("utf-8")  # printable on any UTF-8 terminal
