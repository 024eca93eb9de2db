"""Reference answers for natural_final_s (part F_s).

Usage: python reference_f_s.py DATA_DIR OUT_PATH
  DATA_DIR holds hira_real/ and code_masters/ (e.g. /work/shared/data).

Every expected value is computed here from the raw cells of the files; nothing is typed in.
Standard library + pandas + openpyxl only.
"""

import csv
import itertools
import json
import sys
from pathlib import Path

import openpyxl

DATA = Path(sys.argv[1])
OUT = Path(sys.argv[2])
REAL = DATA / "hira_real"
MASTER = DATA / "code_masters" / "kcd9_koicd_masterfile_20250701.xlsx"


def num(s):
    s = (s or "").strip().replace(",", "")
    return float(s) if s else 0.0


def read_csv(path, encoding):
    with open(path, encoding=encoding, newline="") as f:
        rows = list(csv.DictReader(f))
    return [{k.strip(): v for k, v in r.items()} for r in rows]


# ---------- file 2: 병원급이상 진료과목별 3단상병 2023 ----------
DEPT = []
for r in read_csv(REAL / "hira_kcd3_by_dept_hospital_level_2023.csv", "utf-8"):
    DEPT.append(
        {
            "dept": r["진료과목"].strip(),
            "code": r["주상병코드"].strip(),
            "pt": num(r["환자수"]),
            "cl": num(r["명세서청구건수"]),
            "days": num(r["입내원일수"]),
            "ins": num(r["보험자부담금(선별포함)"]),
            "tot": num(r["요양급여비용총액(선별포함)"]),
        }
    )

# ---------- file 3: 3단상병 성별 입원외래 2023 ----------
SEX = []
for r in read_csv(REAL / "hira_kcd3_by_sex_inout_2023.csv", "utf-8"):
    SEX.append(
        {
            "code": r["주상병코드"].strip(),
            "sex": r["성별"].strip(),
            "io": r["입원외래구분"].strip(),
            "pt": num(r["환자수"]),
            "cl": num(r["명세서청구건수"]),
            "days": num(r["입내원일수"]),
            "ins": num(r["보험자부담금(선별포함)"]),
            "tot": num(r["요양급여비용총액(선별포함)"]),
        }
    )

# ---------- file 4: 진료과목별 시도별 진료비 (CP949), 2013-2017, 2019 ----------
COST = {}
for y in (2013, 2014, 2015, 2016, 2017, 2019):
    rows = []
    for r in read_csv(REAL / f"hira_dept_by_sido_cost_hospital_level_{y}.csv", "cp949"):
        rows.append(
            {
                "sido": r["시도"].strip(),
                "dept": r["진료과목"].strip(),
                "pt": num(r["환자수"]),
                "cl": num(r["명세서 청구건수"]),
                "tot": num(r["요양급여비용총액"]),
                "ins": num(r["보험자부담금"]),
                "days": num(r["입내원일수"]) if "입내원일수" in r else None,
            }
        )
    COST[y] = rows

# ---------- file 5: 요양기관 현황 2024Q4 ----------
wb = openpyxl.load_workbook(REAL / "hira_yoyang_institutions_by_region_type_2024Q4.xlsx", read_only=True)
ws = wb.worksheets[0]
INST_HEADER = None
INST = []
for row in ws.iter_rows(max_row=400, values_only=True):
    if INST_HEADER is None:
        if row and row[0] == "시도":
            INST_HEADER = [str(c).strip() for c in row]
        continue
    if row[0] is None:
        continue
    INST.append({h: (v if v is not None else 0) for h, v in zip(INST_HEADER, row, strict=False)})
wb.close()

# ---------- KCD master: 3-character codes ----------
wb = openpyxl.load_workbook(MASTER, read_only=True)
ws = wb["KCD-8 DB Masterfile"]
KCD3 = {}
for row in ws.iter_rows(min_row=4, max_row=60000, values_only=True):
    if row[1] == "소" and row[2]:
        KCD3[str(row[2]).strip()] = (row[5], row[6])
wb.close()


# ---------- helpers ----------
def s_sum(field, **kw):
    return sum(r[field] for r in SEX if all(r[k] == v for k, v in kw.items()))


def d_rows(**kw):
    return [r for r in DEPT if all(r[k] == v for k, v in kw.items())]


def c_rows(y, **kw):
    return [r for r in COST[y] if all(r[k] == v for k, v in kw.items())]


