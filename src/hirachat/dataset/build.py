"""``data build``: generate → clean → split → (augment train) → write files, stats and a manifest.

Output folder: ``train.jsonl``, ``val.jsonl``, ``test.jsonl``, ``quarantine.jsonl`` (every rejected pair
with its reason), ``stats.json`` and ``stats.md`` (counts by type, table and split, lengths, what was
quarantined, leakage check), and ``manifest.json`` written last, so a folder with a manifest is complete.
"""

from __future__ import annotations

import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hirachat.atomic import write_json, write_jsonl, write_text
from hirachat.config import DataConfig
from hirachat.data.store import FactStore
from hirachat.dataset.augment import augment
from hirachat.dataset.clean import clean, dedup_key
from hirachat.dataset.generate import generate
from hirachat.dataset.records import QARecord
from hirachat.dataset.split import SPLITS, assign, leakage
from hirachat.errors import HiraChatError


@dataclass
class BuildResult:
    out: Path
    stats: dict[str, Any]

    def describe(self) -> str:
        s = self.stats
        lines = [f"dataset written to {self.out}"]
        for name in SPLITS:
            lines.append(
                f"  {name}.jsonl: {s['splits'][name]['pairs']:,} pairs, {s['splits'][name]['groups']:,} groups"
            )
        lines.append(
            f"  generated {s['generated']:,}; quarantined {s['quarantined']:,} "
            f"({', '.join(f'{k} {v}' for k, v in s['clean'].items()) or 'none'}); dropped by holdout {s['dropped_holdout']:,}"
        )
        lines.append(f"  leakage across splits: {sum(s['leakage'].values())} (facts and groups)")
        lines.append(f"  stats: {self.out / 'stats.md'}")
        return "\n".join(lines)


def _lengths(recs: list[QARecord], key: str) -> dict[str, float]:
    vals = sorted(len(r[key]) for r in recs)  # type: ignore[literal-required]
    if not vals:
        return {}
    return {
        "min": vals[0],
        "mean": round(statistics.fmean(vals), 1),
        "p95": vals[int(0.95 * (len(vals) - 1))],
        "max": vals[-1],
    }


def _stats(
    generated: int, splits: dict[str, list[QARecord]], cleaned: Any, dropped: int, seconds: float
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "generated": generated,
        "quarantined": len(cleaned.quarantined),
        "clean": dict(cleaned.counts),
        "dropped_holdout": dropped,
        "seconds": round(seconds, 2),
    }
    out["splits"] = {
        s: {
            "pairs": len(rs),
            "groups": len({r["metadata"]["group_id"] for r in rs}),
            "by_type": dict(Counter(r["metadata"]["qtype"] for r in rs).most_common()),
            "by_table": dict(Counter(r["metadata"]["table_id"] for r in rs).most_common()),
            "augmented": sum(1 for r in rs if r["metadata"].get("augmented")),
        }
        for s, rs in splits.items()
    }
    everything = [r for rs in splits.values() for r in rs]
    out["lengths"] = {
        "instruction": _lengths(everything, "instruction"),
        "output": _lengths(everything, "output"),
    }
    out["quarantine_reasons"] = dict(
        Counter(q["reason"].split(" '")[0] for q in cleaned.quarantined).most_common(20)
    )
    out["leakage"] = leakage(splits)
    return out


def _markdown(st: dict[str, Any]) -> str:
    types = sorted({t for s in st["splits"].values() for t in s["by_type"]})
    tables = sorted({t for s in st["splits"].values() for t in s["by_table"]})

    def by(key: str, title: str, label: str, rows: list[str]) -> list[str]:
        head = [
            f"## {title}",
            "",
            f"| {label} | " + " | ".join(SPLITS) + " |",
            "|---|" + "---|" * len(SPLITS),
        ]
        return head + [
            f"| {r} | " + " | ".join(str(st["splits"][s][key].get(r, 0)) for s in SPLITS) + " |" for r in rows
        ]

    md = [
        "# QA dataset statistics",
        "",
        f"Generated {st['generated']:,} pairs in {st['seconds']} s; "
        f"quarantined {st['quarantined']:,}; dropped by holdout {st['dropped_holdout']:,}.",
        "",
        *by("by_type", "Pairs by question type", "type", types),
        "",
        *by("by_table", "Pairs by table", "table", tables),
    ]
    md += ["", "## Lengths (characters)", "", "| field | min | mean | p95 | max |", "|---|---|---|---|---|"]
    md += [
        f"| {k} | {v.get('min')} | {v.get('mean')} | {v.get('p95')} | {v.get('max')} |"
        for k, v in st["lengths"].items()
    ]
    md += ["", "## Cleaning", ""] + [f"- {k}: {v}" for k, v in st["clean"].items()] or ["- nothing removed"]
    md += ["", "## Quarantine reasons", ""] + [f"- {k}: {v}" for k, v in st["quarantine_reasons"].items()]
    md += ["", "## Leakage check (must be all zero)", ""] + [f"- {k}: {v}" for k, v in st["leakage"].items()]
    return "\n".join(md) + "\n"


def build_dataset(store_dir: Path, out: Path, cfg: DataConfig) -> BuildResult:
    t0 = time.perf_counter()
    b = cfg.build
    with FactStore.open(store_dir, read_only=True) as store:
        if not store.tables():
            raise HiraChatError(f"{store.path}: the store has no tables; ingest files first")
        records = list(generate(store, b))
    cleaned = clean(records, cfg.clean)
    splits, dropped = assign(cleaned.kept, cfg.split)
    if b.augment:
        seen = {dedup_key(r) for rs in splits.values() for r in rs}
        extra = clean(
            [r for r in augment(splits["train"], b.augment, b.seed) if dedup_key(r) not in seen], cfg.clean
        )
        for r in extra.kept:
            r["metadata"]["split"] = "train"
        splits["train"] += extra.kept
        cleaned.quarantined += extra.quarantined
    leaks = leakage(splits)
    if any(leaks.values()):
        raise HiraChatError(f"internal error: leakage across splits {leaks}; nothing written")
    out.mkdir(parents=True, exist_ok=True)
    (out / "manifest.json").unlink(missing_ok=True)
    for name in SPLITS:
        write_jsonl(out / f"{name}.jsonl", splits[name])
    write_jsonl(
        out / "quarantine.jsonl",
        cleaned.quarantined
        + [{"reason": "mixes held-out and other years", "kind": "holdout", "record": r} for r in dropped],
    )
    st = _stats(len(records), splits, cleaned, len(dropped), time.perf_counter() - t0)
    write_json(out / "stats.json", st)
    write_text(out / "stats.md", _markdown(st))
    write_json(
        out / "manifest.json",
        {
            "store": str(store_dir),
            "config": cfg.model_dump(mode="json"),
            "files": [f"{s}.jsonl" for s in SPLITS],
            "pairs": {s: len(splits[s]) for s in SPLITS},
        },
    )
    return BuildResult(out, st)
