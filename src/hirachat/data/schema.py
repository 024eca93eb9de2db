"""Infer a table's schema from its grid and turn the grid into normalised rows.

Column order is never assumed: each column is classified by its name (known measure or dimension),
by pivoted headers whose names are dimension values (종별 names, years, 계), or, for names never seen,
by its values (numeric → measure, text → dimension). The result is a tidy frame: one row per
combination of dimension values, one column per measure, with provenance and quality flags.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from hirachat.data.layout import MONTH, QUARTER, YEAR, Column, Layout, infer, parse_period
from hirachat.data.normalize import (
    TOTAL,
    Header,
    map_unique,
    norm_category,
    norm_code,
    norm_sex,
    parse_numbers,
    parse_year,
    scale_unit,
    split_region,
)
from hirachat.data.readers import RawGrid
from hirachat.data.titles import NAME_PERIOD, TITLE_PERIOD, implied_measure, read_words
from hirachat.data.vocab import (
    MEASURE_BY_NAME,
)
from hirachat.errors import InputFileError

_PERSON_NAME = re.compile(r"(인원|환자|명수)")


@dataclass
class MeasureInfo:
    name: str
    unit: str | None
    additive: bool
    source_names: list[str]
    selective: bool = False
    integer: bool = True
    scale: int = 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "additive": self.additive,
            "source_names": self.source_names,
            "selective": self.selective,
            "integer": self.integer,
        }


@dataclass
class Quarantined:
    row: int
    field: str | None
    reason: str
    raw: list[str | None]


@dataclass
class Duplicate:
    """A key the file gives twice with different figures: which row was kept and what differs."""

    kept: int
    dropped: int
    key: str
    differ: list[tuple[str, Any, Any]]  # (measure, kept value, dropped value)

    def describe(self) -> str:
        """Korean, for the answer's notes."""
        diffs = ", ".join(f"{m} {_num(a)} / {_num(b)}" for m, a, b in self.differ[:3])
        return (
            f"※ 원자료에 같은 항목({self.key})이 {self.kept}행과 {self.dropped}행에 서로 다른 값으로 두 번 "
            f"있습니다({diffs}). 파일에서 먼저 나온 {self.kept}행의 값을 사용했습니다."
        )


def _num(x: Any) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "(빈 값)"
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,}"


@dataclass
class NormalizedTable:
    """One grid, normalised. ``frame`` holds dims, measures and provenance columns (_row, _total, _approx)."""

    title: str  # the table family's title (period removed)
    dims: list[str]
    measures: list[MeasureInfo]
    frame: pd.DataFrame
    quarantine: list[Quarantined]
    source_rows: int  # data rows read from the grid
    periods: list[str]
    columns: dict[str, str]  # raw header → canonical (or "(ignored)")
    notes: list[str] = field(default_factory=list)
    synthetic: bool = False
    blank_as_zero: bool = False
    duplicates: list[Duplicate] = field(default_factory=list)  # keys given twice with different figures
    layout: dict[str, Any] = field(default_factory=dict)  # the inferred header layout (Layout.as_dict)
    scope: dict[str, str] = field(default_factory=dict)  # constant dimensions read from the title / file name
    note_rows: int = 0  # footnote rows of the grid (not data)

    @property
    def stored_source_rows(self) -> int:
        return int(self.frame["_row"].nunique()) if len(self.frame) else 0

    @property
    def cells_suppressed(self) -> int:
        return flagged_cells(self.frame["_suppressed"])

    @property
    def facts(self) -> int:
        """Values stored plus cells stored as not published: one fact per (row, period, group, measure)."""
        values = int(self.frame[[m.name for m in self.measures]].notna().to_numpy().sum())
        return values + self.cells_suppressed


def flagged_cells(column: pd.Series) -> int:
    """Cells named in a flag column (_approx, _suppressed: the measures of the row so flagged, comma-joined)."""
    return int(column.dropna().map(lambda a: a.count(",") + 1).sum()) if len(column) else 0


def physical_name(table_id: str) -> str:
    return "t_" + hashlib.sha1(table_id.encode("utf-8")).hexdigest()[:12]


@dataclass
class _Col:
    index: int
    header: str
    kind: str  # dimension | measure | pivot | synthetic | ignored
    name: str = ""  # dimension or measure name
    assign: dict[str, str] = field(default_factory=dict)  # pivot assignments (period, dimension values)
    head: Header | None = None


