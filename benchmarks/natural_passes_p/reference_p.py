#!/usr/bin/env python
"""Reference answers for questions_p.jsonl, computed from the raw portal files.

Usage: python reference_p.py DATA_DIR OUT_PATH
DATA_DIR is ignored: the files are read from tests/fixtures/portal (relative to this script) and the
KCD-9 master from shared/data/code_masters. Only the standard library, csv, xlrd, openpyxl and pandas
are used. Every figure below is computed from raw cells; nothing is hard-coded.

Amount columns (요양급여비용총액, 보험자부담금) are reported in the file's own unit. The OLAP .xls and the
심사년도 CSV state no unit (천원 on the portal); the I21 xlsx states (단위: 명, 일, 천원).
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import openpyxl
import xlrd

HERE = Path(__file__).resolve()
PORTAL = HERE.parents[2] / "tests" / "fixtures" / "portal"
MASTERS = HERE.parents[3] / "shared" / "data" / "code_masters"

F_AGE = "1_3단질병성별연령5세구간별현황(진료년월).xls"
F_IO = "1_3단질병성별입원외래별현황(진료년월).xls"
F_GRP = "1_3단질병요양기관그룹별현황(진료년월).xls"
F_REG = "1_3단질병요양기관소재지별현황(진료년월) .xls"
F_OUT = "다빈도 상병 순위_외래_환자수.csv"
F_INP = "다빈도 상병 순위_입원_환자수.csv"
F_YR = "질병 소분류(3단 상병) 통계_심사년도.csv"
F_X21 = "질병 소분류(3단 상병) 통계_I21_심사년도별 입원외래별.xlsx"
F_ACT = "건강보험 행위 급여 목록 변경내역(2024.1.1. 시행).xlsx"
F_KCD = "kcd9_koicd_masterfile_20250701.xlsx"

PT, DAYS, CLM, AMT, INS = "환자수", "내원일수", "청구건수", "요양급여비용총액", "보험자부담금"
ALL_MONTHS = list(range(1, 13))


def to_num(v):
    """Text or numeric cell -> int/float, '-' or blank -> None."""
    if v is None:
        return None
    if isinstance(v, (int, float)):
        return v
    s = str(v).strip().replace(",", "")
    if s in ("", "-"):
        return None
    return float(s) if "." in s else int(s)


def z(v):
    return 0 if v is None else v


# ---------------------------------------------------------------- OLAP .xls (진료년월)
class Olap:
    def __init__(self, name):
        sh = xlrd.open_workbook(str(PORTAL / name)).sheet_by_index(0)
        r0, r1 = sh.row_values(0), sh.row_values(1)
        self.nlab = r1.index(PT)
        self.labels = r1[: self.nlab]
        self.cols = {}
        for c in range(self.nlab, sh.ncols):
            self.cols[(str(r0[c]).strip(), str(r1[c]).strip())] = c
        self.rows = {}
        for r in range(2, sh.nrows):
            row = sh.row_values(r)
            key = tuple(str(x).strip() for x in row[1 : self.nlab])  # drop the 코드 column (all I21)
            assert key not in self.rows, key
            self.rows[key] = row

    def v(self, key, month, measure):
        if isinstance(key, str):
            key = (key,)
        return to_num(self.rows[key][self.cols[(f"2018년 {month:02d}월", measure)]])

    def total(self, key, months, measure):
        return sum(z(self.v(key, m, measure)) for m in months)

    def keys(self):
        return [k for k in self.rows if "계" not in k and "소계" not in k]


# ---------------------------------------------------------------- 다빈도 CSV (CP949)
def load_rank(name):
    with open(PORTAL / name, encoding="cp949", newline="") as f:
        rows = list(csv.reader(f))
    hi = next(i for i, r in enumerate(rows) if r and r[0].strip() == "순위")
    head = [h.strip() for h in rows[hi]]
    out = {}
    for r in rows[hi + 1 :]:
        if not r or not r[0].strip():
            continue
        code = r[head.index("상병코드")].strip()
        d = {"rank": int(r[0]), "name": r[head.index("상병명")].strip(), "order": len(out)}
        for i, h in enumerate(head):
            if h.endswith("년") and h[:-1].isdigit():
                d[int(h[:-1])] = to_num(r[i])
        out[code] = d
    return out


# ---------------------------------------------------------------- 심사년도 CSV (UTF-8-BOM)
def load_yr():
    with open(PORTAL / F_YR, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    years, cur = [], None
    for c in rows[0]:
        c = c.strip()
        if c.isdigit():
            cur = int(c)
        years.append(cur)
    meas = [m.strip() for m in rows[1]]
    out = {}
    for r in rows[2:]:
        if not r or not r[0].strip():
            continue
        d = {"name": r[1].strip()}
        for i in range(2, len(r)):
            d[(years[i], meas[i])] = to_num(r[i])
        out[r[0].strip()] = d
    return out


# ---------------------------------------------------------------- I21 xlsx (심사년도 × 입원외래, merged headers)
def load_x21():
    ws = openpyxl.load_workbook(PORTAL / F_X21, data_only=True).worksheets[0]
    grid = {(c.row, c.column): c.value for row in ws.iter_rows() for c in row}
    # header rows: find the row whose first cell is 성별구분 (measures), year row / io row above it
    mrow = next(r for r in range(1, ws.max_row + 1) if str(grid.get((r, 1)) or "").strip() == "성별구분")
    yrow, iorow = mrow - 2, mrow - 1
    colkey, year, io = {}, None, None
    for c in range(3, ws.max_column + 1):
        if grid.get((yrow, c)) not in (None, ""):
            year = int(str(grid[(yrow, c)]).strip())
        if grid.get((iorow, c)) not in (None, ""):
            io = str(grid[(iorow, c)]).strip()
        m = grid.get((mrow, c))
        if m:
            colkey[c] = (year, io, str(m).strip())
    data = {}
    for r in range(mrow + 1, ws.max_row + 1):
        sex, age = grid.get((r, 1)), grid.get((r, 2))
        if sex is None or age is None or str(sex).startswith("※"):
            continue
        data[(str(sex).strip(), str(age).strip())] = {k: to_num(grid.get((r, c))) for c, k in colkey.items()}
    return data


# ---------------------------------------------------------------- 행위 변경내역 (3 sheets, header on a row starting with 분류번호)
def load_act():
    wb = openpyxl.load_workbook(PORTAL / F_ACT, data_only=True)
    out = {}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        hi = next(i for i, r in enumerate(rows) if r and r[0] == "분류번호")
        head = [str(h).strip() for h in rows[hi]]
        out[ws.title] = [dict(zip(head, r, strict=False)) for r in rows[hi + 1 :] if r and r[1]]
    return out


# ---------------------------------------------------------------- KCD-9 master
def load_kcd():
    wb = openpyxl.load_workbook(MASTERS / F_KCD, read_only=True)
    heads = {}  # code -> (ko, en) of its heading row (표제어 == 1)
    terms = []  # every row: (code, ko, en, is_heading)
    ws = wb["KCD-8 DB Masterfile"]
    started = False
    for row in ws.iter_rows(values_only=True):
        if not started:
            started = row[2] is not None and str(row[2]).startswith("질병분류")
            continue
        code, ko, en = row[2], row[5], row[6]
        if not code:
            continue
        is_head = row[0] == 1
        terms.append((code, ko or "", en or "", is_head))
        if is_head and code not in heads:
            heads[code] = (ko or "", en or "")
    morph = {}
    ws2 = wb["4편 신생물의 형태분류"]
    for row in ws2.iter_rows(min_row=4, values_only=True):
        if row[0]:
            morph[row[0]] = (row[1], row[2])
    wb.close()
    return heads, terms, morph


def code_by_en(heads, en):
    """3-character code whose heading's English name is en (or en followed by a [..] gloss)."""
    hits = [c for c, (_, e) in heads.items() if len(c) == 3 and (e == en or e.startswith(en + "["))]
    assert len(hits) == 1, (en, hits)
    return hits[0]


