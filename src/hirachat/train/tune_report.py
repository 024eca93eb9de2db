"""The report of a ``hira-chat tune`` study: report.md, a self-contained report.html and PNG plots.

Trial history (objective per trial, best so far; validation-loss curves, pruned trials dashed), parameter
importances (Optuna's PED-ANOVA, from two completed trials on), the best settings against the config's own,
and every trial with its state, reason, time and peak memory. Plots use the Korean font set-up of the
evaluation report.
"""

from __future__ import annotations

import base64
import html
import math
import warnings
from pathlib import Path
from typing import Any

from hirachat.atomic import write_text
from hirachat.config import Config
from hirachat.eval.report import REPORT_STYLE, html_table, korean_font
from hirachat.train.tune_space import PARAMS, current_values
from hirachat.train.tune_study import best_trial, counted, gpu_hours

OBJECTIVE_KO = {"val_loss": "검증 손실 (val_loss)", "numeric_accuracy": "수치 정확도 (numeric_accuracy)"}
STATE_KO = {"COMPLETE": "완료", "PRUNED": "가지치기", "FAIL": "실패", "RUNNING": "실행 중", "WAITING": "대기"}


def importances(study: Any) -> dict[str, float]:
    """Parameter importances (PED-ANOVA: no extra package) once two trials have completed; empty when they
    cannot be computed."""
    import optuna
    from optuna.trial import TrialState

    if len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) < 2:
        return {}
    try:
        with warnings.catch_warnings():  # few trials: "quantiles select the same set" is expected
            warnings.simplefilter("ignore")
            evaluator = optuna.importance.PedAnovaImportanceEvaluator()
            got = optuna.importance.get_param_importances(study, evaluator=evaluator)
        return {k: round(float(v), 4) for k, v in got.items()}
    except (RuntimeError, ValueError):  # e.g. no parameter varied among the completed trials
        return {}


def rows(study: Any) -> list[dict[str, Any]]:
    """One record per trial, as the tables and the JSON summary show it."""
    out = []
    for t in study.get_trials(deepcopy=False):
        a = t.user_attrs
        out.append(
            {
                "number": t.number,
                "state": t.state.name,
                "reason": a.get("reason", ""),
                # a pruned trial's value is its last reported loss (negated when maximising): not the objective
                "value": round(float(t.value), 6) if t.state.name == "COMPLETE" else None,
                "val_loss": None if a.get("val_loss") is None else round(float(a["val_loss"]), 6),
                "seconds": a.get("seconds"),
                "gpu_hours": None if a.get("gpu_hours") is None else round(float(a["gpu_hours"]), 5),
                "peak_memory_mb": a.get("peak_memory_mb"),
                "peak_rss_mb": a.get("peak_rss_mb"),
                "baseline": bool(a.get("defaults")),
                "params": dict(t.params),
            }
        )
    return out


def _save(fig: Any, png: Path) -> str:
    import io

    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    png.write_bytes(buf.getvalue())
    return base64.b64encode(buf.getvalue()).decode()


