"""A fact: one published figure of one table (its dimension values, measure, value, unit and provenance),
and its stable id. What the executor reads and every answer, QA record and grounding check cites."""

from __future__ import annotations

import hashlib
import json
from typing import Any, NotRequired, TypedDict


class Fact(TypedDict):
    fact_id: str
    table_id: str
    dims: dict[str, Any]
    measure: str
    value: float
    unit: str | None
    source: dict[str, Any]  # file, sha256, sheet, row
    approx: NotRequired[bool]  # the file holds this value rounded (Excel damage): answered as "약 …"
    twice: NotRequired[str]  # the file gives this key twice with different figures: the note saying so


def fact_id(table_id: str, dims: dict[str, Any], measure: str) -> str:
    key = json.dumps([table_id, sorted((k, str(v)) for k, v in dims.items()), measure], ensure_ascii=False)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]
