"""Reference answers for natural_final_p (part F_p).

Usage: python reference_f_p.py [DATA_DIR] OUT_PATH
  The portal fixtures are read from <repo>/tests/fixtures/portal (found from this file's path) and the
  KCD master from <work>/shared/data/code_masters. DATA_DIR is accepted for symmetry with
  reference_f_s.py; if it holds code_masters/ and the default master path is missing, it is used instead.

Every expected value is computed from the raw cells; nothing is typed in.
Standard library + xlrd + openpyxl only.
"""

import csv
import json
import sys
from pathlib import Path

import openpyxl
import xlrd

HERE = Path(__file__).resolve()
PORTAL = HERE.parents[2] / "tests" / "fixtures" / "portal"
MASTER = HERE.parents[3] / "shared" / "data" / "code_masters" / "kcd9_koicd_masterfile_20250701.xlsx"
args = sys.argv[1:]
OUT = Path(args[-1])
if not MASTER.exists() and len(args) >= 2:
    MASTER = Path(args[0]) / "code_masters" / MASTER.name


def num(x):
    """Portal numbers are text with thousands separators; '-' means no claims (None here)."""
    if x is None:
        return None
    if isinstance(x, (int, float)):
        return float(x)
    s = str(x).strip().replace(",", "")
    if s in ("", "-"):
        return None
    return float(s)


# ---------- monthly OLAP exports (.xls, BIFF) ----------
def read_monthly(name):
    """Return {(labels tuple): {(month 'YYYY년 MM월', measure): value}}."""
    sh = xlrd.open_workbook(str(PORTAL / name)).sheet_by_index(0)
    top = sh.row_values(0)
    head = sh.row_values(1)
    n_lab = top.index("진료년월") + 1  # '진료년월' sits over the last label column
    out = {}
    for i in range(2, sh.nrows):
        row = sh.row_values(i)
        key = tuple(str(c).strip() for c in row[:n_lab])
        cells = {}
        for j in range(n_lab, sh.ncols):
            cells[(str(top[j]).strip(), str(head[j]).strip())] = num(row[j])
        out[key] = cells
    return out


AGE = read_monthly("1_3단질병성별연령5세구간별현황(진료년월).xls")
IO = read_monthly("1_3단질병성별입원외래별현황(진료년월).xls")
GRP = read_monthly("1_3단질병요양기관그룹별현황(진료년월).xls")
LOC = read_monthly("1_3단질병요양기관소재지별현황(진료년월) .xls")
MONTHS = [f"2018년 {m:02d}월" for m in range(1, 13)]


def mval(table, key, month, measure):
    v = table[key][(month, measure)]
    assert v is not None, (key, month, measure)
    return v


def msum(table, key, months, measure):
    return sum(mval(table, key, m, measure) for m in months)


# ---------- 다빈도 상병 순위 CSVs (CP949; title row, unit row, then header) ----------
def read_rank(name):
    with open(PORTAL / name, encoding="cp949", newline="") as f:
        rows = list(csv.reader(f))
    hi = next(i for i, r in enumerate(rows) if r and r[0].strip() == "순위")
    head = [h.strip() for h in rows[hi]]
    data = []
    for r in rows[hi + 1 :]:
        if not r or not r[0].strip():
            continue
        d = {"rank": int(r[0]), "code": r[1].strip(), "name": r[2].strip()}
        for h, v in zip(head[3:], r[3:], strict=False):
            d[int(h.rstrip("년"))] = num(v)
        data.append(d)
    return data


OUTP = read_rank("다빈도 상병 순위_외래_환자수.csv")
INP = read_rank("다빈도 상병 순위_입원_환자수.csv")


def rank_row(data, code):
    return next(d for d in data if d["code"] == code)


# ---------- 질병 소분류 심사년도 CSV (UTF-8 BOM; year row over measure row) ----------
with open(PORTAL / "질병 소분류(3단 상병) 통계_심사년도.csv", encoding="utf-8-sig", newline="") as f:
    rows = list(csv.reader(f))
years_row, meas_row = rows[0], rows[1]
col_year = []
cur = None
for c in years_row:
    c = c.strip()
    if c.isdigit():
        cur = int(c)
    col_year.append(cur)
SY = {}
for r in rows[2:]:
    if not r or not r[0].strip():
        continue
    code = r[0].strip()
    for j in range(2, len(r)):
        SY[(code, col_year[j], meas_row[j].strip())] = num(r[j])
SY_CODES = [r[0].strip() for r in rows[2:] if r and r[0].strip()]

# ---------- I21 심사년도별 입원외래별 xlsx (merged 3-row header) ----------
wb = openpyxl.load_workbook(PORTAL / "질병 소분류(3단 상병) 통계_I21_심사년도별 입원외래별.xlsx")
ws = wb.worksheets[0]
grid = [list(r) for r in ws.iter_rows(values_only=True)]
unit_line = grid[1][0]
assert "천원" in unit_line
hr = next(i for i, r in enumerate(grid) if r[0] == "심사년도")
year_of, io_of = {}, {}
y = io = None
for j in range(2, len(grid[hr])):
    if grid[hr][j] is not None:
        y = int(str(grid[hr][j]))
    if grid[hr + 1][j] is not None:
        io = grid[hr + 1][j]
    year_of[j], io_of[j] = y, io
