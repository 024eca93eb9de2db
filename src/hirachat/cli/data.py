"""``hira-chat`` data ingest / update / versions / rollback / tables / synth / build / augment. Each command parses its arguments and calls one stage function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hirachat.cli.common import (
    ConfigOpt,
    Legacy,
    SetOpt,
    StoreOpt,
    data_app,
    reject_positional,
)
from hirachat.config import Config
from hirachat.paths import Workspace
from hirachat.runtime import prepare


@data_app.command("ingest")
def data_ingest(
    files: Annotated[list[Path], typer.Argument(help="CSV/XLSX files or folders of them.")],
    store: StoreOpt = None,
    family: Annotated[
        str | None, typer.Option(help="Force the table family name (default: from title/file name).")
    ] = None,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Read HIRA downloads into the facts store (idempotent; bad rows quarantined).

    A store with versions gets a new version, as with ``data update``."""
    from hirachat.data.ingest import ingest, summary
    from hirachat.data.versions import is_versioned

    cfg, ws = prepare(config, overrides, store)
    if is_versioned(ws.store_dir):
        _update(files, cfg, ws, family, as_json, activate=True)
        return
    reports = ingest(files, ws.store_dir, cfg.data, ws.raw, family)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        for r in reports:
            typer.echo(r.line())
        typer.echo(summary(reports))
    if any(r.status == "error" for r in reports):
        raise typer.Exit(1)


def _update(
    files: list[Path], cfg: Config, ws: Workspace, family: str | None, as_json: bool, activate: bool
) -> None:
    from dataclasses import asdict

    from hirachat.data.versions import update

    result = update(files, ws.store_dir, cfg.data, ws.raw, family, activate_new=activate)
    if as_json:
        body = {
            "status": result.status,
            "version": result.version,
            "previous": result.previous,
            "activated": result.activated,
            "reports": [r.as_dict() for r in result.reports],
            "changes": [asdict(c) for c in result.changes],
        }
        typer.echo(json.dumps(body, ensure_ascii=False, indent=2))
    else:
        for r in result.reports:
            typer.echo(r.line())
        typer.echo(result.describe())
    if result.status == "failed":
        raise typer.Exit(1)


