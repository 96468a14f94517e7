import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rigging import logging as rg_logging


@pytest.fixture
def restore_logger() -> Iterator[None]:
    before = list(rg_logging.logger.handlers), rg_logging.logger.level
    yield None
    for handler in rg_logging.logger.handlers:
        if handler not in before[0]:
            handler.close()
    rg_logging.logger.handlers[:] = before[0]
    rg_logging.logger.setLevel(before[1])


def test_library_is_silent_by_default() -> None:
    code = "import rigging.logging as l; l.logger.warning('should not print')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stderr == ""
    assert out.stdout == ""


@pytest.mark.usefixtures("restore_logger")
def test_configure_logging_writes_stderr_and_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "rigging.log"
    rg_logging.configure_logging("info", log_file, "trace")
    rg_logging.logger.log(rg_logging.TRACE, "very detailed")
    rg_logging.logger.warning("careful")
    err = capsys.readouterr().err
    assert "[-] careful" in err
    assert "very detailed" not in err
    text = log_file.read_text()
    assert "[T] very detailed" in text
    assert f"[=] Logging to {log_file}" in text


@pytest.mark.usefixtures("restore_logger")
def test_configure_logging_twice_replaces_its_own_handlers() -> None:
    other = logging.NullHandler()
    rg_logging.logger.addHandler(other)
    rg_logging.configure_logging("debug")
    rg_logging.configure_logging("warning")
    ours = [h for h in rg_logging.logger.handlers if isinstance(h, rg_logging._RiggingHandler)]
    assert len(ours) == 1
    assert other in rg_logging.logger.handlers


def test_unknown_level_is_named() -> None:
    with pytest.raises(ValueError, match="Unknown log level 'loud'"):
        rg_logging.configure_logging("loud")  # type: ignore[arg-type]


@pytest.mark.usefixtures("restore_logger")
def test_keyword_file_and_file_level(tmp_path: Path) -> None:
    log_file = tmp_path / "kw.log"
    rg_logging.configure_logging("error", file=log_file, file_level="debug")
    rg_logging.logger.debug("into the file only")
    assert "[_] into the file only" in log_file.read_text()
    with pytest.raises(TypeError, match="give either log_file or file, not both"):
        rg_logging.configure_logging("info", log_file, file=log_file)
    with pytest.raises(TypeError, match="give either log_file_level or file_level, not both"):
        rg_logging.configure_logging("info", log_file, "trace", file_level="info")


def test_a_pipeline_run_prints_nothing_by_default() -> None:
    code = (
        "import asyncio\n"
        "from rigging.generator.testing import EchoGenerator\n"
        "asyncio.run(EchoGenerator().chat('hi').run_many(3))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert (out.stdout, out.stderr) == ("", "")
