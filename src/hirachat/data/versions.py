"""Store versions: each data release is ingested into a new copy of the facts store and switched to at once.

    <store>/CURRENT              the version answers read (one line; replaced atomically)
    <store>/versions/v0001/      facts.duckdb, quarantine/, index/, version.json
    <store>/versions/v0002/      ...

``update`` copies the current version's database into ``versions/.building-*``, ingests the release there,
compares it with the current version (added, changed and removed keys per table) and only then renames the
folder to its version name, writes ``version.json`` (last: a folder without it is not a version) and points
``CURRENT`` at it. Until then the current version is untouched and goes on serving; a release with any file
that fails to ingest leaves no version behind (its reports are kept under ``versions/failed/``).
``rollback`` points ``CURRENT`` at an earlier version, whose files were never changed, so answers come back
byte for byte. A store made by ``data ingest`` before it had versions (``facts.duckdb`` at the top) becomes
``v0001`` at its first update. Servers notice a changed ``CURRENT`` on their next question
(``answer.versioned.VersionedAnswers``).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from hirachat.atomic import exclusive, write_text
from hirachat.config import DataConfig
from hirachat.data.ingest import IngestReport, ingest
from hirachat.data.store import FactStore, quote_ident
from hirachat.errors import StoreError
from hirachat.paths import CURRENT_FILE, STORE_FILE, VERSIONS_DIR, index_dir, quarantine_dir, store_path

VERSION_FILE = "version.json"
_EXAMPLES = 5  # keys shown per table and kind of change


def is_versioned(store_dir: Path) -> bool:
    return (store_dir / CURRENT_FILE).is_file()


def current(store_dir: Path) -> str | None:
    """The version answers read, or None for a store without versions."""
    path = store_dir / CURRENT_FILE
    return path.read_text(encoding="utf-8").strip() or None if path.is_file() else None


def active_dir(store_dir: Path) -> Path:
    """The folder holding the database answers read: the current version's, or the store itself."""
    name = current(store_dir)
    return store_dir / VERSIONS_DIR / name if name else store_dir


@dataclass
class TableChange:
    """What a release did to one table: keys added, with changed figures, removed; examples of each."""

    table_id: str
    rows_before: int
    rows_after: int
    added: int = 0
    changed: int = 0
    removed: int = 0
    examples: dict[str, list[str]] = field(default_factory=dict)

    def line(self) -> str:
        head = (
            f"  {self.table_id}: {self.rows_before:,} → {self.rows_after:,} records "
            f"(added {self.added:,}, changed {self.changed:,}, removed {self.removed:,})"
        )
        words = {"added": "added", "changed": "changed", "removed": "removed"}
        return "\n".join(
            [head, *(f"      {words[k]}: {'; '.join(v)}" for k, v in self.examples.items() if v)]
        )


@dataclass
class Version:
    name: str
    created: str
    parent: str | None
    files: list[dict[str, Any]]
    tables: dict[str, int]
    masters: dict[str, int]
    changes: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""

    @classmethod
    def read(cls, folder: Path) -> Version:
        return cls(**json.loads((folder / VERSION_FILE).read_text(encoding="utf-8")))


def versions(store_dir: Path) -> list[Version]:
    """Every complete version, oldest first."""
    root = store_dir / VERSIONS_DIR
    if not root.is_dir():
        return []
    return [Version.read(d) for d in sorted(root.iterdir()) if (d / VERSION_FILE).is_file()]


def resolve_name(store_dir: Path, name: str) -> str:
    """``v2``, ``2`` and ``v0002`` all name version v0002; an unknown one is an error listing the known."""
    known = [v.name for v in versions(store_dir)]
    digits = name.lower().lstrip("v")
    want = f"v{int(digits):04d}" if digits.isdigit() else name
    if want not in known:
        raise StoreError(
            f"{store_dir}: no version {name!r}; versions: {', '.join(known) or 'none (run `hira-chat data update`)'}"
        )
    return want


