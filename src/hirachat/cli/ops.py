"""``hira-chat`` quickstart, doctor, config. Each command parses its arguments and calls one stage function."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from hirachat.cli.common import (
    ConfigOpt,
    Legacy,
    SetOpt,
    app,
    reject_positional,
)
from hirachat.config import load_config
from hirachat.runtime import prepare


@app.command()
def quickstart(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Your HIRA files (default: synthetic samples).")
    ] = None,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
    no_train: Annotated[
        bool, typer.Option("--no-train", help="Skip the tiny-model fine-tuning step.")
    ] = False,
) -> None:
    """Run the main job end to end on this machine: samples → ingest → dataset → tiny model → answers."""
    from hirachat.quickstart import run_quickstart

    cfg, ws = prepare(config, overrides)
    run_quickstart(cfg, ws, files or [], echo=typer.echo, train_model=not no_train)


@app.command()
def doctor(
    config: ConfigOpt = None,
    overrides: SetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the checks as JSON.")] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Also hash the model's files (SOLAR: one to two minutes).")
    ] = False,
) -> None:
    """Check this machine for hira-chat: Python, packages, torch/CUDA, GPUs, offline variables, model,
    disk, workspace, fonts, store. Exit status 1 when something needed is missing."""
    from hirachat.ops.doctor import run_doctor

    # load_config, not _setup: _setup creates the workspace and reads its files, and the doctor must
    # report a workspace it cannot write instead of stopping on it
    report = run_doctor(load_config(config, overrides or []), full)
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=2) if as_json else report.table())
    if report.failed:
        raise typer.Exit(1)


@app.command("config")
def show_config(legacy: Legacy = None, config: ConfigOpt = None, overrides: SetOpt = None) -> None:
    """Validate the config and print it with overrides applied."""
    reject_positional(legacy)
    cfg = load_config(config, overrides or [])
    typer.echo(json.dumps(cfg.model_dump(mode="json"), ensure_ascii=False, indent=2))
