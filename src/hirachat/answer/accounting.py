"""Every word of a question accounted for: which reading claimed each morpheme, and the content words
nothing claimed.

The passes of ``understand`` (periods, ages, codes, names, measures, dimensions, values, operators, …)
each record the character spans they read. Here the whole question is analysed once with Kiwi and every
morpheme gets the pass that claimed it. A content morpheme (a noun, a bound noun or counter, a numeral, a
number, a foreign word or symbol, a root, a determiner) that no pass claimed is *unclaimed*: adjacent
unclaimed pieces form one word ("중구" is 중 + 구), and such a word is never ignored — the planner answers
only when there is none (or refuses naming it). Grammar (particles, endings, copulas, suffixes,
punctuation) never makes a question unanswerable; neither do the filler words of the vocabulary
(``stopwords``: politeness, question words, "자료", "통계").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# content: nouns (general, proper, bound: counters), numerals, numbers, foreign words, Hanja, roots,
# determiners (두, 세 …: a count said in words)
CONTENT = frozenset({"NNG", "NNP", "NNB", "NR", "SN", "SL", "SH", "XR", "MM"})
# pieces too small to carry a constraint alone: a lone bound noun or determiner ('개', '몇', '그')
_WEAK = frozenset({"NNB", "MM"})


@dataclass(frozen=True)
class Claim:
    start: int
    end: int
    by: str  # the pass: period, age, code, name, measure, dimension, statistic, value, operator, filler …


@dataclass(frozen=True)
class Morpheme:
    form: str
    tag: str
    start: int
    end: int
    by: str | None  # the pass that claimed it; None: grammar, or content nothing claimed

    def as_dict(self) -> dict[str, Any]:
        return {"form": self.form, "tag": self.tag, "start": self.start, "end": self.end, "by": self.by}


# particles Kiwi sometimes leaves inside a proper noun it does not know ('마산합포구에')
_TAILS = ("에서", "으로", "에", "의", "은", "는", "이", "가", "을", "를", "로", "와", "과", "도", "만")


def claimed_by(claims: list[Claim], start: int, end: int, text: str) -> str | None:
    """The pass whose spans cover every non-space character of ``text[start:end]`` (the first to cover
    most of it), a particle left at its end aside; None when some character is not covered."""
    best: dict[str, int] = {}
    for i in range(start, end):
        if text[i].isspace():
            continue
        owners = [c.by for c in claims if c.start <= i < c.end]
        if not owners:
            if best and text[i:end] in _TAILS:  # the read word and a particle, as one morpheme
                break
            vocabulary = set(best) <= {
                "measure",
                "formula",
                "statistic",
                "dimension",
            }  # never a value: 서울대
            if vocabulary and sum(best.values()) >= 2 and end - i == 1:  # '본인부담' read in '본인부담금'
                break
            return None
        best[owners[0]] = best.get(owners[0], 0) + 1
    return max(best, key=lambda k: best[k]) if best else None


def account(
    text: str, tokens: list[Any], claims: list[Claim], filler: set[str]
) -> tuple[list[Morpheme], list[str]]:
    """Each morpheme of ``text`` (Kiwi tokens of the whole question) with the pass that claimed it, and
    the content words nothing claimed (adjacent unclaimed pieces joined; filler words are claimed here)."""
    out: list[Morpheme] = []
    for t in tokens:
        end = t.start + t.len
        by = claimed_by(claims, t.start, end, text)
        if by is None and t.form in _TAILS and out and out[-1].end == t.start and out[-1].by is not None:
            by = out[-1].by  # '경남의' read as 경남 + 의(noun): the particle of the word before it
        out.append(Morpheme(t.form, t.tag, t.start, end, by))
    words: list[list[int]] = []  # runs of adjacent unclaimed pieces (indices into out)
    for i, m in enumerate(out):
        if m.by is not None or not _piece(m):
            continue
        prev = out[words[-1][-1]] if words else None
        if prev is not None and prev.end == m.start and _script(prev) == _script(m):
            words[-1].append(i)  # one word: '중' + '구'; '케이캡정' + '50' + 'mg' are three
        else:
            words.append([i])
    unclaimed: list[str] = []
    for run in words:
        parts = [out[i] for i in run]
        whole = text[parts[0].start : parts[-1].end]  # '기준' as Kiwi splits it (기 + 준): a filler word
        while parts and parts[-1].tag not in CONTENT:  # a trailing ending or particle is grammar
            parts.pop()
        if not any(p.tag in CONTENT for p in parts):
            continue
        word = text[parts[0].start : parts[-1].end]
        contents = [p for p in parts if p.tag in CONTENT]
        weak = all(p.tag in _WEAK for p in contents) and len(word) == 1
        weak = weak or (contents[0].form == "몇" and len(word) <= 3)  # '몇점', '몇살': the counter asked
        weak = weak or all(
            p.tag == "MM" for p in contents
        )  # '모든', '어느': a determiner alone is no constraint
        if word in filler or whole in filler or all(p.form in filler for p in contents) or weak:
            for i in run:
                out[i] = Morpheme(out[i].form, out[i].tag, out[i].start, out[i].end, "filler")
            continue
        unclaimed.append(word)
    return out, list(dict.fromkeys(unclaimed))


def _script(m: Morpheme) -> str:
    return "digit" if m.tag == "SN" else "latin" if m.tag in ("SL", "SH") else "hangul"


def _piece(m: Morpheme) -> bool:
    """Part of a word that may be content: not a particle, ending, copula, suffix of grammar or symbol."""
    return m.tag in CONTENT or not m.tag.startswith(
        ("J", "E", "VCP", "VCN", "XS", "SF", "SP", "SS", "SE", "SO", "SW")
    )
