"""Shared fixtures: the real HIRA files in ../shared and a store built from them once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from hirachat.config import DataConfig
from hirachat.data.ingest import ingest

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hira_real"


@pytest.fixture(scope="session")
def real_dir() -> Path:
    if not REAL.is_dir():
        pytest.fail(f"real HIRA files expected at {REAL} (CI and developers have ../shared beside the repo)")
    return REAL


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory, real_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("real")
    reports = ingest([real_dir], root / "store", DataConfig(), root / "raw")
    assert all(r.status == "stored" for r in reports), [r.line() for r in reports]
    return root / "store"
