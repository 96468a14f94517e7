"""`import rigging` must stay light: under 0.3 s and 60 MB RSS for `python -c "import rigging"`."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

_CHILD = (
    "import rigging, sys\n"
    "rss = next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]\n"
    "heavy = sorted(m for m in ('litellm', 'pandas', 'boto3', 'transformers', 'vllm',"
    " 'elasticsearch', 'httpx', 'openai') if m in sys.modules)\n"
    "print(rss, ','.join(heavy))\n"
)

RSS_BUDGET_KB = 60 * 1024

# Installed packages can register pydantic plugins (logfire, in the dev extra, does), which
# pydantic imports with the first model; that cost is the environment's, not rigging's.
_ENV = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "1"}


def _import_once() -> tuple[int, str]:
    out = subprocess.run(
        [sys.executable, "-c", _CHILD], check=True, capture_output=True, text=True, env=_ENV
    ).stdout.split()
    return int(out[0]), (out[1] if len(out) > 1 else "")


def bench_import_rigging(benchmark: Any) -> None:
    rss_kb, heavy = _import_once()
    assert heavy == "", f"import rigging pulled in heavy modules: {heavy}"
    assert rss_kb < RSS_BUDGET_KB, f"import rigging peaked at {rss_kb} kB RSS"
    benchmark.extra_info["rss_kb"] = rss_kb
    benchmark.pedantic(_import_once, rounds=10, iterations=1)
