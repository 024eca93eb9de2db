"""Code masters: any workbook ingests in bounded memory and time, masters keep every row (blank attributes
are values), sheets without tables are notes; names in questions are linked through masters (issue: code
masters). Checked against the real KCD-9 master in ../shared/data/code_masters and crafted workbooks."""

from __future__ import annotations

import csv
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from hirachat.answer.service import AskService
from hirachat.config import DataConfig, InferenceConfig
from hirachat.data.ingest import ingest
from hirachat.data.readers import read_xlsx
from hirachat.data.store import FactStore
from hirachat.errors import InputFileError

KCD = "kcd9_koicd_masterfile_20250701.xlsx"


@pytest.fixture(scope="module")
def kcd_store(tmp_path_factory: pytest.TempPathFactory, real_dir: Path) -> tuple[Path, list]:
    root = tmp_path_factory.mktemp("kcd")
    reports = ingest([real_dir, real_dir.parent / "code_masters"], root / "store", DataConfig(), root / "raw")
    return root / "store", reports


@pytest.fixture(scope="module")
def svc(kcd_store: tuple[Path, list]) -> Iterator[AskService]:
    with AskService(kcd_store[0], InferenceConfig(), "grounded", None, 0) as s:
        yield s


def _kcd_rows(real_dir: Path) -> int:
    wb = openpyxl.load_workbook(real_dir.parent / "code_masters" / KCD, read_only=True)
    ws = wb["KCD-8 DB Masterfile"]
    rows = [r for r in ws.iter_rows(values_only=True) if any(v not in (None, "") for v in r)]
    wb.close()
    return len(rows) - 3  # title, "현재" line, header


def test_the_kcd_workbook_is_a_master_with_every_row(kcd_store: tuple[Path, list], real_dir: Path) -> None:
    store, reports = kcd_store
    main, morphology = (r for r in reports if r.file.endswith(KCD))
    assert main.status == "master" and main.rows_read == main.rows_stored == _kcd_rows(real_dir)
    assert morphology.status == "master" and morphology.rows_stored == 957  # the M-code sheet (SOURCES.md)
    assert any("DB 이용안내" in n for n in main.notes)  # the guide: a note, not an error
    assert all(len(n) < 400 for n in main.notes)  # bounded lines
    assert not [r for r in reports if r.status == "error"]
    with FactStore.open(store, read_only=True) as fs:
        m = next(m for m in fs.masters() if m["sheet"] == "KCD-8 DB Masterfile")
        assert m["kind"] == "disease" and m["version"] == "2025-07-01" and m["name_column"] == "한글명칭"
        rows = fs.master_rows()
        j20 = rows[(rows.code_norm == "J20") & rows.is_primary]
        assert list(j20.name) == ["급성 기관지염"] and list(j20.level) == ["3"]
        assert set(rows[rows.code == "A00.0"].code_norm) == {"A000"}  # dotted = undotted
        assert set(rows[rows.code == "A00-B99"].level) == {"range"}
        assert not [t for t in fs.tables() if "KCD" in t.table_id]  # no invented statistics table


