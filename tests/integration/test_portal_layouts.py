"""Portal layouts we never had: periods side by side (XLSX merged, CSV blank-to-the-right, months in .xls), a
header stack of three rows, years as columns with the measure and scope in the file name, units in the title,
suppressed cells, a rank column with ties, a change workbook of 신설/변경/삭제 sheets.

The expected facts come from a reference unpivot written without our code (tests/fixtures/portal/expected/
compute_expected.py, plain openpyxl/xlrd/csv), cell for cell on its sample and by count overall.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from hirachat.config import DataConfig
from hirachat.data.ingest import IngestReport, ingest
from hirachat.data.store import FactStore, quote_ident

PORTAL = Path(__file__).resolve().parents[1] / "fixtures" / "portal"
EXPECTED = PORTAL / "expected"
SCALE = {"천원": 1000, "백만원": 1_000_000}
TOTALS = {"계", "소계", "합계"}


def _files() -> list[Path]:
    return sorted(p for p in PORTAL.iterdir() if p.suffix in (".csv", ".xlsx", ".xls"))


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[IngestReport]]:
    root = tmp_path_factory.mktemp("portal")
    reports = ingest(_files(), root / "store", DataConfig(), root / "raw")
    return root / "store", reports


def test_every_portal_fixture_ingests(portal: tuple[Path, list[IngestReport]]) -> None:
    _, reports = portal
    assert [r.line() for r in reports if r.status == "error"] == []
    files = {Path(r.file).name for r in reports}
    assert files == {p.name for p in _files()}
    for r in reports:
        if r.status == "stored":
            # nothing lost: every row below the header is stored, quarantined or a note
            assert r.rows_read == r.rows_stored + r.rows_quarantined, r.line()
            assert r.layout and "header:" in r.layout, r.line()
            assert "rows: " in r.line() and "notes" in r.line()


def test_counts_match_the_reference(portal: tuple[Path, list[IngestReport]]) -> None:
    _, reports = portal
    counts = json.loads((EXPECTED / "counts.json").read_text(encoding="utf-8"))
    for r in reports:
        if r.status != "stored":
            continue
        c = counts[Path(r.file).name][str(r.sheet) if r.sheet else "None"]
        assert r.rows_read == c["data_rows"], r.line()
        assert r.rows_noted == c["note_rows"], r.line()
        assert r.cells_suppressed == c["suppressed_cells"], r.line()
        assert r.layout is not None
        facts = int(re.search(r"([\d,]+) facts", r.layout).group(1).replace(",", ""))  # type: ignore[union-attr]
        assert facts == c["numeric_value_cells"] + c["suppressed_cells"], r.line()


def _stored(store: FactStore, e: dict[str, Any]) -> tuple[float | None, bool, str]:
    """The stored value of one expected cell: (value, suppressed, measure)."""
    src = next(
        s for s in store.sources() if s.file_name == e["file"] and (s.sheet or None) == (e["sheet"] or None)
    )
    cols_row = store.con.execute(
        "SELECT columns FROM sources WHERE source_id = ?", [src.source_id]
    ).fetchone()
    assert cols_row is not None
    columns = json.loads(cols_row[0])
    t = store.table(src.table_id)
    where, args = ["_source = ?"], [src.source_id]

    def add(dim: str, value: str) -> None:
        where.append(f"{quote_ident(dim)} = ?")
        args.append(value)

    for header, value in e["labels"].items():
        dim = columns[header]
        add(dim, "계" if value in TOTALS else value)
    for key, value in (e.get("scope") or {}).items():
        if key in t.dims:
            add(key, value)
    # header parts between the period and the measure are dimension values (입원 / 외래 under a year)
    for part in e["column_path"][:-1]:
        if part == e["period"] or re.match(r"^(19|20)\d{2}", part):
            continue
        for d in t.dims:
            q = f"SELECT count(*) FROM {quote_ident(t.physical)} WHERE {quote_ident(d)} = ?"
            row = store.con.execute(q, [part]).fetchone()
            if d not in {w.split(" = ")[0].strip('"') for w in where} and row and row[0]:
                add(d, part)
                break
    if e["period"]:
        year, _, month = e["period"].partition("-")
        where.append(f"{quote_ident('진료년도')} = ?")
        args.append(int(year))
        if month:
            add("월", month)
    if e["measure"] in t.dims:  # a rank column is a row label (ties kept), not a measure
        add(e["measure"], str(e["value"]))
        q = f"SELECT count(*) FROM {quote_ident(t.physical)} WHERE {' AND '.join(where)}"
        row = store.con.execute(q, args).fetchone()
        assert row and row[0] >= 1, (e, q, args)
        return e["value"], False, e["measure"]
    # the measure: the stored measure whose own column headers name the expected one
    measure = next(
        m["name"]
        for m in t.measures
        if m["name"] == e["measure"]
        or any(h.split(" | ")[-1] == e["measure"] for h in m["source_names"])
        or (len(t.measures) == 1)
    )
    sql = f"SELECT {quote_ident(measure)}, _suppressed FROM {quote_ident(t.physical)} WHERE {' AND '.join(where)}"
    rows = store.con.execute(sql, args).fetchall()
    assert len(rows) == 1, (e, sql, args, rows)
    value, hidden = rows[0]
    return (
        (None if value is None or math.isnan(value) else value),
        measure in (hidden or "").split(","),
        measure,
    )


@pytest.mark.parametrize("name", sorted(p.name for p in EXPECTED.glob("*.jsonl")))
def test_sampled_cells_match_the_reference(portal: tuple[Path, list[IngestReport]], name: str) -> None:
    store_dir, _ = portal
    expected = [
        json.loads(line) for line in (EXPECTED / name).read_text(encoding="utf-8").splitlines() if line
    ]
    if expected[0]["file"].startswith("건강보험 행위"):
        pytest.skip("a change workbook: checked as change files below")
    with FactStore.open(store_dir, read_only=True) as store:
        for e in expected:
            value, hidden, measure = _stored(store, e)
            if e["suppressed"]:
                assert value is None and hidden, (e, value)
                continue
            t = store.table(next(s.table_id for s in store.sources() if s.file_name == e["file"]))
            scale = (
                SCALE.get(e["unit"] or "", 1)
                if measure in t.measure_names and t.measure(measure)["unit"] == "원"
                else 1
            )
            assert value == pytest.approx(e["value"] * scale), e
            assert not hidden


def test_two_files_differing_only_in_their_name_are_one_table(
    portal: tuple[Path, list[IngestReport]],
) -> None:
    store_dir, reports = portal
    by_name = {Path(r.file).name: r for r in reports}
    out, inp = by_name["다빈도 상병 순위_외래_환자수.csv"], by_name["다빈도 상병 순위_입원_환자수.csv"]
    assert out.table_id == inp.table_id and out.scope == {"입원외래구분": "외래"}
    assert not out.superseded and not inp.superseded  # 외래 and 입원 never replace each other
    with FactStore.open(store_dir, read_only=True) as store:
        t = store.table(out.table_id or "")
        assert {"입원외래구분", "순위", "주상병코드"} <= set(t.dims) and t.measure_names == ["환자수"]
        q = f"SELECT DISTINCT 입원외래구분 FROM {quote_ident(t.physical)}"
        assert {r[0] for r in store.con.execute(q).fetchall()} == {"입원", "외래"}
        # ties of the rank column are kept as data
        q = f"SELECT 순위, count(DISTINCT 주상병코드) FROM {quote_ident(t.physical)} WHERE 입원외래구분 = '외래' GROUP BY 1"
        ranks = dict(store.con.execute(q).fetchall())
        assert ranks["7"] == 2 and "8" not in ranks


def test_title_unit_scales_amounts_and_title_code_is_a_dimension(
    portal: tuple[Path, list[IngestReport]],
) -> None:
    store_dir, reports = portal
    rep = next(r for r in reports if Path(r.file).name.startswith("질병 소분류(3단 상병) 통계_I21"))
    assert rep.scope == {"주상병코드": "I21"}
    assert rep.layout and "header: 3 rows" in rep.layout and "입원외래구분" in rep.layout
    with FactStore.open(store_dir, read_only=True) as store:
        t = store.table(rep.table_id or "")
        assert t.measure("요양급여비용총액")["unit"] == "원" and t.measure("환자수")["unit"] == "명"


def test_change_sheets_are_change_files_of_their_master(portal: tuple[Path, list[IngestReport]]) -> None:
    store_dir, reports = portal
    sheets = {r.sheet: r for r in reports if Path(r.file).name.startswith("건강보험 행위")}
    assert set(sheets) == {"신설", "변경", "삭제"}
    assert all(
        r.status == "master" and "procedure change file" in (r.table_id or "") for r in sheets.values()
    )
    with FactStore.open(store_dir, read_only=True) as store:
        assert not [
            s for s in store.sources() if s.file_name.startswith("건강보험 행위")
        ]  # no statistics table
        rows = store.master_rows()
        ops = {json.loads(a)["변경구분"] for a in rows["attrs"] if "변경구분" in json.loads(a)}
        assert ops == {"신설", "변경", "삭제"}
        assert "B0231" in set(rows["code"])  # the one-line deletion sheet is kept


def test_real_portal_xls_downloads_when_present(tmp_path: Path) -> None:
    """The real .xls originals the fixtures copy (kept outside the repository; see SOURCES.md)."""
    real = Path("/work/portal_real")
    files = sorted(real.glob("*.xls")) if real.is_dir() else []
    if not files:
        pytest.skip("real portal originals not on this machine")
    reports = ingest(files, tmp_path / "store", DataConfig(), tmp_path / "raw")
    assert [r.status for r in reports] == ["stored"] * len(files)
    assert all(r.rows_read == r.rows_stored for r in reports)


def test_questions_over_new_layouts(portal: tuple[Path, list[IngestReport]]) -> None:
    """Months, suppressed cells, title words and sums said in words, over the portal fixtures."""
    from hirachat.answer.service import AskService
    from hirachat.config import InferenceConfig

    store_dir, _ = portal
    with AskService(store_dir, InferenceConfig(), "grounded", None, 0) as svc:

        def ask(q: str) -> tuple[str, bool]:
            ans = svc.plan_turns([q])
            return ans.answer, ans.abstained

        text, abstained = ask("2018년 11월 I21 보건기관 청구건수")  # a month of a monthly .xls, a 등 value
        assert not abstained and "11월" in text and "보건기관등" in text
        text, abstained = ask("2018년 I21 남자 환자수")  # a year of patients is never a sum of months
        assert abstained and "월별" in text
        text, abstained = ask("2019년 U07 환자수")  # a '-' cell
        assert abstained and "공개되지 않은" in text
        text, abstained = ask("J20 외래랑 입원 합쳐서 2022년 환자 총 몇명?")  # 외래 and 입원 files: one table
        assert abstained and "더해" in text
        text, abstained = ask("2020년 입원 다빈도 상병 상위 3개")  # the title's words pick the table
        assert not abstained and text.index("J20") < text.index("J30") < text.index("I10")
        text, abstained = ask("이천이십일년 I21 80세 이상 남자 외래 환자수")  # a year in words
        assert "2021년" in text and "2022년" not in text


def _monthly(name: str) -> tuple[int, dict[tuple[str, ...], dict[tuple[str, str], float | None]]]:
    """A portal monthly .xls read with xlrd alone: (label columns, {labels: {(month, measure): value}})."""
    import xlrd

    sheet = xlrd.open_workbook(str(next(PORTAL.glob(name)))).sheet_by_index(0)
    months, heads = sheet.row_values(0), sheet.row_values(1)
    labels = next(i for i, m in enumerate(months) if re.match(r"\d{4}년 \d{2}월", str(m)))
    out: dict[tuple[str, ...], dict[tuple[str, str], float | None]] = {}
    for r in range(2, sheet.nrows):
        row = sheet.row_values(r)
        cells = {
            (str(months[c])[-3:-1], str(heads[c])): (
                None if row[c] == "-" else float(str(row[c]).replace(",", ""))
            )
            for c in range(labels, len(row))
        }
        out[tuple(str(v) for v in row[:labels])] = cells
    return labels, out


def _numbers(text: str) -> list[float]:
    head = text.split("\n")[0]
    return [float(x.replace(",", "")) for x in re.findall(r"-?\d[\d,]*(?:\.\d+)?", head)]


def test_answers_over_portal_layouts_follow_the_files(portal: tuple[Path, list[IngestReport]]) -> None:
    """What a portal download's own structure says: its total row is a share's whole, a '-' cell leaves a
    ranking (named) but refuses the lowest, months are summed as a span and compared as a change, a
    name column names its codes, an amount without a unit is written without one, patients are never
    summed over groups the file keeps apart. Expected figures are read from the raw files here."""
    from hirachat.answer.service import AskService
    from hirachat.config import InferenceConfig

    _, group = _monthly("*요양기관그룹별*.xls")
    _, inout = _monthly("*성별입원외래별*.xls")
    _, region = _monthly("*소재지별*.xls")
    store_dir, _ = portal
    with AskService(store_dir, InferenceConfig(), "grounded", None, 0) as svc:

        def ask(*turns: str) -> tuple[str, bool]:
            ans = svc.plan_turns(list(turns))
            return ans.answer, ans.abstained

        # a share of patients: of the file's own 계 row, not of the groups' sum (a patient is in several)
        text, abstained = ask("2018년 3월 I21 환자 중 상급종합병원 환자 비중은 몇 %야?")
        part, whole = group[("I21", "상급종합병원")][("03", "환자수")], group[("I21", "계")][("03", "환자수")]
        assert part is not None and whole is not None and not abstained
        assert f"{100 * part / whole:.2f}%" in text and "(계)" in text
        # a span of months is their sum (claims add up; patients do not)
        text, abstained = ask("18년 상반기 I21 여자 외래 청구건수 합계")
        cells = inout[("I21", "여", "외래")]
        assert not abstained and sum(cells[(f"{m:02d}", "청구건수")] or 0 for m in range(1, 7)) in _numbers(
            text
        )
        text, abstained = ask("2018년 하반기 I21 서울 환자수")
        assert abstained and "여러 달" in text
        # a change between two months of one year
        text, abstained = ask("부산 I21 청구건수 2018년 1월 대비 12월 증감률")
        jan, dec = region[("I21", "부산")][("01", "청구건수")], region[("I21", "부산")][("12", "청구건수")]
        assert jan and dec and not abstained and f"{100 * (dec / jan - 1):+.2f}%" in text
        # the portal writes no unit on amounts: none is assumed, and '원 단위로' is refused
        text, abstained = ask("2018년 3월 I21 서울 요양급여비용총액")
        amount = region[("I21", "서울")][("03", "요양급여비용총액")]
        assert not abstained and f"{amount:,.0f}입니다" in text and "단위 없이" in text
        text, abstained = ask("2018년 3월 I21 서울 요양급여비용총액을 원 단위로 알려줘")
        assert abstained and "단위" in text
        # months and groups named by the portal's own labels: 60_64세, 요양기관그룹 as 종별
        text, abstained = ask("18년 5월 I21 남자 60~64세 환자수")
        assert not abstained and "60~64세" in text
        text, abstained = ask("18년 11월 I21 청구건수 많은 요양기관 종별 순위")
        ranked = sorted(
            (g for g in group if g[1] != "계"), key=lambda g: -(group[g][("11", "청구건수")] or 0)
        )
        assert not abstained and [text.index(g[1]) for g in ranked] == sorted(
            text.index(g[1]) for g in ranked
        )

    with AskService(store_dir, InferenceConfig(), "grounded", None, 0) as svc:
        text = svc.plan_turns(["2015년 외래 환자수 상위 3개 상병"]).answer
        assert "U07" in text and "순위에서 뺐습니다" in text  # '-' before U07 existed: left out, named
        assert svc.plan_turns(["2015년 외래 환자수 가장 적은 상병"]).abstained
        ans = svc.plan_turns(
            ["22년 외래에서 결막염 환자가 우울에피소드보다 몇 명 더 많아?"]
        )  # names of codes
        assert not ans.abstained and "H10" in ans.answer and "F32" in ans.answer
        ans = svc.plan_turns(
            ["2020년 K05 환자수"]
        )  # 외래 and 입원 files, no total: a sum, said to over-count
        assert not ans.abstained and "실제 환자 수보다 많을 수 있습니다" in ans.answer
        ans = svc.plan_turns(["2020년 I61 요양급여비용총액", "2019년 대비 증감률은?"])
        assert not ans.abstained and "2019년" in ans.answer and "2020년" in ans.answer and "%" in ans.answer


def test_a_span_of_years_is_summed_only_where_the_measure_adds_up(
    portal: tuple[Path, list[IngestReport]],
) -> None:
    """'2019~2021년 3년간 합계' is the sum of every year (not the two ends, not a sum over the name column);
    patients over years are refused."""
    import csv

    from hirachat.answer.service import AskService
    from hirachat.config import InferenceConfig

    with next(PORTAL.glob("*통계_심사년도.csv")).open(encoding="utf-8-sig", newline="") as f:
        years, heads, *rows = list(csv.reader(f))
    row = next(r for r in rows if r[0] == "I61")
    year = ""
    total = 0.0
    for c in range(2, len(heads)):
        year = years[c] or year
        if heads[c] == "요양급여비용총액" and year in ("2019", "2020", "2021"):
            total += float(row[c].replace(",", ""))
    with AskService(portal[0], InferenceConfig(), "grounded", None, 0) as svc:
        ans = svc.plan_turns(["I61 2019~2021년 3년간 요양급여비용총액 합계는?"])
        assert not ans.abstained and total in _numbers(ans.answer)
        assert svc.plan_turns(["I61 2019~2021년 3년간 환자수 합계는?"]).abstained


def test_two_tables_that_answer_differently_are_asked_about(
    portal: tuple[Path, list[IngestReport]],
) -> None:
    """The four 진료년월 files of one 상병 each publish a 계 row for a month: a question any of them answers
    is never answered from whichever table happens to score first when their totals differ. The user is
    asked, with each table and its figure; a question only one of them can answer is answered."""
    from hirachat.answer.service import AskService
    from hirachat.config import InferenceConfig

    totals = {
        name: cells[("I21", *["계"] * (labels - 1))][("01", "환자수")]
        for name in ("요양기관그룹별", "성별입원외래별", "소재지별", "연령5세구간별")
        for labels, cells in [_monthly(f"*{name}*.xls")]
    }
    assert len(set(totals.values())) > 1  # the fixtures' made-up totals differ
    store_dir, _ = portal
    with AskService(store_dir, InferenceConfig(), "grounded", None, 0) as svc:
        ans = svc.plan_turns(["2018년 1월 I21 환자수는?"])
        assert ans.abstained and ans.reason == "ambiguous"
        for name, value in totals.items():
            assert name in ans.answer and value is not None and f"{value:,.0f}" in ans.answer
        _, region = _monthly("*소재지별*.xls")
        ans = svc.plan_turns(["2018년 1월 서울 I21 환자수"])  # only the 소재지 file has 서울
        assert not ans.abstained and f"{region[('I21', '서울')][('01', '환자수')]:,.0f}명" in ans.answer


def test_an_answer_carries_its_notes_typed_and_its_figures(
    portal: tuple[Path, list[IngestReport]],
) -> None:
    """The reply comes in parts: each note with its kind, the figures it states, the citation; the text
    every surface shows is those parts rendered, nothing cut out of it again."""
    from hirachat.answer.service import AskService
    from hirachat.config import InferenceConfig

    _, region = _monthly("*소재지별*.xls")
    store_dir, _ = portal
    with AskService(store_dir, InferenceConfig(), "grounded", None, 0) as svc:
        ans = svc.plan_turns(["2020년 K05 환자수"])  # 외래 and 입원 files summed: patients over-count
        kinds = [n.kind for n in ans.reply.notes]
        assert "overcount" in kinds and ans.reply.citation.startswith("출처:")
        assert ans.answer == "\n".join(
            [ans.reply.body, *(n.text for n in ans.reply.notes), ans.reply.citation]
        )
        ranked = svc.plan_turns(["2015년 외래 환자수 상위 3개 상병"])
        assert [n.kind for n in ranked.reply.notes] == ["suppressed"]
        assert (ans.kind, ranked.kind) == ("figure", "ranking")
        assert svc.plan_turns(["2018년 1월 I21 환자수는?"]).kind == "clarify"  # four tables disagree
        assert svc.plan_turns(["2035년 K05 환자수"]).kind == "refusal"
        trend = svc.plan_turns(["외래 K05 환자수 2018년부터 2022년까지 추이"])
        assert trend.kind == "trend" and all(f"{y}년" in trend.reply.citation for y in range(2018, 2023))
        res = svc.ask("2018년 3월 I21 서울 요양급여비용총액")  # the portal states no unit
        amount = region[("I21", "서울")][("03", "요양급여비용총액")]
        assert res["figures"] == [amount] and [n["kind"] for n in res["notes"]] == ["unit"]
        assert res["notes"][0]["text"] in res["answer"]