@data_app.command("update")
def data_update(
    files: Annotated[list[Path], typer.Argument(help="The release's CSV/XLSX files or folders of them.")],
    store: StoreOpt = None,
    family: Annotated[
        str | None, typer.Option(help="Force the table family name (default: from title/file name).")
    ] = None,
    activate: Annotated[
        bool, typer.Option("--activate/--no-activate", help="Answer from the new version at once.")
    ] = True,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Ingest a new release into a new version of the store; report what it added, changed and removed.

    The current version keeps serving until the new one is complete; a file that fails rejects the release.
    Running servers switch at their next question."""
    cfg, ws = prepare(config, overrides, store)
    _update(files, cfg, ws, family, as_json, activate)


@data_app.command("versions")
def data_versions(
    store: StoreOpt = None,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the versions as JSON.")] = False,
) -> None:
    """List the store's versions (newest first) with their files and record counts; * marks the current one."""
    from dataclasses import asdict

    from hirachat.data.versions import current, versions

    _, ws = prepare(config, overrides, store)
    found, now = versions(ws.store_dir), current(ws.store_dir)
    if as_json:
        typer.echo(json.dumps({"current": now, "versions": [asdict(v) for v in found]}, ensure_ascii=False))
        return
    if not found:
        typer.echo(f"{ws.store_dir}: no versions yet (the first `hira-chat data update` makes them)")
    for v in reversed(found):
        mark = "*" if v.name == now else " "
        names = [f["file"] for f in v.files]
        files = ", ".join(names[:4]) + (f" … (+{len(names) - 4})" if len(names) > 4 else "")
        typer.echo(
            f"{mark} {v.name}  {v.created}  from {v.parent or '-'}  {sum(v.tables.values()):,} records"
        )
        typer.echo(f"      files: {files or v.note or '-'}")
        for tid, n in sorted(v.tables.items()):
            typer.echo(f"      {tid}: {n:,}")


@data_app.command("rollback")
def data_rollback(
    version: Annotated[str, typer.Argument(help="The version to answer from (v0001, v1 or 1).")],
    store: StoreOpt = None,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Answer from an earlier (or any complete) version again; running servers switch at their next question."""
    from hirachat.data.versions import activate, current

    _, ws = prepare(config, overrides, store)
    before = current(ws.store_dir)
    typer.echo(f"answers now read {activate(ws.store_dir, version)} (was {before})")


@data_app.command("tables")
def data_tables(store: StoreOpt = None, config: ConfigOpt = None, overrides: SetOpt = None) -> None:
    """List the tables in the facts store with their dimensions, measures and periods."""
    from hirachat.data.store import FactStore
    from hirachat.data.versions import current

    _, ws = prepare(config, overrides, store)
    if (version := current(ws.store_dir)) is not None:
        typer.echo(f"store {ws.store_dir}, version {version}")
    with FactStore.open(ws.store_dir, read_only=True) as fs:
        for t in fs.tables():
            periods = sorted({p for s in fs.sources(t.table_id) for p in s.periods})
            typer.echo(f"{t.table_id}: {fs.count(t.table_id):,} records; periods {', '.join(periods)}")
            typer.echo(f"    dimensions: {', '.join(t.dims)}")
            measures = ", ".join(f"{m['name']}({m['unit'] or '-'})" for m in t.measures)
            typer.echo(f"    measures:   {measures}")
            for src in fs.layouts(t.table_id):  # what ingest inferred, per file (sheet)
                text = src["layout"].get("text")
                scope = ", ".join(f"{d} = {v}" for d, v in src["scope"].items())
                if text or scope:
                    where = src["file"] + (f" [{src['sheet']}]" if src["sheet"] else "")
                    typer.echo(f"    {where}: {text or ''}{'; whole file: ' + scope if scope else ''}")
        masters = fs.masters()
        if masters:
            typer.echo("code masters (code → name, used to link names in questions):")
        for m in masters:
            version = f", as of {m['version']}" if m["version"] else ""
            typer.echo(
                f"  {m['title']} [{m['file_name']}{' / ' + m['sheet'] if m['sheet'] else ''}]: {m['kind']}, "
                f"{m['rows_stored']:,} rows ({m['code_column']} → {m['name_column']}{version})"
            )


@data_app.command("synth")
def data_synth(
    out: Annotated[
        Path | None, typer.Option(help="Folder for the files (default workspace/data/samples).")
    ] = None,
    rows: Annotated[int, typer.Option(help="Approximate rows per CSV table.")] = 0,
    seed: Annotated[int, typer.Option()] = 0,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Write synthetic HIRA-like tables (every row marked synthetic) with real files' quirks."""
    from hirachat.data.synthetic import write_samples

    _, ws = prepare(config, overrides)
    for p in write_samples(out or ws.samples, seed=seed, rows=rows or None):
        typer.echo(f"wrote {p}")


@data_app.command("build")
def data_build(
    legacy: Legacy = None,
    store: StoreOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default: the workspace's cleaned/).")
    ] = None,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Generate Korean QA pairs from the store, clean them, and split train/val/test without leakage."""
    from hirachat.dataset.build import build_dataset

    reject_positional(legacy)
    cfg, ws = prepare(config, overrides, store)
    result = build_dataset(ws.store_dir, out or ws.cleaned, cfg.data)
    typer.echo(result.describe())


@data_app.command("augment")
def data_augment(
    split_file: Annotated[
        Path, typer.Argument(help="A split file, e.g. the workspace's data/hira/cleaned/train.jsonl")
    ],
    factor: Annotated[int, typer.Option(help="Extra phrasings per paraphrase group.")] = 2,
    seed: Annotated[int, typer.Option()] = 11,
    out: Annotated[Path | None, typer.Option(help="Output file (default: <name>.augmented.jsonl).")] = None,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Add phrasings to a split file; each new pair keeps its group, query, facts and provenance."""
    from hirachat.dataset.augment import augment_file

    prepare(config, overrides)

    target = out or split_file.with_suffix(".augmented.jsonl")
    added, total = augment_file(split_file, target, factor, seed)
    typer.echo(f"{target}: {total:,} pairs ({added:,} added)")
