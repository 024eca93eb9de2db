"""Follow-ups: an elliptical question ("그럼 부산은?", "2017년은?", "상위 5개는?") read against the previous
turn's intent; what the new question names replaces the previous value of that dimension, the rest is
carried over and listed for the interpretation line."""

from __future__ import annotations

import re
from dataclasses import replace

from hirachat.answer.intent import Intent
from hirachat.answer.lexicon import Lexicon, cue


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


def follow(it: Intent, prev: Intent, changed: bool = False) -> Intent:
    """The previous intent with what this question changes; ``carried`` lists what was kept. ``changed``:
    the question says a change ('2019년 대비 증감률은?': from that year to the previous turn's)."""
    new_dims = {e.dim for e in it.entities}
    # a replaced value goes with every reading of its word (약국 as 종별 and as 진료과목)
    gone = {(e.start, e.end, e.surface) for e in prev.entities if e.dim in new_dims}
    ents = [e for e in prev.entities if e.dim not in new_dims and (e.start, e.end, e.surface) not in gone]
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
    )
    if changed and len(set(it.years)) == 1 and len(set(prev.years)) == 1 and it.years != prev.years:
        out.years = sorted(
            {*it.years, *prev.years}
        )  # '2019년 대비 증감률은?': from that year to the last one
        out.qtype = "change"
        carried.insert(0, f"{prev.years[0]}년")
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
    if it.qtype != "lookup" and out.qtype != "change":
        out.qtype, out.k, out.lowest = it.qtype, it.k or prev.k, it.lowest
        out.over = it.over or prev.over
    elif it.k:
        out.k = it.k
    if it.over and it.qtype == "lookup" and prev.qtype in ("ranking", "share"):
        out.over = it.over
    if it.previous_year:
        out.previous_year = True
    out.carried = [c for c in carried if c]
    return out