def activate(store_dir: Path, name: str) -> str:
    """Point CURRENT at a version (atomic rename); returns its full name."""
    want = resolve_name(store_dir, name)
    write_text(store_dir / CURRENT_FILE, want + "\n")
    return want


@dataclass
class UpdateResult:
    status: str  # created | unchanged | failed
    version: str | None
    previous: str | None
    reports: list[IngestReport]
    changes: list[TableChange]
    activated: bool = False
    kept: Path | None = None

    def describe(self) -> str:
        if self.status == "failed":
            bad = [Path(r.file).name for r in self.reports if r.status == "error"] or ["no file found"]
            return (
                f"release rejected ({', '.join(bad)}): no version made, {self.previous or 'the store'} still "
                f"serves; reports kept in {self.kept}"
            )
        if self.status == "unchanged":
            return f"nothing new: every file is already in {self.previous}; no version made"
        lines = [
            f"version {self.version} made from {self.previous or 'an empty store'}"
            + ("; answers now read it" if self.activated else " (not activated)"),
            *[c.line() for c in self.changes],
        ]
        return "\n".join(lines)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _adopt(store_dir: Path) -> None:
    """A store made before versions becomes v0001 (its files moved: an open reader keeps its handle)."""
    target = store_dir / VERSIONS_DIR / "v0001"
    target.mkdir(parents=True)
    for path in (store_dir / STORE_FILE, quarantine_dir(store_dir), index_dir(store_dir)):
        if path.exists():
            os.replace(path, target / path.name)
    _write_version(target, "v0001", None, [], note="the store as it was before versions")
    write_text(store_dir / CURRENT_FILE, "v0001\n")


def _write_version(
    folder: Path,
    name: str,
    parent: str | None,
    reports: list[IngestReport],
    changes: list[TableChange] | None = None,
    note: str = "",
) -> Version:
    with FactStore.open(folder, read_only=True) as fs:
        tables = {t.table_id: fs.count(t.table_id) for t in fs.tables()}
        masters = {f"{m['title']} [{m['file_name']}]": int(m["rows_stored"]) for m in fs.masters()}
        files = [
            {"file": s.file_name, "sheet": s.sheet, "table": s.table_id, "periods": s.periods}
            for s in fs.sources()
        ]
    if reports:  # what this release brought (the rest came from the parent)
        files = [
            {"file": Path(r.file).name, "sheet": r.sheet, "status": r.status, "table": r.table_id}
            | {"periods": r.periods}
            for r in reports
        ]
    v = Version(
        name=name,
        created=_now(),
        parent=parent,
        files=files,
        tables=tables,
        masters=masters,
        changes=[asdict(c) for c in changes or []],
        note=note,
    )
    write_text(folder / VERSION_FILE, json.dumps(asdict(v), ensure_ascii=False, indent=2))
    return v


def update(
    files: list[Path],
    store_dir: Path,
    cfg: DataConfig,
    raw_dir: Path,
    family: str | None = None,
    activate_new: bool = True,
) -> UpdateResult:
    """Ingest a release into a new version; the current one serves until the new one is complete."""
    with exclusive(store_dir / ".update.lock", StoreError(f"{store_dir}: another update is running")):
        if not is_versioned(store_dir) and store_path(store_dir).exists():
            _adopt(store_dir)
        previous = current(store_dir)
        base = active_dir(store_dir) if previous else None
        root = store_dir / VERSIONS_DIR
        building = root / f".building-{os.getpid()}"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        try:
            if base is not None:
                shutil.copy2(store_path(base), building / STORE_FILE)
            reports = ingest(files, building, cfg, raw_dir, family)
            if not reports or any(r.status == "error" for r in reports):
                kept = _keep_failed(root, building, reports)
                return UpdateResult("failed", None, previous, reports, [], kept=kept)
            if all(r.status == "unchanged" for r in reports):
                return UpdateResult("unchanged", None, previous, reports, [])
            changes = diff(store_path(base) if base else None, store_path(building))
            name = f"v{len(versions(store_dir)) + 1:04d}"
            while (root / name).exists():  # a folder left by a crash before its version.json
                name = f"v{int(name[1:]) + 1:04d}"
            os.replace(building, root / name)
            _write_version(root / name, name, previous, reports, changes)
        finally:
            shutil.rmtree(building, ignore_errors=True)
        if activate_new:
            activate(store_dir, name)
        return UpdateResult("created", name, previous, reports, changes, activated=activate_new)


