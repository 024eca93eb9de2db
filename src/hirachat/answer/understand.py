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
from datetime import date
from functools import lru_cache
from typing import Any

from hirachat.answer.lexicon import DERIVED_WORDS, DIM_WORDS, MEASURE_WORDS, SCOPE_PHRASES, Entity, Lexicon
from hirachat.data.vocab import TERMS

_YEAR = re.compile(r"(?<![\d.,])((?:19|20)\d{2})(?:\s*년(?:도)?)?(?![\d,])")
_QUARTER = re.compile(r"(?<!\d)([1-4])\s*분기")
_CODE = re.compile(r"(?<![A-Za-z0-9])([A-Za-z]\d{2}(?:\.\d{1,2})?)(?![A-Za-z0-9])")
_K = re.compile(r"(?:상위|하위|top|TOP|Top)\s*(\d{1,2})|(\d{1,2})\s*(?:개|곳|위|군데|순위|개소|가지)")
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
        r"(가장|제일|상위|하위|순위|top|TOP|Top|최다|최고|최대|최저|최소|많은\s*순|높은\s*순|[0-9]+\s*위)"
    ),
    "sum": re.compile(r"(합계|총합|합친|합하|합산|더하면|더한|모두\s*합|전체\s*합|총\s*몇|통틀어|총계)"),
}
_LOWEST = re.compile(r"(가장|제일)\s*(적|낮|작)|최저|최소|적은\s*순|낮은\s*순|하위")
_PREV_YEAR = re.compile(r"(전년|직전\s*연도)")
_RELATIVE_YEARS = {"재작년": -2, "작년": -1, "지난해": -1, "올해": 0, "금년": 0}
_RELATIVE_YEAR = re.compile(r"(재작년|작년|지난해|올해|금년)")
_TREND = re.compile(r"(추이|추세|흐름|연도별|해마다|매년)")
_CONTENT = {"NNG", "NNP", "SL", "SH", "XR"}
# everyday words in questions about statistics: not names of anything the data must hold
STOPWORDS = frozenset(
    [
        "수",
        "명",
        "건",
        "원",
        "개",
        "곳",
        "년",
        "분기",
        "월",
        "일",
        "전체",
        "합계",
        "총",
        "총액",
        "합",
        "비교",
        "차이",
        "대비",
        "기준",
        "자료",
        "통계",
        "데이터",
        "정보",
        "현황",
        "수치",
        "값",
        "얼마",
        "몇",
        "궁금",
        "질문",
        "전국",
        "우리나라",
        "국내",
        "한국",
        "모두",
        "각",
        "별",
        "중",
        "쪽",
        "어디",
        "순위",
        "상위",
        "하위",
        "순",
        "위",
        "최대",
        "최소",
        "가장",
        "제일",
        "증가",
        "감소",
        "증감",
        "증감률",
        "증감액",
        "변화",
        "추이",
        "추세",
        "흐름",
        "비율",
        "비중",
        "점유율",
        "퍼센트",
        "프로",
        "평균",
        "정도",
        "대략",
        "약",
        "건강",
        "보험",
        "건강보험",
        "심사",
        "평가원",
        "심사평가원",
        "심평원",
        "건보",
        "표",
        "진료",
        "의료",
        "보건",
        "이상",
        "전년",
        "기간",
        "동안",
        "사이",
        "경우",
        "때",
        "것",
        "거",
        "등",
        "관련",
        "대해",
        "대한",
        "기록",
        "실적",
        "규모",
        "인원",
        "기관",
        "의료기관",
        "요양기관",
        "병의원",
        "병원급",
        "의원급",
        "의료비",
        "금액",
        "비용",
        "결과",
        "내용",
        "부분",
        "지금",
        "현재",
        "최근",
        "요즘",
        "해",
        "연도",
        "연간",
        "한해",
        "당해",
        "당시",
        "그때",
        "여기",
        "거기",
        "이번",
        "TOP",
        "top",
        "Top",
        "개소",
        "군데",
        "가지",
        "며칠",
        "가운데",
        "안",
        "속",
        "내",
        "당",
        "만큼",
        "뭐",
        "무엇",
        "어떤",
        "어느",
        "언제",
        "이번",
        "지난",
        "다음",
        "통틀어",
        "개수",
        "갯수",
        "나라",
        "우리",
        "전국적",
        "숫자",
        "사람",
        "환자",
        "정확",
        "숫자",
        "답",
        "답변",
        "참고",
        "확인",
        "말",
        "설명",
        "부탁",
        "좀",
        "혹시",
        "대략적",
        "총계",
        "누적",
        "기타",
        "나머지",
        "외",
        "및",
    ]
)


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
    trend: bool = False
    unknown: list[str] = field(default_factory=list)  # content words nothing in the data accounts for

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


