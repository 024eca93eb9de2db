"""Evaluation reports: report.md and a self-contained report.html with plots (Korean text rendered)."""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path
from typing import Any

from hirachat.atomic import write_text


def _font() -> str | None:
    from matplotlib import font_manager

    return next(
        (f.name for f in font_manager.fontManager.ttflist if "Nanum" in f.name or "Noto Sans CJK" in f.name),
        None,
    )


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def plots(metrics: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    font = _font()
    if font:
        plt.rcParams["font.family"] = font
    ko = font is not None
    out = {}
    variants = list(metrics["variants"])
    qtypes = sorted({q for v in metrics["variants"].values() for q in v["by_qtype"]})
    fig, ax = plt.subplots(figsize=(8, 3.6))
    width = 0.8 / max(1, len(variants))
    for k, name in enumerate(variants):
        vals = [metrics["variants"][name]["by_qtype"].get(q, {}).get("accuracy") or 0 for q in qtypes]
        ax.bar([x + k * width for x in range(len(qtypes))], vals, width, label=name)
    ax.set_xticks(
        [x + width * (len(variants) - 1) / 2 for x in range(len(qtypes))], qtypes, rotation=30, ha="right"
    )
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("정확도" if ko else "accuracy")
    ax.set_title("질문 유형별 정확도" if ko else "accuracy by question type")
    ax.legend(fontsize=8)
    out["accuracy_by_type"] = _png(fig)
    fig, ax = plt.subplots(figsize=(8, 3.2))
    for name in variants:
        ax.hist([i["latency_ms"] for i in items if i["variant"] == name], bins=30, alpha=0.6, label=name)
    ax.set_xlabel("지연 시간 (ms)" if ko else "latency (ms)")
    ax.set_title("응답 지연 분포" if ko else "latency distribution")
    ax.legend(fontsize=8)
    out["latency"] = _png(fig)
    sweeps: dict[str, list[tuple[float, float, float]]] = {}
    for v in metrics["variants"].values():
        if v["temperature"] is not None:
            o = v["overall"]
            sweeps.setdefault(v["engine"], []).append(
                (v["temperature"], o.get("accuracy") or 0, o.get("hallucination_rate") or 0)
            )
    if any(len(s) > 1 for s in sweeps.values()):
        fig, ax = plt.subplots(figsize=(6, 3.2))
        for eng, pts in sweeps.items():
            pts.sort()
            ax.plot(
                [p[0] for p in pts],
                [p[1] for p in pts],
                "o-",
                label=f"{eng} {'정확도' if ko else 'accuracy'}",
            )
            ax.plot(
                [p[0] for p in pts],
                [p[2] for p in pts],
                "s--",
                label=f"{eng} {'환각률' if ko else 'hallucination'}",
            )
        ax.set_xlabel("temperature")
        ax.set_title("온도별 정확도와 환각률" if ko else "temperature sweep")
        ax.legend(fontsize=8)
        out["sweep"] = _png(fig)
    return out


COLUMNS = (
    "n",
    "numeric_accuracy",
    "accuracy",
    "hallucination_rate",
    "abstention_precision",
    "abstention_recall",
    "chrf",
    "rouge_l",
    "latency_p50_ms",
    "latency_p95_ms",
    "tokens_per_s",
    "answer_chars",
)


def markdown(metrics: dict[str, Any]) -> str:
    lines = [
        "# 평가 보고서 (evaluation report)",
        "",
        f"questions: {metrics['n_questions']} ({metrics['data']})",
        "",
        "| variant | " + " | ".join(COLUMNS) + " |",
        "|---|" + "---|" * len(COLUMNS),
    ]
    for name, v in metrics["variants"].items():
        lines.append(f"| {name} | " + " | ".join(str(v["overall"].get(c)) for c in COLUMNS) + " |")
    if metrics["comparisons"]:
        lines += [
            "",
            "## Comparisons (variant − baseline, paired bootstrap 95% CI)",
            "",
            "| baseline | variant | metric | n | difference | 95% CI |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {c['baseline']} | {c['variant']} | {c['metric']} | {c['n']} | {c['difference']} | {c['ci95']} |"
            for c in metrics["comparisons"]
        ]
    for name, v in metrics["variants"].items():
        lines += [
            "",
            f"## {name}: by question type",
            "",
            "| type | n | accuracy | hallucination | chrF |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {q} | {s['n']} | {s.get('accuracy')} | {s.get('hallucination_rate')} | {s.get('chrf')} |"
            for q, s in v["by_qtype"].items()
        ]
    h = metrics.get("human")
    lines += [
        "",
        "## Human ratings",
        "",
        f"{h}" if h else "none collected yet (the web app's exports go to workspace/ratings/)",
    ]
    return "\n".join(lines) + "\n"


def write_report(metrics: dict[str, Any], items: list[dict[str, Any]], out: Path) -> None:
    md = markdown(metrics)
    write_text(out / "report.md", md)
    imgs = plots(metrics, items)
    body = "".join(
        f"<h2>{html.escape(k)}</h2><img alt='{html.escape(k)}' src='data:image/png;base64,{v}'>"
        for k, v in imgs.items()
    )
    rows = "".join(
        "<tr><td>"
        + html.escape(i["variant"])
        + "</td><td>"
        + html.escape(i["question"])
        + "</td><td>"
        + html.escape(i["answer"][:300])
        + "</td><td>"
        + ("✔" if i["correct"] else "✘")
        + "</td><td>"
        + html.escape(", ".join(i["hallucinated"]))
        + "</td></tr>"
        for i in items[:200]
    )
    page = (
        "<!doctype html><html lang='ko'><head><meta charset='utf-8'><title>hira-chat 평가 보고서</title>"
        "<style>body{font-family:'NanumGothic','Noto Sans CJK KR',sans-serif;margin:2em}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:4px;font-size:13px;vertical-align:top}img{max-width:100%}</style></head><body>"
        f"<pre>{html.escape(md)}</pre>{body}<h2>items (first 200)</h2><table><tr><th>variant</th><th>question</th>"
        f"<th>answer</th><th>correct</th><th>hallucinated</th></tr>{rows}</table></body></html>"
    )
    write_text(out / "report.html", page)
