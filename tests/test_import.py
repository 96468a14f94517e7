import os
import subprocess
import sys

import pytest

from rigging._deps import import_optional

HEAVY = ("litellm", "pandas", "boto3", "transformers", "vllm", "elasticsearch", "httpx", "openai")


def test_import_rigging_loads_no_heavy_dependency() -> None:
    code = f"import rigging, sys; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


#: Standard-library and core dependencies that cost tens of ms and are only needed once
#: something runs: asyncio (with ssl and socket) and jinja2. (With pydantic plugins disabled:
#: the dev extra's logfire registers one that imports asyncio with the first model.)
FIRST_USE = ("asyncio", "ssl", "jinja2")


def test_asyncio_and_jinja2_load_on_first_use() -> None:
    code = (
        "import sys, rigging as rg\n"
        f"print([m for m in {FIRST_USE!r} if m in sys.modules])\n"
        "async def one() -> int:\n"
        "    return 1\n"
        "print(rg.await_(one(), one()))\n"
    )
    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    )
    assert out.stdout.splitlines() == ["[]", "[1, 1]"]


def test_import_optional_names_the_extra() -> None:
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'rigging\[data\]'"):
        import_optional("surely_not_installed_module_xyz", extra="data", purpose="tests")


LAZY = (
    "rigging._model.stock",
    "rigging._model.stream",
    "rigging._pipeline.events",
    "rigging._pipeline.stream",
    "rigging.prompt._stream",
    "rigging.data",
    "rigging.watchers",
)


def test_stock_models_and_optional_submodules_load_on_first_use() -> None:
    code = (
        "import sys, rigging as rg\n"
        f"print([m for m in {LAZY!r} if m in sys.modules])\n"
        "from rigging.model import Answer\n"
        "import rigging.model as model\n"
        "print(Answer.__module__, model.Question.xml_tags(), rg.stream.ModelStream.__name__)\n"
        "print(rg.data.__name__, rg.watchers.__name__)\n"
        "print('Answer' in dir(model), 'stream' in dir(rg))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.splitlines() == [
        "[]",
        "rigging._model.stock <question></question> ModelStream",
        "rigging.data rigging.watchers",
        "True True",
    ]


def test_unknown_attributes_still_raise() -> None:
    import rigging
    import rigging.model

    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = rigging.Nope
    with pytest.raises(AttributeError, match="has no attribute 'Nope'"):
        _ = rigging.model.Nope
