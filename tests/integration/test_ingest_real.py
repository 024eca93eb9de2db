"""Every real HIRA file ingests, and the store agrees with the raw files row by row.

Expected values are computed here from the raw bytes with the csv module and openpyxl, not with the
product's readers.
"""

from __future__ import annotations

import csv
import io
import random
from pathlib import Path

import duckdb
import openpyxl
import pytest

from hirachat.config import DataConfig
from hirachat.data.ingest import ingest
from hirachat.data.store import FactStore

CSV_ENCODING = {"hira_dept_by_sido": "cp949", "hira_kcd3": "utf-8"}


def raw_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    enc = next(v for k, v in CSV_ENCODING.items() if path.name.startswith(k))
    rows = list(csv.reader(io.StringIO(path.read_bytes().decode(enc))))
    return rows[0], rows[1:]


def test_all_real_tables_are_in_the_store(real_store: Path, real_dir: Path) -> None:
    with FactStore.open(real_store, read_only=True) as s:
        tables = {t.table_id: t for t in s.tables()}
        assert len(s.sources()) == len([p for p in real_dir.iterdir() if p.suffix in (".csv", ".xlsx")])
        dept = tables["hira_dept_by_sido_cost_hospital_level"]
        assert set(dept.dims) == {"진료년도", "시도", "진료과목"}
        # schema drift: 입내원일수 only from 2019
        assert s.measure_periods(dept.table_id)["입내원일수"] == ["2019"]
        assert s.measure_periods(dept.table_id)["환자수"] == ["2013", "2014", "2015", "2016", "2017", "2019"]
        assert not dept.measure("환자수")["additive"] and dept.measure("요양급여비용총액")["unit"] == "원"
        assert tables["hira_kcd3_by_sex_inout"].measure("보험자부담금")["selective"]


@pytest.mark.parametrize(
    "name",
    [
        "hira_dept_by_sido_cost_hospital_level_2013.csv",
        "hira_dept_by_sido_cost_hospital_level_2019.csv",
        "hira_kcd3_by_dept_hospital_level_2023.csv",
        "hira_kcd3_by_sex_inout_2023.csv",
    ],
)
def test_csv_counts_and_values_reconcile_row_by_row(real_store: Path, real_dir: Path, name: str) -> None:
    header, rows = raw_rows(real_dir / name)
    with FactStore.open(real_store, read_only=True) as s:
        src = next(x for x in s.sources() if x.file_name == name)
        t = s.table(src.table_id)
        got = (
            s.con.execute(f'SELECT * FROM "{t.physical}" WHERE _source = ?', [src.source_id])
            .df()
            .set_index("_row")
        )
        counts = s.con.execute(
            "SELECT rows_read, rows_stored, rows_quarantined FROM sources WHERE source_id = ?",
            [src.source_id],
        ).fetchone()
    assert counts == (len(rows), len(rows), 0)
    assert sorted(got.index) == list(range(2, len(rows) + 2))
    canon = {
        "명세서 청구건수": "명세서청구건수",
        "보험자부담금(선별포함)": "보험자부담금",
        "요양급여비용총액(선별포함)": "요양급여비용총액",
    }
    rng = random.Random(0)
    for i in rng.sample(range(len(rows)), 200):
        raw = dict(zip(header, rows[i], strict=True))
        stored = got.loc[i + 2]
        for col, text in raw.items():
            key = canon.get(col, col)
            if col == "진료년도":
                assert stored[key] == int(text)
            elif text.strip().isdigit():
                assert stored[key] == int(text.strip()), (name, i + 2, col)
            else:
                assert stored[key] == text, (name, i + 2, col)


def test_portal_xlsx_is_melted_with_totals_blanks_and_regions(real_store: Path, real_dir: Path) -> None:
    path = real_dir / "hira_yoyang_institutions_by_region_type_2024Q4.xlsx"
    ws = openpyxl.load_workbook(path).active
    assert ws is not None
    sheet = list(ws.iter_rows(values_only=True))
    header, data = sheet[2], sheet[3:]
    with FactStore.open(real_store, read_only=True) as s:
        t = next(t for t in s.tables() if "기관수" in t.measure_names)
        df = s.frame(t.table_id)
    assert len(df) == len(data) * (len(header) - 2)  # one record per region row × (계 + 종별 columns)
    assert set(df["진료년도"]) == {2024} and set(df["분기"]) == {"4"}
    assert t.measure("기관수")["unit"] == "개소"
    seoul = df[(df["시도"] == "서울") & (df["시군구"] == "계")].set_index("종별")["기관수"]
    row4 = dict(zip(header, data[0], strict=True))
    assert seoul["계"] == row4["계"] == 24887 and seoul["의원"] == row4["의원"]
    assert seoul["보건진료소"] == 0  # blank cell in a portal export means 0
    assert (
        df[df["종별"] == "계"]["_total"].all()
        and not df[(df["종별"] != "계") & (df["시군구"] != "계")]["_total"].any()
    )
    jangan = df[(df["시도"] == "경기") & (df["시군구"] == "수원시 장안구")].set_index("종별")["기관수"]
    assert jangan["계"] == 476 and jangan.drop("계").sum() == 476
    assert "강원도" not in set(df["시도"]) and {"강원", "전북"} <= set(df["시도"])
    # in this reshaped file many rows' 종별 counts do not add up to their 계: ingest must say so, with the count
    mismatched = sum(1 for r in data if sum(v or 0 for v in r[3:]) != r[2])
    assert mismatched > 0
    with FactStore.open(real_store, read_only=True) as s:
        notes = s.con.execute("SELECT notes FROM sources WHERE file_name = ?", [path.name]).fetchone()
    assert (
        notes is not None and f"종별/기관수: {mismatched} of {len(data)} published totals differ" in notes[0]
    )


def test_insurer_share_never_exceeds_total(real_store: Path) -> None:
    with FactStore.open(real_store, read_only=True) as s:
        t = s.table("hira_dept_by_sido_cost_hospital_level")
        bad = s.con.execute(
            f'SELECT count(*) FROM "{t.physical}" WHERE 보험자부담금 > 요양급여비용총액'
        ).fetchone()
    assert bad == (0,)


def test_reingest_changes_nothing(real_store: Path, real_dir: Path, tmp_path: Path) -> None:
    def snapshot() -> list[tuple[str, int]]:
        with FactStore.open(real_store, read_only=True) as s:
            return [(t.table_id, s.count(t.table_id)) for t in s.tables()]

    before = snapshot()
    reports = ingest([real_dir], real_store, DataConfig(), tmp_path / "raw")
    assert {r.status for r in reports} == {"unchanged"}
    assert snapshot() == before


def test_store_is_a_plain_duckdb_file(real_store: Path) -> None:
    con = duckdb.connect(str(real_store / "facts.duckdb"), read_only=True)
    n = con.execute("SELECT count(*) FROM sources WHERE superseded_by IS NULL").fetchone()
    con.close()
    assert n is not None and n[0] == 9
