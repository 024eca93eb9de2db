"""``hira-chat`` ask: questions answered from the facts store. Each command parses its arguments and calls one stage function."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated

import typer

from hirachat.cli.common import (
    ConfigOpt,
    SetOpt,
    StoreOpt,
    app,
    reject_moved,
)
from hirachat.runtime import prepare


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
    config: ConfigOpt = None,
    overrides: SetOpt = None,
    engine: Annotated[str | None, typer.Option(hidden=True)] = None,
) -> None:
    """Answer questions from the facts store, with sources; say so when the data cannot answer.

    The engine is inference.engine (--set inference.engine=openai)."""
    from hirachat.answer.service import AskService

    reject_moved("--engine", engine, "inference.engine")
    cfg, ws = prepare(config, overrides, store)
    questions: Iterable[str]
    if question is not None:
        questions = [question]
    elif file is not None:
        questions = file.read_text(encoding="utf-8").splitlines()
    else:
        questions = iter(sys.stdin.readline, "") if chat else sys.stdin.read().splitlines()
    with AskService(
        ws.store_dir, cfg.inference, None, ws.resolve(cfg.paths.base_model), cfg.retrieval.top_k
    ) as svc:
        for res in svc.converse(questions) if chat else svc.ask_many(questions):
            if as_json:
                typer.echo(json.dumps(res, ensure_ascii=False, default=str))
            else:
                version = f"\n(자료 버전 {res['data_version']})" if res.get("data_version") else ""
                typer.echo(f"Q: {res['question']}\n{res['interpretation']}\n{res['answer']}{version}")
                for i, choice in enumerate(
                    res.get("choices", []), 1
                ):  # a question back: answer with its number
                    typer.echo(f"  {i}) {choice}")
                typer.echo("")
