"""The ``hira-chat`` command: each subcommand parses its arguments and calls one stage function."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer

from hirachat.config import Config, load_config
from hirachat.errors import HiraChatError
from hirachat.paths import Workspace
from hirachat.vocab.load import USER_FILE, use_user_file

app = typer.Typer(add_completion=False, no_args_is_help=True, help="HIRA 통계 → 근거 있는 한국어 챗봇.")
data_app = typer.Typer(no_args_is_help=True, help="Ingest HIRA files and build the QA dataset.")
app.add_typer(data_app, name="data")

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="Config YAML (default config/config.yaml).")
]
StoreOpt = Annotated[
    Path | None,
    typer.Option("--store", help="Facts store directory (default workspace/data/hira/processed)."),
]
Overrides = Annotated[
    list[str] | None, typer.Argument(help="key=value config overrides, e.g. data.split.seed=1")
]


def _setup(config: Path | None, overrides: list[str] | None) -> tuple[Config, Workspace]:
    cfg = load_config(config, overrides or [])
    ws = Workspace(cfg.paths.workspace).create()
    use_user_file(ws.root / USER_FILE)  # the workspace's own words; a bad file fails here, named
    return cfg, ws


@data_app.command("ingest")
def data_ingest(
    files: Annotated[list[Path], typer.Argument(help="CSV/XLSX files or folders of them.")],
    store: StoreOpt = None,
    family: Annotated[
        str | None, typer.Option(help="Force the table family name (default: from title/file name).")
    ] = None,
    config: ConfigOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Read HIRA downloads into the facts store (idempotent; bad rows quarantined)."""
    from hirachat.data.ingest import ingest, summary

    cfg, ws = _setup(config, None)
    reports = ingest(files, store or ws.store_dir, cfg.data, ws.raw, family)
    if as_json:
        typer.echo(json.dumps([r.as_dict() for r in reports], ensure_ascii=False, indent=2))
    else:
        for r in reports:
            typer.echo(r.line())
        typer.echo(summary(reports))
    if any(r.status == "error" for r in reports):
        raise typer.Exit(1)


@data_app.command("tables")
def data_tables(store: StoreOpt = None, config: ConfigOpt = None) -> None:
    """List the tables in the facts store with their dimensions, measures and periods."""
    from hirachat.data.store import FactStore

    _, ws = _setup(config, None)
    with FactStore.open(store or ws.store_dir, read_only=True) as fs:
        for t in fs.tables():
            periods = sorted({p for s in fs.sources(t.table_id) for p in s.periods})
            typer.echo(f"{t.table_id}: {fs.count(t.table_id):,} records; periods {', '.join(periods)}")
            typer.echo(f"    dimensions: {', '.join(t.dims)}")
            measures = ", ".join(f"{m['name']}({m['unit'] or '-'})" for m in t.measures)
            typer.echo(f"    measures:   {measures}")
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
) -> None:
    """Write synthetic HIRA-like tables (every row marked synthetic) with real files' quirks."""
    from hirachat.data.synthetic import write_samples

    _, ws = _setup(config, None)
    for p in write_samples(out or ws.samples, seed=seed, rows=rows or None):
        typer.echo(f"wrote {p}")