def _huge(path: Path, rows: int = 100) -> Path:
    """A sheet with ``rows`` used rows that declares the whole grid (A1:XFD1048576)."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["진료년도", "시도", "환자수"])
    for i in range(rows):
        ws.append([2023, "서울", i + 1])
    small = path.with_suffix(".small.xlsx")
    wb.save(small)
    with zipfile.ZipFile(small) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD1048576"/>', data)
            zout.writestr(item, data)
    return path


def test_a_huge_declared_range_reads_only_its_data(tmp_path: Path) -> None:
    (grid,) = read_xlsx(_huge(tmp_path / "huge.xlsx"))
    assert len(grid.rows) == 100 and grid.header == ["진료년도", "시도", "환자수"]
    assert all(len(r) == 3 for r in grid.rows)


def test_a_row_beyond_the_column_limit_is_refused_by_name(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["진료년도", "환자수"])
    ws.cell(row=2, column=5000, value=1)
    wb.save(tmp_path / "wide.xlsx")
    with pytest.raises(InputFileError) as e:
        read_xlsx(tmp_path / "wide.xlsx")
    assert (
        "wide.xlsx" in str(e.value)
        and "5000" in str(e.value)
        and "1,000" in str(e.value).replace("1000", "1,000")
    )


def test_crafted_masters_keep_blank_attributes_and_skip_guides(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    guide = wb.active
    assert guide is not None
    guide.title = "이용안내"
    guide.append(["이 파일은 상병 마스터입니다. 아래 시트를 보세요."])
    guide.append(["문의: 심사평가원"])
    ws = wb.create_sheet("상병마스터")
    ws.append(["상병 마스터 (2024.01.01 기준)"])
    ws.merge_cells("A1:D1")
    ws.append([])
    ws.append(["상병코드", "한글명", "영문명", "비고"])
    rows = [
        ("J20", "급성 기관지염", "Acute bronchitis", None),
        ("J21", "급성 세기관지염", None, "소아"),
        ("K21", "위-식도역류병", "GERD", None),
    ]
    for r in rows:
        ws.append(list(r))
    wb.save(tmp_path / "상병마스터_20240101.xlsx")
    drug = tmp_path / "약가마스터.csv"
    with drug.open("w", encoding="cp949", newline="") as f:
        w = csv.writer(f)
        w.writerow(["제품코드", "제품명", "업체명", "ATC코드", "상한금액"])
        w.writerow(["645302132", "포크랄시럽", "한림제약", "N05CC01", "12"])
        w.writerow(["645302133", "무코판정", "제약사", "", "30"])  # no ATC code: a value, kept
        w.writerow(["645302134", "가나다정", "", "A02BC01", ""])
    reports = ingest(
        [tmp_path / "상병마스터_20240101.xlsx", drug], tmp_path / "store", DataConfig(), tmp_path / "raw"
    )
    assert [r.status for r in reports] == ["master", "master"], [r.line() for r in reports]
    assert (
        reports[0].rows_stored == 3
        and reports[1].rows_stored == 3
        and "이용안내" in " ".join(reports[0].notes)
    )
    with FactStore.open(tmp_path / "store", read_only=True) as fs:
        kinds = {m["file_name"]: (m["kind"], m["version"]) for m in fs.masters()}
        assert kinds["상병마스터_20240101.xlsx"] == ("disease", "2024-01-01")
        assert kinds["약가마스터.csv"][0] == "drug"
        rows = fs.master_rows()
        blank = rows[rows.code == "645302133"]
        assert len(blank) == 1 and json.loads(blank["attrs"].iloc[0])["ATC코드"] is None
    again = ingest(
        [tmp_path / "상병마스터_20240101.xlsx"], tmp_path / "store", DataConfig(), tmp_path / "raw"
    )
    assert [r.status for r in again] == ["unchanged"]  # idempotent


def test_names_in_questions_link_through_the_master(svc: AskService, raw_sex: dict) -> None:
    r = svc.ask("2023년 급성 기관지염 여성 입원 환자수")
    want = raw_sex[("J20", "여", "입원")]["환자수"]
    assert not r["abstained"] and f"{want:,}" in r["answer"] and "급성 기관지염" in r["answer"]
    assert "J20" in r["interpretation"]
    r = svc.ask("2023년 급성 기관지염(J20) 여성 입원 환자수")  # a name next to its code: both agree
    assert not r["abstained"] and f"{want:,}" in r["answer"]
    r = svc.ask("고혈압 환자 몇 명이야?")  # several codes: asked back, never summed
    assert (
        r["abstained"] and r["reason"] == "ambiguous" and all(c in r["answer"] for c in ("I10", "I11", "I15"))
    )
    r = svc.ask("2023년 고혈압(J20) 환자수")  # the name and the code disagree
    assert r["abstained"] and "J20" in r["answer"] and "I10" in r["answer"]
    r = svc.ask("J20 상병명이 뭐야?")
    assert not r["abstained"] and "급성 기관지염" in r["answer"] and r["qtype"] == "master"
    r = svc.ask("2형 당뇨병 코드 알려줘")
    assert not r["abstained"] and "E11" in r["answer"]
    r = svc.ask("번아웃 증후군 환자수")  # not in the master: named, no number
    assert r["abstained"] and "번아웃" in r["answer"]
