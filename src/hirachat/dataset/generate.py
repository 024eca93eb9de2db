"""Facts → Korean QA pairs: one generator per question type, each a sampled Query run by the executor.

For every table in the store, paraphrase groups are sampled per type (lookup, sum, ranking,
comparison, change, ratio/share, derived, unanswerable; definitions once, from the glossary). A group
is one ``Query`` over real rows, run through ``hirachat.query.execute`` (the same executor that answers
users, so training data and served answers compute every number in one place), worded in several ways. Each pair carries the facts, the derived figures and the query,
so the numeric-consistency check (``clean``) can recompute every number independently.

Leakage: each table has a partition dimension (its most varied one, 주상병코드 say); aggregates are
built only *within* one partition value so that a split by partition value keeps facts disjoint.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hirachat import korean as K
from hirachat.config import BuildConfig
from hirachat.data.schema import QUARTER, YEAR
from hirachat.data.store import FactStore, TableInfo
from hirachat.data.vocab import DERIVED_FIGURES, MEASURE_BY_NAME, SIDO_FULL, TERMS
from hirachat.dataset import templates as T
from hirachat.dataset.records import PREVIOUS, QARecord, group_id, record
from hirachat.query.cards import card, fact_cards
from hirachat.query.execute import Executor
from hirachat.query.facts import Fact, fact_id
from hirachat.query.model import Abstain, Query
from hirachat.query.reply import DEFINITION_SOURCE, Reply
from hirachat.query.wording import Composer, display_title
from hirachat.vocab import current

PERIOD_DIMS = (YEAR, QUARTER)
MAX_CONTEXT_FACTS = 30  # larger groups (a sum over 50 departments) train without fact cards
DERIVED = [  # name, numerator, denominator, op (보험자부담률 is asked as a ratio question)
    (name, a, b, "diff" if name == "본인부담금" else "ratio")
    for name, (a, b) in DERIVED_FIGURES.items()
    if name != "보험자부담률"
]
OTHER_DEPTS = ("결핵과", "핵의학과", "직업환경의학과", "예방의학과", "구강내과", "방사선종양학과")


@dataclass
class Group:
    """One structured query with its answer: the unit of paraphrase and of splitting."""

    qtype: str
    table_id: str
    query: dict[str, Any]
    slots: dict[str, Any]
    answer: Reply  # the target in parts; a record stores it rendered and as parts
    facts: list[Fact] = field(default_factory=list)
    derived: list[dict[str, Any]] = field(default_factory=list)
    available: dict[str, Any] = field(default_factory=dict)
    partition: str | None = None  # partition value all facts share (None: no facts)
    context: list[str] = field(default_factory=list)  # fact cards for a retrieval-style prompt
    context_ids: list[str] = field(default_factory=list)  # the facts those cards show


@dataclass
class TableView:
    info: TableInfo
    df: pd.DataFrame
    sources: dict[str, dict[str, Any]]
    measure_periods: dict[str, list[str]]
    partition: list[str]  # columns whose values together form the partition key
    free_dims: list[str]
    years: list[int]

    @property
    def title(self) -> str:
        return display_title(self.info)

    def category(self) -> str:
        t = self.info.title
        if "상병" in t or "kcd" in t.lower() or "주상병코드" in self.info.dims:
            return "질병"
        if "행위" in t or "행위코드" in self.info.dims:
            return "진료행위"
        if "기관수" in self.info.measure_names:
            return "요양기관"
        return "진료비"


def load_view(store: FactStore, info: TableInfo) -> TableView:
    df = store.frame(info.table_id)
    src = {
        s.source_id: {"file": s.file_name, "sha256": s.sha256, "sheet": s.sheet}
        for s in store.sources(info.table_id)
    }
    cats = [d for d in info.dims if d not in PERIOD_DIMS]
    detail = df[~df["_total"]]
    card = {d: detail[d].nunique() for d in cats}
    top = max(cats, key=lambda d: card[d]) if cats else None
    # 시군구 names repeat across 시도 (중구, 고성군): the pair is the unit
    partition = ["시도", "시군구"] if top == "시군구" and "시도" in cats else ([top] if top else [])
    free = [d for d in cats if d not in partition and card[d] >= 2]
    years = sorted(int(y) for y in df[YEAR].unique()) if YEAR in df.columns else []
    return TableView(info, df, src, store.measure_periods(info.table_id), partition, free, years)


class Generator:
    def __init__(self, view: TableView, rng: random.Random, top_k: int, executor: Executor) -> None:
        self.v = view
        self.rng = rng
        self.k = top_k
        self.x = executor
        self.dims = view.info.dims
        df = view.df
        flagged = df["_approx"].notna().to_numpy()
        self.approx = {  # per measure: written in scientific notation, never an exact answer
            m: (flagged & df["_approx"].fillna("").str.contains(m, regex=False).to_numpy())
            if flagged.any()
            else flagged
            for m in view.info.measure_names
        }
        self.detail = df[~df["_total"].to_numpy(dtype=bool)]
        self._groups_by: dict[str, tuple[list[str], list[Any], dict[Any, Any]]] = {}
        self._distinct: dict[str, set[str]] = {}
        self.c = Composer(view.info, rng)
        self._by_part: dict[str, Any] | None = None
        self._columns: dict[str, list[Any]] | None = None

    # ---- facts and wording ---------------------------------------------------------------------
    def fact(self, row: pd.Series, measure: str) -> Fact:
        """The fact one row holds for ``measure``, built as the executor builds every fact."""
        return self.x.fact(self.v.info, row, measure)

    def exact_mask(self, *measures: str, positive: bool = False) -> np.ndarray:
        """Rows whose values can be exact answers: present, not in scientific notation (and > 0)."""
        df = self.v.df
        mask = np.ones(len(df), dtype=bool)
        for m in measures:
            mask &= df[m].notna().to_numpy() & ~self.approx[m]
            if positive:
                mask &= (df[m] > 0).to_numpy()
        return mask

    def distinct(self, dim: str) -> set[str]:
        if dim not in self._distinct:
            self._distinct[dim] = {str(v) for v in self.v.df[dim].unique()}
        return self._distinct[dim]

    def exact(self, row: pd.Series | dict[str, Any], measure: str) -> bool:
        return bool(pd.notna(row[measure])) and measure not in str(row["_approx"] or "")

    def measures(self) -> list[str]:
        return self.v.info.measure_names

    def part(self, row: pd.Series) -> str | None:
        return " ".join(str(row[c]) for c in self.v.partition) or None

    def group(
        self,
        qtype: str,
        query: dict[str, Any],
        slots: dict[str, Any],
        answer: Reply,
        facts: list[Fact],
        derived: list[dict[str, Any]] | None = None,
        partition: str | None = None,
    ) -> Group:
        query = {"table": self.v.info.table_id, **query}
        return Group(qtype, self.v.info.table_id, query, slots, answer, facts, derived or [], {}, partition)

    def run(
        self, q: Query, rows: pd.DataFrame
    ) -> tuple[Reply, list[Fact], list[dict[str, Any]], dict[str, Any]] | None:
        """The executor's answer to a sampled query over these rows (None: it would abstain), and the
        query as the record stores it (``Query.as_dict()``: executing it again gives the answer)."""
        try:
            r = self.x.run(q, self.v.info, self.c, rows)
        except Abstain:
            return None
        return r.finish(r.reply), r.facts, r.derived, q.as_dict()  # the target: what a user sees

    def query(self, op: str, measures: list[str], dims: dict[str, Any], **more: Any) -> Query:
        """A Query on this table whose filters are ``dims`` (the year as the period)."""
        filters = {k: [v] for k, v in dims.items() if k != YEAR}
        years = [int(dims[YEAR])] if YEAR in dims else []
        return Query(self.v.info.table_id, op, measures, filters=filters, years=years, **more)

    def sample_rows(self, df: pd.DataFrame, n: int) -> pd.DataFrame:
        if len(df) <= n:
            return df.sample(frac=1.0, random_state=self.rng.randrange(2**31))
        return df.sample(n=n, random_state=self.rng.randrange(2**31))

    # ---- question types ------------------------------------------------------------------------
    def lookup(self, n: int) -> Iterator[Group]:
        rows = self.sample_rows(self.v.df, n * 2)
        for _, r in rows.iterrows():
            m = self.rng.choice([x for x in self.measures() if pd.notna(r[x])] or self.measures())
            if not self.exact(r, m):
                continue
            f = self.fact(r, m)
            ent = K.entity(f["dims"])
            done = self.run(self.query("lookup", [m], f["dims"]), r.to_frame().T)
            if done is None:
                continue
            reply, facts, derived, q = done
            yield self.group("lookup", q, {"ent": ent, "m": m}, reply, facts, derived, self.part(r))

    def _grouping(self, dim: str) -> tuple[list[str], list[Any], dict[Any, Any]]:
        """Detail rows grouped by every dimension but ``dim`` (computed once per dimension)."""
        if dim not in self._groups_by:
            keys = [d for d in self.dims if d != dim]
            idx: dict[Any, Any] = (
                dict(self.detail.groupby(keys, sort=False).indices)
                if keys
                else {(): np.arange(len(self.detail))}
            )
            big = [k for k, v in idx.items() if len(v) >= 2]
            self._groups_by[dim] = (keys, big, idx)
        return self._groups_by[dim]

    def _aggregates(
        self, n: int, min_size: int = 2
    ) -> Iterator[tuple[str, str, dict[str, Any], pd.DataFrame, pd.Series]]:
        """Random (measure, dimension, context, members) with at least ``min_size`` exact members."""
        if not self.v.free_dims:
            return
        produced = 0
        for _ in range(n * 4):
            if produced >= n:
                return
            m = self.rng.choice(self.measures())
            d = self.rng.choice(self.v.free_dims)
            keys, big, idx = self._grouping(d)
            if not big:
                continue
            key = big[self.rng.randrange(len(big))]
            g = self.detail.iloc[idx[key]]
            g = g[g[m].notna().to_numpy() & ~g["_approx"].fillna("").str.contains(m, regex=False).to_numpy()]
            if len(g) < min_size:
                continue
            ctx = dict(zip(keys, key if isinstance(key, tuple) else (key,), strict=True))
            produced += 1
            yield m, d, ctx, g, g.iloc[0]

    def _ctx(self, ctx: dict[str, Any]) -> str:
        return K.entity({k: (int(v) if k == YEAR else v) for k, v in ctx.items()})

    def total_rows(self, d: str, ctx: dict[str, Any]) -> pd.DataFrame:
        """HIRA's own 계 row(s) for this group, where the table publishes them."""
        df = self.v.df
        if not df["_total"].any():
            return df.iloc[:0]
        mask = (df[d] == "계").to_numpy().copy()
        for k, v in ctx.items():
            mask &= (df[k] == v).to_numpy()
        return df[mask]

    def published_total(self, m: str, d: str, ctx: dict[str, Any]) -> float | None:
        hit = self.total_rows(d, ctx)
        return float(hit[m].iloc[0]) if len(hit) and pd.notna(hit[m].iloc[0]) else None

    def summed(self, n: int) -> Iterator[Group]:
        for m, d, ctx, g, first in self._aggregates(n):
            if not self.v.info.measure(m)["additive"]:
                continue  # 환자수 is never added over a breakdown: the engine refuses it, so is never taught
            facts = [self.fact(r, m) for _, r in g.iterrows()]
            published = self.published_total(m, d, ctx)
            if published is not None and published != sum(f["value"] for f in facts):
                continue  # the table's 계 disagrees with its parts: no single right answer to teach
            c = self._ctx(ctx)
            done = self.run(self.query("sum", [m], ctx, over=[d]), g)
            if done is None:
                continue
            reply, facts, derived, q = done
            yield self.group(
                "sum", q, {"ctx": c, "m": m, "dim": K.dim_label(d)}, reply, facts, derived, self.part(first)
            )

    def ranking(self, n: int) -> Iterator[Group]:
        for m, d, ctx, g, first in self._aggregates(n, min_size=3):
            facts = [self.fact(r, m) for _, r in g.iterrows()]
            values = sorted((f["value"] for f in facts), reverse=True)
            k = min(self.k, len(values))
            if k < len(values) and values[k - 1] == values[k]:
                continue  # a tie at the cut: the top-k is not well defined
            c = self._ctx(ctx)
            done = self.run(self.query("ranking", [m], ctx, over=[d], k=k), g)
            if done is None:
                continue
            reply, facts, derived, q = done
            slots = {"ctx": c, "m": m, "dim": K.dim_label(d), "k": k}
            yield self.group("ranking", q, slots, reply, facts, derived, self.part(first))

    def comparison(self, n: int) -> Iterator[Group]:
        for m, d, ctx, g, first in self._aggregates(n):
            pair = g.sample(n=2, random_state=self.rng.randrange(2**31))
            a, b = (self.fact(r, m) for _, r in pair.iterrows())
            if a["value"] == b["value"] or min(a["value"], b["value"]) <= 0:
                continue
            c = self._ctx(ctx)
            cq = self.query("comparison", [m], ctx, over=[d])
            cq.filters[d] = [a["dims"][d], b["dims"][d]]
            done = self.run(cq, pair)
            if done is None:
                continue
            reply, facts, derived, q = done
            slots = {
                "ctx": c,
                "m": m,
                "a": K.value_phrase(d, a["dims"][d]),
                "b": K.value_phrase(d, b["dims"][d]),
            }
            yield self.group("comparison", q, slots, reply, facts, derived, self.part(first))

    def change(self, n: int) -> Iterator[Group]:
        if len(self.v.years) < 2:
            return
        keys = [d for d in self.dims if d != YEAR]
        df = self.v.df
        index = {tuple(r): i for i, r in enumerate(df[[*keys, YEAR]].itertuples(index=False, name=None))}
        for _, r in self.sample_rows(df, n * 3).iterrows():
            m = self.rng.choice(self.measures())
            earlier = [y for y in self.v.years if y < int(r[YEAR])]
            if not earlier:
                continue
            y1 = self.rng.choice(earlier)
            j = index.get((*(r[k] for k in keys), y1))
            if j is None:
                continue
            old = df.iloc[j]
            if not (self.exact(r, m) and self.exact(old, m)) or old[m] == 0:
                continue
            fn = self.fact(r, m)
            ent = K.entity({k: v for k, v in fn["dims"].items() if k != YEAR})
            cq = self.query("change", [m], fn["dims"])
            cq.years = [y1, int(r[YEAR])]
            done = self.run(cq, pd.DataFrame([old, r]))
            if done is None:
                continue
            reply, facts, derived, q = done
            slots = {"ent": ent, "m": m, "y1": y1, "y2": int(r[YEAR])}
            yield self.group("change", q, slots, reply, facts, derived, self.part(r))

    def ratio(self, n: int) -> Iterator[Group]:
        if {"요양급여비용총액", "보험자부담금"} <= set(self.measures()):
            rows = self.v.df[self.exact_mask("요양급여비용총액", "보험자부담금", positive=True)]
            for _, r in self.sample_rows(rows, n // 2 + 1).iterrows():
                tot = self.fact(r, "요양급여비용총액")
                ent = K.entity(tot["dims"])
                done = self.run(
                    self.formula(
                        "보험자부담률", "보험자부담금", "요양급여비용총액", "ratio", tot["dims"], True
                    ),
                    r.to_frame().T,
                )
                if done is None:
                    continue
                reply, facts, derived, q = done
                yield self.group(
                    "ratio", q, {"ent": ent, "kind": "보험자부담률"}, reply, facts, derived, self.part(r)
                )
        for m, d, ctx, g, first in self._aggregates(n // 2 + 1):
            if not self.v.info.measure(m)["additive"]:
                continue
            facts = [self.fact(r, m) for _, r in g.iterrows()]
            if sum(f["value"] for f in facts) <= 0:
                continue
            a = self.rng.choice(facts)
            c = self._ctx(ctx)
            sq = self.query("share", [m], ctx, over=[d])
            sq.filters[d] = [a["dims"][d]]
            done = self.run(sq, pd.concat([g, self.total_rows(d, ctx)]))  # a share of the 계 row, as served
            if done is None:
                continue
            reply, facts, derived, q = done
            slots = {
                "ctx": c,
                "m": m,
                "a": K.value_phrase(d, a["dims"][d]),
                "dim": K.dim_label(d),
                "kind": "share",
            }
            yield self.group("ratio", q, slots, reply, facts, derived, self.part(first))

    def derived(self, n: int) -> Iterator[Group]:
        has = set(self.measures())
        options = [o for o in DERIVED if {o[1], o[2]} <= has]
        if not options:
            return
        candidates = {o: self.v.df[self.exact_mask(o[1], o[2], positive=True)] for o in options}
        for _ in range(n):
            option = self.rng.choice(options)
            name, a_m, b_m, op = option
            rows = candidates[option]
            if rows.empty:
                continue
            r = rows.iloc[self.rng.randrange(len(rows))]
            fa = self.fact(r, a_m)
            ent = K.entity(fa["dims"])
            done = self.run(self.formula(name, a_m, b_m, op, fa["dims"], False), r.to_frame().T)
            if done is None:
                continue
            reply, facts, derived, q = done
            yield self.group("derived", q, {"ent": ent, "name": name}, reply, facts, derived, self.part(r))

    def formula(self, name: str, a: str, b: str, op: str, dims: dict[str, Any], percent: bool) -> Query:
        return self.query(
            "derived",
            [a, b],
            dims,
            formula={"op": op, "a": a, "b": b, "percent": percent},
            figure=name,
            resolved={a: a, b: b},
        )

    def followup(self, n: int) -> Iterator[Group]:
        """A lookup, then "그럼 부산은?": the same query with one value changed (both in one partition)."""
        for m, d, _ctx, g, _first in self._aggregates(n):
            if d in self.v.partition:
                continue
            pair = g.sample(n=2, random_state=self.rng.randrange(2**31))
            (_, r1), (_, r2) = pair.iterrows()
            f1 = self.fact(r1, m)
            previous = T.colloquial(
                T.fill(
                    self.rng.choice(T.LOOKUP),
                    self.rng,
                    ent=K.entity(f1["dims"]),
                    m=K.measure_label(m, self.rng),
                    cnt=K.counter(m),
                ),
                self.rng,
            )
            f2 = self.fact(r2, m)
            done = self.run(self.query("lookup", [m], f2["dims"]), r2.to_frame().T)
            if done is None:
                continue
            reply, facts, derived, q = done
            q["follows"] = f1["dims"]
            slots = {"b": K.value_phrase(d, r2[d]), "previous": previous}
            yield self.group("followup", q, slots, reply, facts, derived, self.part(r2))

    def unanswerable(self, n: int) -> Iterator[Group]:
        df = self.v.df
        years = self.v.years
        kinds = ["year", "measure", "entity", "dimension", "drift"]
        made = 0
        for i in range(n * 4):
            if made >= n:
                return
            kind = kinds[i % len(kinds)]
            r = df.iloc[self.rng.randrange(len(df))]
            dims = {d: (int(r[d]) if d == YEAR else str(r[d])) for d in self.dims}
            m = self.rng.choice(self.measures())
            available: dict[str, Any] = {"years": years, "measures": self.measures()}
            if kind == "year" and years:
                asked = (
                    max(years) + self.rng.randint(1, 4)
                    if self.rng.random() < 0.6
                    else min(years) - self.rng.randint(1, 6)
                )
                dims[YEAR] = asked
                why = self.c.why_year(asked, years)
                available["asked_year"] = asked
            elif kind == "measure":
                missing = [x.name for x in MEASURE_BY_NAME.values() if x.name not in self.measures()]
                if not missing:
                    continue
                m = self.rng.choice(missing)
                why = self.c.why_measure(m)
            elif kind == "entity":
                cand = self._missing_value()
                if cand is None:
                    continue
                d, value = cand
                dims[d] = value
                why = self.c.why_entity(d, value)
                available["missing"] = {d: value}
            elif kind == "dimension":
                if "시도" in self.dims:
                    continue
                sido = self.rng.choice(list(SIDO_FULL))
                dims["시도"] = sido
                why = self.c.why_dimension("시도", sido)
            else:
                drift = [
                    (mm, sorted({str(y) for y in years} - {q[:4] for q in p}))
                    for mm, p in self.v.measure_periods.items()
                ]
                drift = [(mm, miss) for mm, miss in drift if miss]
                if not drift:
                    continue
                m, miss = self.rng.choice(drift)
                dims[YEAR] = int(self.rng.choice(miss)[:4])
                why = self.c.why_drift(m, int(dims[YEAR]), self.v.measure_periods[m])
                available["measure_years"] = self.v.measure_periods[m]
                available["asked_year"] = dims[YEAR]
            ent = K.entity(dims)
            answer = self.c.unanswerable(why)
            g = self.group(
                "unanswerable",
                {**self.query("lookup", [m], dims).as_dict(), "reason": kind},
                {"ent": ent, "m": m},
                answer,
                [],
                [],
                self.part(r),  # asked about this row's neighbourhood: it shares the row's split
            )
            g.available = available
            made += 1
            yield g

    def _missing_value(self) -> tuple[str, str] | None:
        if "주상병코드" in self.dims:
            have = self.distinct("주상병코드")
            for _ in range(50):
                code = f"{self.rng.choice('UVWXYZ')}{self.rng.randint(0, 99):02d}"
                if code not in have:
                    return "주상병코드", code
        if "시도" in self.dims:
            missing = sorted(set(SIDO_FULL) - self.distinct("시도"))
            if missing:
                return "시도", self.rng.choice(missing)
        if "진료과목" in self.dims:
            missing = sorted(set(OTHER_DEPTS) - self.distinct("진료과목"))
            if missing:
                return "진료과목", self.rng.choice(missing)
        return None

    def context(self, g: Group, n: int) -> tuple[list[str], list[str]]:
        """Cards of the group's facts plus ``n`` neighbours from the same partition (so the same split)."""
        if g.partition is None:
            return [], []
        if self._by_part is None:
            cols = self.v.partition
            self._by_part = (
                {
                    " ".join(map(str, k if isinstance(k, tuple) else (k,))): v
                    for k, v in self.v.df.groupby(cols, sort=False).indices.items()
                }
                if cols
                else {}
            )
        rows = self._by_part.get(g.partition, [])
        own = {tuple(sorted((k, str(v)) for k, v in f["dims"].items())) for f in g.facts}
        picks = [int(i) for i in self.rng.sample(list(rows), min(len(rows), n + len(own)))]
        cards, ids = fact_cards(g.facts), [f["fact_id"] for f in g.facts]
        if self._columns is None:  # column-wise lists once: picking rows by position is then cheap
            keep = [*dict.fromkeys([*self.dims, *self.measures(), "_source", "_row", "_approx"])]
            self._columns = {c: self.v.df[c].tolist() for c in keep}
        for i in picks:
            r = {c: values[i] for c, values in self._columns.items()}
            dims = {d: (int(r[d]) if d == YEAR else str(r[d])) for d in self.dims}
            if tuple(sorted((k, str(v)) for k, v in dims.items())) in own or len(cards) >= len(g.facts) + n:
                continue
            exact = [m for m in self.measures() if self.exact(r, m)]
            src = {**self.v.sources.get(r["_source"], {}), "row": int(r["_row"])}
            cards.append(card(dims, {m: (float(r[m]), self.v.info.measure(m)["unit"]) for m in exact}, src))
            ids += [fact_id(self.v.info.table_id, dims, m) for m in exact]
        self.rng.shuffle(cards)
        return cards, ids

    def all(self, per_type: int, context_cards: int = 0) -> Iterator[Group]:
        for gen in (
            self.lookup,
            self.summed,
            self.ranking,
            self.comparison,
            self.change,
            self.ratio,
            self.derived,
            self.followup,
            self.unanswerable,
        ):
            seen: set[str] = set()
            for g in gen(per_type):
                gid = group_id(g.query)
                if gid in seen:
                    continue
                seen.add(gid)
                if context_cards and len(g.facts) <= MAX_CONTEXT_FACTS:
                    g.context, g.context_ids = self.context(g, context_cards)
                yield g
                if len(seen) >= per_type:
                    break


def definitions() -> Iterator[Group]:
    for term, text in TERMS.items():
        yield Group(
            "definition",
            "glossary",
            {"op": "define", "term": term},
            {"t": term},
            Reply(f"{term}: {text}", citation=DEFINITION_SOURCE),
        )


def questions(
    g_qtype: str,
    slots: dict[str, Any],
    rng: random.Random,
    n: int,
    avoid: set[str] | None = None,
    names: dict[str, str] | None = None,
) -> list[str]:
    """Up to ``n`` distinct phrasings of a group's question (used by build and augment)."""
    s = dict(slots)
    if g_qtype in ("lookup", "unanswerable"):
        pool, extra = T.LOOKUP, {"m": K.measure_label(s["m"], rng), "cnt": K.counter(s["m"])}
    elif g_qtype == "sum":
        pool, extra = T.SUM, {"m": K.measure_label(s["m"], rng)}
    elif g_qtype == "ranking":
        pool, extra = T.RANK, {"m": K.measure_label(s["m"], rng)}
    elif g_qtype == "comparison":
        pool, extra = T.COMPARE, {"m": K.measure_label(s["m"], rng)}
    elif g_qtype == "change":
        pool, extra = T.CHANGE, {"m": K.measure_label(s["m"], rng)}
    elif g_qtype == "ratio":
        pool = T.RATIO if s.get("kind") == "보험자부담률" else T.SHARE
        extra = {"m": K.measure_label(s["m"], rng)} if "m" in s else {}
    elif g_qtype == "derived":
        pool, extra = T.DERIVED[s["name"]], {}
    elif g_qtype == "followup":
        pool, extra = T.FOLLOWUP, {}
    else:
        pool, extra = T.DEFINE, {}
    out: list[str] = []
    order = list(pool)
    rng.shuffle(order)
    for tpl in order:
        kw = {**s, **extra}
        kw.pop("kind", None)
        kw.pop("name", None)
        kw.pop("previous", None)
        q = T.colloquial(T.fill(tpl, rng, **kw), rng, names)
        if q not in out and (avoid is None or q not in avoid):
            out.append(q)
        if len(out) >= n:
            break
    return out


def to_records(
    g: Group,
    view: TableView | None,
    rng: random.Random,
    n: int,
    with_facts: float = 0.0,
    names: dict[str, str] | None = None,
) -> list[QARecord]:
    years = sorted({f["dims"][YEAR] for f in g.facts if YEAR in f["dims"]})
    meta = {
        "category": view.category() if view else "용어",
        "source": f"건강보험심사평가원 「{view.title}」" if view else "건강보험심사평가원 통계 용어 설명",
        "year": years[0] if len(years) == 1 else (years or None),
        "qtype": g.qtype,
        "table_id": g.table_id,
        "group_id": group_id(g.query),
        "query": g.query,
        "slots": g.slots,
        "facts": g.facts,
        "derived": g.derived,
        "reply": g.answer.as_dict(),  # the target in parts: cleaning and scoring read these, not the text
        "available": g.available,
        "partition": g.partition,
        "synthetic": bool(view and view.info.synthetic),
    }
    target = g.answer.render()
    out = []
    for q in questions(g.qtype, g.slots, rng, n, names=names):
        if g.qtype == "followup":  # the conversation so far is the record's input
            out.append(record(q, target, dict(meta), PREVIOUS + g.slots["previous"]))
        elif g.context and rng.random() < with_facts:
            out.append(record(q, target, {**meta, "context_facts": g.context_ids}, "\n".join(g.context)))
        else:
            out.append(record(q, target, dict(meta)))
    return out


def master_names(store: FactStore) -> dict[str, str]:
    """Official names of 3-character codes from the ingested code masters: how people ask (급성 기관지염)."""
    rows = store.master_rows()
    if rows.empty:
        return {}
    top = rows[rows.is_primary.astype(bool) & (rows.level == "3") & rows.name.notna()]
    return dict(zip(top.code_norm, top.name, strict=True))


def generate(store: FactStore, cfg: BuildConfig) -> Iterator[QARecord]:
    """Every table's groups, then the glossary's, as records (phrasings per group)."""
    executor = Executor(store, current())
    names = master_names(store)
    for info in store.tables():
        view = load_view(store, info)
        rng = random.Random(f"{cfg.seed}:{info.table_id}")
        for g in Generator(view, rng, cfg.top_k, executor).all(cfg.pairs_per_type, cfg.context_cards):
            yield from to_records(g, view, rng, cfg.phrasings, cfg.with_facts, names)
    rng = random.Random(f"{cfg.seed}:glossary")
    for g in definitions():
        yield from to_records(g, None, rng, cfg.phrasings)
