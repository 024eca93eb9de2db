"""``hira-chat`` train, tune, model tiny / export / manifest, eval. Each command parses its arguments and calls one stage function."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from hirachat.cli.common import (
    ConfigOpt,
    Legacy,
    SetOpt,
    StoreOpt,
    app,
    model_app,
    reject_moved,
    reject_positional,
)
from hirachat.errors import HiraChatError
from hirachat.runtime import prepare


@app.command("train")
def train_cmd(legacy: Legacy = None, config: ConfigOpt = None, overrides: SetOpt = None) -> None:
    """LoRA/QLoRA fine-tuning of paths.base_model on the QA dataset (resumes after an interruption)."""
    from hirachat.train.recipe import train

    reject_positional(legacy)
    cfg, ws = prepare(config, overrides)
    run = train(cfg, ws)
    typer.echo(
        f"run: {run.root}\n  best:    {run.best}\n  final:   {run.final}\n  history: {run.history}\n  plot:    {run.plot}"
    )


@app.command("tune")
def tune_cmd(
    legacy: Legacy = None,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
    store: StoreOpt = None,
    trials: Annotated[int, typer.Option(min=1, help="Finished trials the study should hold.")] = 20,
    budget_hours: Annotated[
        float | None, typer.Option(help="Start no trial that would take the study past this many GPU-hours.")
    ] = None,
    space: Annotated[
        Path | None, typer.Option(help="Search space YAML (default: the packaged tune_space.yaml).")
    ] = None,
    objective: Annotated[
        str, typer.Option(help="val_loss (minimised) or numeric_accuracy (on validation questions).")
    ] = "val_loss",
    study: Annotated[
        str | None, typer.Option(help="Study name: workspace/tune/NAME (default: training.run_name).")
    ] = None,
    find_batch_size: Annotated[
        bool, typer.Option("--find-batch-size", help="Drop batch sizes that do not fit in GPU memory first.")
    ] = False,
) -> None:
    """Hyperparameter search (Optuna, pruning; rerun resumes): best_config.yaml, best adapter, report."""
    from hirachat.train.tune import TuneOptions, tune

    reject_positional(legacy)
    cfg, ws = prepare(config, overrides, store)  # the store: fact cards for --objective numeric_accuracy
    opts = TuneOptions(trials, budget_hours, space, objective, study, find_batch_size)
    res = tune(cfg, ws, opts, echo=typer.echo)
    typer.echo(f"study: {res.folder} ({res.finished} trials finished)")
    if res.best_config is not None:
        typer.echo(f"  best trial {res.best_number}: {objective} {res.best_value:.6g}")
        typer.echo(f"  best config:  {res.best_config}\n  best adapter: {res.best_adapter}")
    typer.echo("  report: " + ", ".join(str(p) for p in res.reports if p.suffix in (".md", ".html")))


@model_app.command("tiny")
def model_tiny(
    out: Annotated[Path, typer.Option(help="Folder for the tiny model and tokenizer.")],
    data: Annotated[
        Path | None, typer.Option(help="QA dataset folder whose texts train the tokenizer.")
    ] = None,
    vocab: Annotated[int, typer.Option(help="Tokenizer vocabulary size.")] = 4000,
    hidden: Annotated[int, typer.Option()] = 128,
    layers: Annotated[int, typer.Option()] = 4,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Build a scaled-down SOLAR-architecture model (random weights) with a tokenizer trained on the data."""
    from hirachat.model.tiny import build_tiny, dataset_texts

    _, ws = prepare(config, overrides)
    folder = data or ws.cleaned
    files = sorted(folder.glob("*.jsonl"))
    if not files:
        raise HiraChatError(
            f"{folder}: no QA jsonl files to train the tokenizer on; run `hira-chat data build` first"
        )
    typer.echo(
        f"tiny model written to {build_tiny(out, dataset_texts(files), vocab, hidden=hidden, layers=layers)}"
    )


