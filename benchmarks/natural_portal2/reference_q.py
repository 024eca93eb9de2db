#!/usr/bin/env python
"""Reference answers for natural_portal2/questions_q.jsonl.

Usage: python reference_q.py DATA_DIR OUT_JSONL

DATA_DIR is the HIRA portal fixture folder (tests/fixtures/portal). Every
expected figure is computed here from the raw files with xlrd / openpyxl /
csv; nothing is typed in by hand except cell coordinates (labels).

Conventions
- 증감률 = 100 * (new / old - 1), unit "%".
- 차이 = absolute difference.
- 비중 = 100 * part / total, total = the file's own total row (계/소계) where
  the file prints one, else the sum of the parts of an additive measure.
- 몇 배 = a / b, unit "배".
- Amounts: only the xlsx I21 table states a unit (천원) -> converted to 원
  (x1000). The .xls OLAP files and the 심사년도 CSV state no unit, so their
  amounts are reported as printed with unit null.
- "-" cells are not a number: questions that need one are unanswerable.
"""

import csv
import glob
import json
import os
import sys

import openpyxl
import xlrd

MEASURES = ["환자수", "내원일수", "청구건수", "요양급여비용총액", "보험자부담금"]
UNIT = {"환자수": "명", "내원일수": "일", "청구건수": "건", "요양급여비용총액": None, "보험자부담금": None}


def num(v):
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).strip().replace(",", "")
    if s in ("", "-"):
        return None
    return float(s)


def find(data_dir, pattern):
    hits = sorted(glob.glob(os.path.join(data_dir, pattern)))
    if len(hits) != 1:
        raise SystemExit(f"expected one file for {pattern!r}, got {hits!r}")
    return hits[0]


# ---------------------------------------------------------------- loaders
def load_olap_xls(path):
    """-> {label tuple (without 코드): {'2018-01': {measure: float|None}}}"""
    sh = xlrd.open_workbook(path).sheet_by_index(0)
    top = sh.row_values(0)
    hdr = sh.row_values(1)
    nl = hdr.index("환자수")
    out = {}
    for r in range(2, sh.nrows):
        row = sh.row_values(r)
        key = tuple(str(x).strip() for x in row[1:nl])
        d = out.setdefault(key, {})
        for c in range(nl, sh.ncols):
            ym = str(top[c]).strip()  # '2018년 01월'
            ym = ym.replace("년", "-").replace("월", "").replace(" ", "")
            y, m = ym.split("-")
            ym = f"{y}-{int(m):02d}"
            d.setdefault(ym, {})[str(hdr[c]).strip()] = num(row[c])
    return out


def load_dabin(path):
    """다빈도 상병 순위 CSV (CP949) -> {code: {'rank', 'name', 2013: v, ...}}"""
    with open(path, encoding="cp949", newline="") as f:
        rows = list(csv.reader(f))
    hi = next(i for i, r in enumerate(rows) if r and r[0].strip() == "순위")
    hdr = rows[hi]
    out = {}
    for r in rows[hi + 1 :]:
        if not r or not r[0].strip():
            continue
        d = {"rank": int(r[0]), "name": r[2].strip()}
        for c in range(3, len(hdr)):
            d[int(hdr[c].replace("년", ""))] = num(r[c])
        out[r[1].strip()] = d
    return out


def load_simsa_csv(path):
    """질병 소분류 통계_심사년도 CSV (UTF-8 BOM) -> {code: {year: {measure: v}}}"""
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    years, cur = [], None
    for v in rows[0]:
        v = v.strip()
        if v.isdigit():
            cur = int(v)
        years.append(cur)
    meas = [v.strip() for v in rows[1]]
    out = {}
    for r in rows[2:]:
        if not r or not r[0].strip():
            continue
        d = out.setdefault(r[0].strip(), {"name": r[1].strip()})
        for c in range(2, len(r)):
            d.setdefault(years[c], {})[meas[c]] = num(r[c])
    return out


