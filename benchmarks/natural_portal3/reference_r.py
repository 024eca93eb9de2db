"""Reference answers for benchmarks/natural_portal3/questions_r.jsonl.

Usage: python reference_r.py DATA_DIR OUT_PATH
DATA_DIR is ignored: the fixture files are read from tests/fixtures/portal of this repository.
Plain csv / xlrd / openpyxl only (no hirachat import).
"""

import csv
import io
import json
import re
import sys
from pathlib import Path

import openpyxl
import xlrd

P = str(Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "portal") + "/"
F_AGE = P + "1_3단질병성별연령5세구간별현황(진료년월).xls"
F_IO = P + "1_3단질병성별입원외래별현황(진료년월).xls"
F_GRP = P + "1_3단질병요양기관그룹별현황(진료년월).xls"
F_REG = P + "1_3단질병요양기관소재지별현황(진료년월) .xls"
F_OUT = P + "다빈도 상병 순위_외래_환자수.csv"
F_IN = P + "다빈도 상병 순위_입원_환자수.csv"
F_YR = P + "질병 소분류(3단 상병) 통계_심사년도.csv"
F_I21 = P + "질병 소분류(3단 상병) 통계_I21_심사년도별 입원외래별.xlsx"
F_FEE = P + "건강보험 행위 급여 목록 변경내역(2024.1.1. 시행).xlsx"


def read_text(path, encoding):
    with open(path, "rb") as f:
        return f.read().decode(encoding)


def num(s):
    """Text cell -> float; '-' or blank -> None."""
    if s is None:
        return None
    if isinstance(s, (int, float)):
        return float(s)
    s = str(s).strip().replace(",", "")
    if s in ("", "-"):
        return None
    return float(s)


def monthly(path):
    """{(dim1, dim2) or (dim1,): {(YYYY-MM, measure): value}} for the OLAP Timesheet .xls."""
    sh = xlrd.open_workbook(path).sheet_by_index(0)
    r0, r1 = sh.row_values(0), sh.row_values(1)
    first = next(i for i, v in enumerate(r0) if re.match(r"\d{4}년 \d{2}월", str(v)))
    nlab = first  # label columns: 코드 + dims
    out = {}
    for r in range(2, sh.nrows):
        row = sh.row_values(r)
        key = tuple(str(x).strip() for x in row[1:nlab])
        d = {}
        for c in range(first, sh.ncols):
            m = re.match(r"(\d{4})년 (\d{2})월", r0[c])
            d[(f"{m.group(1)}-{m.group(2)}", r1[c].strip())] = num(row[c])
        out[key] = d
    return out


def dabindo(path):
    """{code: {'rank': int, 'name': str, 'years': {2013: v, ...}}} from the CP949 ranking CSV."""
    rows = list(csv.reader(io.StringIO(read_text(path, "cp949"))))
    hdr = rows[2]
    out = {}
    for row in rows[3:]:
        if not row or not row[0].strip():
            continue
        years = {int(h.rstrip("년")): num(v) for h, v in zip(hdr[3:], row[3:], strict=True)}
        out[row[1].strip()] = {"rank": int(row[0]), "name": row[2].strip(), "years": years}
    return out


def yearly_csv(path):
    """{code: {'name': str, (year, measure): value}} from the UTF-8-BOM 심사년도 CSV."""
    rows = list(csv.reader(io.StringIO(read_text(path, "utf-8-sig"))))
    yr_row, m_row = rows[0], rows[1]
    years, cur = [], None
    for v in yr_row:
        if v.strip().isdigit():
            cur = int(v)
        years.append(cur)
    out = {}
    for row in rows[2:]:
        if not row or not row[0].strip():
            continue
        d = {"name": row[1].strip()}
        for c in range(2, len(row)):
            d[(years[c], m_row[c].strip())] = num(row[c])
        out[row[0].strip()] = d
    return out


def i21_xlsx(path):
    """{(성별, 연령): {(year, 입원외래, measure): value}} from the crafted stacked-header xlsx."""
    ws = openpyxl.load_workbook(path).worksheets[0]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]

    # header rows 4-6 (index 3..5); years/입원외래 merged -> forward fill
    def ffill(r):
        out, cur = [], None
        for v in r:
            if v is not None:
                cur = v
            out.append(cur)
        return out

    yrs, ios, ms = ffill(rows[3]), ffill(rows[4]), rows[5]
    out = {}
    for r in rows[6:]:
        if r[0] is None or str(r[0]).startswith(("※", "자료")):
            continue
        d = {}
        for c in range(2, len(r)):
            d[(int(yrs[c]), ios[c], ms[c])] = num(r[c])
        out[(r[0], r[1])] = d
    return out


