"""The quickstart: the main job end to end on a machine with no GPU and no SOLAR.

Sample data (synthetic HIRA-like tables, or the user's own files) → ingest → QA dataset → grounded
answers to a few questions. Each step says what it made and where. Later stages (tiny-model
training, evaluation, web app) join here as they land.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hirachat.answer.service import AskService
from hirachat.atomic import read_jsonl
from hirachat.config import Config
from hirachat.data.ingest import ingest, summary
from hirachat.data.synthetic import write_samples
from hirachat.dataset.build import build_dataset
from hirachat.errors import HiraChatError
from hirachat.paths import Workspace


def demo_questions(test_file: Path) -> list[str]:
    """One test question of each of a few types, plus one the data cannot answer."""
    picked: dict[str, str] = {}
    for r in read_jsonl(test_file):
        picked.setdefault(r["metadata"]["qtype"], r["instruction"])
    wanted = ("lookup", "ranking", "change", "unanswerable")
    return [picked[t] for t in wanted if t in picked] + ["2023년 MRI 검사 건수는?"]


def run_quickstart(
    cfg: Config, ws: Workspace, files: list[Path], echo: Callable[[str], None] = print
) -> Path:
    echo(f"[1/4] data: {'your files' if files else 'synthetic HIRA-like samples'}")
    if not files:
        files = write_samples(ws.samples)
        for p in files:
            echo(f"      wrote {p}")
    echo(f"[2/4] ingest → {ws.store_dir / 'facts.duckdb'}")
    reports = ingest(files, ws.store_dir, cfg.data, ws.raw)
    for r in reports:
        echo("      " + r.line().replace("\n", "\n      "))
    echo("      " + summary(reports))
    if all(r.status == "error" for r in reports):
        raise HiraChatError("no file could be ingested; see the errors above")
    echo(f"[3/4] QA dataset → {ws.cleaned}")
    result = build_dataset(ws.store_dir, ws.cleaned, cfg.data)
    echo("      " + result.describe().replace("\n", "\n      "))
    echo("[4/4] grounded answers (hira-chat ask), from the facts store with sources")
    with AskService(ws.store_dir, cfg.inference, "grounded") as svc:
        for q in demo_questions(ws.cleaned / "test.jsonl"):
            res = svc.ask(q)
            echo(f"      Q: {q}")
            echo("      A: " + res["answer"].replace("\n", "\n         ") + f"  [{res['latency_ms']} ms]")
    echo("")
    echo("done. next: look at the pairs (head -3 " + str(ws.cleaned / "train.jsonl") + ")")
    echo('      ask your own question: hira-chat ask "2019년 서울 내과 환자수는?"')
    echo(
        "      ingest your own HIRA downloads: hira-chat data ingest FILE.csv FILE.xlsx && hira-chat data build"
    )
    return ws.cleaned