def code_by_ko(heads, terms, ko):
    hits = sorted({c for c, k, _, _ in terms if len(c) == 3 and k.replace(" ", "") == ko.replace(" ", "")})
    assert len(hits) == 1, (ko, hits)
    return hits[0]


# ---------------------------------------------------------------- helpers for answers
def num(v, unit):
    return {"answerable": True, "kind": "number", "value": float(v), "unit": unit}


def rank(names):
    return {"answerable": True, "kind": "ranking", "names": list(names)}


def text(s):
    return {"answerable": True, "kind": "text", "text": s}


def cand(codes):
    return {"answerable": True, "kind": "candidates", "codes": list(codes)}


ABSTAIN = {"answerable": False, "kind": "abstain"}


def pct(new, old):
    return (new - old) / old * 100.0


def order_by(values, reverse=True, top=None):
    """values: dict name -> number (None dropped). Names sorted by value; asserts that no tie decides
    the order inside the returned span or at its cut-off."""
    items = sorted(
        ((k, v) for k, v in values.items() if v is not None), key=lambda kv: kv[1], reverse=reverse
    )
    n = len(items) if top is None else top
    for i in range(min(n, len(items) - 1)):
        assert items[i][1] != items[i + 1][1], ("tie", items[i], items[i + 1])
    return [k for k, _ in items[:n]]