def plots(study: Any, objective: str, imps: dict[str, float], folder: Path) -> dict[str, tuple[str, str]]:
    """name → (Korean title, base64 PNG); each PNG is also written to ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    font = korean_font()
    if font:
        plt.rcParams["font.family"] = font
        plt.rcParams["axes.unicode_minus"] = False  # Korean fonts lack U+2212: a plain hyphen instead
    ko = font is not None
    maximize = study.direction.name == "MAXIMIZE"
    out: dict[str, tuple[str, str]] = {}
    trials = study.get_trials(deepcopy=False)
    done = [t for t in trials if t.state.name == "COMPLETE"]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot([t.number for t in done], [t.value for t in done], "o", label="완료" if ko else "complete")
    best, line = None, []
    for t in done:
        if best is None or (t.value > best if maximize else t.value < best):
            best = t.value
        line.append((t.number, best))
    if line:
        ax.step(
            [n for n, _ in line],
            [v for _, v in line],
            where="post",
            label="최고 기록" if ko else "best so far",
        )
    pruned = [t for t in trials if t.state.name == "PRUNED" and t.user_attrs.get("val_loss") is not None]
    if pruned and objective == "val_loss":
        ax.plot(
            [t.number for t in pruned],
            [t.user_attrs["val_loss"] for t in pruned],
            "x",
            label="가지치기" if ko else "pruned",
        )
    title = "시행별 목표값" if ko else "objective by trial"
    ax.set_xlabel("시행 번호" if ko else "trial")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel(OBJECTIVE_KO[objective] if ko else objective)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    out["trial_history"] = ("시행별 목표값", _save(fig, folder / "trial_history.png"))
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for t in trials:
        pts = t.user_attrs.get("val_losses") or []
        if pts:
            style = "--" if t.state.name == "PRUNED" else "-"
            ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", ms=3, label=f"#{t.number}")
    ax.set_xlabel("검증 회차 (에폭 또는 eval_steps)" if ko else "validation (epoch or eval_steps)")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("검증 손실" if ko else "validation loss")
    ax.set_title("시행별 검증 손실 (점선: 가지치기)" if ko else "validation loss (dashed: pruned)")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    out["val_loss_curves"] = ("시행별 검증 손실", _save(fig, folder / "val_loss_curves.png"))
    if imps:
        fig, ax = plt.subplots(figsize=(6, 0.5 + 0.4 * len(imps)))
        names = list(imps)[::-1]
        ax.barh(names, [imps[n] for n in names])
        ax.set_xlabel("중요도 (PED-ANOVA)" if ko else "importance (PED-ANOVA)")
        ax.set_title("하이퍼파라미터 중요도" if ko else "parameter importances")
        out["importances"] = ("하이퍼파라미터 중요도", _save(fig, folder / "importances.png"))
    return out


def best_vs_defaults(study: Any) -> list[list[Any]]:
    """Rows (parameter, config's value, best trial's value) for the searched parameters, then the objective."""

    best = best_trial(study)
    space = study.user_attrs.get("space", {})
    config = study.user_attrs.get("default_config")
    current = current_values(Config.model_validate(config)) if config else {}
    out: list[list[Any]] = [
        [p, current.get(p), best.params.get(p) if best else None] for p in PARAMS if space.get(p) is not None
    ]
    base = [
        t
        for t in study.get_trials(deepcopy=False)
        if t.user_attrs.get("defaults") and t.state.name == "COMPLETE"
    ]
    out.append(
        [
            study.user_attrs.get("objective", "objective"),
            round(base[-1].value, 6) if base else "(not measured)",
            round(best.value, 6) if best else None,
        ]
    )
    return out


def _fmt(x: Any) -> str:
    if isinstance(x, float) and math.isfinite(x):
        return f"{x:.6g}"
    return "" if x is None else str(x)


HEAD = [
    "#",
    "상태",
    "사유",
    "목표값",
    "최저 검증 손실",
    "초",
    "GPU-시간",
    "최대 GPU 메모리 MB",
    "최대 RSS MB",
    "설정",
]
NUMS = ("value", "val_loss", "seconds", "gpu_hours", "peak_memory_mb", "peak_rss_mb")


def trial_cells(r: dict[str, Any]) -> list[str]:
    return [
        f"{r['number']}{' (기본값)' if r['baseline'] else ''}",
        STATE_KO.get(r["state"], r["state"]),
        r["reason"],
        *(_fmt(r[k]) for k in NUMS),
        ", ".join(f"{k}={_fmt(v)}" for k, v in r["params"].items()),
    ]


def _md_table(head: list[str], body: list[list[Any]]) -> list[str]:
    return [
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
        *("| " + " | ".join(_fmt(x) for x in row) + " |" for row in body),
    ]


def markdown(
    summary: dict[str, Any], table: list[dict[str, Any]], compare: list[list[Any]], imps: dict[str, float]
) -> str:
    pngs = "trial_history.png, val_loss_curves.png" + (", importances.png" if imps else "")
    lines = [
        "# 하이퍼파라미터 탐색 보고서 (hyperparameter search)",
        "",
        *(f"- {k}: {_fmt(v)}" for k, v in summary.items()),
        "",
        "## 최적 설정과 기본 설정 (best vs the config's defaults)",
        "",
        *_md_table(["항목", "기본값 (config)", "최적 (best)"], compare),
        "",
        "## 하이퍼파라미터 중요도 (importances, PED-ANOVA)",
        "",
        *([f"- {k}: {v}" for k, v in imps.items()] or ["(fewer than two completed trials, or no variation)"]),
        "",
        "## 시행 기록 (trials)",
        "",
        *_md_table(HEAD, [trial_cells(r) for r in table]),
        "",
        f"plots: {pngs} (font: {korean_font() or 'no Korean font: English labels'})",
    ]
    return "\n".join(lines) + "\n"


def write_report(study: Any, folder: Path, budget_hours: float | None) -> list[Path]:
    """report.md, report.html (tables + inline plots, opens without a network) and the PNG plots."""

    objective = study.user_attrs.get("objective", "val_loss")
    trials = study.get_trials(deepcopy=False)
    table, imps, best = rows(study), importances(study), best_trial(study)
    states: dict[str, int] = {}
    for r in table:
        key = r["state"] + (f" ({r['reason']})" if r["reason"] else "")
        states[key] = states.get(key, 0) + 1
    direction = "최대화" if study.direction.name == "MAXIMIZE" else "최소화"
    summary = {
        "study": study.study_name,
        "objective": f"{OBJECTIVE_KO[objective]}, {direction}",
        "trials": f"{sum(1 for t in trials if counted(t))} counted; "
        + ", ".join(f"{k}: {v}" for k, v in sorted(states.items())),
        "GPU-hours": f"{gpu_hours(trials):.4f}" + (f" of {budget_hours}" if budget_hours is not None else ""),
        "best trial": f"#{best.number}, {best.value:.6g}" if best else "none completed yet",
        "best config": str(folder / "best_config.yaml") if best else "-",
        "best adapter": str(Path(best.user_attrs["run_dir"]) / "best_model") if best else "-",
    }
    compare = best_vs_defaults(study)
    write_text(folder / "report.md", markdown(summary, table, compare, imps))
    imgs = plots(study, objective, imps, folder)
    parts = [
        f"<h1>하이퍼파라미터 탐색 보고서: {html.escape(study.study_name)}</h1>",
        html_table(["항목", "값"], [[k, v] for k, v in summary.items()]),
        "<h2>최적 설정과 기본 설정</h2>",
        html_table(["항목", "기본값 (config)", "최적"], [[a, _fmt(b), _fmt(c)] for a, b, c in compare]),
        "<h2>하이퍼파라미터 중요도</h2>",
        html_table(["항목", "중요도"], [[k, v] for k, v in imps.items()])
        if imps
        else "<p>완료된 시행이 둘 미만이거나 설정이 달라지지 않아 계산하지 않았습니다.</p>",
        *(
            f"<h2>{html.escape(title)}</h2><img alt='{html.escape(title)}' src='data:image/png;base64,{b64}'>"
            for title, b64 in imgs.values()
        ),
        "<h2>시행 기록</h2>",
        html_table(HEAD, [trial_cells(r) for r in table]),
    ]
    page = (
        "<!doctype html><html lang='ko'><head><meta charset='utf-8'><title>hira-chat 하이퍼파라미터 탐색</title>"
        f"<style>{REPORT_STYLE}</style></head><body>{''.join(parts)}</body></html>"
    )
    write_text(folder / "report.html", page)
    return [folder / "report.md", folder / "report.html", *(folder / f"{k}.png" for k in imgs)]
