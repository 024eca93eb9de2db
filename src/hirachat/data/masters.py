"""Code masters: tables that name codes (KCD 상병, 수가/행위, 약가, ATC) rather than count anything.

A grid is a master when it has a code column (a header with 코드/code whose values look like codes) and a
name column (mostly Korean text), and no additive measure such as 환자수. It is stored as code → name and
attributes (every other column, blanks kept as blanks: a blank attribute is a value, not a bad row), with
the code normalised (dots and spaces out: J20.9 = J209) and its level (chapter or block ranges such as
A00-B99, 3-character A00, subcodes A00.0). A code repeated on later rows (inclusion terms) keeps its first
name as the official one and the others as alternative names. No period is invented: a master's "as of"
date (from its title or file name) is its version.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from hirachat.data.readers import RawGrid
from hirachat.data.vocab import DIMENSION_SYNONYMS, MEASURE_SYNONYMS

_CODE_HEADER = re.compile(r"코드|code", re.I)
_NAME_HEADER = re.compile(r"명칭|명$|이름|name|품목명|제품명|성분명|행위명|상병명|병명", re.I)
_CODE_VALUE = re.compile(r"^[A-Z0-9][A-Z0-9.\-/]{1,14}$")
_HANGUL = re.compile(r"[가-힣]")
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
    rows: list[MasterRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _clean_header(h: str) -> str:
    return re.sub(r"\s+", "", h.replace("|", " "))


def _share(values: list[str | None], pred: re.Pattern[str]) -> float:
    filled = [v for v in values if v]
    return sum(bool(pred.search(v.strip().upper() if pred is _CODE_VALUE else v)) for v in filled) / max(
        1, len(filled)
    )


def detect(grid: RawGrid) -> tuple[int, int] | None:
    """(code column, name column) when the grid is a code master, else None."""
    header = [_clean_header(h) for h in grid.header]
    if any(h in MEASURE_SYNONYMS or DIMENSION_SYNONYMS.get(h) == "진료년도" for h in header):
        return None  # a statistics table: it counts something, per period
    sample = grid.rows[:2000]
    cols = list(zip(*sample, strict=False)) if sample else []
    if not cols:
        return None
    best_code: tuple[float, int] | None = None
    best_name: tuple[float, int] | None = None
    for i, h in enumerate(header):
        if i >= len(cols):
            break
        values = list(cols[i])
        filled = [v for v in values if v]
        if len(filled) < max(3, len(values) // 10):
            continue
        if _CODE_HEADER.search(h) and _share(values, _CODE_VALUE) >= 0.8:
            distinct = len(set(filled))  # a code column names many things; a flag column (0/1) does not
            if distinct >= max(3, 0.2 * len(filled)) and (best_code is None or distinct > best_code[0]):
                best_code = (float(distinct), i)
        if _NAME_HEADER.search(h) and not _CODE_HEADER.search(h):
            score = _share(values, _HANGUL) * len(filled) / len(values)
            if score > 0.3 and (best_name is None or score > best_name[0]):
                best_name = (score, i)
    if best_code is None or best_name is None:
        return None
    return best_code[1], best_name[1]


def _kind(codes: list[str], title: str) -> str:
    if re.search(r"KCD|상병|질병", title, re.I) or sum(
        bool(re.fullmatch(r"[A-Z]\d{2}.*", c)) for c in codes
    ) > 0.8 * len(codes):
        return "disease"
    if re.search(r"ATC", title, re.I):
        return "atc"
    if re.search(r"약가|의약품|제품|성분", title):
        return "drug"
    if re.search(r"수가|행위", title):
        return "procedure"
    return "code"


def _version(grid: RawGrid) -> str | None:
    for text in (grid.title or "", *grid.notes):
        if m := _VERSION.search(text):
            y = int(m.group(1))
            return f"{y + 2000 if y < 100 else y:04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    if m := _FILE_DATE.search(grid.path.name):
        return f"{m.group(1)}-{m.group(2)}-{m.group(3)}"
    return None


def read_master(grid: RawGrid, cols: tuple[int, int]) -> Master:
    """Every row with a code becomes a master row (blank attributes kept); rows without a code are
    continuation lines of the row above and are kept as its alternative names."""
    ci, ni = cols
    header = [_clean_header(h) or f"열{i + 1}" for i, h in enumerate(grid.header)]
    title = grid.title or (grid.sheet or grid.path.stem)
    out = Master(
        title=" ".join(title.split()),
        kind="code",
        code_column=header[ci],
        name_column=header[ni],
        version=_version(grid),
    )
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
