"""Normalise what HIRA files spell many ways: column names, units, numbers, regions, categories.

Column names: whitespace, "(선별포함)", units in parentheses and synonyms (명세서 청구건수 / 명세서청구건수 /
명세서건수) map to one canonical name. Numbers: trailing spaces, thousands separators, Excel scientific
notation and bands of amounts rounded to six significant figures (kept, flagged approximate), blanks
(null). Regions: 서울 / 서울특별시 / legacy province names, and cells such as "경기도 수원시 장안구" split into 시도 and 시군구.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hirachat.data.vocab import (
    DIMENSION_SYNONYMS,
    MEASURE_SYNONYMS,
    SEX_ALIASES,
    SIDO_ALIASES,
    SYNTHETIC_MARKERS,
    TOTAL_MARKERS,
)

TOTAL = "계"
UNIT_SCALE = {
    "원": ("원", 1),
    "천원": ("원", 1_000),
    "백만원": ("원", 1_000_000),
    "억원": ("원", 100_000_000),
}
KNOWN_UNITS = ("백만원", "천원", "억원", "원", "명", "건", "일", "회", "개소", "개", "%")
_UNIT = "|".join(KNOWN_UNITS)  # longest first where one unit ends another (천원 before 원, 개소 before 개)
_PAREN = re.compile(r"[(\[（]([^)\]）]*)[)\]）]")
# cells a portal export does not publish (small counts): stored as suppressed, never 0, never dropped
SUPPRESSED_MARKS = frozenset({"-", "–", "—", "*", "x", "X", "…", "...", "ㆍ"})
_UNIT_LIST = re.compile(rf"단위\s*[_:：]?\s*((?:(?:{_UNIT})\s*[,，/·ㆍ]?\s*)+)")
_SCI = re.compile(r"^[-+]?\d+(\.\d+)?[eE][-+]?\d+$")
_PLAIN = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$")
_YEAR = re.compile(r"^((?:19|20)\d{2})(?:\s*년(?:도)?)?(?:\.0)?$")


@dataclass(frozen=True)
class Header:
    """A column header, read: what it is called in the store and what its parentheses said."""

    raw: str
    key: str  # whitespace-free, parentheses removed: the matching key
    canonical: str  # canonical name where known, else the key
    kind: str  # "measure" | "dimension" | "synthetic" | "unknown"
    unit: str | None = None
    selective: bool = False  # "(선별포함)": includes 선별급여


def nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def squash(s: str) -> str:
    """NFC and no whitespace: the form used to match names."""
    return re.sub(r"\s+", "", nfc(s))


def read_header(raw: str) -> Header:
    text = nfc(raw).strip()
    selective = "선별포함" in squash(text)
    unit = None
    for inner in _PAREN.findall(text):
        u = squash(inner).replace("단위", "").lstrip(":_：")
        if u in KNOWN_UNITS:
            unit = u
    key = squash(_PAREN.sub("", text))
    if key.lower() in SYNTHETIC_MARKERS:
        return Header(raw, key, key, "synthetic")
    if key in MEASURE_SYNONYMS:
        return Header(raw, key, MEASURE_SYNONYMS[key], "measure", unit, selective)
    if key in DIMENSION_SYNONYMS:
        return Header(raw, key, DIMENSION_SYNONYMS[key], "dimension", unit, selective)
    return Header(raw, key, key or "열", "unknown", unit, selective)


def unit_in_text(text: str | None) -> str | None:
    """The unit a title states (단위_개소, (단위: 천원)); the first when it lists several."""
    units = units_in_text(text)
    return units[0] if units else None


def units_in_text(text: str | None) -> list[str]:
    """Every unit a title states, in order: '(단위_명, 일, 건, 천원)' → ['명', '일', '건', '천원']."""
    if not text:
        return []
    m = _UNIT_LIST.search(squash(text))
    if not m:
        return []
    return re.findall(_UNIT, m.group(1))


def scale_unit(unit: str | None) -> tuple[str | None, int]:
    """천원 → (원, 1000): amounts are stored in base units so every table answers in 원."""
    if unit in UNIT_SCALE:
        return UNIT_SCALE[unit]
    return unit, 1


def parse_year(v: str | None) -> int | None:
    if v is None:
        return None
    m = _YEAR.match(v.strip())
    return int(m.group(1)) if m else None


def split_region(value: str) -> tuple[str, str | None]:
    """'경기도 수원시 장안구' → ('경기', '수원시 장안구'); '서울특별시' → ('서울', None); unknown kept."""
    parts = nfc(value).split()
    if not parts:
        return value, None
    head = SIDO_ALIASES.get(parts[0])
    if head is None:
        joined = SIDO_ALIASES.get("".join(parts))
        return (joined, None) if joined else (" ".join(parts), None)
    rest = " ".join(parts[1:]) or None
    return head, rest


def norm_category(v: str) -> str:
    """Whitespace collapsed, NFC; total markers (합계, 소계, 전체…) become 계."""
    s = re.sub(r"\s+", " ", nfc(v)).strip()
    return TOTAL if squash(s) in TOTAL_MARKERS else s


def norm_sex(v: str) -> str:
    s = norm_category(v)
    return SEX_ALIASES.get(s, s)


def norm_code(v: str) -> str:
    s = squash(v).upper()
    return TOTAL if s in TOTAL_MARKERS else s


@dataclass
class ParsedColumn:
    values: np.ndarray  # float64, NaN for null
    approx: np.ndarray  # bool: written in scientific notation or rounded (Excel damage)
    invalid: np.ndarray  # bool: not a number
    integer: bool  # every value an integer
    rounded: int = 0  # of the approximate cells, how many are digits rounded to a few significant figures
    rounded_from: float | None = None  # the magnitude from which the column's values are rounded
    suppressed: np.ndarray = field(  # bool: a cell the portal does not publish (-, *, x, …): null, never 0
        default_factory=lambda: np.zeros(0, dtype=bool)
    )


def significant(x: float) -> int:
    """Significant figures of an integer-valued number: 102582000000 → 6."""
    digits = str(int(abs(x))).rstrip("0")
    return max(1, len(digits))


def rounded_cells(values: np.ndarray, sig: int = 6, min_cells: int = 3) -> tuple[np.ndarray, float | None]:
    """Cells a spreadsheet rounded before the file was saved: from the smallest magnitude (10^8 or more)
    at and above which every value has at most ``sig`` significant figures (at least ``min_cells`` of
    them), while the values just below it are exact (most have more figures). An exact amount of 12
    digits ends in six zeros once in a million; a whole band of them is Excel's display, saved as text."""
    out = np.zeros(len(values), dtype=bool)
    finite = np.isfinite(values)
    mags = np.abs(np.where(finite, values, 0.0))
    big = finite & (mags >= 1e7) & (np.mod(mags, 1) == 0)
    if int(big.sum()) < min_cells:
        return out, None
    digits = np.zeros(len(values), dtype=int)
    figures = np.zeros(len(values), dtype=int)
    for i in np.flatnonzero(big):
        digits[i] = len(str(int(mags[i])))
        figures[i] = significant(mags[i])
    for d in range(9, 17):
        above = big & (digits >= d)
        below = big & (digits < d) & (digits >= max(sig + 1, d - 2))
        if int(above.sum()) < min_cells:
            return out, None
        if (
            (figures[above] <= sig).all()
            and below.sum() >= min_cells
            and (figures[below] > sig).mean() >= 0.5
        ):
            return above, float(10 ** (d - 1))
    return out, None


