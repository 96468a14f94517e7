"""Loading chats never imports, looks up or calls what the data names: a part's model class
comes only from the `Model` subclasses this process defined; any other part loads as an
`UnresolvedModel` that dumps back unchanged."""

from __future__ import annotations

import gc
import json
import sys
import textwrap
import uuid
import warnings
from pathlib import Path
from typing import Any

import pytest

import rigging as rg
from rigging._model.base import lookup_model
from rigging.data import unflatten_chats
from rigging.message import Message, UnresolvedModel, UnresolvedPartWarning
from rigging.model import Answer, Model


def _planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, Path]:
    """A module and a package on sys.path that leave a marker file whenever they run code."""
    marker = tmp_path / "imported.txt"
    name = f"evil_{uuid.uuid4().hex[:8]}"
    boom = textwrap.dedent(
        f"""
        from pathlib import Path
        Path({str(marker)!r}).write_text(__name__)
        import rigging.model
        class Thing(rigging.model.Model):
            content: str
        """
    )
    (tmp_path / f"{name}_mod.py").write_text(boom)
    package = tmp_path / f"{name}_pkg"
    package.mkdir()
    (package / "__init__.py").write_text(
        textwrap.dedent(
            f"""
            def __getattr__(attribute):
                from pathlib import Path
                Path({str(marker)!r}).write_text("getattr " + attribute)
                raise AttributeError(attribute)
            """
        )
    )
    (package / "boom.py").write_text(boom)
    (package / "__main__.py").write_text(boom)
    monkeypatch.syspath_prepend(str(tmp_path))
    return f"{name}_mod", f"{name}_pkg", marker


def _answer_dump() -> dict[str, Any]:
    message = Message("assistant", "say <answer>42</answer>")
    message.parse(Answer)
    return message.model_dump(mode="json")


def test_model_classes_named_by_data_are_never_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module, package, marker = _planted(tmp_path, monkeypatch)
    __import__(package)  # the package itself is loaded: its submodules must still not be
    paths = [
        f"{module}:Thing",
        f"{package}.boom:Thing",
        f"{package}.__main__:Thing",
        f"{package}:Thing",  # would run the package's module __getattr__
        f"{package}:boom.Thing",
        "os:system",
        "builtins:eval",
        "subprocess:Popen",
        "os.system",
        "builtins.eval",
        "subprocess.Popen",
        "importlib:import_module",
        "rigging.model:__getattr__",
        "rigging:watchers",
        "rigging._model.stock:__class__",
        ":",
    ]
    dumped = _answer_dump()
    for path in paths:
        data = json.loads(json.dumps(dumped))
        data["parts"][0]["model_class"] = path
        with pytest.warns(UnresolvedPartWarning, match="not defined in this process"):
            loaded = Message.model_validate_json(json.dumps(data))
        model = loaded.parts[0].model
        assert isinstance(model, UnresolvedModel), path
        assert model.model_class == path
        assert model.fields == {"content": "42"}
        assert loaded.parts[0].slice_ == slice(4, 23)
        assert loaded.model_dump(mode="json") == data  # written back unchanged
        assert lookup_model(path) is None
    assert not marker.exists()
    assert module not in sys.modules
    assert f"{package}.boom" not in sys.modules
    assert f"{package}.__main__" not in sys.modules


def test_unresolved_parts_load_through_chats_and_flat_rows() -> None:
    chat = rg.Chat([Message("user", "q")], [Message("assistant", "<answer>7</answer>")])
    chat.generated[0].parse(Answer)
    data = chat.model_dump(mode="json")
    data["generated"][0]["parts"][0]["model_class"] = "subprocess:Popen"
    with pytest.warns(UnresolvedPartWarning):
        loaded = rg.Chat.model_validate_json(json.dumps(data))
    assert isinstance(loaded.generated[0].parts[0].model, UnresolvedModel)
    assert json.loads(loaded.model_dump_json())["generated"] == data["generated"]

    rows = rg.data.flatten_chats(chat)
    rows[-1]["parts"][0]["model_class"] = "builtins:eval"
    with pytest.warns(UnresolvedPartWarning):
        (back,) = unflatten_chats(rows)
    assert back.generated[0].parts[0].model.model_class == "builtins:eval"  # type: ignore[attr-defined]


def test_classes_this_process_defined_still_resolve_and_can_be_collected() -> None:
    def define() -> type[Model]:
        class Scratch(Model):
            content: str

        return Scratch

    scratch = define()
    message = Message("assistant", "<scratch>x</scratch>")
    message.parse(scratch)
    data = message.model_dump(mode="json")
    path = data["parts"][0]["model_class"]
    assert path.endswith("define.<locals>.Scratch")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert type(Message.model_validate(data).parts[0].model) is scratch
        assert lookup_model("rigging.model:Answer") is Answer  # stock models, lazily loaded
        assert lookup_model("rigging._model.stock:Answer") is Answer
    del scratch, message
    gc.collect()
    assert lookup_model(path) is None  # the registry holds the class weakly
    with pytest.warns(UnresolvedPartWarning):
        assert isinstance(Message.model_validate(data).parts[0].model, UnresolvedModel)


def test_unresolved_model_holds_a_json_object() -> None:
    with pytest.raises(ValueError, match="JSON text of an object"):
        UnresolvedModel(model_class="a:B", content="[1]")
    model = UnresolvedModel(model_class="a:B", content='{"x": 1}')
    assert (
        model.to_pretty_xml() == '<unresolved-model model_class="a:B">{"x": 1}</unresolved-model>'
    )
