"""The intent: what one Korean question constrains (years, months, values, ages, the measure or formula,
the dimension named, statistics no table holds, words nothing accounts for), with the words it used.
Written by `understand`, read by the follow-up resolver, the name linker, the planner and the reading
line; it sits below all of them."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from hirachat.answer.ages import AgeAsk
from hirachat.answer.lexicon import Entity


@dataclass
class Intent:
    text: str
    qtype: str = "lookup"
    years: list[int] = field(default_factory=list)
    quarter: str | None = None
    entities: list[Entity] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # code-like tokens no stored value accounts for
    measures: list[str] = field(default_factory=list)
    measure_words: dict[str, str] = field(default_factory=dict)  # measure → the word the question used
    derived: str | None = (
        None  # the figure's name ("1인당 진료비", "보험자부담률", "요양급여비용총액 대비 …")
    )
    formula: dict[str, Any] | None = None  # {"op": ratio|diff, "a": figure, "b": figure, "percent": bool}
    over: str | None = None  # dimension named as the grouping ("진료과목별", "어느 지역")
    k: int | None = None
    lowest: bool = False
    rank_at: int | None = None  # one place asked ('7위는?', '세 번째')
    term: str | None = None
    previous_year: bool = False
    trend: bool = False
    ranked: bool = False  # a ranking cue (가장, 상위 N): with a formula, the figure is ranked
    ages: list[AgeAsk] = field(default_factory=list)
    age_words: list[str] = field(default_factory=list)  # 청소년, 소아: no fixed range
    stats: list[str] = field(default_factory=list)  # 평균, 중앙값, 사망률: no table publishes them
    months: list[str] = field(default_factory=list)
    month_span: str | None = None  # '상반기', '1~3월': the months are summed, not compared
    unknown: list[str] = field(default_factory=list)  # content words nothing in the data accounts for
    subjects: list[str] = field(default_factory=list)  # words of a table's title: what the table is about
    carried: list[str] = field(default_factory=list)  # what a follow-up took from the previous turn
    named: dict[str, str] = field(default_factory=dict)  # code → the name written next to it
    candidates: list[tuple[str, list[str]]] = field(default_factory=list)  # a name several codes carry
    mismatch: list[tuple[str, str, list[str]]] = field(default_factory=list)  # (name, code, the name's codes)
    places: list[tuple[str, list[str]]] = field(default_factory=list)  # a 시군구 name in several 시도
    regions: list[tuple[str, list[str]]] = field(
        default_factory=list
    )  # a region of several 시도, no sum said
    # values the conversation named before this turn's, per dimension (years and months too, as text):
    # '그 사이에 몇 % 늘었어?', '두 지역 합치면?' read them
    earlier: dict[str, list[str]] = field(default_factory=dict)
    excluded: list[Entity] = field(default_factory=list)  # values said to be left out ('약국은 빼고')
    each: bool = False  # '각각': every value of the breakdown named, one by one
    orphan: bool = False  # a follow-up ('그럼 부산은?') with no previous turn to follow
    words: list[dict[str, Any]] = field(default_factory=list)  # every morpheme and the pass that claimed it

    def as_dict(self) -> dict[str, Any]:
        return {
            "qtype": self.qtype,
            "years": self.years,
            "quarter": self.quarter,
            "entities": [{"dim": e.dim, "value": e.value, "surface": e.surface} for e in self.entities],
            "codes": self.codes,
            "measures": self.measures,
            "derived": self.derived,
            "formula": self.formula,
            "over": self.over,
            "k": self.k,
            "lowest": self.lowest,
            "term": self.term,
            "ages": [{"from": a.lo, "below": a.hi, "surface": a.surface} for a in self.ages],
            "carried": self.carried,
            "unclaimed": self.unknown,
        }

    def state(self) -> dict[str, Any]:
        """The whole reading as JSON-ready data: what a conversation stores with a message, so the next
        turn continues from it (no replay of earlier questions)."""
        return asdict(self)

    @classmethod
    def from_state(cls, data: dict[str, Any]) -> Intent:
        """The reading ``state()`` wrote (unknown keys of a later version are ignored)."""
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in data.items() if k in known}
        kw["entities"] = [Entity(**e) for e in kw.get("entities", [])]
        kw["excluded"] = [Entity(**e) for e in kw.get("excluded", [])]
        kw["ages"] = [AgeAsk(**a) for a in kw.get("ages", [])]
        kw["candidates"] = [(name, list(codes)) for name, codes in kw.get("candidates", [])]
        kw["mismatch"] = [(a, b, list(c)) for a, b, c in kw.get("mismatch", [])]
        kw["places"] = [(w, list(s)) for w, s in kw.get("places", [])]
        kw["regions"] = [(w, list(s)) for w, s in kw.get("regions", [])]
        return cls(**kw)
