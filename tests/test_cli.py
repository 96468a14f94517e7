"""The ``rigging`` command line: version and help say what each command and option does."""

from __future__ import annotations

import subprocess
import sys

import pytest

import rigging
from rigging.__main__ import main


def _exit_output(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 0
    return capsys.readouterr().out


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_prints_the_package_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    out = _exit_output([flag], capsys)
    python = ".".join(map(str, sys.version_info[:2]))
    assert out.startswith(f"rigging {rigging.__version__} (Python {python}.")


def test_help_describes_the_program_and_each_command(capsys: pytest.CaptureFixture[str]) -> None:
    out = _exit_output(["--help"], capsys)
    assert "usage: rigging" in out
    assert "Python library for language models" in out
    assert "chat with a model in the terminal" in out
    assert "--version" in out
    assert "print rigging's version" in out
    assert "rigging chat openai/gpt-4o-mini" in out


def test_chat_help_describes_every_option(capsys: pytest.CaptureFixture[str]) -> None:
    out = _exit_output(["chat", "--help"], capsys)
    assert "usage: rigging chat" in out
    assert "interactive chat" in out
    for command in ("/help", "/retry", "/reset", "/exit"):
        assert command in out
    assert "GENERATOR" in out
    assert "connection string of the model" in out
    assert "--system TEXT" in out
    assert "system prompt the conversation starts with" in out
    assert "--log-level LEVEL" in out
    for level in ("trace", "debug", "info", "success", "warning", "error", "critical"):
        assert level in out
    assert "never printed" in out  # the api key


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([])
    assert exited.value.code == 2
    assert "COMMAND" in capsys.readouterr().err


def test_bad_log_level_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "openai/gpt-4o-mini", "--log-level", "loud"]) == 2
    assert "loud" in capsys.readouterr().err


def test_python_dash_m_rigging_version_runs() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "rigging", "--version"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().startswith(f"rigging {rigging.__version__}")
