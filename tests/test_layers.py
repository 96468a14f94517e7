"""The package's layers only look down.

Layers, lowest first (a module may import its own layer and the ones below it):

0. base: ``_native`` and the helpers every layer uses (errors, logging, tracing, redaction
   and pickling without secrets, the template sandbox, settling concurrent tasks, util).
1. model: `Model`, the codec and parsing (``_model``, `rigging.model`, `rigging.parsing`).
2. message: `Message`, content parts and the tool-call wire types (``_message``).
3. generator: generators, their params, results and stream chunks; the cache wrapper.
4. tool: tools and the two tool handlers (they answer messages; they know no pipeline).
5. result: what a run returns, `Chat` and `Completion` (``_pipeline/chat.py``,
   ``_pipeline/completion.py``, ``_pipeline/result.py``).
6. pipeline: the pipelines, the run loop, streaming, attaching tools (``_pipeline``).
7. prompt: prompt functions and prompt streaming; `rigging.stream` gathers every layer's
   streaming names.
8. output: exports of results (``_data``, `rigging.data`, `rigging.watchers`).
9. app: integrations, the interactive loop, the CLI and the `rigging` package itself.

The rule, checked on every module under ``python/rigging`` by reading its imports:

- an import of a higher layer at module level is an error;
- under ``TYPE_CHECKING`` and inside functions, an import of a higher layer is allowed only
  for the back-references of the public API listed in `BACK_REFERENCES` (the function-local
  import does the work, the type-only one names the return type in the signature);
- any other function-local import of the package is listed in `LAZY` with its reason
  (a heavy or optional dependency loaded on first use, or a same-layer reference that
  would otherwise be an import circle);
- every entry of both lists is used, so the lists only shrink.
"""

from __future__ import annotations

import ast
import re
import typing as t
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "python" / "rigging"

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "base",
        (
            "rigging._native",
            "rigging._exports",
            "rigging._deps",
            "rigging._uuid",
            "rigging._surrogates",
            "rigging._deep_json",
            "rigging._tasks",
            "rigging._redact",
            "rigging._secret_pickle",
            "rigging._sandbox",
            "rigging._sandbox_limits",
            "rigging.util",
            "rigging.error",
            "rigging.logging",
            "rigging.tracing",
        ),
    ),
    ("model", ("rigging._model", "rigging.model", "rigging.parsing")),
    ("message", ("rigging._message", "rigging.message")),
    ("generator", ("rigging.generator", "rigging._cache", "rigging.cache")),
    ("tool", ("rigging.tool",)),
    (
        "result",
        ("rigging._pipeline.result", "rigging._pipeline.chat", "rigging._pipeline.completion"),
    ),
    ("pipeline", ("rigging._pipeline", "rigging.chat", "rigging.completion")),
    ("prompt", ("rigging.prompt", "rigging.stream")),
    ("output", ("rigging._data", "rigging.data", "rigging.watchers")),
    ("app", ("rigging.integrations", "rigging.interact", "rigging.__main__", "rigging")),
)

#: Imports of a higher layer the public API needs: (importer, imported) -> reason.
BACK_REFERENCES: dict[tuple[str, str], str] = {
    ("rigging.generator.base", "rigging.chat"): "Generator.chat builds a ChatPipeline",
    ("rigging.generator.base", "rigging.completion"): "Generator.complete builds a pipeline",
    ("rigging.generator.base", "rigging.prompt"): "Generator.prompt decorates a function",
    ("rigging.generator._calls", "rigging.chat"): "2.3's chat(generator) names its pipeline",
    ("rigging.generator._calls", "rigging.completion"): "2.3's complete() names its pipeline",
    ("rigging._pipeline.chat", "rigging._pipeline.chat_pipeline"): "Chat.restart/fork",
    (
        "rigging._pipeline.completion",
        "rigging._pipeline.completion_pipeline",
    ): "Completion.restart/fork",
    ("rigging._pipeline.chat", "rigging.data"): "Chat.to_df / to_elastic (the data extra)",
    ("rigging._pipeline.chat_pipeline", "rigging.prompt"): "ChatPipeline.prompt and run_prompt",
    ("rigging.tool.api", "rigging.prompt"): "ApiTool accepts prompt functions as tools",
}