def _classify(layout: Layout) -> list[_Col]:
    """The layout's columns in the normaliser's terms: row dimensions, measures, and value columns whose
    header assigns a period or dimension values (unpivoted, one group of measures per assignment)."""
    cols: list[_Col] = []
    for c in layout.columns:
        if c.role == "label":
            cols.append(_Col(c.index, c.header, "dimension", c.name, head=c.head))
        elif c.role == "value":
            assign = c.assign()
            kind = "pivot" if assign else "measure"
            cols.append(_Col(c.index, c.header, kind, c.name, assign, c.head))
        else:
            cols.append(_Col(c.index, c.header, c.role, c.name, head=c.head))
    return cols


def _periods(grid: RawGrid) -> tuple[int | None, int | None]:
    for text in (grid.title, grid.sheet, grid.path.stem):
        if not text:
            continue
        m = TITLE_PERIOD.search(text)
        if m:
            return int(m.group(1)), int(m.group(2)) if m.group(2) else None
    sheet_period = parse_period(grid.sheet)  # a workbook of one sheet per year: '2021', '2021년'
    if sheet_period is not None and sheet_period.month is None:
        return sheet_period.year, sheet_period.quarter
    m = NAME_PERIOD.search(grid.path.stem)
    if m:
        return int(m.group(1)), int(m.group(4)) if m.group(4) else None
    return None, None


def _unit_for(col: _Col, measure: str, units: list[str], order: list[str]) -> str | None:
    """A measure's unit: its own header's, else the title's unit of the same kind (천원 for an amount in 원),
    else the title's only unit, or the title's units read in the measures' order when they are as many."""
    known = MEASURE_BY_NAME.get(measure)
    header_unit = col.head.unit if col.head else None
    if header_unit:
        return header_unit
    if known is not None:
        same = [u for u in units if scale_unit(u)[0] == known.unit]
        if len(set(same)) == 1:
            return same[0]
        if known.unit == "원" and not units and any(k in col.assign for k in (YEAR, QUARTER, MONTH)):
            # an amount under period columns (a portal statistics export: OLAP amounts are in 천원 and
            # the file does not say so) with no unit in its header or title: unknown, never assumed 원.
            # A long open-data file (one row per year) states 원 in its catalogue, not in the file.
            return None
        return known.unit
    if len(units) == 1:
        return units[0]
    if units and len(units) == len(order) and measure in order:
        return units[order.index(measure)]
    return None


def _assigned(cols: list[_Col]) -> set[str]:
    return {d for c in cols for d in c.assign}


def _check_distinct(layout: Layout, where: str, grid: RawGrid) -> None:
    """Two value columns the header cannot tell apart (same period, values and measure) with no way to say
    which is which: refused, showing the header rows and what was ambiguous, never stored wrong."""

    def sample(i: int) -> list[str | None]:
        return [r[i] if i < len(r) else None for r in grid.rows[:50]]

    seen: dict[tuple[Any, ...], Column] = {}
    for c in layout.values:
        key = (tuple(sorted(c.assign().items())), c.name)
        if key in seen and c.name:
            other = seen[key]
            if sample(c.index) == sample(other.index):
                continue  # the same column twice: kept once by the normaliser
            shown = " / ".join(
                " | ".join(c or "" for c in row[: min(len(row), 12)])
                for row in (grid.header_rows or [list[str | None](grid.header)])
            )
            raise InputFileError(
                f"{where}: cannot infer the layout: columns {other.header!r} and {c.header!r} both mean "
                f"{c.name}{' ' + str(c.assign()) if c.assign() else ''} with different values. Header rows: "
                f"{shown}. Read as: {layout.describe()}"
            )
        seen[key] = c


