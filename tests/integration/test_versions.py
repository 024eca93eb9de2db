"""Store versions: a release becomes a new version only when complete; rollback gives the old answers back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from hirachat.answer.service import AskService
from hirachat.config import DataConfig, InferenceConfig
from hirachat.data.ingest import ingest
from hirachat.data.versions import activate, current, update, versions
from hirachat.errors import StoreError
from hirachat.paths import STORE_FILE, VERSIONS_DIR

DEPT = "hira_dept_by_sido_cost_hospital_level_{}.csv"
QUESTIONS = [
    "2014년 서울 내과 환자수는?",
    "2015년 서울 내과 환자수는?",
    "2013년부터 2015년까지 부산 외과 진료비 추이",
    "2014년 내과 환자수가 가장 많은 시도 3곳",
]


def answers(store: Path) -> list[str]:
    """The answers as the API would serialise them, less the timing."""
    with AskService(store, InferenceConfig(), "grounded") as svc:
        out = []
        for q in QUESTIONS:
            res: dict[str, Any] = svc.ask(q)
            res.pop("latency_ms")
            out.append(json.dumps(res, ensure_ascii=False, sort_keys=True, default=str))
        return out


def files(real_dir: Path, *years: int) -> list[Path]:
    return [real_dir / DEPT.format(y) for y in years]


def test_a_release_is_a_new_version_and_rollback_gives_the_old_answers_byte_for_byte(
    tmp_path: Path, real_dir: Path
) -> None:
    store = tmp_path / "store"
    first = update(files(real_dir, 2013, 2014), store, DataConfig(), tmp_path / "raw")
    assert (first.status, first.version, current(store)) == ("created", "v0001", "v0001")
    before = answers(store)
    assert '"abstained": true' in before[1]  # 2015 is not in the first release
    assert all('"data_version": "v0001"' in a for a in before)

    second = update(files(real_dir, 2015), store, DataConfig(), tmp_path / "raw")
    assert (second.status, second.version, second.previous, current(store)) == (
        "created",
        "v0002",
        "v0001",
        "v0002",
    )
    (change,) = second.changes
    assert (change.added, change.changed, change.removed) == (696, 0, 0)  # the 2015 file's rows
    assert change.rows_after == change.rows_before + 696
    after = answers(store)
    assert '"abstained": false' in after[1] and '"data_version": "v0002"' in after[1]
    assert "2,519,640" in after[1]  # 2015 서울 내과 환자수 in the raw file

    # the first version's files were never touched: its answers come back exactly
    assert activate(store, "1") == "v0001"
    assert answers(store) == before
    assert [v.name for v in versions(store)] == ["v0001", "v0002"]


def test_a_release_with_a_bad_file_leaves_the_current_version_serving(tmp_path: Path, real_dir: Path) -> None:
    store = tmp_path / "store"
    update(files(real_dir, 2013), store, DataConfig(), tmp_path / "raw")
    db = store / VERSIONS_DIR / "v0001" / STORE_FILE
    stamp = (db.stat().st_mtime_ns, db.read_bytes())
    bad = tmp_path / "broken.csv"
    bad.write_bytes(b"\x00\x01garbage\xff")
    result = update([*files(real_dir, 2014), bad], store, DataConfig(), tmp_path / "raw")
    assert result.status == "failed" and result.version is None
    assert "broken.csv" in result.describe() and "v0001 still serves" in result.describe()
    assert current(store) == "v0001" and [v.name for v in versions(store)] == ["v0001"]
    assert (db.stat().st_mtime_ns, db.read_bytes()) == stamp
    assert result.kept is not None
    assert "broken.csv" in (result.kept / "reports.json").read_text(encoding="utf-8")
    assert not [p for p in (store / VERSIONS_DIR).iterdir() if p.name.startswith(".building")]
    # nothing new: no version
    again = update(files(real_dir, 2013), store, DataConfig(), tmp_path / "raw")
    assert (again.status, current(store)) == ("unchanged", "v0001")


def test_a_corrected_release_reports_changed_and_removed_keys(tmp_path: Path, real_dir: Path) -> None:
    raw = (real_dir / DEPT.format(2013)).read_bytes().decode("cp949").splitlines()
    header, rows = raw[0], raw[1:]
    first = rows[0].split(",")
    patient = header.split(",").index("환자수")
    first[patient] = str(int(first[patient]) + 1)
    corrected = tmp_path / "release2" / DEPT.format(2013)
    corrected.parent.mkdir()
    corrected.write_bytes("\n".join([header, ",".join(first), *rows[1:-1]]).encode("cp949"))

    store = tmp_path / "store"
    ingest(files(real_dir, 2013), store, DataConfig(), tmp_path / "raw")  # a store from before versions
    result = update([corrected], store, DataConfig(), tmp_path / "raw")
    assert (result.previous, result.version) == ("v0001", "v0002")  # the old store adopted as v0001
    (change,) = result.changes
    assert (change.added, change.changed, change.removed) == (0, 1, 1)
    year, sido, dept = rows[0].split(",")[:3]
    assert change.examples["changed"] == [f"{year} · {sido} · {dept}"]
    year, sido, dept = rows[-1].split(",")[:3]
    assert change.examples["removed"] == [f"{year} · {sido} · {dept}"]
    assert change.rows_after == change.rows_before - 1


def test_unknown_version_names_the_known_ones(tmp_path: Path, real_dir: Path) -> None:
    store = tmp_path / "store"
    update(files(real_dir, 2013), store, DataConfig(), tmp_path / "raw")
    with pytest.raises(StoreError, match="v0001"):
        activate(store, "v7")
