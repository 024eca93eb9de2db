"""The facts store: one DuckDB file holding every ingested table, its schema and its provenance.

Why DuckDB: sums, rankings and year-over-year changes are column scans that DuckDB runs in
milliseconds over millions of rows; a table arrives from pandas in one vectorised insert; writes are
ACID transactions in a single file with no server. (CP949 is decoded in Python first; no DuckDB
extension is used, so nothing is downloaded.)

Layout: ``tables`` (catalog: dims, measures with unit/additivity), ``sources`` (one row per ingested
file or sheet: sha256, encoding, counts, periods, which measures it had), and one physical table per
HIRA table family (``t_<hash>``) with the dimension and measure columns plus ``_source``, ``_row``
(row number in the file), ``_total`` (a 계 row or column), ``_approx`` (measures the file holds rounded:
scientific notation or a band of 6-significant-figure amounts). ``duplicates`` keeps, per source, the keys a
file gives twice with different figures (the first row is stored; the note says so in answers).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from hirachat.data.masters import Master
from hirachat.data.schema import YEAR, NormalizedTable, flagged_cells, physical_name
from hirachat.errors import StoreError
from hirachat.paths import store_path

_CATALOG = """
CREATE TABLE IF NOT EXISTS masters (
    master_id VARCHAR PRIMARY KEY, sha256 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, sheet VARCHAR,
    title VARCHAR NOT NULL, kind VARCHAR NOT NULL, version VARCHAR, code_column VARCHAR NOT NULL,
    name_column VARCHAR NOT NULL, rows_stored BIGINT NOT NULL, ingested_at TIMESTAMP NOT NULL);