@lru_cache(maxsize=8)
def _word_pattern(kind: str) -> re.Pattern[str]:
    """Words of a vocabulary, each allowing spaces between its letters ('환자 수' = '환자수'), longest first."""
    words = {"derived": DERIVED_WORDS, "measure": MEASURE_WORDS, "dim": DIM_WORDS}[kind]
    alts = [r"\s*".join(re.escape(ch) for ch in w) for w in sorted(words, key=len, reverse=True)]
    return re.compile("|".join(alts))


def _words(text: str, kind: str) -> list[tuple[tuple[int, int], str]]:
    vocab = {"derived": DERIVED_WORDS, "measure": MEASURE_WORDS, "dim": DIM_WORDS}[kind]
    return [(m.span(), vocab[re.sub(r"\s+", "", m.group(0))]) for m in _word_pattern(kind).finditer(text)]


def understand(question: str, lex: Lexicon, today: date | None = None) -> Intent:
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
    this_year = (today or date.today()).year
    for m in _RELATIVE_YEAR.finditer(work):  # 작년/올해 are relative to today, not to the data
        it.years.append(this_year + _RELATIVE_YEARS[m.group(1)])
        spans.append(m.span())
    if (q := _QUARTER.search(work)) is not None:
        it.quarter = q.group(1)
        spans.append(q.span())
    it.previous_year = bool(_PREV_YEAR.search(work))
    code_spans: dict[str, tuple[int, int]] = {}
    for m in _CODE.finditer(work):
        it.codes.append(m.group(1).upper())
        code_spans.setdefault(m.group(1).upper(), m.span())
        spans.append(m.span())

    # vocabulary words first, so that a value inside a word (입원 in 입원일수) is not taken for an entity
    rest = _blank(work, spans)
    derived = _words(rest, "derived")
    it.derived = derived[0][1] if derived else None
    rest = _blank(rest, [sp for sp, _ in derived])
    measures = _words(rest, "measure")
    it.measures = list(dict.fromkeys(m for _, m in measures))
    rest = _blank(rest, [sp for sp, _ in measures])
    dim_words = _words(rest, "dim")
    rest = _blank(rest, [sp for sp, _ in dim_words])

    ents = lex.entities(rest)
    for code in it.codes:  # a stored code is an entity of its dimension; an unknown one stays in ``codes``
        for dim in ("주상병코드", "행위코드"):
            if any(code in vals.get(dim, ()) for vals in lex.values.values()):
                ents.append(Entity(dim, code, code, *code_spans[code]))
                break
    it.codes = [c for c in it.codes if not any(e.value == c for e in ents)]
    it.entities = ents
    rest = _blank(
        rest, [(e.start, e.end) for e in ents if e.start >= 0 and e.dim not in ("주상병코드", "행위코드")]
    )
    rest = _blank(
        rest, [m.span() for pat in (*CUES.values(), _K, _LOWEST, _PREV_YEAR) for m in pat.finditer(rest)]
    )
    toks = [(t.form, t.tag) for t in kiwi().tokenize(rest)]
    for tok, (dim, value) in (("남", ("성별", "남")), ("여", ("성별", "여"))):
        if any(f == tok and tag.startswith("N") for f, tag in toks) and not any(
            e.dim == "성별" for e in it.entities
        ):
            it.entities.append(Entity(dim, value, tok, -1, -1))
    it.unknown = [
        f for f, tag in toks if tag in _CONTENT and f not in STOPWORDS and (len(f) >= 2 or tag == "SL")
    ]

    dims = [d for _, d in dim_words]
    named = [d for d in dims if not any(e.dim == d for e in it.entities)]
    it.over = named[0] if named else (dims[0] if dims else None)
    if re.search(r"어디|어느\s*곳|어느\s*지역", work):
        it.over = it.over or "시도"
    ks = [int(k.group(1) or k.group(2)) for k in _K.finditer(_blank(work, spans))]
    it.k = max(ks) if ks else None  # "1위부터 3위까지" asks for 3
    it.lowest = bool(_LOWEST.search(work))
    it.trend = bool(_TREND.search(work))
    it.qtype = _qtype(it, work)
    return it


def _qtype(it: Intent, work: str) -> str:
    if it.derived == "보험자부담률":
        return "ratio"
    if it.derived:
        return "derived"
    same_dim = {e.dim for e in it.entities if sum(x.dim == e.dim for x in it.entities) >= 2}
    if CUES["change"].search(work) and (
        len(set(it.years)) >= 2 or it.previous_year or (it.trend and not it.years)
    ):
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