@data_app.command("build")
def data_build(
    overrides: Overrides = None,
    store: StoreOpt = None,
    out: Annotated[
        Path | None, typer.Option(help="Output folder (default workspace/data/hira/cleaned).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Generate Korean QA pairs from the store, clean them, and split train/val/test without leakage."""
    from hirachat.dataset.build import build_dataset

    cfg, ws = _setup(config, overrides)
    result = build_dataset(store or ws.store_dir, out or ws.cleaned, cfg.data)
    typer.echo(result.describe())


@data_app.command("augment")
def data_augment(
    split_file: Annotated[
        Path, typer.Argument(help="A split file, e.g. workspace/data/hira/cleaned/train.jsonl")
    ],
    factor: Annotated[int, typer.Option(help="Extra phrasings per paraphrase group.")] = 2,
    seed: Annotated[int, typer.Option()] = 11,
    out: Annotated[Path | None, typer.Option(help="Output file (default: <name>.augmented.jsonl).")] = None,
) -> None:
    """Add phrasings to a split file; each new pair keeps its group, query, facts and provenance."""
    from hirachat.dataset.augment import augment_file

    target = out or split_file.with_suffix(".augmented.jsonl")
    added, total = augment_file(split_file, target, factor, seed)
    typer.echo(f"{target}: {total:,} pairs ({added:,} added)")


@app.command()
def ask(
    question: Annotated[
        str | None, typer.Argument(help="질문 (omit to read --file or standard input).")
    ] = None,
    store: StoreOpt = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Questions, one per line.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question.")] = False,
    chat: Annotated[
        bool,
        typer.Option(
            "--chat",
            "-i",
            help="A conversation: each question may follow up the previous one (그럼 부산은?).",
        ),
    ] = False,
    engine: Annotated[
        str | None, typer.Option(help="grounded | local | openai (default: inference.engine).")
    ] = None,
    config: ConfigOpt = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="key=value config override.")] = None,
) -> None:
    """Answer questions from the facts store, with sources; say so when the data cannot answer."""
    from hirachat.answer.service import AskService

    cfg, ws = _setup(config, overrides)
    questions: Iterable[str]
    if question is not None:
        questions = [question]
    elif file is not None:
        questions = file.read_text(encoding="utf-8").splitlines()
    else:
        questions = iter(sys.stdin.readline, "") if chat else sys.stdin.read().splitlines()
    with AskService(
        store or ws.store_dir, cfg.inference, engine, ws.resolve(cfg.paths.base_model), cfg.retrieval.top_k
    ) as svc:
        for res in svc.converse(questions) if chat else svc.ask_many(questions):
            if as_json:
                typer.echo(json.dumps(res, ensure_ascii=False, default=str))
            else:
                typer.echo(f"Q: {res['question']}\n{res['interpretation']}\n{res['answer']}\n")


model_app = typer.Typer(no_args_is_help=True, help="Model directories: the tiny stand-in, adapter export.")
app.add_typer(model_app, name="model")


@app.command("train")
def train_cmd(overrides: Overrides = None, config: ConfigOpt = None) -> None:
    """LoRA/QLoRA fine-tuning of paths.base_model on the QA dataset (resumes after an interruption)."""
    from hirachat.train.recipe import train

    cfg, ws = _setup(config, overrides)
    run = train(cfg, ws)
    typer.echo(
        f"run: {run.root}\n  best:    {run.best}\n  final:   {run.final}\n  history: {run.history}\n  plot:    {run.plot}"
    )


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
) -> None:
    """Build a scaled-down SOLAR-architecture model (random weights) with a tokenizer trained on the data."""
    from hirachat.model.tiny import build_tiny, dataset_texts

    _, ws = _setup(config, None)
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
    overrides: Overrides = None,
    config: ConfigOpt = None,
) -> None:
    """Merge a LoRA adapter into its base model and save a standalone model."""
    from hirachat.train.recipe import merge_adapter

    cfg, ws = _setup(config, overrides)
    typer.echo(f"merged model written to {merge_adapter(ws.resolve(cfg.paths.base_model), adapter, out)}")


