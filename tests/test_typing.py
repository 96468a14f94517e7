"""A user's program type-checks under `mypy --strict` with the types rigging promises."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

PROGRAM = Path(__file__).with_name("_typed_user_program.py")
ROOT = Path(__file__).resolve().parents[1]


def _marked_line_containing(marker: str) -> int:
    lines = PROGRAM.read_text(encoding="utf-8").splitlines()
    (number,) = [i for i, line in enumerate(lines, 1) if marker in line]
    return number


@pytest.mark.typing_program
@pytest.mark.timeout(900)  # a cold mypy cache reads pydantic and litellm once (about a minute)
def test_typed_user_program_checks_under_mypy_strict() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", str(PROGRAM)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    output = done.stdout + done.stderr
    errors = re.findall(r"^.*?:(\d+): error: (.*)$", output, flags=re.MULTILINE)
    rejected = _marked_line_containing("# REJECTED")
    # The wrong argument is the one and only error: every assert_type and every
    # assignment of a prompt to `Prompt[[str, int], str]` was accepted.
    assert errors == [
        (
            str(rejected),
            'Argument "text" to "__call__" of "Prompt" has incompatible type "int"; '
            'expected "str"  [arg-type]',
        )
    ], output
    assert done.returncode == 1, output
    revealed = _marked_line_containing("# REVEALED")
    assert re.search(
        rf":{revealed}: note: Revealed type is "
        r'"rigging\.prompt\._prompt\.Prompt\[\[text: str, limit: int =\], str\]"',
        output,
    ), output
