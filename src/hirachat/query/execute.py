"""The executor: a Query and its rows → facts, computed figures and wording. The only place numbers are
computed, for served answers and training data alike.

Dimensions the query leaves open are answered group by group from the table's own 계 rows where it
publishes them, otherwise summed (with the 환자수 over-count note). Every sum over several facts, every
formula step, rank and share is recorded as a derived figure with an id, so the grounding check can
recompute the whole chain.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd

from hirachat import korean as K
from hirachat.data.normalize import significant
from hirachat.data.schema import MONTH, QUARTER, YEAR
from hirachat.data.store import FactStore, TableInfo, quote_ident
from hirachat.numbers import format_percent
from hirachat.query.facts import Fact, fact_id
from hirachat.query.model import Abstain, Query
from hirachat.query.reply import Reply
from hirachat.query.wording import Composer, display_title
from hirachat.vocab import Vocab

PERIOD = (YEAR, QUARTER)


def select(rows: pd.DataFrame, dims: list[str], by: list[str] | None = None) -> pd.DataFrame:
    """The rows whose sum is the total over ``dims`` (per group of ``by``): the table's own 계 rows where
    it publishes them, otherwise the detail rows, decided group by group down the dimensions (a file
    may give 광역시 as one 계 row and provinces only by 시군구)."""
    if by:
        rows = rows[(rows[by] != "계").all(axis=1).to_numpy()]
    if not dims or rows.empty:
        return rows
    if not (rows[dims] == "계").to_numpy().any():
        return rows
    if by:
        parts = [select(g, dims) for _, g in rows.groupby(by, sort=False)]
        return pd.concat(parts) if parts else rows.iloc[0:0]
    tot = rows[(rows[dims] == "계").all(axis=1).to_numpy()]
    if not tot.empty:
        return tot
    d, rest = dims[0], dims[1:]
    parts = [select(g, rest) for _, g in rows[rows[d] != "계"].groupby(d, sort=False)]
    return pd.concat(parts) if parts else rows.iloc[0:0]


def _suppressed(rows: pd.DataFrame, m: str) -> pd.Series:
    """The rows whose ``m`` the file did not publish ('-'): blank and flagged as suppressed."""
    if "_suppressed" not in rows:
        return pd.Series(False, index=rows.index)
    flagged = rows["_suppressed"].map(lambda h: isinstance(h, str) and m in h.split(","))
    return rows[m].isna() & flagged.astype(bool)


class Executor:
    """Runs Queries on one store (or on rows a caller already holds, as the dataset generator does)."""

    def __init__(self, store: FactStore, vocab: Vocab) -> None:
        self.store = store
        self.vocab = vocab
        self.sources = {
            s.source_id: {"file": s.file_name, "sha256": s.sha256, "sheet": s.sheet} for s in store.sources()
        }
        self.twice = store.duplicates()  # (source, row) given twice in its file: the note to add

    def run(self, q: Query, t: TableInfo, c: Composer | None = None, rows: pd.DataFrame | None = None) -> Run:
        """Execute ``q`` on table ``t``; ``rows`` (already selected) skip the database."""
        filters = {**q.filters, **q.unions}
        if q.years:
            filters[YEAR] = q.years
        given = rows is not None
        rows = self.rows(t, filters) if rows is None else rows
        for d, vals in q.excluded.items():  # '약국은 빼고': those rows are not part of the answer
            rows = rows[~rows[d].astype(str).isin([str(v) for v in vals])]
        if rows.empty:
            raise Abstain("entity", "해당 조건에 맞는 자료가 없습니다.", t)
        r = Run(self, q, t, c or Composer(t), rows, whole=given)
        r.reply = {
            "lookup": r.lookup,
            "sum": r.total,
            "ranking": r.ranking,
            "share": r.share,
            "comparison": r.comparison,
            "change": r.change,
            "ratio": r.ratio,
            "derived": r.ratio,
        }[q.op]()
        r.twice(r.approximate(r.reply))
        if left := [str(v) for vals in q.excluded.values() for v in vals]:
            r.reply.add(
                "excluded",
                f"※ {', '.join(left)}{K.josa(left[-1], '은/는')[len(left[-1]) :]} 빼고 계산했습니다.",
            )
        return r

    def rows(self, t: TableInfo, filters: dict[str, list[Any]]) -> pd.DataFrame:
        where, args = [], []
        for d, vals in filters.items():
            where.append(f"{quote_ident(d)} IN ({', '.join('?' for _ in vals)})")
            args += list(vals)
        sql = f"SELECT * FROM {quote_ident(t.physical)}" + (f" WHERE {' AND '.join(where)}" if where else "")
        return self.store.con.execute(sql, args).df()

    def fact(self, t: TableInfo, row: pd.Series | dict[str, Any], m: str) -> Fact:
        dims = {d: (int(row[d]) if d == YEAR else str(row[d])) for d in t.dims}
        src = {**self.sources.get(row["_source"], {}), "row": int(row["_row"])}
        out: Fact = {
            "fact_id": fact_id(t.table_id, dims, m),
            "table_id": t.table_id,
            "dims": dims,
            "measure": m,
            "value": float(row[m]),
            "unit": t.measure(m)["unit"],
            "source": src,
        }
        if (note := self.twice.get((row["_source"], int(row["_row"])))) is not None:
            out["twice"] = note
        flagged = row.get("_approx")
        if isinstance(flagged, str) and m in flagged.split(","):
            out["approx"] = True
        return out

    def check_values(self, t: TableInfo, rows: pd.DataFrame, m: str) -> None:
        if rows.empty:
            return
        blank = rows[m].isna()
        if blank.any():
            if suppressed := int(_suppressed(rows, m).sum()):
                part = "" if suppressed == len(rows) else f" (필요한 {len(rows)}개 값 가운데 {suppressed}개)"
                raise Abstain(
                    "suppressed",
                    f"「{display_title(t)}」에서 해당 {m} 값은 공개되지 않은 값('-')입니다{part}. 원자료가 "
                    "작은 수 등을 공개하지 않아 이 값(또는 이 값을 포함한 합계)은 알 수 없습니다.",
                    t,
                )
            raise Abstain("empty", f"「{display_title(t)}」의 해당 {m} 값이 비어 있습니다.", t)

    def groups(
        self,
        t: TableInfo,
        rows: pd.DataFrame,
        m: str,
        by: list[str],
        derived: list[dict[str, Any]],
        facts: list[Fact],
    ) -> list[Fact]:
        """One fact per combination of ``by``: the stored fact, or a sum of the facts under it."""
        self.check_values(t, rows, m)
        out = []
        # rows as plain records, grouped in Python: far cheaper than a pandas group and row per fact
        cols = [*dict.fromkeys([*t.dims, m, "_source", "_row", "_approx"])]
        columns = [rows[c].tolist() for c in cols]  # column-wise conversion: fast for Arrow-backed text
        recs = [dict(zip(cols, vals, strict=True)) for vals in zip(*columns, strict=True)]
        buckets: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
        for rec in recs:
            buckets.setdefault(tuple(rec[b] for b in by), []).append(rec)
        for key in sorted(buckets):
            members = [self.fact(t, r, m) for r in buckets[key]]
            facts += members
            if len(members) == 1:
                out.append(members[0])
                continue
            dims: dict[str, Any] = {
                b: (int(v) if b == YEAR else str(v)) for b, v in zip(by, key, strict=True)
            }
            for d in t.dims:
                if d not in dims:
                    vals = {f["dims"][d] for f in members}
                    dims[d] = vals.pop() if len(vals) == 1 else "계"
            ids = [f["fact_id"] for f in members]
            agg_id = "sum:" + hashlib.sha1("|".join(ids).encode()).hexdigest()[:12]
            value = float(sum(f["value"] for f in members))
            derived.append({"op": "sum", "id": agg_id, "of": ids, "value": value})
            agg: Fact = {
                "fact_id": agg_id,
                "table_id": t.table_id,
                "dims": dims,
                "measure": m,
                "value": value,
                "unit": members[0]["unit"],
                "source": members[0]["source"],
            }
            if any(f.get("approx") for f in members):
                agg["approx"] = True
            out.append(agg)
        return out


class Run:
    """One query's execution: the rows, what is open, and the answer's facts, figures and reply."""

    def __init__(
        self, x: Executor, q: Query, t: TableInfo, c: Composer, rows: pd.DataFrame, whole: bool = False
    ) -> None:
        self.x, self.q, self.t, self.c, self.rows = x, q, t, c, rows
        c.rough = set()  # a composer may serve many runs (the generator's): this run's rounded figures only
        self.whole = whole  # the caller's rows are the whole group (a share's denominator too)
        self.measures = q.measures
        self.reply = Reply("")
        self.open = [d for d in t.dims if d not in PERIOD and d not in q.filters and d not in q.unions]
        self.derived: list[dict[str, Any]] = []
        self.facts: list[Fact] = []
        self.query: dict[str, Any] = {}
        self.summed: str | None = None  # dims summed over, for the 환자수 note
        ctx_dims: dict[str, Any] = {d: v[0] for d, v in q.filters.items() if len(v) == 1 and d != YEAR}
        for d, vals in q.unions.items():
            ctx_dims[d] = q.labels.get(d, "·".join(vals))
        years = q.years
        if not years and YEAR in rows:
            years = sorted({int(y) for y in rows[YEAR].unique()})
        if len(years) == 1:
            ctx_dims[YEAR] = years[0]
        if QUARTER in t.dims and QUARTER not in ctx_dims and rows[QUARTER].nunique() == 1:
            ctx_dims[QUARTER] = str(rows[QUARTER].iloc[0])
        self.ctx_dims = ctx_dims
        self.years = years

    def ctx(self, without: str | None = None) -> str:
        return K.entity({k: v for k, v in self.ctx_dims.items() if k != without}) or "전체"

    def groups(self, rows: pd.DataFrame, m: str, by: list[str]) -> list[Fact]:
        out = self.x.groups(self.t, rows, m, by, self.derived, self.facts)
        self.c.rough.update(f["value"] for f in out if f.get("approx"))  # written "약 …" wherever stated
        return out

    def for_open(
        self, dims: list[str], by: list[str] | None = None, rows: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Rows answering for dims left open (per group of ``by``); notes when a sum over them was needed."""
        base = select(self.rows if rows is None else rows, dims, by)
        if dims and len(base) > 1 and (not by or bool(base.duplicated(subset=by).any())):
            self.summed = "·".join(dims)  # some answer sums several rows
        return base

    def finish(self, reply: Reply) -> Reply:
        """The 환자수 over-count note where a non-additive measure was summed (once)."""
        if (
            self.summed
            and any(not self.t.measure(m)["additive"] for m in self.measures)
            and not reply.has("overcount")
        ):
            reply.add("overcount", self.c.overcount(self.summed))
        return reply

    def approximate(self, reply: Reply) -> Reply:
        """Values the file holds rounded (1.79E+11, or 102582000000 in a band of such) and sums over them
        were written "약 …" by the composer; the note says how precise the source is: never quoted as exact."""
        rough = [f for f in self.facts if f.get("approx")]
        if not rough:
            return reply
        example = min(rough, key=lambda f: significant(f["value"]))["value"]
        return reply.add(
            "approximate",
            f"※ 원자료에 일부 값이 반올림된 채 기록되어 있어(예: {example:,.0f}, 엑셀 표기 손상) "
            "'약'을 붙인 값과 그 값으로 계산한 결과는 근사값입니다.",
        )

    def twice(self, reply: Reply) -> Reply:
        """A key the file gives twice with different figures: which rows, and which one this answer used."""
        notes = list(dict.fromkeys(f["twice"] for f in self.facts if "twice" in f))
        for note in notes[:3]:
            reply.add("duplicate", note)
        if len(notes) > 3:
            reply.add("duplicate", f"※ 같은 방식으로 중복된 항목 {len(notes) - 3}건 더.")
        return reply

    def lookup(self) -> Reply:
        base = self.for_open(self.open)
        bodies = []
        for m in self.measures:
            (f,) = self.groups(base, m, [])
            reply, d = self.c.lookup(f, self.ctx())
            self.derived += d
            bodies.append(reply.body)
        self.query["open"] = self.open
        return self.c.finish(" ".join(bodies), self.facts, self.measures, self.summed)

    def total(self) -> Reply:
        over = self.q.over or self.open
        if not over and self.q.unions:  # '0~19세 합계': the bands asked are summed as one figure already
            return self.lookup()
        if not over:
            raise Abstain(
                "ambiguous", "합계를 낼 구분(예: 진료과목, 시도)이 질문에 이미 모두 정해져 있습니다.", self.t
            )
        base = self.for_open([d for d in self.open if d not in over], over)
        parts = self.groups(base, self.measures[0], over)
        if not parts:
            raise Abstain("entity", "해당 조건에 맞는 자료가 없습니다.", self.t)
        label = "·".join(over)
        reply, d = self.c.total(
            [{**f, "dims": {**f["dims"], label: f["dims"].get(over[0])}} for f in parts], label, self.ctx()
        )
        self.derived += d
        self.query["over"] = over
        return reply

    def ranking(self) -> Reply:
        over = self.q.over[0]
        base = self.for_open([d for d in self.open if d != over], [over])
        self.summed = None
        base, blank = self.filled(base, self.measures[0], over)
        base, hidden = self.published(base, self.measures[0], over)
        parts = self.groups(base, self.measures[0], [over])
        if len(parts) < 2:
            raise Abstain("entity", f"{K.dim_label(over)} 순위를 매길 자료가 부족합니다.", self.t)
        if self.q.at is not None:  # '7위는?': the row at that place, or why there is none
            at = self.c.rank_at(parts, over, self.ctx(), self.q.at, self.q.lowest)
            if at is None:
                more = "" if self.q.at <= len(parts) else f" 순위는 {len(parts)}위까지입니다."
                raise Abstain(
                    "entity",
                    f"{K.dim_label(over)} {self.q.at}위에 해당하는 자료가 없습니다.{more}",
                    self.t,
                    [float(len(parts)), float(self.q.at)],
                )
            reply, d = at
        else:
            reply, d = self.c.ranking(parts, over, self.ctx(), self.q.k, self.q.lowest)
        if hidden:
            listed = ", ".join(hidden[:5]) + (f" 외 {len(hidden) - 5}개" if len(hidden) > 5 else "")
            reply.add(
                "suppressed",
                f"※ 값이 공개되지 않은('-') {K.dim_label(over)} {len(hidden)}개({listed})는 순위에서 뺐습니다.",
            )
        if blank:
            listed = ", ".join(blank[:5]) + (f" 외 {len(blank) - 5}개" if len(blank) > 5 else "")
            reply.add(
                "suppressed",
                f"※ 값이 비어 있는 {K.dim_label(over)} {len(blank)}개({listed})는 순위에서 뺐습니다.",
            )
        self.derived += d
        summed = bool(base[over].duplicated().any())  # a code's own rank and name are not summed over
        self.summed = ("·".join(x for x in self.open if x != over) or None) if summed else None
        self.query.update(over=over, k=self.q.k)
        return reply

    def filled(self, rows: pd.DataFrame, m: str, over: str) -> tuple[pd.DataFrame, list[str]]:
        """A ranking over the groups whose cells hold a value: groups with a blank cell (not a '-') are
        left out and named, never a reason to refuse the whole ranking. The lowest is refused (a blank may
        be the least), and so is a ranking where blanks are most of the groups."""
        empty = rows[m].isna() & ~_suppressed(rows, m)
        if not empty.any():
            return rows, []
        blank = sorted({str(v) for v in rows.loc[empty, over]})
        kept = rows[~rows[over].astype(str).isin(blank)]
        if self.q.lowest or kept[over].nunique() < max(2, len(blank)):
            self.x.check_values(self.t, rows, m)  # refuses, naming the blank cells
        return kept, blank

    def published(self, rows: pd.DataFrame, m: str, over: str) -> tuple[pd.DataFrame, list[str]]:
        """A ranking over the values the file publishes: the groups holding a suppressed ('-') cell are
        left out and named. Never for the lowest (an unpublished count is likely among them) or when
        most groups are unpublished: then the ranking is refused."""
        hidden_rows = _suppressed(rows, m)
        if not hidden_rows.any():
            return rows, []
        hidden = sorted({str(v) for v in rows.loc[hidden_rows, over]})
        kept = rows[~rows[over].astype(str).isin(hidden)]
        if self.q.lowest or kept[over].nunique() < max(2, len(hidden)):
            self.x.check_values(self.t, rows, m)  # refuses, naming the unpublished cells
        return kept, hidden

    def share(self) -> Reply:
        over = self.q.over[0]
        if over not in self.q.filters:
            return self.distribution()
        m, a_value = self.measures[0], self.q.filters[over][0]
        filters = {k: v for k, v in {**self.q.filters, **self.q.unions}.items() if k != over}
        if self.years:
            filters[YEAR] = self.years
        group = self.rows if self.whole else self.x.rows(self.t, filters)
        others = [d for d in self.open if d != over]
        totals = select(group[group[over].astype(str) == "계"], others)  # the file's own total row
        whole = self.groups(totals, m, [over])[0] if len(totals) == 1 else None
        group = self.for_open(others, [over], group)
        parts = self.groups(group, m, [over])
        a = next((f for f in parts if f["dims"][over] == a_value), None)
        if a is None or (whole is None and sum(f["value"] for f in parts) <= 0):
            raise Abstain("entity", self.c.why_entity(over, a_value), self.t)
        reply, d = self.c.share(a, parts, over, self.ctx(without=over), whole)
        self.derived += d
        additive = self.t.measure(m)["additive"]
        self.summed = None if whole is not None else (("·".join(others) or None) if additive else over)
        self.query["over"] = over
        return reply

    def distribution(self) -> Reply:
        """The share of every value of an open dimension ('J20 남녀 비율'), within the filtered group."""
        over, m = self.q.over[0], self.measures[0]
        base = self.for_open([d for d in self.open if d != over], [over])
        parts = [f for f in self.groups(base, m, [over]) if f["dims"][over] != "계"]
        if len(parts) < 2 or sum(f["value"] for f in parts) <= 0:
            raise Abstain("entity", f"{K.dim_label(over)}별로 나눌 자료가 부족합니다.", self.t)
        reply, d = self.c.distribution(parts, over, self.ctx())
        self.derived += d
        self.summed = "·".join(x for x in self.open if x != over) or None
        self.query["over"] = over
        return reply

    def comparison(self) -> Reply:
        over = self.q.over[0]
        a_v, b_v = self.q.filters[over][:2]
        parts = {
            f["dims"][over]: f
            for f in self.groups(self.for_open(self.open, [over]), self.measures[0], [over])
        }
        if a_v not in parts or b_v not in parts:
            raise Abstain("entity", self.c.why_entity(over, a_v if a_v not in parts else b_v), self.t)
        reply, d = self.c.comparison(parts[a_v], parts[b_v], over, self.ctx(without=over))
        self.derived += d
        if self.q.percent and parts[b_v]["value"]:
            pct = parts[a_v]["value"] / parts[b_v]["value"]
            self.derived.append(
                {"op": "ratio", "of": [parts[a_v]["fact_id"], parts[b_v]["fact_id"]], "value": pct}
            )
            said = f"{K.josa(K.value_phrase(over, a_v), '은/는')} {K.value_phrase(over, b_v)}의 {format_percent(pct)}입니다."
            reply.insert_line(said)
        self.query["over"] = over
        return reply

    def change(self) -> Reply:
        m = self.measures[0]
        if self.q.over == [MONTH]:  # '1월 대비 12월': from the first month asked to the second
            a, b = self.q.filters[MONTH][:2]
            months = {
                str(f["dims"][MONTH]): f for f in self.groups(self.for_open(self.open, [MONTH]), m, [MONTH])
            }
            if a not in months or b not in months:
                raise Abstain("entity", "두 달 모두에 해당하는 자료가 없습니다.", self.t)
            reply, d = self.c.change(months[a], months[b], self.ctx(without=MONTH), MONTH, self.q.times)
            self.derived += d
            self.query["over"] = [MONTH]
            return reply
        y1, y2 = self.years[0], self.years[-1]
        parts = {int(f["dims"][YEAR]): f for f in self.groups(self.for_open(self.open, [YEAR]), m, [YEAR])}
        if y1 not in parts or y2 not in parts:
            raise Abstain("entity", "두 해 모두에 해당하는 자료가 없습니다.", self.t)
        reply, d = self.c.change(parts[y1], parts[y2], self.ctx(without=YEAR), times=self.q.times)
        self.derived += d
        if len(self.years) > 2:  # a trend: the whole series, then the change from first to last
            series = ", ".join(f"{y}년 {self.c.val(parts[y]['value'], m)}" for y in self.years if y in parts)
            gaps = [y for y in range(y1, y2 + 1) if y not in parts]
            if gaps:
                series += f" ({', '.join(f'{y}년' for y in gaps)} 자료 없음)"
            reply.insert_line(f"연도별: {series}")
            reply.citation = self.c.cite([parts[y] for y in sorted(parts)])  # every year the series states
        return reply

    def _evaluate(self, facts: dict[str, Fact]) -> tuple[float, list[tuple[str, float]]]:
        """The question's formula over one group's facts (nested formulas recorded as derived figures):
        (value, [(input name, input value)])."""
        f = self.q.formula
        assert f is not None
        memo: dict[str, tuple[float, str]] = {}

        def value(name: str) -> tuple[float, str]:
            if name not in memo:
                if name in self.q.resolved:
                    fact = facts[self.q.resolved[name]]
                    memo[name] = (float(fact["value"]), fact["fact_id"])
                else:
                    g = self.x.vocab.formula(name)
                    assert g is not None
                    memo[name] = combine(name, g.op, g.a, g.b)
            return memo[name]

        def combine(name: str, op: str, a: str, b: str, scale: float = 1.0) -> tuple[float, str]:
            (va, ia), (vb, ib) = value(a), value(b)
            if op == "ratio" and vb == 0:
                raise Abstain("empty", f"{b}이(가) 0이라 {name}을(를) 계산할 수 없습니다.", self.t)
            v = va - vb if op == "diff" else va / vb
            fid = f"{op}:" + hashlib.sha1(f"{ia}|{ib}".encode()).hexdigest()[:12]
            self.derived.append({"op": op, "id": fid, "of": [ia, ib], "value": v * scale})
            return v, fid

        # a percent is recorded as shown (×100): the grounding check then finds the figure the answer states
        result, _ = combine(self.q.figure or "", f["op"], f["a"], f["b"], 100.0 if f.get("percent") else 1.0)
        return result, [(name, value(name)[0]) for name in (f["a"], f["b"])]

    def ratio(self) -> Reply:
        """A figure computed by formula from this table's measures (ratio or difference, nested); ranked
        over a dimension when the question ranks it ('1인당 진료비가 가장 높은 시도')."""
        f = self.q.formula
        assert f is not None
        self.query["formula"] = f
        unit, percent = self._unit(f), bool(f.get("percent"))
        if self.q.ranked:
            return self._ranked(unit, percent)
        base = self.for_open(self.open)
        nonadd = [m for m in self.measures if not self.t.measure(m)["additive"]]
        if (
            self.summed and nonadd
        ):  # '전 과목 통틀어 1인당 진료비': 환자수 summed over 진료과목 is no head count
            raise Abstain(
                "dimension",
                f"{self.q.figure or '이 값'}에 필요한 {nonadd[0]}는 여러 {K.dim_label(self.summed)}에 걸쳐 더할 수 "
                f"없습니다(한 사람이 여러 {K.dim_label(self.summed)}에 포함됨). {K.josa(K.dim_label(self.summed), '을/를')} 하나 정해 "
                "물어봐 주세요.",
                self.t,
            )
        facts: dict[str, Fact] = {}
        for m in self.measures:
            (facts[m],) = self.groups(base, m, [])
        result, parts = self._evaluate(facts)
        body = self.c.formula(self.q.figure or "", result, f["op"], parts, unit, percent, self.ctx())
        return self.c.finish(body, self.facts, self.measures, self.summed)

    def _ranked(self, unit: str | None, percent: bool) -> Reply:
        over = self.q.over[0]
        base = self.for_open([d for d in self.open if d != over], [over])
        by_value: dict[str, dict[str, Fact]] = {}
        for m in self.measures:
            for fact in self.groups(base, m, [over]):
                by_value.setdefault(str(fact["dims"][over]), {})[m] = fact
        scored = []
        for v, facts in by_value.items():
            if len(facts) == len(self.measures):
                try:
                    scored.append((v, self._evaluate(facts)[0]))
                except Abstain:
                    continue
        if len(scored) < 2:
            raise Abstain("entity", f"{K.dim_label(over)} 순위를 매길 자료가 부족합니다.", self.t)
        k = self.q.k
        body = self.c.formula_ranking(
            self.q.figure or "", scored, over, self.ctx(), k, self.q.lowest, unit, percent
        )
        ids = [fact["fact_id"] for facts in by_value.values() for fact in facts.values()]
        self.derived += [{"op": "rank", "of": ids, "value": i + 1} for i in range(min(k, len(scored)))]
        self.query.update(over=over, k=k)
        return self.c.finish(body, self.facts, self.measures, self.summed)

    def _unit(self, f: dict[str, Any]) -> str | None:
        """The result's unit: a difference keeps its measures' unit; money per person/claim/day stays 원."""

        def unit(name: str) -> str | None:
            if name in self.q.resolved:
                return self.t.measure(self.q.resolved[name])["unit"]
            g = self.x.vocab.formula(name)
            return g.unit if g is not None else None

        if f["op"] == "diff":
            return unit(f["a"])
        if f.get("percent"):
            return "%"
        ua, ub = unit(f["a"]), unit(f["b"])
        return "배" if ua == ub else ua
