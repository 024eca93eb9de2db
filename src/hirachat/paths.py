"""The workspace layout: every path hira-chat writes resolves under one root.

workspace/
  data/hira/raw/          copies of the ingested downloads (by sha256 prefix)
  data/hira/processed/    facts.duckdb (the facts store), quarantine/, ingest reports
  data/hira/cleaned/      train/val/test.jsonl, stats, dataset quarantine
  data/samples/           synthetic HIRA-like tables for the quickstart
  models/  logs/  eval/
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

STORE_FILE = "facts.duckdb"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def raw(self) -> Path:
        return self.root / "data" / "hira" / "raw"

    @property
    def processed(self) -> Path:
        return self.root / "data" / "hira" / "processed"

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
    def store_dir(self) -> Path:
        return self.processed

    def resolve(self, p: Path) -> Path:
        """A relative path from the config is taken relative to the workspace root."""
        return p if p.is_absolute() else self.root / p

    def create(self) -> Workspace:
        for d in (self.raw, self.processed, self.cleaned, self.samples, self.models, self.logs, self.eval):
            d.mkdir(parents=True, exist_ok=True)
        return self


def store_path(store_dir: Path) -> Path:
    """The database file inside a store directory."""
    return store_dir / STORE_FILE
