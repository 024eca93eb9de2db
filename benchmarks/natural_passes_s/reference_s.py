#!/usr/bin/env python3
"""Reference answers for questions_s.jsonl (natural_passes_s).

Usage:  python reference_s.py DATA_DIR OUT_PATH
        DATA_DIR holds hira_real/ and code_masters/ (e.g. /work/shared/data).

Every expected figure is computed here from the raw cells of the HIRA files
(no figure is typed in by hand).  Only the standard library, openpyxl and
pandas are used; nothing from the chatbot is imported.

Output: one JSON line per question id (s001..s150):
  number     {"id","answerable":true,"kind":"number","value":float,"unit":...}
  ranking    {"id","answerable":true,"kind":"ranking","names":[...]}
  text       {"id","answerable":true,"kind":"text","text":"..."}
  candidates {"id","answerable":true,"kind":"candidates","codes":[...]}
  abstain    {"id","answerable":false,"kind":"abstain"}
"""

import json
import os
import re
import sys

import openpyxl
import pandas as pd

DATA = sys.argv[1]
OUT = sys.argv[2]
REAL = os.path.join(DATA, "hira_real")
MASTER = os.path.join(DATA, "code_masters", "kcd9_koicd_masterfile_20250701.xlsx")

COST_YEARS = [2013, 2014, 2015, 2016, 2017, 2019]


# --------------------------------------------------------------------------- loading
def _norm_col(c):
    """Match columns by name: drop spaces and the '(선별포함)' suffix."""
    return re.sub(r"\s+", "", str(c)).replace("(선별포함)", "")


def _read_csv(path):
    for enc in ("utf-8-sig", "cp949"):
        try:
            df = pd.read_csv(path, dtype=str, encoding=enc)
            break
        except UnicodeDecodeError:
            continue
    df.columns = [_norm_col(c) for c in df.columns]
    for c in df.columns:
        df[c] = df[c].str.strip()
    for c in ("환자수", "명세서청구건수", "입내원일수", "보험자부담금", "요양급여비용총액"):
        if c in df.columns:
            df[c] = df[c].astype("int64")
    return df


DEPT = _read_csv(os.path.join(REAL, "hira_kcd3_by_dept_hospital_level_2023.csv"))  # 진료과목 x 3단상병
SEX = _read_csv(os.path.join(REAL, "hira_kcd3_by_sex_inout_2023.csv"))  # 3단상병 x 성별 x 입원외래
COST = {
    y: _read_csv(os.path.join(REAL, f"hira_dept_by_sido_cost_hospital_level_{y}.csv")) for y in COST_YEARS
}


def _load_institutions():
    wb = openpyxl.load_workbook(
        os.path.join(REAL, "hira_yoyang_institutions_by_region_type_2024Q4.xlsx"), read_only=True
    )
    ws = wb.worksheets[0]
    header = None
    recs = []
    for _i, row in enumerate(ws.iter_rows(values_only=True, max_row=2000)):
        if header is None:
            if row and row[0] == "시도":
                header = [str(h).strip() for h in row if h is not None]
            continue
        if row[0] is None or str(row[0]).strip() == "":
            continue
        full = str(row[0]).strip()
        parts = full.split()
        vals = {
            h: (int(v) if v not in (None, "", "-") else 0) for h, v in zip(header[2:], row[2:], strict=False)
        }
        recs.append(
            {
                "full": full,  # e.g. "경기도 수원시 장안구" or "서울특별시"
                "sido": parts[0],  # "경기도", "서울특별시"
                "district": " ".join(parts[1:]) or None,  # "수원시 장안구" / None for 광역시 계 rows
                "sgg": str(row[1]).strip(),  # "수원장안구" / "계" / "세종시"
                **vals,
            }
        )
    wb.close()
    return header[2:], recs


INST_TYPES, INST = _load_institutions()


def _load_master():
    """3-character KCD codes -> (Korean name, English name), from the 분류기준 '소' rows."""
    wb = openpyxl.load_workbook(MASTER, read_only=True)
    ws = wb["KCD-8 DB Masterfile"] if "KCD-8 DB Masterfile" in wb.sheetnames else wb.worksheets[1]
    out = {}
    blank = 0
    for i, r in enumerate(ws.iter_rows(values_only=True, max_col=11, max_row=80000)):
        if all(v is None for v in r):
            blank += 1
            if blank > 500:
                break
            continue
        blank = 0
        if i < 3:
            continue
        level, code = r[1], r[2]
        if level == "소" and code and re.fullmatch(r"[A-Z]\d\d", str(code).strip()):
            out[str(code).strip()] = (str(r[5]).strip(), str(r[6] or "").strip())
    wb.close()
    return out


