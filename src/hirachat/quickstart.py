"""The quickstart: the main job end to end on a machine with no GPU and no SOLAR.

Sample data (synthetic HIRA-like tables, or the user's own files) → ingest → QA dataset → LoRA
fine-tuning of the tiny SOLAR-architecture model (the real recipe, on CPU) → grounded answers to a few
questions. Each step says what it made and where. Evaluation and the web app join as they land.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hirachat.answer.service import AskService
from hirachat.atomic import read_jsonl
from hirachat.config import Config, with_file
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


QUICK_PROFILE = Path(__file__).parent / "resources" / "quickstart.yaml"  # the tiny run's training settings


def train_tiny(cfg: Config, ws: Workspace, echo: Callable[[str], None]) -> Any:
    """Build the tiny SOLAR-architecture model on the dataset's texts and fine-tune it with the real recipe."""
    from hirachat.model.tiny import build_tiny, dataset_texts
    from hirachat.train.recipe import train

    tiny = (ws.models / "tiny-solar").resolve()
    if not (tiny / "config.json").exists():
        build_tiny(tiny, dataset_texts([ws.cleaned / "train.jsonl"]))
    echo(
        f"[4/6] LoRA fine-tuning of the tiny SOLAR-architecture model {tiny} on CPU (SOLAR itself: hira-chat train)"
    )
    quick = with_file(cfg, QUICK_PROFILE)
    run = train(quick.model_copy(update={"paths": quick.paths.model_copy(update={"base_model": tiny})}), ws)
    h = json.loads(run.history.read_text(encoding="utf-8"))
    first, last = h["steps"][0]["loss"], h["steps"][-1]["loss"]
    evals = " → ".join(f"{e['eval_loss']:.3f}" for e in h["evals"])
    echo(
        f"      train loss {first:.3f} → {last:.3f}; validation loss {evals}; token efficiency {h['token_efficiency']}"
    )
    return run


def evaluate_quick(cfg: Config, ws: Workspace, adapter: Path, echo: Callable[[str], None]) -> Path:
    """Score the grounded engine and the tiny fine-tuned model (unguarded and guarded) on part of the test split."""
    from hirachat.eval.run import evaluate

    out = ws.eval / "quickstart"
    echo(f"[6/6] evaluation on the test split (40 questions across all types) → {out}")
    quick = cfg.model_copy(update={"inference": cfg.inference.model_copy(update={"max_new_tokens": 96})})
    m = evaluate(
        quick,
        ws.store_dir,
        ws.cleaned / "test.jsonl",
        out,
        ["grounded", "model", "guarded"],
        [0.1],
        40,
        (ws.models / "tiny-solar").resolve(),
        adapter.resolve(),
    )
    for name, v in m["variants"].items():
        o = v["overall"]
        echo(
            f"      {name:14s} accuracy {o['accuracy']}  hallucination {o['hallucination_rate']}  "
            f"chrF {o['chrf']}  p95 {o['latency_p95_ms']} ms"
        )
    return out / "report.html"


def run_quickstart(
    cfg: Config,
    ws: Workspace,
    files: list[Path],
    echo: Callable[[str], None] = print,
    train_model: bool = True,
) -> Path:
    echo(f"[1/6] data: {'your files' if files else 'synthetic HIRA-like samples'}")
    if not files:
        files = write_samples(ws.samples)
        for p in files:
            echo(f"      wrote {p}")
    echo(f"[2/6] ingest → {ws.store_dir / 'facts.duckdb'}")
    reports = ingest(files, ws.store_dir, cfg.data, ws.raw)
    for r in reports:
        echo("      " + r.line().replace("\n", "\n      "))
    echo("      " + summary(reports))
    if all(r.status == "error" for r in reports):
        raise HiraChatError("no file could be ingested; see the errors above")
    echo(f"[3/6] QA dataset → {ws.cleaned}")
    result = build_dataset(ws.store_dir, ws.cleaned, cfg.data)
    echo("      " + result.describe().replace("\n", "\n      "))
    if train_model:
        run = train_tiny(cfg, ws, echo)
        echo(
            f"      run files: {run.root} (best_model/, final_model/, training_history.json, loss_curve.png)"
        )
    echo(f"[5/{6 if train_model else 5}] grounded answers (hira-chat ask), from the facts store with sources")
    with AskService(ws.store_dir, cfg.inference, "grounded") as svc:
        for q in demo_questions(ws.cleaned / "test.jsonl"):
            res = svc.ask(q)
            echo(f"      Q: {q}")
            echo("      A: " + res["answer"].replace("\n", "\n         ") + f"  [{res['latency_ms']} ms]")
    if train_model:
        report = evaluate_quick(
            cfg, ws, run.best if (run.best / "adapter_config.json").exists() else run.final, echo
        )
    echo("")
    if train_model:
        echo(f"evaluation report: {report} (open it in a browser)")
    echo("done. next: look at the pairs (head -3 " + str(ws.cleaned / "train.jsonl") + ")")
    echo('      ask your own question: hira-chat ask "2019년 서울 내과 환자수는?"')
    echo(
        "      ingest your own HIRA downloads: hira-chat data ingest FILE.csv FILE.xlsx && hira-chat data build"
    )
    echo(
        "      a new release later (a new version; servers switch without restart): hira-chat data update FILE.csv"
    )
    echo("      web app for experts: hira-chat users add admin --role admin && hira-chat serve")
    return ws.cleaned
