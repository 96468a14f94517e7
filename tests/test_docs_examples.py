"""Every Python example of the documentation site runs, so the site cannot drift from the code.

Each guide page's blocks run in order in one namespace (see ``_docs.py``), offline: examples use
the test doubles of `rigging.generator.testing`, and those that name an OpenAI model reach the
loopback OpenAI-compatible stub through LiteLLM (``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` point
at it). Files are written in a temporary working directory; Elasticsearch and S3 examples reach a
loopback stand-in and moto's server through ``ELASTICSEARCH_URL`` and ``AWS_ENDPOINT_URL``.
Blocks marked compile-only are compiled here and, like every other block, type-checked by mypy.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _docs import FLAGS, ROOT, Block, blocks, guide_pages, typecheck_source
from _moto import moto_server
from _servers import OpenAIStub
from _servers.elastic_stub import ElasticStub

PAGES = guide_pages()
STUB_KEY = "sk-docs-example-key"


def _page_id(path: Path) -> str:
    return str(path.relative_to(ROOT / "docs"))


@contextlib.contextmanager
def _data_services(page: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Loopback Elasticsearch and S3 (moto) for pages that use them, found by the env."""
    text = page.read_text(encoding="utf-8")
    with contextlib.ExitStack() as stack:
        if "ELASTICSEARCH_URL" in text:
            elastic = stack.enter_context(ElasticStub())
            monkeypatch.setenv("ELASTICSEARCH_URL", elastic.url)
        if "boto3" in text:
            _, endpoint = stack.enter_context(moto_server())
            monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
                monkeypatch.setenv(name, "docs-example")
            monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        yield


async def _run_block(block: Block, namespace: dict[str, Any]) -> None:
    code = compile(block.padded(), str(block.path), "exec", flags=FLAGS, dont_inherit=True)
    if block.mode == "compile-only":
        return
    if code.co_flags & inspect.CO_COROUTINE:
        result = eval(code, namespace)
        await result
    else:
        # No top-level await: run it off the event loop, so `asyncio.run(...)` in a
        # script-shaped example works as it does for a reader.
        await asyncio.to_thread(exec, code, namespace)


@pytest.fixture
def _registry_restored() -> Iterator[None]:
    """Pages register example providers; the registry is put back afterwards."""
    from rigging.generator import registry

    providers, resolved = dict(registry._providers), dict(registry._resolved)
    yield
    registry._providers.clear()
    registry._providers.update(providers)
    registry._resolved.clear()
    registry._resolved.update(resolved)


@pytest.mark.parametrize("page", PAGES, ids=_page_id)
@pytest.mark.usefixtures("_registry_restored")
async def test_page_examples_run(
    page: Path,
    openai_stub: OpenAIStub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("OPENAI_API_KEY", STUB_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", openai_stub.base_url)
    monkeypatch.delenv("OPENAI_API_BASE", raising=False)
    monkeypatch.delenv("RIGGING_GENERATOR", raising=False)
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    with _data_services(page, monkeypatch):
        for block in blocks(page):
            try:
                await _run_block(block, namespace)
            except Exception as error:
                if hasattr(error, "add_note"):  # Python 3.11+
                    error.add_note(f"in the docs example at {block.where}")
                raise


def test_the_guide_has_examples_and_most_run() -> None:
    found = {page: blocks(page) for page in PAGES}
    assert len(PAGES) >= 13
    for page, page_blocks in found.items():
        if page.name != "index.md":
            assert any(b.mode == "run" for b in page_blocks), f"{page} runs no example"
    every = [b for page_blocks in found.values() for b in page_blocks]
    compile_only = [b.where for b in every if b.mode == "compile-only"]
    assert len(compile_only) * 4 < len(every), compile_only


def test_examples_type_check(tmp_path: Path) -> None:
    files = []
    for page in PAGES:
        if not blocks(page):
            continue
        target = tmp_path / (page.relative_to(ROOT / "docs").as_posix().replace("/", "__"))
        target = target.with_suffix(".py")
        target.write_text(typecheck_source(page), encoding="utf-8")
        files.append(target)
    command = [
        sys.executable,
        "-m",
        "mypy",
        "--strict",
        "--allow-redefinition",  # pages rebind names as a notebook does
        # A prompt function's body is its docstring (see the prompts page), and boto3 ships
        # no type hints; both are what a user of these examples sees too.
        "--disable-error-code",
        "empty-body",
        "--disable-error-code",
        "import-untyped",
        "--config-file",
        str(ROOT / "pyproject.toml"),
        "--cache-dir",
        str(ROOT / ".mypy_cache" / "docs-examples"),  # its own: other flags than the package's
        *map(str, files),
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, timeout=600, check=False
    )
    report = result.stdout.replace(str(tmp_path) + os.sep, "docs/")
    assert result.returncode == 0, report


def test_marker_typos_are_refused(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# t\n\n<!-- docs-example: compile_only -->\n```python\npass\n```\n")
    with pytest.raises(ValueError, match="unknown docs-example marker"):
        blocks(page)
    page.write_text("# t\n\n```python\npass\n")
    with pytest.raises(ValueError, match="never closed"):
        blocks(page)


def test_blocks_keep_page_line_numbers(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# t\n\ntext\n\n```python\nx = 1\n\ny = x + 1\n```\n\n```py\nz = y\n```\n")
    first, second = blocks(page)
    assert (first.line, first.source, first.mode) == (6, "x = 1\n\ny = x + 1\n", "run")
    assert (second.line, second.source) == (12, "z = y\n")
    lines = typecheck_source(page).splitlines()
    assert lines[5] == "    x = 1"
    assert lines[7] == "    y = x + 1"
    assert lines[11] == "    z = y"