measures = grid[hr + 2]
X21 = {}
for r in grid[hr + 3 :]:
    if r[0] is None or str(r[0]).startswith(("※", "자료")):
        continue
    for j in range(2, len(r)):
        X21[(r[0], r[1], year_of[j], io_of[j], measures[j])] = num(r[j])

# ---------- 행위 급여 목록 변경내역 ----------
wb = openpyxl.load_workbook(PORTAL / "건강보험 행위 급여 목록 변경내역(2024.1.1. 시행).xlsx")
CHG = {}
for ws in wb.worksheets:
    grid = [list(r) for r in ws.iter_rows(values_only=True)]
    hr = next(i for i, r in enumerate(grid) if r[0] == "분류번호")
    head = grid[hr]
    CHG[ws.title] = [dict(zip(head, r, strict=False)) for r in grid[hr + 1 :] if r[1]]

# ---------- KCD master ----------
wb = openpyxl.load_workbook(MASTER, read_only=True)
ws = wb["KCD-8 DB Masterfile"]
KCD3 = {}
for row in ws.iter_rows(min_row=4, max_row=60000, values_only=True):
    if row[1] == "소" and row[2]:
        KCD3[str(row[2]).strip()] = (row[5], row[6])
wb.close()


# ---------- answer builders ----------
def number(v, unit, alt=None):
    out = {"answerable": True, "kind": "number", "value": float(v), "unit": unit}
    if alt:
        out["alt_values"] = [float(a) for a in alt]
    return out


def amount(v, stated):
    """Portal amounts are 천원. The xlsx says so; the .xls/.csv exports do not (unit left unstated)."""
    unit = "천원" if stated else "천원(파일에 단위 표기 없음; 포털 기준)"
    return number(v, unit, [v * 1000])


def pct_change(new, old):
    v = (new / old - 1) * 100
    return number(v, "%", [abs(v)] if v < 0 else None)


def ranking(names):
    return {"answerable": True, "kind": "ranking", "names": list(names)}


def text(t):
    return {"answerable": True, "kind": "text", "text": t}


def cands(codes):
    return {"answerable": True, "kind": "candidates", "codes": list(codes)}


ABSTAIN = {"answerable": False, "kind": "abstain"}
A = {}
M03 = "2018년 03월"

# --- chain: 성별 입원외래 (2018-03)
A["fp001"] = number(mval(IO, ("I21", "남", "입원"), M03, "환자수"), "명")
A["fp002"] = number(mval(IO, ("I21", "여", "입원"), M03, "환자수"), "명")
A["fp003"] = amount(
    mval(IO, ("I21", "남", "입원"), M03, "요양급여비용총액")
    + mval(IO, ("I21", "여", "입원"), M03, "요양급여비용총액"),
    False,
)

# --- chain: 소재지 서울/부산 상반기 청구건수
H1 = MONTHS[:6]
seoul = msum(LOC, ("I21", "서울"), H1, "청구건수")
busan = msum(LOC, ("I21", "부산"), H1, "청구건수")
A["fp004"] = number(seoul, "건")
A["fp005"] = number(busan, "건")
A["fp006"] = number(seoul / busan, "배")

# --- chain: 요양기관그룹, 2018 연간 진료비
groups = [k[1] for k in GRP if k[1] != "계"]
g_year = {g: msum(GRP, ("I21", g), MONTHS, "요양급여비용총액") for g in groups}
g_all = msum(GRP, ("I21", "계"), MONTHS, "요양급여비용총액")
assert abs(sum(g_year.values()) - g_all) < 0.5
A["fp007"] = amount(g_year["상급종합병원"], False)
A["fp008"] = number(g_year["상급종합병원"] / g_all * 100, "%")
A["fp009"] = ranking(sorted(groups, key=lambda g: -g_year[g]))

# --- chain: 외래 다빈도 1위 (2022 기준), 2013 value, change
top = min(OUTP, key=lambda d: d["rank"])
assert top["code"] == "J20"
A["fp010"] = text("기관지염")
A["fp011"] = number(top[2013], "명")
A["fp012"] = pct_change(top[2022], top[2013])

# --- chain: I21 xlsx, 2022 남 60~69세 입원 진료비; 2021 vs 2022; 70대 absent
v22 = X21[("남", "60~69세", 2022, "입원", "요양급여비용총액")]
v21 = X21[("남", "60~69세", 2021, "입원", "요양급여비용총액")]
A["fp013"] = amount(v22, True)
A["fp014"] = pct_change(v22, v21)
assert not any(k[1].startswith("70") for k in X21)
A["fp015"] = ABSTAIN

