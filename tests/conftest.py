"""Shared fixtures: the real HIRA files in ../shared and a store built from them once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from hirachat.config import DataConfig
from hirachat.data.ingest import ingest

REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "hira_real"
# Tiers by where a test lives (besides the markers tests set themselves): the web tests start a real server
_TIERS = {"test_browser": ("browser", "slow"), "test_postgres": ("postgres", "slow")}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        path = Path(str(item.fspath))
        for prefix, names in _TIERS.items():
            for name in names if path.name.startswith(prefix) else ():
                item.add_marker(name)
        if path.parent.name == "web":
            item.add_marker("slow")


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


# ---- raw values, read here with csv/openpyxl (never with the product's readers) ------------------
Raw = dict[tuple[object, ...], dict[str, int]]


def _raw_csv(path: Path, encoding: str) -> list[dict[str, str]]:
    import csv
    import io

    rows = list(csv.reader(io.StringIO(path.read_bytes().decode(encoding))))
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _ints(rec: dict[str, str], names: dict[str, str]) -> dict[str, int]:
    return {canon: int(rec[col]) for col, canon in names.items() if col in rec and rec[col].strip()}


@pytest.fixture(scope="session")
def raw_dept(real_dir: Path) -> Raw:
    """(year, 시도, 진료과목) → measures, from the CP949 files."""
    names = {
        "환자수": "환자수",
        "명세서 청구건수": "명세서청구건수",
        "입내원일수": "입내원일수",
        "요양급여비용총액": "요양급여비용총액",
        "보험자부담금": "보험자부담금",
    }
    out: Raw = {}
    for p in sorted(real_dir.glob("hira_dept_by_sido_cost_hospital_level_*.csv")):
        for rec in _raw_csv(p, "cp949"):
            out[(int(rec["진료년도"]), rec["시도"], rec["진료과목"])] = _ints(rec, names)
    return out


KCD_NAMES = {
    "환자수": "환자수",
    "명세서청구건수": "명세서청구건수",
    "입내원일수": "입내원일수",
    "보험자부담금(선별포함)": "보험자부담금",
    "요양급여비용총액(선별포함)": "요양급여비용총액",
}


@pytest.fixture(scope="session")
def raw_sex(real_dir: Path) -> Raw:
    """(code, 성별, 입원외래구분) → measures, 2023."""
    return {
        (r["주상병코드"], r["성별"], r["입원외래구분"]): _ints(r, KCD_NAMES)
        for r in _raw_csv(real_dir / "hira_kcd3_by_sex_inout_2023.csv", "utf-8")
    }


@pytest.fixture(scope="session")
def raw_kcd_dept(real_dir: Path) -> Raw:
    """(진료과목, code) → measures, 2023."""
    return {
        (r["진료과목"], r["주상병코드"]): _ints(r, KCD_NAMES)
        for r in _raw_csv(real_dir / "hira_kcd3_by_dept_hospital_level_2023.csv", "utf-8")
    }


@pytest.fixture(scope="session")
def raw_inst(real_dir: Path) -> dict[str, dict[str, int]]:
    """region cell (시도 column, or 시도+시군구 for 광역시 totals) → {종별 or 계: count}."""
    import openpyxl

    ws = openpyxl.load_workbook(real_dir / "hira_yoyang_institutions_by_region_type_2024Q4.xlsx").active
    assert ws is not None
    rows = list(ws.iter_rows(values_only=True))
    header = rows[2]
    return {
        str(r[0]): {str(h): int(v or 0) for h, v in zip(header[2:], r[2:], strict=True)} for r in rows[3:]
    }
