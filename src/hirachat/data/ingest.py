"""Ingest: read → normalise → store, with a quarantine file for bad rows and a summary per file.

Each file (each sheet of a workbook) is stored in one transaction. A file already ingested (same
sha256) is skipped, so re-runs change nothing. A new release of a table for a period it already
holds replaces the old one. Nothing is dropped silently: every data row read is either stored or
written, with its row number and reason, to ``processed/quarantine/``.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hirachat.atomic import write_jsonl
from hirachat.config import DataConfig
from hirachat.data.masters import change_sheet, detect, read_master
from hirachat.data.readers import bounded, read_any
from hirachat.data.schema import NormalizedTable, flagged_cells, normalize_grid
from hirachat.data.store import FactStore
from hirachat.errors import HiraChatError
from hirachat.paths import quarantine_dir
from hirachat.vocab import current


@dataclass
class IngestReport:
    file: str
    sheet: str | None = None
    status: str = "stored"  # stored | master | unchanged | error
    encoding: str | None = None
    table_id: str | None = None
    rows_read: int = 0
    rows_stored: int = 0
    facts_stored: int = 0
    rows_quarantined: int = 0
    cells_approx: int = 0
    blank_rows: int = 0
    periods: list[str] = field(default_factory=list)
    measures: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    quarantine_file: str | None = None
    error: str | None = None
    rows_noted: int = 0  # footnote rows (※ …) read below or inside the data: notes, not facts
    cells_suppressed: int = 0  # cells the portal does not publish (-, *, x): stored as suppressed
    layout: str | None = None  # the inferred header layout, in words
    scope: dict[str, str] = field(default_factory=dict)  # constant dimensions from the title / file name

    def line(self) -> str:
        where = self.file + (f" [{self.sheet}]" if self.sheet else "")
        if self.status == "error":
            return f"ERROR {self.error}"  # the error names the file (and sheet) itself
        if self.status == "unchanged":
            return f"unchanged {where}: already in the store (same sha256)"
        if self.status == "master":
            text = (
                f"stored {where} → {self.table_id}{' ' + self.periods[0] if self.periods else ''}: "
                f"rows read {self.rows_read:,}, stored {self.rows_stored:,}"
            )
            return "".join([text, *(f"\n    note: {n}" for n in self.notes)])
        fmt = self.encoding or ("xls" if self.file.lower().endswith(".xls") else "xlsx")
        text = (
            f"stored {where} → {self.table_id} ({fmt}; {_span(self.periods)}): "
            f"rows read {self.rows_read:,}, stored {self.rows_stored:,} ({self.facts_stored:,} records), "
            f"quarantined {self.rows_quarantined:,}, approximate cells {self.cells_approx:,}"
        )
        if self.layout:
            text += f"\n    layout: {self.layout}"
        if self.scope:
            text += "\n    whole file: " + ", ".join(f"{d} = {v}" for d, v in self.scope.items())
        text += (
            f"\n    rows: {self.rows_read + self.rows_noted:,} below the header = {self.rows_stored:,} stored + "
            f"{self.rows_quarantined:,} quarantined + {self.rows_noted:,} notes"
        )
        if self.cells_suppressed:
            text += f"; {self.cells_suppressed:,} cells not published (suppressed)"
        if self.blank_rows:
            text += f"\n    blank rows skipped: {self.blank_rows:,}"
        if self.quarantine_file:
            text += f"\n    quarantine: {self.quarantine_file}"
        if self.superseded:
            text += f"\n    replaces earlier release(s): {', '.join(self.superseded)}"
        for n in self.notes:
            text += f"\n    note: {n}"
        return text

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _span(periods: list[str]) -> str:
    if not periods:
        return "no period"
    if len(periods) > 6:
        return f"{len(periods)} periods, {periods[0]} … {periods[-1]}"
    return ", ".join(periods)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _write_quarantine(nt: NormalizedTable, path: Path, sha: str, sheet: str | None, qdir: Path) -> str | None:
    if not nt.quarantine:
        return None
    out = qdir / f"{sha[:12]}_{path.stem}{'_' + sheet if sheet else ''}.jsonl"
    write_jsonl(
        out,
        (
            {
                "file": path.name,
                "sha256": sha,
                "sheet": sheet,
                "row": q.row,
                "field": q.field,
                "reason": q.reason,
                "raw": q.raw,
            }
            for q in nt.quarantine
        ),
    )
    return str(out)


def ingest_file(
    path: Path,
    store: FactStore,
    cfg: DataConfig,
    raw_dir: Path,
    quarantine_dir: Path,
    family: str | None = None,
) -> list[IngestReport]:
    """Ingest one file; one report per sheet. Errors become reports, never exceptions."""
    try:
        grids = read_any(path, cfg.encodings)
    except HiraChatError as exc:
        return [IngestReport(file=str(path), status="error", error=str(exc))]
    sha = sha256_file(path)
    reports = []
    raw_copy = raw_dir / f"{sha[:12]}_{path.name}"
    for i, grid in enumerate(grids):
        sheet = grid.sheet
        source_id = sha[:16] + (f"#{i}" if sheet is not None and len(grids) > 1 else "")
        rep = IngestReport(file=str(path), sheet=sheet, encoding=grid.encoding, blank_rows=grid.blank_rows)
        rep.notes += [f"sheet skipped (no table): {s}" for s in grid.skipped]
        if store.source_exists(source_id) or store.master_exists(source_id):
            rep.status = "unchanged"
            reports.append(rep)
            continue
        changed = change_sheet(grid, current().master_changes)
        if changed is not None and (cols := detect(changed, min_rows=1)) is not None:
            grid = changed  # a 신설 / 변경 / 삭제 sheet: a change file of its master
        else:
            cols = detect(grid)
        if cols is not None:  # a code master: code → names, not statistics
            m = read_master(grid, cols, current().master_changes)
            meta = {"source_id": source_id, "sha256": sha, "file_name": path.name, "sheet": sheet}
            what = f"change file ({m.change_column})" if m.change_column else "master"
            rep.status, rep.table_id = "master", f"{m.kind} {what} ({m.code_column} → {m.name_column})"
            rep.rows_read = len(grid.rows)
            rep.rows_stored = store.add_master(m, meta)
            rep.periods = [f"as of {m.version}"] if m.version else []
            rep.notes += m.notes
            reports.append(rep)
            continue
        try:
            nt = normalize_grid(grid, family)
            if not raw_copy.exists():
                raw_dir.mkdir(parents=True, exist_ok=True)
                shutil.copy2(path, raw_copy)
            meta = {
                "source_id": source_id,
                "sha256": sha,
                "file_name": path.name,
                "sheet": sheet,
                "encoding": grid.encoding,
                "title": grid.title,
                "raw_copy": str(raw_copy),
            }
            table_id, superseded = store.add(nt, meta)
        except HiraChatError as exc:
            rep.status, rep.error = "error", bounded(str(exc))
            reports.append(rep)
            continue
        rep.table_id = table_id
        rep.rows_read = nt.source_rows
        rep.rows_stored = nt.stored_source_rows
        rep.facts_stored = len(nt.frame)
        rep.rows_quarantined = len({q.row for q in nt.quarantine})
        rep.cells_approx = flagged_cells(nt.frame["_approx"])
        rep.periods = nt.periods
        rep.measures = [m.name for m in nt.measures]
        rep.rows_noted = nt.note_rows
        rep.cells_suppressed = nt.cells_suppressed
        implied = [m.name for m in nt.measures if m.name not in nt.layout.get("measures", [])]
        said = f" × {{{', '.join(implied)}}} (named by the title or file name)" if implied else ""
        rep.layout = f"{nt.layout.get('text', '')}{said}; {nt.facts:,} facts" if nt.layout else None
        rep.scope = dict(nt.scope)
        rep.notes = nt.notes + [
            f"key given twice with different figures, row {d.kept} kept (first in the file), row {d.dropped} "
            f"quarantined: {bounded(d.key, 80)}"
            for d in nt.duplicates[:5]
        ]
        if len(nt.duplicates) > 5:
            rep.notes.append(f"… {len(nt.duplicates) - 5:,} more keys given twice (see the quarantine file)")
        rep.superseded = superseded
        rep.quarantine_file = _write_quarantine(nt, path, sha, sheet, quarantine_dir)
        reports.append(rep)
    return _sheets_without_tables(reports)


_NO_TABLE = ("no numeric measure columns", "no header row found")


def _sheets_without_tables(reports: list[IngestReport]) -> list[IngestReport]:
    """A workbook whose other sheets ingest: a sheet holding no table (a guide, notes) is a note, not an error."""
    done = [r for r in reports if r.status in ("stored", "master", "unchanged")]
    if not done:
        return reports
    out = []
    for r in reports:
        if r.status == "error" and r.sheet is not None and any(k in (r.error or "") for k in _NO_TABLE):
            done[0].notes.append(
                f"sheet skipped (no table): [{r.sheet}] {bounded((r.error or '').split(': ', 1)[-1], 160)}"
            )
            continue
        out.append(r)
    return out


def ingest(
    paths: list[Path], store_dir: Path, cfg: DataConfig, raw_dir: Path, family: str | None = None
) -> list[IngestReport]:
    """Ingest files (directories are searched for .csv/.xlsx) into the store at ``store_dir``."""
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(
                f
                for f in p.rglob("*")
                if f.suffix.lower() in (".csv", ".xlsx", ".xlsm", ".xls", ".txt", ".tsv")
            )
        else:
            files.append(p)
    reports: list[IngestReport] = []
    with FactStore.open(store_dir) as store:
        for f in files:
            reports += ingest_file(f, store, cfg, raw_dir, quarantine_dir(store_dir), family)
    return reports


def summary(reports: list[IngestReport]) -> str:
    ok = [r for r in reports if r.status == "stored"]
    masters = sum(r.status == "master" for r in reports)
    return (
        f"{len(reports)} table(s): {len(ok)} stored, {masters} code master(s), "
        f"{sum(r.status == 'unchanged' for r in reports)} unchanged, "
        f"{sum(r.status == 'error' for r in reports)} failed; rows read {sum(r.rows_read for r in ok):,}, "
        f"stored {sum(r.rows_stored for r in ok):,}, quarantined {sum(r.rows_quarantined for r in ok):,}, "
        f"approximate cells {sum(r.cells_approx for r in ok):,}"
    )
