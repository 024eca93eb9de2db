"""Names from code masters in questions: a disease written out is its code, a name several codes carry is
asked back, a name next to a code must agree with it, and "J20 상병명이 뭐야?" is a master lookup."""

from __future__ import annotations

import re
from collections.abc import Callable

from hirachat.answer.intent import Intent
from hirachat.answer.lexicon import Entity, Lexicon, cue


def link_names(it: Intent, text: str, lex: Lexicon) -> None:
    """Words no stored value explains may be a disease or procedure name from a code master: the longest
    run of words that names one code becomes that code; a name several codes carry becomes candidates
    (asked back, never summed); a name next to a code in parentheses must agree with it."""
    names = lex.names
    assert names is not None
    for code, name in it.named.items():
        codes = names.lookup(name)
        if codes and code not in codes:
            it.mismatch.append((name, code, sorted(codes)))
    if not it.unknown:
        return
    words = [w for w in text.split() if not _PARTICLES.fullmatch(w)]  # '결막염 의 를': the name alone
    used: set[int] = set()
    for size in (4, 3, 2, 1):
        for i in range(len(words) - size + 1):
            span = set(range(i, i + size))
            window = " ".join(words[i : i + size])
            if used & span or not any(u in window for u in it.unknown):
                continue
            codes = names.lookup(window)
            if not codes:
                continue
            used |= span
            it.unknown = [u for u in it.unknown if u not in window]
            if len(codes) == 1:
                (code,) = codes
                at = re.search(r"\s+".join(map(re.escape, window.split())), text)  # where it was said
                a, b = (at.start(), at.end()) if at else (-1, -1)
                it.entities.append(Entity(names.dim[code], code, window, a, b))
                it.named[code] = names.official.get(code, window)
            else:
                it.candidates.append((window, sorted(codes)))


def asks_master(it: Intent, text: str, lex: Lexicon) -> bool:
    """A code's name ('J20 상병명이 뭐야?') or a name's code ('2형 당뇨병 코드 알려줘'): no figure asked."""
    if lex.names is None or it.measures or it.formula or it.years or it.candidates:
        return False
    codes = [e for e in it.entities if e.value in lex.names.official]
    return bool(codes) and bool(cue(lex, "asks_name").search(text) or cue(lex, "asks_code").search(text))


_PARTICLES = re.compile(r"(?:은|는|이|가|을|를|의|에|에서|로|으로|과|와|도|만)+")
_PAREN_CODE = re.compile(r"\(\s*([A-Za-z]\d{2}(?:\.?\d{1,2})?)\s*\)")


def named_codes(
    text: str, codes: set[str], lookup: Callable[[str], set[str]] | None = None
) -> dict[str, str]:
    """'급성 기관지염(J20)': the words right before a stored code in parentheses name that code, so they
    are accounted for (the code decides; code masters can check that both agree). With a master
    (``lookup``), only the words that name it: '우주정거장 당뇨병(E11)' names E11 with '당뇨병' alone."""
    out: dict[str, str] = {}
    for m in _PAREN_CODE.finditer(text):
        code = m.group(1).upper()
        if code not in codes:
            continue
        words: list[str] = []
        before = re.split(r"\d{4}\s*년(?:도)?|\d+\s*분기", text[: m.start()])[-1]  # after any period
        for w in reversed(before.split()[-12:]):
            if re.match(r"\d", w):  # a number or period ends the name; a name may hold digits (비타민B12…)
                break
            words.insert(0, w)
        if lookup is not None and any(lookup(w) for w in words):
            while words and not lookup(" ".join(words)):  # words that name nothing are not the code's name
                words.pop(0)
        if words:
            out[code] = " ".join(words)
    return out