#: Function-local imports of the package that are not back-references: reason of each.
LAZY: dict[tuple[str, str], str] = {
    ("rigging._model.base", "rigging._model.extract"): "same layer: extract builds on base",
    ("rigging._model.info", "rigging._model.base"): "same layer: base builds on info",
    ("rigging._pipeline.base", "rigging._pipeline.stream"): "streaming loads on first use",
    ("rigging._pipeline.chat_pipeline", "rigging._pipeline.stream"): "streaming, first use",
    ("rigging._pipeline.completion_pipeline", "rigging._pipeline.stream"): "streaming",
    ("rigging._data.elastic", "rigging._data.elastic_bulk"): "elasticsearch loads on first use",
    ("rigging.data", "rigging._data.elastic_bulk"): "elasticsearch loads on first use",
    ("rigging._pipeline.drivers", "rigging._model.stock"): "stock models load on first use",
    ("rigging.generator._litellm_errors", "rigging.generator.litellm_"): (
        "same layer: litellm_ builds on _litellm_errors; litellm itself loads on first use"
    ),
    ("rigging.generator.base", "rigging.generator.registry"): "same layer: registry builds on base",
    ("rigging.generator.base", "rigging._cache.generator"): "same layer: the cache wraps Generator",
    ("rigging.generator.base", "rigging.generator._settle"): "asyncio loads on first use",
    ("rigging.generator.litellm_", "rigging.generator._owned"): "asyncio loads on first use",
    ("rigging.prompt._outputs", "rigging._model.stock"): "stock models load on first use",
    ("rigging.prompt._prompt", "rigging._model.stock"): "stock models load on first use",
    ("rigging.prompt._prompt", "rigging._sandbox"): "jinja2 loads when a template renders",
    ("rigging.prompt._prompt", "rigging.prompt._stream"): "streaming loads on first use",
    ("rigging.prompt._template", "rigging._sandbox"): "jinja2 loads when a template renders",
    ("rigging.tool.base", "rigging.tool.api"): "same layer: api builds on base",
    ("rigging.tool.base", "rigging.tool.native"): "same layer: native builds on base",
}


@dataclass(frozen=True)
class Import:
    """One import of a package module: where it is and how it is placed."""

    importer: str
    target: str
    where: str  # "module", "type-checking" or "function"
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _known_modules() -> set[str]:
    names = {_module_name(p) for p in PACKAGE.rglob("*.py")}
    names |= {_module_name(p) for p in PACKAGE.rglob("*.pyi")}  # compiled modules (_native)
    return names


KNOWN = _known_modules()


def _is_package(module: str) -> bool:
    return (PACKAGE.parent / Path(*module.split(".")) / "__init__.py").exists()


def _resolve_from(importer: str, node: ast.ImportFrom) -> list[str]:
    """The package modules an ``from X import a, b`` statement loads, relative ones included."""
    base = node.module or ""
    if node.level:
        package = importer if _is_package(importer) else importer.rpartition(".")[0]
        parts = package.split(".")
        if node.level > 1:
            parts = parts[: len(parts) - (node.level - 1)]
        base = ".".join([*parts, *([node.module] if node.module else [])])
    if base != "rigging" and not base.startswith("rigging."):
        return []
    targets = []
    for alias in node.names:
        sub = f"{base}.{alias.name}"
        targets.append(sub if sub in KNOWN else base)  # `from pkg import module` or a name
    return targets


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports_of(path: Path) -> list[Import]:
    return _imports_of_source(_module_name(path), path.read_text(encoding="utf-8"))


