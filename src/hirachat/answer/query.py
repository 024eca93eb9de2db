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

from hirachat.answer.ages import cover, describe, parse_band
from hirachat.answer.compose import Composer
from hirachat.answer.lexicon import Lexicon, squash
from hirachat.answer.reading import reading
from hirachat.answer.understand import Intent
from hirachat.data.schema import QUARTER, YEAR
from hirachat.data.store import FactStore, TableInfo, quote_ident
from hirachat.data.vocab import TERMS
from hirachat.dataset import templates as T
from hirachat.dataset.records import Fact, fact_id
from hirachat.numbers import format_percent

PERIOD = (YEAR, QUARTER)
SHARE_CUE = re.compile(r"차지|비중|점유율|비율|퍼센트|%")
# a table whose scope is a subset of institutions (its title says so): 병원급 이상, 의원급
_SCOPE = {
    "병원급": re.compile(r"병원급\s*이상|병원급|hospital[_ ]level", re.I),
    "의원급": re.compile(r"의원급|clinic[_ ]level", re.I),
}


def scope_of(title: str) -> str | None:
    return next((k for k, pat in _SCOPE.items() if pat.search(title)), None)


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
    interpretation: str = ""  # one Korean line: the query as understood ("이해한 질문: …")
    intent: Intent | None = None  # what a follow-up question builds on

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
        assert lex.vocab is not None
        self.vocab = lex.vocab
        self.sources = {
            s.source_id: {"file": s.file_name, "sha256": s.sha256, "sheet": s.sheet} for s in store.sources()
        }

    # ---- entry point ---------------------------------------------------------------------------
    def answer(self, it: Intent) -> Answer:
        ans = self._answer(it)
        ans.intent = it
        return ans

    def _answer(self, it: Intent) -> Answer:
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
            self._unapplicable(it)
            if not (it.measures or it.formula or it.entities or it.codes or it.ages):
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
                interpretation=reading(it, a.table),
            )

    # ---- planning ------------------------------------------------------------------------------
    def _leaves(self, name: str) -> list[str]:
        """The stored measures a figure is computed from (a formula may use another formula)."""
        f = self.vocab.formula(name)
        return [name] if f is None else [*self._leaves(f.a), *self._leaves(f.b)]

    def _needed(self, it: Intent) -> list[str]:
        if it.formula:
            return list(dict.fromkeys([*self._leaves(it.formula["a"]), *self._leaves(it.formula["b"])]))
        return it.measures

    def _resolve(self, t: TableInfo, it: Intent) -> dict[str, str] | None:
        """Each measure asked → this table's column: the same name, or the one column whose name holds
        the word the question used ('건수' → 처방건수 in a table without 명세서청구건수); None if any is missing."""
        out: dict[str, str] = {}
        for m in self._needed(it):
            if m in t.measure_names:
                out[m] = m
                continue
            word = squash(it.measure_words.get(m, ""))
            hits = [x for x in t.measure_names if word and word in squash(x)]
            if len(hits) != 1:
                return None
            out[m] = hits[0]
        return out

    def _table(self, it: Intent) -> tuple[TableInfo, dict[str, list[str]]]:
        spans: dict[tuple[int, int, str], list[tuple[str, str]]] = {}
        for e in it.entities:
            spans.setdefault((e.start, e.end, e.surface), []).append((e.dim, e.value))
        best: tuple[tuple[int, ...], TableInfo, dict[str, list[str]]] | None = None
        asked_scope = scope_of(it.text)
        for t in self.lex.tables.values():
            if self._resolve(t, it) is None:
                continue
            ents: dict[str, list[str]] = {}
            ok = True
            for options in spans.values():
                usable = [(d, v) for d, v in options if d in t.dims and self.lex.has_value(t.table_id, d, v)]
                if not usable:
                    ok = False
                    break
                if len({v for _, v in usable}) > 1 and len({d for d, _ in usable}) == 1:
                    continue  # one word, several places/values: decided below, never silently
                d, v = usable[0]
                if v not in ents.setdefault(d, []):
                    ents[d].append(v)
            if not ok:
                continue
            open_dims = [d for d in t.dims if d not in PERIOD and d not in ents]
            years_ok = all(y in self.lex.years[t.table_id] for y in it.years)
            has_over = int(it.over is None or it.over in t.dims)
            has_age = int(not it.ages or t.table_id in self.lex.age_dims)
            scope = int(scope_of(t.title) == asked_scope)
            fits = int(
                bool(self._needed(it)) or len(t.measures) == 1 or it.qtype == "lookup"
            )  # unasked: the table of all institutions first
            score = (int(years_ok), has_over, has_age, fits, len(ents), scope, -len(open_dims), -len(t.dims))
            if best is None or score > best[0]:
                best = (score, t, ents)
        if best is None:
            raise self._diagnose(it, self._needed(it))
        _, table, ents = best
        for (_, _, surface), options in spans.items():
            usable = [
                (d, v) for d, v in options if d in table.dims and self.lex.has_value(table.table_id, d, v)
            ]
            if len({v for _, v in usable}) > 1 and len({d for d, _ in usable}) == 1:
                names = ", ".join(sorted(v for _, v in usable))
                raise Abstain(
                    "ambiguous",
                    f"'{surface}'에 해당하는 곳이 여러 개입니다: {names}. 어느 것인지 시도나 시 이름과 함께 물어봐 주세요.",
                    table,
                )
        if it.codes:
            dim = next((d for d in table.dims if self.vocab.kind_of(d) == "code"), "주상병코드")
            raise Abstain("entity", Composer(table).why_entity(dim, it.codes[0]), table)
        return table, ents

    def _unapplicable(self, it: Intent) -> None:
        """Constraints no stored table can apply, whatever the table: say which, never drop them."""
        if it.unknown:
            raise self._unknown(it)
        if it.stats:
            words = ", ".join(f"'{w}'" for w in it.stats)
            raise Abstain(
                "statistic",
                f"질문의 {words}은(는) 보유한 통계표에 없는 값이라 계산하지 않습니다. 통계표는 환자수·"
                "진료비 같은 합계만 제공합니다(1인당·건당 값은 계산해 드릴 수 있습니다).",
                None,
            )
        if it.age_words:
            words = ", ".join(f"'{w}'" for w in it.age_words)
            raise Abstain(
                "age",
                f"질문의 {words}은(는) 정해진 연령 범위가 없어 적용할 수 없습니다. '10대', '65세 이상'처럼 "
                "연령을 숫자로 물어봐 주세요.",
                None,
            )
        if it.months:
            raise Abstain(
                "period",
                f"질문의 '{it.months[0]}'처럼 월별 자료는 보유한 통계표에 없습니다(연도·분기 단위).",
                None,
            )
        if it.formula and it.formula["a"] == it.formula["b"]:
            raise Abstain(
                "ambiguous", f"'{it.derived}'은(는) 같은 항목끼리의 비율이라 계산하지 않습니다.", None
            )

    def _applied(self, it: Intent, t: TableInfo, ents: dict[str, list[str]]) -> dict[str, list[str]]:
        """Constraints the chosen table must apply: ages (as its own bands), quarter, the dimension named
        for a ranking. Returns the age filter; abstains naming what the table cannot apply."""
        c = Composer(t)
        dims = ", ".join(T.dim_label(d) for d in t.dims)
        asked, held = scope_of(it.text), scope_of(t.title)
        if asked is not None and asked != held:
            what = {"병원급": "병원급 이상 기관", "의원급": "의원급 기관", None: "모든 요양기관"}
            raise Abstain(
                "scope",
                f"「{c.title}」은(는) {what[held]} 자료라 {what[asked]}만의 값을 따로 알 수 없습니다.",
                t,
            )
        if it.quarter and QUARTER not in t.dims:
            raise Abstain(
                "dimension",
                f"「{c.title}」은(는) 분기 구분이 없는 연간 자료라 {it.quarter}분기 값을 알 수 없습니다. 이 표의 구분: {dims}.",
                t,
            )
        if it.over and it.over not in t.dims and not (it.over == "시도" and "시군구" in t.dims):
            raise Abstain(
                "dimension",
                f"「{c.title}」에는 {T.dim_label(it.over)} 구분이 없습니다. 이 표의 구분: {dims}.",
                t,
            )
        if not it.ages:
            return {}
        age_dim = self.lex.age_dims.get(t.table_id)
        if age_dim is None:
            asked = ", ".join(a.surface for a in it.ages)
            raise Abstain(
                "dimension",
                f"「{c.title}」에는 연령 구분이 없어 '{asked}' 조건을 적용할 수 없습니다. 이 표의 구분: {dims}.",
                t,
            )
        bands = {
            v: b for v in self.lex.values[t.table_id].get(age_dim, set()) if (b := parse_band(v)) is not None
        }
        if len(it.ages) > 1:
            raise Abstain("ambiguous", "연령 조건이 두 개 이상입니다. 하나씩 물어봐 주세요.", t)
        ask = it.ages[0]
        chosen = cover(ask.interval, bands)
        if chosen is None:
            have = ", ".join(sorted(bands, key=lambda v: bands[v][0]))
            raise Abstain(
                "age",
                f"「{c.title}」의 연령 구분({have})으로는 '{ask.surface}'({describe(ask.interval)})을(를) "
                "정확히 나눌 수 없습니다.",
                t,
            )
        return {age_dim: sorted(chosen, key=lambda v: bands[v][0])}

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
        elif it.trend and len(it.years) > 2 and it.years[0] in have and it.years[-1] in have:
            years = [y for y in it.years if y in have]  # a range: the years published in it (gaps said)
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
        resolved = self._resolve(t, it) or {}
        unions = self._applied(it, t, ents)
        measures = list(dict.fromkeys(resolved[m] for m in self._needed(it))) or list(t.measure_names)
        years = self._periods(it, t, measures)
        filters: dict[str, list[Any]] = {d: list(v) for d, v in ents.items()}
        filters.update(unions)
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
        if qtype in ("ratio", "derived") and (multi or len(years) >= 2):
            raise Abstain(
                "ambiguous",
                f"{it.derived}을(를) 여러 대상이나 여러 해에 대해 한 번에 계산하지 않습니다. 하나씩 물어봐 주세요.",
                t,
            )
        rows = self._rows(t, filters)
        if rows.empty:
            raise Abstain("entity", "해당 조건에 맞는 자료가 없습니다.", t)
        x = _Exec(self, it, t, Composer(t), rows, ents, filters, years, measures, multi, unions, resolved)
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
            interpretation=reading(it, t, years, {**ents, **unions}, query),
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
            repeated = {e.dim for e in it.entities if sum(x.value == e.value for x in it.entities) >= 2}
            if len(set(singles) - repeated) >= 1:
                singles = [
                    d for d in singles if d not in repeated
                ]  # '전국 약국 중 경기 약국': 약국 is common
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
        unions: dict[str, list[str]],
        resolved: dict[str, str],
    ) -> None:
        self.p, self.it, self.t, self.c, self.rows = p, it, t, c, rows
        self.ents, self.filters, self.years, self.measures, self.multi = ents, filters, years, measures, multi
        self.resolved = resolved
        self.detail = rows[~rows["_total"].to_numpy(dtype=bool)]
        self.open = [d for d in t.dims if d not in PERIOD and d not in ents and d not in unions]
        self.derived: list[dict[str, Any]] = []
        self.facts: list[Fact] = []
        self.query: dict[str, Any] = {}
        self.summed: str | None = None  # dims summed over, for the 환자수 note
        ctx_dims: dict[str, Any] = {d: v[0] for d, v in ents.items() if len(v) == 1}
        for d in unions:
            ctx_dims[d] = it.ages[0].surface if it.ages else "·".join(unions[d])
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

    def for_open(
        self, dims: list[str], by: list[str] | None = None, rows: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Rows answering for dims left open (per group of ``by``); notes when a sum over them was needed."""
        base = select(self.rows if rows is None else rows, dims, by)
        n = len(base) if not by else (base.groupby(by).size().max() if not base.empty else 0)
        if dims and n > 1:
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
        base = self.for_open([d for d in self.open if d not in over], over)
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
        base = self.for_open([d for d in self.open if d != over], [over])
        self.summed = None
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
        group = self.for_open([d for d in self.open if d != over], [over], group)
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
        parts = {
            f["dims"][over]: f
            for f in self.groups(self.for_open(self.open, [over]), self.measures[0], [over])
        }
        if a_v not in parts or b_v not in parts:
            raise Abstain("entity", self.c.why_entity(over, a_v if a_v not in parts else b_v), self.t)
        text, d = self.c.comparison(parts[a_v], parts[b_v], over, self.ctx(without=over))
        self.derived += d
        if re.search(r"%|퍼센트|몇\s*프로|비율", self.it.text) and parts[b_v]["value"]:
            pct = parts[a_v]["value"] / parts[b_v]["value"]
            self.derived.append(
                {"op": "ratio", "of": [parts[a_v]["fact_id"], parts[b_v]["fact_id"]], "value": pct}
            )
            a_n, b_n = T.value_phrase(over, a_v), T.value_phrase(over, b_v)
            text = (
                text.replace("\n", f"\n{T.josa(a_n, '은/는')} {b_n}의 {format_percent(pct)}입니다.\n", 1)
                if "\n" in text
                else f"{text} {T.josa(a_n, '은/는')} {b_n}의 {format_percent(pct)}입니다."
            )
        self.query["over"] = over
        return text

    def change(self) -> str:
        y1, y2 = self.years[0], self.years[-1]
        m = self.measures[0]
        parts = {int(f["dims"][YEAR]): f for f in self.groups(self.for_open(self.open, [YEAR]), m, [YEAR])}
        if y1 not in parts or y2 not in parts:
            raise Abstain("entity", "두 해 모두에 해당하는 자료가 없습니다.", self.t)
        text, d = self.c.change(parts[y1], parts[y2], self.ctx(without=YEAR))
        self.derived += d
        if len(self.years) > 2:  # a trend: the whole series, then the change from first to last
            series = ", ".join(f"{y}년 {self.c.val(parts[y]['value'], m)}" for y in self.years if y in parts)
            gaps = [y for y in range(y1, y2 + 1) if y not in parts]
            if gaps:
                series += f" ({', '.join(f'{y}년' for y in gaps)} 자료 없음)"
            text = (
                text.replace("\n", f"\n연도별: {series}\n", 1)
                if "\n" in text
                else f"{text}\n연도별: {series}"
            )
        return text

    def _evaluate(self, facts: dict[str, Fact]) -> tuple[float, list[tuple[str, float]]]:
        """The question's formula over one group's facts (nested formulas recorded as derived figures):
        (value, [(input name, input value)])."""
        f = self.it.formula
        assert f is not None
        memo: dict[str, tuple[float, str]] = {}

        def value(name: str) -> tuple[float, str]:
            if name not in memo:
                if name in self.resolved:
                    fact = facts[self.resolved[name]]
                    memo[name] = (float(fact["value"]), fact["fact_id"])
                else:
                    g = self.p.vocab.formula(name)
                    assert g is not None
                    memo[name] = combine(name, g.op, g.a, g.b)
            return memo[name]

        def combine(name: str, op: str, a: str, b: str) -> tuple[float, str]:
            (va, ia), (vb, ib) = value(a), value(b)
            if op == "ratio" and vb == 0:
                raise Abstain("empty", f"{b}이(가) 0이라 {name}을(를) 계산할 수 없습니다.", self.t)
            v = va - vb if op == "diff" else va / vb
            fid = f"{op}:" + hashlib.sha1(f"{ia}|{ib}".encode()).hexdigest()[:12]
            self.derived.append({"op": op, "id": fid, "of": [ia, ib], "value": v})
            return v, fid

        result, _ = combine(self.it.derived or "", f["op"], f["a"], f["b"])
        return result, [(name, value(name)[0]) for name in (f["a"], f["b"])]

    def ratio(self) -> str:
        """A figure computed by formula from this table's measures (ratio or difference, nested); ranked
        over a dimension when the question ranks it ('1인당 진료비가 가장 높은 시도')."""
        f = self.it.formula
        assert f is not None
        self.query["formula"] = f
        unit, percent = self._unit(f), bool(f.get("percent"))
        if self.it.ranked:
            return self._ranked(unit, percent)
        base = self.for_open(self.open)
        facts: dict[str, Fact] = {}
        for m in self.measures:
            (facts[m],) = self.groups(base, m, [])
        result, parts = self._evaluate(facts)
        text = self.c.formula(self.it.derived or "", result, f["op"], parts, unit, percent, self.ctx())
        return self.c.finish(text, self.facts, self.measures, self.summed)

    def _ranked(self, unit: str | None, percent: bool) -> str:
        over = self.p._over(self.it, self.open, self.ents, "ranking")
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
            raise Abstain("entity", f"{T.dim_label(over)} 순위를 매길 자료가 부족합니다.", self.t)
        k = self.it.k or (1 if re.search(r"가장|제일|최다|최고|최대|최저|최소", self.it.text) else 3)
        text = self.c.formula_ranking(
            self.it.derived or "", scored, over, self.ctx(), k, self.it.lowest, unit, percent
        )
        ids = [fact["fact_id"] for facts in by_value.values() for fact in facts.values()]
        self.derived += [{"op": "rank", "of": ids, "value": i + 1} for i in range(min(k, len(scored)))]
        self.query.update(over=over, k=k)
        return self.c.finish(text, self.facts, self.measures, self.summed)

    def _unit(self, f: dict[str, Any]) -> str | None:
        """The result's unit: a difference keeps its measures' unit; money per person/claim/day stays 원."""

        def unit(name: str) -> str | None:
            if name in self.resolved:
                return self.t.measure(self.resolved[name])["unit"]
            g = self.p.vocab.formula(name)
            return g.unit if g is not None else None

        if f["op"] == "diff":
            return unit(f["a"])
        if f.get("percent"):
            return "%"
        ua, ub = unit(f["a"]), unit(f["b"])
        return "배" if ua == ub else ua
