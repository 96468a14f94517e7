import subprocess
import sys

import pytest

from rigging._deps import import_optional

HEAVY = ("litellm", "pandas", "boto3", "transformers", "vllm", "elasticsearch", "httpx", "openai")


def test_import_rigging_loads_no_heavy_dependency() -> None:
    code = f"import rigging, sys; print([m for m in {HEAVY!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    assert out.stdout.strip() == "[]"


def test_import_optional_names_the_extra() -> None:
    with pytest.raises(ModuleNotFoundError, match=r"pip install 'rigging\[data\]'"):
        import_optional("surely_not_installed_module_xyz", extra="data", purpose="tests")
