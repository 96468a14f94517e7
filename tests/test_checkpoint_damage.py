"""Checkpoint files damaged or written by hand: every bad line is a `CheckpointError`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from rigging.error import CheckpointError
from rigging.generator.testing import EchoGenerator

ITEMS = ["a", "b", "c"]


def _head(path: Path) -> tuple[str, dict[str, Any]]:
    """The header line and the first record of a checkpoint."""
    header, first = path.read_text().splitlines()[:2]
    return header, json.loads(first)


async def _written(path: Path) -> tuple[str, dict[str, Any]]:
    await EchoGenerator().chat().run_batch(ITEMS, checkpoint=path, checkpoint_mode="restart")
    return _head(path)


@pytest.mark.parametrize(
    ("index", "item_hash", "why"),
    [
        (5, None, "names item 5 of a run of 3 items"),  # was IndexError
        (10**13, None, "names item 10000000000000"),  # was MemoryError (or worse, 8 GB/1e9)
        (0, "f" * 18, "line 2 is not a finished item"),  # was OverflowError
        (0, "-1", "line 2 is not a finished item"),  # was OverflowError
        (0, "0" * 16, "line 2 is not a finished item"),  # 0 means "not finished"
        (0, "0x12", "line 2 is not a finished item"),
        ("0", None, "line 2 is not a finished item"),
        (0.0, None, "line 2 is not a finished item"),
        (True, None, "line 2 is not a finished item"),
        (-1, None, "line 2 is not a finished item"),
    ],
)
async def test_a_damaged_record_is_refused_by_name(
    tmp_path: Path, index: Any, item_hash: str | None, why: str
) -> None:
    path = tmp_path / "c.jsonl"
    header, record = await _written(path)
    damaged = {**record, "i": index, "h": record["h"] if item_hash is None else item_hash}
    path.write_text(f"{header}\n{json.dumps(damaged)}\n")
    with pytest.raises(CheckpointError, match=why):
        await EchoGenerator().chat().run_batch(ITEMS, checkpoint=path)
    chats = (
        await EchoGenerator().chat().run_batch(ITEMS, checkpoint=path, checkpoint_mode="restart")
    )
    assert [c.last.content for c in chats] == ITEMS


async def _numbered(count: int) -> Any:
    for i in range(count):
        yield f"i{i}"


async def test_an_unsized_run_loads_a_far_index_without_a_table_up_to_it(tmp_path: Path) -> None:
    """Records of an unsized run (iter_batch) may name any index; memory follows the lines."""
    path = tmp_path / "it.jsonl"
    gen = EchoGenerator()
    async for _ in gen.chat().iter_batch(_numbered(3), checkpoint=path):
        pass
    header, *lines = path.read_text().splitlines()
    first = json.loads(lines[0])
    far = {**first, "i": 10**12}
    path.write_text("\n".join([header, *lines, json.dumps(far)]) + "\n")
    again = [index async for index, _ in gen.chat().iter_batch(_numbered(5), checkpoint=path)]
    assert sorted(again) == [3, 4]


@pytest.mark.parametrize(
    ("result", "why"),
    [
        ("[" * 100_000 + "]" * 100_000, "line 2 is nested too deeply"),  # was RecursionError
        ('{"a":' * 100_000 + "1" + "}" * 100_000, "line 2 is nested too deeply"),
        ('{"messages": 5}', "item 0 cannot be loaded as a Chat: TypeError"),  # was TypeError
        ('{"messages": [], "metadata": ' + "[" * 900 + "]" * 900 + "}", "item 0 cannot be"),
    ],
)
async def test_a_record_written_by_hand_is_refused_by_name(
    tmp_path: Path, result: str, why: str
) -> None:
    path = tmp_path / "c.jsonl"
    header, record = await _written(path)
    path.write_text(f'{header}\n{{"i":0,"h":"{record["h"]}","r":{result}}}\n')
    with pytest.raises(CheckpointError, match=why):
        await EchoGenerator().chat().run_batch(ITEMS, checkpoint=path)


async def test_metadata_as_deep_as_rigging_writes_is_resumed(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    deep: Any = "x"
    for _ in range(250):
        deep = [deep]
    pipeline = EchoGenerator().chat().meta(deep=deep)
    first = await pipeline.run_batch(ITEMS, checkpoint=path, checkpoint_mode="restart")
    again = await pipeline.run_batch(ITEMS, checkpoint=path)
    assert [c.uuid for c in again] == [c.uuid for c in first]


@pytest.mark.parametrize("nested", [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 100_000 + b"1"])
async def test_a_header_nested_too_deeply_is_refused_by_name(tmp_path: Path, nested: bytes) -> None:
    """Records caught `RecursionError`; the header line raised it bare."""
    path = tmp_path / "c.jsonl"
    path.write_bytes(nested + b"\n")
    with pytest.raises(CheckpointError, match="its first line is not a checkpoint header"):
        await EchoGenerator().chat().run_batch(ITEMS, checkpoint=path)