def argmax(values, reverse=True):
    return order_by(values, reverse=reverse, top=1)[0]


def build():
    age, io, grp, reg = Olap(F_AGE), Olap(F_IO), Olap(F_GRP), Olap(F_REG)
    out_r, inp_r = load_rank(F_OUT), load_rank(F_INP)
    yr = load_yr()
    x21 = load_x21()
    act = load_act()
    heads, terms, _morph = load_kcd()
    sido = [k[0] for k in reg.keys()]  # noqa: SIM118 (an Olap has keys(), not iteration)
    A = {}

    # ------------------------------------------------ 소재지 (REG)
    A["p001"] = num(reg.v("서울", 3, CLM), "건")
    A["p002"] = num(reg.v("부산", 3, CLM), "건")
    A["p003"] = num(reg.v("서울", 3, CLM) / reg.v("부산", 3, CLM), "배")
    A["p004"] = text(argmax({s: reg.v(s, 1, PT) for s in sido}))
    A["p005"] = rank(order_by({s: reg.v(s, 12, AMT) for s in sido}, top=3))
    A["p006"] = num(reg.total("세종", ALL_MONTHS, CLM), "건")
    A["p007"] = num(reg.total("서울", ALL_MONTHS, AMT) / reg.total("계", ALL_MONTHS, AMT) * 100, "%")
    A["p008"] = num(reg.v("제주", 7, PT), "명")
    A["p009"] = num(reg.v("제주", 8, PT), "명")
    A["p010"] = num(pct(reg.v("제주", 8, PT), reg.v("제주", 7, PT)), "%")
    A["p011"] = ABSTAIN
    A["p012"] = text(argmax({s: reg.v(s, 5, PT) for s in sido}, reverse=False))
    A["p013"] = num(reg.total("강원", range(1, 7), DAYS), "일")
    A["p014"] = num(reg.v("경남", 10, AMT) / reg.v("경남", 10, CLM), "천원/건")
    A["p015"] = num(abs(reg.v("대구", 9, CLM) - reg.v("광주", 9, CLM)), "건")
    A["p016"] = num(reg.v("계", 11, INS) / reg.v("계", 11, AMT) * 100, "%")
    A["p017"] = num(reg.v("울산", 2, AMT) / reg.v("울산", 2, PT), "천원/명")
    A["p018"] = cand([s for s in sido if s in ("충북", "충남")])
    best = argmax({m: reg.v("전북", m, CLM) for m in ALL_MONTHS})
    A["p019"] = text(f"{best}월")
    A["p020"] = rank(order_by({s: reg.v(s, 8, PT) for s in sido}, top=5))
    A["p021"] = num(reg.v("경기", 3, AMT) + reg.v("서울", 3, AMT), "천원")
    A["p022"] = num(reg.v("인천", 4, AMT) - reg.v("인천", 4, INS), "천원")
    for q in ("p023", "p024", "p025"):
        A[q] = ABSTAIN

    # ------------------------------------------------ 성별 × 입원외래 (IO)
    A["p026"] = num(io.v(("남", "입원"), 6, PT), "명")
    A["p027"] = num(io.v(("여", "입원"), 6, PT), "명")
    A["p028"] = num(io.v(("남", "입원"), 6, PT) / io.v(("여", "입원"), 6, PT), "배")
    A["p029"] = num(io.v(("계", "계"), 1, AMT), "천원")
    A["p030"] = num(io.total(("여", "외래"), ALL_MONTHS, CLM), "건")
    A["p031"] = num(io.v(("남", "외래"), 10, DAYS), "일")
    inp_m = io.total(("남", "입원"), ALL_MONTHS, AMT)
    inp_f = io.total(("여", "입원"), ALL_MONTHS, AMT)
    A["p032"] = num(inp_m + inp_f, "천원")
    A["p033"] = num(inp_f / (inp_m + inp_f) * 100, "%")
    A["p034"] = num(io.v(("남", "입원"), 3, DAYS) / io.v(("남", "입원"), 3, PT), "일/명")
    best = argmax({m: io.v(("남", "입원"), m, PT) for m in ALL_MONTHS})
    A["p035"] = text(f"{best}월")
    A["p036"] = ABSTAIN
    A["p037"] = ABSTAIN
    A["p038"] = ABSTAIN

    # ------------------------------------------------ 성별 × 연령5세 (AGE)
    A["p039"] = num(age.v(("여", "80세이상"), 2, PT), "명")
    A["p040"] = num(age.v(("남", "80세이상"), 2, PT), "명")
    A["p041"] = num(age.v(("남", "60_64세"), 4, AMT), "천원")
    A["p042"] = num(
        age.total(("남", "10_14세"), ALL_MONTHS, CLM) + age.total(("남", "15_19세"), ALL_MONTHS, CLM), "건"
    )
    A["p043"] = num(sum(1 for m in ALL_MONTHS if age.v(("남", "5세미만"), m, CLM) is not None), "개월")
    A["p044"] = num(age.v(("여", "45_49세"), 5, AMT) / age.v(("여", "45_49세"), 5, CLM), "천원/건")
    A["p045"] = num(
        age.total(("남", "20_24세"), ALL_MONTHS, AMT) + age.total(("여", "20_24세"), ALL_MONTHS, AMT), "천원"
    )
    A["p046"] = num(age.v(("남", "40_44세"), 1, PT) / age.v(("남", "소계"), 1, PT) * 100, "%")
    fem = [k for k in age.keys() if k[0] == "여"]  # noqa: SIM118 (an Olap has keys(), not iteration)
    A["p047"] = rank(order_by({k[1]: age.v(k, 9, CLM) for k in fem}))
    A["p048"] = num(pct(age.v(("남", "80세이상"), 12, AMT), age.v(("남", "80세이상"), 1, AMT)), "%")
    A["p049"] = num(pct(age.v(("여", "80세이상"), 12, AMT), age.v(("여", "80세이상"), 1, AMT)), "%")
    A["p050"] = ABSTAIN
    A["p051"] = ABSTAIN

    # ------------------------------------------------ 요양기관그룹 (GRP)
    groups = [k[0] for k in grp.keys()]  # noqa: SIM118 (an Olap has keys(), not iteration)
    A["p052"] = num(grp.v("상급종합병원", 12, AMT), "천원")
    A["p053"] = num(grp.v("종합병원", 12, AMT), "천원")
    both = grp.v("상급종합병원", 12, AMT) + grp.v("종합병원", 12, AMT)
    A["p054"] = num(both, "천원")
    A["p055"] = num(both / grp.v("계", 12, AMT) * 100, "%")
    A["p056"] = num(grp.total("의원급", ALL_MONTHS, CLM), "건")
    A["p057"] = rank(order_by({g: grp.v(g, 3, PT) for g in groups}))
    A["p058"] = ABSTAIN
    A["p059"] = num(
        grp.total("상급종합병원", ALL_MONTHS, AMT) / grp.total("상급종합병원", ALL_MONTHS, CLM), "천원/건"
    )
    worst = argmax({m: grp.v("상급종합병원", m, AMT) for m in ALL_MONTHS}, reverse=False)
    A["p060"] = text(f"{worst}월")
    A["p061"] = num(pct(grp.v("종합병원", 3, CLM), grp.v("종합병원", 2, CLM)), "%")
    A["p062"] = ABSTAIN
    A["p063"] = ABSTAIN
    A["p064"] = ABSTAIN

    # ------------------------------------------------ 다빈도 외래/입원 (OUT/INP)
    A["p065"] = text(argmax({c: d[2022] for c, d in out_r.items()}))
    j = A["p065"]["text"]
    A["p066"] = num(inp_r[j][2022], "명")
    A["p067"] = num(pct(inp_r[j][2022], inp_r[j][2013]), "%")
    A["p068"] = rank(order_by({c: d[2022] for c, d in out_r.items()}, top=3))
    A["p069"] = rank(order_by({c: d[2018] for c, d in out_r.items()}, top=3))
    A["p070"] = num(out_r[code_by_ko(heads, terms, "무릎관절증")][2019], "명")
    A["p071"] = ABSTAIN
    A["p072"] = num(inp_r[code_by_en(heads, "Gonarthrosis")][2020], "명")
    e11 = code_by_ko(heads, terms, "2형 당뇨병")
    A["p073"] = text(str(argmax({y: out_r[e11][y] for y in range(2013, 2023)})))
    seventh = [c for c, d in out_r.items() if d["rank"] == 7]
    A["p074"] = cand(seventh)
    k29 = code_by_ko(heads, terms, "위염 및 십이지장염")
    A["p075"] = num(abs(out_r[k29][2022] - out_r[e11][2022]), "명")
    m54 = code_by_ko(heads, terms, "등통증")
    A["p076"] = cand([f"{out_r[m54][y]:,}" for y in (2014, 2015, 2016)])
    A["p077"] = num(pct(out_r["U07"][2022], out_r["U07"][2020]), "%")
    A["p078"] = ABSTAIN
    h10 = code_by_ko(heads, terms, "결막염")
    A["p079"] = num(out_r[h10][2022] - out_r[h10][2013], "명")
    f32 = code_by_ko(heads, terms, "우울에피소드")
    A["p080"] = num(inp_r[f32][2022] / out_r[f32][2022] * 100, "%")
    i10 = code_by_ko(heads, terms, "본태성(원발성) 고혈압")
    A["p081"] = num(out_r[i10][2017], "명")
    A["p082"] = ABSTAIN
    k05 = code_by_ko(heads, terms, "치은염 및 치주질환")
    A["p083"] = num(out_r[k05][2016], "명")
    A["p084"] = text(argmax({c: d[2015] for c, d in inp_r.items()}, reverse=False))
    j06 = [c for c, d in out_r.items() if "상기도감염" in d["name"]]
    assert len(j06) == 1
    A["p085"] = num(pct(out_r[j06[0]][2020], out_r[j06[0]][2019]), "%")
    for q in ("p086", "p087", "p088", "p089", "p090"):
        A[q] = ABSTAIN

    # ------------------------------------------------ 심사년도 CSV (YR)
    A["p091"] = num(yr["I20"][(2020, PT)], "명")
    A["p092"] = num(yr["I20"][(2021, PT)], "명")
    A["p093"] = num(pct(yr["I20"][(2021, PT)], yr["I20"][(2020, PT)]), "%")
    i63 = code_by_ko(heads, terms, "뇌경색증")
    A["p094"] = num(sum(yr[i63][(y, AMT)] for y in (2019, 2020, 2021)), "천원")
    cereb = [c for c in yr if "I60" <= c <= "I64"]
    A["p095"] = text(argmax({c: yr[c][(2021, AMT)] for c in cereb}))
    A["p096"] = rank(order_by({c: yr[c][(2020, AMT)] for c in yr}, top=5))
    A["p097"] = cand([c for c in yr if "심근경색" in yr[c]["name"]])
    A["p098"] = cand([c for c in yr if c in ("I60", "I61", "I62")])
    A["p099"] = cand([c for c in yr if "허혈" in yr[c]["name"]])
    A["p100"] = num(yr[code_by_en(heads, "Cerebral infarction")][(2021, DAYS)], "일")
    A["p101"] = num(yr[code_by_ko(heads, terms, "거미막하출혈")][(2020, PT)], "명")
    i61 = code_by_ko(heads, terms, "뇌내출혈")
    A["p102"] = num(yr[i61][(2019, AMT)] / yr[i61][(2019, PT)], "천원/명")
    A["p103"] = num(yr["U07"][(2020, AMT)] / sum(z(yr[c][(2020, AMT)]) for c in yr) * 100, "%")
    i25 = code_by_ko(heads, terms, "만성 허혈심장병")
    A["p104"] = num(yr[i25][(2021, AMT)] / yr[i25][(2019, AMT)], "배")
    A["p105"] = text(argmax({c: yr[c][(2019, PT)] for c in yr}))
    for q in ("p106", "p107", "p108", "p109", "p110"):
        A[q] = ABSTAIN

    # ------------------------------------------------ I21 xlsx (X21)
    A["p111"] = num(x21[("남", "80세이상")][(2022, "입원", PT)], "명")
    A["p112"] = num(x21[("남", "80세이상")][(2021, "입원", PT)], "명")
    A["p113"] = num(
        pct(x21[("남", "80세이상")][(2022, "입원", PT)], x21[("남", "80세이상")][(2021, "입원", PT)]), "%"
    )
    A["p114"] = ABSTAIN
    A["p115"] = num(x21[("계", "계")][(2022, "외래", AMT)], "천원")
    A["p116"] = num(x21[("계", "계")][(2022, "입원", DAYS)] + x21[("계", "계")][(2022, "외래", DAYS)], "일")
    A["p117"] = num(x21[("계", "계")][(2022, "입원", AMT)] / x21[("계", "계")][(2022, "입원", PT)], "천원/명")
    A["p118"] = cand([s for s in sido if s in ("경북", "경남")])
    fem21 = {k[1]: v[(2021, "입원", PT)] for k, v in x21.items() if k[0] == "여" and k[1] != "소계"}
    A["p119"] = rank(order_by(fem21))
    A["p120"] = num(
        x21[("남", "소계")][(2022, "입원", AMT)] / x21[("계", "계")][(2022, "입원", AMT)] * 100, "%"
    )
    A["p121"] = num(
        z(x21[("남", "0~9세")][(2022, "외래", AMT)]) + z(x21[("남", "10~19세")][(2022, "외래", AMT)]), "천원"
    )
    A["p122"] = num(
        pct(x21[("여", "60~69세")][(2022, "외래", DAYS)], x21[("여", "60~69세")][(2021, "외래", DAYS)]), "%"
    )
    for q in ("p123", "p124", "p125"):
        A[q] = ABSTAIN

    # ------------------------------------------------ 행위 변경내역 (ACT)
    chg = {r["코드"]: r for r in act["변경"]}
    new = {r["코드"]: r for r in act["신설"]}
    stent = [c for c, r in chg.items() if "스텐트" in r["한글명"]]
    assert len(stent) == 1
    s = chg[stent[0]]
    A["p126"] = num(s["변경후 상대가치점수"] - s["변경전 상대가치점수"], "점")
    A["p127"] = num(pct(s["변경후 상대가치점수"], s["변경전 상대가치점수"]), "%")
    first = [r for r in chg.values() if "초진진찰료" in r["한글명"]]
    assert len(first) == 1
    A["p128"] = num(pct(first[0]["변경후 상대가치점수"], first[0]["변경전 상대가치점수"]), "%")
    A["p129"] = num(len(act["신설"]), "개")
    A["p130"] = text(argmax({c: r["상대가치점수"] for c, r in new.items()}))
    A["p131"] = text(new["EB701"]["한글명"])
    lap = [r for r in new.values() if r["한글명"].startswith("복강경하 충수절제술")]
    assert len(lap) == 1
    A["p132"] = num(lap[0]["상대가치점수"], "점")
    A["p133"] = cand(
        [r["코드"] for sh in ("신설", "변경", "삭제") for r in act[sh] if "충수절제술" in r["한글명"]]
    )
    A["p134"] = cand(
        [r["코드"] for sh in ("신설", "변경", "삭제") for r in act[sh] if "관상동맥" in r["한글명"]]
    )
    A["p135"] = rank([r["코드"] for r in act["삭제"]])
    A["p136"] = text(
        argmax({c: pct(r["변경후 상대가치점수"], r["변경전 상대가치점수"]) for c, r in chg.items()})
    )
    for q in ("p137", "p138", "p139"):
        A[q] = ABSTAIN

    # ------------------------------------------------ KCD master
    A["p140"] = text(heads["I21"][0])
    A["p141"] = text(code_by_en(heads, "Acute bronchitis"))
    A["p142"] = text(heads[code_by_ko(heads, terms, "뇌내출혈")][1])
    A["p143"] = text(heads["U07.1"][0])
    A["p144"] = num(out_r[code_by_en(heads, "Dorsalgia")][2021], "명")
    A["p145"] = num(inp_r[code_by_en(heads, "Type 2 diabetes mellitus")][2018], "명")
    A["p146"] = ABSTAIN
    A["p147"] = ABSTAIN
    A["p148"] = ABSTAIN
    A["p149"] = ABSTAIN
    A["p150"] = ABSTAIN
    return A


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    out_path = Path(argv[2])
    A = build()
    ids = [f"p{i:03d}" for i in range(1, 151)]
    assert sorted(A) == ids, set(ids) ^ set(A)
    with open(out_path, "w", encoding="utf-8") as f:
        for q in ids:
            f.write(json.dumps({"id": q, **A[q]}, ensure_ascii=False) + "\n")
    print(f"wrote {len(ids)} answers to {out_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
