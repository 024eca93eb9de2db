"""Masters of other shapes than KCD (HIRA 상병마스터 CSV, 약가 master workbook, ATC map, 수가 master and its
change file), as users bring them: each ingests as a master with every row, blank attributes kept; lookups
on them (attributes, counts by value, what a change file did) answer from the files. Expected answers are
computed here from the rows written, never by the product's code."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from hirachat.answer.service import AskService
from hirachat.config import DataConfig, InferenceConfig
from hirachat.data.ingest import ingest
from hirachat.data.store import FactStore

SANGBYEONG = [  # HIRA 상병마스터 download: 상병기호 (not "코드"), blank attributes
    ["상병기호", "한글명", "영문명", "완전코드구분", "성별구분", "상한연령", "하한연령"],
    ["J20", "급성 기관지염", "Acute bronchitis", "불완전", "", "", ""],
    [
        "J200",
        "마이코플라스마 폐렴균에 의한 급성 기관지염",
        "Acute bronchitis due to Mycoplasma",
        "완전",
        "",
        "",
        "",
    ],
    ["N40", "전립선증식증", "Hyperplasia of prostate", "완전", "남", "", ""],
    ["O80", "단일 자연분만", "Single spontaneous delivery", "완전", "여", "60", "10"],
]
DRUGS = [  # 약가 master: title rows, then 연번 … 상한금액; a blank 단위 is a value
    [
        "연번",
        "투여",
        "분류",
        "주성분코드",
        "제품코드",
        "제품명",
        "업체명",
        "규격",
        "단위",
        "상한금액",
        "비고",
    ],
    ["1", "내복", "112", "101301ASY", "645302132", "포크랄시럽", "한림제약(주)", "1", "mL", "12", ""],
    [
        "2",
        "내복",
        "114",
        "110701ATB",
        "641900160",
        "타이레놀정500밀리그램",
        "한국존슨앤드존슨",
        "1",
        "정",
        "51",
        "",
    ],
    [
        "3",
        "내복",
        "114",
        "110702ATB",
        "641900170",
        "타이레놀8시간이알서방정",
        "한국존슨앤드존슨",
        "1",
        "정",
        "",
        "",
    ],
    ["4", "내복", "232", "160230ATB", "671803380", "무코판정", "대웅제약", "1", "", "30", "급여중지"],
    ["5", "주사", "611", "121901BIJ", "649201490", "세파졸린주1그램", "종근당", "1", "병", "1480", ""],
]
ATC = [  # ATC map: a product may have no ATC code (blank ATC코드 is a value)
    ["주성분코드", "제품코드", "제품명", "ATC코드", "ATC코드명"],
    ["101301ASY", "645302132", "포크랄시럽", "N05CC01", "chloral hydrate"],
    ["110701ATB", "641900160", "타이레놀정500밀리그램", "N02BE01", "paracetamol"],
    ["110702ATB", "641900170", "타이레놀8시간이알서방정", "N02BE01", "paracetamol"],
    ["110703ATB", "641900180", "타세놀정", "N02BE01", "paracetamol"],
    ["160230ATB", "671803380", "무코판정", "", ""],
    ["121901BIJ", "649201490", "세파졸린주1그램", "J01DB04", "cefazolin"],
]
FEES = [  # 수가 master
    ["분류번호", "수가코드", "한글명", "영문명", "상대가치점수", "적용일자"],
    ["가-1", "AA154", "초진진찰료-의원", "Initial Visit", "153.36", "20250101"],
    ["가-1", "AA254", "재진진찰료-의원", "Follow-up Visit", "109.61", "20250101"],
    ["나-1", "B0001", "일반혈액검사", "CBC", "30.12", "20250101"],
    ["다-1", "HA010", "단순흉부촬영", "Chest X-ray", "55.00", "20250101"],
]
FEE_CHANGES = [  # its monthly change file: 신설 / 변경 / 삭제
    ["변경구분", "적용일자", "수가코드", "한글명", "상대가치점수"],
    ["신설", "20250801", "AZ001", "원격모니터링관리료", "80.00"],
    ["신설", "20250801", "AZ002", "비대면진찰료", "120.50"],
    ["변경", "20250801", "B0001", "일반혈액검사(CBC)", "31.00"],
    ["삭제", "20250801", "HA010", "단순흉부촬영", ""],
]


def _csv(path: Path, rows: list[list[str]], encoding: str) -> Path:
    with path.open("w", encoding=encoding, newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list]:
    root = tmp_path_factory.mktemp("shapes")
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "약제급여목록"
    ws.append(["약제급여목록 및 급여상한금액표 (2025.07.01. 기준)"])
    ws.merge_cells("A1:K1")
    ws.append([])
    for r in DRUGS:
        ws.append(r)
    wb.save(root / "약제급여목록표_20250701.xlsx")
    files = [
        _csv(root / "상병마스터.csv", SANGBYEONG, "cp949"),
        root / "약제급여목록표_20250701.xlsx",
        _csv(root / "ATC코드_매핑목록_20250701.csv", ATC, "utf-8-sig"),
        _csv(root / "수가마스터_20250101.csv", FEES, "cp949"),
        _csv(root / "수가_변경_20250801.csv", FEE_CHANGES, "cp949"),
    ]
    reports = ingest(files, root / "store", DataConfig(), root / "raw")
    return root / "store", reports


@pytest.fixture(scope="module")
def svc(shapes: tuple[Path, list]) -> Iterator[AskService]:
    with AskService(shapes[0], InferenceConfig(), "grounded", None, 0) as s:
        yield s


def test_every_shape_is_a_master_with_every_row(shapes: tuple[Path, list]) -> None:
    store, reports = shapes
    assert [r.status for r in reports] == ["master"] * 5, [r.line() for r in reports]
    assert [r.rows_stored for r in reports] == [
        len(t) - 1 for t in (SANGBYEONG, DRUGS, ATC, FEES, FEE_CHANGES)
    ]
    with FactStore.open(store, read_only=True) as fs:
        by_file = {m["file_name"]: m for m in fs.masters()}
        rows = fs.master_rows()
    assert (
        by_file["상병마스터.csv"]["code_column"] == "상병기호"
        and by_file["상병마스터.csv"]["kind"] == "disease"
    )
    drug = by_file["약제급여목록표_20250701.xlsx"]
    assert (drug["code_column"], drug["name_column"], drug["version"]) == ("제품코드", "제품명", "2025-07-01")
    atc = by_file["ATC코드_매핑목록_20250701.csv"]
    assert (atc["code_column"], atc["name_column"]) == ("제품코드", "제품명")
    change = by_file["수가_변경_20250801.csv"]
    assert change["change_column"] == "변경구분" and change["version"] == "2025-08-01"
    assert by_file["수가마스터_20250101.csv"]["change_column"] is None
    assert set(rows.code) >= {r[4] for r in DRUGS[1:]} | {r[1] for r in ATC[1:]}  # blank 단위 / ATC kept


def test_an_attribute_of_a_product_asked_by_name_or_code(svc: AskService) -> None:
    atc = {r[2]: r[3] for r in ATC[1:]}
    r = svc.ask("포크랄시럽의 ATC 코드는?")
    assert not r["abstained"] and atc["포크랄시럽"] in r["answer"] and "ATC코드_매핑목록" in r["answer"]
    r = svc.ask("무코판정 ATC 코드 알려줘")  # blank in the map: said, never invented
    assert not r["abstained"] and "비어 있습니다" in r["answer"] and "N0" not in r["answer"]
    maker = {r[4]: r[6] for r in DRUGS[1:]}
    r = svc.ask("641900160 제조사가 어디야?")
    assert not r["abstained"] and maker["641900160"] in r["answer"]
    price = {r[5]: r[9] for r in DRUGS[1:]}
    r = svc.ask("세파졸린주1그램 상한금액 얼마야")
    assert not r["abstained"] and f"{price['세파졸린주1그램']}" in r["answer"] and "2025-07-01" in r["answer"]
    r = svc.ask("O80 하한연령은?")  # 상병마스터: an attribute column of its own
    assert not r["abstained"] and "10" in r["answer"] and "단일 자연분만" in r["answer"]


def test_how_many_products_map_to_an_atc_code(svc: AskService) -> None:
    want = [r for r in ATC[1:] if r[3] == "N02BE01"]
    r = svc.ask("ATC 코드 N02BE01에 해당하는 제품은 몇 개야?")
    assert not r["abstained"] and f"{len(want)}개" in r["answer"]
    assert all(p[2] in r["answer"] for p in want)


def test_a_master_updated_by_its_change_file(svc: AskService) -> None:
    added = [r for r in FEE_CHANGES[1:] if r[0] == "신설"]
    r = svc.ask("신설된 수가코드 알려줘")
    assert not r["abstained"] and f"{len(added)}개" in r["answer"]
    assert all(a[2] in r["answer"] and a[3] in r["answer"] for a in added) and "2025-08-01" in r["answer"]
    r = svc.ask("삭제된 수가코드는 몇 개?")
    assert not r["abstained"] and "1개" in r["answer"] and "HA010" in r["answer"]
    r = svc.ask("HA010 상대가치점수")  # deleted: its last value, and the deletion said
    assert not r["abstained"] and "삭제" in r["answer"] and "55.00" in r["answer"]
    r = svc.ask("B0001 한글명이 뭐야?")  # changed: the new name, from the change file
    assert not r["abstained"] and "일반혈액검사(CBC)" in r["answer"] and "수가_변경_20250801" in r["answer"]
    r = svc.ask("AZ002 상대가치점수는?")  # new: found, only in the change file
    assert not r["abstained"] and "120.50" in r["answer"]
    r = svc.ask("AA154 영문명")  # untouched by the change file: the master's own row
    assert not r["abstained"] and "Initial Visit" in r["answer"] and "수가마스터_20250101" in r["answer"]


def test_a_question_the_masters_cannot_answer_is_not_answered_from_them(svc: AskService) -> None:
    r = svc.ask("포크랄시럽 2023년 처방건수")  # a statistic no stored table has: abstain, no master value
    assert r["abstained"]
    r = svc.ask("포크랄시럽 유효기간은?")  # an attribute no master has
    assert r["abstained"] or "유효기간" not in r["answer"]
