"""The interpretation line: the query as understood, in words the user knows.

"이해한 질문: 2023년 · 상병코드 J20 · 여성 · 입원 · 환자수 (「…」)" — so a misreading is seen, not trusted.
A follow-up says what it carried over from the previous question.
"""

from __future__ import annotations

from typing import Any

from hirachat import korean as K
from hirachat.answer.intent import Intent
from hirachat.data.schema import MONTH, QUARTER, YEAR
from hirachat.data.store import TableInfo
from hirachat.query.wording import display_title

_OPS = {
    "sum": "합계",
    "ranking": "순위",
    "share": "비중",
    "comparison": "비교",
    "change": "증감",
    "ratio": "비율",
    "derived": "계산값",
    "lookup": "",
}


UNREAD = " — 이해하지 못한 말: "  # the question's own words: kept out of logs that keep no question text


def without_unread(line: str) -> str:
    """The interpretation line without the question's unread words (for logs that keep no text)."""
    return line.split(UNREAD, 1)[0]


def reading(
    it: Intent,
    table: TableInfo | None,
    years: list[int] | None = None,
    filters: dict[str, list[Any]] | None = None,
    query: dict[str, Any] | None = None,
) -> str:
    """One line: period, every constraint applied (or asked, for an abstention), the figure and operation."""
    parts: list[str] = []
    ys = years if years is not None else sorted(set(it.years))
    if ys:
        span = f"{ys[0]}~{ys[-1]}년" if len(ys) > 2 else " 대비 ".join(f"{y}년" for y in ys)
        parts.append(span if it.years or years is None else f"{span}(최신 연도)")
    if it.month_span:
        parts.append(it.month_span)
    elif it.quarter:
        parts.append(f"{it.quarter}분기")
    if it.months and not it.month_span:
        parts.append("·".join(it.months))
    if filters is not None:
        for d, vals in filters.items():
            if d in (YEAR, QUARTER, MONTH):
                continue
            if it.ages and d not in {e.dim for e in it.entities}:
                parts.append(f"{it.ages[0].surface}({'·'.join(vals)})")
            else:
                parts.append(
                    "·".join(
                        K.value_phrase(d, v) + (f"({it.named[str(v)]})" if str(v) in it.named else "")
                        for v in vals
                    )
                )
    else:
        parts += [K.value_phrase(e.dim, e.value) for e in it.entities]
        parts += [a.surface for a in it.ages]
        parts += it.codes
    if it.formula:
        sym = "−" if it.formula["op"] == "diff" else "÷"
        parts.append(f"{it.derived} = {it.formula['a']} {sym} {it.formula['b']}")
    elif query is not None and query.get("measures"):
        parts.append("·".join(query["measures"]))
    elif it.measures:
        parts.append("·".join(it.measures))
    op = (query or {}).get("op", it.qtype)
    over = (query or {}).get("over")
    if _OPS.get(op):
        label = _OPS[op]
        if op == "ranking" and over:
            label = f"{K.by(K.dim_label(over))} {'하위' if it.lowest else '상위'} {(query or {}).get('k', '')}".strip()
        elif op in ("sum", "share") and over:
            label = f"{K.by(K.dim_label(over[0] if isinstance(over, list) else over))} {label}"
        parts.append(label)
    line = "이해한 질문: " + " · ".join(p for p in parts if p)
    if table is not None:
        line += f" (「{display_title(table)}」)"
    if it.excluded:
        line += f" · 제외: {', '.join(dict.fromkeys(e.value for e in it.excluded))}"
    if it.carried:
        line += f" — 이전 질문에서 이어받음: {', '.join(it.carried)}"
    if it.unknown:  # the accounting: words no reading claimed (the answer is a refusal naming them)
        line += f"{UNREAD}{', '.join(it.unknown)}"
    return line
