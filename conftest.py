"""Repository-wide pytest set-up.

Benches run as ordinary tests (benchmark disabled, correctness asserted) unless pytest is asked to
benchmark with ``--benchmark-only`` or ``--benchmark-enable``.
"""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Disable timing by default; ``--benchmark-only`` turns it on."""
    if not (config.getoption("benchmark_only") or config.getoption("benchmark_enable")):
        config.option.benchmark_disable = True
