"""Session fixtures shared by every bench: fixed-seed corpora built with `corpus.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from corpus import MB, make_corpus


@pytest.fixture(scope="session")
def corpus_1mb() -> str:
    """About 1 MB (in characters) of realistic model output."""
    return make_corpus(MB)


@pytest.fixture(scope="session")
def corpus_10mb() -> str:
    """About 10 MB (in characters) of realistic model output."""
    return make_corpus(10 * MB)