KCD = _load_master()


# --------------------------------------------------------------------------- helpers
def _ns(s):
    return re.sub(r"\s+", "", s)


def code_by_name(ko):
    """Unique 3-char code whose Korean name equals ko (spaces ignored); else the unique one containing it."""
    exact = [c for c, (k, e) in KCD.items() if _ns(k) == _ns(ko)]
    if len(exact) == 1:
        return exact[0]
    part = [c for c, (k, e) in KCD.items() if _ns(ko) in _ns(k)]
    assert len(part) == 1, (ko, exact, part)
    return part[0]


def code_by_words(*words):
    """Unique 3-char code whose Korean name contains all the words."""
    hits = [c for c, (k, e) in KCD.items() if all(_ns(w) in _ns(k) for w in words)]
    assert len(hits) == 1, (words, hits)
    return hits[0]


def code_by_en(en):
    hits = [c for c, (k, e) in KCD.items() if e.lower() == en.lower()]
    assert len(hits) == 1, (en, hits)
    return hits[0]


def candidates(word, codes_present):
    """Codes present in a data slice whose master Korean name contains word (the reply must list them)."""
    return sorted(c for c in codes_present if c in KCD and _ns(word) in _ns(KCD[c][0]))


def cost(y, sido, dept, col):
    d = COST[y]
    r = d[(d["시도"] == sido) & (d["진료과목"] == dept)]
    assert len(r) == 1, (y, sido, dept, len(r))
    return int(r.iloc[0][col])


def cost_sum(y, col, sido=None, dept=None):
    d = COST[y]
    if sido is not None:
        d = d[d["시도"] == sido]
    if dept is not None:
        d = d[d["진료과목"] == dept]
    assert len(d) > 0
    return int(d[col].sum())


def sex(code, sx, io, col):
    r = SEX[(SEX["주상병코드"] == code) & (SEX["성별"] == sx) & (SEX["입원외래구분"] == io)]
    assert len(r) == 1, (code, sx, io, len(r))
    return int(r.iloc[0][col])


def sex_sum(code, col, sx=None, io=None):
    d = SEX[SEX["주상병코드"] == code]
    if sx:
        d = d[d["성별"] == sx]
    if io:
        d = d[d["입원외래구분"] == io]
    assert len(d) > 0
    return int(d[col].sum())


def dept(dp, code, col):
    r = DEPT[(DEPT["진료과목"] == dp) & (DEPT["주상병코드"] == code)]
    assert len(r) == 1, (dp, code, len(r))
    return int(r.iloc[0][col])


def top_names(series, n, ascending=False):
    s = series.sort_values(ascending=ascending)
    # guard: no tie across the cut and inside the list
    vals = list(s.values[: n + 1])
    assert len(set(vals[:n])) == n, ("tie inside", vals)
    if len(vals) > n:
        assert vals[n - 1] != vals[n], ("tie at cut", vals)
    return [str(x) for x in s.index[:n]]


def inst_rows(sido=None, district=None, sgg=None):
    rows = INST
    if sido is not None:
        rows = [r for r in rows if r["sido"] == sido]
    if district is not None:
        rows = [
            r for r in rows if r["district"] == district or (r["district"] or "").startswith(district + " ")
        ]
    if sgg is not None:
        rows = [r for r in rows if r["sgg"] == sgg]
    assert rows, (sido, district, sgg)
    return rows


def inst(col, **kw):
    return sum(r[col] for r in inst_rows(**kw))


def inst_by_sido(col):
    out = {}
    for r in INST:
        out[r["sido"]] = out.get(r["sido"], 0) + r[col]
    return pd.Series(out)


def pct_change(old, new):
    return (new - old) / old * 100.0


# --------------------------------------------------------------------------- answers
ANS = {}


def number(qid, value, unit):
    ANS[qid] = {"id": qid, "answerable": True, "kind": "number", "value": float(value), "unit": unit}


def ranking(qid, names):
    ANS[qid] = {"id": qid, "answerable": True, "kind": "ranking", "names": list(names)}


def text(qid, t):
    ANS[qid] = {"id": qid, "answerable": True, "kind": "text", "text": str(t)}


