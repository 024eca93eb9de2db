"""The header model: a stack of header rows over a data block, read as periods, measures and dimension values.

A grid's header is a stack of rows. Each header cell labels the columns beneath it until the next label
(merged cells in XLSX; blank cells to the right in CSV). The columns on the left whose data are labels (시도,
진료과목, 상병코드 …) are the row dimensions; every other column is a value column, and each row of the stack says
one thing about it, read as what it is:

- a period row (2021 | 2022, 2018년 01월, 2021년 1분기; or a row whose leading label is 진료년도/심사년도),
- a measure row (환자수 | 내원일수 | 진료비, or names never seen, which are measures of their own name),
- a dimension row (입원 | 외래, 남 | 여, 상급종합병원 | 종합병원 …; named by its leading label, by the kind of
  its values, or 구분).

So a measure repeated under different years or groups is never a clash: each value column gets its own
(period, dimension values, measure). A grid whose value columns cannot be told apart is refused with the
header rows shown. The layout is kept as a record (``Layout.as_dict``) and printed in the ingest report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from hirachat.data.kinds import kind_of
from hirachat.data.normalize import SUPPRESSED_MARKS, Header, norm_sex, read_header, squash
from hirachat.data.readers import PERIOD_TOKEN, RawGrid, is_numeric_text, is_period_token
from hirachat.data.vocab import DIMENSION_SYNONYMS, SIDO_ALIASES, TOTAL_MARKERS

YEAR = "진료년도"
QUARTER = "분기"
MONTH = "월"
PERIOD_DIMS = (YEAR, QUARTER, MONTH)
_PERIOD_LABEL = re.compile(r"(년도|연도|년월|기간|분기|심사년|진료년|기준년|통계년)")
_GENERIC = frozenset({"구분", "항목", "분류", "내용", "구분명", "항목명"})
_CODE_NAME = re.compile(r"(코드|번호|code|id)$", re.I)
RANK_HEADERS = frozenset({"순위", "랭킹", "등수"})  # a rank is a row's label (ties kept), not a measure
_EMBEDDED_PERIOD = re.compile(
    r"^\(?((?:19|20)\d{2})\s*년?도?\)?[\s_\-]*(.+)$|^(.+?)[\s_\-]*\(?((?:19|20)\d{2})\s*년?도?\)?$"
)


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None
    month: int | None = None

    def assign(self) -> dict[str, str]:
        out = {YEAR: str(self.year)}
        if self.quarter is not None:
            out[QUARTER] = str(self.quarter)
        if self.month is not None:
            out[MONTH] = f"{self.month:02d}"
        return out

    def label(self) -> str:
        if self.month is not None:
            return f"{self.year}-{self.month:02d}"
        if self.quarter is not None:
            return f"{self.year}Q{self.quarter}"
        return str(self.year)


def parse_period(text: str | None) -> Period | None:
    if text is None:
        return None
    m = PERIOD_TOKEN.match(text)
    if not m:
        return None
    q = m.group(3) or m.group(4) or m.group(5)
    month = m.group(2)
    return Period(int(m.group(1)), int(q) if q else None, int(month) if month else None)


@dataclass
class Column:
    """One column of the grid, as the header stack reads it."""

    index: int
    path: list[str]  # its header cells, top to bottom (merged and blank-to-the-right cells filled)
    role: str  # label | value | synthetic | ignored
    name: str = ""  # label: the dimension; value: the measure ('' = implied by the title)
    header: str = ""  # the column's own header, as the file wrote it
    head: Header | None = None
    period: Period | None = None
    values: dict[str, str] = field(default_factory=dict)  # dimension values its header gives
    evidence: str | None = None  # label columns: why the dimension is that kind

    def assign(self) -> dict[str, str]:
        return {**(self.period.assign() if self.period else {}), **self.values}


@dataclass
class Layout:
    header_rows: int
    roles: list[str]  # per header row: 'period', 'measure', 'dimension:<name>', 'label'
    columns: list[Column]
    notes: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[Column]:
        return [c for c in self.columns if c.role == "label"]

    @property
    def values(self) -> list[Column]:
        return [c for c in self.columns if c.role == "value"]

    def periods(self) -> list[str]:
        return sorted({c.period.label() for c in self.values if c.period})

    def describe(self) -> str:
        """'header: 2 rows — 진료년도 × {환자수, 내원일수}; row dimensions 시도, 진료과목'."""
        parts = []
        for role in self.roles:
            if role == "period":
                ps = self.periods()
                what = (
                    "진료년월" if any("-" in p for p in ps) else "분기" if any("Q" in p for p in ps) else YEAR
                )
                parts.append(
                    f"{what} ({len(ps)}: {ps[0]}…{ps[-1]})" if len(ps) > 2 else f"{what} ({', '.join(ps)})"
                )
            elif role == "measure":
                ms = list(dict.fromkeys(c.name for c in self.values if c.name))
                parts.append("{" + ", ".join(ms) + "}")
            elif role.startswith("dimension:"):
                d = role.split(":", 1)[1]
                vals = list(dict.fromkeys(c.values.get(d, "") for c in self.values if c.values.get(d)))
                parts.append(f"{d} {{{', '.join(vals[:6])}{'…' if len(vals) > 6 else ''}}}")
        stack = " × ".join(parts) or "one measure per column"
        dims = ", ".join(
            c.name + (f" (from '{c.header}': {c.evidence})" if c.evidence else "") for c in self.labels
        )
        text = f"header: {self.header_rows} row{'s' if self.header_rows > 1 else ''} — {stack}"
        return text + (f"; row dimensions: {dims}" if dims else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "header_rows": self.header_rows,
            "roles": self.roles,
            "row_dimensions": [
                {"column": c.header, "dimension": c.name, "evidence": c.evidence} for c in self.labels
            ],
            "value_columns": len(self.values),
            "periods": self.periods(),
            "measures": list(dict.fromkeys(c.name for c in self.values)),
            "text": self.describe(),
        }


def _numeric_share(grid: RawGrid, i: int, limit: int = 5000) -> tuple[float, int, list[str]]:
    vals = [v.strip() for r in grid.rows[:limit] if i < len(r) and (v := r[i]) is not None and v.strip()]
    if not vals:
        return 0.0, 0, []
    numeric = sum(1 for v in vals if is_numeric_text(v) or v in SUPPRESSED_MARKS)
    return numeric / len(vals), len(vals), vals


def _is_year_column(vals: list[str]) -> bool:
    """Data that are years (a 진료년도 column under an unknown header): labels, not counts."""
    return bool(vals) and all(
        (p := parse_period(v)) is not None and p.quarter is None and p.month is None for v in vals[:50]
    )


def _stack(grid: RawGrid) -> list[list[str | None]]:
    rows = [list(r) for r in grid.header_rows] if grid.header_rows else [list(grid.header)]
    width = max(len(grid.header), *(len(r) for r in rows))
    return [[(c.strip() or None) if c else None for c in r] + [None] * (width - len(r)) for r in rows]


def _dedupe(cells: list[str | None]) -> list[str]:
    out: list[str] = []
    for c in cells:
        if c and (not out or out[-1] != c):
            out.append(c)
    return out


def _measure_cell(cell: str) -> tuple[Header, Period | None] | None:
    """A measure header, possibly with its period in it ('2021년 환자수', '환자수(2021)')."""
    h = read_header(cell)
    if h.kind == "measure":
        return h, None
    m = _EMBEDDED_PERIOD.match(cell.strip())
    if m:
        year, rest = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
        h = read_header(rest)
        if h.kind == "measure":
            return h, Period(int(year))
    return None


def infer(grid: RawGrid) -> Layout:
    """Read the grid's header stack: which columns are row dimensions, and what each value column holds."""
    stack = _stack(grid)
    width = len(stack[0])
    n_rows = len(stack)
    notes: list[str] = []

    # 1. label (row dimension) columns and value columns, from the lowest header cell and the data
    columns: list[Column] = []
    data: dict[int, list[str]] = {}  # each column's filled data cells (a sample), read once
    for i in range(width):
        path = _dedupe([r[i] for r in stack])
        lowest = path[-1] if path else f"열{i + 1}"
        head = read_header(lowest)
        share, n, data[i] = _numeric_share(grid, i)
        vals = data[i]
        if head.kind == "synthetic":
            role = "synthetic"
        elif not path and n == 0:
            role = "ignored"
        elif (head.kind == "dimension" and not is_period_token(lowest)) or head.key in RANK_HEADERS:
            role = "label"
        elif any(_measure_cell(p) for p in path) or any(is_period_token(p) for p in path):
            role = "value"
        elif n == 0:
            role = "ignored"
        elif share < 0.9 or _CODE_NAME.search(head.key) or (len(path) <= 1 and _is_year_column(vals)):
            role = "label"
        else:
            role = "value"
        columns.append(Column(i, path, role, header=lowest if path else "", head=head))
    value_idx = {c.index for c in columns if c.role == "value"}
    label_idx = [c.index for c in columns if c.role == "label"]

    # 2. blank-to-the-right: an upper header cell labels the value columns to its right until the next label,
    #    within the span of the label above it
    filled = [list(r) for r in stack]
    for r in range(n_rows - 1):
        for i in range(1, width):
            if (
                filled[r][i] is None
                and i in value_idx
                and (i - 1) in value_idx
                and filled[r][i - 1]
                and (r == 0 or filled[r - 1][i] == filled[r - 1][i - 1])
            ):
                filled[r][i] = filled[r][i - 1]
    for c in columns:
        if c.role == "value":
            c.path = _dedupe([r[c.index] for r in filled])

    # 3. what each header row says about the value columns
    roles: list[str] = []
    own = {c.header for c in columns if c.role == "label"}
    for r in range(n_rows):
        cells = [cell for i in sorted(value_idx) if (cell := filled[r][i])]
        label = next(
            (stack[r][i] for i in label_idx if stack[r][i] and (r < n_rows - 1) and stack[r][i] not in own),
            None,
        )
        roles.append(_row_role(cells, label))
    if roles.count("measure") > 1:  # the lowest measure row names the measures; the others group them
        last = max(i for i, ro in enumerate(roles) if ro == "measure")
        roles = [
            f"dimension:구분{i + 1}" if ro == "measure" and i != last else ro for i, ro in enumerate(roles)
        ]

    # 4. each value column's period, dimension values and measure
    for c in columns:
        if c.role != "value":
            continue
        c.header = " | ".join(c.path)
        for r, role in enumerate(roles):
            cell = filled[r][c.index]
            if not cell:
                continue
            key = squash(cell)
            if role == "period":
                p = parse_period(cell)
                if p is not None:
                    c.period = p
                elif key in TOTAL_MARKERS:
                    c.role = "ignored"  # a total over periods: derived, not a fact of any one period
                    notes.append(f"column {c.header!r} is a total over periods: not stored (each period is)")
            elif role == "measure":
                found = _measure_cell(cell)
                if found:
                    c.head, period = found
                    c.name = c.head.canonical
                    c.period = c.period or period
                else:
                    c.head = read_header(cell)
                    c.name = c.head.canonical
            elif role.startswith("dimension:"):
                d = role.split(":", 1)[1]
                value = "계" if key in TOTAL_MARKERS else re.sub(r"\s+", " ", cell).strip()
                if d == "성별":
                    value = norm_sex(value)
                elif d == "시도":
                    value = SIDO_ALIASES.get(value.replace(" ", ""), value)
                c.values[d] = value

    # 5. row dimensions: named by their header, then by the kind their values are, whatever the header says
    labels = [c for c in columns if c.role == "label"]
    for c in labels:
        head = c.head or read_header(c.header)
        c.name = head.canonical if head.kind == "dimension" else (head.canonical or c.header)
    taken = {c.name for c in labels}
    for c in labels:
        head = c.head or read_header(c.header)
        k = kind_of(data[c.index])
        if k is None or k.dimension == c.name:
            continue
        generic = head.key in _GENERIC or head.kind != "dimension"
        if k.kind == "상병코드" and not (generic and re.search(r"상병|질병|구분|항목|코드|분류", head.key)):
            continue
        if k.dimension in taken and k.dimension != c.name:
            continue
        if head.kind == "dimension" and head.canonical in PERIOD_DIMS:
            continue
        if generic or k.kind in ("시군구", "시도"):
            taken.discard(c.name)
            c.evidence = k.evidence()
            c.name = k.dimension
            taken.add(c.name)
    return Layout(n_rows, roles, columns, notes)


def _row_role(cells: list[str], label: str | None) -> str:
    """period | measure | dimension:<name> | label (nothing over the value columns)."""
    if not cells:
        return "label"
    keys = [squash(c) for c in cells]
    canon = DIMENSION_SYNONYMS.get(squash(label)) if label else None
    periods = [c for c in cells if is_period_token(c)]
    totals = [k for k in keys if k in TOTAL_MARKERS]
    if canon in PERIOD_DIMS or (label and _PERIOD_LABEL.search(label) and periods):
        return "period"
    if periods and len(periods) + len(totals) == len(cells):
        return "period"
    if any(_measure_cell(c) for c in cells):
        return "measure"
    if canon is not None:
        return f"dimension:{canon}"
    k = kind_of(cells)
    if k is not None:
        return f"dimension:{k.dimension}"
    if label and squash(label) not in _GENERIC:
        return f"dimension:{squash(label)}"
    if label or totals:
        return "dimension:구분"
    return "measure"  # names never seen, over numbers: measures of their own name
