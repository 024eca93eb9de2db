"""Intent → structured query on the facts store → grounded answer (or an honest abstention).

Planning picks the table that can use every entity the question names and holds the measures it
needs, then checks the period (a missing year, or a measure absent in that year, is said plainly).
Execution fetches the matching rows with one SQL query and computes in Python what the question
asks: a value, a sum, a top-k, a comparison, a change, a ratio or share, a derived figure. Dimensions
the question leaves open are answered from the table's own 계 rows where it publishes them, otherwise
summed (with the 환자수 over-count note). Every sum over several facts is recorded as a derived figure
with an id, so the grounding check can recompute the whole chain.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hirachat.answer.compose import Composer
from hirachat.answer.lexicon import Lexicon
from hirachat.answer.understand import Intent
from hirachat.data.schema import QUARTER, YEAR
from hirachat.data.store import FactStore, TableInfo, quote_ident
from hirachat.data.vocab import DERIVED_FIGURES, TERMS
from hirachat.dataset import templates as T
from hirachat.dataset.records import Fact, fact_id

PERIOD = (YEAR, QUARTER)
SHARE_CUE = re.compile(r"차지|비중|점유율|비율|퍼센트|%")


@dataclass
class Answer:
    """What an engine returns: the text and everything needed to cite and check it."""

    question: str
    answer: str
    abstained: bool
    qtype: str
    table_id: str | None = None
    facts: list[Fact] = field(default_factory=list)
    derived: list[dict[str, Any]] = field(default_factory=list)
    query: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None  # why it abstained: year, measure, entity, dimension, drift, ambiguous, ...
    extra: list[float] = field(default_factory=list)  # numbers the answer may state besides facts (years)
    strip: list[str] = field(default_factory=list)  # names whose digits are not numbers (titles)

    def sources(self) -> list[dict[str, Any]]:
        return [
            {
                "table": f["table_id"],
                "file": f["source"].get("file"),
                "sheet": f["source"].get("sheet"),
                "row": f["source"].get("row"),
                "measure": f["measure"],
                "value": f["value"],
                "unit": f["unit"],
                "dims": f["dims"],
            }
            for f in self.facts
        ]


class Abstain(Exception):
    def __init__(
        self, reason: str, text: str, table: TableInfo | None = None, extra: list[float] | None = None
    ):
        super().__init__(text)
        self.reason, self.text, self.table, self.extra = reason, text, table, extra or []


class Planner:
    """Answers intents from one store. Build once; ``answer`` is cheap."""

    def __init__(self, store: FactStore, lex: Lexicon) -> None:
        self.store = store
        self.lex = lex
        self.sources = {
            s.source_id: {"file": s.file_name, "sha256": s.sha256, "sheet": s.sheet} for s in store.sources()
        }

    # ---- entry point ---------------------------------------------------------------------------
    def answer(self, it: Intent) -> Answer:
        if it.qtype == "definition" and it.term:
            text = f"{it.term}: {TERMS[it.term]}\n출처: 건강보험심사평가원 통계 용어 설명"
            return Answer(
                it.text,
                text,
                False,
                "definition",
                query={"op": "define", "term": it.term},
                strip=[it.term],
                extra=[],
            )
        try:
            if it.unknown:
                raise self._unknown(it)
            if not (it.measures or it.derived or it.entities or it.codes):
                raise Abstain(
                    "ambiguous",
                    "무엇을 알고 싶으신지 알 수 없습니다. 항목(예: 환자수, 진료비)이나 대상(예: 2019년 서울 "
                    "내과, 상병코드 J20)을 넣어 다시 물어봐 주세요.",
                    None,
                )
            table, ents = self._table(it)
            return self._run(it, table, ents)
        except Abstain as a:
            c = Composer(a.table) if a.table else None
            text = c.unanswerable(a.text) if c else f"죄송하지만 해당 질문에 답할 자료가 없습니다. {a.text}"
            return Answer(
                it.text,
                text,
                True,
                it.qtype,
                a.table.table_id if a.table else None,
                query={"op": "abstain", "reason": a.reason, **it.as_dict()},
                reason=a.reason,
                extra=[*a.extra, *it.years],
                strip=[a.table.title.replace("_", " ")] if a.table else [],
            )

    # ---- planning ------------------------------------------------------------------------------
    def _needed(self, it: Intent) -> list[str]:
        if it.derived:
            return list(DERIVED_FIGURES[it.derived])
        return it.measures

    def _table(self, it: Intent) -> tuple[TableInfo, dict[str, list[str]]]:
        needed = self._needed(it)
        spans: dict[tuple[int, int, str], list[tuple[str, str]]] = {}
        for e in it.entities:
            spans.setdefault((e.start, e.end, e.surface), []).append((e.dim, e.value))
        best: tuple[tuple[int, ...], TableInfo, dict[str, list[str]]] | None = None
        for t in self.lex.tables.values():
            if needed and not set(needed) <= set(t.measure_names):
                continue
            ents: dict[str, list[str]] = {}
            ok = True
            for options in spans.values():
                usable = [(d, v) for d, v in options if d in t.dims and self.lex.has_value(t.table_id, d, v)]
                if not usable:
                    ok = False
                    break
                d, v = usable[0]
                if v not in ents.setdefault(d, []):
                    ents[d].append(v)
            if not ok:
                continue
            open_dims = [d for d in t.dims if d not in PERIOD and d not in ents]
            years_ok = all(y in self.lex.years[t.table_id] for y in it.years)
            score = (int(years_ok), len(ents), -len(open_dims), -len(t.dims))
            if best is None or score > best[0]:
                best = (score, t, ents)
        if best is None:
            raise self._diagnose(it, needed)
        _, table, ents = best
        if it.codes:
            raise Abstain("entity", Composer(table).why_entity("주상병코드", it.codes[0]), table)
        return table, ents

    def _unknown(self, it: Intent) -> Abstain:
        """The question names something (a disease name, MRI) that no stored value accounts for."""
        words = ", ".join(f"'{w}'" for w in it.unknown)
        text = f"질문의 {words}에 해당하는 항목을 보유한 자료에서 찾지 못했습니다."
        if any("주상병코드" in t.dims for t in self.lex.tables.values()):
            text += " 상병은 이름이 아니라 코드(예: J20)로만 제공됩니다."
        titles = ", ".join(f"「{t.title.replace('_', ' ')}」" for t in self.lex.tables.values())
        return Abstain("entity", f"{text} 보유 자료: {titles}.", None)

    def _diagnose(self, it: Intent, needed: list[str]) -> Abstain:
        """Why no table can answer: the measure, a dimension, or a value is missing."""
        with_measure = [t for t in self.lex.tables.values() if set(needed) <= set(t.measure_names)]
        if needed and not with_measure:
            t = max(
                self.lex.tables.values(),
                key=lambda x: sum(e.dim in x.dims for e in it.entities),
                default=None,
            )
            missing = next(m for m in needed if not t or m not in t.measure_names)
            return Abstain(
                "measure",
                Composer(t).why_measure(missing) if t else f"{missing} 항목이 있는 자료가 없습니다.",
                t,
            )
        pool = with_measure or list(self.lex.tables.values())
        if not pool:
            return Abstain("ambiguous", "저장소에 표가 없습니다.", None)

        def usable(t: TableInfo, e: Any) -> bool:
            return e.dim in t.dims and self.lex.has_value(t.table_id, e.dim, e.value)

        # the table that can use the most of what was asked, and the first thing it cannot use
        t = max(pool, key=lambda x: (sum(usable(x, e) for e in it.entities), -len(x.dims)))
        for e in it.entities:
            if any(
                usable(t, x) for x in it.entities if (x.start, x.end) == (e.start, e.end) and x.start >= 0
            ):
                continue
            if usable(t, e):
                continue
            if e.dim not in t.dims:
                return Abstain("dimension", Composer(t).why_dimension(e.dim, e.value), t)
            return Abstain("entity", Composer(t).why_entity(e.dim, e.value), t)
        return Abstain("ambiguous", "질문의 조건을 함께 담은 표가 없습니다. 조건을 나누어 물어봐 주세요.", t)

    def _periods(self, it: Intent, t: TableInfo, measures: list[str]) -> list[int]:
        have = self.lex.years[t.table_id]
        if not have:
            return []
        if it.previous_year and len(it.years) == 1:
            years = [it.years[0] - 1, it.years[0]]
        elif it.qtype == "change" and not it.years:
            with_all = [
                y
                for y in have
                if all(
                    str(y) in {p[:4] for p in self.lex.measure_periods[t.table_id].get(m, [])}
                    for m in measures
                )
            ]
            years = with_all if it.trend else with_all[-2:]
            if len(years) < 2:
                raise Abstain(
                    "year",
                    Composer(t).why_year(have[0] - 1, have) if have else "연도 자료가 없습니다.",
                    t,
                    [float(y) for y in have],
                )
        else:
            years = sorted(set(it.years))
        for y in years:
            if y not in have:
                raise Abstain("year", Composer(t).why_year(y, have), t, [float(x) for x in have])
            for m in measures:
                periods = self.lex.measure_periods[t.table_id].get(m, [])
                if str(y) not in {p[:4] for p in periods}:
                    raise Abstain(
                        "drift", Composer(t).why_drift(m, y, periods), t, [float(p[:4]) for p in periods]
                    )
        if it.quarter and QUARTER in t.dims:
            quarters = sorted(self.lex.values[t.table_id].get(QUARTER, set()))
            if it.quarter not in quarters:
                have_q = ", ".join(f"{q}분기" for q in quarters)
                raise Abstain(
                    "year",
                    f"「{t.title.replace('_', ' ')}」에는 {it.quarter}분기 자료가 없습니다. "
                    f"이 표가 보유한 분기는 {have_q}입니다.",
                    t,
                    [float(q) for q in quarters] + [float(it.quarter)],
                )
        if not years:
            latest = [
                y
                for y in have
                if all(
                    str(y) in {p[:4] for p in self.lex.measure_periods[t.table_id].get(m, [])}
                    for m in measures
                )
            ]
            years = [latest[-1] if latest else have[-1]]
        return years

    # ---- execution -----------------------------------------------------------------------------
    def _rows(self, t: TableInfo, filters: dict[str, list[Any]]) -> pd.DataFrame:
        where, args = [], []
        for d, vals in filters.items():
            where.append(f"{quote_ident(d)} IN ({', '.join('?' for _ in vals)})")
            args += list(vals)
        sql = f"SELECT * FROM {quote_ident(t.physical)}" + (f" WHERE {' AND '.join(where)}" if where else "")
        return self.store.con.execute(sql, args).df()

    def _fact(self, t: TableInfo, row: pd.Series, m: str) -> Fact:
        dims = {d: (int(row[d]) if d == YEAR else str(row[d])) for d in t.dims}
        src = {**self.sources.get(row["_source"], {}), "row": int(row["_row"])}
        return {
            "fact_id": fact_id(t.table_id, dims, m),
            "table_id": t.table_id,
            "dims": dims,
            "measure": m,
            "value": float(row[m]),
            "unit": t.measure(m)["unit"],
            "source": src,
        }

    def _check_values(self, t: TableInfo, rows: pd.DataFrame, m: str) -> None:
        if rows.empty:
            return
        if rows[m].isna().any():
            raise Abstain("empty", f"「{t.title.replace('_', ' ')}」의 해당 {m} 값이 비어 있습니다.", t)
        if rows["_approx"].fillna("").str.contains(m, regex=False).any():
            raise Abstain(
                "approximate",
                f"「{t.title.replace('_', ' ')}」의 해당 {m} 값이 지수 표기로 손상되어 "
                "정확한 값을 알 수 없습니다.",
                t,
            )

    def _groups(
        self,
        t: TableInfo,
        rows: pd.DataFrame,
        m: str,
        by: list[str],
        derived: list[dict[str, Any]],
        facts: list[Fact],
    ) -> list[Fact]:
        """One fact per combination of ``by``: the stored fact, or a sum of the facts under it."""
        self._check_values(t, rows, m)
        out = []
        groups = rows.groupby(by, sort=True) if by else [((), rows)]
        for key, g in groups:
            members = [self._fact(t, r, m) for _, r in g.iterrows()]
            facts += members
            if len(members) == 1:
                out.append(members[0])
                continue
            keyvals = key if isinstance(key, tuple) else (key,)
            dims = {**dict(zip(by, keyvals, strict=True))}
            for d in t.dims:
                if d not in dims:
                    vals = {f["dims"][d] for f in members}
                    dims[d] = vals.pop() if len(vals) == 1 else "계"
            ids = [f["fact_id"] for f in members]
            agg_id = "sum:" + hashlib.sha1("|".join(ids).encode()).hexdigest()[:12]
            value = float(sum(f["value"] for f in members))
            derived.append({"op": "sum", "id": agg_id, "of": ids, "value": value})
            out.append(
                {
                    "fact_id": agg_id,
                    "table_id": t.table_id,
                    "dims": dims,
                    "measure": m,
                    "value": value,
                    "unit": members[0]["unit"],
                    "source": members[0]["source"],
                }
            )
        return out

    def _run(self, it: Intent, t: TableInfo, ents: dict[str, list[str]]) -> Answer:
        measures = self._needed(it) or list(t.measure_names)
        years = self._periods(it, t, measures)
        filters: dict[str, list[Any]] = {d: list(v) for d, v in ents.items()}
        if years:
            filters[YEAR] = years
        if it.quarter and QUARTER in t.dims:
            filters[QUARTER] = [it.quarter]
        multi = [d for d, v in ents.items() if len(v) >= 2]
        qtype = it.qtype
        if multi and qtype in ("lookup", "sum", "ranking", "share"):
            qtype = "comparison"  # two values of one dimension named: compare them
        if len(years) >= 2 and qtype in ("lookup", "comparison") and not multi:
            qtype = "change"
        if qtype == "comparison" and not multi:
            qtype = "lookup"
        rows = self._rows(t, filters)
        if rows.empty:
            raise Abstain("entity", "해당 조건에 맞는 자료가 없습니다.", t)
        x = _Exec(self, it, t, Composer(t), rows, ents, filters, years, measures, multi)
        text = {
            "lookup": x.lookup,
            "sum": x.total,
            "ranking": x.ranking,
            "share": x.share,
            "comparison": x.comparison,
            "change": x.change,
            "ratio": x.ratio,
            "derived": x.ratio,
        }[qtype]()
        if (
            x.summed
            and any(not t.measure(m)["additive"] for m in measures)
            and "환자수는 한 사람이" not in text
        ):
            note = x.c.notes([m for m in measures if not t.measure(m)["additive"]], x.summed).split("\n")[0]
            text = text.replace("\n출처:", f"\n{note}\n출처:", 1)
        query = {
            "table": t.table_id,
            "op": qtype,
            "filters": filters,
            "measures": measures,
            "years": years,
            **x.query,
        }
        return Answer(
            it.text,
            text,
            False,
            qtype,
            t.table_id,
            x.facts,
            x.derived,
            query,
            extra=[float(y) for y in years],
            strip=[x.c.title],
        )

    def _over(self, it: Intent, open_dims: list[str], ents: dict[str, list[str]], qtype: str) -> str:
        if qtype == "share":
            singles = [d for d, v in ents.items() if len(v) == 1 and d not in PERIOD]
            if not singles:
                raise Abstain(
                    "ambiguous", "비중을 구할 대상(예: 특정 시도나 진료과목)이 질문에 없습니다.", None
                )
            # the part is the entity named nearest before the cue (…에서 내과가 차지하는 비중, … 중 내과 비율)
            cue = next((m.start() for m in SHARE_CUE.finditer(it.text)), len(it.text))
            before = [e for e in it.entities if e.dim in singles and 0 <= e.start < cue]
            return max(before, key=lambda e: e.start).dim if before else singles[-1]
        if it.over in open_dims:
            return it.over
        if len(open_dims) == 1:
            return open_dims[0]
        if not open_dims:
            raise Abstain("ambiguous", "순위를 매길 구분(예: 진료과목, 시도)이 질문에 없습니다.", None)
        return open_dims[0]


class _Exec:
    """One question's execution: the rows fetched, what is open, and the answer's facts and figures."""

    def __init__(
        self,
        p: Planner,
        it: Intent,
        t: TableInfo,
        c: Composer,
        rows: pd.DataFrame,
        ents: dict[str, list[str]],
        filters: dict[str, list[Any]],
        years: list[int],
        measures: list[str],
        multi: list[str],
    ) -> None:
        self.p, self.it, self.t, self.c, self.rows = p, it, t, c, rows
        self.ents, self.filters, self.years, self.measures, self.multi = ents, filters, years, measures, multi
        self.detail = rows[~rows["_total"].to_numpy(dtype=bool)]
        self.open = [d for d in t.dims if d not in PERIOD and d not in ents]
        self.derived: list[dict[str, Any]] = []
        self.facts: list[Fact] = []
        self.query: dict[str, Any] = {}
        self.summed: str | None = None  # dims summed over, for the 환자수 note
        ctx_dims: dict[str, Any] = {d: v[0] for d, v in ents.items() if len(v) == 1}
        if len(years) == 1:
            ctx_dims[YEAR] = years[0]
        if it.quarter:
            ctx_dims[QUARTER] = it.quarter
        elif QUARTER in t.dims and rows[QUARTER].nunique() == 1:
            ctx_dims[QUARTER] = str(rows[QUARTER].iloc[0])
        self.ctx_dims = ctx_dims

    def ctx(self, without: str | None = None) -> str:
        return T.entity({k: v for k, v in self.ctx_dims.items() if k != without}) or "전체"

    def groups(self, rows: pd.DataFrame, m: str, by: list[str]) -> list[Fact]:
        return self.p._groups(self.t, rows, m, by, self.derived, self.facts)

    def for_open(self, dims: list[str]) -> pd.DataFrame:
        """Rows answering for dims left open: the table's own 계 rows if it has them, else its detail rows."""
        if not dims:
            return self.rows
        tot = self.rows[(self.rows[dims] == "계").all(axis=1).to_numpy()]
        if not tot.empty:
            return tot
        base = self.detail[(self.detail[dims] != "계").all(axis=1).to_numpy()]
        if len(base) > 1:
            self.summed = "·".join(dims)
        return base

    def lookup(self) -> str:
        base = self.for_open(self.open)
        bodies = []
        for m in self.measures:
            (f,) = self.groups(base, m, [])
            body, d = self.c.lookup(f, self.ctx())
            self.derived += d
            bodies.append(body.split("\n")[0])
        self.query["open"] = self.open
        return self.c.finish(" ".join(bodies), self.facts, self.measures, self.summed)

    def total(self) -> str:
        over = [self.it.over] if self.it.over in self.open else self.open
        if not over:
            raise Abstain(
                "ambiguous", "합계를 낼 구분(예: 진료과목, 시도)이 질문에 이미 모두 정해져 있습니다.", self.t
            )
        base = self.detail[(self.detail[over] != "계").all(axis=1).to_numpy()]
        parts = self.groups(base, self.measures[0], over)
        if not parts:
            raise Abstain("entity", "해당 조건에 맞는 자료가 없습니다.", self.t)
        label = "·".join(over)
        text, d = self.c.total(
            [{**f, "dims": {**f["dims"], label: f["dims"].get(over[0])}} for f in parts], label, self.ctx()
        )
        self.derived += d
        self.query["over"] = over
        return text

    def ranking(self) -> str:
        over = self.p._over(self.it, self.open, self.ents, "ranking")
        base = self.detail[(self.detail[[over]] != "계").all(axis=1).to_numpy()]
        parts = self.groups(base, self.measures[0], [over])
        if len(parts) < 2:
            raise Abstain("entity", f"{T.dim_label(over)} 순위를 매길 자료가 부족합니다.", self.t)
        k = self.it.k or (1 if re.search(r"가장|제일|최다|최고|최대|최저|최소", self.it.text) else 3)
        text, d = self.c.ranking(parts, over, self.ctx(), k, self.it.lowest)
        self.derived += d
        self.summed = "·".join(x for x in self.open if x != over) or None
        self.query.update(over=over, k=k)
        return text

    def share(self) -> str:
        over = self.p._over(self.it, self.open, self.ents, "share")
        m, a_value = self.measures[0], self.ents[over][0]
        group = self.p._rows(self.t, {k: v for k, v in self.filters.items() if k != over})
        group = group[~group["_total"].to_numpy(dtype=bool)]
        parts = self.groups(group, m, [over])
        a = next((f for f in parts if f["dims"][over] == a_value), None)
        if a is None or sum(f["value"] for f in parts) <= 0:
            raise Abstain("entity", self.c.why_entity(over, a_value), self.t)
        text, d = self.c.share(a, parts, over, self.ctx(without=over))
        self.derived += d
        self.summed = (
            over
            if not self.t.measure(m)["additive"]
            else ("·".join(x for x in self.open if x != over) or None)
        )
        self.query["over"] = over
        return text

    def comparison(self) -> str:
        over = self.multi[0]
        a_v, b_v = self.ents[over][:2]
        parts = {f["dims"][over]: f for f in self.groups(self.for_open(self.open), self.measures[0], [over])}
        if a_v not in parts or b_v not in parts:
            raise Abstain("entity", self.c.why_entity(over, a_v if a_v not in parts else b_v), self.t)
        text, d = self.c.comparison(parts[a_v], parts[b_v], over, self.ctx(without=over))
        self.derived += d
        self.query["over"] = over
        return text

    def change(self) -> str:
        y1, y2 = self.years[0], self.years[-1]
        m = self.measures[0]
        parts = {int(f["dims"][YEAR]): f for f in self.groups(self.for_open(self.open), m, [YEAR])}
        if y1 not in parts or y2 not in parts:
            raise Abstain("entity", "두 해 모두에 해당하는 자료가 없습니다.", self.t)
        text, d = self.c.change(parts[y1], parts[y2], self.ctx(without=YEAR))
        self.derived += d
        if len(self.years) > 2:  # a trend: the whole series, then the change from first to last
            series = ", ".join(f"{y}년 {self.c.val(parts[y]['value'], m)}" for y in self.years if y in parts)
            text = (
                text.replace("\n", f"\n연도별: {series}\n", 1)
                if "\n" in text
                else f"{text}\n연도별: {series}"
            )
        return text

    def ratio(self) -> str:
        name = self.it.derived or "보험자부담률"
        a_m, b_m = DERIVED_FIGURES[name]
        base = self.for_open(self.open)
        (fa,) = self.groups(base, a_m, [])
        (fb,) = self.groups(base, b_m, [])
        if fb["value"] <= 0:
            raise Abstain("empty", f"{b_m}가 0이라 {name}을(를) 계산할 수 없습니다.", self.t)
        text, d = (
            self.c.insurer_rate(fa, fb, self.ctx())
            if name == "보험자부담률"
            else self.c.derived(name, fa, fb, self.ctx())
        )
        self.derived += d
        return text
