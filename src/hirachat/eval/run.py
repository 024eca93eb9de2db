"""``hira-chat eval``: run every question of a split through engines and models, score, compare, report.

Variants are engines × temperatures:
- ``grounded``: the deterministic answer (temperature does not apply);
- ``model``: the model's own text from the retrieved facts, unguarded: what the model itself knows;
- ``guarded``: the model's text after the grounding check, falling back to the grounded answer (serving).
Items are appended to ``items.jsonl`` as they finish, so an interrupted run resumes where it stopped.
Model variants generate in batches of questions of similar prompt length (little padding per batch).
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hirachat.answer.engines import engine_prompt, guarded
from hirachat.answer.service import AskService
from hirachat.atomic import read_jsonl, write_json
from hirachat.config import Config
from hirachat.dataset.clean import stated
from hirachat.dataset.records import conversation
from hirachat.errors import HiraChatError
from hirachat.eval.metrics import key_numbers, score, summarize
from hirachat.paths import Workspace
from hirachat.query.model import Answer

ENGINES = ("grounded", "model", "guarded")


@dataclass(frozen=True)
class Variant:
    engine: str
    temperature: float | None

    @property
    def name(self) -> str:
        return self.engine if self.temperature is None else f"{self.engine}@t{self.temperature:g}"


def variants(engines: list[str], temperatures: list[float]) -> list[Variant]:
    out = []
    for e in engines:
        if e not in ENGINES:
            raise HiraChatError(f"unknown eval engine {e!r} (one of {', '.join(ENGINES)})")
        out += [Variant(e, None)] if e == "grounded" else [Variant(e, t) for t in temperatures]
    return out


class Runner:
    def __init__(self, cfg: Config, store_dir: Path, base_model: Path | None, adapter: Path | None) -> None:
        self.cfg = cfg
        self.svc = AskService(store_dir, cfg.inference, "grounded")
        self.base, self.adapter = base_model, adapter
        self._engine: Any = None
        self._plans: dict[str, tuple[Answer, str]] = {}

    def _model(self) -> Any:
        if self._engine is None:
            from hirachat.answer.engines import LocalEngine

            if self.base is None:
                raise HiraChatError(
                    "model variants need paths.base_model (and --adapter for a fine-tuned model)"
                )
            self._engine = LocalEngine(
                self.cfg.inference.model_copy(update={"adapter": self.adapter}), self.base
            )
        return self._engine

    def planned(self, rec: dict[str, Any]) -> tuple[Answer, str]:
        """A question's answer plan and model prompt (planned once, shared by every model variant)."""
        turns = conversation(rec)
        key = "\n".join(turns)
        if key not in self._plans:
            a = self.svc.plan_turns(turns)
            self._plans[key] = (a, engine_prompt(a))  # the prompt serving gives the model
        return self._plans[key]

    def by_length(self, recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Questions ordered by prompt length in tokens: batches of similar lengths carry little padding."""
        lengths = [
            len(ids) for ids in self._model().tokenizer([self.planned(r)[1] for r in recs])["input_ids"]
        ]
        return [recs[i] for i in sorted(range(len(recs)), key=lambda i: lengths[i])]

    def run_batch(self, v: Variant, recs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Answer a batch of questions: the grounded engine one by one, models in one batched generation."""
        if v.engine == "grounded":
            out = []
            for r in recs:
                t0 = time.perf_counter()
                ans = self.svc.plan_turns(conversation(r))
                text = self.svc.result(ans, self.svc.engine.write(ans), t0)["answer"]
                out.append(self._item(v, r, text, (time.perf_counter() - t0) * 1000, None, None, None))
            return out
        t0 = time.perf_counter()
        plans = [self.planned(r) for r in recs]
        generated, ttft = self._model().generate_batch([p for _, p in plans], v.temperature or 0.0)
        seconds = time.perf_counter() - t0
        tps = round(sum(n for _, n in generated) / seconds, 1) if seconds > 0 else None
        items = []
        for r, (a, _), (text, n) in zip(recs, plans, generated, strict=True):
            if v.engine == "guarded":
                text = guarded(text, a, "local", n).text  # the serving engine's gate
            items.append(self._item(v, r, text, seconds * 1000, ttft, n, tps))
        return items

    def _item(
        self,
        v: Variant,
        rec: dict[str, Any],
        text: str,
        latency: float,
        ttft: float | None,
        tokens: int | None,
        tps: float | None,
    ) -> dict[str, Any]:
        q, ref, meta = rec["instruction"], rec["output"], rec["metadata"]
        facts = [f["value"] for f in meta.get("facts", [])] + [d["value"] for d in meta.get("derived", [])]
        s = score(
            text, stated(rec), meta["qtype"] == "unanswerable", facts
        )  # the target's parts, not its text
        return {
            "id": meta["group_id"] + ":" + hashlib.sha1(q.encode("utf-8")).hexdigest()[:8],
            "variant": v.name,
            "question": q,
            "reference": ref,
            "answer": text,
            "qtype": meta["qtype"],
            "table": meta["table_id"],
            "unanswerable": meta["qtype"] == "unanswerable",
            "abstained": s.abstained,
            "numbers": [n.text for n in key_numbers(text)],
            "correct": s.correct,
            "hallucinated": s.hallucinated,
            "chrf": round(s.chrf, 4),
            "rouge_l": round(s.rouge_l, 4),
            "latency_ms": round(latency, 2),
            "ttft_ms": round(ttft, 2) if ttft is not None else None,
            "generated_tokens": tokens,
            "tokens_per_s": tps,
        }

    def close(self) -> None:
        self.svc.close()


def stratified(recs: list[dict[str, Any]], limit: int | None) -> list[dict[str, Any]]:
    """The first ``limit`` questions taken round-robin over question types (file order within a type)."""
    if not limit or limit >= len(recs):
        return recs
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in recs:
        by_type.setdefault(r["metadata"]["qtype"], []).append(r)
    out: list[dict[str, Any]] = []
    while len(out) < limit:
        for queue in by_type.values():
            if queue and len(out) < limit:
                out.append(queue.pop(0))
    return out


def bootstrap_diff(
    a: list[float], b: list[float], n: int = 1000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean of b - a over paired items, with a 95% bootstrap interval."""
    rng = random.Random(seed)
    diffs = [y - x for x, y in zip(a, b, strict=True)]
    if not diffs:
        return 0.0, 0.0, 0.0
    means = sorted(sum(rng.choice(diffs) for _ in diffs) / len(diffs) for _ in range(n))
    return sum(diffs) / len(diffs), means[int(0.025 * n)], means[int(0.975 * n) - 1]


def evaluate(
    cfg: Config,
    store_dir: Path,
    data: Path,
    out: Path,
    engines: list[str],
    temperatures: list[float],
    limit: int | None,
    base_model: Path | None,
    adapter: Path | None,
    progress: Callable[[int, int], None] | None = None,
    batch: int = 8,
) -> dict[str, Any]:
    """Run, resume, score and report; returns metrics.json's content. Models generate ``batch`` answers at once."""
    from hirachat.eval.report import write_report

    if not data.exists():
        raise HiraChatError(f"{data}: no question file; run `hira-chat data build` first")
    recs = stratified([r for r in read_jsonl(data) if r["metadata"]["qtype"] != "definition"], limit)
    vs = variants(engines, temperatures)
    out.mkdir(parents=True, exist_ok=True)
    items_path = out / "items.jsonl"
    done = {(i["variant"], i["question"]) for i in read_jsonl(items_path)} if items_path.exists() else set()
    runner = Runner(cfg, store_dir, base_model, adapter)
    total, finished = len(vs) * len(recs), len(done)
    try:
        with items_path.open("a", encoding="utf-8") as fh:
            for v in vs:
                todo = [r for r in recs if (v.name, r["instruction"]) not in done]
                if v.engine != "grounded":  # length-aware batches (the report does not depend on order)
                    todo = runner.by_length(todo)
                for k in range(0, len(todo), batch):
                    for item in runner.run_batch(v, todo[k : k + batch]):
                        fh.write(json.dumps(item, ensure_ascii=False) + "\n")
                        finished += 1
                    fh.flush()  # a batch is kept as soon as it is done: an interrupted run resumes here
                    if progress:
                        progress(finished, total)
    finally:
        runner.close()
    items = [i for i in read_jsonl(items_path) if i["variant"] in {v.name for v in vs}]
    metrics: dict[str, Any] = {
        "data": str(data),
        "n_questions": len(recs),
        "variants": {},
        "comparisons": [],
        "temperatures": temperatures,
        "human": human_ratings(cfg),
    }
    for v in vs:
        mine = [i for i in items if i["variant"] == v.name]
        metrics["variants"][v.name] = {
            "engine": v.engine,
            "temperature": v.temperature,
            "overall": summarize(mine),
            "by_qtype": {
                q: summarize([i for i in mine if i["qtype"] == q]) for q in sorted({i["qtype"] for i in mine})
            },
            "by_table": {
                t: summarize([i for i in mine if i["table"] == t]) for t in sorted({i["table"] for i in mine})
            },
        }
    base = vs[0].name
    by_q = {(i["variant"], i["question"]): i for i in items}
    for v in vs[1:]:
        qs = [
            r["instruction"]
            for r in recs
            if (base, r["instruction"]) in by_q and (v.name, r["instruction"]) in by_q
        ]
        for metric in ("correct", "hallucinated"):
            a = [float(bool(by_q[(base, q)][metric])) for q in qs]
            b = [float(bool(by_q[(v.name, q)][metric])) for q in qs]
            d, lo, hi = bootstrap_diff(a, b)
            metrics["comparisons"].append(
                {
                    "baseline": base,
                    "variant": v.name,
                    "metric": metric,
                    "n": len(qs),
                    "difference": round(d, 4),
                    "ci95": [round(lo, 4), round(hi, 4)],
                }
            )
    write_json(out / "metrics.json", metrics)
    write_report(metrics, items, out)
    return metrics


def human_ratings(cfg: Config) -> dict[str, Any] | None:
    """Expert ratings exported by the web app (JSONL under workspace/ratings/), summarised when present."""
    folder = Workspace.of(cfg.paths).ratings
    rows = [r for f in sorted(folder.glob("*.jsonl")) for r in read_jsonl(f)] if folder.is_dir() else []
    if not rows:
        return None
    scores = [float(r["score"]) for r in rows if r.get("score") is not None]
    return {
        "ratings": len(rows),
        "mean_score": round(sum(scores) / len(scores), 3) if scores else None,
        "hallucination_flags": sum(1 for r in rows if r.get("hallucination")),
        "factual_wrong": sum(1 for r in rows if r.get("factual") == "wrong"),
    }
