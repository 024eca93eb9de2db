"""Follow-ups: an elliptical question ("그럼 부산은?", "2017년은?", "상위 5개는?") read against the previous
turn's intent; what the new question names replaces the previous value of that dimension, the rest is
carried over and listed for the interpretation line."""

from __future__ import annotations

import re
from dataclasses import replace

from hirachat.answer.intent import Intent
from hirachat.answer.lexicon import Entity, Lexicon, cue
from hirachat.data.schema import MONTH, YEAR


def elliptical(it: Intent, work: str, lex: Lexicon) -> bool:
    """A follow-up leans on the previous turn: a follow-up cue, or a short question missing what it asks."""
    if it.term:
        return False
    if cue(lex, "followup").search(work):
        return True
    if not (it.measures or it.formula or it.entities or it.codes or it.ages):
        return True  # '2013년 기준으로는 얼마였어?': nothing but a period or an operation
    says = bool(it.measures or it.formula) + bool(it.entities or it.codes) + bool(it.years)
    return len(re.sub(r"\s+", "", work)) <= 14 and says <= 1


def _month_number(month: str) -> int:
    """'7월' → 7: months in the order of the year."""
    return int(re.sub(r"\D", "", month) or 0)


def earlier(it: Intent, prev: Intent) -> dict[str, list[str]]:
    """What the conversation named before ``it``: the previous turn's memory, plus each value, year and
    month of the previous turn that this question replaces."""
    out = {k: list(v) for k, v in prev.earlier.items()}

    def add(key: str, values: list[str]) -> None:
        seen = out.setdefault(key, [])
        seen += [v for v in values if v not in seen]

    new_dims = {e.dim for e in it.entities}
    for e in prev.entities:
        if e.dim in new_dims and e.value not in {x.value for x in it.entities}:
            add(e.dim, [e.value])
    if it.years and prev.years and set(it.years) != set(prev.years):
        add(YEAR, [str(y) for y in prev.years])
    if it.months and prev.months and set(it.months) != set(prev.months):
        add(MONTH, list(prev.months))
    return out


def follow(it: Intent, prev: Intent, changed: bool = False, summed: bool = False) -> Intent:
    """The previous intent with what this question changes; ``carried`` lists what was kept. ``changed``:
    the question says a change ('2019년 대비 증감률은?': from that year to the previous turn's; '그 사이에
    몇 % 늘었어?': between the two years the conversation named). ``summed``: a sum of what was named
    ('두 지역 합치면?': the value this turn carries and the one it replaced)."""
    new_dims = {e.dim for e in it.entities}
    memory = earlier(it, prev)
    # a replaced value goes with every reading of its word (약국 as 종별 and as 진료과목)
    gone = {(e.start, e.end, e.surface) for e in prev.entities if e.dim in new_dims}
    ents = [e for e in prev.entities if e.dim not in new_dims and (e.start, e.end, e.surface) not in gone]
    ents = [replace(e, start=-1, end=-1) for e in ents]  # carried: not said in this question's text
    carried = [f"{e.value}" for e in ents]
    out = replace(
        prev,
        text=it.text,
        entities=[*ents, *it.entities],
        codes=it.codes or ([] if new_dims & {"주상병코드", "행위코드"} else prev.codes),
        # what the previous turn could not apply (a disease name) is still asked, unless a code replaces it
        unknown=it.unknown + ([] if new_dims & {"주상병코드", "행위코드"} or it.codes else prev.unknown),
        stats=it.stats or prev.stats,
        age_words=it.age_words or prev.age_words,
        months=it.months or prev.months,
        earlier=memory,
        places=it.places if it.places or "시도" in new_dims else prev.places,
    )
    if changed and len(set(it.years)) == 1 and len(set(prev.years)) == 1 and it.years != prev.years:
        out.years = sorted(
            {*it.years, *prev.years}
        )  # '2019년 대비 증감률은?': from that year to the last one
        out.qtype = "change"
        carried.insert(0, f"{prev.years[0]}년")
    elif changed and len(set(it.months)) == 1 and len(set(prev.months)) == 1 and it.months != prev.months:
        # '7월보다 몇 % 늘었어?': between that month and the last one, from the earlier to the later
        out.months = sorted([*it.months, *prev.months], key=_month_number)
        out.qtype = "change"
        carried.insert(0, prev.months[0])
    elif changed and not it.years and len(set(prev.years)) == 1 and memory.get(YEAR):
        before = int(memory[YEAR][-1])  # '그 사이에 몇 % 늘었어?': the year named before, to the last one
        out.years = sorted({before, prev.years[0]})
        out.qtype = "change"
        carried.insert(0, " 대비 ".join(f"{y}년" for y in out.years))
    elif changed and not it.months and len(set(prev.months)) == 1 and memory.get(MONTH):
        out.months = sorted({memory[MONTH][-1], prev.months[0]}, key=_month_number)
        out.qtype = "change"
        carried.insert(0, " 대비 ".join(out.months))
    elif it.years:
        out.years = it.years
    elif prev.years:
        carried.insert(0, "·".join(f"{y}년" for y in prev.years))
    if it.quarter:
        out.quarter = it.quarter
    if it.ages:
        out.ages = it.ages
    elif prev.ages:
        carried += [a.surface for a in prev.ages]
    if it.measures or it.formula:
        out.measures, out.measure_words, out.formula, out.derived = (
            it.measures,
            it.measure_words,
            it.formula,
            it.derived,
        )
    else:
        carried.append(prev.derived or "·".join(prev.measures) or "")
    if prev.qtype == "master" and (it.measures or it.formula):  # 'F20이 무슨 병?' → '그 병 환자는?': a figure
        out.qtype = it.qtype
    if it.qtype != "lookup" and out.qtype != "change":
        out.qtype, out.k, out.lowest = it.qtype, it.k or prev.k, it.lowest
        out.over = it.over or prev.over
    elif it.k:
        out.k = it.k
    if it.rank_at is not None:
        out.rank_at, out.k = it.rank_at, None
    if it.over and it.qtype == "lookup" and prev.qtype in ("ranking", "share"):
        out.over = it.over
    if it.previous_year:
        out.previous_year = True
    kept = [d for d in memory if d not in (YEAR, MONTH) and any(e.dim == d for e in out.entities)]
    if summed and not it.entities and len(kept) == 1:  # '두 지역 합치면?': this value and the one before
        d = kept[0]
        out.entities = [*out.entities, Entity(d, memory[d][-1], memory[d][-1], -1, -1)]
        out.qtype = "sum"
        carried.append(memory[d][-1])
    out.carried = [c for c in carried if c]
    return out
