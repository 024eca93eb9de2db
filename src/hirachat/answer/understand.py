"""Korean question (+ the previous turn) → intent: every constraint the question states, with its words.

Entities are linked against the values in the store (``Lexicon``); Kiwi (kiwipiepy, offline) splits
particles off words so that single-syllable values (남/여) and codes are found as tokens. Everything the
question constrains is recorded (years, quarter, values, ages, the dimension named for a ranking, the
measure or formula, statistics no table publishes, words nothing accounts for), so the planner can apply
each one or abstain naming it. Vocabulary (words, cues, stopwords) comes from ``hirachat.vocab``. An
elliptical follow-up ("그럼 부산은?") is resolved against the previous turn's intent, and what was
carried over is recorded for the interpretation line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from hirachat.answer.accounting import CONTENT, Claim, Morpheme, account, claimed_by
from hirachat.answer.ages import parse_question
from hirachat.answer.followup import elliptical, follow
from hirachat.answer.intent import Intent
from hirachat.answer.lexicon import SCOPE_PHRASES, Entity, Lexicon, cue, name_key
from hirachat.answer.morph import kiwi
from hirachat.answer.names import asks_master, link_names, named_codes
from hirachat.data.schema import MONTH
from hirachat.vocab import Vocab

_YEAR = re.compile(r"(?<![\d.,A-Za-z])((?:19|20)\d{2})(?:\s*년(?:도)?)?(?![\d,])")  # N1902 is a code
_YEAR_RANGE = re.compile(
    r"((?:19|20)\d{2}|\d{2}(?=\s*년))\s*년?(?:도)?\s*(?:~|-|→|->|부터|에서)\s*((?:19|20)\d{2}|\d{2}(?=\s*년))\s*년?(?:도)?\s*(?:까지)?"
)
# '19년', '15년도': two-digit years (not '5년 전', '10년간')
_YEAR2 = re.compile(
    r"(?<![\d.,A-Za-z])(\d{2})\s*년(?:도)?(?!\s*(?:(?:전|후)(?![가-힣])|간|동안|이상|이하|만|째|치))"
)
_QUARTER = re.compile(r"(?<!\d)([1-4])\s*분기")
_MONTH = re.compile(r"(?<!\d)(1[0-2]|[1-9])\s*월(?!\s*평균)")
# months taken together: a half year, or 'N~M월' / 'N월부터 M월까지'
_MONTH_SPAN = re.compile(
    r"(상반기|하반기)|(?<!\d)(1[0-2]|[1-9])\s*월?\s*(?:~|-|부터|에서)\s*(1[0-2]|[1-9])\s*월\s*(?:까지)?"
)
# a code stands alone: never glued after a Korean word ('비타민B12결핍빈혈' holds no code B12)
_CODE = re.compile(r"(?<![A-Za-z0-9가-힣])([A-Za-z]\d{2}(?:\.?\d{1,2})?)(?![A-Za-z0-9])")
_CODE_LIKE = re.compile(
    r"(?<![A-Za-z0-9가-힣])([A-Za-z]{1,3}\d{2,}[A-Za-z0-9]*|\d{5,}[A-Za-z]{0,3})(?![A-Za-z0-9])"
)
_TOP = r"(?:상위|하위|톱|탑|(?<![A-Za-z])(?:top|TOP|Top))"  # the top (or bottom) N
_K = re.compile(rf"{_TOP}\s*(\d{{1,2}})|(\d{{1,2}})\s*(?:개|곳|위|군데|순위|개소|가지)")
_PREV_YEAR = re.compile(r"(전년|직전\s*연도|전년도|(?<!\d)1년\s*전(?![가-힣]))")
_RELATIVE_YEARS = {"재작년": -2, "작년": -1, "지난해": -1, "올해": 0, "금년": 0}
_RELATIVE_YEAR = re.compile(r"(재작년|작년|지난해|올해|금년)")
_HANGUL_CHAR = re.compile(r"[가-힣]")
# the length of the period asked: '1년치', '3년간', '2년 동안', '열두 달', '12개월'
_LENGTH = re.compile(r"(?<![\d가-힣])(\d{1,2}|[가-힣]{1,3}?)\s*(년\s*치|년\s*간|년\s*동안|개년|달|개월)")
_LEVEL = re.compile(r"(\d)\s*단(?=\s*(?:상병|질병|코드|분류))")  # a KCD level: 3단 상병 = 3-letter codes


def _counts(text: str, numerals: dict[str, int]) -> list[tuple[tuple[int, int], int, bool]]:
    """Counts in words and ranges of ranks: (span, n, whether it is a rank's length): '상위 다섯 개',
    '세 곳', '1~3위', '1,2,3위'."""
    out: list[tuple[tuple[int, int], int, bool]] = []
    for m in _RANK_RANGE.finditer(text):
        out.append((m.span(), max(int(x) for x in re.findall(r"\d+", m.group(0))), True))
    if not numerals:
        return out
    words = "|".join(sorted(map(re.escape, numerals), key=len, reverse=True))
    top = re.compile(rf"{_TOP}\s*({words})(?![가-힣])")
    counted = re.compile(
        rf"(?<![가-힣\d])({words})\s*(?=개|곳|군데|가지|위|순위|과목|지역|시도|개소|종류|항목|품목)"
    )
    for pat, rank in ((top, True), (counted, False)):
        for m in pat.finditer(text):
            if not any(a < m.end() and m.start() < b for (a, b), _, _ in out):
                out.append((m.span(), numerals[m.group(1)], rank))
    return out


_AT = re.compile(r"(?<![\d~\-,])(\d{1,2})\s*(?:위|등)(?!\s*(?:까지|안|이내|권|부터))")
_RANK_RANGE = re.compile(r"(?<!\d)\d{1,2}\s*(?:(?:~|-|부터|,)\s*\d{1,2}\s*)+위(?:\s*까지)?")


def _whole(found: list[tuple[tuple[int, int], str, str]], surface: str) -> bool:
    """One of ``found`` spans the whole of ``surface``."""
    return any(sp == (0, len(surface)) for sp, _, _ in found)


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(a, b):
            chars[i] = " "
    return "".join(chars)


def _measure_ratio(it: Intent, work: str, spans: dict[str, tuple[int, int]], lex: Lexicon) -> None:
    """Two measures and a ratio cue: which is the part. 'A 대비 B' = B ÷ A; 'A가 B에서 차지하는' and
    'A는 B의 몇 배/%' = A ÷ B (the measure followed by 에서/중/의 is the whole)."""
    a, b = it.measures[:2]
    sa, sb = spans[a][0], spans[b][0]
    first, second = (a, b) if sa < sb else (b, a)
    after_first = work[spans[first][1] : spans[first][1] + 4]
    num, den = (second, first) if re.match(r"\s*(대비|에서|중|의|가운데)", after_first) else (first, second)
    percent = bool(cue(lex, "share").search(work)) and not cue(lex, "times").search(work)
    it.formula = {"op": "ratio", "a": num, "b": den, "percent": percent}
    it.derived = f"{den} 대비 {num}" + (" 비율" if percent else "")
    it.measures = [num, den]


_DIGIT = {"일": 1, "이": 2, "삼": 3, "사": 4, "오": 5, "육": 6, "칠": 7, "팔": 8, "구": 9}
_KOREAN_YEAR = re.compile(
    r"(?<![가-힣])(이천|천구백)\s*(?:([일이삼사오육칠팔구])?십)?\s*([일이삼사오육칠팔구])?\s*(?=년)"
)


_KOREAN_YEAR2 = re.compile(r"(?<![가-힣\d])([이삼사오육칠팔구]?십[일이삼사오육칠팔구]?)(?=\s*년)")
# 일월 … 십이월 (시월, 유월): a month in words, followed by what follows a month
_KOREAN_MONTH = re.compile(
    r"(?<![가-힣\d])(십일|십이|시|유|일|이|삼|사|오|칠|팔|구)(?=월(?:$|[\s?.,!]|에|달|의|은|는|부터|까지|과|와|이|하고))"
)


def _sino(word: str) -> int:
    """A Sino-Korean number below 100 in words: 십팔 → 18, 이십일 → 21, 칠 → 7."""
    tens, _, ones = word.rpartition("십")
    if "십" not in word:
        return _DIGIT.get(word, 0)
    return _DIGIT.get(tens, 1) * 10 + _DIGIT.get(ones, 0)


def _korean_year(m: re.Match[str]) -> str:
    tens = 0 if m.group(0).find("십") < 0 else _DIGIT.get(m.group(2) or "일", 1)
    ones = _DIGIT.get(m.group(3) or "", 0)
    base = 2000 if m.group(1) == "이천" else 1900
    return str(base + tens * 10 + ones)


def understand(
    question: str, lex: Lexicon, today: date | None = None, previous: Intent | None = None
) -> Intent:
    vocab = lex.vocab
    assert vocab is not None
    text = unicodedata.normalize("NFKC", question).strip()
    text = re.sub(r"[\u200b-\u200f\ufeff]", "", text)
    text = _KOREAN_YEAR.sub(_korean_year, text)  # 이천이십일년 → 2021년: a year in words is never dropped
    text = _KOREAN_YEAR2.sub(lambda m: str(_sino(m.group(1))), text)  # 십팔년 → 18년
    text = _KOREAN_MONTH.sub(lambda m: str(_sino(m.group(1).replace("시", "십").replace("유", "육"))), text)
    it = Intent(text)
    claims: list[Claim] = []  # what each pass read: (start, end, pass), offsets into ``text``

    def claim(found: list[tuple[int, int]], by: str) -> list[tuple[int, int]]:
        claims.extend(Claim(a, b, by) for a, b in found)
        return found

    # a scope of a whole table (병원급 이상) unless a table holds it as a value (요양기관그룹 의원급)
    claim([m.span() for m in SCOPE_PHRASES.finditer(text) if m.group(0) not in lex.surfaces], "scope")
    work = SCOPE_PHRASES.sub(
        lambda m: m.group(0) if m.group(0) in lex.surfaces else " " * len(m.group(0)), text
    )

    # definitions: a glossary term asked about with a definition cue and no figures
    terms = vocab.definitions()
    for term in sorted(terms, key=len, reverse=True):
        asked = term.replace(" ", "") in text.replace(" ", "") and cue(lex, "definition").search(text)
        # a figure asked about something ('여자 외래 환자수 제일 많은 상병 뭐야') is not the term's meaning
        figure = any(cue(lex, n).search(work) for n in ("ranking", "sum", "comparison", "share", "change"))
        others = [e for e in lex.entities(work) if e.surface.replace(" ", "") not in term.replace(" ", "")]
        if asked and not _YEAR.search(text) and not _CODE.search(text) and not figure and not others:
            it.qtype, it.term = "definition", term
            return it

    spans: list[tuple[int, int]] = []
    this_year = (today or date.today()).year

    def full(y: str) -> int:
        n = int(y)
        return n if n >= 100 else (2000 + n if n <= this_year % 100 + 1 else 1900 + n)

    if (r := _YEAR_RANGE.search(work)) is not None:
        y1, y2 = full(r.group(1)), full(r.group(2))
        if y1 < y2 <= y1 + 30:  # the whole series only when asked for (추이, 연도별); else the two ends
            it.trend = bool(cue(lex, "trend").search(work))
            whole = it.trend or bool(cue(lex, "sum").search(work) or re.search(r"\d+\s*년\s*간|동안", work))
            it.years += list(range(y1, y2 + 1)) if whole else [y1, y2]  # '3년간 합계': every year
            spans.append(r.span())
    for m in _YEAR.finditer(_blank(work, spans)):
        it.years.append(int(m.group(1)))
        spans.append(m.span())
    for m in _YEAR2.finditer(_blank(work, spans)):
        it.years.append(full(m.group(1)))
        spans.append(m.span())
    for m in _RELATIVE_YEAR.finditer(work):  # 작년/올해 are relative to today, not to the data
        it.years.append(this_year + _RELATIVE_YEARS[m.group(1)])
        spans.append(m.span())
    if (q := _QUARTER.search(work)) is not None:
        it.quarter = q.group(1)
        spans.append(q.span())
    if (ms := _MONTH_SPAN.search(_blank(work, spans))) is not None:
        half = {"상반기": (1, 6), "하반기": (7, 12)}.get(ms.group(1) or "")
        a, b = half or (int(ms.group(2)), int(ms.group(3)))
        if a < b and not half and cue(lex, "change").search(work):  # '3월에서 5월까지 변화': the two ends
            it.months += [f"{a}월", f"{b}월"]
            spans.append(ms.span())
        elif a < b:
            it.months += [f"{n}월" for n in range(a, b + 1)]
            it.month_span = ms.group(1) or f"{a}~{b}월"
            spans.append(ms.span())
            for again in _MONTH_SPAN.finditer(
                _blank(work, spans)
            ):  # '상반기(1~6월)': the same months, said twice
                if again.group(2) and (int(again.group(2)), int(again.group(3))) == (a, b):
                    spans.append(again.span())
    for m in _MONTH.finditer(_blank(work, spans)):
        it.months.append(m.group(0))
        spans.append(m.span())
    claim(spans, "period")
    it.previous_year = bool(_PREV_YEAR.search(work))
    values_at = [(e.start, e.end) for e in lex.entities(work) if len(e.surface) > 2]
    it.ages, it.age_words = parse_question(_blank(work, spans), dict(vocab.ages), values_at)
    spans += claim([(a.start, a.end) for a in it.ages], "age")
    code_spans: dict[str, tuple[int, int]] = {}
    for pat in (_CODE, _CODE_LIKE):
        for m in pat.finditer(_blank(work, spans)):
            code = m.group(1).upper()
            it.codes.append(code)
            code_spans.setdefault(code, m.span())
            spans.append(m.span())
            claim([m.span()], "code")

    # a long official name from a code master, written out, is that code before anything else reads it
    named_spans: list[tuple[int, int]] = []
    if lex.names is not None:
        for m in lex.names.long_names().finditer(_blank(work, spans)):
            codes = lex.names.exact.get(name_key(re.sub(r"\(.*?\)|\[.*?\]", "", m.group(0))), set())
            if len(codes) == 1:
                (code,) = codes
                it.entities.append(Entity(lex.names.dim[code], code, m.group(0), m.start(), m.end()))
                it.named[code] = lex.names.official[code]
                named_spans.append(m.span())
    spans += claim(named_spans, "name")

    # vocabulary words first, so that a value inside a word (입원 in 입원일수) is not taken for an entity
    rest = _blank(work, spans)
    found = {kind: lex.words[kind].find(rest) for kind in ("formula",)}
    rest = _blank(rest, claim([sp for sp, _, _ in found["formula"]], "formula"))
    per_unit = lex.words["per_unit"].find(rest)
    rest = _blank(rest, claim([sp for sp, _, _ in per_unit], "formula"))
    measures = lex.words["measure"].find(rest)
    rest = _blank(rest, claim([sp for sp, _, _ in measures], "measure"))
    m_spans: dict[str, tuple[int, int]] = {}
    for sp, name, surface in measures:
        if name not in it.measures:
            it.measures.append(name)
            it.measure_words[name] = re.sub(r"\s+", "", surface)
            m_spans[name] = sp
    # a breakdown word longer than a statistic inside it ('연령대별' holds 연령) is the breakdown
    dim_words = [
        d for d in lex.words["dim"].find(rest) if not _whole(lex.words["statistic"].find(d[2]), d[2])
    ]
    rest = _blank(rest, claim([sp for sp, _, _ in dim_words], "dimension"))
    stats = lex.words["statistic"].find(rest)
    rest = _blank(rest, claim([sp for sp, _, _ in stats], "statistic"))
    it.stats = list(dict.fromkeys(w for _, w, _ in stats))
    dim_words += lex.words["dim"].find(rest)
    rest = _blank(rest, claim([sp for sp, _, _ in dim_words], "dimension"))

    if found["formula"] and per_unit:  # '1인당 본인부담금': a per-unit figure of a formula
        f = vocab.formula(found["formula"][0][1])
        unit = vocab.per_unit[int(per_unit[0][1])]
        assert f is not None
        word = unit.words[0]
        it.derived = f"{word} {f.name}"
        it.formula = {"op": "ratio", "a": f.name, "b": unit.denominator, "percent": False, "per": word}
    elif found["formula"]:
        f = vocab.formula(found["formula"][0][1])
        assert f is not None
        it.derived = f.name
        it.formula = {"op": f.op, "a": f.a, "b": f.b, "percent": f.percent, "name": f.name}
    elif per_unit:
        unit = vocab.per_unit[int(per_unit[0][1])]
        nums = [m for m in it.measures if m != unit.denominator]
        num = nums[0] if nums else unit.default
        if num is not None:
            word = unit.words[0]  # the figure's usual name: '한 명당 진료비' is the 1인당 진료비
            it.derived = f"{word} {it.measure_words.get(num, num)}"
            it.formula = {"op": "ratio", "a": num, "b": unit.denominator, "percent": False, "per": word}
            it.measures = [num, unit.denominator]
            it.stats = [
                s for s in it.stats if s != "평균"
            ]  # '1인당 평균 진료비': the per-unit figure is the mean
        else:
            it.unknown.append(per_unit[0][2].strip())
    elif len(it.measures) >= 2 and (
        cue(lex, "share").search(rest) or cue(lex, "times").search(rest) or re.search(r"대비", rest)
    ):
        _measure_ratio(it, work, m_spans, lex)

    ents = lex.entities(rest)
    for _, name, surface in measures:  # '입원일수' is 입내원일수 of 입원 stays: that constraint too
        m_def = vocab.measure(name)
        for dim, value in (m_def.implies.get(re.sub(r"\s+", "", surface), {}) if m_def else {}).items():
            if not any(e.dim == dim for e in ents):
                ents.append(Entity(dim, value, surface, -1, -1))
    for code in it.codes:  # a stored code is an entity of its dimension; an unknown one stays in ``codes``
        s0, s1 = code_spans[code]
        for table_vals in lex.values.values():
            hits = [d for d, vals in table_vals.items() if code in vals or code.replace(".", "") in vals]
            if hits:
                value = code if code in table_vals[hits[0]] else code.replace(".", "")
                ents.append(Entity(hits[0], value, code, s0, s1))
                break
    it.codes = [c for c in it.codes if not any(e.surface == c for e in ents)]
    it.places = [(w, s) for w, s in _places([*it.entities, *ents], lex)]
    for word, members in vocab.sido_groups.items():  # '충청도', '수도권': several 시도
        for m in re.finditer(re.escape(word), rest):
            claim([m.span()], "value")
            if cue(lex, "sum").search(work):  # '수도권 합쳐서': their sum
                stored = [e for v in members for e in lex.entities(v) if e.surface == v]  # each 시도
                ents += [
                    Entity(e.dim, e.value, e.value, -1, -1)
                    for e in stored
                    if all(x.value != e.value for x in ents)
                ]
            else:
                it.regions.append((word, list(members)))
    it.entities, not_found = _disambiguate([*it.entities, *ents], lex)
    it.unknown += [
        f"{' '.join(sorted(e.surface for e in it.entities if e.dim == '시도'))} {w}" for w in not_found
    ]
    rest = _blank(rest, claim([(e.start, e.end) for e in ents if e.start >= 0], "value"))
    cue_pats = [
        cue(lex, n)
        for n in ("definition", "change", "comparison", "share", "ranking", "sum", "lowest", "trend", "times")
    ]
    # a cue inside a word is not that cue (성장 in 음성장애): only matches that start a word are blanked
    rest = _blank(
        rest,
        claim(
            [
                m.span()
                for pat in (*cue_pats, _K, _PREV_YEAR)
                for m in pat.finditer(rest)
                if m.start() == 0
                or not _HANGUL_CHAR.match(text[m.start() - 1])
                or pat is _K
                or len(m.group(0)) >= 3
            ],
            "operator",
        ),
    )
    ktoks = kiwi().tokenize(rest)
    toks = [(t.form, t.tag) for t in ktoks]
    for tok, (dim, value) in (("남", ("성별", "남")), ("여", ("성별", "여"))):
        if any(f == tok and tag.startswith("N") for f, tag in toks) and not any(
            e.dim == "성별" for e in it.entities
        ):
            it.entities.append(Entity(dim, value, tok, -1, -1))
        claim([(t.start, t.start + t.len) for t in ktoks if t.form == tok and t.tag.startswith("N")], "value")
    lookup = lex.names.lookup if lex.names is not None else None
    it.named.update(named_codes(text, {e.surface for e in ents if e.surface in code_spans}, lookup))
    for name in it.named.values():  # '급성 기관지염(J20)': the words naming a code are that code's
        claim([m.span() for m in re.finditer(re.escape(name), text)], "name")
    whole = kiwi().tokenize(text)
    ranked_cue = bool(cue(lex, "ranking").search(work) or cue(lex, "order").search(work))
    sizes = {len({x.value for x in it.entities if x.dim == e.dim}) for e in it.entities}
    sizes |= {len(set(it.years)), len(set(it.months))}
    if previous is not None:  # '두 지역', '둘 합치면': the value this turn keeps and the ones named before
        sizes |= {len(v) + 1 for v in previous.earlier.values()}
    counts: list[int] = []
    for sp, n, rank in _counts(work, vocab.numerals):  # a count is a rank's length or what was named
        if rank or ranked_cue or n in sizes:
            claim([sp], "number")
            counts += [n] if rank or ranked_cue else []
    for m in _LENGTH.finditer(work):  # '1년치', '3년간', '열두 달': the length of the period asked
        n = int(m.group(1)) if m.group(1).isdigit() else vocab.numerals.get(m.group(1), 0)
        months = m.group(2) in ("달", "개월")
        if (n == 12 and months and not it.months) or (
            not months and (n == len(set(it.years)) or (n == 1 and len(set(it.years)) <= 1))
        ):
            claim([m.span()], "period")
    for i, t in enumerate(whole):  # '상위 3개 과', '제일 많은 도': a one-letter noun naming a breakdown
        free = (
            claimed_by(claims, t.start, t.start + t.len, text) is None
        )  # not a letter of a read name (편도)
        said = vocab.dimension_nouns.get(t.form) if t.tag == "NNG" and free else None
        found_dim = lex.words["dim"].find(said) if said and said != MONTH else []
        if said == MONTH and any(MONTH in tt.dims for tt in lex.tables.values()):
            found_dim = [((t.start, t.start + t.len), MONTH, t.form)]  # '제일 많았던 달': ranked over months
        if found_dim:
            span = (t.start, t.start + t.len)
            if i and whole[i - 1].tag == "MM" and whole[i - 1].form in ("그", "이", "해당", "저"):
                claim([span], "followup")  # '그 병으로': the previous turn's value
            else:
                claim([span], "dimension")
                dim_words.append((span, found_dim[0][1], t.form))
    claim([m.span() for m in _LEVEL.finditer(work) if m.group(1) == "3"], "code")  # '3단상병': KCD 3 letters
    for m in cue(lex, "exclude").finditer(work):  # '약국은 빼고', '2022년 순위 말고': what is left out
        if not any(c.start <= m.start() < c.end for c in claims):  # not inside a name ('발을 제외한 …')
            _exclude(it, m, work, claim)
    each = [m.span() for m in cue(lex, "each").finditer(work)]
    if each and (dim_words or any(n >= 2 for n in sizes)):  # '남녀 각각', '시도별로 각각': one by one
        it.each = bool(claim(each, "operator"))
    anaphora = [c for c in claims if c.by == "followup"]  # '그 병으로': the previous turn's value
    morphemes, unclaimed = account(text, whole, claims, set(vocab.stopwords))
    for w in list(unclaimed):  # '통풍남자': a name and a value written without a space
        if (parts := _run_together(w, text, lex)) is not None:
            unclaimed.remove(w)
            for e, official in parts:
                it.entities.append(e)
                if official:
                    it.named[e.value] = official
                claim([(e.start, e.end)], "name" if official else "value")
    it.unknown += unclaimed

    # what a table is about, in its own title's words (다빈도 상병, 소분류): accounted for, and they pick it
    it.subjects += [w for w in it.unknown if lex.subject_tables(w) is not None]
    it.unknown = [w for w in it.unknown if w not in it.subjects]
    if lex.names is not None:
        link_names(it, rest, lex)  # words nothing else explains (entities and cue words blanked)

    dims = [d for _, d, _ in dim_words]
    named = [d for d in dims if not any(e.dim == d for e in it.entities)]
    it.over = named[0] if named else (dims[0] if dims else None)
    compared = any(len({x.value for x in it.entities if x.dim == e.dim}) >= 2 for e in it.entities)
    if re.search(r"어디|어느\s*곳|어느\s*지역|어느\s*시도", work) and not compared:
        it.over = it.over or "시도"  # 'A와 B 중 어디가' compares the two named; '어디가 가장' asks a 시도
    ks = [int(k.group(1) or k.group(2)) for k in _K.finditer(_blank(work, spans))] + counts
    it.k = max(ks) if ks else None  # "1위부터 3위까지" asks for 3
    at = [m for m in _AT.finditer(_blank(work, spans)) if not _RANK_RANGE.search(work)]
    if len(at) == 1 and not re.search(rf"{_TOP}\s*$", work[: at[0].start()]):
        it.rank_at, it.k = int(at[0].group(1)), None  # '7위는?': that place, not the top seven
    it.lowest = bool(cue(lex, "lowest").search(work))
    it.ranked = bool(cue(lex, "ranking").search(work)) or bool(it.k and it.over)
    it.trend = it.trend or bool(cue(lex, "trend").search(work))
    if (it.each or cue(lex, "sum").search(work)) and it.over:  # '남녀 각각', '남녀 합치면': both values
        _each(it, it.over, vocab, summed=not it.each)
    it.qtype = _qtype(it, work, lex)
    if asks_master(it, text, lex):
        it.qtype = "master"
        it.unknown = [w for w in it.unknown if w.upper() not in vocab.master_words]
    it.words = [m.as_dict() for m in _settle(morphemes, unclaimed, it)]
    if previous is None and (
        anaphora or (cue(lex, "followup").search(work) and not (it.measures or it.formula))
    ):
        it.orphan = True  # '그럼 부산은?' as the first question: nothing to follow, never another question
    if previous is not None and (anaphora or elliptical(it, work, lex)):
        moved = bool(cue(lex, "change").search(work) or cue(lex, "moved").search(work))
        summed = bool(cue(lex, "sum").search(work))
        return replace(follow(it, previous, changed=moved, summed=summed), words=it.words)
    return it


def _settle(morphemes: list[Morpheme], unclaimed: list[str], it: Intent) -> list[Morpheme]:
    """The accounting after the word-level readers: a word read as a table's subject, a code master's name
    or a master attribute is claimed by that reading; what is still unknown stays unclaimed."""
    readings = {w: ("subject" if w in it.subjects else "name") for w in unclaimed if w not in it.unknown}
    return [
        replace(m, by=next((r for w, r in readings.items() if m.form in w), None))
        if m.by is None and m.tag in CONTENT
        else m
        for m in morphemes
    ]


_AND = re.compile(r"^\s*(?:이랑|랑|와|과|하고|및|,|·)?\s*$")
_BETWEEN = re.compile(r"^(?:\s|은|는|을|를|이|가|도|만|순위|자료|값|것|거|쪽|년)*$")


def _exclude(
    it: Intent, m: re.Match[str], work: str, claim: Callable[[list[tuple[int, int]], str], Any]
) -> None:
    """The value or year said right before an exclusion word is left out of the answer; an exclusion
    with nothing before it to apply to is a word the question is refused over, never ignored."""
    ents = [e for e in it.entities if 0 <= e.end <= m.start() and _BETWEEN.match(work[e.end : m.start()])]
    years = [y for y in _YEAR.finditer(work[: m.start()]) if _BETWEEN.match(work[y.end() : m.start()])]
    if ents:
        e = max(ents, key=lambda x: x.end)
        same = [x for x in it.entities if (x.start, x.end) == (e.start, e.end)]
        while True:  # '서울이랑 경기 빼고': every value of the list before the exclusion word
            before = [
                x
                for x in it.entities
                if x.dim == e.dim and 0 <= x.end <= e.start and _AND.match(work[x.end : e.start])
            ]
            if not before:
                break
            e = max(before, key=lambda x: x.end)
            same += [x for x in it.entities if (x.start, x.end) == (e.start, e.end)]
        spans = {(x.start, x.end) for x in same}
        it.entities = [x for x in it.entities if (x.start, x.end) not in spans]
        it.excluded += same
        claim([m.span()], "operator")
        return
    if years:
        y = int(years[-1].group(1))
        it.years = [x for x in it.years if x != y]
        claim([m.span()], "operator")
    else:
        it.unknown.append(m.group(0))


def _run_together(word: str, text: str, lex: Lexicon) -> list[tuple[Entity, str]] | None:
    """A word that is a code's name and a stored value run together ('통풍남자' = 통풍 + 남자, '남자통풍'):
    both readings, placed where they were written; None unless exactly one such split exists."""
    at = text.find(word)
    if at < 0 or len(word) < 4 or lex.names is None or not re.fullmatch(r"[가-힣]+", word):
        return None
    found = []
    for cut in range(2, len(word) - 1):
        for name, value, offset in ((word[:cut], word[cut:], cut), (word[cut:], word[:cut], 0)):
            vals = [e for e in lex.entities(value) if e.surface == value]
            codes = lex.names.lookup(name)
            if len(vals) == 1 and len(codes) == 1:
                (code,) = codes
                n0 = at + (0 if offset else len(value))
                v0 = at + offset
                found.append(
                    [
                        (
                            Entity(lex.names.dim[code], code, name, n0, n0 + len(name)),
                            lex.names.official[code],
                        ),
                        (Entity(vals[0].dim, vals[0].value, value, v0, v0 + len(value)), ""),
                    ]
                )
    return found[0] if len(found) == 1 else None


def _each(it: Intent, over: str, vocab: Vocab, summed: bool = False) -> None:
    """'남녀 각각': a breakdown of two values (성별, 입원/외래) is the two side by side; a longer one is its
    whole order. ``summed`` ('남녀 합치면'): the two values, summed as one (a longer breakdown is summed
    over as it is)."""
    values = next((d.values for d in vocab.dimensions if d.name == over), ())
    if summed:
        if len(values) == 2:
            it.entities = [e for e in it.entities if e.dim != over]
            it.entities += [Entity(over, v, v, -1, -1) for v in values]
        return
    if len(values) == 2:
        it.entities = [e for e in it.entities if e.dim != over]
        it.entities += [Entity(over, v, v, -1, -1) for v in values]
    else:
        it.ranked, it.k = True, it.k or 20


def _places(ents: list[Entity], lex: Lexicon) -> list[tuple[str, list[str]]]:
    """A 시군구 named by a form several 시도 share ('고성군', '중구') with no 시도 named: its readings."""
    if any(e.dim == "시도" for e in ents):
        return []
    out: list[tuple[str, list[str]]] = []
    for e in ents:
        parents = lex.parents.get((e.dim, e.value), set())
        if len(parents) >= 2 and all(w != e.surface for w, _ in out):
            out.append((e.surface, sorted(parents)))
    return out


def _disambiguate(ents: list[Entity], lex: Lexicon) -> tuple[list[Entity], list[str]]:
    """A 시군구 named by a form several places share (북구) keeps the places inside a 시도 the question
    names; a place that is in none of them is returned as not found (광주 북구 is not 포항시 북구)."""
    if not any(e.dim == "시도" for e in ents):
        return ents, []
    out, missing = [], []
    for e in ents:
        sidos = {x.value for x in ents if x.dim == "시도" and (x.start, x.end) != (e.start, e.end)}
        parents = lex.parents.get((e.dim, e.value)) if sidos else None
        if parents is not None and not (parents & sidos):
            if not any(
                lex.parents.get((x.dim, x.value), set()) & sidos
                for x in ents
                if (x.start, x.end) == (e.start, e.end) and x is not e
            ):
                missing.append(e.surface)
            continue
        out.append(e)
    return out, list(dict.fromkeys(missing))


def _qtype(it: Intent, work: str, lex: Lexicon) -> str:
    if it.formula:
        return "ratio" if it.formula.get("percent") else "derived"
    same_dim = {e.dim for e in it.entities if sum(x.dim == e.dim for x in it.entities) >= 2}
    if cue(lex, "change").search(work) and (
        len(set(it.years)) >= 2 or it.previous_year or (it.trend and not it.years)
    ):
        return "change"
    if cue(lex, "comparison").search(work) and (same_dim or len(set(it.codes)) >= 2):
        return "comparison"
    if cue(lex, "share").search(work):  # '몇 % 늘었어' is a change, never a share
        moved = cue(lex, "moved").search(work) and not cue(lex, "portion").search(work)
        return "change" if moved and not cue(lex, "comparison").search(work) else "share"
    if cue(lex, "ranking").search(work) or (it.k and it.over):
        return "ranking"
    if cue(lex, "sum").search(work):
        return "sum"
    if len(set(it.years)) >= 2 and (cue(lex, "comparison").search(work) or it.trend):
        return "change"
    return "lookup"
