"""Answer wording, shared by the QA dataset (training) and the answer engines (serving).

Given facts and the figures computed from them, each method returns the answer as a ``Reply`` (body,
typed notes, citation: query/reply.py) and the derived figures (``{"op", "of": [fact ids], "value"}``) that the numeric check recomputes. Numbers are exact, with
units and thousands separators; notes say when 환자수 is summed across categories, when amounts include
선별급여 and when data are synthetic; the last line cites the table, years and files.
"""

from __future__ import annotations

import hashlib
import random
import re
from typing import Any

from hirachat import korean as K
from hirachat.data.schema import QUARTER, YEAR
from hirachat.data.store import TableInfo
from hirachat.data.vocab import MEASURE_BY_NAME
from hirachat.numbers import format_number, format_percent, format_signed, format_value, round_half_up
from hirachat.query.facts import Fact
from hirachat.query.reply import Note, Reply

Derived = list[dict[str, Any]]
# a table whose scope is a subset of institutions (its title or file name says so): 병원급 이상, 의원급
_SCOPE = {
    "병원급": re.compile(r"병원급\s*이상|병원급|hospital[_ ]level", re.I),
    "의원급": re.compile(r"의원급|clinic[_ ]level", re.I),
}
SCOPE_LABEL = {"병원급": "병원급 이상", "의원급": "의원급"}


def scope_of(title: str) -> str | None:
    return next((k for k, pat in _SCOPE.items() if pat.search(title)), None)


def display_title(info: TableInfo) -> str:
    """The table's name as answers cite it: its own Korean title (underscores as spaces), or, for a file
    named in another script (hira_dept_by_sido_…), what its schema says: '시도·진료과목별 통계 (병원급 이상)'."""
    title = info.title.replace("_", " ")
    if re.search(r"[가-힣]", title):
        return title
    labels = [K.dim_label(d) for d in info.dims if d not in (YEAR, QUARTER)]
    scope = scope_of(info.title)
    return f"{'·'.join(labels)}별 통계" + (f" ({SCOPE_LABEL[scope]})" if scope else "")


SYNTHETIC_NOTE = "※ 합성(가상) 데이터로 만든 예시입니다."
NO_DATA = "죄송하지만 해당 질문에 답할 자료가 없습니다."


def ranks(ordered: list[Fact], sign: int) -> list[int]:
    """Competition ranks of facts already in order: tied values share a place (1, 2, 2, 4)."""
    out: list[int] = []
    for i, f in enumerate(ordered):
        out.append(out[-1] if i and ordered[i - 1]["value"] == f["value"] else i + 1)
    return out


