"""Code masters: tables that name codes (KCD 상병, 수가/행위, 약가, ATC) rather than count anything.

A grid is a master when it has a code column (a header with 코드/code whose values look like codes) and a
name column (mostly Korean text), and no additive measure such as 환자수. It is stored as code → name and
attributes (every other column, blanks kept as blanks: a blank attribute is a value, not a bad row), with
the code normalised (dots and spaces out: J20.9 = J209) and its level (chapter or block ranges such as
A00-B99, 3-character A00, subcodes A00.0). A code repeated on later rows (inclusion terms) keeps its first
name as the official one and the others as alternative names. No period is invented: a master's "as of"
date (from its title or file name) is its version. A change file (a column of 신설 / 변경 / 삭제) is stored
as a master too, with its change column named; readers apply it to the master with the same code column.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace

from hirachat.data.readers import RawGrid, is_period_token
from hirachat.data.vocab import DIMENSION_SYNONYMS, MEASURE_SYNONYMS

_CODE_HEADER = re.compile(r"코드|기호|code", re.I)
_NAME_HEADER = re.compile(r"명칭|명$|이름|name|품목명|제품명|성분명|행위명|상병명|병명", re.I)
_MAKER_HEADER = re.compile(r"업체|회사|제조|수입|판매|영문|english", re.I)  # names, but not of the code
_DATE_HEADER = re.compile(r"적용일|시행일|변경일|고시일|기준일")
_CODE_VALUE = re.compile(r"^[A-Z0-9][A-Z0-9.\-/]{1,14}$")
_NAMEY = re.compile(r"[가-힣]|[A-Za-z]{3,}")  # a name: Korean, or words (일반명 'amoxicillin')
_RANGE = re.compile(r"^[A-Z]\d{2}-[A-Z]\d{2}$")
_VERSION = re.compile(r"(\d{2,4})[.\-/년\s]*(\d{1,2})[.\-/월\s]*(\d{1,2})[.일\s]*(?:현재|기준)")
_FILE_DATE = re.compile(r"(?<!\d)(20\d{2})(\d{2})(\d{2})(?!\d)")


def norm_code(code: str) -> str:
    """J20.9 / j209 / ' J20 ' → J209 / J20: how statistics tables write codes."""
    return re.sub(r"[\s.]", "", code).upper()


def level(code: str) -> str:
    c = code.strip().upper()
    if _RANGE.match(c):
        return "range"
    if re.fullmatch(r"[A-Z]\d{2}", c):
        return "3"
    if re.fullmatch(r"[A-Z]\d{2}\.?\d+", c):
        return "sub"
    return "code"


def change_column(grid: RawGrid, skip: tuple[int, int], changes: dict[str, tuple[str, ...]]) -> int | None:
    """The column of a master's change file (변경구분: 신설 / 변경 / 삭제), when the grid has one: most of
    its filled cells are change words."""
    words = {w: op for op, ws in changes.items() for w in ws}
    for i in range(len(grid.header)):
        if i in skip:
            continue
        filled = [c.strip() for r in grid.rows[:2000] if i < len(r) and (c := r[i]) and c.strip()]
        if len(filled) >= 1 and sum(change_of(v, words) is not None for v in filled) >= 0.8 * len(filled):
            return i
    return None


def change_of(value: str | None, words: dict[str, str]) -> str | None:
    """'신설' / '신규 등재' / '삭제(급여중지)' → 신설 / 신설 / 삭제."""
    if not value:
        return None
    v = re.sub(r"\s+", "", value)
    for w, op in sorted(words.items(), key=lambda kv: -len(kv[0])):
        if v.startswith(w) and len(v) <= len(w) + 8:
            return op
    return None


@dataclass
class MasterRow:
    row: int
    code: str
    name: str | None
    primary: bool
    attrs: dict[str, str | None]


@dataclass
class Master:
    title: str
    kind: str  # disease | procedure | drug | atc | code
    code_column: str
    name_column: str
    version: str | None
    change_column: str | None = None  # a change file: the column saying 신설 / 변경 / 삭제
    rows: list[MasterRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def change_sheet(grid: RawGrid, changes: dict[str, tuple[str, ...]]) -> RawGrid | None:
    """A sheet of a change workbook named for its change (신설 / 변경 / 삭제 sheets, or a title saying 신설 내역)
    without a change column of its own: the grid with a 변경구분 column holding that change on every row, so
    it is stored as a change file of its master, never as a statistics table."""
    words = {w: op for op, ws in changes.items() for w in ws}
    op = change_of((grid.sheet or "").strip(), words)
    if op is None:
        return None
    if any(change_of(c, words) for r in grid.rows[:50] for c in r):
        return None  # it has a change column already
    return replace(
        grid,
        header=[*grid.header, "변경구분"],
        rows=[[*r, op] for r in grid.rows],
        header_rows=[
            [*r, "변경구분" if i == len(grid.header_rows) - 1 else None]
            for i, r in enumerate(grid.header_rows)
        ],
    )


def _clean_header(h: str) -> str:
    return re.sub(r"\s+", "", h.replace("|", " "))


def _share(values: list[str | None], pred: re.Pattern[str]) -> float:
    filled = [v for v in values if v]
    return sum(bool(pred.search(v.strip().upper() if pred is _CODE_VALUE else v)) for v in filled) / max(
        1, len(filled)
    )


def detect(grid: RawGrid, min_rows: int = 3) -> tuple[int, int] | None:
    """(code column, name column) when the grid is a code master, else None. ``min_rows``: the fewest codes
    a master holds (a change sheet may list one deletion)."""
    header = [_clean_header(h) for h in grid.header]
    if any(h in MEASURE_SYNONYMS or DIMENSION_SYNONYMS.get(h) == "진료년도" for h in header):
        return None  # a statistics table: it counts something, per period
    parts = [p for h in grid.header for p in h.split("|")]
    if any(is_period_token(p) for p in parts) or any(
        is_period_token(c) for row in grid.header_rows for c in row if c
    ):
        return None  # periods over the columns: a statistics table whatever its measure is called
    sample = grid.rows[:2000]
    cols = list(zip(*sample, strict=False)) if sample else []
    if not cols:
        return None
    codes: list[tuple[int, int]] = []  # (distinct values, column)
    best_name: tuple[float, int] | None = None
    for i, h in enumerate(header):
        if i >= len(cols):
            break
        values = list(cols[i])
        filled = [v for v in values if v]
        if len(filled) < max(min_rows, len(values) // 10):
            continue
        if _CODE_HEADER.search(h) and _share(values, _CODE_VALUE) >= 0.8:
            distinct = len(set(filled))  # a code column names many things; a flag column (0/1) does not
            if distinct >= max(min_rows, 0.2 * len(filled)):
                codes.append((distinct, i))
        if _NAME_HEADER.search(h) and not _CODE_HEADER.search(h):
            # a product's own name is mostly Korean, filled and distinct; a maker's name repeats
            score = _share(values, _NAMEY) * len(filled) / len(values)
            score *= (0.5 if _MAKER_HEADER.search(h) else 1.0) * (0.5 + 0.5 * len(set(filled)) / len(filled))
            if score > 0.3 and (best_name is None or score > best_name[0]):
                best_name = (score, i)
    if not codes or best_name is None:
        return None
    ni = best_name[1]  # the most distinct codes; of equals, the one beside the name (제품코드 → 제품명)
    ci = max(codes, key=lambda c: (c[0], -abs(c[1] - ni)))[1]
    return ci, ni


def _kind(codes: list[str], title: str) -> str:
    """What a master names: its title says so first (a 행위 change sheet's codes B0231 look like KCD codes),
    then the shape of its codes."""
    if re.search(r"KCD|상병|질병", title, re.I):
        return "disease"
    if re.search(r"ATC", title, re.I):
        return "atc"
    if re.search(r"약가|약제|의약품|약품|제품|성분", title):
        return "drug"
    if re.search(r"수가|행위", title):
        return "procedure"
    if sum(bool(re.fullmatch(r"[A-Z]\d{2}.*", c)) for c in codes) > 0.8 * len(codes):
        return "disease"
    return "code"


def _version(grid: RawGrid) -> str | None:
    for text in (grid.title or "", *grid.notes):
        if m := _VERSION.search(text):
            y = int(m.group(1))
            return f"{y + 2000 if y < 100 else y:04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    if m := _FILE_DATE.search(grid.path.name):
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    return None


def _latest_date(grid: RawGrid, header: list[str]) -> str | None:
    """A change file's date when its title does not give one: the latest of its 적용일자 cells."""
    col = next((i for i, h in enumerate(header) if _DATE_HEADER.search(h)), None)
    if col is None:
        return None
    dates = []
    for r in grid.rows:
        digits = re.sub(r"\D", "", r[col] or "") if col < len(r) else ""
        if len(digits) == 8 and digits[:2] in ("19", "20"):
            dates.append(f"{digits[:4]}-{digits[4:6]}-{digits[6:]}")
    return max(dates) if dates else None


def read_master(
    grid: RawGrid, cols: tuple[int, int], changes: dict[str, tuple[str, ...]] | None = None
) -> Master:
    """Every row with a code becomes a master row (blank attributes kept); rows without a code are
    continuation lines of the row above and are kept as its alternative names. A column of change words
    (신설 / 변경 / 삭제) makes the master a change file of the master with the same code column."""
    ci, ni = cols
    header = [_clean_header(h) or f"열{i + 1}" for i, h in enumerate(grid.header)]
    title = grid.title or (grid.sheet or grid.path.stem)
    chg = change_column(grid, cols, changes) if changes else None
    out = Master(
        title=" ".join(title.split()),
        kind="code",
        code_column=header[ci],
        name_column=header[ni],
        version=_version(grid),
        change_column=header[chg] if chg is not None else None,
    )
    if out.change_column and out.version is None:
        out.version = _latest_date(grid, header)
    seen: Counter[str] = Counter()
    last: str | None = None
    skipped = 0
    for n, cells in zip(grid.row_numbers, grid.rows, strict=True):
        raw = cells[ci] if ci < len(cells) else None
        code = raw.strip().upper() if raw and _CODE_VALUE.match(raw.strip().upper()) else None
        cell = cells[ni] if ni < len(cells) else None
        name = cell.strip() if cell else None
        attrs = {
            header[i]: (cells[i] if i < len(cells) else None) for i in range(len(header)) if i not in (ci, ni)
        }
        if code is None:  # a continuation line (inclusion term, note) of the code above
            if last is not None:
                out.rows.append(MasterRow(n, last, name, False, attrs))
            else:
                skipped += 1
            continue
        out.rows.append(MasterRow(n, code, name, seen[norm_code(code)] == 0, attrs))
        seen[norm_code(code)] += 1
        last = code
    out.kind = _kind([r.code for r in out.rows if r.primary][:2000], title)
    if skipped:
        out.notes.append(f"{skipped:,} row(s) above the first code (no code to attach them to) not stored")
    return out