ALTER TABLE masters ADD COLUMN IF NOT EXISTS change_column VARCHAR;
CREATE TABLE IF NOT EXISTS master_rows (
    master_id VARCHAR NOT NULL, code VARCHAR NOT NULL, code_norm VARCHAR NOT NULL, level VARCHAR NOT NULL,
    name VARCHAR, is_primary BOOLEAN NOT NULL, attrs VARCHAR NOT NULL, source_row BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS duplicates (
    source_id VARCHAR NOT NULL, kept_row BIGINT NOT NULL, dropped_row BIGINT NOT NULL, detail VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS tables (
    table_id VARCHAR PRIMARY KEY, physical VARCHAR NOT NULL, title VARCHAR NOT NULL,
    dims VARCHAR NOT NULL, measures VARCHAR NOT NULL, synthetic BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL);
CREATE TABLE IF NOT EXISTS sources (
    source_id VARCHAR PRIMARY KEY, sha256 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, sheet VARCHAR,
    encoding VARCHAR, table_id VARCHAR NOT NULL, title VARCHAR, periods VARCHAR NOT NULL,
    measures VARCHAR NOT NULL, columns VARCHAR NOT NULL, rows_read BIGINT NOT NULL,
    rows_stored BIGINT NOT NULL, facts_stored BIGINT NOT NULL, rows_quarantined BIGINT NOT NULL,
    cells_approx BIGINT NOT NULL, notes VARCHAR NOT NULL, synthetic BOOLEAN NOT NULL,
    raw_copy VARCHAR, ingested_at TIMESTAMP NOT NULL, superseded_by VARCHAR);
ALTER TABLE sources ADD COLUMN IF NOT EXISTS layout VARCHAR;
ALTER TABLE sources ADD COLUMN IF NOT EXISTS scope VARCHAR;
"""


@dataclass(frozen=True)
class TableInfo:
    """A catalog entry: what a table holds and how to read it."""

    table_id: str
    physical: str
    title: str
    dims: list[str]
    measures: list[dict[str, Any]]
    synthetic: bool

    def measure(self, name: str) -> dict[str, Any]:
        for m in self.measures:
            if m["name"] == name:
                return m
        raise KeyError(name)

    @property
    def measure_names(self) -> list[str]:
        return [m["name"] for m in self.measures]


@dataclass(frozen=True)
class SourceRecord:
    source_id: str
    sha256: str
    file_name: str
    sheet: str | None
    table_id: str
    periods: list[str]
    measures: list[str]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def quote_ident(name: str) -> str:
    """A DuckDB identifier, quoted (table and column names are Korean and may hold spaces)."""
    return '"' + name.replace('"', '""') + '"'


class FactStore:
    """Open with ``FactStore.open(dir)``; use as a context manager."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only

    @classmethod
    def open(cls, store_dir: Path, read_only: bool = False) -> FactStore:
        path = store_path(store_dir)
        if read_only and not path.exists():
            raise StoreError(
                f"{path}: no facts store here; run `hira-chat data ingest FILE... --store {store_dir}` first"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            raise StoreError(f"{path}: cannot open the facts store ({exc})") from exc
        if not read_only:
            con.execute(_CATALOG)
        return cls(con, path, read_only)

    def __enter__(self) -> FactStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    # ---- code masters ----------------------------------------------------------------------------
    def _has(self, table: str) -> bool:
        q = "SELECT count(*) FROM information_schema.tables WHERE table_name = ?"
        row = self.con.execute(q, [table]).fetchone()
        return bool(row and row[0])

    def add_master(self, m: Master, meta: dict[str, Any]) -> int:
        """Store a code master (one transaction); returns the rows stored. Same sha256 + sheet: no change."""
        from hirachat.data.masters import level, norm_code

        frame = pd.DataFrame(
            {
                "master_id": meta["source_id"],
                "code": [r.code for r in m.rows],
                "code_norm": [norm_code(r.code) for r in m.rows],
                "level": [level(r.code) for r in m.rows],
                "name": [r.name for r in m.rows],
                "is_primary": [r.primary for r in m.rows],
                "attrs": [json.dumps(r.attrs, ensure_ascii=False) for r in m.rows],
                "source_row": [r.row for r in m.rows],
            }
        )
        with self.transaction():
            self.con.execute("DELETE FROM master_rows WHERE master_id = ?", [meta["source_id"]])
            self.con.execute("DELETE FROM masters WHERE master_id = ?", [meta["source_id"]])
            self.con.register("_master_frame", frame)
            self.con.execute("INSERT INTO master_rows SELECT * FROM _master_frame")
            self.con.unregister("_master_frame")
            self.con.execute(
                "INSERT INTO masters (master_id, sha256, file_name, sheet, title, kind, version, code_column, "
                "name_column, rows_stored, ingested_at, change_column) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    meta["source_id"],
                    meta["sha256"],
                    meta["file_name"],
                    meta.get("sheet"),
                    m.title,
                    m.kind,
                    m.version,
                    m.code_column,
                    m.name_column,
                    len(frame),
                    _now(),
                    m.change_column,
                ],
            )
        return len(frame)

    def masters(self) -> list[dict[str, Any]]:
        if not self._has("masters"):
            return []
        cur = self.con.execute("SELECT * FROM masters ORDER BY master_id")
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]

    def master_rows(self) -> pd.DataFrame:
        """Every master's rows: master_id, code, code_norm, level, name, is_primary, attrs, source_row."""
        if not self._has("master_rows"):
            return pd.DataFrame(
                columns=[
                    "master_id",
                    "code",
                    "code_norm",
                    "level",
                    "name",
                    "is_primary",
                    "attrs",
                    "source_row",
                ]
            )
        return self.con.execute("SELECT * FROM master_rows").df()

    # ---- catalog -------------------------------------------------------------------------------
    def tables(self) -> list[TableInfo]:
        rows = self.con.execute(
            "SELECT table_id, physical, title, dims, measures, synthetic FROM tables ORDER BY table_id"
        ).fetchall()
        return [TableInfo(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]), r[5]) for r in rows]

    def table(self, table_id: str) -> TableInfo:
        for t in self.tables():
            if t.table_id == table_id:
                return t
        raise StoreError(f"no table {table_id!r} in {self.path}")

    def sources(self, table_id: str | None = None, active: bool = True) -> list[SourceRecord]:
        sql = "SELECT source_id, sha256, file_name, sheet, table_id, periods, measures FROM sources WHERE 1=1"
        args: list[Any] = []
        if table_id:
            sql += " AND table_id = ?"
            args.append(table_id)
        if active:
            sql += " AND superseded_by IS NULL"
        rows = self.con.execute(sql + " ORDER BY ingested_at, source_id", args).fetchall()
        return [SourceRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), json.loads(r[6])) for r in rows]

    def master_exists(self, master_id: str) -> bool:
        if not self._has("masters"):
            return False
        row = self.con.execute("SELECT count(*) FROM masters WHERE master_id = ?", [master_id]).fetchone()
        return bool(row and row[0])

    def source_exists(self, source_id: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM sources WHERE source_id = ? AND superseded_by IS NULL", [source_id]
        ).fetchone()
        return bool(row and row[0])

    def measure_periods(self, table_id: str) -> dict[str, list[str]]:
        """For each measure, the periods whose source files had that column (schema drift)."""
        out: dict[str, set[str]] = {}
        for s in self.sources(table_id):
            for m in s.measures:
                out.setdefault(m, set()).update(s.periods)
        return {m: sorted(p) for m, p in out.items()}

    def frame(self, table_id: str) -> pd.DataFrame:
        t = self.table(table_id)
        return self.con.execute(f"SELECT * FROM {quote_ident(t.physical)} ORDER BY _source, _row").df()

    def count(self, table_id: str) -> int:
        t = self.table(table_id)
        row = self.con.execute(f"SELECT count(*) FROM {quote_ident(t.physical)}").fetchone()
        return int(row[0]) if row else 0

    # ---- writes --------------------------------------------------------------------------------
    def _resolve_table(self, nt: NormalizedTable, family: str) -> TableInfo | None:
        """The catalog entry this table joins: same family title and same dimensions."""
        for t in self.tables():
            if t.title == family and set(t.dims) == set(nt.dims):
                return t
        return None

    def add(self, nt: NormalizedTable, meta: dict[str, Any]) -> tuple[str, list[str]]:
        """Store one normalised table in a transaction. Returns (table_id, superseded source ids)."""
        if self.read_only:
            raise StoreError(f"{self.path}: opened read-only")
        family = nt.title
        with self.transaction():
            existing = self._resolve_table(nt, family)
            if existing is None:
                taken = {t.table_id for t in self.tables()}
                table_id = family if family not in taken else f"{family}__{'_'.join(sorted(nt.dims))}"
                phys = physical_name(table_id)
                cols = [f"{quote_ident(d)} {'BIGINT' if d == YEAR else 'VARCHAR'}" for d in nt.dims]
                cols += [f"{quote_ident(m.name)} DOUBLE" for m in nt.measures]
                cols += [
                    "_source VARCHAR NOT NULL",
                    "_row BIGINT NOT NULL",
                    "_total BOOLEAN NOT NULL",
                    "_approx VARCHAR",
                    "_synthetic BOOLEAN NOT NULL",
                    "_suppressed VARCHAR",
                ]
                self.con.execute(f"CREATE TABLE {quote_ident(phys)} ({', '.join(cols)})")
                measures = [m.as_dict() for m in nt.measures]
                self.con.execute(
                    "INSERT INTO tables VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        table_id,
                        phys,
                        family,
                        json.dumps(nt.dims, ensure_ascii=False),
                        json.dumps(measures, ensure_ascii=False),
                        nt.synthetic,
                        _now(),
                        _now(),
                    ],
                )
            else:
                table_id, phys = existing.table_id, existing.physical
                self.con.execute(
                    f"ALTER TABLE {quote_ident(phys)} ADD COLUMN IF NOT EXISTS _suppressed VARCHAR"
                )
                measures = list(existing.measures)
                known = {m["name"] for m in measures}
                for m in nt.measures:  # schema drift: a measure that appears in a later year
                    if m.name not in known:
                        self.con.execute(
                            f"ALTER TABLE {quote_ident(phys)} ADD COLUMN {quote_ident(m.name)} DOUBLE"
                        )
                        measures.append(m.as_dict())
                    else:
                        old = next(x for x in measures if x["name"] == m.name)
                        old["integer"] = bool(old["integer"] and m.integer)
                        old["selective"] = bool(old["selective"] or m.selective)
                        old["source_names"] = list(dict.fromkeys([*old["source_names"], *m.source_names]))
                self.con.execute(
                    "UPDATE tables SET measures = ?, updated_at = ?, synthetic = synthetic AND ? WHERE table_id = ?",
                    [json.dumps(measures, ensure_ascii=False), _now(), nt.synthetic, table_id],
                )
            # a new release of the same table, scope and period replaces the old one; the sheets of one
            # workbook and files of other scopes (외래 / 입원) never replace each other
            scopes = self._scopes(table_id)
            superseded = [
                s.source_id
                for s in self.sources(table_id)
                if s.source_id != meta["source_id"]
                and s.sha256 != meta["sha256"]
                and scopes.get(s.source_id, {}) == nt.scope
                and set(s.periods) & set(nt.periods)
            ]
            for sid in superseded:
                self.con.execute(f"DELETE FROM {quote_ident(phys)} WHERE _source = ?", [sid])
                self.con.execute(
                    "UPDATE sources SET superseded_by = ? WHERE source_id = ?", [meta["source_id"], sid]
                )
            df = nt.frame.copy()
            df["_source"] = meta["source_id"]
            df["_synthetic"] = nt.synthetic
            for d in nt.dims:
                if d != YEAR:
                    df[d] = df[d].astype(str)
            self.con.register("_incoming", df)
            try:
                self.con.execute(f"INSERT INTO {quote_ident(phys)} BY NAME SELECT * FROM _incoming")
            finally:
                self.con.unregister("_incoming")
            approx = flagged_cells(df["_approx"])
            self.con.execute(
                "INSERT OR REPLACE INTO sources (source_id, sha256, file_name, sheet, encoding, table_id, title, "
                "periods, measures, columns, rows_read, rows_stored, facts_stored, rows_quarantined, cells_approx, "
                "notes, synthetic, raw_copy, ingested_at, superseded_by, layout, scope) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
                [
                    meta["source_id"],
                    meta["sha256"],
                    meta["file_name"],
                    meta.get("sheet"),
                    meta.get("encoding"),
                    table_id,
                    meta.get("title"),
                    json.dumps(nt.periods),
                    json.dumps([m.name for m in nt.measures], ensure_ascii=False),
                    json.dumps(nt.columns, ensure_ascii=False),
                    nt.source_rows,
                    nt.stored_source_rows,
                    len(df),
                    len({q.row for q in nt.quarantine}),
                    approx,
                    json.dumps(nt.notes, ensure_ascii=False),
                    nt.synthetic,
                    meta.get("raw_copy"),
                    _now(),
                    json.dumps(nt.layout, ensure_ascii=False),
                    json.dumps(nt.scope, ensure_ascii=False),
                ],
            )
            self.con.execute("DELETE FROM duplicates WHERE source_id = ?", [meta["source_id"]])
            for dup in nt.duplicates:
                self.con.execute(
                    "INSERT INTO duplicates VALUES (?, ?, ?, ?)",
                    [meta["source_id"], dup.kept, dup.dropped, dup.describe()],
                )
        return table_id, superseded

    def _scopes(self, table_id: str) -> dict[str, dict[str, str]]:
        rows = self.con.execute(
            "SELECT source_id, scope FROM sources WHERE table_id = ?", [table_id]
        ).fetchall()
        return {r[0]: json.loads(r[1]) if r[1] else {} for r in rows}

    def layouts(self, table_id: str) -> list[dict[str, Any]]:
        """The inferred layout of each active source of a table (file, sheet, layout, scope)."""
        rows = self.con.execute(
            "SELECT file_name, sheet, layout, scope FROM sources WHERE table_id = ? AND superseded_by IS NULL "
            "ORDER BY ingested_at, source_id",
            [table_id],
        ).fetchall()
        return [
            {
                "file": r[0],
                "sheet": r[1],
                "layout": json.loads(r[2]) if r[2] else {},
                "scope": json.loads(r[3]) if r[3] else {},
            }
            for r in rows
        ]

    def duplicates(self) -> dict[tuple[str, int], str]:
        """(source_id, kept row) → the note saying which rows gave that key twice and which was used."""
        if not self._has("duplicates"):
            return {}
        rows = self.con.execute("SELECT source_id, kept_row, detail FROM duplicates").fetchall()
        return {(r[0], int(r[1])): r[2] for r in rows}