def map_unique(col: pd.Series, fn: Callable[[str], Any]) -> pd.Series:
    """Apply ``fn`` once per distinct non-null value (categories repeat millions of times)."""
    values = col.dropna().unique()
    return col.map({v: fn(v) for v in values})


def parse_numbers(col: pd.Series, blank_as_zero: bool) -> ParsedColumn:
    """Vectorised: '5 ' → 5, '1,234' → 1234, '1.79E+11' → approx, a band of
    102582000000-style rounded amounts → approx, '' → null (or 0 in portal exports)."""
    stripped = col.str.strip() if col.dtype == object else col.astype("string").str.strip()
    digits = stripped.str.isdigit().fillna(False).to_numpy(dtype=bool)
    if digits.all():  # the common case: plain integers with trailing spaces
        values = pd.to_numeric(stripped).to_numpy(dtype="float64")
        rounded, start = rounded_cells(values)
        n = len(values)
        none = np.zeros(n, dtype=bool)
        return ParsedColumn(values, rounded, none, True, int(rounded.sum()), start, none)
    s = stripped.astype("string").str.replace("\u2212", "-", regex=False)
    hidden_s = s.isin(list(SUPPRESSED_MARKS)).fillna(False)
    hidden = hidden_s.to_numpy(dtype=bool)
    blank = s.isna() | (s == "") | hidden_s
    approx = s.str.match(_SCI.pattern).fillna(False).to_numpy(dtype=bool)
    plain = s.str.match(_PLAIN.pattern).fillna(False).to_numpy(dtype=bool)
    blank_np = blank.to_numpy(dtype=bool)
    invalid = ~(blank_np | approx | plain)
    cleaned = s.where(~pd.Series(invalid, index=s.index)).str.replace(",", "", regex=False)
    values = pd.to_numeric(cleaned.where(~blank), errors="coerce").to_numpy(dtype="float64")
    if blank_as_zero:
        values = np.where(blank_np & ~hidden, 0.0, values)
    finite = values[~np.isnan(values)]
    integer = bool(np.all(np.mod(finite, 1) == 0)) if finite.size else True
    rounded, start = rounded_cells(np.where(approx, np.nan, values))
    return ParsedColumn(values, approx | rounded, invalid, integer, int(rounded.sum()), start, hidden)