def cands(qid, codes):
    assert len(codes) >= 2, (qid, codes)
    ANS[qid] = {"id": qid, "answerable": True, "kind": "candidates", "codes": list(codes)}


def abstain(*qids):
    for qid in qids:
        assert qid not in ANS, qid
        ANS[qid] = {"id": qid, "answerable": False, "kind": "abstain"}


T, P, N, INS, DAYS = "요양급여비용총액", "환자수", "명세서청구건수", "보험자부담금", "입내원일수"

# ---- file 4: 병원급이상 진료과목별 시도별 진료비 (2013-2017, 2019)
number("s001", cost(2015, "서울", "내과", T), "원")
number("s002", cost(2015, "부산", "내과", T), "원")
number("s003", cost(2019, "부산", "내과", T), "원")
number("s004", pct_change(cost(2015, "부산", "내과", T), cost(2019, "부산", "내과", T)), "%")
number("s015", cost_sum(2019, T, dept="내과"), "원")
_s = COST[2019][COST[2019]["진료과목"] == "내과"].set_index("시도")[T]
ranking("s016", top_names(_s, 3))
ranking("s017", top_names(_s, 3, ascending=True))
number("s023", cost(2017, "제주", "소아청소년과", N), "건")
number("s031", cost(2019, "경기", "정형외과", P), "명")
number("s032", cost(2013, "경기", "정형외과", P), "명")
number("s033", pct_change(cost(2013, "경기", "정형외과", P), cost(2019, "경기", "정형외과", P)), "%")
number("s034", sum(cost(y, "서울", "안과", T) for y in (2013, 2014, 2015)), "원")
number("s042", cost(2017, "서울", "내과", INS) / cost(2017, "서울", "내과", T) * 100, "%")
number("s043", cost(2019, "대구", "정형외과", T) - cost(2019, "대구", "정형외과", INS), "원")
number("s044", cost(2019, "경남", "재활의학과", T) / cost(2019, "경남", "재활의학과", N), "원")
number("s045", cost(2019, "서울", "내과", T) / cost(2019, "서울", "내과", P), "원")
number("s047", cost(2019, "광주", "외과", DAYS), "일")
text("s052", top_names(COST[2016].groupby("진료과목")[T].sum(), 1)[0])
_s = COST[2015][COST[2015]["진료과목"] == "산부인과"].set_index("시도")[T]
text("s053", top_names(_s, 1, ascending=True)[0])
number("s054", cost(2019, "세종", "내과", T) / cost(2013, "세종", "내과", T), "배")
number("s055", cost_sum(2019, T, sido="서울") / cost_sum(2019, T) * 100, "%")
number("s063", cost(2017, "대전", "안과", T), "원")
number("s065", cost(2019, "대전", "안과", T), "원")
number("s071", abs(cost(2017, "부산", "정형외과", T) - cost(2017, "대구", "정형외과", T)), "원")
number("s072", pct_change(cost(2015, "강원", "신경외과", N), cost(2016, "강원", "신경외과", N)), "%")
number("s073", cost(2019, "충북", "약국", T), "원")
_s = COST[2014][COST[2014]["진료과목"] == "정형외과"].set_index("시도")[T]
ranking("s095", top_names(_s, len(_s)))
_s = COST[2016].groupby("시도")[T].sum()
ranking("s130", top_names(_s, 3))
text("s131", top_names(_s, 1, ascending=True)[0])
_s = pd.Series({y: cost_sum(y, T, dept="결핵과") for y in COST_YEARS})
text("s138", top_names(_s, 1, ascending=True)[0])
_s = COST[2019][COST[2019]["시도"] == "경기"].set_index("진료과목")[P]
ranking("s141", top_names(_s, 5))
number("s150", sum(cost(y, "부산", "산부인과", N) for y in (2015, 2016, 2017)), "건")

