"""What every entry point does first (the CLI, the notebooks): the config loaded with its overrides, the
workspace created, and the workspace's own vocabulary file applied (a bad file fails here, named)."""

from __future__ import annotations

from pathlib import Path

from hirachat.config import Config, load_config
from hirachat.paths import Workspace
from hirachat.vocab.load import USER_FILE, use_user_file


def prepare(
    config: Path | None, overrides: list[str] | None = None, store: Path | None = None
) -> tuple[Config, Workspace]:
    """``config`` (default config/config.yaml) with ``--set`` overrides; ``store`` sets ``paths.store``."""
    extra = [f"paths.store={store.resolve()}"] if store is not None else []
    cfg = load_config(config, [*(overrides or []), *extra])
    ws = Workspace.of(cfg.paths).create()
    use_user_file(ws.root / USER_FILE)
    return cfg, ws