def _keep_failed(root: Path, building: Path, reports: list[IngestReport]) -> Path:
    """The reports and quarantine files of a rejected release, for the operator; its database is dropped."""
    kept = root / "failed" / datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    kept.mkdir(parents=True, exist_ok=True)
    if quarantine_dir(building).is_dir():
        shutil.copytree(quarantine_dir(building), quarantine_dir(kept), dirs_exist_ok=True)
    body = json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2)
    write_text(kept / "reports.json", body)
    return kept


def diff(old: Path | None, new: Path) -> list[TableChange]:
    """Per table: keys (its dimension values) added, with any changed figure, and removed."""
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{new}' AS n (READ_ONLY)")
        if old is not None:
            con.execute(f"ATTACH '{old}' AS o (READ_ONLY)")
        new_tables = _catalog(con, "n")
        old_tables = _catalog(con, "o") if old is not None else {}
        out = []
        for tid in sorted(set(new_tables) | set(old_tables)):
            out.append(_table_change(con, tid, old_tables.get(tid), new_tables.get(tid)))
        return [c for c in out if c.added or c.changed or c.removed]
    finally:
        con.close()


def _catalog(con: duckdb.DuckDBPyConnection, db: str) -> dict[str, tuple[str, list[str], list[str]]]:
    rows = con.execute(f"SELECT table_id, physical, dims, measures FROM {db}.tables").fetchall()
    return {r[0]: (r[1], json.loads(r[2]), [m["name"] for m in json.loads(r[3])]) for r in rows}


def _count(con: duckdb.DuckDBPyConnection, rel: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {rel}").fetchone()
    return int(row[0]) if row else 0


def _table_change(
    con: duckdb.DuckDBPyConnection,
    tid: str,
    old: tuple[str, list[str], list[str]] | None,
    new: tuple[str, list[str], list[str]] | None,
) -> TableChange:
    o = f"o.{quote_ident(old[0])}" if old else None
    n = f"n.{quote_ident(new[0])}" if new else None
    change = TableChange(tid, _count(con, o) if o else 0, _count(con, n) if n else 0)
    if o is None or n is None or old is None or new is None:
        change.added, change.removed = change.rows_after, change.rows_before
        return change
    dims = [d for d in new[1] if d in old[1]]
    measures = [m for m in new[2] if m in old[2]]
    on = " AND ".join(f"a.{quote_ident(d)} IS NOT DISTINCT FROM b.{quote_ident(d)}" for d in dims)
    key = " || ' · ' || ".join(f"coalesce(CAST(a.{quote_ident(d)} AS VARCHAR), '')" for d in dims)
    key_b = key.replace("a.", "b.")
    differs = (
        " OR ".join(f"a.{quote_ident(m)} IS DISTINCT FROM b.{quote_ident(m)}" for m in measures) or "FALSE"
    )
    queries = {
        "added": f"SELECT {key} FROM {n} a WHERE NOT EXISTS (SELECT 1 FROM {o} b WHERE {on})",
        "removed": f"SELECT {key_b} FROM {o} b WHERE NOT EXISTS (SELECT 1 FROM {n} a WHERE {on})",
        "changed": f"SELECT {key} FROM {n} a JOIN {o} b ON {on} WHERE {differs}",
    }
    for kind, sql in queries.items():
        setattr(change, kind, _count(con, f"({sql})"))
        rows = con.execute(f"{sql} LIMIT {_EXAMPLES}").fetchall()
        change.examples[kind] = [str(r[0]) for r in rows]
    return change
