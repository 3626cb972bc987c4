"""Shared test fixtures: the public sample corpus beside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS = (REPO / ".." / "shared" / "corpus").resolve()


@pytest.fixture(scope="session")
def corpus() -> Path:
    """../shared/corpus, present in the project's workplace and CI but not in a user's own clone."""
    if not CORPUS.is_dir():
        pytest.skip(f"no sample corpus at {CORPUS} (it lives beside the repository, not in it)")
    return CORPUS
