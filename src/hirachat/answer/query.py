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
from hirachat.answer.lexicon import DERIVED_INPUTS, Lexicon
from hirachat.answer.understand import Intent
from hirachat.data.schema import QUARTER, YEAR
from hirachat.data.store import FactStore, TableInfo
from hirachat.data.vocab import TERMS
from hirachat.dataset import templates as T
from hirachat.dataset.records import Fact, fact_id

PERIOD = (YEAR, QUARTER)
MAX_SUMMED = 100_000  # facts in one answer's sources before we summarise instead of listing


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
            {"table": f["table_id"], "file": f["source"].get("file"), "sheet": f["source"].get("sheet"),
             "row": f["source"].get("row"), "measure": f["measure"], "value": f["value"], "unit": f["unit"],
             "dims": f["dims"]}
            for f in self.facts
        ]


class Abstain(Exception):
    def __init__(self, reason: str, text: str, table: TableInfo | None = None, extra: list[float] | None = None):
        super().__init__(text)
        self.reason, self.text, self.table, self.extra = reason, text, table, extra or []


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Planner:
    """Answers intents from one store. Build once; ``answer`` is cheap."""

    def __init__(self, store: FactStore, lex: Lexicon) -> None:
        self.store = store
        self.lex = lex
        self.sources = {s.source_id: {"file": s.file_name, "sha256": s.sha256, "sheet": s.sheet} for s in store.sources()}

    # ---- entry point ---------------------------------------------------------------------------
    def answer(self, it: Intent) -> Answer:
        if it.qtype == "definition" and it.term:
            text = f"{it.term}: {TERMS[it.term]}\n출처: 건강보험심사평가원 통계 용어 설명"
            return Answer(it.text, text, False, "definition", query={"op": "define", "term": it.term},
                          strip=[it.term], extra=[])
        try:
            table, ents = self._table(it)
            return self._run(it, table, ents)
        except Abstain as a:
            c = Composer(a.table) if a.table else None
            text = c.unanswerable(a.text) if c else f"죄송하지만 해당 질문에 답할 자료가 없습니다. {a.text}"
            return Answer(it.text, text, True, it.qtype, a.table.table_id if a.table else None,
                          query={"op": "abstain", "reason": a.reason, **it.as_dict()}, reason=a.reason,
                          extra=[*a.extra, *it.years], strip=[a.table.title.replace("_", " ")] if a.table else [])

    # ---- planning ------------------------------------------------------------------------------
    def _needed(self, it: Intent) -> list[str]:
        if it.derived:
            return list(DERIVED_INPUTS[it.derived])
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

    def _diagnose(self, it: Intent, needed: list[str]) -> Abstain:
        """Why no table can answer: the measure, a dimension, or a value is missing."""
        with_measure = [t for t in self.lex.tables.values() if set(needed) <= set(t.measure_names)]
        if needed and not with_measure:
            t = max(self.lex.tables.values(), key=lambda x: sum(e.dim in x.dims for e in it.entities), default=None)
            missing = next(m for m in needed if not t or m not in t.measure_names)
            return Abstain("measure", Composer(t).why_measure(missing) if t else f"{missing} 항목이 있는 자료가 없습니다.", t)
        pool = with_measure or list(self.lex.tables.values())
        if not pool:
            return Abstain("ambiguous", "저장소에 표가 없습니다.", None)

        def usable(t: TableInfo, e: Any) -> bool:
            return e.dim in t.dims and self.lex.has_value(t.table_id, e.dim, e.value)

        # the table that can use the most of what was asked, and the first thing it cannot use
        t = max(pool, key=lambda x: (sum(usable(x, e) for e in it.entities), -len(x.dims)))
        for e in it.entities:
            if any(usable(t, x) for x in it.entities if (x.start, x.end) == (e.start, e.end) and x.start >= 0):
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
            years = have[-2:]
        else:
            years = sorted(set(it.years))
        for y in years:
            if y not in have:
                raise Abstain("year", Composer(t).why_year(y, have), t, [float(x) for x in have])
            for m in measures:
                periods = self.lex.measure_periods[t.table_id].get(m, [])
                if str(y) not in {p[:4] for p in periods}:
                    raise Abstain("drift", Composer(t).why_drift(m, y, periods), t,
                                  [float(p[:4]) for p in periods])
        if not years:
            latest = [y for y in have if all(str(y) in {p[:4] for p in self.lex.measure_periods[t.table_id].get(m, [])} for m in measures)]
            years = [latest[-1] if latest else have[-1]]
        return years

    # ---- execution -----------------------------------------------------------------------------
    def _rows(self, t: TableInfo, filters: dict[str, list[Any]]) -> pd.DataFrame:
        where, args = [], []
        for d, vals in filters.items():
            where.append(f"{_q(d)} IN ({', '.join('?' for _ in vals)})")
            args += list(vals)
        sql = f"SELECT * FROM {_q(t.physical)}" + (f" WHERE {' AND '.join(where)}" if where else "")
        return self.store.con.execute(sql, args).df()

    def _fact(self, t: TableInfo, row: pd.Series, m: str) -> Fact:
        dims = {d: (int(row[d]) if d == YEAR else str(row[d])) for d in t.dims}
        src = {**self.sources.get(row["_source"], {}), "row": int(row["_row"])}
        return {"fact_id": fact_id(t.table_id, dims, m), "table_id": t.table_id, "dims": dims, "measure": m,
                "value": float(row[m]), "unit": t.measure(m)["unit"], "source": src}

    def _check_values(self, t: TableInfo, rows: pd.DataFrame, m: str) -> None:
        if rows.empty:
            return
        if rows[m].isna().any():
            raise Abstain("empty", f"「{t.title.replace('_', ' ')}」의 해당 {m} 값이 비어 있습니다.", t)
        if rows["_approx"].fillna("").str.contains(m, regex=False).any():
            raise Abstain("approximate", f"「{t.title.replace('_', ' ')}」의 해당 {m} 값이 지수 표기로 손상되어 "
                          "정확한 값을 알 수 없습니다.", t)

    def _groups(self, t: TableInfo, rows: pd.DataFrame, m: str, by: list[str],
                derived: list[dict[str, Any]], facts: list[Fact]) -> list[Fact]:
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
            out.append({"fact_id": agg_id, "table_id": t.table_id, "dims": dims, "measure": m, "value": value,
                        "unit": members[0]["unit"], "source": members[0]["source"]})
        return out

    def _run(self, it: Intent, t: TableInfo, ents: dict[str, list[str]]) -> Answer:
        c = Composer(t)
        measures = self._needed(it) or list(t.measure_names)
        years = self._periods(it, t, measures)
        filters: dict[str, list[Any]] = {d: list(v) for d, v in ents.items()}
        if years:
            filters[YEAR] = years
        if it.quarter and QUARTER in t.dims:
            filters[QUARTER] = [it.quarter]
        open_dims = [d for d in t.dims if d not in PERIOD and d not in ents]
        multi = [d for d, v in ents.items() if len(v) >= 2]
        qtype = it.qtype
        if multi and qtype in ("lookup", "sum", "ranking", "share"):
            qtype = "comparison"
        if len(years) >= 2 and qtype in ("lookup", "comparison") and not multi:
            qtype = "change"
        if qtype == "comparison" and not multi:
            qtype = "lookup"
        rows = self._rows(t, filters)
        if rows.empty:
            raise Abstain("entity", c.why_entity(*next(iter(ents.items()), ("", [""]))[:1], "해당 조건") if ents
                          else "해당 조건의 자료가 없습니다.", t)
        detail = rows[~rows["_total"].to_numpy(dtype=bool)]
        derived: list[dict[str, Any]] = []
        facts: list[Fact] = []
        ctx_dims: dict[str, Any] = {d: v[0] for d, v in ents.items() if len(v) == 1}
        if len(years) == 1:
            ctx_dims[YEAR] = years[0]
        if it.quarter:
            ctx_dims[QUARTER] = it.quarter
        elif QUARTER in t.dims and rows[QUARTER].nunique() == 1:
            ctx_dims[QUARTER] = str(rows[QUARTER].iloc[0])
        ctx = T.entity(ctx_dims) or "전체"
        summed_note: str | None = None
        query: dict[str, Any] = {"table": t.table_id, "op": qtype, "filters": filters, "measures": measures}

        def rows_for_open(dims_open: list[str]) -> pd.DataFrame:
            """Rows answering for dims left open: the table's own 계 rows if it has them, else the detail rows."""
            if not dims_open:
                return rows
            tot = rows[(rows[dims_open] == "계").all(axis=1).to_numpy()]
            return tot if not tot.empty else detail[(detail[dims_open] != "계").all(axis=1).to_numpy()]

        if qtype == "lookup":
            base = rows_for_open(open_dims)
            texts = []
            for m in measures:
                (f,) = self._groups(t, base, m, [], derived, facts) or [None]  # type: ignore[list-item]
                if f is None:
                    raise Abstain("entity", "해당 조건의 자료가 없습니다.", t)
                body, d = c.lookup(f, ctx)
                derived += d
                texts.append(body.split("\n")[0])
            if len(base) > 1 and not (base[open_dims] == "계").all(axis=None):
                summed_note = "·".join(open_dims)
            text = c.finish(" ".join(texts), facts, measures, summed_note)
            query["open"] = open_dims
        elif qtype == "sum":
            over = [it.over] if it.over in open_dims else open_dims
            if not over:
                raise Abstain("ambiguous", "합계를 낼 구분(예: 진료과목, 시도)이 질문에 이미 모두 정해져 있습니다.", t)
            base = detail[(detail[over] != "계").all(axis=1).to_numpy()]
            m = measures[0]
            parts = self._groups(t, base, m, over[:1], derived, facts) if len(over) == 1 else self._groups(t, base, m, over, derived, facts)
            if not parts:
                raise Abstain("entity", "해당 조건의 자료가 없습니다.", t)
            label = "·".join(over)
            text, d = c.total([{**p, "dims": {**p["dims"], label: p["dims"].get(over[0])}} for p in parts], label, ctx)
            derived += d
            query["over"] = over
        elif qtype in ("ranking", "share"):
            over_dim = self._over(it, open_dims, ents, qtype)
            m = measures[0]
            if qtype == "share":
                a_value = ents[over_dim][0]
                group_rows = self._rows(t, {k: v for k, v in filters.items() if k != over_dim})
                group_rows = group_rows[~group_rows["_total"].to_numpy(dtype=bool)]
                other_open = [d for d in open_dims if d != over_dim]
                parts = self._groups(t, group_rows, m, [over_dim], derived, facts)
                a = next((p for p in parts if p["dims"][over_dim] == a_value), None)
                if a is None or sum(p["value"] for p in parts) <= 0:
                    raise Abstain("entity", c.why_entity(over_dim, a_value), t)
                share_ctx = T.entity({k: v for k, v in ctx_dims.items() if k != over_dim}) or "전체"
                text, d = c.share(a, parts, over_dim, share_ctx)
                summed_note = over_dim if not t.measure(m)["additive"] else ("·".join(other_open) or None)
            else:
                base = detail[(detail[[over_dim]] != "계").all(axis=1).to_numpy()]
                parts = self._groups(t, base, m, [over_dim], derived, facts)
                if len(parts) < 2:
                    raise Abstain("entity", f"{T.dim_label(over_dim)} 순위를 매길 자료가 부족합니다.", t)
                k = it.k or (1 if re.search(r"가장|제일|최다|최고|최대|최저|최소", it.text) else 3)
                text, d = c.ranking(parts, over_dim, ctx, k, it.lowest)
                other_open = [x for x in open_dims if x != over_dim]
                summed_note = "·".join(other_open) or None
                query["k"] = k
            derived += d
            query["over"] = over_dim
        elif qtype == "comparison":
            over_dim = multi[0]
            a_v, b_v = ents[over_dim][:2]
            other_open = open_dims
            base = rows_for_open(other_open)
            m = measures[0]
            parts = {p["dims"][over_dim]: p for p in self._groups(t, base, m, [over_dim], derived, facts)}
            if a_v not in parts or b_v not in parts:
                raise Abstain("entity", c.why_entity(over_dim, a_v if a_v not in parts else b_v), t)
            cmp_ctx = T.entity({k: v for k, v in ctx_dims.items() if k != over_dim}) or "전체"
            text, d = c.comparison(parts[a_v], parts[b_v], over_dim, cmp_ctx)
            derived += d
            summed_note = "·".join(other_open) if len(base) > 2 and not (base[other_open] == "계").all(axis=None) else None
            query["over"] = over_dim
        elif qtype == "change":
            y1, y2 = years[0], years[-1]
            base = rows_for_open(open_dims)
            m = measures[0]
            parts = {int(p["dims"][YEAR]): p for p in self._groups(t, base, m, [YEAR], derived, facts)}
            if y1 not in parts or y2 not in parts:
                raise Abstain("entity", "두 해 모두에 해당하는 자료가 없습니다.", t)
            ent = T.entity({k: v for k, v in ctx_dims.items() if k != YEAR}) or "전체"
            text, d = c.change(parts[y1], parts[y2], ent)
            derived += d
            summed_note = "·".join(open_dims) if len(base) > 2 and not (base[open_dims] == "계").all(axis=None) else None
        elif qtype in ("ratio", "derived"):
            name = it.derived or "보험자부담률"
            a_m, b_m = DERIVED_INPUTS[name]
            base = rows_for_open(open_dims)
            (fa,) = self._groups(t, base, a_m, [], derived, facts)
            (fb,) = self._groups(t, base, b_m, [], derived, facts)
            if fb["value"] <= 0:
                raise Abstain("empty", f"{b_m}가 0이라 {name}을 계산할 수 없습니다.", t)
            if name == "보험자부담률":
                text, d = c.insurer_rate(fa, fb, ctx)
            else:
                text, d = c.derived(name, fa, fb, ctx)
            derived += d
            summed_note = "·".join(open_dims) if len(base) > 1 and not (base[open_dims] == "계").all(axis=None) else None
        else:
            raise Abstain("ambiguous", "질문 유형을 알 수 없습니다.", t)
        if summed_note and any(not t.measure(m)["additive"] for m in measures) and "환자수는 한 사람이" not in text:
            note = c.notes([m for m in measures if not t.measure(m)["additive"]], summed_note).split("\n")[0]
            text = text.replace("\n출처:", f"\n{note}\n출처:", 1)
        query["years"] = years
        return Answer(it.text, text, False, qtype, t.table_id, facts, derived, query,
                      extra=[float(y) for y in years], strip=[c.title])

    def _over(self, it: Intent, open_dims: list[str], ents: dict[str, list[str]], qtype: str) -> str:
        if qtype == "share":
            singles = [d for d, v in ents.items() if len(v) == 1 and d not in PERIOD]
            if it.over in singles:
                return it.over
            if not singles:
                raise Abstain("ambiguous", "비중을 구할 대상(예: 특정 시도나 진료과목)이 질문에 없습니다.", None)
            return singles[-1]
        if it.over in open_dims:
            return it.over
        if len(open_dims) == 1:
            return open_dims[0]
        if not open_dims:
            raise Abstain("ambiguous", "순위를 매길 구분(예: 진료과목, 시도)이 질문에 없습니다.", None)
        return open_dims[0]