# ---- file 3: 3단상병별 성별 입원외래별 (2023)
J20 = code_by_name("급성 기관지염")
number("s005", sex(J20, "남", "입원", P), "명")
number("s006", sex(J20, "여", "입원", P), "명")
number("s007", sex(J20, "여", "외래", P), "명")
text("s008", J20)
cands(
    "s020",
    candidates("치매", set(SEX[(SEX["성별"] == "여") & (SEX["입원외래구분"] == "입원")]["주상병코드"])),
)
number("s021", sex("F03", "여", "입원", T), "원")
number("s024", sex(code_by_words("본태성", "고혈압"), "여", "외래", P), "명")
E11 = code_by_words("2형당뇨")
number("s025", sex_sum(E11, T, io="입원"), "원")
number("s026", sex_sum(code_by_en("Acute appendicitis"), N, io="입원"), "건")
cands(
    "s048",
    candidates("우울", set(SEX[(SEX["성별"] == "여") & (SEX["입원외래구분"] == "외래")]["주상병코드"])),
)
M17 = code_by_name("무릎관절증")
number("s049", sex(M17, "여", "입원", T), "원")
number("s050", sex(M17, "남", "입원", T), "원")
number("s051", sex_sum(M17, T, io="입원"), "원")
F20 = code_by_name("조현병")
text("s057", KCD["F20"][0])
number("s058", sex(F20, "남", "입원", P), "명")
number("s059", sex(code_by_en("Gastro-oesophageal reflux disease"), "여", "외래", N), "건")
number("s060", sex("U07", "여", "외래", N) / sex("U07", "남", "외래", N), "배")
N18 = code_by_name("만성 콩팥병")
number("s066", sex_sum(N18, T, io="입원") / sex_sum(N18, T) * 100, "%")
number("s067", sex(F20, "남", "입원", T) / sex(F20, "남", "입원", DAYS), "원")
_s = SEX[SEX["입원외래구분"] == "입원"].groupby("주상병코드")[T].sum()
ranking("s068", top_names(_s, 5))
_s = SEX[(SEX["성별"] == "여") & (SEX["입원외래구분"] == "외래")].set_index("주상병코드")[P]
text("s069", top_names(_s, 1)[0])
_s = SEX[(SEX["성별"] == "남") & (SEX["입원외래구분"] == "입원")].set_index("주상병코드")[P]
ranking("s070", top_names(_s, 3))
K21 = code_by_name("위-식도역류병")
number("s097", sex(K21, "여", "외래", P) - sex(K21, "남", "외래", P), "명")
cands(
    "s100",
    candidates("부비동염", set(SEX[(SEX["성별"] == "남") & (SEX["입원외래구분"] == "외래")]["주상병코드"])),
)
cands("s101", candidates("백내장", set(SEX[SEX["입원외래구분"] == "입원"]["주상병코드"])))
cands(
    "s102",
    candidates("골다공증", set(SEX[(SEX["성별"] == "여") & (SEX["입원외래구분"] == "외래")]["주상병코드"])),
)
cands(
    "s104",
    candidates("심근경색", set(SEX[(SEX["성별"] == "남") & (SEX["입원외래구분"] == "입원")]["주상병코드"])),
)
number("s126", sex("C34", "여", "입원", P), "명")
number("s128", sex(E11, "남", "외래", N), "건")
number("s129", sex(E11, "남", "외래", T) / sex(E11, "남", "외래", N), "원")
number("s134", sex(code_by_name("감기"), "남", "외래", P), "명")
number("s135", sex(code_by_en("Atopic dermatitis"), "남", "외래", T), "원")
number("s136", sex_sum(code_by_name("뇌경색증"), DAYS, io="입원"), "일")
B02 = code_by_name("대상포진")
number("s137", sex(B02, "여", "외래", T) / sex(B02, "여", "외래", N), "원")
number("s140", int(SEX[T].sum()), "원")

# ---- code master only
text("s148", KCD["U99"][0])
text("s149", code_by_name("무릎관절증"))

# ---- file 2: 병원급이상 진료과목별 3단상병 (2023)
_s = DEPT[DEPT["진료과목"] == "정신건강의학과"].set_index("주상병코드")[T]
text("s018", top_names(_s, 1)[0])
number("s019", dept("내과", J20, P), "명")
_s = DEPT[DEPT["진료과목"] == "소아청소년과"].set_index("주상병코드")[N]
ranking("s039", top_names(_s, 3))
_s = DEPT[DEPT["진료과목"] == "내과"].set_index("주상병코드")[N]
ranking("s040", top_names(_s, 3))
number("s041", dept("내과", top_names(_s, 1)[0], T), "원")
ranking("s056", top_names(DEPT.groupby("진료과목")[T].sum(), 3))
number("s087", dept("내과", E11, T) / dept("가정의학과", E11, T), "배")
number("s088", int(DEPT[DEPT["주상병코드"] == M17][T].sum()), "원")
number("s089", dept("정형외과", M17, T) / DEPT[DEPT["주상병코드"] == M17][T].sum() * 100, "%")
number("s091", dept("산부인과", code_by_name("단일자연분만"), N), "건")
number("s092", int(DEPT[DEPT["진료과목"] == "응급의학과"][T].sum()), "원")
I63 = code_by_name("뇌경색증")
number("s093", dept("재활의학과", I63, T) / dept("재활의학과", I63, P), "원")
number("s094", dept("신경과", code_by_name("알츠하이머병"), INS), "원")
_s = DEPT.groupby("진료과목").size()
number("s098", int(_s.max()), "개")
number("s099", dept("이비인후과", code_by_name("급성 부비동염"), P), "명")
cands("s103", candidates("중이염", set(DEPT[DEPT["진료과목"] == "소아청소년과"]["주상병코드"])))
I10 = code_by_words("본태성", "고혈압")
number("s132", dept("내과", I10, P), "명")
number("s133", dept("가정의학과", I10, P), "명")

