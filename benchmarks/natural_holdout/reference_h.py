#!/usr/bin/env python3
"""Reference answers for the natural_holdout benchmark.

Standalone: pandas, openpyxl, stdlib only. Reads the raw HIRA files and the KCD master
from a data folder and writes one expected answer per question id.

usage: python reference.py [DATA_DIR] [OUT_JSONL]
"""

import json
import re
import sys
from pathlib import Path

import openpyxl
import pandas as pd

HERE = Path(__file__).resolve()
DEFAULT_DATA = HERE.parents[2] / ".." / "shared" / "data"
DEFAULT_OUT = HERE.parent / "expected_h.jsonl"

SIDO_YEARS = [2013, 2014, 2015, 2016, 2017, 2019]
SIDO17 = [
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


# ---------------------------------------------------------------- loaders
def _norm_col(c):
    c = re.sub(r"\s+", "", str(c))
    c = c.replace("(선별포함)", "")
    return c


def _clean(df):
    df.columns = [_norm_col(c) for c in df.columns]
    for c in df.columns:
        s = df[c].astype(str).str.strip()
        conv = pd.to_numeric(s, errors="coerce")
        df[c] = conv if conv.notna().all() else s
    return df


class Data:
    def __init__(self, root):
        self.root = Path(root)
        self.h = self.root / "hira_real"
        self._sido = {}
        self._dept = self._sex = self._yoyang = self._master = None

    def sido(self, year):
        if year not in self._sido:
            p = self.h / f"hira_dept_by_sido_cost_hospital_level_{year}.csv"
            raw = p.read_bytes()
            for enc in ("utf-8-sig", "cp949"):
                try:
                    raw.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            df = _clean(pd.read_csv(p, encoding=enc, dtype=str))
            assert not df.duplicated(["시도", "진료과목"]).any()
            self._sido[year] = df
        return self._sido[year]

    def dept(self):
        if self._dept is None:
            df = _clean(pd.read_csv(self.h / "hira_kcd3_by_dept_hospital_level_2023.csv", dtype=str))
            assert not df.duplicated(["진료과목", "주상병코드"]).any()
            self._dept = df
        return self._dept

    def sex(self):
        if self._sex is None:
            df = _clean(pd.read_csv(self.h / "hira_kcd3_by_sex_inout_2023.csv", dtype=str))
            assert not df.duplicated(["주상병코드", "성별", "입원외래구분"]).any()
            self._sex = df
        return self._sex

    def yoyang(self):
        """Rows of the 2024Q4 institutions sheet; adds 광역 (first token of 시도)."""
        if self._yoyang is None:
            wb = openpyxl.load_workbook(
                self.h / "hira_yoyang_institutions_by_region_type_2024Q4.xlsx", read_only=True, data_only=True
            )
            ws = wb.worksheets[0]
            header, rows = None, []
            for r in ws.iter_rows(values_only=True):
                if header is None:
                    if r and r[0] is not None and str(r[0]).strip() == "시도":
                        header = [str(x).strip() for x in r]
                    continue
                if r[0] is None or str(r[0]).strip() == "":
                    continue
                rows.append(list(r[: len(header)]))
            df = pd.DataFrame(rows, columns=header)
            for c in header[2:]:
                df[c] = pd.to_numeric(
                    df[c].replace({"": None, "-": None, "–": None}), errors="coerce"
                ).fillna(0)
            df["시도"] = df["시도"].astype(str).str.strip()
            df["시군구"] = df["시군구"].astype(str).str.strip()
            df["광역"] = df["시도"].str.split().str[0]
            # no region may be counted twice: provinces carry only 시군구 rows, 광역시 only a 계 row
            for g, sub in df.groupby("광역"):
                assert not ((sub["시군구"] == "계").any() and len(sub) > 1), g
            self._yoyang = df
        return self._yoyang

    def master3(self):
        """3-character KCD code -> Korean name (first occurrence)."""
        if self._master is None:
            wb = openpyxl.load_workbook(
                self.root / "code_masters" / "kcd9_koicd_masterfile_20250701.xlsx", read_only=True
            )
            ws = wb["KCD-8 DB Masterfile"]
            ci = ni = None
            out = {}
            for r in ws.iter_rows(values_only=True):
                if ci is None:
                    hdr = [re.sub(r"\s+", "", str(x)) if x is not None else "" for x in r]
                    if "질병분류코드" in hdr and "한글명칭" in hdr:
                        ci, ni = hdr.index("질병분류코드"), hdr.index("한글명칭")
                    continue
                code = r[ci]
                if isinstance(code, str) and re.fullmatch(r"[A-Z]\d\d", code.strip()):
                    out.setdefault(code.strip(), (r[ni] or "").strip())
            self._master = out
        return self._master


# ---------------------------------------------------------------- helpers
def num(i, v, unit):
    return {"id": i, "answerable": True, "kind": "number", "value": float(v), "unit": unit}


def rank(i, s, k, unit):
    s = s.sort_values(ascending=False).head(k)
    return {
        "id": i,
        "answerable": True,
        "kind": "ranking",
        "names": [str(x) for x in s.index],
        "values": [float(x) for x in s.values],
        "unit": unit,
    }


def cand(i, codes):
    return {"id": i, "answerable": True, "kind": "candidates", "codes": sorted(codes)}


def abstain(i, reason):
    return {"id": i, "answerable": False, "kind": "abstain", "reason": reason}


def sido_val(D, y, sido, dept, col):
    df = D.sido(y)
    r = df[(df["시도"] == sido) & (df["진료과목"] == dept)]
    assert len(r) == 1, (y, sido, dept)
    return float(r[col].iloc[0])


def sex_val(D, code, sex, io, col):
    df = D.sex()
    r = df[(df["주상병코드"] == code) & (df["성별"] == sex) & (df["입원외래구분"] == io)]
    assert len(r) == 1, (code, sex, io)
    return float(r[col].iloc[0])


def dept_val(D, dept, code, col):
    df = D.dept()
    r = df[(df["진료과목"] == dept) & (df["주상병코드"] == code)]
    assert len(r) == 1, (dept, code)
    return float(r[col].iloc[0])


def resolve(D, name):
    """Exact 3-character name -> code (must be unique)."""
    hits = [k for k, v in D.master3().items() if v == name]
    assert len(hits) == 1, (name, hits)
    return hits[0]


def name_contains(D, term):
    return [k for k, v in D.master3().items() if term in v]


def yo_region(D, gwangyeok, col):
    df = D.yoyang()
    sub = df[df["광역"] == gwangyeok]
    assert len(sub) >= 1, gwangyeok
    return float(sub[col].sum())


# ---------------------------------------------------------------- per-id specs
def build(D):
    T, P, C, V = "요양급여비용총액", "환자수", "명세서청구건수", "입내원일수"
    B = "보험자부담금"
    S = {}

    # --- file 4: 병원급이상 진료과목별 시도별 진료비
    S["h001"] = lambda i: num(i, sido_val(D, 2019, "서울", "내과", P), "명")
    S["h002"] = lambda i: num(i, sido_val(D, 2019, "부산", "내과", P), "명")
    S["h003"] = lambda i: num(i, sido_val(D, 2015, "경기", "정형외과", T), "원")
    S["h004"] = lambda i: num(i, sido_val(D, 2017, "부산", "안과", C), "건")
    S["h005"] = lambda i: abstain(
        i, "2018 is not in the 진료과목별 시도별 진료비 files (2013-2017, 2019 only)"
    )
    S["h006"] = lambda i: num(
        i, sido_val(D, 2019, "제주", "소아청소년과", T) / sido_val(D, 2019, "제주", "소아청소년과", P), "원"
    )
    S["h007"] = lambda i: num(
        i, 100 * sido_val(D, 2013, "강원", "내과", B) / sido_val(D, 2013, "강원", "내과", T), "%"
    )

    def top_sido_dept(y, dept, col, k):
        df = D.sido(y)
        return df[df["진료과목"] == dept].set_index("시도")[col], k

    S["h008"] = lambda i: rank(i, *top_sido_dept(2019, "내과", T, 5), "원")
    S["h009"] = lambda i: rank(i, *top_sido_dept(2013, "내과", T, 5), "원")

    def share_h010(i):
        df = D.sido(2019)
        s = df[df["진료과목"] == "정형외과"].set_index("시도")[T]
        assert set(s.index) == set(SIDO17)
        return num(i, 100 * s["경기"] / s.sum(), "%")

    S["h010"] = share_h010
    S["h011"] = lambda i: num(
        i, 100 * (sido_val(D, 2017, "서울", "피부과", T) / sido_val(D, 2013, "서울", "피부과", T) - 1), "%"
    )
    S["h012"] = lambda i: num(
        i, sido_val(D, 2019, "세종", "내과", P) - sido_val(D, 2017, "세종", "내과", P), "명"
    )

    def h013(i):
        df = D.sido(2014)
        s = df[(df["시도"] == "전남") & (df["진료과목"] != "약국")].set_index("진료과목")[C]
        return rank(i, s, 3, "건")

    S["h013"] = h013
    S["h014"] = lambda i: num(
        i, sido_val(D, 2019, "울산", "내과", V) / sido_val(D, 2019, "울산", "내과", P), "일"
    )
    S["h015"] = lambda i: abstain(i, "입내원일수 is not a column of the 2013 file (added in 2019)")
    S["h016"] = lambda i: num(i, sido_val(D, 2019, "전북", "재활의학과", T), "원")
    S["h017"] = lambda i: num(
        i, sido_val(D, 2019, "서울", "성형외과", T) / sido_val(D, 2019, "경기", "성형외과", T), "배"
    )
    S["h018"] = lambda i: num(
        i, sido_val(D, 2015, "광주", "산부인과", T) - sido_val(D, 2015, "광주", "산부인과", B), "원"
    )

    def h019(i):
        df = D.sido(2016)
        s = df[df["진료과목"] == "가정의학과"]
        return num(i, s[C].sum(), "건")

    S["h019"] = h019
    S["h020"] = lambda i: abstain(i, "the 시도별 진료비 table has no 입원/외래 split")

    # --- file 3: 3단상병별 성별 입원외래별 2023
    S["h021"] = lambda i: num(i, sex_val(D, "J20", "여", "외래", P), "명")
    S["h022"] = lambda i: num(i, sex_val(D, "J20", "남", "외래", P), "명")
    S["h023"] = lambda i: num(i, sex_val(D, resolve(D, "2형 당뇨병"), "남", "입원", C), "건")
    S["h024"] = lambda i: num(
        i, sex_val(D, "I10", "남", "외래", V) + sex_val(D, "I10", "여", "외래", V), "일"
    )

    def h025(i):
        f, m = sex_val(D, "M17", "여", "입원", V), sex_val(D, "M17", "남", "입원", V)
        return num(i, 100 * f / (f + m), "%")

    S["h025"] = h025
    S["h026"] = lambda i: abstain(i, "no age band in the 2023 disease tables")

    def h027(i):
        df = D.sex()
        s = df[df["입원외래구분"] == "입원"].groupby("주상병코드")[C].sum()
        return rank(i, s, 5, "건")

    S["h027"] = h027
    S["h028"] = lambda i: num(
        i, sex_val(D, "F32", "여", "외래", P) / sex_val(D, "F32", "남", "외래", P), "배"
    )

    def h029(i):
        codes = name_contains(D, "치매")
        assert codes == ["F00", "F01", "F02", "F03"], codes
        return cand(i, codes)

    S["h029"] = h029

    def h030(i):
        codes = name_contains(D, "천식")
        assert codes == ["J45", "J46"], codes
        return cand(i, codes)

    S["h030"] = h030
    S["h031"] = lambda i: num(i, sex_val(D, "C16", "남", "입원", V), "일")
    S["h032"] = lambda i: num(i, sex_val(D, "C16", "남", "외래", V), "일")

    def h033(i):
        assert "감기" in D.master3()["J00"]
        return num(i, 100 * sex_val(D, "J00", "남", "외래", B) / sex_val(D, "J00", "남", "외래", T), "%")

    S["h033"] = h033
    S["h034"] = lambda i: abstain(i, "no age band (65세 이상) in the 2023 disease tables")
    S["h035"] = lambda i: abstain(i, "the disease tables have no region (시도) dimension")

    def h036(i):
        df = D.sex()
        s = df[(df["성별"] == "여") & (df["입원외래구분"] == "외래")].set_index("주상병코드")[P]
        return rank(i, s, 3, "명")

    S["h036"] = h036

    # --- file 2: 병원급이상 진료과목별 상병 2023
    S["h037"] = lambda i: num(i, dept_val(D, "정형외과", "M17", P), "명")
    S["h038"] = lambda i: num(i, dept_val(D, "신경외과", "M17", P), "명")

    def h039(i):
        df = D.dept()
        s = df[df["주상병코드"] == resolve(D, "급성 기관지염")].set_index("진료과목")[C]
        return rank(i, s, 3, "건")

    S["h039"] = h039

    def h040(i):
        df = D.dept()
        s = df[df["주상병코드"] == "I10"].set_index("진료과목")[C]
        return num(i, 100 * s["내과"] / s.sum(), "%")

    S["h040"] = h040

    def h041(i):
        df = D.dept()
        return num(i, df[df["진료과목"] == "안과"][V].sum(), "일")

    S["h041"] = h041
    S["h042"] = lambda i: num(i, dept_val(D, "안과", resolve(D, "노년백내장"), P), "명")

    def h043(i):
        df = D.dept()
        s = df[df["진료과목"] == "소아청소년과"].set_index("주상병코드")[C]
        return rank(i, s, 5, "건")

    S["h043"] = h043
    S["h044"] = lambda i: num(
        i, dept_val(D, "정신건강의학과", "F32", T) / dept_val(D, "정신건강의학과", "F32", P), "원"
    )
    S["h045"] = lambda i: abstain(i, "the 진료과목별 상병 table has no region dimension")
    S["h046"] = lambda i: abstain(i, "the 진료과목별 상병 table has no 입원/외래 split")
    S["h047"] = lambda i: abstain(i, "평균 재원일수 is not published in these tables")
    S["h048"] = lambda i: abstain(i, "사망자 수 is not in HIRA claims tables")

    def h049(i):
        m = D.master3()
        assert not any("번아웃" in v for v in m.values())
        return abstain(i, "번아웃 증후군 is not a name in the KCD master")

    S["h049"] = h049
    S["h050"] = lambda i: abstain(i, "2025 is not in the data (disease tables are 2023 only)")

    # --- file 5: 지역별 종별 요양기관수 2024Q4
    S["h051"] = lambda i: num(i, yo_region(D, "서울특별시", "의원"), "개소")
    S["h052"] = lambda i: num(i, yo_region(D, "경기도", "치과의원"), "개소")

    def h053(i):
        df = D.yoyang()
        r = df[df["시도"].str.endswith("분당구")]
        assert len(r) == 1
        return num(i, r["약국"].iloc[0], "개소")

    S["h053"] = h053
    S["h054"] = lambda i: rank(i, D.yoyang().groupby("광역")["요양병원"].sum(), 3, "개소")
    S["h055"] = lambda i: rank(i, D.yoyang().groupby("광역")["한의원"].sum(), 3, "개소")
    S["h056"] = lambda i: num(
        i, 100 * yo_region(D, "부산광역시", "약국") / yo_region(D, "부산광역시", "계"), "%"
    )
    S["h057"] = lambda i: num(i, D.yoyang()["상급종합병원"].sum(), "개소")
    S["h058"] = lambda i: abstain(i, "the institutions file is 2024 Q4 only; no 2023 figures")
    S["h059"] = lambda i: abstain(i, "병상 수 is not in the institutions-count file")
    S["h060"] = lambda i: abstain(i, "2020 is not in the 진료과목별 시도별 진료비 files")
    return S


def main():
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUT
    D = Data(data)
    S = build(D)
    ids = [f"h{n:03d}" for n in range(1, 61)]
    assert sorted(S) == ids
    with open(out, "w", encoding="utf-8") as f:
        for i in ids:
            f.write(json.dumps(S[i](i), ensure_ascii=False) + "\n")
    print(f"wrote {len(ids)} answers to {out}")


if __name__ == "__main__":
    main()
