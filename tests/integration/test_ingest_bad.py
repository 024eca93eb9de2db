"""Crafted bad and quirky files: each gets a clear error or a quarantine entry naming file, row and field."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import openpyxl
import pytest

from hirachat.config import DataConfig
from hirachat.data.ingest import IngestReport, ingest
from hirachat.data.store import FactStore

HEADER = "진료년도,시도,진료과목,환자수,명세서 청구건수,요양급여비용총액,보험자부담금"
ROWS = [
    "2021,서울,내과,100 ,200 ,3000 ,2000 ",
    "2021,부산,내과,50 ,80 ,900 ,700 ",
    "2021,서울,외과,10 ,20 ,300 ,200 ",
]


def run(tmp_path: Path, *files: Path) -> list[IngestReport]:
    return ingest(list(files), tmp_path / "store", DataConfig(), tmp_path / "raw")


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8", newline: str = "\n") -> Path:
    p = tmp_path / name
    p.write_bytes(text.replace("\n", newline).encode(encoding))
    return p


def quarantine(rep: IngestReport) -> list[dict]:
    assert rep.quarantine_file
    return [json.loads(x) for x in Path(rep.quarantine_file).read_text(encoding="utf-8").splitlines()]


def stored(tmp_path: Path) -> list[dict]:
    with FactStore.open(tmp_path / "store", read_only=True) as s:
        (t,) = s.tables()
        return s.frame(t.table_id).to_dict("records")


@pytest.mark.parametrize(
    ("encoding", "newline"), [("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp949", "\n"), ("euc-kr", "\r\n")]
)
def test_encodings_and_line_endings_give_the_same_facts(tmp_path: Path, encoding: str, newline: str) -> None:
    p = write(tmp_path, "t_2021.csv", "\n".join([HEADER, *ROWS]) + "\n", encoding, newline)
    (rep,) = run(tmp_path, p)
    assert rep.status == "stored" and rep.rows_stored == 3
    assert (
        rep.encoding
        == {"utf-8": "utf-8", "utf-8-sig": "utf-8-sig", "cp949": "cp949", "euc-kr": "cp949"}[encoding]
    )
    seoul = next(r for r in stored(tmp_path) if r["시도"] == "서울" and r["진료과목"] == "내과")
    assert (seoul["환자수"], seoul["명세서청구건수"], seoul["요양급여비용총액"]) == (100, 200, 3000)


def test_truncated_download_quarantines_the_cut_row(tmp_path: Path) -> None:
    text = "\n".join([HEADER, *ROWS]) + "\n"
    cut = text.encode("cp949")[:-12]  # cut inside the last row
    p = tmp_path / "cut_2021.csv"
    p.write_bytes(cut)
    (rep,) = run(tmp_path, p)
    assert rep.rows_read == 3 and rep.rows_stored == 2 and rep.rows_quarantined == 1
    (q,) = quarantine(rep)
    assert q["row"] == 4 and "fields, header has 7" in q["reason"] and q["file"] == "cut_2021.csv"


def test_cut_inside_a_multibyte_character_still_reads(tmp_path: Path) -> None:
    data = ("\n".join([HEADER, *ROWS]) + "\n2021,서").encode("utf-8")[:-1]
    p = tmp_path / "cutchar_2021.csv"
    p.write_bytes(data)
    (rep,) = run(tmp_path, p)
    assert rep.status == "stored" and rep.rows_stored == 3 and rep.rows_quarantined == 1


def test_undecodable_file_is_a_clear_error_naming_it(tmp_path: Path) -> None:
    p = tmp_path / "binary.csv"
    p.write_bytes(bytes(range(128, 256)) * 40)
    (rep,) = run(tmp_path, p)
    assert (
        rep.status == "error" and "binary.csv" in (rep.error or "") and "cannot decode" in (rep.error or "")
    )


def test_garbage_rows_are_quarantined_with_field_and_value(tmp_path: Path) -> None:
    rows = [*ROWS, "2021,대구,내과,많음 ,1 ,2 ,1 ", "20x1,대구,외과,1 ,1 ,2 ,1 ", ",대구,안과,1 ,1 ,2 ,1 "]
    p = write(tmp_path, "garbage_2021.csv", "\n".join([HEADER, *rows]) + "\n")
    (rep,) = run(tmp_path, p)
    assert (rep.rows_read, rep.rows_stored, rep.rows_quarantined) == (6, 3, 3)
    reasons = {q["row"]: (q["field"], q["reason"]) for q in quarantine(rep)}
    assert reasons[5] == ("환자수", "환자수: '많음 ' is not a number")  # the raw cell, as written
    assert reasons[6][0] == "진료년도" and "'20x1' is not a year" in reasons[6][1]
    assert reasons[7] == ("진료년도", "blank 진료년도")


def test_duplicate_columns(tmp_path: Path) -> None:
    same = write(
        tmp_path, "dupsame_2021.csv", "\n".join([HEADER + ",환자수", *(r + ",1" for r in ROWS)]) + "\n"
    )
    (rep,) = run(tmp_path, same)
    assert (
        rep.status == "error"
        and "both mean 환자수" in (rep.error or "")
        and "dupsame_2021.csv" in (rep.error or "")
    )
    ident = write(
        tmp_path,
        "dupident_2021.csv",
        "\n".join([HEADER + ",진료인원", *(r + "," + r.split(",")[3] for r in ROWS)]) + "\n",
    )
    (rep2,) = run(tmp_path, ident)
    assert rep2.status == "stored" and any("identical values" in n for n in rep2.notes)


def test_duplicate_keys_are_quarantined_not_merged(tmp_path: Path) -> None:
    p = write(tmp_path, "dupkey_2021.csv", "\n".join([HEADER, *ROWS, ROWS[0].replace("100 ", "999 ")]) + "\n")
    (rep,) = run(tmp_path, p)
    (q,) = quarantine(rep)
    assert q["row"] == 5 and "of row 2 with different figures" in q["reason"]
    assert (
        "환자수 100 (row 2) vs 999" in q["reason"] and "first row in the file (row 2) is kept" in q["reason"]
    )
    assert any("row 2 kept" in n and "row 5 quarantined" in n for n in rep.notes)
    same = write(tmp_path, "dupsame_2021.csv", "\n".join([HEADER, *ROWS, ROWS[0]]) + "\n")
    (rep2,) = run(tmp_path, same)
    (q2,) = quarantine(rep2)
    assert "exact repeat of row 2" in q2["reason"] and not any("kept" in n for n in rep2.notes)


def test_scientific_notation_is_kept_flagged_and_blank_is_null(tmp_path: Path) -> None:
    rows = ["2021,서울,내과,100 ,200 ,1.79E+11 ,2000 ", "2021,부산,내과,50 ,,900 ,700 "]
    p = write(tmp_path, "sci_2021.csv", "\n".join([HEADER, *rows]) + "\n")
    (rep,) = run(tmp_path, p)
    assert rep.cells_approx == 1
    recs = {r["시도"]: r for r in stored(tmp_path)}
    assert recs["서울"]["요양급여비용총액"] == 1.79e11 and recs["서울"]["_approx"] == "요양급여비용총액"
    assert recs["부산"]["명세서청구건수"] != recs["부산"]["명세서청구건수"]  # NaN: null stays null


def test_column_order_and_synonyms_do_not_matter(tmp_path: Path) -> None:
    a = write(tmp_path, "a_2021.csv", "\n".join([HEADER, *ROWS]) + "\n")
    shuffled = "보험자부담금,진료과목,명세서건수,시도명,진료실인원,연도,총진료비"
    rows = []
    for r in ROWS:
        y, sido, dept, pat, claims, tot, ins = r.split(",")
        rows.append(",".join([ins, dept, claims, sido, pat, y, tot]))
    (tmp_path / "other").mkdir()
    b = write(tmp_path / "other", "a_2021.csv", "\n".join([shuffled, *rows]) + "\n")
    (ra,) = run(tmp_path / "one", a)
    (rb,) = run(tmp_path / "two", b)
    assert ra.status == rb.status == "stored"
    fa, fb = stored(tmp_path / "one"), stored(tmp_path / "two")
    cols = ["진료년도", "시도", "진료과목", "환자수", "명세서청구건수", "요양급여비용총액", "보험자부담금"]
    assert [{c: r[c] for c in cols} for r in fa] == [{c: r[c] for c in cols} for r in fb]


def test_new_release_replaces_the_same_period_and_unit_scaling(tmp_path: Path) -> None:
    first = write(tmp_path, "t_2021.csv", "\n".join([HEADER, *ROWS]) + "\n")
    run(tmp_path, first)
    (tmp_path / "v2").mkdir()
    header = HEADER.replace("요양급여비용총액", "요양급여비용총액(천원)")
    second = write(tmp_path / "v2", "t_2021.csv", "\n".join([header, *ROWS[:2]]) + "\n")
    (rep,) = run(tmp_path, second)
    assert rep.superseded and rep.rows_stored == 2
    recs = stored(tmp_path)
    assert len(recs) == 2 and {r["요양급여비용총액"] for r in recs} == {3_000_000, 900_000}  # 천원 → 원


def test_portal_xlsx_with_merged_multirow_header_and_footnote(tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["시도별 진료실적 (단위: 천원)"])
    ws.merge_cells("A1:E1")
    ws.append([])
    ws.append(["시도", "2022년", None, "2023년", None])
    ws.merge_cells("B3:C3")
    ws.merge_cells("D3:E3")
    ws.append([None, "진료비", "환자수", "진료비", "환자수"])
    ws.append(["서울특별시", 10, 5, 12, 6])
    ws.append(["부산광역시", 7, None, 8, 4])
    ws.append(["합계", 17, 5, 20, 10])
    ws.append(["※ 자료: 건강보험심사평가원"])
    p = tmp_path / "portal.xlsx"
    wb.save(p)
    (rep,) = run(tmp_path, p)
    assert rep.status == "stored", rep.error
    assert rep.rows_read == 3 and rep.facts_stored == 6 and rep.periods == ["2022", "2023"]
    recs = {(r["시도"], r["진료년도"]): r for r in stored(tmp_path)}
    assert recs[("서울", 2023)]["요양급여비용총액"] == 12_000 and recs[("서울", 2023)]["환자수"] == 6
    assert recs[("부산", 2022)]["환자수"] == 0  # blank in a portal export
    assert recs[("계", 2023)]["_total"] and not recs[("서울", 2023)]["_total"]


def test_broken_and_legacy_workbooks(tmp_path: Path) -> None:
    good = tmp_path / "g.xlsx"
    wb = openpyxl.Workbook()
    wb.save(good)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[:200])
    legacy = tmp_path / "old.xls"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0" + b"\0" * 100)
    fake = tmp_path / "fake.xlsx"
    fake.write_text("시도,환자수\n서울,1\n", encoding="utf-8")
    reps = run(tmp_path, broken, legacy, fake, tmp_path / "missing.csv")
    assert [r.status for r in reps] == ["error"] * 4
    assert "broken.xlsx" in (reps[0].error or "") and "not a readable XLSX" in (reps[0].error or "")
    assert "not a readable .xls workbook" in (reps[1].error or "")  # a damaged .xls is named, not a traceback
    assert "not a ZIP workbook" in (reps[2].error or "")
    assert "no such file" in (reps[3].error or "")
    assert zipfile.is_zipfile(good)


def test_unseen_table_is_inferred_from_names_and_values(tmp_path: Path) -> None:
    text = "기준년도,행위코드,요양기관종별,총사용량,청구금액,평균단가\n2022,HA010,의원,100 ,5000 ,50.5\n2022,HA010,병원,40 ,2400 ,60\n"
    (rep,) = run(tmp_path, write(tmp_path, "의료행위별_종별_2022.csv", text))
    assert rep.status == "stored"
    with FactStore.open(tmp_path / "store", read_only=True) as s:
        (t,) = s.tables()
    assert set(t.dims) == {"진료년도", "행위코드", "종별"}
    assert t.measure_names == ["의료행위총사용량", "의료행위청구금액", "평균단가"]
    assert t.measure("평균단가")["integer"] is False and t.measure("의료행위총사용량")["unit"] == "회"