def _imports_of_source(importer: str, source: str) -> list[Import]:
    found: list[Import] = []

    def visit(node: ast.AST, where: str) -> None:
        for child in ast.iter_child_nodes(node):
            inner = where
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                inner = "function"
            elif isinstance(child, ast.If) and _is_type_checking(child.test) and where == "module":
                for statement in child.body:
                    visit_one(statement, "type-checking")
                for statement in child.orelse:
                    visit_one(statement, where)
                continue
            visit_one(child, inner)

    def visit_one(node: ast.AST, where: str) -> None:
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [
                a.name for a in node.names if a.name == "rigging" or a.name.startswith("rigging.")
            ]
        elif isinstance(node, ast.ImportFrom):
            targets = _resolve_from(importer, node)
        for target in targets:
            found.append(Import(importer, target, where, t.cast("ast.stmt", node).lineno))
        inner = "function" if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else where
        visit(node, inner)

    visit(ast.parse(source), "module")
    return found


def _layer(module: str) -> int:
    best, rank = -1, -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS"
    return rank


def _all_imports() -> list[Import]:
    return [i for path in sorted(PACKAGE.rglob("*.py")) for i in _imports_of(path)]


def _problems() -> tuple[list[str], set[tuple[str, str]]]:
    problems: list[str] = []
    used: set[tuple[str, str]] = set()
    for imp in _all_imports():
        pair = (imp.importer, imp.target)
        if imp.target == imp.importer:
            continue
        upward = _layer(imp.target) > _layer(imp.importer)
        place = f"{imp.importer}:{imp.line} imports {imp.target}"
        if upward:
            if imp.where == "module":
                problems.append(f"{place} at module level, from a higher layer")
            elif pair in BACK_REFERENCES:
                used.add(pair)
            else:
                problems.append(f"{place} ({imp.where}) from a higher layer, not a back-reference")
        elif imp.where == "function":
            if pair in LAZY:
                used.add(pair)
            else:
                problems.append(f"{place} inside a function: import it at the top, or list it")
    return problems, used


def test_every_module_is_in_a_layer() -> None:
    for name in sorted(KNOWN):
        _layer(name)


def test_imports_only_look_down() -> None:
    problems, _ = _problems()
    assert problems == []


def test_every_listed_exception_is_still_needed() -> None:
    _, used = _problems()
    assert sorted(set(BACK_REFERENCES) - used) == []
    assert sorted(set(LAZY) - used) == []


def test_no_import_works_around_a_circle() -> None:
    marker = re.compile(r"#\s*(import\s+)?cycle\b")
    found = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if marker.search(line)
    ]
    assert found == []


def _targets(importer: str, code: str) -> list[str]:
    return [i.target for i in _imports_of_source(importer, code)]


def test_the_reader_resolves_every_import_form() -> None:
    assert _targets("rigging.tool.api", "from . import native") == ["rigging.tool.native"]
    assert _targets("rigging.tool.api", "from .base import Tool") == ["rigging.tool.base"]
    assert _targets("rigging.tool", "from . import api") == ["rigging.tool.api"]
    assert _targets("rigging.tool.api", "from .. import _native") == ["rigging._native"]
    assert _targets("rigging.tool.api", "from ..message import Message") == ["rigging.message"]
    assert _targets("rigging.chat", "from rigging import _native, error") == [
        "rigging._native",
        "rigging.error",
    ]
    assert _targets("rigging.chat", "from rigging import Chat") == ["rigging"]
    assert _targets("rigging.chat", "from os import path") == []
    imports = _imports_of_source(
        "rigging.util",
        "import typing as t\n"
        "import rigging.chat as c\n"
        "if t.TYPE_CHECKING:\n"
        "    from rigging.prompt import Prompt\n"
        "def f():\n"
        "    from rigging.tool import api\n",
    )
    assert [(i.target, i.where) for i in imports] == [
        ("rigging.chat", "module"),
        ("rigging.prompt", "type-checking"),
        ("rigging.tool.api", "function"),
    ]
