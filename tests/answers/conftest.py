"""Fixtures for the questions feature: the real plan documents, and one index built per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from knowledge.answers import Answerer
from knowledge.ingest import ingest
from knowledge.store import IndexSource, build_index

# The sample plan documents ship with the repository (examples/plans); TROLY_TEST_PLANS points elsewhere.
PLANS_DIR = Path(os.environ.get("TROLY_TEST_PLANS", Path(__file__).resolve().parents[2] / "examples" / "plans"))


@pytest.fixture(scope="session")
def plan_files() -> list[Path]:
    files = sorted(PLANS_DIR.glob("*.txt"))
    assert len(files) == 5, f"the five plan documents are expected in {PLANS_DIR} (set TROLY_TEST_PLANS)"
    return files


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory, plan_files: list[Path]) -> Path:
    """A data directory with the five plans ingested and the index built (once per session)."""
    directory = tmp_path_factory.mktemp("answers-data")
    ingest(plan_files, directory)
    build_index(IndexSource(directory))
    return directory


@pytest.fixture(scope="session")
def answerer(data_dir: Path) -> Answerer:
    from knowledge.store import load_index

    loaded = load_index(IndexSource(data_dir))
    assert loaded is not None, "the index built for the session must load back"
    return Answerer(*loaded)


@pytest.fixture
def copy_of_data(data_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the session's data directory, for tests that change it."""
    target = tmp_path / "data"
    shutil.copytree(data_dir, target)
    return target
