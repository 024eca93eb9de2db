"""Evaluation reports: report.md and a self-contained report.html with plots (Korean text rendered)."""

from __future__ import annotations

import base64
import html
import io
import re
from pathlib import Path
from typing import Any

from hirachat.atomic import write_text


def korean_font() -> str | None:
    """NanumGothic (else another Korean font) for plots. When matplotlib's cached font list predates
    fonts-nanum (it is never refreshed by itself), NanumGothic is added from disk."""
    from matplotlib import font_manager

    def have() -> bool:
        return any(f.name == "NanumGothic" for f in font_manager.fontManager.ttflist)

    if not have():
        for f in font_manager.findSystemFonts():
            if re.fullmatch(r"NanumGothic(Bold)?", Path(f).stem):
                font_manager.fontManager.addfont(f)
    if have():
        return "NanumGothic"
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

    font = korean_font()
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
        ax.set_xlabel("온도 (temperature)" if ko else "temperature")
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


LABELS = {
    "n": "문항 수",
    "numeric_accuracy": "수치 정확도",
    "accuracy": "정확도",
    "hallucination_rate": "환각률",
    "abstention_precision": "답변 보류 정밀도",
    "abstention_recall": "답변 보류 재현율",
    "chrf": "chrF",
    "rouge_l": "ROUGE-L",
    "latency_p50_ms": "지연 p50 (ms)",
    "latency_p95_ms": "지연 p95 (ms)",
    "tokens_per_s": "토큰/초",
    "answer_chars": "답변 길이(자)",
}
PLOT_TITLES = {
    "accuracy_by_type": "질문 유형별 정확도",
    "latency": "응답 지연 분포",
    "sweep": "온도별 정확도와 환각률",
}
REPORT_STYLE = (
    "body{font-family:'NanumGothic','Noto Sans CJK KR','Malgun Gothic',sans-serif;margin:1.5em;color:#1d2433}"
    "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:4px 6px;font-size:13px;"
    "vertical-align:top}th{background:#f1f3f7}th.sort{cursor:pointer}td.num{text-align:right;"
    "font-variant-numeric:tabular-nums}tr.wrong td{background:#fff4f2}img{max-width:100%}.wrap{overflow-x:auto}"
    "#filters{display:flex;gap:1em;flex-wrap:wrap;align-items:center;margin:.5em 0}"
)
# sorting and filtering for the item table: inline, so the file opens anywhere without a network
_SCRIPT = """
const t = document.getElementById('items'), rows = Array.from(t.tBodies[0].rows);
function apply() {
  const v = document.getElementById('f-variant').value, q = document.getElementById('f-qtype').value;
  const wrong = document.getElementById('f-wrong').checked;
  let n = 0;
  for (const r of rows) {
    const ok = (!v || r.dataset.variant === v) && (!q || r.dataset.qtype === q) && (!wrong || r.dataset.correct === '0');
    r.hidden = !ok; n += ok;
  }
  document.getElementById('shown').textContent = n + '개 표시';
}
for (const id of ['f-variant', 'f-qtype', 'f-wrong']) document.getElementById(id).addEventListener('change', apply);
for (const [i, th] of Array.from(t.tHead.rows[0].cells).entries()) th.addEventListener('click', () => {
  const dir = th.dataset.dir === 'asc' ? -1 : 1; th.dataset.dir = dir > 0 ? 'asc' : 'desc';
  const key = (r) => { const c = r.cells[i]; return c.dataset.v !== undefined ? Number(c.dataset.v) : c.textContent; };
  rows.sort((a, b) => (key(a) > key(b) ? dir : key(a) < key(b) ? -dir : 0));
  for (const r of rows) t.tBodies[0].append(r);
});
apply();
"""


