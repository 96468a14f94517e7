"""Collect the Python examples of the documentation site (``docs/**/*.md``).

A page's ```` ```python ```` blocks form one program, run top to bottom in one namespace (a later
block may use what an earlier one defined), with top-level ``await`` allowed as in
``python -m asyncio`` or a notebook. An HTML comment on the line just before a fence changes
how the block is checked:

- ``<!-- docs-example: compile-only -->``: the block needs something the tests cannot give it
  (a provider key, a GPU, a real Elasticsearch). It is compiled and type-checked, not run.

Any other ``docs-example`` comment is an error, so a typo cannot quietly skip a block.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# Pages written for maintainers or generated from docstrings: no guide examples there.
SKIPPED_DIRS = ("design", "api")

MODES = frozenset({"run", "compile-only"})
_FENCE = re.compile(r"^(?P<indent> *)(?P<ticks>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_MARKER = re.compile(r"^\s*<!--\s*docs-example:\s*(?P<mode>[\w-]+)\s*-->\s*$")

# Compile flags: top-level await, and no `from __future__` inherited from this file.
FLAGS = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT


@dataclass(frozen=True)
class Block:
    """One ```` ```python ```` block of a page."""

    path: Path
    line: int
    """1-based line of the block's first code line in the page."""
    source: str
    mode: str

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"

    def padded(self) -> str:
        """The source with leading newlines, so tracebacks give the page's line numbers."""
        return "\n" * (self.line - 1) + self.source


def guide_pages() -> list[Path]:
    """Every page whose examples are checked, sorted."""
    pages = []
    for path in sorted(DOCS.rglob("*.md")):
        relative = path.relative_to(DOCS)
        if relative.parts[0] not in SKIPPED_DIRS:
            pages.append(path)
    return pages


def blocks(path: Path) -> list[Block]:
    """The Python blocks of one page, in order; raises on a bad marker or an open fence."""
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    index = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            index += 1
            continue
        end = _closing_fence(lines, index, match["ticks"], path)
        language = (match["info"].split() or [""])[0].strip("{}.")
        if language in ("python", "py"):
            mode = _mode_before(lines, index, path)
            indent = len(match["indent"])
            code = "\n".join(line[indent:] for line in lines[index + 1 : end])
            found.append(Block(path, index + 2, code + "\n", mode))
        index = end + 1
    return found


def _closing_fence(lines: list[str], start: int, ticks: str, path: Path) -> int:
    for index in range(start + 1, len(lines)):
        if lines[index].strip() == ticks:
            return index
    raise ValueError(f"{path}:{start + 1}: code fence is never closed")


def _mode_before(lines: list[str], fence: int, path: Path) -> str:
    if fence == 0:
        return "run"
    previous = lines[fence - 1]
    if "docs-example" not in previous:
        return "run"
    marker = _MARKER.match(previous)
    if marker is None or marker["mode"] not in MODES:
        raise ValueError(f"{path}:{fence}: unknown docs-example marker {previous.strip()!r}")
    return marker["mode"]


def typecheck_source(path: Path) -> str:
    """The page's blocks as the body of one async function, at the page's own line numbers.

    mypy cannot check top-level ``async for``/``async with``; inside a function it can.
    """
    page_lines = path.read_text(encoding="utf-8").splitlines()
    out = [""] * (len(page_lines) + 1)
    out[0] = "async def _page() -> None:  # the page's examples, in order"
    for block in blocks(path):
        for offset, line in enumerate(block.source.splitlines()):
            out[block.line - 1 + offset] = "    " + line if line.strip() else ""
    out.append("    pass")
    return "\n".join(out) + "\n"