@app.command("eval")
def eval_cmd(
    overrides: Overrides = None,
    split: Annotated[str, typer.Option(help="Split to score (train, val, test).")] = "test",
    file: Annotated[Path | None, typer.Option("--file", help="A QA jsonl file instead of a split.")] = None,
    engine: Annotated[
        str, typer.Option(help="Comma-separated: grounded, model (unguarded), guarded.")
    ] = "grounded",
    adapter: Annotated[
        Path | None, typer.Option(help="LoRA adapter for model variants (a run's best_model/).")
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Base model folder (default: paths.base_model).")
    ] = None,
    batch: Annotated[int, typer.Option(help="Answers generated at once by model variants.")] = 8,
    temperature: Annotated[
        str, typer.Option(help="Comma-separated temperatures for model variants.")
    ] = "0.1",
    limit: Annotated[int | None, typer.Option(help="Score only the first N questions.")] = None,
    run: Annotated[str | None, typer.Option(help="Folder under workspace/eval (a rerun resumes it).")] = None,
    store: StoreOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Score engines/models on a split: numeric accuracy, hallucination, abstention, chrF, latency; report."""
    from rich.progress import Progress

    from hirachat.eval.run import evaluate

    cfg, ws = _setup(config, overrides)
    engines = [e.strip() for e in engine.split(",") if e.strip()]
    temps = [float(t) for t in temperature.split(",") if t.strip()]
    name = run or f"{split if file is None else file.stem}-{'-'.join(engines)}"
    out = ws.eval / name
    with Progress(transient=True) as bar:
        task = bar.add_task("evaluating", total=None)
        metrics = evaluate(
            cfg,
            store or ws.store_dir,
            file or ws.cleaned / f"{split}.jsonl",
            out,
            engines,
            temps,
            limit,
            model or ws.resolve(cfg.paths.base_model),
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


@app.command()
def quickstart(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Your HIRA files (default: synthetic samples).")
    ] = None,
    config: ConfigOpt = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="key=value config override.")] = None,
    no_train: Annotated[
        bool, typer.Option("--no-train", help="Skip the tiny-model fine-tuning step.")
    ] = False,
) -> None:
    """Run the main job end to end on this machine: samples → ingest → dataset → tiny model → answers."""
    from hirachat.quickstart import run_quickstart

    cfg, ws = _setup(config, overrides)
    run_quickstart(cfg, ws, files or [], echo=typer.echo, train_model=not no_train)


users_app = typer.Typer(no_args_is_help=True, help="Web app accounts (admins and evaluators).")
app.add_typer(users_app, name="users")
ratings_app = typer.Typer(no_args_is_help=True, help="Expert ratings collected by the web app.")
app.add_typer(ratings_app, name="ratings")


@app.command()
def serve(
    config: ConfigOpt = None,
    host: Annotated[str | None, typer.Option(help="Bind address (default serve.host).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default serve.port).")] = None,
    overrides: Annotated[list[str] | None, typer.Option("--set", help="key=value config override.")] = None,
    workers: Annotated[int | None, typer.Option(help="Server processes (default serve.workers).")] = None,
) -> None:
    """Web app (chat, expert evaluation, blind A/B) and the OpenAI-compatible API, with uvicorn."""
    import uvicorn

    from hirachat.web.app import CONFIG_ENV, create_app

    cfg, _ = _setup(config, overrides)
    n = workers or cfg.serve.workers
    # keep-alive longer than clients' pools keep idle connections: no request is sent on a socket the
    # server is closing (the cause of httpx.ReadError under load)
    opts: dict[str, Any] = {
        "host": host or cfg.serve.host,
        "port": port or cfg.serve.port,
        "log_level": "info",
        "timeout_keep_alive": 75,
        "backlog": 4096,
    }
    if n == 1:
        uvicorn.run(create_app(cfg), **opts)
        return
    _db(cfg).close()  # migrations once, before the workers start
    os.environ[CONFIG_ENV] = cfg.model_dump_json()
    uvicorn.run("hirachat.web.app:worker_app", factory=True, workers=n, **opts)


def _db(cfg: Config) -> Any:
    from hirachat.web.db import default_url, make_engine, migrate, sessions

    engine = make_engine(cfg.serve.database_url or default_url(Workspace(cfg.paths.workspace).root))
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
) -> None:
    """Create an account (the first admin is created this way)."""
    from hirachat.web.accounts import create_user

    cfg, _ = _setup(config, None)
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
) -> None:
    """Print a new API token for the user (for the OpenAI-compatible API; shown once)."""
    from hirachat.web.accounts import api_token

    cfg, _ = _setup(config, None)
    with _db(cfg) as db:
        typer.echo(api_token(db, username, name, cfg.serve.api_token_days))


@ratings_app.command("export")
def ratings_export(
    out: Annotated[Path | None, typer.Option(help="Folder (default workspace/ratings).")] = None,
    config: ConfigOpt = None,
) -> None:
    """Write every rating to ratings.jsonl, where ``hira-chat eval`` reports read human ratings."""
    from hirachat.web.export import export_ratings

    cfg, ws = _setup(config, None)
    with _db(cfg) as db:
        path = export_ratings(db, out or ws.root / "ratings")
    typer.echo(f"wrote {path}")


@app.command("config")
def show_config(config: ConfigOpt = None, overrides: Overrides = None) -> None:
    """Validate the config and print it with overrides applied."""
    cfg = load_config(config, overrides or [])
    typer.echo(json.dumps(cfg.model_dump(mode="json"), ensure_ascii=False, indent=2))


def main() -> None:
    try:
        app()
    except HiraChatError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