# ---- file 5: 지역별 종별 요양기관수 (2024 Q4)
number("s010", inst("의원", sido="서울특별시"), "개")
number("s011", inst("의원", sido="부산광역시"), "개")
number("s012", inst("치과의원", sido="부산광역시"), "개")
number("s013", inst("한의원", sido="부산광역시"), "개")
number("s027", inst("계", sido="경기도"), "개")
number("s028", inst("약국", sido="경기도") / inst("계", sido="경기도") * 100, "%")
number("s035", inst("치과의원", sido="경기도", district="수원시 영통구"), "개")
cands("s036", [r["full"] for r in INST if r["district"] == "고성군"])
number("s037", inst("약국", sido="강원도", district="고성군"), "개")
number("s074", inst("정신병원", sido="서울특별시"), "개")
number("s075", inst("약국", sido="세종특별자치시"), "개")
number("s076", inst("한의원", sido="제주특별자치도"), "개")
number("s077", inst("보건진료소", sido="경상북도", district="울릉군"), "개")
number("s078", sum(r["상급종합병원"] for r in INST), "개")
ranking("s079", top_names(inst_by_sido("요양병원"), 3))
number("s080", inst("의원", sido="서울특별시") / inst("계", sido="서울특별시") * 100, "%")
_s = pd.Series({r["sgg"]: r["약국"] for r in inst_rows(sido="경상북도")})
text("s081", top_names(_s, 1)[0])
number("s082", inst("의원", sido="충청북도", district="청주시"), "개")
_seoul = inst_rows(sido="서울특별시")[0]
_s = pd.Series({t: _seoul[t] for t in INST_TYPES if t != "계" and _seoul[t] > 0})
ranking("s142", top_names(_s, len(_s)))
number("s143", inst("의원", sido="전라북도", district="전주시"), "개")
number("s144", inst("한의원", sido="강원도", district="원주시"), "개")
number("s145", sum(r["조산원"] for r in INST), "개")
number("s147", inst("한의원", sido="경기도", district="성남시 분당구"), "개")

# ---- unanswerable (reasons in questions_s.jsonl "intent")
abstain(
    "s009",
    "s014",
    "s022",
    "s029",
    "s030",
    "s038",
    "s046",
    "s061",
    "s062",
    "s064",
    "s083",
    "s084",
    "s085",
    "s086",
    "s090",
    "s105",
    "s106",
    "s107",
    "s108",
    "s109",
    "s110",
    "s111",
    "s112",
    "s113",
    "s114",
    "s115",
    "s116",
    "s117",
    "s118",
    "s119",
    "s120",
    "s121",
    "s122",
    "s123",
    "s124",
    "s125",
    "s127",
    "s096",
    "s139",
    "s146",
)

# consistency checks on the sources used above
assert "U18" not in KCD  # s117: U18 carries no name in the KCD-9 master
assert all("입내원일수" not in COST[y].columns for y in (2013, 2014, 2015, 2016, 2017))  # s046
assert 2018 not in COST  # s009, s064

ids = [f"s{i:03d}" for i in range(1, 151)]
missing = [i for i in ids if i not in ANS]
extra = [i for i in ANS if i not in ids]
assert not missing and not extra, (missing, extra)
with open(OUT, "w", encoding="utf-8") as f:
    for i in ids:
        f.write(json.dumps(ANS[i], ensure_ascii=False) + "\n")
print(f"wrote {len(ids)} lines to {OUT}")