def load_i21_xlsx(path):
    """I21 심사년도별 입원외래별 xlsx -> {(성별, 연령): {(year, io): {measure: v}}}
    amounts are converted from 천원 (stated in the unit row) to 원."""
    ws = openpyxl.load_workbook(path, data_only=True).worksheets[0]
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    unit_row = next(str(r[0]) for r in grid if r[0] and "단위" in str(r[0]))
    amount_factor = 1000.0 if "천원" in unit_row else None
    yr_row = next(i for i, r in enumerate(grid) if r[0] == "심사년도")

    # fill merged header cells to the right
    def ffill(row):
        out, cur = [], None
        for v in row:
            if v not in (None, ""):
                cur = v
            out.append(cur)
        return out

    years = ffill(grid[yr_row])
    ios = ffill(grid[yr_row + 1])
    meas = grid[yr_row + 2]
    out = {}
    for r in grid[yr_row + 3 :]:
        if r[0] is None or str(r[0]).startswith(("※", "자료")):
            continue
        key = (str(r[0]).strip(), str(r[1]).strip())
        d = out.setdefault(key, {})
        for c in range(2, len(r)):
            if meas[c] is None:
                continue
            v = num(r[c])
            m = str(meas[c]).strip()
            if v is not None and m == "요양급여비용총액":
                v = v * amount_factor
            d.setdefault((int(years[c]), str(ios[c]).strip()), {})[m] = v
    return out


def load_haengwi(path):
    """행위 급여 목록 변경내역 xlsx -> {sheet: [ {header: value} ]}"""
    wb = openpyxl.load_workbook(path, data_only=True)
    out = {}
    for ws in wb.worksheets:
        grid = [list(r) for r in ws.iter_rows(values_only=True)]
        hi = next(i for i, r in enumerate(grid) if r[0] == "분류번호")
        hdr = [str(h).strip() for h in grid[hi]]
        out[ws.title] = [dict(zip(hdr, r, strict=False)) for r in grid[hi + 1 :] if r[0]]
    return out


# ---------------------------------------------------------------- answers
def N(value, unit):
    if value is None:
        raise ValueError("needed a '-' cell")
    return {"kind": "number", "value": round(float(value), 6), "unit": unit}


def R(names):
    return {"kind": "ranking", "names": list(names)}


ABSTAIN = {"kind": "abstain"}


def pct_change(new, old):
    return 100.0 * (new / old - 1.0)


def rank_desc(d):
    """d: {name: value}; names by value, biggest first (ties would be an error)."""
    vals = sorted(d.values(), reverse=True)
    return [k for k, _ in sorted(d.items(), key=lambda kv: -kv[1])], vals


def top(d, n):
    names, vals = rank_desc(d)
    if n < len(vals) and vals[n - 1] == vals[n]:
        raise ValueError("tie at the cut")
    if len(set(vals[:n])) != n:
        raise ValueError("tie inside top-n")
    return names[:n]


def months(a, b):
    return [f"2018-{m:02d}" for m in range(a, b + 1)]


