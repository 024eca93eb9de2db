"""The workspace layout: every path hira-chat writes resolves under one root, defined here and nowhere else.

workspace/
  data/hira/raw/          copies of the ingested downloads (by sha256 prefix)
  data/hira/processed/    the facts store (``paths.store``): facts.duckdb, quarantine/, index/ — or, once a
                          release has been added with ``data update``: CURRENT and versions/vNNNN/ (each with
                          its own facts.duckdb, quarantine/, index/, version.json)
  data/hira/cleaned/      train/val/test.jsonl, stats, dataset quarantine
  data/samples/           synthetic HIRA-like tables for the quickstart
  models/<run>/           training runs (checkpoints/, best_model/, final_model/, history, plots)
  eval/<run>/             evaluation runs and reports
  tune/<study>/           hyperparameter studies
  ratings/                exported expert ratings (read by evaluation reports)
  web/                    the web app's database and shared rate-limit counter
  logs/
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hirachat.config import PathsConfig

STORE_FILE = "facts.duckdb"
CURRENT_FILE = "CURRENT"
VERSIONS_DIR = "versions"
DEFAULT_STORE = Path("data/hira/processed")


@dataclass(frozen=True)
class Workspace:
    root: Path
    store: Path = DEFAULT_STORE  # relative paths resolve under the root

    @classmethod
    def of(cls, paths: PathsConfig) -> Workspace:
        """The workspace a config's ``paths`` section names (``paths.workspace``, ``paths.store``)."""
        return cls(paths.workspace, paths.store)

    @property
    def raw(self) -> Path:
        return self.root / "data" / "hira" / "raw"

    @property
    def cleaned(self) -> Path:
        return self.root / "data" / "hira" / "cleaned"

    @property
    def samples(self) -> Path:
        return self.root / "data" / "samples"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def eval(self) -> Path:
        return self.root / "eval"

    @property
    def tune(self) -> Path:
        return self.root / "tune"

    @property
    def ratings(self) -> Path:
        return self.root / "ratings"

    @property
    def web(self) -> Path:
        return self.root / "web"

    @property
    def web_db(self) -> Path:
        return self.web / "hirachat.db"

    @property
    def rate_limit_db(self) -> Path:
        return self.web / "ratelimit.db"

    @property
    def store_dir(self) -> Path:
        return self.resolve(self.store)

    def resolve(self, p: Path) -> Path:
        """A relative path from the config is taken relative to the workspace root."""
        return p if p.is_absolute() else self.root / p

    def create(self) -> Workspace:
        for d in (self.raw, self.store_dir, self.cleaned, self.samples, self.models, self.logs, self.eval):
            d.mkdir(parents=True, exist_ok=True)
        return self


def active_store(store_dir: Path) -> Path:
    """The folder whose database answers read: the current version's, or the store itself (no versions)."""
    current = store_dir / CURRENT_FILE
    if current.is_file():
        name = current.read_text(encoding="utf-8").strip()
        if name:
            return store_dir / VERSIONS_DIR / name
    return store_dir


def store_path(store_dir: Path) -> Path:
    """The database file a store directory's readers open (its current version's, when it has versions)."""
    return active_store(store_dir) / STORE_FILE


def quarantine_dir(store_dir: Path) -> Path:
    return store_dir / "quarantine"


def index_dir(store_dir: Path) -> Path:
    """The search index built from a store (one per version: it is built from that version's rows)."""
    return store_dir / "index"
