#!/usr/bin/env python3
"""Reference answers for the natural_masters benchmark (code-master questions).

Standalone: pandas, openpyxl, stdlib only (does not import hirachat). Reads the raw master
files written by make_files.py (decoding CP949 / UTF-8 with BOM itself) and writes one
expected answer per question id. Every value is looked up or counted from the files; the
수가 questions about the current state apply the change file (신설/변경/삭제) to the master.

usage: python reference_m.py [DATA_DIR] [OUT_JSONL]
"""

import io
import json
import re
import sys
from pathlib import Path

import openpyxl
import pandas as pd

HERE = Path(__file__).resolve()
DEFAULT_DATA = HERE.parent / "files"
DEFAULT_OUT = HERE.parent / "expected_m.jsonl"

F_DRUG = "약제급여목록표_20251001.xlsx"
F_ATC = "ATC코드_매핑목록_20251001.csv"
F_SUGA = "수가마스터_20250101.csv"
F_CHANGE = "수가변경_20250801.csv"
F_SANG = "상병마스터_20250101.csv"
F_INGR = "의약품주성분_20250901.csv"


# ---------------------------------------------------------------- loaders
def _norm_col(c):
    return re.sub(r"\s+", "", str(c))


def read_csv(path):
    """CSV with every cell as a stripped string ('' for blank); encoding detected from the bytes."""
    raw = Path(path).read_bytes()
    text = None
    for enc in ("utf-8-sig", "cp949"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    assert text is not None, path
    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    df.columns = [_norm_col(c) for c in df.columns]
    for c in df.columns:
        df[c] = df[c].str.strip()
    return df


class Data:
    def __init__(self, root):
        self.root = Path(root)
        self._cache = {}

    def _get(self, key, fn):
        if key not in self._cache:
            self._cache[key] = fn()
        return self._cache[key]

    def drugs(self):
        """약제급여목록표: find the header row (title + blank rows above), stop at the first non-data row."""

        def load():
            wb = openpyxl.load_workbook(self.root / F_DRUG, read_only=True, data_only=True)
            ws = wb.worksheets[0]
            header, rows = None, []
            for r in ws.iter_rows(values_only=True):
                cells = ["" if v is None else str(v).strip() for v in r]
                if header is None:
                    norm = [_norm_col(c) for c in cells]
                    if "제품코드" in norm and "제품명" in norm:
                        header = norm
                    continue
                if not re.fullmatch(r"\d+", cells[0] if cells else ""):
                    if any(cells):
                        # footnote row (※ ...) ends the data
                        break
                    continue
                rows.append(cells[: len(header)])
            wb.close()
            df = pd.DataFrame(rows, columns=header)
            price_col = [c for c in df.columns if c.startswith("상한금액")]
            assert len(price_col) == 1, df.columns
            df = df.rename(columns={price_col[0]: "상한금액"})
            df["상한금액"] = pd.to_numeric(df["상한금액"].str.replace(",", ""), errors="raise")
            assert not df["제품코드"].duplicated().any()
            return df

        return self._get("drugs", load)

    def atc(self):
        def load():
            df = read_csv(self.root / F_ATC)
            assert not df["제품코드"].duplicated().any()
            return df

        return self._get("atc", load)

    def suga(self):
        def load():
            df = read_csv(self.root / F_SUGA)
            df["상대가치점수"] = pd.to_numeric(df["상대가치점수"], errors="raise")
            assert not df["수가코드"].duplicated().any()
            return df

        return self._get("suga", load)

    def change(self):
        def load():
            df = read_csv(self.root / F_CHANGE)
            assert set(df["변경구분"]) <= {"신설", "변경", "삭제"}, set(df["변경구분"])
            master = set(self.suga()["수가코드"])
            for _, r in df.iterrows():
                if r["변경구분"] in ("변경", "삭제"):
                    assert r["수가코드"] in master, r["수가코드"]
                else:
                    assert r["수가코드"] not in master, r["수가코드"]
            return df

        return self._get("change", load)

    def suga_current(self):
        """수가 master with the change file applied: code -> {한글명, 상대가치점수, 상태}."""

        def load():
            cur = {
                r["수가코드"]: {
                    "한글명": r["한글명"],
                    "상대가치점수": float(r["상대가치점수"]),
                    "상태": "유효",
                }
                for _, r in self.suga().iterrows()
            }
            for _, r in self.change().iterrows():
                code, kind = r["수가코드"], r["변경구분"]
                if kind == "삭제":
                    cur[code]["상태"] = "삭제"
                    continue
                rec = cur.setdefault(code, {"한글명": "", "상대가치점수": None, "상태": "유효"})
                if r["한글명"]:
                    rec["한글명"] = r["한글명"]
                if r["상대가치점수"]:
                    rec["상대가치점수"] = float(r["상대가치점수"])
            return cur

        return self._get("suga_current", load)

    def sang(self):
        def load():
            df = read_csv(self.root / F_SANG)
            assert not df["상병기호"].duplicated().any()
            return df

        return self._get("sang", load)

    def ingr(self):
        def load():
            df = read_csv(self.root / F_INGR)
            assert not df["일반명코드"].duplicated().any()
            return df

        return self._get("ingr", load)

    def all_headers(self):
        cols = set(self.drugs().columns)
        for fn in (self.atc, self.suga, self.change, self.sang, self.ingr):
            cols |= set(fn().columns)
        return cols


# ---------------------------------------------------------------- helpers
def num(i, v, unit):
    return {"id": i, "answerable": True, "kind": "number", "value": float(v), "unit": unit}


def text(i, t):
    assert isinstance(t, str) and t.strip(), (i, t)
    return {"id": i, "answerable": True, "kind": "text", "text": t}


def cand(i, codes):
    assert len(codes) >= 2, (i, codes)
    return {"id": i, "answerable": True, "kind": "candidates", "codes": sorted(codes)}


def abstain(i, reason):
    return {"id": i, "answerable": False, "kind": "abstain", "reason": reason}


BLANK_MARKER = "(빈칸)"


def blank(i, value, column):
    """A blank master cell is a value: the answer must say it is empty / none, not invent one.

    `text` is only a marker (no natural answer contains it): graders must special-case kind "blank".
    """
    assert value == "", (i, column, value)
    return {
        "id": i,
        "answerable": True,
        "kind": "blank",
        "column": column,
        "blank": True,
        "text": BLANK_MARKER,
    }


def one(df, col, val):
    r = df[df[col] == val]
    assert len(r) == 1, (col, val, len(r))
    return r.iloc[0]


def by_name(df, col, fragment):
    """The single row whose `col` (whitespace removed) contains `fragment` (whitespace removed)."""
    frag = re.sub(r"\s+", "", fragment)
    r = df[df[col].str.replace(r"\s+", "", regex=True).str.contains(frag, regex=False)]
    assert len(r) == 1, (col, fragment, list(r[col]))
    return r.iloc[0]


def drug(D, fragment):
    return by_name(D.drugs(), "제품명", fragment)


def atc_row(D, fragment):
    return by_name(D.atc(), "제품명", fragment)


# ---------------------------------------------------------------- answers
def build(D):
    S = {}
    cur = D.suga_current
    sg = D.suga
    sb = D.sang

    S["m001"] = lambda i: text(i, atc_row(D, "리피토정10밀리그램")["ATC코드"])
    S["m002"] = lambda i: text(i, drug(D, "자누메트정50/500")["업체명"])
    S["m003"] = lambda i: num(i, drug(D, "케이캡정50")["상한금액"], "원")
    S["m004"] = lambda i: text(i, drug(D, "히알레인점안액")["규격"])
    S["m005"] = lambda i: text(i, one(D.drugs(), "제품코드", "645302132")["제품명"])

    def m006(i):
        assert "AA254" not in set(D.change()["수가코드"])
        return text(i, one(sg(), "수가코드", "AA254")["영문명"])

    S["m006"] = m006

    def m007(i):
        code = one(sg(), "한글명", "초진진찰료-의원")["수가코드"]
        assert one(D.change(), "수가코드", code)["변경구분"] == "변경"
        return num(i, cur()[code]["상대가치점수"], "점")

    S["m007"] = m007

    def unchanged_score(i, name):
        code = one(sg(), "한글명", name)["수가코드"]
        assert code not in set(D.change()["수가코드"])
        return num(i, cur()[code]["상대가치점수"], "점")

    S["m008"] = lambda i: unchanged_score(i, "심전도검사-표준12유도")
    S["m009"] = lambda i: unchanged_score(i, "대장내시경-전대장")
    S["m010"] = lambda i: text(i, one(sb(), "한글명", "전립선증식증")["성별구분"])

    def m011(i):
        assert not any("유효기간" in c or "사용기한" in c for c in D.all_headers())
        return abstain(i, "no master file has a 유효기간 (shelf-life) column")

    S["m011"] = m011
    S["m012"] = lambda i: num(i, one(sb(), "상병기호", "N951")["하한연령"], "세")
    S["m013"] = lambda i: cand(i, list(D.atc()[D.atc()["ATC코드"] == "N02BE01"]["제품코드"]))
    S["m014"] = lambda i: blank(i, atc_row(D, "스티렌정")["ATC코드"], "ATC코드")
    S["m015"] = lambda i: cand(i, list(D.change()[D.change()["변경구분"] == "신설"]["수가코드"]))
    S["m016"] = lambda i: num(i, one(sb(), "상병기호", "P070")["상한연령"], "세")
    S["m017"] = lambda i: text(i, one(sb(), "상병기호", "J209")["영문명"])
    S["m018"] = lambda i: text(i, one(sb(), "한글명", "상세불명의 급성 기관지염")["상병기호"])
    S["m019"] = lambda i: text(i, drug(D, "아토젯")["업체명"])

    def m020(i):
        for df, col in ((D.drugs(), "제품명"), (D.atc(), "제품명"), (D.ingr(), "일반명")):
            assert not df[col].str.contains("게보린").any()
        return abstain(i, "게보린정 is in none of the master files")

    S["m020"] = m020
    S["m021"] = lambda i: num(i, drug(D, "크레스토정10")["상한금액"], "원")

    def m022(i):
        r = one(D.change(), "수가코드", "MM070")
        assert r["수가코드"] in set(sg()["수가코드"])
        assert cur()["MM070"]["상태"] == "삭제"
        return text(i, r["변경구분"])

    S["m022"] = m022
    S["m023"] = lambda i: text(i, atc_row(D, "포시가정")["ATC코드"])
    S["m024"] = lambda i: num(i, (D.drugs()["업체명"] == "한국비아트리스(유)").sum(), "개")
    S["m025"] = lambda i: text(i, drug(D, "펠루비정")["업체명"])

    def changed_name(i, code):
        assert one(D.change(), "수가코드", code)["변경구분"] == "변경"
        new = cur()[code]["한글명"]
        assert new != one(sg(), "수가코드", code)["한글명"]
        return text(i, new)

    S["m026"] = lambda i: changed_name(i, "E7611")
    S["m027"] = lambda i: text(i, drug(D, "넥시움정40")["주성분코드"])

    def no_stat(i, word, reason):
        assert not any(word in c for c in D.all_headers())
        return abstain(i, reason)

    S["m028"] = lambda i: no_stat(i, "처방", "no file has prescription counts (처방건수)")
    S["m029"] = lambda i: text(i, atc_row(D, "로수젯")["ATC코드명"])
    S["m030"] = lambda i: num(i, (D.change()["변경구분"] == "삭제").sum(), "개")
    S["m031"] = lambda i: num(i, drug(D, "리리카캡슐75")["상한금액"], "원")
    S["m032"] = lambda i: text(i, one(sb(), "상병기호", "C53")["성별구분"])

    def m033(i):
        code = one(sg(), "한글명", "정맥내 일시주사")["수가코드"]
        assert cur()[code]["한글명"] == "정맥내 일시주사"
        return text(i, code)

    S["m033"] = m033
    S["m034"] = lambda i: num(i, (D.atc()["ATC코드"] == "").sum(), "개")

    def m035(i):
        assert one(D.change(), "수가코드", "KK020")["변경구분"] == "변경"
        return num(i, cur()["KK020"]["상대가치점수"], "점")

    S["m035"] = m035
    S["m036"] = lambda i: blank(i, drug(D, "케펜텍플라스타")["단위"], "단위")
    S["m037"] = lambda i: no_stat(i, "매출", "no file has sales (매출) figures")

    def m038(i):
        r = one(D.ingr(), "일반명코드", "136901ATB")
        assert r["단위"] == "mg"
        return num(i, r["함량"], "mg")

    S["m038"] = m038

    def m039(i):
        df = D.ingr()
        r = df[(df["일반명"] == "metformin hydrochloride") & (df["제형"] == "정제") & (df["함량"] == "500")]
        assert len(r) == 1 and r.iloc[0]["단위"] == "mg"
        return text(i, r.iloc[0]["일반명코드"])

    S["m039"] = m039
    S["m040"] = lambda i: cand(i, list(D.change()[D.change()["변경구분"] == "변경"]["수가코드"]))
    S["m041"] = lambda i: text(i, drug(D, "란투스주솔로스타")["업체명"])
    S["m042"] = lambda i: num(i, (D.atc()["ATC코드"] == "C10AA05").sum(), "개")

    def m043(i):
        dates = {m.group(1) for p in D.root.iterdir() if (m := re.match(r"수가변경_(\d{8})", p.name))}
        assert not any(d.startswith("202509") for d in dates), dates
        assert not D.change()["적용일자"].str.startswith("202509").any()
        return abstain(i, "no change file covers September 2025 (the only one is 수가변경_20250801)")

    S["m043"] = m043

    def m044(i):
        assert "HA441" not in set(D.change()["수가코드"])
        return text(i, one(sg(), "수가코드", "HA441")["한글명"])

    S["m044"] = m044

    def m045(i):
        r = one(D.change(), "수가코드", "EZ871")
        assert r["변경구분"] == "신설"
        return num(i, cur()["EZ871"]["상대가치점수"], "점")

    S["m045"] = m045
    S["m046"] = lambda i: blank(i, one(sb(), "상병기호", "C50")["성별구분"], "성별구분")
    S["m047"] = lambda i: num(i, (sb()["성별구분"] == "여").sum(), "개")
    S["m048"] = lambda i: no_stat(i, "보관", "no master file has a storage (보관방법) column")

    def m049(i):
        assert "Q2860" not in set(D.change()["수가코드"])
        return text(i, one(sg(), "수가코드", "Q2860")["영문명"])

    S["m049"] = m049
    S["m050"] = lambda i: text(i, one(sb(), "한글명", "상세불명의 무릎관절증")["상병기호"])
    return S


def main():
    data = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_DATA
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else DEFAULT_OUT
    D = Data(data)
    S = build(D)
    ids = [f"m{n:03d}" for n in range(1, 51)]
    assert sorted(S) == ids
    with open(out, "w", encoding="utf-8") as f:
        for i in ids:
            f.write(json.dumps(S[i](i), ensure_ascii=False) + "\n")
    print(f"wrote {len(ids)} answers to {out}")


if __name__ == "__main__":
    main()
