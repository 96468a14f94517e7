"""Every Python block of the seed page and of docs/migration.md runs against offline doubles.

Blocks run in order in one namespace per page (like a notebook: later blocks use names such
as ``FunFact`` defined earlier), each as the body of an async function (the docs use top-level
``await``). The default provider is a `Responder` (``_responder.py``), which answers like a
cooperative model: tool calls when tools are offered, filled example tags otherwise.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from _responder import Responder
from _responder import responder as responder  # fixture

HERE = Path(__file__).resolve().parent
SEED = HERE / "data" / "seed-index.md"
MIGRATION = HERE.parent / "docs" / "migration.md"

_FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>\w*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)


def python_blocks(path: Path) -> list[str]:
    """The ```py / ```python blocks of a markdown page, dedented, in order."""
    text = path.read_text(encoding="utf-8")
    return [
        textwrap.dedent(m.group("body"))
        for m in _FENCE.finditer(text)
        if m.group("lang") in ("py", "python")
    ]


async def run_block(code: str, namespace: dict[str, Any], name: str) -> None:
    body = textwrap.indent(code, "    ") or "    pass"
    source = f"async def __block__():\n{body}\n    return locals()\n"
    exec(compile(source, name, "exec", dont_inherit=True), namespace)
    found = await namespace.pop("__block__")()
    namespace.update(found)


def test_the_seed_copy_has_blocks() -> None:
    assert len(python_blocks(SEED)) == 19


@pytest.mark.parametrize("page", [SEED, MIGRATION], ids=["seed", "migration"])
async def test_every_python_block_runs(
    page: Path, responder: type[Responder], capsys: pytest.CaptureFixture[str]
) -> None:
    namespace: dict[str, Any] = {"__name__": "docs"}
    blocks = python_blocks(page)
    assert blocks
    try:
        for number, block in enumerate(blocks):
            await run_block(block, namespace, f"<{page.name} block {number}>")
    finally:  # the migration page configures logging and registers a provider
        from loguru import logger

        from rigging import logging as rg_logging
        from rigging.generator import registry

        rg_logging._remove_own(logger)
        logger.disable("rigging")
        registry._providers.pop("mine", None)
        registry._resolved.pop("mine", None)
    capsys.readouterr()
    if page is SEED:
        import rigging as rg

        assert len(Responder.seen) >= 20  # the blocks did talk to the (offline) model
        assert isinstance(namespace["joke"], str)
        assert isinstance(namespace["update"], rg.Chat)
        assert [type(f).__name__ for f in namespace["fun_facts"]] == ["FunFact"] * 3
        poetic = namespace["poetic"]
        assert poetic.params.temperature == 1.5  # with_ on a fresh fork sets its params
        assert namespace["specific"].params.temperature is None
