#!/usr/bin/env python3
"""Independent reference answers for benchmark set B (questions_b.jsonl).

Standalone: uses only pandas, openpyxl and the standard library, and reads only the raw
files (HIRA 2023 3단상병 tables and the KCD-9 master).  Each question's computation is
written out below by hand (one small spec per id), derived from the question's intent.

Usage:
    python reference_b.py [DATA_DIR] [OUT_JSONL]

DATA_DIR defaults to the shared/data folder beside the repository (files are under
hira_real/ and code_masters/); OUT_JSONL defaults to expected_b.jsonl next to this script.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import openpyxl
import pandas as pd

HERE = Path(__file__).resolve().parent
DEFAULT_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
QUESTIONS = HERE / "questions_b.jsonl"

SEX_FILE = "hira_real/hira_kcd3_by_sex_inout_2023.csv"
DEPT_FILE = "hira_real/hira_kcd3_by_dept_hospital_level_2023.csv"
KCD_FILE = "code_masters/kcd9_koicd_masterfile_20250701.xlsx"
KCD_SHEET = "KCD-8 DB Masterfile"

# measures
PAT = "환자수"
CLM = "명세서청구건수"
DAYS = "입내원일수"
INS = "보험자부담금(선별포함)"
TOT = "요양급여비용총액(선별포함)"
MEASURES = [PAT, CLM, DAYS, INS, TOT]

# filter keywords -> column names
FILTER_COLS = {"code": "주상병코드", "sex": "성별", "io": "입원외래구분", "dept": "진료과목"}


# --------------------------------------------------------------------------- loading
def load_table(path: Path) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, encoding="utf-8", keep_default_na=False)
    df.columns = [c.strip() for c in df.columns]
    for c in df.columns:
        df[c] = df[c].astype(str).str.strip()
    for c in MEASURES:
        if c in df.columns:
            df[c] = df[c].astype("int64")
    df["진료년도"] = df["진료년도"].astype("int64")
    return df


def load_kcd(path: Path):
    """Return (three_char: code -> 한글명칭, all_rows: list of (code, 주석, 한글명칭))."""
    wb = openpyxl.load_workbook(path, read_only=True)
    ws = wb[KCD_SHEET]
    header = None
    three: dict[str, str] = {}
    rows: list[tuple[str, str, str]] = []
    for r in ws.iter_rows(values_only=True):
        cells = ["" if v is None else str(v) for v in r]
        if header is None:
            flat = [re.sub(r"\s+", "", c) for c in cells]
            if "질병분류코드" in flat and "한글명칭" in flat:
                header = flat
                i_lvl = flat.index("분류기준")
                i_code = flat.index("질병분류코드")
                i_note = flat.index("주석")
                i_name = flat.index("한글명칭")
            continue
        if all(c.strip() == "" for c in cells):
            break  # end of data
        code = cells[i_code].strip()
        name = re.sub(r"\s+", " ", cells[i_name]).strip()
        if not code:
            continue
        rows.append((code, cells[i_note].strip(), name))
        if cells[i_lvl].strip() == "소":
            assert re.fullmatch(r"[A-Z]\d\d", code), code
            assert code not in three, code
            three[code] = name
    wb.close()
    assert header is not None, "KCD header row not found"
    return three, rows


# --------------------------------------------------------------------------- data helpers
def _select(df: pd.DataFrame, **flt) -> pd.DataFrame:
    m = pd.Series(True, index=df.index)
    for k, v in flt.items():
        m &= df[FILTER_COLS[k]] == v
    return df[m]


def one(df, measure, **flt) -> int:
    sub = _select(df, **flt)
    assert len(sub) == 1, (measure, flt, len(sub))
    return int(sub[measure].iloc[0])


def total(df, measure, n_rows=None, **flt) -> int:
    sub = _select(df, **flt)
    assert len(sub) > 0, (measure, flt)
    if n_rows is not None:
        assert len(sub) == n_rows, (measure, flt, len(sub), n_rows)
    return int(sub[measure].sum())


def rounding_slack(values: pd.Series) -> pd.Series:
    """Max. error of a cell stored rounded to 6 significant figures (only cells >= 1e11)."""

    def slack(v):
        v = abs(int(v))
        if v < 10**11:
            return 0.0
        return 0.5 * 10 ** (len(str(v)) - 6)

    return values.map(slack)


def top(df, by, measure, k, **flt):
    """Group by `by`, sum `measure`, return top-k (names, values) descending.

    Asserts the cut is not a tie and, for amount columns, that consecutive gaps exceed
    the worst-case error caused by the 6-significant-figure rounding of large cells."""
    sub = _select(df, **flt)
    g = sub.groupby(by)[measure].sum().sort_values(ascending=False, kind="mergesort")
    sl = rounding_slack(sub[measure]).groupby(sub[by]).sum()
    head = g.iloc[: k + 1]
    for i in range(min(k, len(head) - 1)):
        a, b = head.index[i], head.index[i + 1]
        assert head.iloc[i] - head.iloc[i + 1] > sl[a] + sl[b], ("tie/rounding", a, b)
    return [str(x) for x in g.index[:k]], [float(v) for v in g.iloc[:k]]


# --------------------------------------------------------------------------- KCD helpers
class KCD:
    def __init__(self, three, rows):
        self.three = three
        self.rows = rows

    @staticmethod
    def _norm(s: str) -> str:
        return re.sub(r"[\s\-·]", "", s)

    def matches(self, term: str) -> list[str]:
        """3-character codes whose 한글명칭 matches `term`.

        An exact (space/hyphen-insensitive) name match wins; otherwise every space-separated
        token of the term must occur in the name."""
        t = self._norm(term)
        exact = [c for c, n in self.three.items() if self._norm(n) == t]
        if exact:
            return exact
        toks = [self._norm(x) for x in term.split()]
        return [c for c, n in self.three.items() if all(k in self._norm(n) for k in toks)]

    def resolve(self, term: str, code: str) -> str:
        """Name -> unique 3-character code; must equal the code the intent states."""
        m = self.matches(term)
        assert m == [code], (term, m, code)
        return code

    def resolve_with_code(self, term: str, code: str) -> str:
        """'name(code)': the name may be ambiguous, the stated code must be one of its matches."""
        m = self.matches(term)
        assert code in m, (term, m, code)
        return code

    def resolve_inclusion(self, term: str, code: str) -> str:
        """Name that is not a 3-character heading but an inclusion term below one."""
        assert self.matches(term) == [], term
        hits = {c[:3] for c, _note, n in self.rows if term in n}
        assert hits == {code}, (term, hits, code)
        assert code in self.three
        return code

    def candidates(self, term: str, core: list[str], peripheral: list[str]) -> list[str]:
        """Ambiguous name: the master's matches must be exactly core + peripheral."""
        m = self.matches(term)
        assert sorted(m) == sorted(core + peripheral), (term, m)
        return core

    def name(self, code: str, expected: str) -> str:
        n = self.three[code]
        assert n == expected, (code, n, expected)
        return n

    def absent_anywhere(self, fragment: str) -> bool:
        f = self._norm(fragment)
        return not any(f in self._norm(n) for _c, _note, n in self.rows)

    def has_code(self, code: str) -> bool:
        return code in self.three or any(c.startswith(code) for c, _n, _m in self.rows)


