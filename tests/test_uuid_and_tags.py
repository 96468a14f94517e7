"""Pooled uuid4 and precompiled native tag sets."""

from __future__ import annotations

import os
import uuid

import pytest

from rigging import _native
from rigging._uuid import uuid4


def test_uuid4_values_are_version_4_and_distinct() -> None:
    values = [uuid4() for _ in range(5_000)]
    assert len(set(values)) == len(values)
    for value in values[:50]:
        assert value.version == 4
        assert value.variant == uuid.RFC_4122
        assert uuid.UUID(str(value)) == value
        assert hash(uuid.UUID(str(value))) == hash(value)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_forked_child_does_not_repeat_parent_values() -> None:
    uuid4()  # fill the pool
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.write(write, str(uuid4()).encode())
        os._exit(0)
    os.close(write)
    child = uuid.UUID(os.read(read, 64).decode())
    os.waitpid(pid, 0)
    parent = [uuid4() for _ in range(300)]
    assert child not in parent


def test_tags_scan_same_as_names() -> None:
    text = '<a>x</a> <answer k="1>">y</answer> <a/> <answer>open'
    names = ["answer", "a"]
    tags = _native.Tags(names)
    assert tags.names == names
    assert len(tags) == 2
    assert repr(tags) == "Tags(['answer', 'a'])"
    for mode in ("drop", "close"):
        assert _native.scan(text, tags, incomplete=mode) == _native.scan(
            text, names, incomplete=mode
        )


def test_tags_refuse_bad_names() -> None:
    with pytest.raises(_native.ScanError, match="bad tag"):
        _native.Tags(["bad tag"])
    with pytest.raises(TypeError):
        _native.Tags("answer")


def test_model_with_an_invalid_tag_still_names_it_when_parsing() -> None:
    from rigging._model.base import class_info
    from rigging.message import Message
    from rigging.model import Model

    class Odd(Model, tag="bad tag"):
        content: str

    assert class_info(Odd).tags is None
    with pytest.raises(_native.ScanError, match="bad tag"):
        Message("assistant", "<bad tag>x</bad tag>").parse(Odd)


def test_model_classes_keep_compiled_tags() -> None:
    from rigging._model.base import class_info
    from rigging.model import Answer

    tags = class_info(Answer).tags
    assert tags is not None
    assert tags.names == ["answer"]