def build(data_dir):
    AGE = load_olap_xls(find(data_dir, "1_3단질병성별연령5세구간별현황*.xls"))
    IO = load_olap_xls(find(data_dir, "1_3단질병성별입원외래별현황*.xls"))
    GRP = load_olap_xls(find(data_dir, "1_3단질병요양기관그룹별현황*.xls"))
    REG = load_olap_xls(find(data_dir, "1_3단질병요양기관소재지별현황*.xls"))
    OUTP = load_dabin(find(data_dir, "다빈도 상병 순위_외래_환자수.csv"))
    INP = load_dabin(find(data_dir, "다빈도 상병 순위_입원_환자수.csv"))
    SIM = load_simsa_csv(find(data_dir, "질병 소분류(3단 상병) 통계_심사년도.csv"))
    I21 = load_i21_xlsx(find(data_dir, "질병 소분류(3단 상병) 통계_I21_*.xlsx"))
    HW = load_haengwi(find(data_dir, "건강보험 행위 급여 목록 변경내역*.xlsx"))

    def reg(name, ym, m):
        return REG[(name,)][ym][m]

    def grp(name, ym, m):
        return GRP[(name,)][ym][m]

    def hw(sheet, code, col):
        row = next(r for r in HW[sheet] if r["코드"] == code)
        return float(row[col])

    regions = [k[0] for k in REG if k[0] != "계"]
    groups = [k[0] for k in GRP if k[0] != "계"]

    A = {}
    # ---------------- lookup
    A["q001"] = N(reg("서울", "2018-03", "환자수"), "명")
    A["q002"] = N(grp("상급종합병원", "2018-07", "청구건수"), "건")
    A["q003"] = N(OUTP["I10"][2022], "명")
    A["q004"] = N(INP["E11"][2015], "명")
    A["q005"] = N(I21[("남", "60~69세")][(2022, "외래")]["요양급여비용총액"], "원")
    A["q006"] = N(IO[("여", "입원")]["2018-05"]["내원일수"], "일")
    A["q007"] = N(hw("신설", "Q0311", "상대가치점수"), "점")
    A["q008"] = N(AGE[("남", "80세이상")]["2018-10"]["보험자부담금"], None)

    # ---------------- comparison
    A["q009"] = N(abs(grp("상급종합병원", "2018-01", "환자수") - grp("종합병원", "2018-01", "환자수")), "명")
    A["q010"] = N(OUTP["J20"][2022] / OUTP["F32"][2022], "배")
    A["q011"] = N(IO[("남", "외래")]["2018-06"]["환자수"] / IO[("여", "외래")]["2018-06"]["환자수"], "배")
    A["q012"] = N(abs(SIM["I61"][2020]["환자수"] - SIM["I63"][2020]["환자수"]), "명")
    A["q013"] = N(reg("경기", "2018-09", "청구건수") - reg("서울", "2018-09", "청구건수"), "건")
    A["q014"] = N(
        I21[("남", "소계")][(2022, "입원")]["환자수"] / I21[("여", "소계")][(2022, "입원")]["환자수"], "배"
    )
    A["q015"] = N(abs(INP["M54"][2013] - INP["M17"][2013]), "명")
    A["q016"] = N(
        AGE[("여", "80세이상")]["2018-08"]["환자수"] / AGE[("남", "80세이상")]["2018-08"]["환자수"], "배"
    )

    # ---------------- change
    A["q017"] = N(pct_change(OUTP["I10"][2022], OUTP["I10"][2013]), "%")
    A["q018"] = N(
        pct_change(grp("상급종합병원", "2018-12", "환자수"), grp("상급종합병원", "2018-01", "환자수")), "%"
    )
    A["q019"] = N(
        pct_change(hw("변경", "AA154", "변경후 상대가치점수"), hw("변경", "AA154", "변경전 상대가치점수")),
        "%",
    )
    A["q020"] = N(pct_change(SIM["I63"][2021]["요양급여비용총액"], SIM["I63"][2020]["요양급여비용총액"]), "%")
    A["q021"] = N(
        I21[("계", "계")][(2022, "외래")]["환자수"] - I21[("계", "계")][(2021, "외래")]["환자수"], "명"
    )
    A["q022"] = N(pct_change(INP["F32"][2022], INP["F32"][2021]), "%")
    A["q023"] = N(
        hw("변경", "O2068", "변경후 상대가치점수") - hw("변경", "O2068", "변경전 상대가치점수"), "점"
    )
    A["q024"] = N(
        pct_change(reg("제주", "2018-12", "요양급여비용총액"), reg("제주", "2018-01", "요양급여비용총액")),
        "%",
    )
    A["q025"] = N(pct_change(SIM["I20"][2021]["내원일수"], SIM["I20"][2019]["내원일수"]), "%")

    # ---------------- sum (additive measures only)
    A["q026"] = N(sum(grp("상급종합병원", m, "청구건수") for m in months(1, 3)), "건")
    A["q027"] = N(sum(reg("서울", m, "내원일수") for m in months(1, 12)), "일")
    A["q028"] = N(sum(reg(r, "2018-03", "청구건수") for r in ["부산", "대구", "울산", "경북", "경남"]), "건")
    A["q029"] = N(sum(IO[("남", "입원")][m]["요양급여비용총액"] for m in months(1, 6)), None)
    A["q030"] = N(grp("병원급", "2018-08", "내원일수") + grp("의원급", "2018-08", "내원일수"), "일")
    A["q031"] = N(
        I21[("남", "80세이상")][(2022, "입원")]["내원일수"]
        + I21[("여", "80세이상")][(2022, "입원")]["내원일수"],
        "일",
    )
    A["q032"] = N(sum(SIM["I61"][y]["요양급여비용총액"] for y in (2019, 2020, 2021)), None)
    A["q033"] = N(
        I21[("계", "계")][(2022, "입원")]["요양급여비용총액"]
        + I21[("계", "계")][(2022, "외래")]["요양급여비용총액"],
        "원",
    )

    # ---------------- ranking (biggest first)
    A["q034"] = R(top({r: reg(r, "2018-06", "환자수") for r in regions}, 3))
    A["q035"] = R(top({c: OUTP[c][2022] for c in OUTP}, 5))
    A["q036"] = R(top({c: SIM[c][2021]["내원일수"] for c in SIM if SIM[c][2021]["내원일수"] is not None}, 3))
    A["q037"] = R(top({g: grp(g, "2018-11", "요양급여비용총액") for g in groups}, 3))
    A["q038"] = R(top({c: INP[c][2019] for c in INP if INP[c][2019] is not None}, 3))
    A["q039"] = R(
        top(
            {
                k[1]: AGE[k]["2018-02"]["환자수"]
                for k in AGE
                if k[0] == "남" and k[1] != "소계" and AGE[k]["2018-02"]["환자수"] is not None
            },
            3,
        )
    )
    A["q040"] = R(top({r["코드"]: float(r["상대가치점수"]) for r in HW["신설"]}, 2))
    A["q041"] = R(
        top(
            {
                c: SIM[c][2020]["요양급여비용총액"]
                for c in SIM
                if SIM[c][2020]["요양급여비용총액"] is not None
            },
            3,
        )
    )

    # ---------------- derived
    A["q042"] = N(100.0 * grp("상급종합병원", "2018-03", "환자수") / grp("계", "2018-03", "환자수"), "%")
    A["q043"] = N(
        100.0 * reg("서울", "2018-12", "요양급여비용총액") / reg("계", "2018-12", "요양급여비용총액"), "%"
    )
    A["q044"] = N(
        I21[("계", "계")][(2022, "입원")]["내원일수"] / I21[("계", "계")][(2022, "입원")]["환자수"], "일"
    )
    A["q045"] = N(
        100.0 * reg("경남", "2018-07", "보험자부담금") / reg("경남", "2018-07", "요양급여비용총액"), "%"
    )
    A["q046"] = N(SIM["I63"][2021]["내원일수"] / SIM["I63"][2021]["환자수"], "일")
    A["q047"] = N(
        100.0 * IO[("남", "외래")]["2018-09"]["청구건수"] / IO[("남", "소계")]["2018-09"]["청구건수"], "%"
    )
    A["q048"] = N(100.0 * INP["I10"][2022] / OUTP["I10"][2022], "%")
    A["q049"] = N(
        I21[("계", "계")][(2021, "외래")]["요양급여비용총액"] / I21[("계", "계")][(2021, "외래")]["환자수"],
        "원",
    )
    A["q050"] = N(
        100.0
        * sum(reg("서울", m, "보험자부담금") for m in months(1, 12))
        / sum(reg("서울", m, "요양급여비용총액") for m in months(1, 12)),
        "%",
    )

    # ---------------- conversations (base question, then follow-ups)
    A["q051"] = N(reg("대전", "2018-02", "환자수"), "명")  # base
    A["q052"] = N(reg("대전", "2018-02", "청구건수"), "건")  # prev q051
    A["q053"] = N(reg("대전", "2018-03", "청구건수"), "건")  # prev q052
    A["q054"] = N(I21[("남", "40~49세")][(2021, "입원")]["환자수"], "명")  # base
    A["q055"] = N(I21[("남", "40~49세")][(2021, "외래")]["환자수"], "명")  # prev q054
    A["q056"] = N(I21[("남", "40~49세")][(2022, "외래")]["환자수"], "명")  # prev q055
    A["q057"] = N(SIM["I64"][2020]["요양급여비용총액"], None)  # base
    A["q058"] = N(
        pct_change(SIM["I64"][2020]["요양급여비용총액"], SIM["I64"][2019]["요양급여비용총액"]), "%"
    )  # prev q057
    A["q059"] = N(grp("상급종합병원", "2018-04", "보험자부담금"), None)  # base
    A["q060"] = N(grp("종합병원", "2018-04", "보험자부담금"), None)  # prev q059
    A["q061"] = N(SIM["I20"][2019]["환자수"], "명")  # base
    assert 2022 not in SIM["I20"]
    A["q062"] = ABSTAIN  # prev q061: 2022 not in the file
    A["q063"] = N(AGE[("여", "65_69세")]["2018-05"]["환자수"], "명")  # base
    assert ("남", "65_69세") not in AGE
    A["q064"] = ABSTAIN  # prev q063: no 남 65_69세 row
    first = next(c for c in OUTP if OUTP[c]["rank"] == 1)
    A["q065"] = N(OUTP[first][2022], "명")  # base: 외래 1위
    first_in = next(c for c in INP if INP[c]["rank"] == 1)
    assert first_in == first
    A["q066"] = N(INP[first][2022], "명")  # prev q065
    A["q067"] = N(INP[first][2013], "명")  # prev q066

    # ---------------- unanswerable: check that each premise really fails
    assert all(ym.startswith("2018-") for k in REG for ym in REG[k])  # q068
    assert AGE[("남", "5세미만")]["2018-01"]["환자수"] is None  # q069
    # q070 sum of 환자수 over months / q071 over 성별 (no printed total for 외래 across sexes)
    assert not any(k == ("계", "외래") for k in IO)  # q071
    assert SIM["U07"][2019]["환자수"] is None  # q072
    assert 2023 not in OUTP["I10"]  # q073
    assert ("남", "70~79세") not in I21  # q074
    # q075 사망자 수: no file has deaths
    # q076 시군구: REG has 시도 only
    assert "강남" not in " ".join(k[0] for k in REG)  # q076
    assert "J45" not in OUTP and "J45" not in INP and "J45" not in SIM  # q077
    # q078 amounts of the .xls files in 원: no unit stated
    # q079 sum of 환자수 over years
    assert len(GRP[("상급종합병원",)]) == 12 and len(next(iter(GRP))) == 1  # q080 no 입원외래 in 그룹
    assert len(next(iter(REG))) == 1  # q081 no 성별 in 소재지
    # q082 평균 연령: not a measure anywhere
    assert AGE[("여", "20_24세")]["2018-02"]["청구건수"] is None  # q083
    assert "B0231" in [r["코드"] for r in HW["삭제"]]
    assert not any("점수" in h for h in HW["삭제"][0])  # q084
    assert 2020 not in {y for (y, io) in I21[("계", "계")]}  # q085
    assert OUTP["U07"][2018] is None  # q086
    assert not any(k[0] == "치과병원" for k in GRP)  # q087
    assert "입원" not in str(SIM["I63"][2021])  # q088
    # q089 성별 in 다빈도: none; q090 sum of 환자수 over years
    for i in range(68, 91):
        A[f"q{i:03d}"] = ABSTAIN
    return A


def main():
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    data_dir, out = sys.argv[1], sys.argv[2]
    A = build(data_dir)
    with open(out, "w", encoding="utf-8") as f:
        for qid in sorted(A):
            rec = {"id": qid}
            a = A[qid]
            if a["kind"] == "abstain":
                rec.update({"answerable": False, "kind": "abstain"})
            else:
                rec["answerable"] = True
                rec.update(a)
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"wrote {len(A)} answers to {out}")


if __name__ == "__main__":
    main()
