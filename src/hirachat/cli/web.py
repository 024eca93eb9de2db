"""``hira-chat`` serve, users, ratings export, monitor purge. Each command parses its arguments and calls one stage function."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hirachat.cli.common import (
    ConfigOpt,
    SetOpt,
    StoreOpt,
    app,
    monitor_app,
    ratings_app,
    reject_moved,
    users_app,
)
from hirachat.config import Config
from hirachat.paths import Workspace
from hirachat.runtime import prepare


@monitor_app.command("purge")
def monitor_purge(config: ConfigOpt = None, overrides: SetOpt = None) -> None:
    """Delete question-log rows older than serve.log_retention_days (servers also do this daily)."""
    from hirachat.web.monitor import purge_configured

    cfg, _ = prepare(config, overrides)
    typer.echo(
        f"deleted {purge_configured(cfg):,} question-log row(s) older than {cfg.serve.log_retention_days} days"
    )


@app.command()
def serve(
    config: ConfigOpt = None,
    overrides: SetOpt = None,
    store: StoreOpt = None,
    host: Annotated[str | None, typer.Option(hidden=True)] = None,
    port: Annotated[int | None, typer.Option(hidden=True)] = None,
    workers: Annotated[int | None, typer.Option(hidden=True)] = None,
) -> None:
    """Web app (chat, expert evaluation, blind A/B) and the OpenAI-compatible API, with uvicorn.

    Address and processes: --set serve.host=0.0.0.0 --set serve.port=8000 --set serve.workers=4."""
    import uvicorn

    from hirachat.web.app import CONFIG_ENV, create_app

    for flag, value in (("--host", host), ("--port", port), ("--workers", workers)):
        reject_moved(flag, value, f"serve.{flag[2:]}")
    cfg, _ = prepare(config, overrides, store)
    n = cfg.serve.workers
    # keep-alive longer than clients' pools keep idle connections: no request is sent on a socket the
    # server is closing (the cause of httpx.ReadError under load)
    opts: dict[str, Any] = {
        "host": cfg.serve.host,
        "port": cfg.serve.port,
        "log_level": "info",
        "timeout_keep_alive": 75,
        "backlog": 4096,
    }
    if n == 1:
        uvicorn.run(create_app(cfg), **opts)
        return
    _db(cfg).close()  # migrations once, before the workers start
    os.environ[CONFIG_ENV] = cfg.model_dump_json()
    # a worker loads the store and the Korean analyser before it serves (seconds, more on a busy machine):
    # uvicorn's 5 s health check would kill and respawn it for ever
    uvicorn.run(
        "hirachat.web.app:worker_app", factory=True, workers=n, timeout_worker_healthcheck=120, **opts
    )


def _db(cfg: Config) -> Any:
    from hirachat.web.db import default_url, make_engine, migrate, sessions

    engine = make_engine(cfg.serve.database_url or default_url(Workspace.of(cfg.paths).root))
    migrate(engine)
    return sessions(engine)()


@users_app.command("add")
def users_add(
    username: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin or evaluator.")] = "evaluator",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Create an account (the first admin is created this way)."""
    from hirachat.web.accounts import create_user

    cfg, _ = prepare(config, overrides)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with _db(cfg) as db:
        user = create_user(db, username, password, role)
    typer.echo(f"created {user.role} {user.username}")


@users_app.command("token")
def users_token(
    username: Annotated[str, typer.Argument(help="Login name.")],
    name: Annotated[str, typer.Option(help="A label for the token.")] = "api",
    config: ConfigOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Print a new API token for the user (for the OpenAI-compatible API; shown once)."""
    from hirachat.web.accounts import api_token

    cfg, _ = prepare(config, overrides)
    with _db(cfg) as db:
        typer.echo(api_token(db, username, name, cfg.serve.api_token_days))


@ratings_app.command("export")
def ratings_export(
    out: Annotated[Path | None, typer.Option(help="Folder (default: the workspace's ratings/).")] = None,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Write every rating to ratings.jsonl, where ``hira-chat eval`` reports read human ratings."""
    from hirachat.web.export import export_ratings

    cfg, ws = prepare(config, overrides)
    with _db(cfg) as db:
        path = export_ratings(db, out or ws.ratings)
    typer.echo(f"wrote {path}")
