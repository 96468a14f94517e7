"""Every name of rigging 2.3's module table imports from its 2.3 module.

``tests/data/api-2.3-module-table.md`` is a copy of the spec's section 1 (module → public
names). `tests/test_api_23.py` checks the signature inventory; this checks the table, which
also names module-level helpers the inventory leaves out (``g_providers``, ``Fixup``...).
A name listed in `NOT_PROVIDED` must *not* resolve: ``from module import name`` fails,
naming it, rather than handing 2.3 code a different object under the old name
(``docs/migration.md``, "Internals not provided").
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

TABLE = Path(__file__).resolve().parent / "data" / "api-2.3-module-table.md"

_ROW = re.compile(r"^\| `(?P<module>rigging[\w.]*)`[^|]*\| (?P<names>.*?) \| (?P<count>\d+) \|$")

NOT_PROVIDED: dict[str, set[str]] = {
    # 2.3's XML tool-call format was replaced (see docs/migration.md, "Native tool format").
    "rigging.tool.native": {
        "SUPPORTED_TOOL_ARGUMENT_TYPES",
        "SUPPORTED_TOOL_ARGUMENT_TYPES_LIST",
        "ToolArgumentTypesCast",
        "ToolCallParameter",
        "ToolCall",
        "ToolCalls",
        "ToolParameter",
        "ToolFunction",
        "ToolDescriptionList",
        "ToolResults",
        "system_tool_extension",
    },
    # 2.3 internals: prompts build their inputs and outputs from the signature.
    "rigging.prompt": {
        "make_parameter",
        "Input",
        "BasicInput",
        "ModelInput",
        "ListInput",
        "DictInput",
        "parse_parameter",
        "Output",
        "ChatOutput",
        "BasicOutput",
        "BasicListOutput",
        "ModelOutput",
        "ModelListOutput",
        "TupleOutput",
        "DataclassOutput",
        "parse_output",
    },
}


def _table() -> dict[str, list[str]]:
    rows: dict[str, list[str]] = {}
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        assert match, f"unreadable row: {line}"
        if match["module"] == "rigging":  # `__all__`: checked by test_api_23
            continue
        names = re.sub(r"\(.*?\)", "", match["names"])  # "(+ global g_event_loop)" notes
        listed = [n.strip() for n in names.split(",") if n.strip()]
        assert len(listed) == int(match["count"]), line
        rows[match["module"]] = listed
    return rows


TABLE_ROWS = _table()


def test_the_table_copy_is_complete() -> None:
    assert len(TABLE_ROWS) == 24  # every row but `rigging` itself
    assert sum(len(names) for names in TABLE_ROWS.values()) == 201


@pytest.mark.parametrize("module", sorted(TABLE_ROWS))
def test_every_name_of_the_module_imports_from_it(module: str) -> None:
    loaded = importlib.import_module(module)
    gone = NOT_PROVIDED.get(module, set())
    missing = [
        name for name in TABLE_ROWS[module] if name not in gone and not hasattr(loaded, name)
    ]
    assert missing == [], f"{module} lacks 2.3 names {missing}"


@pytest.mark.parametrize(
    ("module", "name"), sorted((m, n) for m, names in NOT_PROVIDED.items() for n in names)
)
def test_names_not_provided_are_absent(module: str, name: str) -> None:
    assert name in TABLE_ROWS[module]
    # (`from module import name` raises ImportError naming it when the attribute is absent)
    assert not hasattr(importlib.import_module(module), name)
