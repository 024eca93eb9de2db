"""Dimension kinds from values: a column (or a header row) is a 시도, 시군구, 성별, 입원/외래, 종별, age band or
code dimension because of what its values are, whatever its header says.

Evidence is counted over the distinct values that are not totals (계, 합계, 전국 …); a kind needs nine in ten of
them. The header a file gave the column is kept beside the kind as the column's own name, and the evidence is
reported ("시군구구분 → 시군구: 229 of 229 values are 시군구 names").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache

from hirachat.data.vocab import DIMENSION_BY_NAME, SEX_ALIASES, SIDO_ALIASES, TOTAL_MARKERS

_AGE_BAND = re.compile(
    r"^(\d{1,3})\s*(?:세)?\s*[~\-–_]\s*(\d{1,3})\s*세?$|^(\d{1,3})\s*세\s*(이상|미만|이하|초과)$|^(\d{1,3})\s*대(?:\s*이상)?$"
    r"|^(\d{1,3})\s*세$"
)
_SIGUNGU = re.compile(r"^[가-힣]{1,6}(시|군|구)(\s?[가-힣]{1,5}(구|군))?$")
_KCD = re.compile(r"^[A-Z]\d{2}(\.?\d{1,2})?$")
SHARE = 0.9

# kind → the canonical dimension a column of that kind is stored as
CANONICAL = {
    "시도": "시도",
    "시군구": "시군구",
    "성별": "성별",
    "입원외래": "입원외래구분",
    "종별": "종별",
    "연령": "연령군",
    "상병코드": "주상병코드",
}
_LABEL = {
    "시도": "시도 names",
    "시군구": "시군구 names",
    "성별": "sexes",
    "입원외래": "입원/외래",
    "종별": "요양기관 종별 names",
    "연령": "age bands",
    "상병코드": "KCD codes",
}


@dataclass(frozen=True)
class Kind:
    kind: str
    dimension: str  # canonical dimension name
    matched: int
    of: int

    def evidence(self) -> str:
        return f"{self.matched} of {self.of} values are {_LABEL[self.kind]}"


def is_age_band(value: str) -> bool:
    return bool(_AGE_BAND.match(value.strip()))


def _is_sido(v: str) -> bool:
    return v in SIDO_ALIASES or v.replace(" ", "") in SIDO_ALIASES


def is_kcd_code(value: str) -> bool:
    """A KCD code shape: J20, J20.9, J209."""
    return bool(_KCD.match(value.strip().upper()))


@cache
def _tests() -> list[tuple[str, Callable[[str], bool]]]:
    inout = set(DIMENSION_BY_NAME["입원외래구분"].values) | set(DIMENSION_BY_NAME["입원외래구분"].aliases)
    j = DIMENSION_BY_NAME["종별"]
    jong = {*j.values, *j.aliases, *j.groups}
    return [
        ("성별", lambda v: v in SEX_ALIASES and v not in ("1", "2")),
        ("입원외래", lambda v: v in inout),
        ("시도", _is_sido),
        ("종별", lambda v: v in jong),
        ("연령", is_age_band),
        ("시군구", lambda v: bool(_SIGUNGU.match(v)) and not _is_sido(v)),
        ("상병코드", is_kcd_code),
    ]


def kind_of(values: Iterable[str | None]) -> Kind | None:
    """The kind most of a column's distinct values are, or None when no kind has nine in ten of them."""
    distinct = {
        re.sub(r"\s+", " ", v).strip()
        for v in values
        if v is not None and v.strip() and re.sub(r"\s+", "", v) not in TOTAL_MARKERS
    }
    if not distinct:
        return None
    for kind, test in _tests():
        n = sum(1 for v in distinct if test(v))
        if n >= SHARE * len(distinct) and (n >= 2 or (len(distinct) == 1 and kind != "시군구")):
            return Kind(kind, CANONICAL[kind], n, len(distinct))
    return None
