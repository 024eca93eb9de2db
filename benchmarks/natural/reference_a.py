#!/usr/bin/env python3
"""Independent reference answers for benchmarks/natural/questions_a.jsonl.

Standalone: uses only pandas, openpyxl and the standard library, and reads the
raw HIRA files directly (it shares no code with the product under src/).

    python reference_a.py [DATA_DIR] [OUT_PATH]

DATA_DIR defaults to <repo root>/../shared/data. The raw files are looked up in
DATA_DIR itself or in DATA_DIR/hira_real/. OUT_PATH defaults to expected_a.jsonl
beside this script.

Each answerable question has a hand-written spec in SPECS, derived from its
`intent`. A spec is a small tree of operations:

    cell(src, where, col)              one row must match; returns that cell
    total(src, where, col)             sum of col over the matching rows
    div(num, den, scale=1)             num / den * scale
    sub(a, b)                          a - b
    pct_change(new, old)               (new - old) / old * 100
    rank(src, where, by, measure, n, ascending=False, name_col=None, group=None)
                                       top-n names and values

src is a year (int) for hira_dept_by_sido_cost_hospital_level_{year}.csv or
"inst" for hira_yoyang_institutions_by_region_type_2024Q4.xlsx. `where` maps a
column to a value (equality) or to ("startswith", prefix) / ("contains", text).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
QUESTIONS = HERE / "questions_a.jsonl"
DEFAULT_OUT = HERE / "expected_a.jsonl"
DEFAULT_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"

COST_FILE = "hira_dept_by_sido_cost_hospital_level_{year}.csv"
INST_FILE = "hira_yoyang_institutions_by_region_type_2024Q4.xlsx"
COST_NUMERIC = ["환자수", "명세서 청구건수", "입내원일수", "요양급여비용총액", "보험자부담금"]

# Column names used in specs (short aliases keep the specs readable).
PAT = "환자수"
CLM = "명세서 청구건수"
DAYS = "입내원일수"
COST = "요양급여비용총액"
INS = "보험자부담금"

# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------


class Data:
    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self._cache: dict = {}

    def _find(self, name: str) -> Path:
        for p in (self.data_dir / name, self.data_dir / "hira_real" / name):
            if p.is_file():
                return p
        raise FileNotFoundError(f"{name} not found in {self.data_dir} or {self.data_dir / 'hira_real'}")

    def get(self, src):
        if src not in self._cache:
            self._cache[src] = self._load_inst() if src == "inst" else self._load_cost(int(src))
        return self._cache[src]

    def _load_cost(self, year: int) -> pd.DataFrame:
        path = self._find(COST_FILE.format(year=year))
        df = pd.read_csv(path, encoding="cp949", dtype=str)
        df.columns = [c.strip() for c in df.columns]
        for c in ("시도", "진료과목"):
            df[c] = df[c].str.strip()
        for c in COST_NUMERIC:
            if c in df.columns:
                # numeric cells carry a trailing space ("5 "); strip, then cast
                df[c] = df[c].str.strip().astype("int64")
        return df

    def _load_inst(self) -> pd.DataFrame:
        path = self._find(INST_FILE)
        # row 1 title, row 2 blank, row 3 header
        df = pd.read_excel(path, header=2, engine="openpyxl")
        df.columns = [str(c).strip() for c in df.columns]
        for c in ("시도", "시군구"):
            df[c] = df[c].astype(str).str.strip()
        for c in df.columns[2:]:
            df[c] = pd.to_numeric(df[c], errors="coerce").fillna(0).astype("int64")  # blank = 0
        return df


def _filter(df: pd.DataFrame, where: dict) -> pd.DataFrame:
    mask = pd.Series(True, index=df.index)
    for col, cond in (where or {}).items():
        if isinstance(cond, tuple):
            how, arg = cond
            if how == "startswith":
                mask &= df[col].str.startswith(arg)
            elif how == "contains":
                mask &= df[col].str.contains(arg, regex=False)
            elif how == "in":
                mask &= df[col].isin(arg)
            else:
                raise ValueError(how)
        else:
            mask &= df[col] == cond
    return df[mask]


# ---------------------------------------------------------------------------
# Spec constructors
# ---------------------------------------------------------------------------


def cell(src, where, col):
    return {"op": "cell", "src": src, "where": where, "col": col}


def total(src, where, col):
    return {"op": "total", "src": src, "where": where, "col": col}


def div(num, den, scale=1):
    return {"op": "div", "num": num, "den": den, "scale": scale}


def sub(a, b):
    return {"op": "sub", "a": a, "b": b}


def pct_change(new, old):
    return {"op": "pct_change", "new": new, "old": old}


def rank(src, where, by, measure, n, ascending=False, name_col=None, group=None):
    """Rank groups of `by` (or rows, named by name_col) by measure.

    measure is a column name (summed per group) or ("div", a, b): sum(a)/sum(b)
    per group. group, if given, is a function mapping the `by` value to the
    group key (e.g. first word of 시도)."""
    return {
        "op": "rank",
        "src": src,
        "where": where,
        "by": by,
        "measure": measure,
        "n": n,
        "ascending": ascending,
        "name_col": name_col,
        "group": group,
    }


# helpers for the two row keys of the cost files
def C(year, sido, dept, col):
    return cell(year, {"시도": sido, "진료과목": dept}, col)


def inst(sido, col, sigungu=None):
    where = {"시도": sido}
    if sigungu is not None:
        where["시군구"] = sigungu
    return cell("inst", where, col)


def first_word(s: str) -> str:
    return s.split(" ")[0]


PROVINCES = [
    "경기도",
    "강원도",
    "충청북도",
    "충청남도",
    "전라북도",
    "전라남도",
    "경상북도",
    "경상남도",
    "제주특별자치도",
]

# ---------------------------------------------------------------------------
# Per-question specs (answerable): id -> (spec, unit[, doubt])
# ---------------------------------------------------------------------------

SPECS = {
    "a001": (rank(2019, {"진료과목": "내과"}, "시도", ("div", COST, PAT), 1), "원"),
    "a002": (
        rank("inst", {"시도": ("startswith", "전라남도 ")}, "시도", "의원", 3, name_col="시군구"),
        "개소",
    ),
    "a004": (total(2019, {}, DAYS), "일"),
    "a005": (C(2017, "경기", "소아청소년과", INS), "원"),
    "a007": (
        sub(C(2017, "세종", "내과", COST), C(2013, "세종", "내과", COST)),
        "원",
        "Signed change 2017 - 2013 (negative). The question asks how much it decreased; "
        "the decrease is the absolute value of this figure.",
    ),
    "a009": (inst("경기도 광주시", "요양병원"), "개소"),
    "a010": (C(2019, "서울", "내과", PAT), "명"),
    "a011": (C(2019, "부산", "내과", PAT), "명"),
    "a012": (C(2016, "부산", "내과", PAT), "명"),
    "a014": (inst("경기도 성남시 분당구", "치과의원"), "개소"),
    "a016": (sub(C(2019, "경북", "외과", INS), C(2017, "경북", "외과", INS)), "원"),
    "a018": (C(2013, "충남", "산부인과", PAT), "명"),
    "a019": (rank(2017, {"진료과목": "내과"}, "시도", PAT, 3), "명"),
    "a020": (rank(2017, {"진료과목": "내과"}, "시도", PAT, 3, ascending=True), "명"),
    "a021": (C(2019, "전북", "내과", INS), "원"),
    "a022": (div(C(2017, "부산", "정형외과", COST), C(2017, "부산", "정형외과", CLM)), "원"),
    "a023": (div(C(2017, "부산", "외과", COST), C(2017, "부산", "외과", CLM)), "원"),
    "a024": (div(C(2019, "부산", "정형외과", COST), total(2019, {"시도": "부산"}, COST), 100), "%"),
    "a025": (div(C(2019, "서울", "내과", COST), C(2019, "경기", "내과", COST)), "배"),
    "a026": (pct_change(C(2016, "부산", "정형외과", PAT), C(2015, "부산", "정형외과", PAT)), "%"),
    "a027": (pct_change(C(2016, "부산", "정형외과", COST), C(2015, "부산", "정형외과", COST)), "%"),
    "a029": (rank(2013, {"진료과목": "정형외과"}, "시도", COST, 1), "원"),
    "a030": (div(C(2013, "서울", "안과", COST), C(2013, "부산", "안과", COST)), "배"),
    "a032": (C(2019, "서울", "내과", DAYS), "일"),
    "a034": (C(2016, "대구", "안과", CLM), "건"),
    "a035": (rank(2019, {}, "진료과목", COST, 5), "원"),
    "a036": (rank(2013, {}, "진료과목", COST, 5), "원"),
    "a037": (C(2013, "부산", "정형외과", COST), "원"),
    "a038": (C(2013, "부산", "정형외과", INS), "원"),
    "a040": (rank(2019, {"시도": "서울"}, "진료과목", CLM, 3), "건"),
    "a042": (div(C(2014, "인천", "응급의학과", INS), C(2014, "인천", "응급의학과", COST), 100), "%"),
    "a043": (C(2016, "세종", "내과", COST), "원"),
    "a046": (rank(2019, {}, "진료과목", DAYS, 3), "일"),
    "a048": (div(total(2015, {"진료과목": "내과"}, INS), total(2015, {"진료과목": "내과"}, COST), 100), "%"),
    "a049": (C(2017, "경기", "정형외과", CLM), "건"),
    "a051": (inst("경기도 수원시 영통구", "의원"), "개소"),
    "a052": (inst("경기도 수원시 영통구", "약국"), "개소"),
    "a053": (inst("경기도 성남시 분당구", "약국"), "개소"),
    "a054": (inst("경기도 고양시 일산동구", "요양병원"), "개소"),
    "a056": (total(2013, {}, COST), "원"),
    "a057": (div(C(2019, "경기", "외과", COST), C(2019, "경기", "외과", DAYS)), "원"),
    "a058": (rank("inst", {"시도": ("contains", " ")}, "시도", "보건진료소", 1, group=first_word), "개소"),
    "a059": (sub(C(2015, "경기", "소아청소년과", CLM), C(2014, "경기", "소아청소년과", CLM)), "건"),
    "a060": (div(C(2013, "경기", "내과", INS), C(2013, "경기", "내과", CLM)), "원"),
    "a063": (
        div(total("inst", {"시도": ("startswith", "경기도 ")}, "약국"), total("inst", {}, "약국"), 100),
        "%",
    ),
    "a066": (pct_change(C(2016, "서울", "산부인과", PAT), C(2015, "서울", "산부인과", PAT)), "%"),
    "a067": (C(2016, "부산", "내과", INS), "원"),
    "a068": (inst("경상남도 창원시 마산합포구", "한방병원"), "개소"),
    "a069": (
        total("inst", {"시도": ("startswith", "전라북도 ")}, "약국"),
        "개소",
        "The intent says 14 시군구 rows, but the file has 15 rows starting with '전라북도 ' "
        "(14 시군, with 전주시 split into 완산구 and 덕진구); all 15 are summed. The value is unaffected "
        "by the wording: it is the whole province.",
    ),
    "a070": (div(inst("서울특별시", "의원", "계"), inst("부산광역시", "의원", "계")), "배"),
    "a072": (div(C(2019, "서울", "내과", COST), C(2019, "서울", "내과", PAT)), "원"),
    "a073": (div(C(2013, "서울", "내과", COST), C(2013, "서울", "내과", PAT)), "원"),
    "a074": (
        div(
            sub(C(2016, "강원", "재활의학과", COST), C(2016, "강원", "재활의학과", INS)),
            C(2016, "강원", "재활의학과", COST),
            100,
        ),
        "%",
    ),
    "a075": (rank(2016, {}, "시도", COST, 3, ascending=True), "원"),
    "a076": (inst("경상북도 칠곡군", "계"), "개소"),
    "a080": (
        div(sub(C(2019, "울산", "내과", COST), C(2019, "울산", "내과", INS)), C(2019, "울산", "내과", PAT)),
        "원",
    ),
    "a081": (inst("충청북도 청주시 상당구", "한의원"), "개소"),
    "a082": (C(2015, "강원", "이비인후과", CLM), "건"),
    "a083": (inst("경상북도 포항시 북구", "약국"), "개소"),
    "a084": (inst("경상북도 포항시 남구", "약국"), "개소"),
    "a085": (total("inst", {"시도": ("startswith", "경상북도 ")}, "치과의원"), "개소"),
    "a086": (div(C(2019, "제주", "신경외과", DAYS), C(2019, "제주", "신경외과", PAT)), "일"),
    "a089": (div(C(2017, "서울", "내과", COST), total(2017, {"진료과목": "내과"}, COST), 100), "%"),
    "a090": (C(2017, "제주", "한방내과", PAT), "명"),
    "a092": (sub(C(2016, "대구", "산부인과", COST), C(2016, "대구", "산부인과", INS)), "원"),
    "a093": (C(2014, "부산", "비뇨의학과", COST), "원"),
    "a094": (div(C(2014, "부산", "산부인과", CLM), total(2014, {"진료과목": "산부인과"}, CLM), 100), "%"),
    "a095": (C(2015, "광주", "신경외과", COST), "원"),
    "a096": (pct_change(C(2015, "광주", "신경외과", COST), C(2014, "광주", "신경외과", COST)), "%"),
    "a101": (
        div(C(2019, "세종", "재활의학과", COST), total(2019, {"진료과목": "재활의학과"}, COST), 100),
        "%",
    ),
    "a105": (total("inst", {}, "상급종합병원"), "개소"),
    "a106": (total("inst", {}, "종합병원"), "개소"),
    "a107": (inst("경상남도 고성군", "보건진료소"), "개소"),
    "a108": (C(2016, "강원", "정형외과", COST), "원"),
    "a109": (div(total(2015, {"진료과목": "한방내과"}, INS), total(2015, {}, INS), 100), "%"),
    "a111": (pct_change(C(2019, "제주", "재활의학과", COST), C(2013, "제주", "재활의학과", COST)), "%"),
    "a112": (div(total(2016, {"시도": "서울"}, COST), total(2016, {}, COST), 100), "%"),
    "a114": (inst("강원도 강릉시", "종합병원"), "개소"),
    "a115": (C(2017, "울산", "응급의학과", INS), "원"),
    "a116": (sub(C(2017, "대구", "안과", COST), C(2016, "대구", "안과", COST)), "원"),
    "a117": (pct_change(total(2014, {}, COST), total(2013, {}, COST)), "%"),
    "a118": (C(2017, "서울", "피부과", COST), "원"),
    "a119": (C(2014, "인천", "산부인과", PAT), "명"),
    "a120": (inst("강원도 고성군", "약국"), "개소"),
    "a121": (rank(2015, {"시도": "부산"}, "진료과목", INS, 5), "원"),
    "a122": (C(2019, "대전", "정신건강의학과", CLM), "건"),
    "a123": (div(inst("서울특별시", "계", "계"), total("inst", {}, "계"), 100), "%"),
    "a124": (div(C(2017, "광주", "정형외과", COST), C(2017, "광주", "외과", COST), 100), "%"),
    "a125": (C(2019, "경북", "외과", PAT), "명"),
    "a126": (C(2019, "경남", "외과", PAT), "명"),
    "a127": (div(total(2019, {"진료과목": "내과"}, COST), total(2019, {}, COST), 100), "%"),
    "a129": (C(2013, "전남", "가정의학과", PAT), "명"),
    "a130": (C(2019, "제주", "재활의학과", DAYS), "일"),
    "a131": (total("inst", {"시도": ("startswith", "충청남도 ")}, "보건의료원"), "개소"),
    "a132": (
        pct_change(total(2019, {"진료과목": "내과"}, COST), total(2013, {"진료과목": "내과"}, COST)),
        "%",
    ),
    "a133": (inst("서울특별시", "치과의원", "계"), "개소"),
    "a135": (div(C(2019, "경북", "정신건강의학과", CLM), C(2019, "경북", "정신건강의학과", PAT)), "건"),
}

# ---------------------------------------------------------------------------
# Unanswerable questions: id -> short reason
# ---------------------------------------------------------------------------

ABSTAIN = {
    "a003": "요양급여비용총액 covers insured (급여) care only; non-covered (비급여) amounts are not in the data.",
    "a006": "Institution counts are a 2024 Q4 snapshot only; no 2024 Q2 figures.",
    "a008": "No age information in any file; average age cannot be computed.",
    "a013": "The cost file has no 입원/외래 split.",
    "a015": "The cost file has no 요양기관 종별 breakdown (only 시도 x 진료과목, 병원급 이상 combined).",
    "a017": "Cost files exist only for 2013-2017 and 2019; no 2020 data.",
    "a028": "The 2013 cost file has no 입내원일수 column (added in 2019).",
    "a031": "The cost file has no age dimension.",
    "a033": "The 2017 cost file has no 입내원일수 column (added only in 2019).",
    "a039": "심장내과 is not a 진료과목 in the data; cardiology is inside 내과 and cannot be separated.",
    "a041": "Cost files exist only for 2013-2017 and 2019; no 2021 data.",
    "a044": "경기북도 is not a 시도; the cost file has only 경기 and no 시군구 breakdown.",
    "a045": "부산광역시 has only a '계' row in the institution file; 해운대구 cannot be isolated.",
    "a047": "The cost file is annual; no quarterly breakdown.",
    "a050": "The cost file has no disease (상병) dimension.",
    "a055": "광주광역시 has only a '계' row in the institution file (no 구 rows); 경기도 광주시 has no 북구.",
    "a061": "요양원 (long-term care facility) is not a 요양기관 종별 in the institution file.",
    "a062": "There is no 2018 cost file (only 2013-2017 and 2019).",
    "a064": "The institution file counts institutions, not beds; no bed counts anywhere.",
    "a065": "The cost file is at 시도 level only; no 시군구 breakdown.",
    "a071": "대구광역시 has only a '계' row in the institution file; no 구-level rows.",
    "a077": "No 2018 cost file, so a year-over-year change for 2019 cannot be computed.",
    "a078": "Only aggregated totals per 시도 x 진료과목; no distribution, so no median.",
    "a079": "No physician/personnel counts in any file.",
    "a087": "Cost files exist only for 2013-2017 and 2019; no 2024 cost data.",
    "a088": "The cost file is at 시도 level only; no 시군구 (해운대구) breakdown.",
    "a091": "No mortality measure in the cost file.",
    "a097": "The cost file has no sex (성별) column.",
    "a098": "The institution file is a single period (2024 Q4); no earlier period to compare.",
    "a099": "The cost file covers 병원급 이상 institutions only; 의원급 costs are not included.",
    "a100": "Institution counts exist only for 2024 Q4; no 2023 figures.",
    "a102": "The 2015 cost file has no 입내원일수 column (only from 2019).",
    "a103": "Institution counts are by 종별, not by 진료과목; 소아청소년과 institutions cannot be counted.",
    "a104": "The cost file has no age dimension.",
    "a110": "Institution counts are by 종별 only, not by 진료과목; 내과 의원 cannot be counted.",
    "a113": "The cost file has no 입원/외래 split.",
    "a128": "The cost file is annual only; no quarter dimension.",
    "a134": "서울특별시 has only a '계' row in the institution file; no 구-level (강남구) rows.",
}

# ---------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------


class Evaluator:
    def __init__(self, data: Data):
        self.data = data
        self.doubts: list[str] = []

    def num(self, spec):
        op = spec["op"]
        if op == "cell":
            rows = _filter(self.data.get(spec["src"]), spec["where"])
            if len(rows) != 1:
                raise ValueError(f"cell {spec['src']} {spec['where']} matched {len(rows)} rows")
            return int(rows[spec["col"]].iloc[0])
        if op == "total":
            rows = _filter(self.data.get(spec["src"]), spec["where"])
            if len(rows) == 0:
                raise ValueError(f"total {spec['src']} {spec['where']} matched no row")
            return int(rows[spec["col"]].sum())
        if op == "div":
            den = self.num(spec["den"])
            return self.num(spec["num"]) / den * spec["scale"]
        if op == "sub":
            return self.num(spec["a"]) - self.num(spec["b"])
        if op == "pct_change":
            old = self.num(spec["old"])
            return (self.num(spec["new"]) - old) / old * 100
        raise ValueError(op)

    def ranking(self, spec):
        df = _filter(self.data.get(spec["src"]), spec["where"]).copy()
        if spec["name_col"]:
            key = spec["name_col"]
            if df[key].duplicated().any():
                raise ValueError(f"duplicate names in {key}")
        else:
            key = spec["by"]
        if spec["group"] is not None:
            df[key] = df[key].map(spec["group"])
        meas = spec["measure"]
        if isinstance(meas, tuple):
            _, a, b = meas
            g = df.groupby(key, sort=False)[[a, b]].sum()
            vals = g[a] / g[b]
        else:
            vals = df.groupby(key, sort=False)[meas].sum()
        if spec["group"] is not None and spec["src"] == "inst":
            vals = vals[vals.index.isin(PROVINCES)]
        vals = vals.sort_values(ascending=spec["ascending"], kind="mergesort")
        n = spec["n"]
        if len(vals) > n and vals.iloc[n - 1] == vals.iloc[n]:
            self.doubts.append(
                f"tie at rank {n}: {vals.index[n - 1]} and {vals.index[n]} both {vals.iloc[n]}"
            )
        top = vals.iloc[:n]
        values = [float(v) if isinstance(meas, tuple) else int(v) for v in top.values]
        return [str(x) for x in top.index], values


def build(data_dir: Path, out_path: Path) -> list[dict]:
    data = Data(data_dir)
    questions = [
        json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    out = []
    for q in questions:
        qid = q["id"]
        if qid in ABSTAIN:
            rec = {"id": qid, "answerable": False, "kind": "abstain", "reason": ABSTAIN[qid]}
        elif qid in SPECS:
            entry = SPECS[qid]
            spec, unit = entry[0], entry[1]
            ev = Evaluator(data)
            if spec["op"] == "rank":
                names, values = ev.ranking(spec)
                rec = {
                    "id": qid,
                    "answerable": True,
                    "kind": "ranking",
                    "names": names,
                    "values": values,
                    "unit": unit,
                }
            else:
                rec = {
                    "id": qid,
                    "answerable": True,
                    "kind": "number",
                    "value": float(ev.num(spec)),
                    "unit": unit,
                }
            doubts = ([entry[2]] if len(entry) > 2 else []) + ev.doubts
            if doubts:
                rec["doubt"] = " ".join(doubts)
        else:
            raise KeyError(f"no spec or abstain reason for {qid}")
        # consistency with the question file
        if (
            rec["answerable"] != q["answerable"]
            or {"abstain": "abstain", "number": "number", "ranking": "ranking"}[rec["kind"]] != q["expect"]
        ):
            rec["doubt"] = (
                rec.get("doubt", "") + f" Kind {rec['kind']} differs from expect {q['expect']}."
            ).strip()
        out.append(rec)
    extra = (set(SPECS) | set(ABSTAIN)) - {q["id"] for q in questions}
    if extra:
        raise KeyError(f"specs for unknown ids: {sorted(extra)}")
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "w", encoding="utf-8") as f:
        for rec in out:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return out


def main(argv: list[str]) -> int:
    data_dir = Path(argv[1]) if len(argv) > 1 else DEFAULT_DATA
    out_path = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    recs = build(data_dir, out_path)
    kinds: dict[str, int] = {}
    for r in recs:
        kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
    n_doubt = sum(1 for r in recs if "doubt" in r)
    print(f"wrote {len(recs)} answers to {out_path}: {kinds}; {n_doubt} with doubt")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
