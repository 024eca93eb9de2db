"""What an answer shows besides its sentence: a table of the groups it ranked or broke down, and the series
of a trend, from the answer's own facts (never recomputed from the store, never from the text).

- ranking, share by a dimension, sum over a dimension, comparison: one row per value of the dimension
  (rank, name, value, share of the rows shown), the rows the answer named marked;
- change over three or more years: one row per year of the range, a gap for each year without data, and a
  line series for a chart.
Values carry the exact figure and a readable one (억/조 for amounts, 만 for large counts).
"""

from __future__ import annotations

from typing import Any

from hirachat import korean as K
from hirachat.data.schema import YEAR
from hirachat.numbers import format_number, format_percent, round_half_up
from hirachat.query.model import Answer

MAX_ROWS = 200


def readable(x: float, unit: str | None) -> str:
    """12192063434310원 → '12조 1,921억 원'; 2931188명 → '293만 1,188명'; small values as they are."""
    u = unit or ""
    if abs(x) >= 1e8 and u == "원":
        eok = round_half_up(x / 1e8, 0)
        jo, rest = divmod(int(abs(eok)), 10000)
        sign = "-" if x < 0 else ""
        parts = ([f"{jo:,}조"] if jo else []) + ([f"{rest:,}억"] if rest else [])
        return f"{sign}{' '.join(parts) or '0억'} 원"
    if abs(x) >= 1e5 and float(x).is_integer():
        man, rest = divmod(int(abs(x)), 10000)
        return f"{'-' if x < 0 else ''}{man:,}만" + (f" {rest:,}" if rest else "") + u
    return f"{format_number(x)}{u}"


def _cell(x: float, unit: str | None) -> dict[str, Any]:
    return {"value": x, "unit": unit, "exact": f"{format_number(x)}{unit or ''}", "text": readable(x, unit)}


def display(ans: Answer) -> dict[str, Any] | None:
    """The answer's table (and chart series), or None when a sentence says it all."""
    if ans.abstained or not ans.facts:
        return None
    q = ans.query
    op, over = q.get("op"), q.get("over")
    if isinstance(over, list):
        over = over[0] if over else None
    measures = q.get("measures") or []
    if op == "change" and len(q.get("years") or []) >= 3:
        return _trend(ans, measures[0] if measures else ans.facts[0]["measure"])
    if op in ("ranking", "share", "sum", "comparison") and over:
        return _groups(ans, str(over), op, q)
    return None


def _sums(ans: Answer, key: str, measure: str) -> dict[Any, tuple[float, str | None]]:
    out: dict[Any, list[float]] = {}
    units: dict[Any, str | None] = {}
    for f in ans.facts:
        if f["measure"] != measure or key not in f["dims"]:
            continue
        out.setdefault(f["dims"][key], []).append(f["value"])
        units[f["dims"][key]] = f["unit"]
    return {k: (float(sum(v)), units[k]) for k, v in out.items()}


def _groups(ans: Answer, over: str, op: str, q: dict[str, Any]) -> dict[str, Any] | None:
    measure = ans.facts[0]["measure"]
    sums = {k: v for k, v in _sums(ans, over, measure).items() if k != "계"}
    if len(sums) < 2:
        return None
    lowest = bool(q.get("lowest"))
    ordered = sorted(sums.items(), key=lambda kv: ((1 if lowest else -1) * kv[1][0], str(kv[0])))
    total = sum(v for v, _ in sums.values())
    k = int(q.get("k") or 0) if op == "ranking" else len(ordered)
    named = {str(v) for v in (q.get("filters") or {}).get(over, [])}
    rows = []
    for i, (name, (value, unit)) in enumerate(ordered[:MAX_ROWS]):
        rows.append(
            {
                "rank": i + 1,
                "key": str(name),  # the stored value: the sources of this row carry it in their dims
                "name": K.value_phrase(over, name),
                "cell": _cell(value, unit),
                "share": format_percent(value / total) if total > 0 and op != "comparison" else None,
                "marked": (op == "ranking" and i < k) or str(name) in named,
            }
        )
    return {
        "kind": "table",
        "dimension": K.dim_label(over),
        "dim": over,
        "measure": measure,
        "columns": ["순위", K.dim_label(over), measure, "비중"],
        "rows": rows,
        "more": max(0, len(ordered) - MAX_ROWS),
    }


def _trend(ans: Answer, measure: str) -> dict[str, Any] | None:
    years = sorted(int(y) for y in ans.query.get("years") or [])
    sums = _sums(ans, YEAR, measure)
    have = {int(y): v for y, v in sums.items()}
    if len(have) < 2:
        return None
    span = list(range(years[0], years[-1] + 1))
    rows = []
    for y in span:
        if y in have:
            rows.append({"year": y, "cell": _cell(*have[y])})
        else:
            rows.append({"year": y, "cell": None, "gap": True})
    unit = next(iter(have.values()))[1]
    return {
        "kind": "trend",
        "measure": measure,
        "unit": unit,
        "columns": ["연도", measure],
        "rows": rows,
        "gaps": [y for y in span if y not in have],
        "series": {"x": span, "y": [have[y][0] if y in have else None for y in span]},
    }