# --------------------------------------------------------------------------- answer builders
def num(value, unit, doubt=None):
    d = {"answerable": True, "kind": "number", "value": float(value), "unit": unit}
    if doubt:
        d["doubt"] = doubt
    return d


def rank(names_values, unit, doubt=None):
    names, values = names_values
    d = {"answerable": True, "kind": "ranking", "names": names, "values": values, "unit": unit}
    if doubt:
        d["doubt"] = doubt
    return d


def text(s):
    return {"answerable": True, "kind": "text", "text": s}


def cands(codes, also=None):
    d = {"answerable": True, "kind": "candidates", "codes": list(codes)}
    if also:
        d["also_matching"] = list(also)
    return d


def abstain(reason, check=True):
    assert check, reason
    return {"answerable": False, "kind": "abstain", "reason": reason}


# --------------------------------------------------------------------------- specs
def build_specs(S: pd.DataFrame, D: pd.DataFrame, K: KCD):
    """id -> zero-argument function returning the answer dict."""
    years_2023 = set(S["진료년도"]) == {2023} and set(D["진료년도"]) == {2023}
    cols = set(S.columns) | set(D.columns)
    no_age = not any(("연령" in c) or ("나이" in c) for c in cols)
    no_region = not any(("시도" in c) or ("시군구" in c) or ("지역" in c) for c in cols)
    no_kind = not any(("종별" in c) or ("종류" in c) for c in cols)
    sex_no_dept = "진료과목" not in S.columns and "성별" not in D.columns
    dept_no_io = "입원외래구분" not in D.columns and "진료과목" not in S.columns
    no_month = not any(("월" in c) for c in cols)
    codes_data = set(S["주상병코드"]) | set(D["주상병코드"])

    sp = {}

    # --- J20 block
    sp["b001"] = lambda: num(total(S, TOT, n_rows=4, code="J20"), "원")
    sp["b002"] = lambda: num(one(S, PAT, code="J20", sex="여", io="외래"), "명")
    sp["b003"] = lambda: num(one(S, PAT, code="J20", sex="남", io="외래"), "명")
    sp["b004"] = lambda: num(one(S, PAT, code="J20", sex="남", io="입원"), "명")
    sp["b005"] = lambda: num(one(S, DAYS, code=K.resolve("급성 기관지염", "J20"), sex="여", io="입원"), "일")
    sp["b006"] = lambda: abstain("only 진료년도 2023 in the data; no 2022 figures", years_2023)
    sp["b007"] = lambda: text(K.name("J20", "급성 기관지염"))

    # --- I10 block
    sp["b008"] = lambda: num(one(D, PAT, dept="내과", code="I10"), "명")
    sp["b009"] = lambda: num(one(D, PAT, dept="가정의학과", code="I10"), "명")
    sp["b010"] = lambda: num(one(D, TOT, dept="가정의학과", code="I10"), "원")
    sp["b011"] = lambda: abstain(
        "sex x department not available: dept file has no 성별, sex file has no 진료과목", sex_no_dept
    )
    sp["b012"] = lambda: num(one(S, PAT, code=K.resolve("본태성 고혈압", "I10"), sex="남", io="외래"), "명")
    sp["b013"] = lambda: cands(
        K.candidates("고혈압", ["I10", "I11", "I12", "I13", "I15"], ["O10", "O11", "O12", "O13", "O16"]),
        also=["O10", "O11", "O13", "O16"],
    )
    sp["b014"] = lambda: num(
        one(S, PAT, code=K.resolve_with_code("고혈압", "I10"), sex="여", io="입원"), "명"
    )
    sp["b015"] = lambda: abstain("no age column in either file", no_age)
    sp["b016"] = lambda: num(total(S, CLM, n_rows=4, code="I10"), "건")
    sp["b017"] = lambda: abstain("only 진료년도 2023 in the data; no 2024 figures", years_2023)

    # --- E11 block
    sp["b018"] = lambda: text(K.resolve("2형 당뇨병", "E11"))
    sp["b019"] = lambda: num(one(S, PAT, code=K.resolve("2형 당뇨병", "E11"), sex="남", io="입원"), "명")
    sp["b020"] = lambda: abstain("only 진료년도 2023 in the data; no 2022 figures", years_2023)
    sp["b021"] = lambda: cands(
        K.candidates("당뇨병", ["E10", "E11", "E12", "E13", "E14"], ["E15", "O24"]), also=["O24"]
    )
    sp["b022"] = lambda: num(
        total(S, CLM, n_rows=2, code=K.resolve_with_code("당뇨병", "E11"), io="외래"), "건"
    )
    sp["b023"] = lambda: num(one(D, PAT, dept="내과", code=K.resolve("2형 당뇨병", "E11")), "명")
    sp["b024"] = lambda: num(
        one(D, TOT, dept="내과", code="E11") / one(D, PAT, dept="내과", code="E11"), "원"
    )
    sp["b025"] = lambda: abstain(
        "4-character code E11.9 not in the data (3-character codes only)",
        "E119" not in codes_data and "E11.9" not in codes_data,
    )
    sp["b026"] = lambda: abstain("no population denominators in the data", True)

    # --- K21 block
    sp["b027"] = lambda: num(one(S, TOT, code="K21", sex="여", io="외래"), "원")
    sp["b028"] = lambda: num(one(S, TOT, code="E11", sex="여", io="외래"), "원")
    sp["b029"] = lambda: num(one(S, TOT, code="I10", sex="여", io="외래"), "원")
    sp["b030"] = lambda: abstain("no age column in either file", no_age)
    sp["b031"] = lambda: num(one(S, PAT, code=K.resolve("위식도역류", "K21"), sex="남", io="입원"), "명")
    sp["b032"] = lambda: text(K.name("K21", "위-식도역류병"))
    sp["b033"] = lambda: abstain("sex x department not available jointly", sex_no_dept)

    # --- M17 block
    sp["b034"] = lambda: num(one(S, PAT, code="M17", sex="여", io="입원"), "명")

    def b035():
        c = K.resolve("무릎관절증", "M17")
        return num(100.0 * total(S, TOT, n_rows=2, code=c, sex="여") / total(S, TOT, n_rows=4, code=c), "%")

    sp["b035"] = b035
    sp["b036"] = lambda: num(one(D, PAT, dept="정형외과", code=K.resolve("무릎관절증", "M17")), "명")
    sp["b037"] = lambda: num(
        100.0 * one(D, INS, dept="정형외과", code="M17") / one(D, TOT, dept="정형외과", code="M17"), "%"
    )
    sp["b038"] = lambda: num(
        100.0 * one(D, INS, dept="재활의학과", code="M17") / one(D, TOT, dept="재활의학과", code="M17"), "%"
    )
    sp["b039"] = lambda: abstain("no age column in either file", no_age)
    sp["b040"] = lambda: abstain("sex x department not available jointly", sex_no_dept)
    sp["b041"] = lambda: abstain("year-over-year change needs 2022; only 2023 available", years_2023)
    sp["b042"] = lambda: text(K.name("M17", "무릎관절증"))

    # --- H25 block
    sp["b043"] = lambda: num(one(S, CLM, code=K.resolve("노년백내장", "H25"), sex="남", io="입원"), "건")
    sp["b044"] = lambda: num(one(S, CLM, code="H25", sex="여", io="입원"), "건")
    sp["b045"] = lambda: rank(top(D, "진료과목", PAT, 3, code=K.resolve("노년백내장", "H25")), "명")
    sp["b046"] = lambda: cands(K.candidates("백내장", ["H25", "H26", "H28"], []))
    sp["b047"] = lambda: text(K.resolve("노년백내장", "H25"))
    sp["b048"] = lambda: num(one(D, INS, dept="안과", code="H25"), "원")

    # --- whole-file rankings / N18
    sp["b049"] = lambda: rank(top(S, "주상병코드", TOT, 5), "원")
    sp["b050"] = lambda: rank(top(S, "주상병코드", CLM, 5), "건")
    sp["b051"] = lambda: num(100.0 * total(S, TOT, n_rows=4, code="N18") / int(S[TOT].sum()), "%")
    sp["b052"] = lambda: num(one(S, DAYS, code=K.resolve("만성 콩팥병", "N18"), sex="여", io="외래"), "일")
    sp["b053"] = lambda: text(K.name("N18", "만성 콩팥병"))
    sp["b054"] = lambda: num(total(S, INS, n_rows=2, code="N18", io="입원"), "원")

    # --- K05 / M54
    sp["b055"] = lambda: num(one(S, PAT, code=K.resolve("치주질환", "K05"), sex="여", io="외래"), "명")
    sp["b056"] = lambda: num(one(D, PAT, dept="치주과", code="K05"), "명")
    sp["b057"] = lambda: abstain("no 시도/region column in the 2023 disease files", no_region)
    sp["b058"] = lambda: num(one(S, PAT, code=K.resolve("등통증", "M54"), sex="남", io="외래"), "명")
    sp["b059"] = lambda: num(total(D, CLM, code="M54"), "건")
    sp["b060"] = lambda: num(total(S, DAYS, n_rows=4, code="M54"), "일")
    sp["b061"] = lambda: abstain(
        "no 요양기관 종별 column; 한의원 not covered (dept file is 병원급 이상)", no_kind
    )

    # --- J30 / J00
    sp["b062"] = lambda: num(one(S, PAT, code=K.resolve("알레르기성 비염", "J30"), sex="여", io="외래"), "명")
    sp["b063"] = lambda: abstain("no age column in either file", no_age)
    sp["b064"] = lambda: num(one(S, PAT, code=K.resolve("감기", "J00"), sex="여", io="입원"), "명")
    sp["b065"] = lambda: abstain("annual data only; no month breakdown", no_month and years_2023)

    # --- J20 by department
    sp["b066"] = lambda: rank(top(D, "진료과목", PAT, 3, code="J20"), "명")
    sp["b067"] = lambda: rank(top(D, "진료과목", PAT, 5, code="J20"), "명")
    sp["b068"] = lambda: num(
        100.0 * one(D, TOT, dept="소아청소년과", code="J20") / total(D, TOT, code="J20"), "%"
    )
    sp["b069"] = lambda: num(one(D, TOT, dept="소아청소년과", code=K.resolve("급성 기관지염", "J20")), "원")
    sp["b070"] = lambda: abstain("no age column in either file", no_age)
    sp["b071"] = lambda: abstain("department x 입원/외래 not available jointly", dept_no_io)
    sp["b072"] = lambda: abstain("no 시도/region column in the 2023 disease files", no_region)
    sp["b073"] = lambda: num(one(S, CLM, code="J20", sex="여", io="외래"), "건")
    sp["b074"] = lambda: abstain(
        "4-character code J209 not in the data (3-character codes only)",
        "J209" not in codes_data and "J20.9" not in codes_data,
    )
    sp["b075"] = lambda: abstain(
        "pharmacy (약국) claims are excluded; no drug-cost data", "약국" not in set(D["진료과목"])
    )

    # --- assorted names
    sp["b076"] = lambda: num(
        one(S, TOT, code=K.resolve("대상포진", "B02"), sex="여", io="입원")
        / one(S, CLM, code="B02", sex="여", io="입원"),
        "원",
    )
    sp["b077"] = lambda: num(
        one(S, TOT, code="B02", sex="남", io="입원") / one(S, CLM, code="B02", sex="남", io="입원"), "원"
    )
    sp["b078"] = lambda: text(K.resolve("대상포진", "B02"))
    sp["b079"] = lambda: num(one(S, PAT, code=K.resolve("급성 충수염", "K35"), sex="여", io="입원"), "명")
    sp["b080"] = lambda: num(one(S, TOT, code=K.resolve("담석증", "K80"), sex="남", io="입원"), "원")
    sp["b081"] = lambda: num(one(S, PAT, code=K.resolve("통풍", "M10"), sex="남", io="외래"), "명")
    sp["b082"] = lambda: num(one(S, CLM, code=K.resolve("방광염", "N30"), sex="여", io="외래"), "건")
    sp["b083"] = lambda: num(one(S, PAT, code=K.resolve("여드름", "L70"), sex="여", io="외래"), "명")
    sp["b084"] = lambda: num(one(S, DAYS, code="L70", sex="남", io="입원"), "일")

    def b085():
        c = K.resolve("전립선증식증", "N40")
        assert _select(S, code=c, sex="여").empty  # no 여 rows for N40
        return num(one(S, PAT, code=c, io="외래"), "명")

    sp["b085"] = b085
    sp["b086"] = lambda: num(one(S, TOT, code="N40", sex="남", io="외래"), "원")
    sp["b087"] = lambda: num(one(S, DAYS, code=K.resolve("파킨슨병", "G20"), sex="여", io="입원"), "일")
    sp["b088"] = lambda: num(one(S, PAT, code=K.resolve("조현병", "F20"), sex="남", io="입원"), "명")
    sp["b089"] = lambda: abstain("건강보험 only; no 의료급여 / insurance-type column", no_kind)
    sp["b090"] = lambda: num(
        one(S, TOT, code=K.resolve("과민대장증후군", "K58"), sex="여", io="외래")
        / one(S, CLM, code="K58", sex="여", io="외래"),
        "원",
    )
    sp["b091"] = lambda: text(K.name("G47", "수면장애"))
    sp["b092"] = lambda: num(one(S, PAT, code=K.resolve("철결핍빈혈", "D50"), sex="여", io="외래"), "명")
    sp["b093"] = lambda: num(
        one(S, TOT, code="D50", sex="여", io="외래") - one(S, INS, code="D50", sex="여", io="외래"), "원"
    )
    sp["b094"] = lambda: num(
        one(S, PAT, code="G43", sex="여", io="외래") / one(S, PAT, code="G43", sex="남", io="외래"), "배"
    )
    sp["b095"] = lambda: num(
        one(S, PAT, code="G43", sex="여", io="입원") / one(S, PAT, code="G43", sex="남", io="입원"), "배"
    )
    sp["b096"] = lambda: num(one(S, PAT, code=K.resolve("급성 편도염", "J03"), sex="여", io="외래"), "명")
    sp["b097"] = lambda: num(one(S, INS, code=K.resolve("아토피 피부염", "L20"), sex="남", io="외래"), "원")
    sp["b098"] = lambda: num(one(S, PAT, code=K.resolve("대퇴골 골절", "S72"), sex="여", io="입원"), "명")
    sp["b099"] = lambda: abstain("only aggregate totals; a median length of stay cannot be derived", True)
    sp["b100"] = lambda: num(one(S, PAT, code=K.resolve("협심증", "I20"), sex="남", io="입원"), "명")
    sp["b101"] = lambda: num(
        100.0 * total(S, TOT, n_rows=2, code="I20", io="입원") / total(S, TOT, n_rows=4, code="I20"), "%"
    )
    sp["b102"] = lambda: abstain(
        "no death/mortality data in the claim statistics",
        K.resolve("급성 심근경색증", "I21") == "I21" and not any("사망" in c for c in cols),
    )
    sp["b103"] = lambda: num(one(S, PAT, code=K.resolve_inclusion("위암", "C16"), sex="남", io="입원"), "명")
    sp["b104"] = lambda: num(
        one(S, PAT, code=K.resolve("갑상선의 악성 신생물", "C73"), sex="여", io="외래"), "명"
    )
    sp["b105"] = lambda: num(
        one(S, PAT, code=K.resolve("유방의 악성 신생물", "C50"), sex="남", io="외래"), "명"
    )
    sp["b106"] = lambda: num(
        one(S, DAYS, code="C50", sex="여", io="외래") / one(S, PAT, code="C50", sex="여", io="외래"), "일"
    )
    sp["b107"] = lambda: num(
        one(S, DAYS, code="C50", sex="여", io="입원") / one(S, PAT, code="C50", sex="여", io="입원"), "일"
    )
    sp["b108"] = lambda: num(total(S, INS, n_rows=4, code="C34"), "원")
    sp["b109"] = lambda: abstain("no 요양기관 종별 column (상급종합병원 not separable)", no_kind)
    sp["b110"] = lambda: num(one(D, PAT, dept="신경과", code=K.resolve_with_code("뇌경색증", "I63")), "명")
    sp["b111"] = lambda: rank(top(D, "진료과목", TOT, 1, code="I63"), "원")
    sp["b112"] = lambda: cands(K.candidates("치매", ["F00", "F01", "F02", "F03"], []))
    sp["b113"] = lambda: abstain("no age information in either file", no_age)
    sp["b114"] = lambda: cands(
        K.candidates("폐렴", ["J12", "J13", "J14", "J15", "J16", "J17", "J18"], ["J67", "J69", "P23"]),
        also=["J67", "J69", "P23"],
    )
    sp["b115"] = lambda: cands(K.candidates("골다공증", ["M80", "M81", "M82"], []))
    sp["b116"] = lambda: cands(K.candidates("중이염", ["H65", "H66", "H67"], []))
    sp["b117"] = lambda: rank(top(S, "주상병코드", PAT, 3, sex="여", io="입원"), "명")
    sp["b118"] = lambda: rank(top(D, "진료과목", TOT, 3), "원")
    sp["b119"] = lambda: num(one(D, DAYS, dept="신경외과", code="M51"), "일")
    sp["b120"] = lambda: num(one(D, TOT, dept="응급의학과", code="A09"), "원")
    sp["b121"] = lambda: num(one(D, TOT, dept="내과", code="K29"), "원")
    sp["b122"] = lambda: num(one(D, CLM, dept="신경과", code="G30"), "건")
    sp["b123"] = lambda: num(total(S, CLM, n_rows=2, code="J06", io="외래"), "건")
    sp["b124"] = lambda: num(
        one(S, TOT, code="K64", sex="남", io="입원") / one(S, DAYS, code="K64", sex="남", io="입원"), "원"
    )
    sp["b125"] = lambda: num(one(S, PAT, code=K.resolve("치아우식", "K02"), sex="여", io="외래"), "명")
    sp["b126"] = lambda: abstain(
        "code K99 does not exist (not in the KCD master, no data rows)",
        not K.has_code("K99") and "K99" not in codes_data,
    )
    sp["b127"] = lambda: abstain(
        "B03 (마마) is a valid code but has no rows in the 2023 data",
        "B03" in K.three and "B03" not in codes_data,
    )
    sp["b128"] = lambda: abstain(
        "'새집증후군' is not a name in the KCD master; no code",
        K.matches("새집증후군") == [] and K.absent_anywhere("새집"),
    )
    sp["b129"] = lambda: abstain(
        "'번아웃 증후군' is not in the KCD master; no code",
        K.matches("번아웃 증후군") == [] and K.absent_anywhere("번아웃"),
    )
    sp["b130"] = lambda: abstain(
        "'거북목 증후군' is not in the KCD master; no code",
        K.matches("거북목 증후군") == [] and K.absent_anywhere("거북목"),
    )
    sp["b131"] = lambda: abstain(
        "요양급여비용총액 covers insured care only; no 비급여 amounts", not any("비급여" in c for c in cols)
    )
    sp["b132"] = lambda: abstain(
        "U18 has data rows but no entry in the KCD-9 master; name unknown",
        not K.has_code("U18") and "U18" in codes_data,
    )
    sp["b133"] = lambda: abstain("no 시도/시군구 column in the 2023 disease files", no_region)
    sp["b134"] = lambda: num(one(S, PAT, code=K.resolve("페스트", "A20"), sex="여", io="외래"), "명")
    sp["b135"] = lambda: text(K.name("U11", "코로나19에 대한 예방접종의 필요"))
    return sp


# --------------------------------------------------------------------------- main
def main(argv):
    data = Path(argv[1]) if len(argv) > 1 else DEFAULT_DATA
    out = Path(argv[2]) if len(argv) > 2 else HERE / "expected_b.jsonl"
    data = data.resolve()

    S = load_table(data / SEX_FILE)
    D = load_table(data / DEPT_FILE)
    K = KCD(*load_kcd(data / KCD_FILE))
    specs = build_specs(S, D, K)

    questions = [
        json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    ids = [q["id"] for q in questions]
    assert sorted(ids) == sorted(specs), set(ids) ^ set(specs)

    lines = []
    for q in questions:
        ans = specs[q["id"]]()
        assert ans["kind"] == q["expect"], (q["id"], ans["kind"], q["expect"])
        assert ans["answerable"] == q["answerable"], q["id"]
        lines.append(json.dumps({"id": q["id"], **ans}, ensure_ascii=False))
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {len(lines)} answers to {out}")


if __name__ == "__main__":
    main(sys.argv)
