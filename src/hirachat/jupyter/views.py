"""What the notebooks show: tables from the package's results, the evaluation report's plots inline, an answer
with its sources, and the ask widget (a text box, a button and an output)."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from hirachat.atomic import read_jsonl


def facts(d: dict[str, Any]) -> pd.DataFrame:
    """A two-column table (item, value) of a facts dict."""
    return pd.DataFrame({"항목 (item)": list(d), "값 (value)": [str(v) for v in d.values()]})


def checks(report: Any) -> pd.DataFrame:
    """The rows of a ``hira-chat doctor`` report (status, check, value, what to do)."""
    return pd.DataFrame(report.as_dict()["checks"])[["status", "name", "value", "fix"]]


def records(path: Path, n: int = 5) -> pd.DataFrame:
    """The first ``n`` QA pairs of a split file: question, fact cards, answer, type, table."""
    rows = read_jsonl(path)[:n]
    return pd.DataFrame(
        {
            "instruction": [r["instruction"] for r in rows],
            "input": [r["input"][:120] + ("…" if len(r["input"]) > 120 else "") for r in rows],
            "output": [r["output"] for r in rows],
            "qtype": [r["metadata"]["qtype"] for r in rows],
            "table": [r["metadata"]["table_id"] for r in rows],
        }
    )


def splits(stats: dict[str, Any]) -> pd.DataFrame:
    """Pairs and paraphrase groups per split, from a dataset build's stats."""
    return pd.DataFrame(
        [{"split": name, **{k: s[k] for k in ("pairs", "groups")}} for name, s in stats["splits"].items()]
    )


def history(path: Path) -> dict[str, Any]:
    """A training run's history in a few figures: steps, first and last loss, validation losses."""
    h = json.loads(path.read_text(encoding="utf-8"))
    return {
        "optimizer steps": h["global_step"],
        "train loss (first → last)": f"{h['steps'][0]['loss']:.4f} → {h['steps'][-1]['loss']:.4f}",
        "validation loss": " → ".join(f"{e['eval_loss']:.4f}" for e in h["evals"]) or "none",
        "token efficiency": h.get("token_efficiency"),
        "device": h.get("device"),
    }


def metrics(m: dict[str, Any]) -> pd.DataFrame:
    """One row per evaluated variant with the report's columns (Korean labels)."""
    from hirachat.eval.report import COLUMNS, LABELS

    rows = {
        name: {LABELS.get(c, c): v["overall"].get(c) for c in COLUMNS} for name, v in m["variants"].items()
    }
    return pd.DataFrame.from_dict(rows, orient="index")


def by_type(m: dict[str, Any], variant: str) -> pd.DataFrame:
    """A variant's accuracy, hallucination rate and chrF per question type."""
    cols = ("n", "accuracy", "hallucination_rate", "chrf")
    return pd.DataFrame.from_dict(
        {q: {c: s.get(c) for c in cols} for q, s in m["variants"][variant]["by_qtype"].items()},
        orient="index",
    )


def report_images(m: dict[str, Any], run: Path, names: Iterable[str] | None = None) -> list[Any]:
    """The evaluation report's charts (the same code, the same Korean font) as inline images."""
    from IPython.display import Image

    from hirachat.eval.report import plots

    wanted = set(m["variants"])
    items = [i for i in read_jsonl(run / "items.jsonl") if i["variant"] in wanted]
    pngs = plots(m, items)
    return [Image(data=base64.b64decode(pngs[k])) for k in (names or pngs) if k in pngs]


def answers_by_variant(run: Path, n: int = 5) -> pd.DataFrame:
    """The first ``n`` questions of an evaluation run with every variant's answer side by side."""
    items = read_jsonl(run / "items.jsonl")
    first = list(dict.fromkeys(i["question"] for i in items))[:n]  # in the order they were asked
    table = pd.DataFrame(items).pivot_table(
        index="question", columns="variant", values="answer", aggfunc="first"
    )
    return table.loc[first]


def sources(res: dict[str, Any]) -> pd.DataFrame:
    """An answer's sources: table, file, sheet and row, measure, value and the row's dimensions."""
    return pd.DataFrame(
        [
            {
                **{k: s.get(k) for k in ("table", "file", "sheet", "row", "measure", "value", "unit")},
                "dims": ", ".join(f"{k}={v}" for k, v in (s.get("dims") or {}).items()),
            }
            for s in res.get("sources", [])
        ]
    )


def answers(results: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """One row per answered question: answer, 이해한 질문, abstention and its reason, sources, latency."""
    return pd.DataFrame(
        [
            {
                "question": r["question"],
                "answer": r["answer"],
                "이해한 질문": r.get("interpretation"),
                "abstained": r["abstained"],
                "reason": r.get("reason"),
                "sources": len(r.get("sources", [])),
                "engine": r.get("engine"),
                "latency_ms": r.get("latency_ms"),
            }
            for r in results
        ]
    )


def answer_html(res: dict[str, Any]) -> str:
    """The answer, the 이해한 질문 line and, for an abstention, its reason, as HTML."""
    parts = [
        f"<div style='white-space:pre-wrap;font-size:1.05em'>{html.escape(res['answer'])}</div>",
        f"<div style='color:#555;margin-top:.4em'>{html.escape(res.get('interpretation') or '')}</div>",
        f"<div style='color:#888;font-size:.85em'>engine {html.escape(str(res.get('engine')))} · "
        f"{res.get('latency_ms')} ms</div>",
    ]
    if res.get("abstained"):
        parts.append(
            "<div style='color:#b00'>답변 보류 사유 (abstention reason): "
            f"{html.escape(str(res.get('reason') or '-'))}</div>"
        )
    return "\n".join(parts)


def show_answer(res: dict[str, Any]) -> None:
    """Display an answer with its sources table (none for an abstention)."""
    from IPython.display import HTML, display

    display(HTML(answer_html(res)))
    src = sources(res)
    display(src if len(src) else HTML("<i>출처 없음 (no sources)</i>"))


class AskPanel:
    """A question box, an ask button and an output that shows the answer, 이해한 질문, sources and the reason
    for an abstention. ``last`` keeps the last answer (for the cells below and for tests)."""

    def __init__(self, svc: Any, placeholder: str = "예: 2019년 서울 내과 환자수는?") -> None:
        import ipywidgets as w  # type: ignore[import-untyped]

        self.svc = svc
        self.last: dict[str, Any] | None = None
        self.box = w.Text(placeholder=placeholder, layout=w.Layout(width="60%"))
        self.button = w.Button(description="질문하기 (ask)", button_style="primary")
        self.out = w.Output()
        self.button.on_click(self._on_click)
        self.widget = w.VBox([w.HBox([self.box, self.button]), self.out])

    def _on_click(self, _: Any) -> None:
        question = self.box.value.strip()
        if not question:
            return
        with self.out:
            self.out.clear_output(wait=True)
            self.last = self.svc.ask(question)
            show_answer(self.last)

    def ask(self, question: str) -> dict[str, Any] | None:
        """Type ``question`` into the box and press the button (what a user does)."""
        self.box.value = question
        self.button.click()
        return self.last