def normalize_grid(grid: RawGrid, family: str | None = None) -> NormalizedTable:
    """Classify columns, normalise every cell, melt pivoted headers, and quarantine bad rows."""
    where = f"{grid.path.name}{'' if grid.sheet is None else f' [{grid.sheet}]'}"
    layout = infer(grid)
    cols = _classify(layout)
    _check_distinct(layout, where, grid)
    width = len(grid.header)
    words = read_words(grid, {c.name for c in cols if c.kind == "dimension"} | _assigned(cols), family)
    blank_as_zero = grid.portal_layout
    notes = list(grid.notes) + layout.notes
    notes += [f"row dimension {c.header} → {c.name}: {c.evidence}" for c in layout.labels if c.evidence]
    quarantine: list[Quarantined] = []

    # rows with the wrong number of fields cannot be trusted cell by cell
    keep_idx = []
    for k, row in enumerate(grid.rows):
        extra = [c for c in row[width:] if c is not None]
        if extra or (len(row) < width and not grid.portal_layout):
            quarantine.append(
                Quarantined(grid.row_numbers[k], None, f"{len(row)} fields, header has {width}", row)
            )
        else:
            keep_idx.append(k)
    rows = [list(grid.rows[k][:width]) + [None] * (width - len(grid.rows[k])) for k in keep_idx]
    rownums = np.array([grid.row_numbers[k] for k in keep_idx], dtype=np.int64)
    raw = (
        pd.DataFrame(rows, columns=list(range(width)), dtype=object)
        if rows
        else pd.DataFrame(columns=list(range(width)))
    )
    bad = np.zeros(len(raw), dtype=bool)
    reasons: dict[int, tuple[str, str]] = {}

    def flag(mask: np.ndarray, fieldname: str, why: str) -> None:
        for pos in np.flatnonzero(mask & ~bad):
            reasons[int(pos)] = (fieldname, why.format(v=raw.iat[int(pos), idx]))
        bad[mask] = True

    dims: dict[str, pd.Series] = {}
    columns_map: dict[str, str] = {}
    synthetic = False
    for c in cols:
        idx = c.index
        columns_map[c.header or f"열{idx + 1}"] = (
            c.name if c.kind in ("dimension", "measure") else f"({c.kind})"
        )
        if c.kind == "synthetic":
            synthetic = True
            continue
        if c.kind != "dimension":
            continue
        if c.name in dims:
            same = dims[c.name].equals(raw[idx].map(lambda v: v.strip() if v else v))
            if same:
                notes.append(f"column {c.header!r} repeats {c.name} with identical values: kept once")
                continue
            raise InputFileError(f"{where}: two columns mean {c.name} with different values: {c.header!r}")
        series = raw[idx]
        blank = series.isna().to_numpy(dtype=bool)
        if blank.any() and grid.portal_layout:
            series = series.ffill()  # portal exports print a group's label once, above its rows
            blank = series.isna().to_numpy(dtype=bool)
        flag(blank, c.header, f"blank {c.name}")
        if c.name == YEAR:
            years = map_unique(series, parse_year)
            flag(years.isna().to_numpy(dtype=bool) & ~blank, c.header, c.name + ": {v!r} is not a year")
            dims[c.name] = years
        elif c.name == "성별":
            dims[c.name] = map_unique(series, norm_sex)
        elif c.name.endswith("코드"):
            dims[c.name] = map_unique(series, norm_code)
        else:
            dims[c.name] = map_unique(series, norm_category)

    if "시도" in dims:
        dims["시도"], rest = (
            map_unique(dims["시도"], lambda v: split_region(v)[0]),
            map_unique(dims["시도"], lambda v: split_region(v)[1]),
        )
        if rest.notna().any():
            if "시군구" in dims:
                dims["시군구"] = rest.where(rest.notna(), dims["시군구"])
            else:
                dims["시군구"] = rest.fillna(TOTAL)
                notes.append("시군구 taken from region cells such as '경기도 수원시 장안구'")

    # the whole file's scope from its title or file name (외래, an age band, a region): a dimension
    for d, v in words.constants.items():
        if d not in dims:
            dims[d] = pd.Series([v] * len(raw), dtype=object)
            notes.append(f"{d} '{v}' taken from the title or file name ('{words.constant_words[d]}')")

    # constant period from the title or file name when no column holds it
    pivot_has_year = any(YEAR in c.assign for c in cols if c.kind == "pivot")
    periods: list[str] = []
    if YEAR not in dims and not pivot_has_year:
        year, quarter = _periods(grid)
        if year is not None:
            dims[YEAR] = pd.Series([year] * len(raw), dtype=object)
            notes.append(f"진료년도 {year} taken from the title or file name")
            if quarter is not None and QUARTER not in dims:
                dims[QUARTER] = pd.Series([str(quarter)] * len(raw), dtype=object)

    # measures, grouped by their pivot assignment (one group for an ordinary table)
    groups: dict[tuple[tuple[str, str], ...], list[tuple[_Col, str]]] = defaultdict(list)
    implied = ""  # the measure the title or file name names, for value columns whose header names none
    for c in cols:
        if c.kind == "measure":
            groups[()].append((c, c.name))
        elif c.kind == "pivot":
            if not c.name and not implied:
                implied = implied_measure(
                    grid, words.units[0] if len(words.units) == 1 else None, words.subject
                )
            groups[tuple(sorted(c.assign.items()))].append((c, c.name or implied))
    if not groups:
        raise InputFileError(f"{where}: no numeric measure columns found (header: {', '.join(grid.header)})")

    measures: dict[str, MeasureInfo] = {}
    parsed: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    order = list(dict.fromkeys(m for g in groups.values() for _, m in g))
    for group in groups.values():
        seen: dict[str, _Col] = {}
        for c, mname in group:
            if mname in seen:
                a, b = raw[seen[mname].index], raw[c.index]
                if a.equals(b):
                    notes.append(f"column {c.header!r} repeats {mname} with identical values: kept once")
                    continue
                raise InputFileError(
                    f"{where}: columns {seen[mname].header!r} and {c.header!r} both mean {mname} with different values"
                )
            seen[mname] = c
            unit = _unit_for(c, mname, words.units, order)
            base_unit, scale = scale_unit(unit)
            pc = parse_numbers(raw[c.index], blank_as_zero)
            idx = c.index
            flag(pc.invalid, c.header, f"{mname}: {{v!r}} is not a number")
            if pc.rounded:
                notes.append(
                    f"column {c.header!r}: {pc.rounded:,} value(s) of {pc.rounded_from:,.0f} or more are rounded "
                    "to 6 significant figures (Excel display saved as digits): stored as approximate"
                )
            parsed[c.index] = (pc.values * scale, pc.approx, pc.suppressed)
            known = MEASURE_BY_NAME.get(mname)
            info = measures.get(mname)
            if info is None:
                additive = known.additive if known else not _PERSON_NAME.search(mname)
                info = MeasureInfo(
                    mname, base_unit, additive, [], c.head.selective if c.head else False, True, scale
                )
                measures[mname] = info
            if c.header not in info.source_names:
                info.source_names.append(c.header)
            info.integer = info.integer and pc.integer and scale >= 1

    frames = []
    dim_frame = (
        pd.DataFrame({k: v.to_numpy() for k, v in dims.items()})
        if dims
        else pd.DataFrame(index=range(len(raw)))
    )
    for assign, group in groups.items():
        part = dim_frame.copy()
        for d, v in assign:
            part[d] = int(v) if d == YEAR else v
        approx_names = np.full(len(raw), "", dtype=object)
        hidden_names = np.full(len(raw), "", dtype=object)
        for c, mname in group:
            if c.index not in parsed:
                continue
            values, approx, hidden = parsed[c.index]
            part[mname] = values
            approx_names = np.where(approx, approx_names + mname + ",", approx_names)
            hidden_names = np.where(hidden, hidden_names + mname + ",", hidden_names)
        part["_approx"] = [a.rstrip(",") or None for a in approx_names]
        part["_suppressed"] = [a.rstrip(",") or None for a in hidden_names]
        part["_row"] = rownums
        part["_bad"] = bad
        frames.append(part)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    for pos, (fieldname, why) in sorted(reasons.items()):
        quarantine.append(Quarantined(int(rownums[pos]), fieldname, why, rows[pos]))
    frame = frame[~frame["_bad"].to_numpy(dtype=bool)].drop(columns="_bad")

    dim_names = [d for d in frame.columns if d in dims or any(d == a for g in groups for a, _ in g)]
    dim_names = list(dict.fromkeys(dim_names))
    dup = frame.duplicated(subset=dim_names, keep="first") if dim_names else np.zeros(len(frame), dtype=bool)
    duplicates: list[Duplicate] = []
    if np.any(dup):
        mnames = [m.name for m in measures.values()]
        firsts = frame[~dup].set_index(dim_names) if dim_names else None
        raw_by_row = {int(rownums[k]): rows[k] for k in range(len(rownums))}
        for _, r in frame[dup].iterrows():
            key = tuple(r[d] for d in dim_names)
            first = firsts.loc[[key]].iloc[0] if firsts is not None else None
            first_row = int(first["_row"]) if first is not None else -1
            differ = [
                (m, first[m], r[m])
                for m in mnames
                if first is not None and not (pd.isna(first[m]) and pd.isna(r[m])) and first[m] != r[m]
            ]
            label = ", ".join(map(str, key))
            if differ:
                shown = "; ".join(f"{m} {_num(a)} (row {first_row}) vs {_num(b)}" for m, a, b in differ[:4])
                why = (
                    f"duplicate key ({label}) of row {first_row} with different figures: {shown}; "
                    f"rule: the first row in the file (row {first_row}) is kept, this one quarantined"
                )
                duplicates.append(Duplicate(first_row, int(r["_row"]), label, differ))
            else:
                why = f"exact repeat of row {first_row} ({label}): kept once"
            quarantine.append(Quarantined(int(r["_row"]), None, why, raw_by_row.get(int(r["_row"]), [])))
        frame = frame[~np.asarray(dup)]
    if dim_names:
        frame["_total"] = np.logical_or.reduce([frame[d].astype(str).to_numpy() == TOTAL for d in dim_names])
    else:
        frame["_total"] = False
    if YEAR in frame.columns:
        frame[YEAR] = frame[YEAR].astype("int64")
        yrs = sorted({int(y) for y in frame[YEAR].unique()})
        quarters = sorted(set(frame[QUARTER])) if QUARTER in frame.columns else []
        periods = [f"{y}Q{q}" for y in yrs for q in quarters] if quarters else [str(y) for y in yrs]
        if MONTH in frame.columns:
            pairs = frame[[YEAR, MONTH]].drop_duplicates()
            periods = sorted(f"{int(y)}-{m}" for y, m in pairs.itertuples(index=False) if m != TOTAL)
    notes += check_totals(frame, dim_names, [m for m in measures.values() if m.additive])
    for c in cols:
        if c.kind == "ignored":
            notes.append(f"column {c.header!r} ignored (empty or total without a dimension)")
    title = family or words.family
    if suppressed := flagged_cells(frame["_suppressed"]):
        notes.append(
            f"{suppressed:,} cell(s) not published by the portal (-, *, x): stored as suppressed, never as 0"
        )
    quarantine.sort(key=lambda q: q.row)
    return NormalizedTable(
        title=title,
        dims=dim_names,
        measures=list(measures.values()),
        frame=frame.reset_index(drop=True),
        quarantine=quarantine,
        source_rows=len(grid.rows),
        periods=periods,
        columns=columns_map,
        notes=notes,
        synthetic=synthetic,
        blank_as_zero=blank_as_zero,
        duplicates=duplicates,
        layout=layout.as_dict(),
        scope=dict(words.constants),
        note_rows=grid.note_rows,
    )


def check_totals(frame: pd.DataFrame, dims: list[str], measures: list[MeasureInfo]) -> list[str]:
    """Compare each published 계 with the sum of its parts; both are kept, mismatches are reported."""
    notes = []
    for d in dims:
        others = [o for o in dims if o != d]
        if not others or not (frame[d] == TOTAL).any():
            continue
        totals = frame[(frame[d] == TOTAL).to_numpy()].set_index(others)
        parts = frame[(frame[d] != TOTAL).to_numpy()].groupby(others)
        for m in measures:
            if m.name not in frame.columns:
                continue
            summed = parts[m.name].sum()
            both = totals[m.name].to_frame("total").join(summed.rename("parts"), how="inner")
            bad = both[both["total"] != both["parts"]]
            if len(bad):
                key, row = next(iter(bad.iterrows()))
                where = " ".join(map(str, key if isinstance(key, tuple) else (key,)))
                notes.append(
                    f"{TOTAL} check on {d}/{m.name}: {len(bad)} of {len(both)} published totals differ from the sum "
                    f"of their parts (e.g. {where}: {TOTAL} {row['total']:,.0f} vs sum {row['parts']:,.0f}); both kept as published"
                )
    return notes