class Composer:
    """Wording for one table. With an ``rng``, measure labels vary (training data); without, they are canonical."""

    def __init__(self, info: TableInfo, rng: random.Random | None = None) -> None:
        self.info = info
        self.rng = rng
        self.title = display_title(info)
        self.rough: set[float] = set()  # figures the file holds rounded, and sums over them: written "약 …"

    def label(self, measure: str) -> str:
        return K.measure_label(measure, self.rng) if self.rng else measure

    def about(self, x: float) -> str:
        return "약 " if x in self.rough else ""

    def val(self, x: float, measure: str) -> str:
        return self.about(x) + format_value(x, self.info.measure(measure)["unit"])

    def short(self, x: float, measure: str) -> str:
        """The exact figure with its unit, without the 조/억/만 repetition (for lists)."""
        return f"{self.about(x)}{format_number(x)}{self.info.measure(measure)['unit'] or ''}"

    def sum(self, facts: list[Fact]) -> float:
        """The facts' total; approximate where any of them is."""
        total = float(sum(f["value"] for f in facts))
        if any(f.get("approx") for f in facts):
            self.rough.add(total)
        return total

    def cite(self, facts: list[Fact]) -> str:
        years = sorted({int(str(y)) for f in facts if str(y := f["dims"].get(YEAR)).isdigit()})  # not a 계
        files = sorted({f["source"].get("file", "") for f in facts})
        period = " " + ", ".join(f"{y}년" for y in years) if years else ""
        return f"출처: 건강보험심사평가원 「{self.title}」{period} ({', '.join(files)})"

    def notes(self, measures: list[str], summed_dim: str | None = None) -> list[Note]:
        out = []
        if summed_dim and any(not self.info.measure(m)["additive"] for m in measures):
            out.append(Note("overcount", self.overcount(summed_dim)))
        if unitless := [m for m in measures if self.amount_without_unit(m)]:
            text = f"※ 원자료에 {unitless[0]}의 금액 단위(원, 천원 등)가 적혀 있지 않아 단위 없이 적었습니다."
            out.append(Note("unit", text))
        if any(self.info.measure(m)["selective"] for m in measures):
            out.append(Note("selective", "※ 금액은 선별급여를 포함합니다."))
        if self.info.synthetic:
            out.append(Note("synthetic", SYNTHETIC_NOTE))
        return out

    @staticmethod
    def overcount(summed_dim: str) -> str:
        return (
            f"※ 환자수는 한 사람이 여러 {K.dim_label(summed_dim)}에 포함될 수 있어, "
            "합계는 실제 환자 수보다 많을 수 있습니다."
        )

    def amount_without_unit(self, m: str) -> bool:
        """An amount whose file gives no unit: 원 or 천원 is not known, so none is written."""
        known = MEASURE_BY_NAME.get(m)
        return self.info.measure(m)["unit"] is None and known is not None and known.unit == "원"

    def finish(self, body: str, facts: list[Fact], measures: list[str], summed: str | None = None) -> Reply:
        return Reply(body, self.notes(measures, summed), self.cite(facts))

    # ---- one method per question type ------------------------------------------------------------
    def lookup(self, f: Fact, ent: str) -> tuple[Reply, Derived]:
        m = f["measure"]
        body = f"{ent}의 {K.josa(self.label(m), '은/는')} {self.val(f['value'], m)}입니다."
        return self.finish(body, [f], [m]), []

    def total(self, facts: list[Fact], over: str, ctx: str) -> tuple[Reply, Derived]:
        m = facts[0]["measure"]
        total = self.sum(facts)
        body = (
            f"{ctx}의 {K.dim_label(over)} {len(facts):,}개 {self.label(m)} 합계는 {self.val(total, m)}입니다."
        )
        ids = [f["fact_id"] for f in facts]
        derived = [{"op": "sum", "of": ids, "value": total}, {"op": "count", "of": ids, "value": len(facts)}]
        return self.finish(body, facts, [m], over), derived

    def ranking(
        self, facts: list[Fact], over: str, ctx: str, k: int, lowest: bool = False
    ) -> tuple[Reply, Derived]:
        """``facts`` in any order; ranked by value (descending, or ascending for ``lowest``), ties by name."""
        m = facts[0]["measure"]
        sign = 1 if lowest else -1
        ordered = sorted(facts, key=lambda f: (sign * f["value"], str(f["dims"][over])))
        k = min(k, len(ordered))
        while k < len(ordered) and ordered[k]["value"] == ordered[k - 1]["value"]:
            k += 1  # a tie at the last place asked: every tied row, never one of them by its name
        ids = [f["fact_id"] for f in facts]
        place = [ranks(ordered, sign)[i] for i in range(k)]
        if k == 1:
            top = ordered[0]
            most = "가장 적은" if lowest else "가장 많은"
            body = (
                f"{ctx}에서 {K.josa(self.label(m), '이/가')} {most} {K.josa(K.dim_label(over), '은/는')} "
                f"{K.value_phrase(over, top['dims'][over])}({self.val(top['value'], m)})입니다."
            )
            return self.finish(body, facts, [m]), [{"op": "rank", "of": ids, "value": 1}]
        tied = {p for p in place if place.count(p) > 1}
        items = ", ".join(  # a list: each amount once (the table under the answer has the 억/조 form)
            f"{'공동 ' if place[i] in tied else ''}{place[i]}위 {K.value_phrase(over, f['dims'][over])} "
            f"{self.short(f['value'], m)}"
            for i, f in enumerate(ordered[:k])
        )
        body = f"{ctx}의 {K.by(K.dim_label(over))} {self.label(m)} {'하위' if lowest else '상위'} {k}개는 {items}입니다."
        return self.finish(body, facts, [m]), [{"op": "rank", "of": ids, "value": p} for p in place]

    def rank_at(
        self, facts: list[Fact], over: str, ctx: str, at: int, lowest: bool = False
    ) -> tuple[Reply, Derived] | None:
        """The row(s) at one place of the order ('7위는?'): tied rows together; None when no row is at
        that place."""
        m = facts[0]["measure"]
        sign = 1 if lowest else -1
        ordered = sorted(facts, key=lambda f: (sign * f["value"], str(f["dims"][over])))
        chosen = [f for f, p in zip(ordered, ranks(ordered, sign), strict=True) if p == at]
        if not chosen:
            return None
        named = ", ".join(
            f"{K.value_phrase(over, f['dims'][over])}({self.val(f['value'], m)})" for f in chosen
        )
        tie = f"공동 {at}위({len(chosen)}개)" if len(chosen) > 1 else f"{at}위"
        body = (
            f"{ctx}의 {K.by(K.dim_label(over))} {self.label(m)} {'하위 ' if lowest else ''}{K.josa(tie, '은/는')} "
            f"{named}입니다 (전체 {len(facts)}개 중)."
        )
        ids = [f["fact_id"] for f in facts]
        return self.finish(body, chosen, [m]), [{"op": "rank", "of": ids, "value": at}]

    def comparison(self, a: Fact, b: Fact, over: str, ctx: str) -> tuple[Reply, Derived]:
        m = a["measure"]
        hi, lo = (a, b) if a["value"] >= b["value"] else (b, a)
        an, bn = K.value_phrase(over, a["dims"][over]), K.value_phrase(over, b["dims"][over])
        hn, ln = K.value_phrase(over, hi["dims"][over]), K.value_phrase(over, lo["dims"][over])
        diff = hi["value"] - lo["value"]
        head = f"{ctx}의 {K.josa(self.label(m), '은/는')} {an} {self.val(a['value'], m)}, "
        head += K.ro(f"{bn} {self.val(b['value'], m)}")
        derived: Derived = [{"op": "diff", "of": [hi["fact_id"], lo["fact_id"]], "value": diff}]
        if diff == 0:
            body = f"{head} 같습니다."
        elif lo["value"] > 0:
            ratio = hi["value"] / lo["value"]
            body = f"{head} {K.josa(hn, '이/가')} {ln}보다 {self.val(diff, m)} 많습니다(약 {format_number(ratio)}배)."
            derived.append({"op": "ratio", "of": [hi["fact_id"], lo["fact_id"]], "value": ratio})
        else:
            body = f"{head} {K.josa(hn, '이/가')} {ln}보다 {self.val(diff, m)} 많습니다."
        return self.finish(body, [a, b], [m]), derived

    def change(
        self, old: Fact, new: Fact, ent: str, period: str = YEAR, times: bool = False
    ) -> tuple[Reply, Derived]:
        """From ``old`` to ``new``: two years, or two months of one year (``period`` = 월); ``times``: also
        as a multiple ('몇 배')."""
        m = old["measure"]
        p1, p2 = K.value_phrase(period, old["dims"][period]), K.value_phrase(period, new["dims"][period])
        diff = new["value"] - old["value"]
        word = "증가" if diff > 0 else "감소" if diff < 0 else "변화 없음"
        derived: Derived = [{"op": "diff", "of": [new["fact_id"], old["fact_id"]], "value": diff}]
        body = (
            f"{ent}의 {K.josa(self.label(m), '은/는')} {p1} {self.val(old['value'], m)}에서 "
            f"{K.ro(f'{p2} ' + self.val(new['value'], m))} {format_signed(diff, self.info.measure(m)['unit'])}"
        )
        if diff == 0:  # same figure both periods: said plainly, with no signed change
            body = (
                f"{ent}의 {K.josa(self.label(m), '은/는')} {K.josa(p1, '과/와')} {p2} 모두 "
                f"{self.val(new['value'], m)}로 변화가 없습니다."
            )
        elif old["value"]:
            pct = diff / old["value"]
            body += f"({'+' if pct > 0 else ''}{format_percent(pct)}) {word}했습니다."
            derived.append({"op": "pct_change", "of": [old["fact_id"], new["fact_id"]], "value": pct * 100})
        else:
            body += f" {word}했습니다."
        if times and old["value"]:
            ratio = new["value"] / old["value"]
            body += f" {K.josa(p2, '은/는')} {p1}의 약 {format_number(ratio)}배입니다."
            derived.append({"op": "ratio", "of": [new["fact_id"], old["fact_id"]], "value": ratio})
        return self.finish(body, [old, new], [m]), derived

    def share(
        self, a: Fact, facts: list[Fact], over: str, ctx: str, whole: Fact | None = None
    ) -> tuple[Reply, Derived]:
        """``a``'s share of the file's own total row ``whole`` where it has one, else of the parts' sum."""
        m = a["measure"]
        total = whole["value"] if whole is not None else self.sum(facts)
        an = K.value_phrase(over, a["dims"][over])
        of = f"{K.dim_label(over)} 전체(계)" if whole is not None else f"{K.dim_label(over)} 전체 합계"
        body = (
            f"{ctx}에서 {an}의 {K.josa(self.label(m), '은/는')} {K.ro(self.val(a['value'], m))}, "
            f"{of} {self.val(total, m)}의 {format_percent(a['value'] / total)}입니다."
        )
        if whole is not None:
            derived: Derived = [
                {"op": "share", "of": [a["fact_id"], whole["fact_id"]], "value": a["value"] / total * 100}
            ]
            return self.finish(body, [a, whole], [m]), derived
        ids = [f["fact_id"] for f in facts]
        derived = [
            {"op": "sum", "of": ids, "value": total},
            {"op": "share", "of": [a["fact_id"], *ids], "value": a["value"] / total * 100},
        ]
        return self.finish(body, facts, [m]), derived

    def distribution(self, facts: list[Fact], over: str, ctx: str) -> tuple[Reply, Derived]:
        """Each value's share of the whole ('남녀 비율'): every part, its figure and its percent."""
        m = facts[0]["measure"]
        total = self.sum(facts)
        ids = [f["fact_id"] for f in facts]
        ranked = sorted(facts, key=lambda f: -f["value"])
        top, rest = (ranked, []) if len(ranked) <= 10 else (ranked[:8], ranked[8:])
        shown = [
            f"{K.value_phrase(over, f['dims'][over])} {self.short(f['value'], m)}({format_percent(f['value'] / total)})"
            for f in top
        ]
        derived: Derived = [{"op": "sum", "of": ids, "value": total}]
        derived += [
            {"op": "share", "of": [f["fact_id"], *ids], "value": f["value"] / total * 100} for f in top
        ]
        if rest:
            other = self.sum(rest)
            rest_id = "sum:" + hashlib.sha1("|".join(f["fact_id"] for f in rest).encode()).hexdigest()[:12]
            derived.append({"op": "sum", "id": rest_id, "of": [f["fact_id"] for f in rest], "value": other})
            derived.append({"op": "share", "of": [rest_id, *ids], "value": other / total * 100})
            shown.append(
                f"그 밖의 {len(rest)}개 합계 {self.short(other, m)}({format_percent(other / total)})"
            )
        body = (
            f"{ctx}의 {self.label(m)} {K.by(K.dim_label(over))} 구성은 "
            f"{', '.join(shown)}입니다 (합계 {self.val(total, m)})."
        )
        return self.finish(body, facts, [m]), derived

    def formula(
        self,
        name: str,
        value: float,
        op: str,
        parts: list[tuple[str, float]],
        unit: str | None,
        percent: bool,
        ctx: str,
    ) -> str:
        """A computed figure with its formula stated: '… 1인당 진료비는 약 646,350원입니다 (A ÷ B)'."""
        if percent:
            shown = format_percent(value)
        elif unit == "원":
            shown = format_value(round_half_up(value, 0) if op == "ratio" else value, "원")
        else:
            shown = f"{format_number(value)}{unit or ''}"
        sym = " − " if op == "diff" else " ÷ "
        inputs = sym.join(f"{n} {self._part(n, v)}" for n, v in parts)
        about = "약 " if op == "ratio" and not percent else ""
        return f"{ctx}의 {K.josa(name, '은/는')} {about}{shown}입니다 ({inputs})."

    def formula_ranking(
        self,
        name: str,
        scored: list[tuple[str, float]],
        over: str,
        ctx: str,
        k: int,
        lowest: bool,
        unit: str | None,
        percent: bool,
    ) -> str:
        """A computed figure ranked over a dimension: '… 1인당 진료비가 가장 높은 시도는 서울(약 1,412,035원)'."""
        ordered = sorted(scored, key=lambda x: (x[1] if lowest else -x[1], x[0]))
        k = min(k, len(ordered))

        def shown(v: float) -> str:
            if percent:
                return format_percent(v)
            if unit == "원":
                return "약 " + format_value(round_half_up(v, 0), "원")
            return f"약 {format_number(v)}{unit or ''}"

        if k == 1:
            top, v = ordered[0]
            most = "가장 낮은" if lowest else "가장 높은"
            return (
                f"{ctx}에서 {K.josa(name, '이/가')} {most} {K.josa(K.dim_label(over), '은/는')} "
                f"{K.value_phrase(over, top)}({shown(v)})입니다."
            )
        items = ", ".join(
            f"{i + 1}위 {K.value_phrase(over, n)} {shown(v)}" for i, (n, v) in enumerate(ordered[:k])
        )
        return (
            f"{ctx}의 {K.by(K.dim_label(over))} {name} {'하위' if lowest else '상위'} {k}개는 {items}입니다."
        )

    def _part(self, name: str, v: float) -> str:
        try:
            return self.val(v, name)
        except KeyError:  # a figure computed by another formula (본인부담금): an amount
            return format_value(v, "원")

    # ---- why the data cannot answer (no number but years) ----------------------------------------
    def why_year(self, asked: int, years: list[int]) -> str:
        have = ", ".join(f"{y}년" for y in years)
        return f"「{self.title}」에는 {asked}년 자료가 없습니다. 이 표가 보유한 연도는 {have}입니다."

    def why_measure(self, measure: str) -> str:
        return f"「{self.title}」에는 {measure} 항목이 없습니다. 이 표의 항목은 {', '.join(self.info.measure_names)}입니다."

    def why_entity(self, dim: str, value: str) -> str:
        return f"「{self.title}」에는 {K.value_phrase(dim, value)}에 해당하는 자료가 없습니다."

    def why_dimension(self, dim: str, value: str) -> str:
        return (
            f"「{self.title}」에는 {K.by(K.dim_label(dim))} 구분이 없어 '{value}' 조건을 적용할 수 없습니다. "
            f"이 표의 구분은 {', '.join(K.dim_label(d) for d in self.info.dims)}입니다."
        )

    def why_drift(self, measure: str, year: int, periods: list[str]) -> str:
        have = ", ".join(sorted({f"{p[:4]}년" for p in periods}))
        return f"「{self.title}」의 {year}년 자료에는 {measure} 항목이 없습니다. {measure}는 {have} 자료에만 있습니다."

    def unanswerable(self, why: str) -> Reply:
        return Reply(f"{NO_DATA} {why}", [Note("synthetic", SYNTHETIC_NOTE)] if self.info.synthetic else [])
