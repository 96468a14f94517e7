import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger as loguru_logger

import rigging as rg
from rigging import logging as rg_logging
from rigging.generator.testing import EchoGenerator


@pytest.fixture
def restore_logger() -> Iterator[None]:
    yield None
    rg_logging._remove_own(loguru_logger)
    loguru_logger.disable("rigging")


def run(code: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "1"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )


def test_rigging_logger_is_loguru_and_silent_until_enabled() -> None:
    code = (
        "import asyncio, sys, rigging as rg\n"
        "from rigging.generator.testing import EchoGenerator\n"
        "print('loguru' in sys.modules)\n"
        "from rigging import logger\n"
        "print(type(logger).__module__, logger is rg.logging.logger)\n"
        "async def go(): await EchoGenerator().chat('hi').run_many(2)\n"
        "asyncio.run(go())\n"
        "from rigging._pipeline import drivers\n"
        "logger.debug('app records still print')\n"
        "logger.enable('rigging')\n"
        "logger.remove()\n"
        "logger.add(sys.stderr, level='TRACE', format='{level}|{name}|{message}')\n"
        "asyncio.run(go())\n"
    )
    out = run(code)
    assert out.stdout.splitlines() == ["False", "loguru._logger True"]
    lines = [line for line in out.stderr.splitlines() if "|" in line]
    assert "app records still print" in lines[0]
    assert any(
        line.startswith("TRACE|rigging._pipeline.drivers|Generating messages") for line in lines
    )
    assert sum("Generated messages" in line for line in lines) == 1


def test_an_app_that_enabled_rigging_before_first_use_keeps_it() -> None:
    code = (
        "import asyncio, sys\n"
        "from loguru import logger\n"
        "logger.remove(); logger.add(sys.stderr, level='TRACE', format='{message}')\n"
        "logger.enable('rigging')\n"
        "from rigging.generator.testing import EchoGenerator\n"
        "asyncio.run(EchoGenerator().chat('hello there').run())\n"
    )
    assert "[user]: hello there" in run(code).stderr


def test_a_pipeline_run_prints_nothing_by_default() -> None:
    code = (
        "import asyncio\n"
        "from loguru import logger\n"
        "from rigging.generator.testing import EchoGenerator\n"
        "asyncio.run(EchoGenerator().chat('hi').run_many(3))\n"
    )
    out = run(code)
    assert (out.stdout, out.stderr) == ("", "")


@pytest.mark.usefixtures("restore_logger")
def test_configure_logging_writes_stderr_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "rigging.log"
    rg_logging.configure_logging("info", log_file, "trace")
    rg_logging.log("trace", "very detailed {}", 1)
    rg_logging.log("warning", "careful")
    rg_logging.log("success", "done")
    err = capsys.readouterr().err
    assert "[-] careful" in err
    assert "[+] done" in err
    assert "very detailed" not in err
    text = log_file.read_text()
    assert "[T] very detailed 1" in text
    assert f"[=] Logging to {log_file}" in text


@pytest.mark.usefixtures("restore_logger")
async def test_trace_records_prompts_and_responses_with_secrets_masked(tmp_path: Path) -> None:
    log_file = tmp_path / "trace.log"
    rg_logging.configure_logging("error", file=log_file, file_level="trace")
    await EchoGenerator().chat("connect with gpt-4o,api_key=sk-live-123").run()
    await EchoGenerator().complete("complete me").run()
    text = log_file.read_text()
    assert "[T] Generating messages with 'echo':" in text
    assert "[user]: connect with gpt-4o,api_key=***" in text
    assert "[assistant]: connect with gpt-4o,api_key=***" in text
    assert "Generated texts" in text
    assert "complete me" in text
    assert "sk-live-123" not in text


@pytest.mark.usefixtures("restore_logger")
def test_configure_logging_twice_replaces_its_own_sinks(tmp_path: Path) -> None:
    mine: list[str] = []
    own = loguru_logger.add(mine.append, level="DEBUG", format="{message}")
    try:
        rg_logging.configure_logging("debug")
        rg_logging.configure_logging("warning", tmp_path / "a.log")
        assert len(rg_logging._handlers) == 2  # stderr and file, not four
        rg_logging.log("debug", "to my sink")
        assert any("to my sink" in m for m in mine)
    finally:
        loguru_logger.remove(own)


def test_unknown_level_and_both_spellings_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="Unknown log level 'loud'"):
        rg_logging.configure_logging("loud")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="give either log_file or file, not both"):
        rg_logging.configure_logging("info", tmp_path / "x", file=tmp_path / "y")
    with pytest.raises(TypeError, match="give either log_file_level or file_level, not both"):
        rg_logging.configure_logging("info", tmp_path / "x", "trace", file_level="info")


@pytest.mark.usefixtures("restore_logger")
async def test_stdlib_bridge(caplog: pytest.LogCaptureFixture) -> None:
    stop = rg_logging.to_stdlib("trace")
    try:
        with caplog.at_level(rg_logging.TRACE, logger="rigging"):
            await EchoGenerator().chat("bridged").run()
            loguru_logger.info("not rigging's")
    finally:
        stop()
    records = [r for r in caplog.records if r.name.startswith("rigging")]
    assert records
    assert records[0].levelname == "TRACE"
    assert "bridged" in records[0].getMessage()
    assert not any("not rigging's" in r.getMessage() for r in caplog.records)
    assert logging.getLogger("rigging").handlers  # the NullHandler stays


def test_loggable_masks_keys() -> None:
    assert rg_logging.loggable("x,api_key=abc,y=1") == "x,api_key=***,y=1"
    assert rg.logging.loggable("nothing secret") == "nothing secret"
