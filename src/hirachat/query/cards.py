"""Fact cards: one line of text per stored row, shared by retrieval and the retrieval-style prompts.

``2019년 서울 내과 | 환자수 2,931,188명 · 명세서청구건수 14,500,143건 | 출처: <file> 3행``
The same function renders cards for the BM25 index, the model engines' prompts and the training data
(``input`` of retrieval-style QA pairs), so the model sees facts in one format everywhere.
"""

from __future__ import annotations

from typing import Any

from hirachat import korean as K
from hirachat.numbers import format_value
from hirachat.query.facts import Fact


def card(
    dims: dict[str, Any], values: dict[str, tuple[float, str | None]], source: dict[str, Any] | None = None
) -> str:
    ent = K.entity(dims) or "전체"
    total = [f"{K.dim_label(d)} 전체" for d, v in dims.items() if str(v) == "계"]
    head = " ".join([ent, *total])
    body = " · ".join(f"{m} {format_value(v, u)}" for m, (v, u) in values.items())
    src = ""
    if source and source.get("file"):
        src = f" | 출처: {source['file']}" + (f" {source['row']}행" if source.get("row") else "")
    return f"{head} | {body}{src}"


def fact_cards(facts: list[Fact]) -> list[str]:
    """Cards for facts, one per stored row (facts of the same row share a card)."""
    rows: dict[
        tuple[Any, ...], tuple[dict[str, Any], dict[str, tuple[float, str | None]], dict[str, Any]]
    ] = {}
    for f in facts:
        key = (f["table_id"], tuple(sorted((k, str(v)) for k, v in f["dims"].items())))
        entry = rows.setdefault(key, (f["dims"], {}, f["source"]))
        entry[1][f["measure"]] = (f["value"], f["unit"])
    return [card(d, v, s) for d, v, s in rows.values()]
