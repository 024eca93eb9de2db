"""Korean question → intent: years, entities, measures, question type, grouping dimension, k.

Entities are linked against the values in the store (``Lexicon``); Kiwi (kiwipiepy, offline) splits
particles off words so that single-syllable values (남/여) and codes are found as tokens. Question types
are read from cue words, most specific first: definition, derived figure, ratio, change between years,
comparison, share, ranking, sum, lookup.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hirachat.answer.lexicon import DERIVED_WORDS, DIM_WORDS, MEASURE_WORDS, SCOPE_PHRASES, Entity, Lexicon
from hirachat.data.vocab import TERMS

_YEAR = re.compile(r"(?<![\d.,])((?:19|20)\d{2})(?:\s*년(?:도)?)?(?![\d,])")
_QUARTER = re.compile(r"(?<!\d)([1-4])\s*분기")
_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]\d{2}(?:\.\d{1,2})?)(?![A-Za-z0-9])")
_K = re.compile(r"(?:상위|top|TOP|Top)\s*(\d{1,2})|(\d{1,2})\s*(?:개|곳|위|군데|순위|개소|가지)")
CUES: dict[str, re.Pattern[str]] = {
    "definition": re.compile(
        r"(뜻|의미|무엇|무슨\s*말|뭐야|뭔가요|뭐예요|뭔지|이란|란\s*\?|정의|개념|설명해)"
    ),
    "change": re.compile(r"(대비|증감|변화|변했|늘었|줄었|증가|감소|달라졌|차이가\s*얼마나\s*나|추이|성장)"),
    "comparison": re.compile(
        r"(비교|차이|어느\s*쪽|누가\s*더|어디가\s*더|중\s*어디|중\s*어느|중\s*누가|보다\s*많|보다\s*적|더\s*많|더\s*적)"
    ),
    "share": re.compile(r"(비중|점유율|차지|비율|퍼센트|몇\s*%)"),
    "ranking": re.compile(
        r"(가장|제일|상위|순위|top|TOP|Top|최다|최고|최대|최저|최소|많은\s*순|높은\s*순|[0-9]+\s*위)"
    ),
    "sum": re.compile(r"(합계|총합|합친|합하|합산|더하면|더한|모두\s*합|전체\s*합|총\s*몇|통틀어|총계)"),
}
_LOWEST = re.compile(r"(가장|제일)\s*(적|낮|작)|최저|최소|적은\s*순|낮은\s*순")
_PREV_YEAR = re.compile(r"(전년|작년|지난해|직전\s*연도)")


@dataclass
class Intent:
    text: str
    qtype: str = "lookup"
    years: list[int] = field(default_factory=list)
    quarter: str | None = None
    entities: list[Entity] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # code-like tokens (J20, A08.1)
    measures: list[str] = field(default_factory=list)
    derived: str | None = None
    over: str | None = None  # dimension named as the grouping ("진료과목별", "어느 지역")
    k: int | None = None
    lowest: bool = False
    term: str | None = None
    previous_year: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "qtype": self.qtype,
            "years": self.years,
            "quarter": self.quarter,
            "entities": [{"dim": e.dim, "value": e.value, "surface": e.surface} for e in self.entities],
            "codes": self.codes,
            "measures": self.measures,
            "derived": self.derived,
            "over": self.over,
            "k": self.k,
            "lowest": self.lowest,
            "term": self.term,
        }


@lru_cache(maxsize=1)
def kiwi() -> Any:
    from kiwipiepy import Kiwi

    return Kiwi()


def tokens(text: str) -> list[str]:
    """Kiwi morphemes (forms), for single-syllable values and for BM25."""
    return [t.form for t in kiwi().tokenize(text)]


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def _find_words(squashed: str, words: dict[str, str]) -> list[tuple[int, str, str]]:
    """Longest-first, non-overlapping matches of ``words`` in a whitespace-free string."""
    taken = [False] * len(squashed)
    out = []
    for w in sorted(words, key=len, reverse=True):
        start = 0
        while (i := squashed.find(w, start)) >= 0:
            if not any(taken[i : i + len(w)]):
                out.append((i, w, words[w]))
                for j in range(i, i + len(w)):
                    taken[j] = True
            start = i + 1
    return sorted(out)


def understand(question: str, lex: Lexicon) -> Intent:
    text = unicodedata.normalize("NFC", question).strip()
    it = Intent(text)
    work = SCOPE_PHRASES.sub(lambda m: " " * len(m.group(0)), text)

    # definitions: a glossary term asked about with a definition cue and no figures
    for term in sorted(TERMS, key=len, reverse=True):
        asked = term.replace(" ", "") in work.replace(" ", "") and CUES["definition"].search(work)
        if asked and not _YEAR.search(work):
            it.qtype, it.term = "definition", term
            return it

    spans: list[tuple[int, int]] = []
    for m in _YEAR.finditer(work):
        it.years.append(int(m.group(1)))
        spans.append(m.span())
    if (q := _QUARTER.search(work)) is not None:
        it.quarter = q.group(1)
        spans.append(q.span())
    it.previous_year = bool(_PREV_YEAR.search(work))
    for m in _CODE.finditer(work):
        it.codes.append(m.group(1).upper())
        spans.append(m.span())
    rest = _blank(work, spans)
    ents = lex.entities(rest)
    for code in it.codes:  # a stored code is an entity of its dimension; an unknown one stays in ``codes``
        for dim in ("주상병코드", "행위코드"):
            if any(code in vals.get(dim, ()) for vals in lex.values.values()):
                ents.append(Entity(dim, code, code, -1, -1))
                break
    it.codes = [c for c in it.codes if not any(e.value == c for e in ents)]
    it.entities = ents
    rest = _blank(rest, [(e.start, e.end) for e in ents])
    toks = tokens(rest)
    for tok, (dim, value) in (("남", ("성별", "남")), ("여", ("성별", "여"))):
        if tok in toks and not any(e.dim == "성별" for e in it.entities):
            it.entities.append(Entity(dim, value, tok, -1, -1))

    squashed = re.sub(r"\s+", "", rest)
    derived = _find_words(squashed, DERIVED_WORDS)
    if derived:
        it.derived = derived[0][2]
        for i, w, _ in derived:
            squashed = squashed[:i] + "#" * len(w) + squashed[i + len(w) :]
    measures = [m for _, _, m in _find_words(squashed, MEASURE_WORDS)]
    it.measures = list(dict.fromkeys(measures))
    dims = [d for _, _, d in _find_words(squashed, DIM_WORDS)]
    named = [d for d in dims if not any(e.dim == d for e in it.entities)]
    it.over = named[0] if named else (dims[0] if dims else None)
    if "어디" in squashed or "어느곳" in squashed:
        it.over = it.over or "시도"

    if (k := _K.search(_blank(rest, []))) is not None:
        it.k = int(k.group(1) or k.group(2))
    it.lowest = bool(_LOWEST.search(work))
    it.qtype = _qtype(it, work)
    return it


def _qtype(it: Intent, work: str) -> str:
    if it.derived == "보험자부담률":
        return "ratio"
    if it.derived:
        return "derived"
    same_dim = {e.dim for e in it.entities if sum(x.dim == e.dim for x in it.entities) >= 2}
    if CUES["change"].search(work) and (len(set(it.years)) >= 2 or it.previous_year):
        return "change"
    if CUES["comparison"].search(work) and (same_dim or len(set(it.codes)) >= 2):
        return "comparison"
    if CUES["share"].search(work):
        return "share"
    if CUES["ranking"].search(work):
        return "ranking"
    if CUES["sum"].search(work):
        return "sum"
    if len(set(it.years)) >= 2 and CUES["comparison"].search(work):
        return "change"
    return "lookup"