def html_table(head: list[str], body: list[list[Any]], attrs: str = "") -> str:
    def cell(x: Any) -> str:
        if isinstance(x, int | float) and not isinstance(x, bool):
            return f"<td class='num'>{html.escape(str(x))}</td>"
        return f"<td>{html.escape('' if x is None else str(x))}</td>"

    return (
        f"<div class='wrap'><table {attrs}><thead><tr>"
        + "".join(f"<th>{html.escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join("<tr>" + "".join(cell(x) for x in row) + "</tr>" for row in body)
        + "</tbody></table></div>"
    )


def _items(items: list[dict[str, Any]]) -> str:
    """Every item (wrong answers first), filterable by variant, question type and correctness, sortable."""
    ordered = sorted(items, key=lambda i: (bool(i["correct"]), i["variant"], i.get("qtype", "")))
    variants = sorted({i["variant"] for i in items})
    qtypes = sorted({str(i.get("qtype", "")) for i in items})

    def options(values: list[str]) -> str:
        return "<option value=''>전체</option>" + "".join(
            f"<option>{html.escape(v)}</option>" for v in values
        )

    rows = "".join(
        f"<tr class='{'' if i['correct'] else 'wrong'}' data-variant='{html.escape(i['variant'])}' "
        f"data-qtype='{html.escape(str(i.get('qtype', '')))}' data-correct='{int(bool(i['correct']))}'>"
        f"<td>{html.escape(i['variant'])}</td><td>{html.escape(str(i.get('qtype', '')))}</td>"
        f"<td>{html.escape(i['question'])}</td><td>{html.escape(i['answer'][:400])}</td>"
        f"<td>{html.escape(str(i.get('reference', ''))[:400])}</td>"
        f"<td data-v='{int(bool(i['correct']))}'>{'✔' if i['correct'] else '✘'}</td>"
        f"<td>{html.escape(', '.join(i['hallucinated']))}</td>"
        f"<td class='num' data-v='{i.get('latency_ms') or 0}'>{i.get('latency_ms')}</td></tr>"
        for i in ordered
    )
    head = ["변형", "유형", "질문", "답변", "참고 정답", "정답 여부", "근거 없는 수치", "지연(ms)"]
    return (
        "<h2>문항별 결과</h2><div id='filters'>"
        f"<label>변형 <select id='f-variant'>{options(variants)}</select></label>"
        f"<label>질문 유형 <select id='f-qtype'>{options(qtypes)}</select></label>"
        "<label><input type='checkbox' id='f-wrong'> 틀린 답만</label><span id='shown'></span></div>"
        "<p>머리글을 누르면 정렬됩니다. 틀린 답이 먼저 나옵니다.</p>"
        "<div class='wrap'><table id='items'><thead><tr>"
        + "".join(f"<th class='sort'>{h}</th>" for h in head)
        + f"</tr></thead><tbody>{rows}</tbody></table></div>"
    )


def write_report(metrics: dict[str, Any], items: list[dict[str, Any]], out: Path) -> None:
    """report.md, and report.html: the same tables as HTML, Korean plots, and every item filterable and
    sortable; self-contained (inline style, script and images: opens from a file, no network)."""
    md = markdown(metrics)
    write_text(out / "report.md", md)
    imgs = plots(metrics, items)
    parts = [
        "<h1>hira-chat 평가 보고서</h1>",
        f"<p>문항 {metrics['n_questions']}개 ({html.escape(str(metrics['data']))})</p>",
        "<h2>변형별 요약</h2>",
        html_table(
            ["변형", *(LABELS[c] for c in COLUMNS)],
            [[name, *(v["overall"].get(c) for c in COLUMNS)] for name, v in metrics["variants"].items()],
        ),
    ]
    if metrics["comparisons"]:
        parts += [
            "<h2>비교 (변형 − 기준, 짝지은 부트스트랩 95% 신뢰구간)</h2>",
            html_table(
                ["기준", "변형", "지표", "n", "차이", "95% 구간"],
                [
                    [c["baseline"], c["variant"], c["metric"], c["n"], c["difference"], str(c["ci95"])]
                    for c in metrics["comparisons"]
                ],
            ),
        ]
    for name, v in metrics["variants"].items():
        parts += [
            f"<h2>{html.escape(name)}: 질문 유형별</h2>",
            html_table(
                ["유형", "n", "정확도", "환각률", "chrF"],
                [
                    [q, s["n"], s.get("accuracy"), s.get("hallucination_rate"), s.get("chrf")]
                    for q, s in v["by_qtype"].items()
                ],
            ),
        ]
    h = metrics.get("human")
    parts.append(
        "<h2>사람 평가</h2>"
        + (
            f"<pre>{html.escape(str(h))}</pre>"
            if h
            else "<p>아직 없음 (웹 앱의 내보내기: workspace/ratings/)</p>"
        )
    )
    parts += [
        f"<h2 id='{html.escape(k)}'>{html.escape(PLOT_TITLES.get(k, k))}</h2>"
        f"<img alt='{html.escape(PLOT_TITLES.get(k, k))}' src='data:image/png;base64,{v}'>"
        for k, v in imgs.items()
    ]
    parts.append(_items(items))
    page = (
        "<!doctype html><html lang='ko'><head><meta charset='utf-8'><title>hira-chat 평가 보고서</title>"
        f"<style>{REPORT_STYLE}</style></head><body>{''.join(parts)}<script>{_SCRIPT}</script></body></html>"
    )
    write_text(out / "report.html", page)