def c_one(y, field, **kw):
    rows = c_rows(y, **kw)
    assert len(rows) == 1, (y, kw, rows)
    return rows[0][field]


def inst_prov(prefix):
    return [r for r in INST if str(r["시도"]).startswith(prefix)]


def number(v, unit, alt=None):
    out = {"answerable": True, "kind": "number", "value": float(v), "unit": unit}
    if alt is not None:
        out["alt_values"] = [float(a) for a in alt]
    return out


def ranking(names):
    return {"answerable": True, "kind": "ranking", "names": list(names)}


def text(t):
    return {"answerable": True, "kind": "text", "text": t}


def cands(codes):
    return {"answerable": True, "kind": "candidates", "codes": list(codes)}


ABSTAIN = {"answerable": False, "kind": "abstain"}

A = {}

# --- chain: J20 입원 by sex (file 3)
A["fs001"] = number(s_sum("pt", code="J20", sex="여", io="입원"), "명")
A["fs002"] = number(s_sum("pt", code="J20", sex="남", io="입원"), "명")
A["fs003"] = number(s_sum("tot", code="J20", io="입원"), "원")

# --- chain: 정형외과 top codes by 진료비 (file 2)
ortho = sorted(d_rows(dept="정형외과"), key=lambda r: -r["tot"])
A["fs004"] = ranking([r["code"] for r in ortho[:3]])
top_code = ortho[0]["code"]
A["fs005"] = text(KCD3[top_code][0])  # 무릎관절증
A["fs006"] = number(ortho[0]["tot"] / ortho[0]["pt"], "원")

# --- chain: 서울 내과 (file 4)
seoul19 = c_one(2019, "tot", sido="서울", dept="내과")
seoul13 = c_one(2013, "tot", sido="서울", dept="내과")
A["fs007"] = number(seoul19, "원")
A["fs008"] = number((seoul19 / seoul13 - 1) * 100, "%")
A["fs009"] = ABSTAIN  # no 2018 file

# --- chain: 강원 institutions (file 5; the file still writes the legacy name 강원도)
gw = inst_prov("강원도")
A["fs010"] = number(sum(r["약국"] for r in gw), "개소")
A["fs011"] = number(sum(r["한의원"] for r in gw), "개소")
# 시군구 with most 한의원: 강원 has no 구 split, so row level and 시 level agree
best_row = max(gw, key=lambda r: r["한의원"])
assert best_row["시군구"] == "원주시", best_row
assert sorted(gw, key=lambda r: -r["한의원"])[1]["한의원"] < best_row["한의원"]
A["fs012"] = text("원주")

# --- compare 2015 부산 vs 대구 정형외과 청구건수
b = c_one(2015, "cl", sido="부산", dept="정형외과")
d = c_one(2015, "cl", sido="대구", dept="정형외과")
assert b > d
A["fs013"] = number(b - d, "건")

# --- share of 서울 in 2016 전체 진료비
tot16 = sum(r["tot"] for r in COST[2016])
A["fs014"] = number(sum(r["tot"] for r in c_rows(2016, sido="서울")) / tot16 * 100, "%")

# --- 2019 서울 / 세종
A["fs015"] = number(
    sum(r["tot"] for r in c_rows(2019, sido="서울")) / sum(r["tot"] for r in c_rows(2019, sido="세종")), "배"
)

# --- 2017 전남 보험자부담률
jn = c_rows(2017, sido="전남")
A["fs016"] = number(sum(r["ins"] for r in jn) / sum(r["tot"] for r in jn) * 100, "%")

# --- 2015 울산 산부인과 본인부담금 = 총액 - 보험자부담금
A["fs017"] = number(
    c_one(2015, "tot", sido="울산", dept="산부인과") - c_one(2015, "ins", sido="울산", dept="산부인과"), "원"
)

# --- chain: 2019 강원 재활의학과 입내원일수, then 2016 (column absent)
A["fs018"] = number(c_one(2019, "days", sido="강원", dept="재활의학과"), "일")
assert all(r["days"] is None for r in COST[2016])
A["fs019"] = ABSTAIN

# --- 2014~2016 경기 소아청소년과 진료비 합
A["fs020"] = number(sum(c_one(y, "tot", sido="경기", dept="소아청소년과") for y in (2014, 2015, 2016)), "원")

