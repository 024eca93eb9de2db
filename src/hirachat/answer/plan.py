"""Intent → Query (or an honest abstention naming what cannot be applied) → the executor → Answer.

Planning picks the table that can use every entity the question names, holds the measures it needs
(by name or by the table's own column names), has the dimension and age breakdown asked and, unless a
scope is asked, covers all institutions. Then every constraint is accounted for: applied in the Query
(ages as the table's own bands, quarter, scope, the dimension named) or the answer abstains naming it;
the period is checked (a missing year, or a measure absent in that year, is said plainly). Figures are
computed only by ``hirachat.query.execute``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from hirachat import korean as K
from hirachat.answer.ages import cover, describe, parse_band
from hirachat.answer.intent import Intent
from hirachat.answer.lexicon import Lexicon, cue, squash
from hirachat.answer.masterbook import MasterBook
from hirachat.answer.reading import reading
from hirachat.data.schema import MONTH, QUARTER, YEAR
from hirachat.data.store import FactStore, TableInfo
from hirachat.query.execute import PERIOD, Executor
from hirachat.query.model import Abstain, Answer, Query
from hirachat.query.reply import CITE, DEFINITION_SOURCE, Reply
from hirachat.query.wording import NO_DATA, Composer, display_title, scope_of

RANK_DIMS = ("순위", "상병명", "행위명")
ORDER_MAX = 20  # '많은 순서대로 쭉': the whole order, up to twenty


class Planner:
    """Answers intents from one store. Build once; ``answer`` is cheap."""

    def __init__(self, store: FactStore, lex: Lexicon) -> None:
        self.store = store
        self.lex = lex
        assert lex.vocab is not None
        self.vocab = lex.vocab
        self.executor = Executor(store, lex.vocab)
        linked = set(lex.names.official) if lex.names is not None else set()
        self.book = MasterBook(store, lex.vocab, linked) if store.masters() else None

    # ---- entry point ---------------------------------------------------------------------------
    def answer(self, it: Intent) -> Answer:
        ans = self._answer(it)
        ans.intent = it
        return ans

    def _answer(self, it: Intent) -> Answer:
        if it.qtype == "definition" and it.term:
            text = f"{it.term}: {self.vocab.definitions()[it.term]}"
            return Answer(
                it.text,
                Reply(text, citation=DEFINITION_SOURCE),
                False,
                "definition",
                query={"op": "define", "term": it.term},
                strip=[it.term],
                extra=[],
            )
        if self.book is not None and (found := self.book.answer(it)) is not None:
            if not (left := self._unread(it, found)):
                return found
            if named := self._beside_code(it, found, left):  # 'C50 유방암': read as the code's name, said
                for word, code in named:
                    found.reply.add(
                        "master", f"※ '{word}'은(는) 질문의 코드 {code}를 가리키는 말로 읽었습니다."
                    )
                if len(named) == len(left):
                    return found
            it.unknown = left  # a word the master answer did not read: refused below, never ignored
        try:
            if it.orphan:
                raise Abstain(
                    "followup",
                    "이어서 물을 앞의 질문이 없습니다. 무엇에 대한 질문인지 연도, 대상, 항목을 넣어 다시 물어봐 "
                    "주세요(예: 2023년 J20 여자 환자수).",
                    None,
                )
            if it.qtype == "master" and not it.unknown:
                return self._master(it)
            self._unapplicable(it)
            if not (it.measures or it.formula or it.entities or it.codes or it.ages):
                raise Abstain(
                    "ambiguous",
                    "무엇을 알고 싶으신지 알 수 없습니다. 항목(예: 환자수, 진료비)이나 대상(예: 2019년 서울 "
                    "내과, 상병코드 J20)을 넣어 다시 물어봐 주세요.",
                    None,
                )
            table, ents, rivals = self._table(it)
            ans = self._run(it, table, ents)
            if rivals and not ans.query.get("summed"):  # a published figure: do the others publish it too?
                self._agree(ans, table, [self._try(it, t, e) for t, e in rivals])
            return ans
        except Abstain as a:
            c = Composer(a.table) if a.table else None
            reply = c.unanswerable(a.text) if c else Reply(f"{NO_DATA} {a.text}")
            return Answer(
                it.text,
                reply,
                True,
                it.qtype,
                a.table.table_id if a.table else None,
                query={"op": "abstain", "reason": a.reason, **it.as_dict()},
                reason=a.reason,
                choices=a.choices,
                extra=[*a.extra, *it.years],
                strip=[display_title(a.table)] if a.table else [],
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

    def _table(
        self, it: Intent
    ) -> tuple[TableInfo, dict[str, list[str]], list[tuple[TableInfo, dict[str, list[str]]]]]:
        """The table that satisfies most of the question's constraints, and its rivals: tables that satisfy
        them as well and differ only in how many breakdowns they leave open (each could answer)."""
        spans: dict[tuple[int, int, str], list[tuple[str, str]]] = {}
        for e in it.entities:
            spans.setdefault((e.start, e.end, e.surface), []).append((e.dim, e.value))
        scored: list[tuple[tuple[int, ...], TableInfo, dict[str, list[str]]]] = []
        asked_scope = scope_of(it.text)
        subjects = {w: self.lex.subject_tables(w) or set() for w in it.subjects}  # once per question
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
            subject = sum(t.table_id in tables for tables in subjects.values())
            fits = int(
                bool(self._needed(it)) or len(t.measures) == 1 or it.qtype == "lookup"
            )  # unasked: the table of all institutions first
            score = (
                int(years_ok),
                subject,
                has_over,
                has_age,
                fits,
                len(ents),
                scope,
                -len(open_dims),
                -len(t.dims),
            )
            scored.append((score, t, ents))
        if not scored:
            raise self._diagnose(it, self._needed(it))
        best, table, ents = max(scored, key=lambda s: s[0])
        rivals = [(t, e) for s, t, e in scored if t is not table and s[:7] == best[:7]]
        stray = [w for w, tables in subjects.items() if table.table_id not in tables]
        if stray:  # a title word of another table, not of the one that answers: never ignored
            words = ", ".join(f"'{w}'" for w in stray)
            raise Abstain(
                "entity",
                f"질문의 {words}은(는) 「{display_title(table)}」의 내용이 아니라 이 표로 답하면 그 말을 무시하게 됩니다. "
                "표 이름이나 조건을 바꿔 다시 물어봐 주세요.",
                table,
            )
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
        return table, self._as_codes(table, ents), [(t, self._as_codes(t, e)) for t, e in rivals]

    def _try(self, it: Intent, t: TableInfo, ents: dict[str, list[str]]) -> Answer | None:
        try:
            return self._run(it, t, ents)
        except Abstain:
            return None

    def _agree(self, ans: Answer, t: TableInfo, others: list[Answer | None]) -> None:
        """Two tables that both answer the question with different figures: the user says which
        (four 진료년월 files of one 상병 each have a 계 row; a released total is never picked by table order).
        Only published figures are weighed: a sum over a breakdown the question left open may cover part of
        it (a table of some 상병 per 진료과목), and the table with fewer open breakdowns is preferred then."""
        mine = _figures(ans)
        differ = [o for o in others if o and not o.query.get("summed") and _figures(o) != mine]
        if not differ:
            return
        by_id = {x.table_id: x for x in [ans, *differ] if x.table_id}
        options = "; ".join(
            f"「{display_title(self.lex.tables[tid])}」 {', '.join(_figure_text(x))}"
            for tid, x in by_id.items()
        )
        raise Abstain(
            "ambiguous",
            f"이 질문에 답할 수 있는 표가 여러 개이고 값이 서로 다릅니다: {options}. 어느 표의 값인지 표 이름을 넣어 "
            "다시 물어봐 주세요.",
            t,
            [v for x in by_id.values() for v in x.figures()],
        )

    def _as_codes(self, t: TableInfo, ents: dict[str, list[str]]) -> dict[str, list[str]]:
        """A name from a name column is its row's code: '결막염보다 우울에피소드(F32)' compares two codes."""
        out: dict[str, list[str]] = {}
        for d, vals in ents.items():
            code, codes = self.lex.labels.get((t.table_id, d), (d, {}))
            for v in vals:
                c = codes.get(v, v)
                if c not in out.setdefault(code, []):
                    out[code].append(c)
        return out

    def _master(self, it: Intent) -> Answer:
        """A code's official name, or a name's code, from the code master that links them."""
        names = self.lex.names
        assert names is not None
        lines, strip = [], []
        for e in it.entities:
            if e.value not in names.official:
                continue
            official = names.official[e.value]
            label = K.dim_label(e.dim)
            if e.surface == e.value or e.surface.upper() == e.value:
                lines.append(f"{label} {e.value}의 이름은 「{official}」입니다.")
            else:
                lines.append(f"「{official}」의 {label}는 {e.value}입니다.")
            strip.append(names.master.get(e.value, ""))
        cite = "; ".join(dict.fromkeys(s for s in strip if s))
        return Answer(
            it.text,
            Reply("\n".join(lines), citation=f"{CITE} {cite or '코드 마스터'}"),
            False,
            "master",
            None,
            query={"op": "master", "codes": [e.value for e in it.entities if e.value in names.official]},
            strip=[*strip, *names.official.values()][:50],
            interpretation=reading(it, None),
        )

    def _unapplicable(self, it: Intent) -> None:
        """Constraints no stored table can apply, whatever the table: say which, never drop them."""
        if it.mismatch:
            name, code, codes = it.mismatch[0]
            raise Abstain(
                "ambiguous",
                f"'{name}'은(는) 코드 마스터에서 {', '.join(codes)}에 해당하는데 질문의 코드는 {code}입니다. "
                "이름과 코드 중 어느 것이 맞는지 확인해 주세요.",
                None,
            )
        if it.unknown:  # before candidates: '번아웃 증후군' is not one of the 증후군 codes
            raise self._unknown(it)
        if it.candidates:
            names = self.lex.names
            assert names is not None
            word, codes = it.candidates[0]
            listed = ", ".join(f"{c} {names.official.get(c, '')}".strip() for c in codes[:20])
            more = f" 외 {len(codes) - 20}개" if len(codes) > 20 else ""
            raise Abstain(
                "ambiguous",
                f"'{word}'에 해당하는 상병이 여러 개입니다: {listed}{more}. 어느 것인지 코드나 정확한 이름으로 "
                "다시 물어봐 주세요.",
                None,
                choices=[it.text.replace(word, c, 1) for c in codes[:20]],
            )
        if it.regions:  # '충청도': which 시도, or their sum
            word, members = it.regions[0]
            raise Abstain(
                "ambiguous",
                f"'{word}'은(는) {', '.join(members)}을(를) 말합니다. 어느 시도인지, 또는 합계인지 다시 물어봐 주세요.",
                None,
                choices=[it.text.replace(word, m, 1) for m in members]
                + [it.text.replace(word, " ".join(members), 1) + " 합쳐서"],
            )
        if it.places:  # '고성군' is in 강원 and in 경남: which one, never their sum
            word, sidos = it.places[0]
            raise Abstain(
                "ambiguous",
                f"'{word}'은(는) 여러 시도에 있습니다: {', '.join(f'{s} {word}' for s in sidos)}. 어느 곳인지 "
                "시도와 함께 다시 물어봐 주세요.",
                None,
                choices=[it.text.replace(word, f"{s} {word}", 1) for s in sidos],
            )
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
        if it.months and not any(MONTH in t.dims for t in self.lex.tables.values()):
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
        dims = ", ".join(K.dim_label(d) for d in t.dims)
        asked, held = scope_of(it.text), scope_of(t.title)
        valued = any(scope_of(v) == asked for vals in ents.values() for v in vals)  # 요양기관그룹 의원급
        if asked is not None and asked != held and not valued:
            what = {"병원급": "병원급 이상 기관", "의원급": "의원급 기관", None: "모든 요양기관"}
            raise Abstain(
                "scope",
                f"「{c.title}」은(는) {what[held]} 자료라 {what[asked]}만의 값을 따로 알 수 없습니다.",
                t,
            )
        if it.quarter and QUARTER not in t.dims and MONTH not in t.dims:
            raise Abstain(
                "dimension",
                f"「{c.title}」은(는) 분기 구분이 없는 연간 자료라 {it.quarter}분기 값을 알 수 없습니다. 이 표의 구분: {dims}.",
                t,
            )
        if it.over and it.over not in t.dims and not (it.over == "시도" and "시군구" in t.dims):
            raise Abstain(
                "dimension",
                f"「{c.title}」에는 {K.dim_label(it.over)} 구분이 없습니다. 이 표의 구분: {dims}.",
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
        ask = it.ages[0]
        if len(it.ages) > 1 and cue(self.lex, "sum").search(it.text):  # '0~9세랑 10~19세 합치면': one span
            spans = sorted(((a.lo, a.hi) for a in it.ages), key=lambda s: s[0])
            joined = all(spans[i][1] == spans[i + 1][0] for i in range(len(spans) - 1))
            if not joined:
                raise Abstain(
                    "ambiguous", "이어지지 않은 연령 구간은 합치지 않습니다. 하나씩 물어봐 주세요.", t
                )
            ask = replace(ask, lo=spans[0][0], hi=spans[-1][1], surface="·".join(a.surface for a in it.ages))
            it.ages = [ask]  # one span from here on: its label is both bands
        elif len(it.ages) > 1:
            raise Abstain("ambiguous", "연령 조건이 두 개 이상입니다. 하나씩 물어봐 주세요.", t)
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

    def _unread(self, it: Intent, ans: Answer) -> list[str]:
        """The question's unknown words that a code master's answer did not read: not in the names, codes,
        values and columns it states, nor a word of the masters' vocabulary."""
        v = self.vocab
        words = [*v.master_words, *(w for ws in v.master_attributes.values() for w in ws)]
        words += [w for ws in v.master_changes.values() for w in ws]
        words = [re.sub(r"\s+", "", w).lower() for w in words if len(w) >= 2]
        read = re.sub(r"\s+", "", " ".join([ans.interpretation, ans.answer, *ans.strip])).lower()
        kinds = [re.compile(p) for p in v.master_kinds.values()]

        codes = set(ans.query.get("codes", []))
        names = self.lex.names
        assert self.book is not None
        read += re.sub(r"\s+", "", self.book.stored(sorted(codes))).lower()  # '정제': a value of the product

        def unread(w: str) -> bool:
            key = re.sub(r"\s+", "", w).lower()
            named = names is not None and bool(
                codes & names.lookup(w)
            )  # 'C50 유방암': a name of the code read
            return not (
                key in read or named or any(x in key for x in words) or any(k.search(w) for k in kinds)
            )

        return [w for w in it.unknown if unread(w)]

    def _beside_code(self, it: Intent, ans: Answer, left: list[str]) -> list[tuple[str, str]]:
        """Unread words written right next to a code the answer is about ('자궁경부암 C53', 'C50 유방암'): the
        code decides; the word is read as what the user calls it."""
        out = []
        for code in ans.query.get("codes", []):
            for w in left:
                near = rf"{re.escape(w)}\s*(?:\(|,)?\s*{re.escape(code)}|{re.escape(code)}\s*(?:\(|,)?\s*{re.escape(w)}"
                if re.search(near, it.text, re.IGNORECASE):
                    out.append((w, code))
        return out

    def _unknown(self, it: Intent) -> Abstain:
        """The question names something (a disease name, MRI) that no stored value accounts for."""
        words = ", ".join(f"'{w}'" for w in it.unknown)
        text = f"질문의 {words}에 해당하는 항목을 보유한 자료에서 찾지 못했습니다."
        if self.lex.names is not None:
            text += " 코드 마스터의 이름에서도 찾지 못했습니다."
        elif any("주상병코드" in t.dims for t in self.lex.tables.values()):
            text += " 상병 이름으로 물으려면 코드 마스터(예: KCD 마스터)를 적재하거나 코드(예: J20)로 물어봐 주세요."
        titles = ", ".join(f"「{display_title(t)}」" for t in self.lex.tables.values())
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
        elif it.qtype == "change" and len(set(it.years)) == 1 and len(it.months) < 2:
            raise Abstain(  # '2019년 진료비 몇 % 늘었어?': from which year is not said; never a guess
                "ambiguous",
                f"{it.years[0]}년 한 해만으로는 증감을 계산할 수 없습니다. 비교할 연도를 함께 물어봐 주세요"
                f"(예: {it.years[0] - 1}년 대비 {it.years[0]}년).",
                t,
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
                    f"「{display_title(t)}」에는 {it.quarter}분기 자료가 없습니다. "
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

    def _months(self, it: Intent, t: TableInfo, measures: list[str]) -> dict[str, list[Any]]:
        """A month asked is a filter of a monthly table; a year of a monthly table is the sum of its months,
        which a count of distinct patients is not (one person is treated in several months)."""
        c = Composer(t)
        if it.quarter and QUARTER not in t.dims and MONTH in t.dims:  # a quarter of a monthly table
            q = int(it.quarter)
            it.months = [f"{n}월" for n in range(3 * q - 2, 3 * q + 1)]
            it.month_span = f"{q}분기"
        months = sorted({f"{int(re.sub(r'[^0-9]', '', m)):02d}" for m in it.months})
        if months and MONTH not in t.dims:
            raise Abstain(
                "period",
                f"「{c.title}」은(는) 월 구분이 없는 자료라 '{it.months[0]}' 값을 알 수 없습니다.",
                t,
            )
        have = sorted(self.lex.values[t.table_id].get(MONTH, set()) - {"계"})
        missing = [m for m in months if m not in have]
        if missing:
            listed = ", ".join(f"{int(m)}월" for m in have)
            raise Abstain(
                "year", f"「{c.title}」에는 {int(missing[0])}월 자료가 없습니다. 이 표의 월: {listed}.", t
            )
        if months:
            return {MONTH: months}
        _never_summed(t, measures, f"「{c.title}」은(는) 월별 자료라 한 해의", "여러 달", "몇 월인지 함께")
        return {}

    # ---- execution -----------------------------------------------------------------------------
    def _run(self, it: Intent, t: TableInfo, ents: dict[str, list[str]]) -> Answer:
        resolved = self._resolve(t, it) or {}
        unions = self._applied(it, t, ents)
        measures = list(dict.fromkeys(resolved[m] for m in self._needed(it))) or list(t.measure_names)
        years = self._periods(it, t, measures)
        filters: dict[str, list[Any]] = {d: list(v) for d, v in ents.items()}
        if it.quarter and QUARTER in t.dims:
            filters[QUARTER] = [it.quarter]
        if it.months or MONTH in t.dims:
            filters.update(self._months(it, t, measures))
        if it.month_span and MONTH in filters:  # '상반기', '1~3월': the months' sum
            _never_summed(t, measures, f"{it.month_span}의", "여러 달", "한 달씩")
            unions[MONTH] = filters.pop(MONTH)
        op = it.qtype
        month_change = False
        if MONTH in filters and len(filters[MONTH]) >= 2:  # '1월 대비 12월': the months are what is compared
            asked = [f"{int(re.sub(r'[^0-9]', '', m)):02d}" for m in it.months]
            filters[MONTH] = list(dict.fromkeys(asked))  # in the order asked: from the first to the second
            if len(filters[MONTH]) == 2 and (cue(self.lex, "change").search(it.text) or it.qtype == "change"):
                month_change = True
            else:
                ents = {**ents, MONTH: filters[MONTH]}
        multi = [d for d, v in ents.items() if len(v) >= 2]
        if multi and cue(self.lex, "sum").search(it.text):  # 'A와 B 합쳐서', 'I60 I61 I63 다 더하면'
            what, group = ", ".join(ents[multi[0]]), f"여러 {K.dim_label(multi[0])}"
            _never_summed(t, measures, f"{what}의", group, "각각의 값은 따로")
            for d in multi:
                unions[d] = filters.pop(d)
            multi, op = [], "sum"
        wide = [d for d in multi if len(ents[d]) > 2]  # a comparison says two values
        if wide and op in ("lookup", "comparison", "change"):
            d = wide[0]
            raise Abstain(
                "ambiguous",
                f"{K.dim_label(d)} {len(ents[d])}개({', '.join(ents[d])})를 한 번에 비교하지 않습니다. 둘씩 비교하거나 "
                "순위·합계로 물어봐 주세요.",
                t,
            )
        if multi and op in ("lookup", "sum", "ranking", "share"):
            op = "comparison"  # two values of one dimension named: compare them
        if month_change and not multi:
            op = "change"
        if len(years) >= 2 and op in ("lookup", "comparison") and not multi:
            op = "change"
        if op == "comparison" and not multi:
            op = "lookup"
        if op in ("ratio", "derived") and (multi or len(years) >= 2):
            raise Abstain(
                "ambiguous",
                f"{it.derived}을(를) 여러 대상이나 여러 해에 대해 한 번에 계산하지 않습니다. 하나씩 물어봐 주세요.",
                t,
            )
        open_dims = [d for d in t.dims if d not in PERIOD and d not in ents and d not in unions]
        over: list[str] = []
        if op == "comparison":
            over = multi[:1]
        elif op == "change" and month_change:
            over = [MONTH]
        elif op == "sum":
            named = [d for d in unions if d not in self.lex.age_dims.values()]  # '입원이랑 외래 합계'
            over = [it.over] if it.over in open_dims else (named or open_dims)
            if len(years) >= 2 and it.over not in open_dims and not named:  # '2019~2021년 3년간 합계'
                over = [YEAR]
                _never_summed(t, measures, f"{years[0]}~{years[-1]}년의", "여러 해", "한 해씩")
            elif cue(self.lex, "sum").search(it.text) and (it.over in open_dims or named):
                # '입원 외래 합쳐서 환자 몇 명': a sum said over a breakdown; people are in several parts
                said = K.dim_label(over[0])
                _never_summed(t, measures, f"{said}별", f"여러 {said}", "각각의 값은 따로")
        elif op == "share" and it.over in open_dims:
            over = [it.over]  # '남녀 비율', '성별 비중': every value's share of the group
            measures = measures if self._needed(it) else measures[:1]
        elif op in ("ranking", "share") or (op in ("ratio", "derived") and it.ranked):
            over = [self._over(it, open_dims, ents, "share" if op == "share" else "ranking")]
        top = cue(self.lex, "top").search(it.text)
        q = Query(
            table=t.table_id,
            op=op,
            measures=measures,
            filters=filters,
            unions=unions,
            years=years,
            over=over,
            # '종별 순위' with no count: the whole order (up to ten), not the top three
            k=it.k or (1 if top else ORDER_MAX if cue(self.lex, "order").search(it.text) else 3),
            at=it.rank_at,
            excluded={
                d: [e.value for e in it.excluded if e.dim == d]
                for d in {e.dim for e in it.excluded}
                if d in t.dims
            },
            lowest=it.lowest,
            ranked=it.ranked,
            percent=bool(cue(self.lex, "percent").search(it.text)),
            times=bool(cue(self.lex, "times").search(it.text)),
            formula=it.formula,
            figure=it.derived,
            resolved=resolved,
            labels={
                **({d: it.ages[0].surface for d in unions if d != MONTH} if it.ages else {}),
                **({MONTH: it.month_span} if it.month_span and MONTH in unions else {}),
            },
        )
        asked_unit = re.search(r"(천원|만원|억원|원)\s*단위", it.text)
        c = Composer(t)
        unitless = [m for m in measures if c.amount_without_unit(m)]
        if asked_unit and unitless:
            raise Abstain(
                "unit",
                f"「{display_title(t)}」에는 {unitless[0]}의 금액 단위가 적혀 있지 않아 {asked_unit.group(1)} 단위로 "
                "바꿔 드릴 수 없습니다(원자료의 숫자 그대로만 알 수 있습니다).",
                t,
            )
        r = self.executor.run(q, t)
        reply = r.finish(r.reply)
        used = [c for c in it.named if any(c in vals for vals in filters.values())]
        if used and self.lex.names is not None:
            names = self.lex.names
            said = ", ".join(
                f"{K.dim_label(names.dim.get(c, '주상병코드'))} {c} 「{names.official.get(c, it.named[c])}」"
                for c in used
            )
            reply.add("master", f"※ {said} (코드 마스터 기준)")
        query = {
            "table": t.table_id,
            "op": op,
            "filters": {**filters, **unions},
            "measures": measures,
            "years": years,
            **r.query,
            **({"summed": r.summed} if r.summed else {}),
        }
        return Answer(
            it.text,
            reply,
            False,
            op,
            t.table_id,
            r.facts,
            r.derived,
            query,
            extra=[float(y) for y in years],
            strip=[r.c.title],
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
            # the cue that says it ('차지', else the last: '진료비중에' holds 비중 but is not the cue)
            cues = list(cue(self.lex, "share").finditer(it.text))
            said = [m for m in cues if m.group(0) == "차지"] or cues[-1:]
            at = said[0].start() if said else len(it.text)
            repeated = {  # the same value written twice (not one word read two ways)
                e.dim for e in it.entities if len({x.start for x in it.entities if x.value == e.value}) >= 2
            }
            if len(set(singles) - repeated) >= 1:
                singles = [
                    d for d in singles if d not in repeated
                ]  # '전국 약국 중 경기 약국': 약국 is common
            before = [e for e in it.entities if e.dim in singles and 0 <= e.start < at]
            return max(before, key=lambda e: e.start).dim if before else singles[-1]
        if it.over in open_dims:
            return it.over
        # a rank or a name beside a code is the row's label, not what is ranked
        open_dims = [d for d in open_dims if d not in RANK_DIMS] or open_dims
        if len(open_dims) == 1:
            return open_dims[0]
        if not open_dims:
            raise Abstain("ambiguous", "순위를 매길 구분(예: 진료과목, 시도)이 질문에 없습니다.", None)
        return open_dims[0]


def _never_summed(t: TableInfo, measures: list[str], what: str, groups: str, ask: str) -> None:
    """A count of distinct people (환자수) is never added over ``groups`` (months, years, named values):
    one person is in several. Abstains naming it; additive measures pass."""
    nonadd = [m for m in measures if not t.measure(m)["additive"]]
    if nonadd:
        raise Abstain(
            "dimension",
            f"{what} {nonadd[0]}는 한 사람이 {groups}에 포함될 수 있어 값을 더해 구할 수 없습니다(원자료에 합계가 "
            f"없음). {ask} 물어봐 주세요.",
            t,
        )


def _figures(ans: Answer) -> list[float]:
    """Comparable: to six significant figures (a real file rounds large amounts to six)."""
    return sorted(float(f"{v:.6g}") for v in ans.figures())


def _figure_text(ans: Answer) -> list[str]:
    return [f"{v:,.6g}" if abs(v) < 1e6 else f"{v:,.0f}" for v in ans.figures()[:3]]