@model_app.command("export")
def model_export(
    adapter: Annotated[Path, typer.Option(help="A LoRA adapter folder (best_model/ or final_model/).")],
    out: Annotated[Path, typer.Option(help="Folder for the merged standalone model.")],
    legacy: Legacy = None,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Merge a LoRA adapter into its base model (paths.base_model) and save a standalone model."""
    from hirachat.train.recipe import merge_adapter

    reject_positional(legacy)
    cfg, ws = prepare(config, overrides)
    typer.echo(f"merged model written to {merge_adapter(ws.resolve(cfg.paths.base_model), adapter, out)}")


@model_app.command("manifest")
def model_manifest(
    directory: Annotated[Path, typer.Argument(help="A model folder (config, tokenizer, weights).")],
    check: Annotated[
        bool, typer.Option("--verify", help="Check the folder against its manifest (sizes and sha256).")
    ] = False,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
) -> None:
    """Record a model folder's files (sizes, sha256) in hira-manifest.json, or check a copy against it."""
    from hirachat.model.manifest import MANIFEST, verify, write_manifest

    prepare(config, overrides)
    if check:
        result = verify(directory, full=True)
        typer.echo(result.message())
        if not result.ok:
            raise typer.Exit(1)
        return
    m = write_manifest(directory)
    typer.echo(f"wrote {directory / MANIFEST}: {len(m.files)} files, {m.total_bytes:,} bytes")


@app.command("eval")
def eval_cmd(
    legacy: Legacy = None,
    split: Annotated[str, typer.Option(help="Split to score (train, val, test).")] = "test",
    file: Annotated[Path | None, typer.Option("--file", help="A QA jsonl file instead of a split.")] = None,
    engine: Annotated[
        str, typer.Option(help="Comma-separated: grounded, model (unguarded), guarded.")
    ] = "grounded",
    adapter: Annotated[
        Path | None, typer.Option(help="LoRA adapter for model variants (a run's best_model/).")
    ] = None,
    batch: Annotated[int, typer.Option(help="Answers generated at once by model variants.")] = 8,
    temperature: Annotated[
        str, typer.Option(help="Comma-separated temperatures for model variants.")
    ] = "0.1",
    limit: Annotated[int | None, typer.Option(help="Score only the first N questions.")] = None,
    run: Annotated[str | None, typer.Option(help="Folder under workspace/eval (a rerun resumes it).")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
    overrides: SetOpt = None,
    model: Annotated[Path | None, typer.Option("--model", hidden=True)] = None,
) -> None:
    """Score engines/models on a split: numeric accuracy, hallucination, abstention, chrF, latency; report.

    Model variants load paths.base_model (--set paths.base_model=DIR) with --adapter."""
    from rich.progress import Progress

    from hirachat.eval.run import evaluate

    reject_positional(legacy)
    reject_moved("--model", model, "paths.base_model")
    cfg, ws = prepare(config, overrides, store)
    engines = [e.strip() for e in engine.split(",") if e.strip()]
    temps = [float(t) for t in temperature.split(",") if t.strip()]
    name = run or f"{split if file is None else file.stem}-{'-'.join(engines)}"
    out = ws.eval / name
    with Progress(transient=True) as bar:
        task = bar.add_task("evaluating", total=None)
        metrics = evaluate(
            cfg,
            ws.store_dir,
            file or ws.cleaned / f"{split}.jsonl",
            out,
            engines,
            temps,
            limit,
            ws.resolve(cfg.paths.base_model),
            adapter,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            batch=batch,
        )
    for vname, v in metrics["variants"].items():
        o = v["overall"]
        typer.echo(
            f"{vname:18s} accuracy {o.get('accuracy')}  numeric {o.get('numeric_accuracy')}  "
            f"hallucination {o.get('hallucination_rate')}  chrF {o.get('chrf')}  p95 {o.get('latency_p95_ms')} ms"
        )
    typer.echo(f"report: {out / 'report.html'} (also report.md, metrics.json, items.jsonl)")
