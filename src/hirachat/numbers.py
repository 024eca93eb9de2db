"""Korean numbers: one place that parses and formats them.

Formats: ``1,234,567``, ``80.46%``, ``2조 2,098억 5,221만 6,590원``. Parsing finds every number in a
Korean text, including 만/억/조 compounds (``3조 6,583억 117만 3,310원``), decimals, signs, percents
and Excel scientific notation, while ignoring digits glued to Latin letters (codes such as J20.9).
Used by dataset answers, the dataset's numeric-consistency check, grounding and evaluation.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_BIG = {"조": 10**12, "억": 10**8, "만": 10**4}
_SMALL = {"천": 1000, "백": 100, "십": 10}
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_NUM_RE = re.compile(rf"(?<![A-Za-z0-9.,_])([-+−]?)({_NUM})(?![A-Za-z0-9_])")
_UNIT_RE = re.compile(r"\s?([천백십])?\s?([조억만])")
_PCT_RE = re.compile(r"\s?(%|퍼센트|프로)")


@dataclass(frozen=True)
class Number:
    """A number found in text: its value, the decimals written, whether it was a percent."""

    value: float
    decimals: int
    percent: bool
    start: int
    end: int
    text: str

    def matches(self, target: float) -> bool:
        """True if ``target`` rounded to the decimals written equals this number."""
        if math.isnan(target):
            return False
        return round_half_up(target, self.decimals) == round_half_up(self.value, self.decimals)


def round_half_up(x: float, decimals: int) -> float:
    q = Decimal(1).scaleb(-decimals)
    try:
        return float(Decimal(repr(x)).quantize(q, rounding=ROUND_HALF_UP))
    except InvalidOperation:  # more digits than a Decimal holds (a model's runaway number): as it is
        return x


def _decimals(token: str) -> int:
    if "e" in token.lower():
        return 0
    return len(token.split(".", 1)[1]) if "." in token else 0


def extract_numbers(text: str) -> list[Number]:
    """Every number in ``text`` in order; compounds (3조 6,583억 117만) are one number."""
    out: list[Number] = []
    pos = 0
    while True:
        m = _NUM_RE.search(text, pos)
        if not m:
            return out
        sign = -1.0 if m.group(1) in ("-", "−") else 1.0
        start, end = m.start(), m.end()
        total = 0.0
        value = float(m.group(2).replace(",", ""))
        decimals = _decimals(m.group(2))
        compound = False
        while True:
            u = _UNIT_RE.match(text, end)
            if not u:
                break
            mult = _BIG[u.group(2)] * (_SMALL[u.group(1)] if u.group(1) else 1)
            total += value * mult
            end = u.end()
            compound = True
            nxt = re.compile(rf"\s?({_NUM})(?![A-Za-z0-9_])").match(text, end)
            if not nxt:
                value = 0.0
                break
            value = float(nxt.group(1).replace(",", ""))
            # a trailing part smaller than the last unit continues the compound (3조 6,583억 117만 3,310)
            if value >= mult:
                value = 0.0
                break
            end = nxt.end()
        if compound:
            total += value
            value, decimals = total, 0 if total.is_integer() else decimals
        pct = _PCT_RE.match(text, end)
        if pct and not compound:
            end = pct.end()
        out.append(Number(sign * value, decimals, bool(pct) and not compound, start, end, text[start:end]))
        pos = end


def format_int(n: float | int) -> str:
    return f"{int(n):,}"


def format_number(x: float, decimals: int = 2) -> str:
    """Thousands separators; integers without decimals; others rounded half-up."""
    if float(x).is_integer():
        return format_int(x)
    return f"{round_half_up(x, decimals):,.{decimals}f}"


def format_compound(n: int) -> str:
    """``2209852216590`` → ``2조 2,098억 5,221만 6,590``."""
    if n == 0:
        return "0"
    sign = "-" if n < 0 else ""
    n = abs(n)
    parts = []
    for unit, size in _BIG.items():
        q, n = divmod(n, size)
        if q:
            parts.append(f"{q:,}{unit}")
    if n:
        parts.append(f"{n:,}")
    return sign + " ".join(parts)


def format_value(x: float, unit: str | None) -> str:
    """A measure value with its unit; 원 amounts of 1억 or more also in 조/억/만 form."""
    u = unit or ""
    text = f"{format_number(x)}{u}"
    if u == "원" and float(x).is_integer() and abs(x) >= 10**8:
        text += f"({format_compound(int(x))}{u})"
    return text


def format_percent(ratio: float, decimals: int = 2) -> str:
    """0.80456 → ``80.46%``."""
    return f"{round_half_up(ratio * 100, decimals):.{decimals}f}%"


def format_signed(x: float, unit: str | None) -> str:
    return ("+" if x > 0 else "") + format_value(x, unit)
