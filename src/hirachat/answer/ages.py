"""Age constraints: bands in questions ("20대", "60대 이상", "10세 미만", "65세 이상", "노인") and in tables.

A question's age is a half-open interval [lo, hi) in years (hi None = no upper end). A table's age
values ("0~9세", "20-24세", "100세이상", "1세미만", "85세 이상") are parsed the same way. A question's
interval is applied only when it is exactly a union of the table's bands; otherwise the answer
abstains and lists the bands the table has (never a sum of bands that only overlap what was asked).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

Interval = tuple[int, int | None]

_NUM = r"(\d{1,3})"
# question forms, most specific first; each gives (pattern, builder of the interval from the numbers)
_DECADE = re.compile(r"(?<![\d.])(\d{1,2})0\s*대\s*(이상|이후|부터|이하|까지|미만)?")
_RANGE = re.compile(
    rf"(?:만\s*)?{_NUM}\s*(?:세|살)?\s*(?:~|-|에서|부터)\s*{_NUM}\s*(?:세|살)\s*(?:까지|이하)?"
)
_BOUND = re.compile(rf"(?:만\s*)?{_NUM}\s*(?:세|살)\s*(이상|초과|미만|이하|이후|넘는|넘은|까지|부터)?")


@dataclass(frozen=True)
class AgeAsk:
    lo: int
    hi: int | None
    surface: str
    start: int
    end: int

    @property
    def interval(self) -> Interval:
        return (self.lo, self.hi)


def _decade(m: re.Match[str]) -> Interval:
    d, mod = int(m.group(1)) * 10, m.group(2)
    if mod in ("이상", "이후", "부터"):
        return (d, None)
    if mod in ("이하", "까지"):
        return (0, d + 10)
    if mod == "미만":
        return (0, d)
    return (d, d + 10)


def _bound(m: re.Match[str]) -> Interval:
    n, mod = int(m.group(1)), m.group(2)
    if mod in ("이상", "이후", "부터"):
        return (n, None)
    if mod in ("초과", "넘는", "넘은"):
        return (n + 1, None)
    if mod == "미만":
        return (0, n)
    if mod in ("이하", "까지"):
        return (0, n + 1)
    return (n, n + 1)


def parse_question(
    text: str, named: dict[str, Interval | None], inside: list[tuple[int, int]] | None = None
) -> tuple[list[AgeAsk], list[str]]:
    """Age intervals asked in ``text``, and named age words the vocabulary cannot pin to an interval.
    A named word inside a stored value (소아 in 소아청소년과: spans in ``inside``) is not an age."""
    asks: list[AgeAsk] = []
    taken: list[tuple[int, int]] = list(inside or [])

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for m in _RANGE.finditer(text):
        lo, hi = int(m.group(1)), int(m.group(2))
        if lo < hi and free(*m.span()):
            asks.append(AgeAsk(lo, hi + 1, m.group(0).strip(), *m.span()))
            taken.append(m.span())
    for pat, build in ((_DECADE, _decade), (_BOUND, _bound)):
        for m in pat.finditer(text):
            if free(*m.span()):
                start, stop = build(m)
                asks.append(AgeAsk(start, stop, m.group(0).strip(), *m.span()))
                taken.append(m.span())
    unresolved: list[str] = []
    for word, interval in sorted(named.items(), key=lambda kv: -len(kv[0])):
        for m in re.finditer(re.escape(word), text):
            if not free(*m.span()):
                continue
            taken.append(m.span())
            if interval is None:
                unresolved.append(word)
            else:
                asks.append(AgeAsk(interval[0], interval[1], word, *m.span()))
    return asks, unresolved


_BAND_RANGE = re.compile(r"(\d{1,3})\s*(?:세)?\s*[~\-–]\s*(\d{1,3})\s*세?")
_BAND_BOUND = re.compile(r"(\d{1,3})\s*세\s*(이상|미만|이하|초과)?")
_BAND_DECADE = re.compile(r"(\d{1,2})0\s*대\s*(이상)?")


def parse_band(label: str) -> Interval | None:
    """A table's age value as an interval; None for totals or anything that is not an age band."""
    s = str(label).strip()
    if m := re.fullmatch(r"(\d{1,3})\s*_\s*(\d{1,3})\s*세", s):  # "60_64세": the portal's range
        s = f"{m.group(1)}~{m.group(2)}세"
    s = re.sub(r"^\d+_", "", s)  # "01_0~4세" style order prefixes
    if m := _BAND_RANGE.fullmatch(s.replace(" ", "")):
        lo, hi = int(m.group(1)), int(m.group(2))
        return (lo, hi + 1) if lo <= hi else None
    if m := _BAND_BOUND.fullmatch(s.replace(" ", "")):
        n, mod = int(m.group(1)), m.group(2)
        return {
            "이상": (n, None),
            "초과": (n + 1, None),
            "미만": (0, n),
            "이하": (0, n + 1),
            None: (n, n + 1),
        }[mod]
    if m := _BAND_DECADE.fullmatch(s.replace(" ", "")):
        d = int(m.group(1)) * 10
        return (d, None) if m.group(2) else (d, d + 10)
    return None


def is_age_dimension(values: set[str]) -> bool:
    """Most of a dimension's values are age bands (a table's own column, whatever it is called)."""
    vals = [v for v in values if v != "계"]
    return bool(vals) and sum(parse_band(v) is not None for v in vals) >= max(2, int(len(vals) * 0.8))


def cover(ask: Interval, bands: dict[str, Interval]) -> list[str] | None:
    """The band labels whose union is exactly ``ask``; None when the table's bands do not align."""
    lo, hi = ask
    chosen: list[str] = []
    at = lo
    ordered = sorted(bands.items(), key=lambda kv: kv[1][0])
    while True:
        nxt = next(((k, b) for k, b in ordered if b[0] == at), None)
        if nxt is None:
            return None
        label, (_, b_hi) = nxt
        chosen.append(label)
        if b_hi is None:
            return chosen if hi is None else None
        if hi is not None and b_hi == hi:
            return chosen
        if hi is not None and b_hi > hi:
            return None
        at = b_hi


def describe(ask: Interval) -> str:
    lo, hi = ask
    if hi is None:
        return f"{lo}세 이상"
    if lo == 0:
        return f"{hi}세 미만"
    return f"{lo}~{hi - 1}세"