def fee(path):
    """{sheet: [dict(header->value)]} from the 3-sheet 수가 workbook (header on row 4)."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        hdr = rows[3]
        out[ws.title] = [dict(zip(hdr, r, strict=True)) for r in rows[4:] if any(v is not None for v in r)]
    return out


# ---------------------------------------------------------------- answers
def number(qid, value, unit, nd=None):
    v = float(value)
    if nd is not None:
        v = round(v, nd)
    return {"id": qid, "answerable": True, "kind": "number", "value": v, "unit": unit}


def ranking(qid, names):
    return {"id": qid, "answerable": True, "kind": "ranking", "names": list(names)}


def abstain(qid):
    return {"id": qid, "answerable": False, "kind": "abstain"}


def pct(new, old):
    return (new - old) / old * 100.0


def main(out_path):
    reg, grp, io_, age = monthly(F_REG), monthly(F_GRP), monthly(F_IO), monthly(F_AGE)
    dout, din, yr, x, fe = dabindo(F_OUT), dabindo(F_IN), yearly_csv(F_YR), i21_xlsx(F_I21), fee(F_FEE)

    def R(region, month, m):
        return reg[(region,)][(month, m)]

    def G(group, month, m):
        return grp[(group,)][(month, m)]

    def rank1(d):
        return next(c for c, v in d.items() if v["rank"] == 1)

    H1 = [f"2018-{i:02d}" for i in range(1, 7)]
    ALL = [f"2018-{i:02d}" for i in range(1, 13)]
    regions = [k[0] for k in reg if k[0] != "계"]
    groups = [k[0] for k in grp if k[0] != "계"]
    chg = next(r for r in fe["변경"] if r["코드"] == "O2068")

    ans = []
    a = ans.append
    # chain A
    a(number("r001", R("서울", "2018-03", "청구건수"), "건"))
    a(number("r002", R("부산", "2018-03", "청구건수"), "건"))
    a(number("r003", R("서울", "2018-03", "청구건수") + R("부산", "2018-03", "청구건수"), "건"))
    a(number("r004", G("종합병원", "2018-11", "요양급여비용총액"), None))
    a(number("r005", din["M17"]["years"][2022], "명"))
    a(number("r006", yr["I63"][(2020, "내원일수")], "일"))
    a(number("r007", x[("여", "80세이상")][(2022, "외래", "환자수")], "명"))
    a(number("r008", age[("남", "60_64세")][("2018-09", "환자수")], "명"))
    # chain B
    a(number("r009", dout[rank1(dout)]["years"][2022], "명"))
    a(number("r010", din[rank1(din)]["years"][2022], "명"))
    # sums
    a(number("r011", sum(R("서울", m, "청구건수") for m in H1), "건"))
    a(number("r012", sum(G("상급종합병원", m, "요양급여비용총액") for m in ALL), None))
    a(
        number(
            "r013", sum(R(r, "2018-03", "청구건수") for r in ["부산", "대구", "울산", "경북", "경남"]), "건"
        )
    )
    # comparison
    a(number("r014", G("종합병원", "2018-07", "환자수") - G("상급종합병원", "2018-07", "환자수"), "명"))
    a(
        number(
            "r015",
            x[("남", "소계")][(2021, "입원", "환자수")] - x[("여", "소계")][(2021, "입원", "환자수")],
            "명",
        )
    )
    a(ranking("r016", sorted(["서울", "경기"], key=lambda r: -R(r, "2018-12", "청구건수"))))
    # change
    a(number("r017", pct(R("서울", "2018-12", "환자수"), R("서울", "2018-01", "환자수")), "%", 2))
    a(
        number(
            "r018", G("상급종합병원", "2018-07", "청구건수") - G("상급종합병원", "2018-06", "청구건수"), "건"
        )
    )
    a(
        number(
            "r019", pct(yr["I61"][(2021, "요양급여비용총액")], yr["I61"][(2019, "요양급여비용총액")]), "%", 2
        )
    )
    a(
        number(
            "r020",
            x[("계", "계")][(2022, "입원", "내원일수")] - x[("계", "계")][(2021, "입원", "내원일수")],
            "일",
        )
    )
    # ranking
    a(ranking("r021", sorted(regions, key=lambda r: -R(r, "2018-10", "청구건수"))[:5]))
    a(ranking("r022", sorted(groups, key=lambda g: -G(g, "2018-06", "요양급여비용총액"))))
    a(ranking("r023", sorted(["I60", "I61", "I63", "I64"], key=lambda c: -yr[c][(2019, "환자수")])))
    a(
        ranking(
            "r024",
            sorted(
                [c for c in din if din[c]["years"][2018] is not None], key=lambda c: -din[c]["years"][2018]
            )[:3],
        )
    )
    a(ranking("r025", sorted(regions, key=lambda r: sum(R(r, m, "청구건수") for m in H1))[:3]))
    # derived
    a(number("r026", R("서울", "2018-03", "청구건수") / R("계", "2018-03", "청구건수") * 100, "%", 2))
    a(
        number(
            "r027",
            G("상급종합병원", "2018-01", "보험자부담금")
            / G("상급종합병원", "2018-01", "요양급여비용총액")
            * 100,
            "%",
            2,
        )
    )
    a(number("r028", R("경기", "2018-04", "요양급여비용총액") / R("경기", "2018-04", "청구건수"), None, 2))
    a(
        number(
            "r029",
            io_[("남", "입원")][("2018-02", "내원일수")] / io_[("남", "입원")][("2018-02", "환자수")],
            "일",
            2,
        )
    )
    # chain C
    a(number("r030", G("상급종합병원", "2018-08", "환자수"), "명"))
    a(number("r031", G("종합병원", "2018-08", "환자수"), "명"))
    a(abstain("r032"))  # 환자수 not additive across groups
    # chain D
    a(number("r033", yr["I20"][(2019, "환자수")], "명"))
    a(number("r034", yr["I20"][(2020, "환자수")], "명"))
    a(number("r035", pct(yr["I20"][(2020, "환자수")], yr["I20"][(2019, "환자수")]), "%", 2))
    # chain E
    m_out = io_[("남", "외래")][("2018-10", "청구건수")]
    f_out = io_[("여", "외래")][("2018-10", "청구건수")]
    a(number("r036", m_out, "건"))
    a(number("r037", f_out, "건"))
    a(number("r038", m_out + f_out, "건"))
    # chain F
    a(number("r039", x[("남", "60~69세")][(2021, "입원", "환자수")], "명"))
    a(number("r040", x[("남", "60~69세")][(2022, "입원", "환자수")], "명"))
    a(number("r041", x[("남", "60~69세")][(2022, "외래", "환자수")], "명"))
    # chain G
    a(number("r042", chg["변경후 상대가치점수"] - chg["변경전 상대가치점수"], "점", 2))
    a(number("r043", pct(chg["변경후 상대가치점수"], chg["변경전 상대가치점수"]), "%", 2))
    # chain H
    a(number("r044", R("경남", "2018-06", "요양급여비용총액"), None))
    a(number("r045", R("경남", "2018-07", "요양급여비용총액"), None))
    assert not any(k[0].startswith("2019") for k in reg[("경남",)])
    a(abstain("r046"))
    # chain I
    a(number("r047", din["U07"]["years"][2020], "명"))
    assert din["U07"]["years"][2019] is None
    a(abstain("r048"))
    # unanswerable (checks that the reason holds in the data)
    tots = {
        age[("계", "계")][("2018-01", "환자수")],
        io_[("계", "계")][("2018-01", "환자수")],
        G("계", "2018-01", "환자수"),
        R("계", "2018-01", "환자수"),
    }
    assert len(tots) > 1
    a(abstain("r049"))
    assert age[("남", "소계")][("2018-05", "환자수")] != io_[("남", "소계")][("2018-05", "환자수")]
    a(abstain("r050"))
    a(abstain("r051"))
    assert ("남", "30_34세") not in age
    a(abstain("r052"))
    a(abstain("r053"))
    assert age[("남", "5세미만")][("2018-01", "환자수")] is None
    a(abstain("r054"))
    assert 2023 not in dout["I10"]["years"]
    a(abstain("r055"))
    assert yr["I21"][(2021, "내원일수")] != (
        x[("계", "계")][(2021, "입원", "내원일수")] + x[("계", "계")][(2021, "외래", "내원일수")]
    )
    a(abstain("r056"))
    assert (2022, "환자수") not in yr["I20"]
    a(abstain("r057"))
    assert not any("점수" in str(k) for r in fe["삭제"] for k in r)
    a(abstain("r058"))
    a(abstain("r059"))
    assert len({yr["U07"][(2021, "환자수")], dout["U07"]["years"][2021], din["U07"]["years"][2021]}) == 3
    a(abstain("r060"))

    ids = [r["id"] for r in ans]
    assert ids == [f"r{i:03d}" for i in range(1, 61)], ids
    with open(out_path, "w", encoding="utf-8") as f:
        for r in ans:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python reference_r.py DATA_DIR OUT_PATH")
    main(sys.argv[2])
