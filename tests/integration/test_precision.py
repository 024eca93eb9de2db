"""Precision honesty: amounts a file holds rounded (a band of 6-significant-figure values, or 1.79E+11) are
stored approximate and answered "약 …" with a note; a key a file gives twice with different figures is
reported with both rows and the rule, and the answer that uses it says so (issue: code masters, 5-6)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from hirachat.answer.service import AskService
from hirachat.config import DataConfig, InferenceConfig
from hirachat.data.ingest import ingest

SEX = "hira_kcd3_by_sex_inout_2023.csv"
AMOUNTS = ("보험자부담금(선별포함)", "요양급여비용총액(선별포함)")


def _figures(v: str) -> int:
    return len(v.rstrip("0"))


@pytest.fixture(scope="module")
def crafted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    """A disease table whose amounts of 10^11 or more are rounded to 6 figures (smaller ones exact), and
    one key (서울 × J20) given twice with different figures."""
    root = tmp_path_factory.mktemp("precision")
    rows = [["진료년도", "시도", "주상병코드", "환자수", "요양급여비용총액"]]
    exact = [1234567891, 9876543219, 23456789017, 34567890123, 45678901231, 56789012347]
    rounded = [102582000000, 233190000000, 1254780000000]
    for i, v in enumerate(exact + rounded):
        rows.append(["2022", "부산", f"A{i:02d}", str(100 + i), str(v)])
    rows.append(["2022", "서울", "J20", "500", "7000000"])
    rows.append(["2022", "서울", "J20", "520", "7100000"])  # the same key again, other figures
    path = root / "상병_시도별_2022.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    reports = ingest([path], root / "store", DataConfig(), root / "raw")
    (rep,) = reports
    assert rep.status == "stored"
    return root / "store", {
        "rows": [",".join(r) for r in rows],
        "notes": rep.notes,
        "approx": [str(rep.cells_approx)],
    }


@pytest.fixture(scope="module")
def svc(crafted: tuple[Path, dict]) -> Iterator[AskService]:
    with AskService(crafted[0], InferenceConfig(), "grounded", None, 0) as s:
        yield s


def test_a_band_of_rounded_amounts_is_flagged_and_said_about(
    crafted: tuple[Path, dict], svc: AskService
) -> None:
    _, info = crafted
    assert info["approx"] == ["3"]  # the three amounts of 10^11 or more; the exact ones are not flagged
    assert any("rounded to 6 significant figures" in n for n in info["notes"])
    r = svc.ask("2022년 부산 A06 진료비")  # 102582000000: approximate
    assert not r["abstained"] and "약 102,582,000,000원" in r["answer"] and "근사값" in r["answer"]
    r = svc.ask("2022년 부산 A05 진료비")  # exact
    assert not r["abstained"] and "56,789,012,347원" in r["answer"] and "약 " not in r["answer"]
    r = svc.ask("2022년 부산 진료비 상위 2개 상병")  # a ranking list writes each amount once, "약" too
    assert "1위 상병코드 A08 약 1,254,780,000,000원" in r["answer"], r["answer"]
    r = svc.ask("2022년 부산 진료비 합계")  # a sum over rounded amounts is itself approximate
    total = sum(int(x.split(",")[4]) for x in info["rows"][1:] if ",부산," in x)
    assert not r["abstained"] and f"약 {total:,}원" in r["answer"]


def test_the_real_files_rounded_band_is_flagged(real_store: Path, real_dir: Path) -> None:
    with (real_dir / SEX).open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    big = sum(len(r[c].strip()) >= 12 and _figures(r[c].strip()) <= 6 for r in rows for c in AMOUNTS)
    eleven = sum(len(r[c].strip()) == 11 and _figures(r[c].strip()) <= 6 for r in rows for c in AMOUNTS)
    with AskService(real_store, InferenceConfig(), "grounded", None, 0) as s:
        from hirachat.data.store import FactStore

        with FactStore.open(real_store, read_only=True) as fs:
            src = next(
                x
                for x in fs.con.execute("SELECT file_name, cells_approx FROM sources").fetchall()
                if x[0] == SEX
            )
        assert src[1] == big and eleven == 0  # every amount of 10^11 or more, nothing below
        n18 = sum(int(r["요양급여비용총액(선별포함)"]) for r in rows if r["주상병코드"] == "N18")
        r = s.ask("2023년 N18 진료비")
        assert not r["abstained"] and f"약 {n18:,}원" in r["answer"] and "근사값" in r["answer"]


def test_a_key_given_twice_is_reported_and_its_answer_says_so(
    crafted: tuple[Path, dict], svc: AskService
) -> None:
    _, info = crafted
    dup_rows = [i + 1 for i, x in enumerate(info["rows"]) if ",서울,J20," in x]  # file rows (header = 1)
    assert any(
        f"row {dup_rows[0]} kept" in n and f"row {dup_rows[1]} quarantined" in n for n in info["notes"]
    )
    r = svc.ask("2022년 서울 J20 환자수")
    assert not r["abstained"] and "500명" in r["answer"]
    assert f"{dup_rows[0]}행" in r["answer"] and f"{dup_rows[1]}행" in r["answer"] and "520" in r["answer"]
    r = svc.ask("2022년 부산 A01 환자수")  # a key given once: no such note
    assert not r["abstained"] and "두 번" not in r["answer"]