# --- 제주 안과 청구건수 2013-2019: the one year that fell against the year before it (2018 absent)
years = sorted(COST)
jeju = {y: c_one(y, "cl", sido="제주", dept="안과") for y in years}
drops = [y for a, y in itertools.pairwise(years) if jeju[y] < jeju[a]]
assert len(drops) == 1, jeju
A["fs021"] = text(str(drops[0]))

# --- 2017 내과 진료비 lowest 시도
im17 = sorted(c_rows(2017, dept="내과"), key=lambda r: r["tot"])
A["fs022"] = text(im17[0]["sido"])

# --- 2019 전체 진료비 excluding 약국
A["fs023"] = number(sum(r["tot"] for r in COST[2019] if r["dept"] != "약국"), "원")

# --- 2013 진료과목 top 5 by 진료비 (all 시도 summed)
agg = {}
for r in COST[2013]:
    agg[r["dept"]] = agg.get(r["dept"], 0) + r["tot"]
A["fs024"] = ranking(sorted(agg, key=lambda k: -agg[k])[:5])

# --- 2019 비뇨의학과 진료비 시도 top 5
uro = sorted(c_rows(2019, dept="비뇨의학과"), key=lambda r: -r["tot"])
A["fs025"] = ranking([r["sido"] for r in uro[:5]])

# --- 2023 응급의학과 top code by 환자수
er = sorted(d_rows(dept="응급의학과"), key=lambda r: -r["pt"])
A["fs026"] = text(er[0]["code"])

# --- J20 진료과목 top 5 by 진료비
j20 = sorted(d_rows(code="J20"), key=lambda r: -r["tot"])
A["fs027"] = ranking([r["dept"] for r in j20[:5]])

# --- 마취통증의학과 M54 건당 진료비
m54 = d_rows(dept="마취통증의학과", code="M54")[0]
A["fs028"] = number(m54["tot"] / m54["cl"], "원")

# --- 소아청소년과 진료비 중 J20 비중
ped = d_rows(dept="소아청소년과")
A["fs029"] = number(d_rows(dept="소아청소년과", code="J20")[0]["tot"] / sum(r["tot"] for r in ped) * 100, "%")

# --- F00 입원 / 외래 진료비 (남녀 합)
A["fs030"] = number(s_sum("tot", code="F00", io="입원") / s_sum("tot", code="F00", io="외래"), "배")

# --- E11 여 외래 환자수
A["fs031"] = number(s_sum("pt", code="E11", sex="여", io="외래"), "명")

# --- M17 입원 진료비 남녀 합
A["fs032"] = number(s_sum("tot", code="M17", io="입원"), "원")

# --- G20 (Parkinson's disease) 진료비 입원+외래, 남녀 합
assert "Parkinson" in KCD3["G20"][1]
A["fs033"] = number(s_sum("tot", code="G20"), "원")

# --- B02 외래 환자 여 - 남
bf, bm = s_sum("pt", code="B02", sex="여", io="외래"), s_sum("pt", code="B02", sex="남", io="외래")
assert bf > bm
A["fs034"] = number(bf - bm, "명")

# --- names / codes from the KCD master
assert KCD3["K21"][0] == "위-식도역류병"
A["fs035"] = text("역류")
zoster = [c for c, (ko, en) in KCD3.items() if ko == "대상포진"]
assert zoster == ["B02"], zoster
A["fs036"] = text(zoster[0])

# --- candidates (question back)
goseong = sorted({str(r["시도"]).split()[0] for r in INST if r["시군구"] == "고성군"})
assert goseong == ["강원도", "경상남도"], goseong
A["fs037"] = cands(["강원", "경남"])
gwangju = [r for r in INST if str(r["시도"]).startswith("광주광역시") or r["시군구"] == "광주시"]
assert len(gwangju) == 2, gwangju
A["fs038"] = cands(["광주", "경기"])
diab = sorted({r["code"] for r in SEX if r["code"] in KCD3 and KCD3[r["code"]][0].endswith("형 당뇨병")})
assert diab == ["E10", "E11"], diab
A["fs039"] = cands(diab)

# --- unanswerable
for i in range(40, 51):
    A[f"fs{i:03d}"] = ABSTAIN

ids = [f"fs{i:03d}" for i in range(1, 51)]
assert set(A) == set(ids)
with open(OUT, "w", encoding="utf-8") as f:
    for i in ids:
        f.write(json.dumps({"id": i, **A[i]}, ensure_ascii=False) + "\n")
print(f"wrote {len(ids)} lines to {OUT}")
