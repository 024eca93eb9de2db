#!/usr/bin/env python3
"""Reference answers for benchmarks/natural_portal/questions_p.jsonl.

Usage: python reference_p.py DATA_DIR OUT_JSONL

DATA_DIR is the portal fixture folder (tests/fixtures/portal). Every answer is
computed from the raw files below; no figure is typed in by hand.

Conventions
- "-" cells are unpublished -> a question needing one is answered abstain.
- 환자수 is never summed across categories (sex, in/out, region, group, age,
  month, year): such totals are abstain unless the file prints a 계/소계 row.
- Amounts are converted to 원 only where the file states (단위: ... 천원); the
  monthly .xls and the 심사년도 CSV state no unit, so no question asks for an
  amount from them (only unit-free ratios of two amounts).
- change: "증감" = new - old; "증감률" = 100 * (new / old - 1) (%).
"""

import csv
import glob
import json
import os
import re
import sys

import openpyxl
import xlrd


class NoData(Exception):
    """The cell needed is not in the file, or is '-'."""


def num(v):
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).strip().replace(",", "")
    if s in ("", "-"):
        return None
    return float(s)


def read_csv_rows(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    for enc in ("utf-8-sig", "cp949"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    return list(csv.reader(text.splitlines()))


# ---------------------------------------------------------------- loaders
def load_monthly_xls(path):
    """-> {"labels": [...], "cells": {(labels_tuple, 'YYYY-MM', measure): value|None}}"""
    sh = xlrd.open_workbook(path).sheet_by_index(0)
    h0 = [str(sh.cell_value(0, c)).strip() for c in range(sh.ncols)]
    h1 = [str(sh.cell_value(1, c)).strip() for c in range(sh.ncols)]
    first = next(c for c in range(sh.ncols) if re.match(r"\d{4}년 \d{2}월", h0[c]))
    labels = h1[:first]
    cells = {}
    for r in range(2, sh.nrows):
        lab = tuple(str(sh.cell_value(r, c)).strip() for c in range(first))
        for c in range(first, sh.ncols):
            m = re.match(r"(\d{4})년 (\d{2})월", h0[c])
            cells[(lab, "{}-{}".format(*m.groups()), h1[c])] = num(sh.cell_value(r, c))
    return {"labels": labels, "cells": cells}


def load_xlsx_year_inout(path):
    """질병 소분류 ... 심사년도별 입원외래별.xlsx ->
    {"mult": {measure: factor}, "cells": {(year, inout, sex, age, measure): value|None}}"""
    ws = openpyxl.load_workbook(path, data_only=True).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    unit_row = next(str(r[0]) for r in rows if r[0] and "단위" in str(r[0]))
    units = [u.strip() for u in re.search(r"단위\s*:\s*([^)]*)\)", unit_row).group(1).split(",")]
    # header rows
    yi = next(i for i, r in enumerate(rows) if r[0] == "심사년도")
    year_row, io_row, meas_row = rows[yi], rows[yi + 1], rows[yi + 2]
    ncol = len(meas_row)
    # forward-fill merged headers
    years, ios = [], []
    cy = ci = None
    for c in range(ncol):
        if c >= 2 and year_row[c] is not None:
            cy = str(year_row[c]).strip()
        if c >= 2 and io_row[c] is not None:
            ci = str(io_row[c]).strip()
        years.append(cy)
        ios.append(ci)
    measures = [str(m).strip() if m is not None else None for m in meas_row]
    # unit mapping: 명 -> 환자수, 일 -> 내원일수, 천원 -> amounts
    mult = {}
    for m in set(measures[2:]):
        if m is None:
            continue
        if "비용" in m or "부담금" in m:
            mult[m] = 1000.0 if "천원" in units else 1.0
        else:
            mult[m] = 1.0
    cells = {}
    for r in rows[yi + 3 :]:
        if r[0] is None or str(r[0]).startswith(("※", "자료")):
            continue
        sex, age = str(r[0]).strip(), str(r[1]).strip()
        for c in range(2, ncol):
            v = num(r[c])
            cells[(years[c], ios[c], sex, age, measures[c])] = None if v is None else v * mult[measures[c]]
    return {"cells": cells}


def load_year_csv(path):
    """질병 소분류(3단 상병) 통계_심사년도.csv -> {(year, code, measure): value|None}"""
    rows = read_csv_rows(path)
    yr_row, hdr = rows[0], rows[1]
    years, cy = [], None
    for c, v in enumerate(yr_row):
        if c >= 2 and v.strip():
            cy = v.strip()
        years.append(cy)
    cells, names = {}, {}
    for r in rows[2:]:
        if not r or not r[0].strip():
            continue
        code = r[0].strip()
        names[code] = r[1].strip()
        for c in range(2, len(hdr)):
            cells[(years[c], code, hdr[c].strip())] = num(r[c])
    return {"cells": cells, "names": names}


def load_rank_csv(path):
    """다빈도 상병 순위_<외래|입원>_환자수.csv -> list of {rank, code, name, years{YYYY: value}}"""
    rows = read_csv_rows(path)
    hi = next(i for i, r in enumerate(rows) if r and r[0].strip() == "순위")
    hdr = rows[hi]
    out = []
    for r in rows[hi + 1 :]:
        if not r or not r[0].strip():
            continue
        ys = {}
        for c in range(3, len(hdr)):
            y = re.match(r"(\d{4})", hdr[c].strip()).group(1)
            ys[y] = num(r[c])
        out.append({"rank": int(r[0]), "code": r[1].strip(), "name": r[2].strip(), "years": ys})
    return out


def load_all(d):
    def one(pattern):
        hits = glob.glob(os.path.join(d, pattern))
        if len(hits) != 1:
            raise SystemExit(f"expected one file for {pattern!r}, found {hits!r}")
        return hits[0]

    return {
        "age": load_monthly_xls(one("1_3단질병성별연령5세구간별현황*.xls")),
        "inout": load_monthly_xls(one("1_3단질병성별입원외래별현황*.xls")),
        "group": load_monthly_xls(one("1_3단질병요양기관그룹별현황*.xls")),
        "sido": load_monthly_xls(one("1_3단질병요양기관소재지별현황*.xls")),
        "yx": load_xlsx_year_inout(one("질병 소분류(3단 상병) 통계_I21_심사년도별 입원외래별.xlsx")),
        "yc": load_year_csv(one("질병 소분류(3단 상병) 통계_심사년도.csv")),
        "out": load_rank_csv(one("다빈도 상병 순위_외래_환자수.csv")),
        "in": load_rank_csv(one("다빈도 상병 순위_입원_환자수.csv")),
    }


# ---------------------------------------------------------------- accessors
D = None


def need(v):
    if v is None:
        raise NoData()
    return v


def mx(key, labels, month, measure):
    """monthly .xls cell; labels without the leading 코드 (always I21)."""
    cells = D[key]["cells"]
    k = (("I21", *tuple(labels)), month, measure)
    if k not in cells:
        raise NoData()
    return need(cells[k])


def mx_rows(key, month, measure, where=lambda lab: True):
    """{label_tuple_without_code: value} for data rows (no 계/소계)."""
    out = {}
    for (lab, m, meas), v in D[key]["cells"].items():
        if m != month or meas != measure:
            continue
        lab = lab[1:]
        if any(x in ("계", "소계") for x in lab) or not where(lab):
            continue
        out[lab] = v
    return out


def yx(year, inout, sex, age, measure):
    cells = D["yx"]["cells"]
    k = (year, inout, sex, age, measure)
    if k not in cells:
        raise NoData()
    return need(cells[k])


def yc(year, code, measure):
    cells = D["yc"]["cells"]
    k = (year, code, measure)
    if k not in cells:
        raise NoData()
    return need(cells[k])


def rk(kind, code, year):
    for r in D[kind]:
        if r["code"] == code:
            if year not in r["years"]:
                raise NoData()
            return need(r["years"][year])
    raise NoData()


def rk_by_rank(kind, rank):
    hits = [r["code"] for r in D[kind] if r["rank"] == rank]
    if len(hits) != 1:
        raise NoData()
    return hits[0]


def top(d, n, reverse=True):
    """names of the top n of {name: value}; refuses a tie at the cut."""
    items = sorted(((k, v) for k, v in d.items() if v is not None), key=lambda kv: kv[1], reverse=reverse)
    if n < len(items) and items[n - 1][1] == items[n][1]:
        raise RuntimeError(f"tie at cut in ranking: {items[: n + 1]!r}")
    vals = [v for _, v in items[:n]]
    if len(set(vals)) != len(vals):
        raise RuntimeError(f"tie inside ranking: {items[:n]!r}")
    return [k for k, _ in items[:n]]


def M(m):
    return f"2018-{m:02d}"


def pct_change(old, new):
    return 100.0 * (new / old - 1.0)


# ---------------------------------------------------------------- answers
def N(f, unit):
    return ("number", f, unit)


def R(f):
    return ("ranking", f)


def A(reason):
    return ("abstain", reason)


MONTHS_H1 = [M(m) for m in range(1, 7)]
MONTHS_ALL = [M(m) for m in range(1, 13)]

ANSWERS = {
    # ---- 다빈도 상병 순위 (외래 / 입원, 2013-2022 환자수)
    "p001": N(lambda: rk("out", "J20", "2022"), "명"),
    "p002": N(lambda: rk("in", "J20", "2022"), "명"),
    "p003": N(lambda: rk("in", "M17", "2021"), "명"),
    "p004": R(lambda: [rk_by_rank("out", 1)]),
    "p005": R(lambda: [rk_by_rank("in", i) for i in (1, 2, 3)]),
    "p006": R(lambda: top({r["code"]: r["years"]["2015"] for r in D["out"]}, 3)),
    "p007": R(lambda: top({r["code"]: r["years"]["2019"] for r in D["out"]}, 3)),
    "p008": N(lambda: pct_change(rk("out", "I10", "2013"), rk("out", "I10", "2022")), "%"),
    "p009": N(lambda: rk("in", "F32", "2021") - rk("in", "F32", "2020"), "명"),
    "p010": N(lambda: rk("out", "H10", "2022") - rk("out", "F32", "2022"), "명"),
    "p011": N(lambda: rk("out", "E11", "2018") / rk("in", "E11", "2018"), "배"),
    "p012": N(lambda: rk("out", rk_by_rank("out", 9), "2020"), "명"),
    "p013": A("U07 외래 2019 is '-' in the 다빈도 외래 file"),
    "p014": A("다빈도 files cover 2013-2022; 2023 missing"),
    "p015": A("환자수 외래 + 입원 would sum patients across categories; no combined figure published"),
    "p016": A("다빈도 files hold 환자수 only; no 내원일수"),
    "p017": A("다빈도 files have no sex breakdown"),
    "p018": R(lambda: top({r["code"]: r["years"]["2022"] for r in D["in"]}, 3, reverse=False)),
    "p019": N(lambda: sum(rk("out", "U07", y) for y in ("2020", "2021", "2022")) / 3.0, "명"),
    # ---- 질병 소분류 심사년도 CSV (2019-2021; 환자수, 내원일수, 요양급여비용총액 with no unit)
    "p020": N(lambda: yc("2020", "I20", "환자수"), "명"),
    "p021": N(lambda: yc("2021", "I20", "환자수"), "명"),
    "p022": N(lambda: yc("2019", "I63", "내원일수"), "일"),
    "p023": N(lambda: yc("2021", "I60", "환자수") - yc("2019", "I60", "환자수"), "명"),
    "p024": R(lambda: top({c: yc("2020", c, "내원일수") for c in D["yc"]["names"] if c.startswith("I")}, 3)),
    "p025": N(lambda: abs(yc("2020", "I61", "환자수") - yc("2020", "I63", "환자수")), "명"),
    "p026": N(lambda: yc("2019", "I21", "환자수"), "명"),
    "p027": A("심사년도 CSV covers 2019-2021; 2018 missing for I20 (the monthly 2018 files are I21 only)"),
    "p028": A("U07 2019 내원일수 is '-' in the 심사년도 CSV"),
    "p029": A("심사년도 CSV has no 청구건수"),
    "p030": A("I20 has no regional breakdown in any file (소재지 file is I21 only)"),
    "p031": A("I20 + I25 환자수 would sum patients across diseases; no combined row"),
    "p032": N(lambda: sum(yc("2021", c, "내원일수") for c in ("I60", "I61", "I63", "I64")), "일"),
    "p033": N(lambda: pct_change(yc("2020", "I25", "내원일수"), yc("2021", "I25", "내원일수")), "%"),
    # ---- I21 심사년도별 입원외래별 xlsx (2021-2022; 단위: 명, 일, 천원)
    "p034": N(lambda: yx("2021", "입원", "계", "계", "환자수"), "명"),
    "p035": N(lambda: yx("2021", "외래", "계", "계", "환자수"), "명"),
    "p036": N(lambda: yx("2022", "입원", "남", "60~69세", "요양급여비용총액"), "원"),
    "p037": N(lambda: yx("2022", "외래", "여", "소계", "내원일수"), "일"),
    "p038": N(lambda: yx("2021", "외래", "남", "80세이상", "환자수"), "명"),
    "p039": N(
        lambda: yx("2022", "입원", "계", "계", "내원일수") + yx("2022", "외래", "계", "계", "내원일수"), "일"
    ),
    "p040": N(
        lambda: (
            yx("2022", "입원", "계", "계", "요양급여비용총액")
            + yx("2022", "외래", "계", "계", "요양급여비용총액")
        ),
        "원",
    ),
    "p041": A(
        "2022 I21 환자수 is published for 입원 and 외래 separately only; summing patients is not allowed"
    ),
    "p042": A("xlsx age bands lack 30~39세"),
    "p043": A("2022 입원 남 0~9세 is '-'"),
    "p044": A("xlsx covers 심사년도 2021-2022; 2023 missing"),
    "p045": N(
        lambda: (
            yx("2021", "입원", "남", "소계", "요양급여비용총액")
            - yx("2021", "입원", "여", "소계", "요양급여비용총액")
        ),
        "원",
    ),
    "p046": N(
        lambda: pct_change(
            yx("2021", "입원", "계", "계", "내원일수"), yx("2022", "입원", "계", "계", "내원일수")
        ),
        "%",
    ),
    "p047": N(
        lambda: yx("2022", "입원", "계", "계", "요양급여비용총액") / yx("2022", "입원", "계", "계", "환자수"),
        "원",
    ),
    "p048": A("xlsx has no 보험자부담금; no other file has I21 for 2021"),
    "p049": R(
        lambda: top(
            {
                k[3]: v
                for k, v in D["yx"]["cells"].items()
                if k[0] == "2022"
                and k[1] == "외래"
                and k[2] == "남"
                and k[3] not in ("계", "소계")
                and k[4] == "환자수"
            },
            3,
        )
    ),
    # ---- 성별 입원외래별 monthly xls (2018)
    "p050": N(lambda: mx("inout", ("남", "입원"), M(3), "환자수"), "명"),
    "p051": N(lambda: mx("inout", ("여", "입원"), M(3), "환자수"), "명"),
    "p052": N(lambda: sum(mx("inout", ("여", "외래"), m, "청구건수") for m in MONTHS_H1), "건"),
    "p053": A("monthly 환자수 cannot be summed into a yearly count; no annual figure in the file"),
    "p054": N(
        lambda: (
            mx("inout", ("여", "입원"), M(12), "내원일수") - mx("inout", ("여", "입원"), M(1), "내원일수")
        ),
        "일",
    ),
    "p055": N(
        lambda: (
            100.0
            * mx("inout", ("남", "외래"), M(7), "보험자부담금")
            / mx("inout", ("남", "외래"), M(7), "요양급여비용총액")
        ),
        "%",
    ),
    "p056": A("monthly files cover 2018-01..2018-12 only"),
    # ---- 성별 연령5세구간별 monthly xls
    "p057": N(lambda: mx("age", ("남", "60_64세"), M(5), "환자수"), "명"),
    "p058": N(lambda: mx("age", ("여", "80세이상"), M(10), "청구건수"), "건"),
    "p059": A("남 10_14세 2018-02 is '-'"),
    "p060": A("age file has no 여 60_64세 row"),
    "p061": N(
        lambda: (
            mx("age", ("남", "80세이상"), M(9), "내원일수") - mx("age", ("여", "80세이상"), M(9), "내원일수")
        ),
        "일",
    ),
    "p062": R(
        lambda: [lab[1] for lab in top(mx_rows("age", M(12), "환자수", lambda lab: lab[0] == "남"), 2)]
    ),
    # ---- 요양기관그룹별 monthly xls
    "p063": N(lambda: mx("group", ("상급종합병원",), M(4), "환자수"), "명"),
    "p064": N(lambda: mx("group", ("종합병원",), M(4), "환자수"), "명"),
    "p065": N(lambda: sum(mx("group", ("상급종합병원",), m, "청구건수") for m in MONTHS_ALL), "건"),
    "p066": R(lambda: [lab[0] for lab in top(mx_rows("group", M(11), "청구건수"), 5)]),
    "p067": A("그룹 file has no 요양병원 group (only 상급종합병원, 종합병원, 병원급, 의원급, 보건기관등)"),
    "p068": N(
        lambda: 100.0 * mx("group", ("의원급",), M(6), "청구건수") / mx("group", ("계",), M(6), "청구건수"),
        "%",
    ),
    "p069": A("환자수 상급종합병원 + 종합병원 would sum patients across groups"),
    # ---- 요양기관소재지별 monthly xls
    "p070": N(lambda: mx("sido", ("서울",), M(2), "환자수"), "명"),
    "p071": N(lambda: mx("sido", ("경기",), M(2), "환자수"), "명"),
    "p072": N(lambda: mx("sido", ("세종",), M(12), "청구건수"), "건"),
    "p073": R(lambda: [lab[0] for lab in top(mx_rows("sido", M(5), "환자수"), 3)]),
    "p074": N(lambda: sum(mx("sido", (s,), M(7), "청구건수") for s in ("서울", "인천", "경기")), "건"),
    "p075": A("환자수 서울 + 인천 + 경기 would sum patients across regions"),
    "p076": A("소재지 file is by 시도 only; no 시군구 (수원시)"),
    "p077": N(
        lambda: pct_change(mx("sido", ("부산",), M(1), "청구건수"), mx("sido", ("부산",), M(12), "청구건수")),
        "%",
    ),
    "p078": A("monthly regional files are I21 only; I20 has no region breakdown"),
    "p079": N(
        lambda: mx("sido", ("서울",), M(1), "내원일수") / mx("sido", ("부산",), M(1), "내원일수"), "배"
    ),
    "p080": A("no file holds deaths (사망자 수)"),
    # ---- extra
    "p081": N(lambda: rk("out", "K05", "2017"), "명"),
    "p082": R(lambda: top({r["code"]: r["years"]["2020"] for r in D["in"]}, 5)),
    "p083": N(lambda: yc("2020", "I22", "내원일수") / yc("2020", "I22", "환자수"), "일"),
    "p084": R(lambda: [lab[0] for lab in top(mx_rows("sido", M(5), "청구건수"), 5)]),
    "p085": N(lambda: mx("group", ("보건기관등",), M(11), "청구건수"), "건"),
    "p086": N(lambda: yx("2022", "입원", "여", "60~69세", "요양급여비용총액"), "원"),
    "p087": N(lambda: rk("out", rk_by_rank("out", 2), "2022"), "명"),
}


def main():
    global D
    if len(sys.argv) != 3:
        raise SystemExit("usage: python reference_p.py DATA_DIR OUT_JSONL")
    D = load_all(sys.argv[1])
    out = []
    for qid in sorted(ANSWERS):
        spec = ANSWERS[qid]
        if spec[0] == "abstain":
            out.append({"id": qid, "answerable": False, "kind": "abstain", "reason": spec[1]})
            continue
        try:
            val = spec[1]()
        except NoData:
            out.append(
                {"id": qid, "answerable": False, "kind": "abstain", "reason": "needed cell missing or '-'"}
            )
            continue
        if spec[0] == "number":
            out.append(
                {"id": qid, "answerable": True, "kind": "number", "value": float(val), "unit": spec[2]}
            )
        else:
            out.append({"id": qid, "answerable": True, "kind": "ranking", "names": list(val)})
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        for o in out:
            f.write(json.dumps(o, ensure_ascii=False) + "\n")
    print(f"wrote {len(out)} answers to {sys.argv[2]}")


if __name__ == "__main__":
    main()