# --- chain: 행위 신설
new = CHG["신설"]
A["fp016"] = number(len(new), "개")
best = max(new, key=lambda r: r["상대가치점수"])
assert "죽종절제술" in best["한글명"]
A["fp017"] = text("죽종절제술")

# --- 의원 초진진찰료 점수 변화
aa = next(r for r in CHG["변경"] if r["한글명"] == "의원 초진진찰료")
A["fp018"] = number(round(aa["변경후 상대가치점수"] - aa["변경전 상대가치점수"], 2), "점")

# --- 삭제 코드 (file order)
A["fp019"] = ranking([r["코드"] for r in CHG["삭제"]])

# --- 심사년도 CSV
A["fp020"] = number(SY[("I63", 2020, "환자수")], "명")
A["fp021"] = pct_change(SY[("I20", 2021, "요양급여비용총액")], SY[("I20", 2019, "요양급여비용총액")])
d21 = {c: SY[(c, 2021, "내원일수")] for c in SY_CODES}
A["fp022"] = ranking(sorted(d21, key=lambda c: -d21[c])[:3])
A["fp023"] = number(SY[("I61", 2021, "내원일수")] / SY[("I61", 2021, "환자수")], "일")

# --- 다빈도 외래 2013 top 5
A["fp024"] = ranking([d["code"] for d in sorted(OUTP, key=lambda d: -(d[2013] or 0))[:5]])

# --- U07 first year with a figure (외래)
u07 = rank_row(OUTP, "U07")
A["fp025"] = text(str(min(y for y in range(2013, 2023) if u07[y] is not None)))

# --- F32 입원: year with the fewest patients
f32 = rank_row(INP, "F32")
A["fp026"] = text(str(min(range(2013, 2023), key=lambda y: f32[y])))

# --- M17 2022 외래 / 입원 환자수
A["fp027"] = number(rank_row(OUTP, "M17")[2022] / rank_row(INP, "M17")[2022], "배")

# --- 연령 5세: 남 60_64세 1분기 청구건수; 여 80세이상 6월 진료비
A["fp028"] = number(msum(AGE, ("I21", "남", "60_64세"), MONTHS[:3], "청구건수"), "건")
A["fp029"] = amount(mval(AGE, ("I21", "여", "80세이상"), "2018년 06월", "요양급여비용총액"), False)

# --- 남 입원 12월 보험자부담 비율
M12 = "2018년 12월"
A["fp030"] = number(
    mval(IO, ("I21", "남", "입원"), M12, "보험자부담금")
    / mval(IO, ("I21", "남", "입원"), M12, "요양급여비용총액")
    * 100,
    "%",
)

# --- 소재지: 12월 진료비 top 3; 연간 청구건수 꼴찌; 3월 서울·경기 제외 합
sidos = [k[1] for k in LOC if k[1] != "계"]
dec = {s: mval(LOC, ("I21", s), M12, "요양급여비용총액") for s in sidos}
A["fp031"] = ranking(sorted(sidos, key=lambda s: -dec[s])[:3])
yr_cl = {s: msum(LOC, ("I21", s), MONTHS, "청구건수") for s in sidos}
A["fp032"] = text(min(sidos, key=lambda s: yr_cl[s]))
A["fp033"] = amount(
    sum(mval(LOC, ("I21", s), M03, "요양급여비용총액") for s in sidos if s not in ("서울", "경기")), False
)

# --- I21 xlsx 2022 여 외래 40대 + 60대 내원일수
A["fp034"] = number(
    X21[("여", "40~49세", 2022, "외래", "내원일수")] + X21[("여", "60~69세", 2022, "외래", "내원일수")], "일"
)

# --- master: I21 English name
assert "myocardial infarction" in KCD3["I21"][1].lower()
A["fp035"] = text("myocardial infarction")

# --- candidates
mi = [c for c in SY_CODES if "심근경색" in (KCD3.get(c, ("",))[0] or "")]
assert mi == ["I21", "I22"], mi
A["fp036"] = cands(mi)
assert rank_row(OUTP, "I10")[2015] and rank_row(INP, "I10")[2015]
A["fp037"] = cands(["입원", "외래"])
bleed = [
    c for c in SY_CODES if KCD3[c][0].endswith("출혈")
]  # I60 지주막하출혈, I61 뇌내출혈 (I64 only mentions 출혈)
assert bleed == ["I60", "I61"], bleed
A["fp038"] = cands(bleed)

# --- unanswerable
for i in range(39, 51):
    A[f"fp{i:03d}"] = ABSTAIN

ids = [f"fp{i:03d}" for i in range(1, 51)]
assert set(A) == set(ids)
with open(OUT, "w", encoding="utf-8") as f:
    for i in ids:
        f.write(json.dumps({"id": i, **A[i]}, ensure_ascii=False) + "\n")
print(f"wrote {len(ids)} lines to {OUT}")
