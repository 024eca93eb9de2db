"""What every ``hira-chat`` command shares: the app and its groups, -c/--config, --set, --store, set-up."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from hirachat.errors import HiraChatError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="HIRA 통계 → 근거 있는 한국어 챗봇.")
data_app = typer.Typer(no_args_is_help=True, help="Ingest HIRA files and build the QA dataset.")
app.add_typer(data_app, name="data")

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config YAML (default config/config.yaml).")
]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Facts store directory (default: paths.store under the workspace)."),
]
SetOpt = Annotated[
    list[str] | None,
    typer.Option("--set", help="key=value config override, repeatable (e.g. --set data.split.seed=1)."),
]
# Spellings that were removed: still parsed, so that using one fails with the new spelling.
Legacy = Annotated[list[str] | None, typer.Argument(hidden=True)]


def reject_positional(legacy: list[str] | None) -> None:
    if legacy:
        new = " ".join(f"--set {x}" if "=" in x else x for x in legacy)
        raise HiraChatError(
            f"unexpected argument(s) {' '.join(legacy)!r}: config overrides are given as {new!r}"
        )


def reject_moved(flag: str, value: object, key: str) -> None:
    if value is not None:
        raise HiraChatError(f"{flag} was removed: use --set {key}={value}")


model_app = typer.Typer(
    no_args_is_help=True, help="Model directories: the tiny stand-in, adapter export, manifests."
)
app.add_typer(model_app, name="model")
monitor_app = typer.Typer(no_args_is_help=True, help="The question log behind the 모니터링 tab and /metrics.")
app.add_typer(monitor_app, name="monitor")
users_app = typer.Typer(no_args_is_help=True, help="Web app accounts (admins and evaluators).")
app.add_typer(users_app, name="users")
ratings_app = typer.Typer(no_args_is_help=True, help="Expert ratings collected by the web app.")
app.add_typer(ratings_app, name="ratings")


def main() -> None:
    try:
        app()
    except HiraChatError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
