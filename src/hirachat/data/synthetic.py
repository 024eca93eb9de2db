"""Synthetic HIRA-like tables for the quickstart and benchmarks.

Same schemas, encodings and quirks as real downloads (CP949 with trailing spaces and a measure that
appears in a later year; UTF-8 with BOM and CRLF with a value in Excel scientific notation and blank
cells; a portal XLSX export with a merged title row, a blank row, 계 rows and columns, blank cells
meaning 0, "경기도 수원시 장안구" region cells and legacy province names). Every row carries the
column 합성데이터=Y, so the store marks it synthetic and it can never pass for HIRA data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SIDO = [
    "서울",
    "부산",
    "대구",
    "인천",
    "광주",
    "대전",
    "울산",
    "세종",
    "경기",
    "강원",
    "충북",
    "충남",
    "전북",
    "전남",
    "경북",
    "경남",
    "제주",
]
DEPTS = [
    "일반의",
    "내과",
    "신경과",
    "정신건강의학과",
    "외과",
    "정형외과",
    "신경외과",
    "산부인과",
    "소아청소년과",
    "안과",
    "이비인후과",
    "피부과",
    "비뇨의학과",
    "영상의학과",
    "재활의학과",
    "가정의학과",
    "응급의학과",
    "치과",
    "한방",
    "약국",
]
CODES = [
    "A09",
    "B02",
    "E11",
    "F32",
    "G47",
    "I10",
    "I20",
    "I63",
    "J00",
    "J06",
    "J20",
    "J45",
    "K21",
    "K29",
    "M17",
    "M51",
    "M54",
    "N18",
    "N39",
    "R51",
]
MARK = "합성데이터"


def _volumes(
    rng: np.random.Generator, n: int, patients: tuple[int, int], visits: int, scale: float
) -> dict[str, np.ndarray]:
    """Consistent measures for ``n`` rows: claims ≥ patients, 보험자부담금 < 요양급여비용총액."""
    p = rng.integers(*patients, n)
    claims = p * rng.integers(1, visits, n)
    total, insurer = _money(rng, n, scale)
    return {"환자수": p, "명세서청구건수": claims, "요양급여비용총액": total, "보험자부담금": insurer}


def _money(rng: np.random.Generator, n: int, scale: float) -> tuple[np.ndarray, np.ndarray]:
    total = np.round(rng.lognormal(np.log(scale), 1.0, n) / 10) * 10
    insurer = np.round(total * rng.uniform(0.68, 0.86, n) / 10) * 10
    return total.astype(np.int64), insurer.astype(np.int64)


def cost_by_sido(year: int, seed: int, with_days: bool) -> pd.DataFrame:
    rng = np.random.default_rng(seed + year)
    grid = pd.MultiIndex.from_product([SIDO, DEPTS[:12]], names=["시도", "진료과목"]).to_frame(index=False)
    v = _volumes(rng, len(grid), (500, 900_000), 6, 3e10)
    df = pd.DataFrame(
        {
            MARK: "Y",
            "진료년도": year,
            "시도": grid["시도"],
            "진료과목": grid["진료과목"],
            "환자수": v["환자수"],
            "명세서 청구건수": v["명세서청구건수"],
        }
    )
    if with_days:
        df["입내원일수"] = v["명세서청구건수"] + rng.integers(0, 50_000, len(grid))
    df["요양급여비용총액"] = v["요양급여비용총액"]
    df["보험자부담금"] = v["보험자부담금"]
    return df


def kcd_by_sex_inout(year: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed + 31 * year)
    grid = pd.MultiIndex.from_product(
        [CODES, ["남", "여"], ["입원", "외래"]], names=["주상병코드", "성별", "입원외래구분"]
    )
    g = grid.to_frame(index=False)
    v = _volumes(rng, len(g), (10, 300_000), 5, 5e9)
    return pd.DataFrame(
        {
            MARK: "Y",
            "진료년도": year,
            **{c: g[c] for c in g.columns},
            "환자수": v["환자수"],
            "명세서청구건수": v["명세서청구건수"],
            "입내원일수": v["명세서청구건수"] + rng.integers(0, 9_000, len(g)),
            "보험자부담금(선별포함)": v["보험자부담금"],
            "요양급여비용총액(선별포함)": v["요양급여비용총액"],
        }
    )


def _with_trailing_spaces(df: pd.DataFrame, numeric: list[str]) -> pd.DataFrame:
    out = df.copy()
    for c in numeric:
        out[c] = out[c].astype(str) + " "
    return out


def write_institutions_xlsx(path: Path, seed: int) -> Path:
    import openpyxl

    rng = np.random.default_rng(seed + 99)
    kinds = ["상급종합병원", "종합병원", "병원", "요양병원", "의원", "치과의원", "보건소", "약국", "한의원"]
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "기관수현황(단위_개소)_2024년"
    ws.append(["기관수현황_지역별종별요양기관수현황(단위_개소)_2024년4분기 (합성)"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=8)
    ws.append([])
    ws.append(["시도", "시군구", "계", *kinds, MARK])
    regions = [
        ("서울특별시", "계"),
        ("부산광역시", "계"),
        ("세종특별자치시", "세종시"),
        ("경기도 수원시 장안구", "수원장안구"),
        ("경기도 수원시 권선구", "수원권선구"),
        ("경기도 성남시 분당구", "성남분당구"),
        ("강원도 춘천시", "춘천시"),
        ("강원도 원주시", "원주시"),
        ("전라북도 전주시 완산구", "전주완산구"),
        ("전라북도 군산시", "군산시"),
    ]
    for region, sgg in regions:
        counts = [int(v) if v > 0 else None for v in rng.integers(-3, 400, len(kinds))]
        total = sum(c or 0 for c in counts)
        ws.append([region, sgg, total, *counts, "Y"])
    ws.append([])
    ws.append(["※ 합성 데이터: 실제 건강보험심사평가원 통계가 아닙니다."])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def write_samples(out: Path, seed: int = 0, rows: int | None = None) -> list[Path]:
    """Write the sample set; with ``rows``, also one large table of about that many rows."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for year in (2018, 2019, 2020):
        df = cost_by_sido(year, seed, with_days=year >= 2019)
        num = [c for c in df.columns if c not in (MARK, "진료년도", "시도", "진료과목")]
        p = out / f"SYNTHETIC_병원급이상_진료과목별_시도별_진료비_통계_{year}.csv"
        _with_trailing_spaces(df, num).to_csv(p, index=False, encoding="cp949", lineterminator="\n")
        paths.append(p)
    df = kcd_by_sex_inout(2023, seed).astype({"요양급여비용총액(선별포함)": object, "입내원일수": object})
    col = "요양급여비용총액(선별포함)"
    df[col] = [f"{float(v):.2E}" if i == 3 else v for i, v in enumerate(df[col])]  # Excel damage
    df["입내원일수"] = [
        "" if i == 5 else v for i, v in enumerate(df["입내원일수"])
    ]  # an empty cell stays null
    p = out / "SYNTHETIC_3단상병별_성별_입원외래별_통계_20231231.csv"
    df.to_csv(p, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    paths.append(p)
    paths.append(write_institutions_xlsx(out / "SYNTHETIC_지역별_종별_요양기관수_현황_2024Q4.xlsx", seed))
    if rows:
        paths.append(write_large(out / f"SYNTHETIC_대용량_진료과목별_상병_통계_{rows}.csv", rows, seed))
    return paths


def write_large(path: Path, rows: int, seed: int = 0) -> Path:
    """One CP949 table of ``rows`` rows: 진료년도 × 시도 × 진료과목 × 주상병코드 (generated codes)."""
    rng = np.random.default_rng(seed)
    per_code = len(SIDO) * len(DEPTS)
    years = [2021, 2022, 2023]
    n_codes = max(1, -(-rows // (per_code * len(years))))
    codes = [
        f"{chr(65 + i // 100 % 26)}{i % 100:02d}" if i < 2600 else f"{chr(65 + i // 1000 % 26)}{i % 1000:03d}"
        for i in range(n_codes)
    ]
    idx = pd.MultiIndex.from_product(
        [years, SIDO, DEPTS, codes], names=["진료년도", "시도", "진료과목", "주상병코드"]
    )
    g = idx.to_frame(index=False).iloc[:rows]
    df = pd.DataFrame(
        {MARK: "Y", **{c: g[c].to_numpy() for c in g.columns}, **_volumes(rng, len(g), (1, 50_000), 4, 2e7)}
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=False, encoding="cp949", lineterminator="\n")
    return path
