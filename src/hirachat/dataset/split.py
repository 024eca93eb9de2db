"""Deterministic train/val/test split with no leakage.

Unit of assignment: a table's partition value (e.g. one 주상병코드, or one 시도+시군구). Every group of a
table is built inside one partition value, so assigning partition values to splits keeps both facts
and paraphrase groups disjoint. Partition values are ordered by a seeded hash and cut by the ratios
per table, which stratifies by table; question types spread evenly because every partition value
yields every type. Groups without facts (unanswerable, definitions) are assigned by their group id.
Held-out tables and years go whole to test; a group that mixes held-out and other years is dropped.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from typing import Any

from hirachat.config import SplitConfig
from hirachat.dataset.records import QARecord

SPLITS = ("train", "val", "test")


def _h(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode("utf-8")).hexdigest()


def _cut(keys: list[str], ratios: tuple[float, float, float], seed: int, salt: str) -> dict[str, str]:
    order = sorted(set(keys), key=lambda k: _h(seed, salt, k))
    n = len(order)
    n_val = round(n * ratios[1])
    n_test = round(n * ratios[2])
    if n >= 3:  # every split gets at least one unit when it can
        n_val, n_test = max(n_val, 1 if ratios[1] > 0 else 0), max(n_test, 1 if ratios[2] > 0 else 0)
    out = {}
    for i, k in enumerate(order):
        out[k] = "test" if i < n_test else "val" if i < n_test + n_val else "train"
    return out


def _years(rec: QARecord) -> set[int]:
    return {int(f["dims"]["진료년도"]) for f in rec["metadata"].get("facts", []) if "진료년도" in f["dims"]}


def assign(records: list[QARecord], cfg: SplitConfig) -> tuple[dict[str, list[QARecord]], list[QARecord]]:
    """Split records; returns ({split: records}, dropped records)."""
    by_table: dict[str, list[QARecord]] = defaultdict(list)
    for r in records:
        by_table[r["metadata"]["table_id"]].append(r)
    out: dict[str, list[QARecord]] = {s: [] for s in SPLITS}
    dropped: list[QARecord] = []
    hold_years = set(cfg.holdout_years)
    for table, recs in sorted(by_table.items()):
        if table in cfg.holdout_tables:
            out["test"] += recs
            continue
        part_keys = [r["metadata"]["partition"] for r in recs if r["metadata"].get("partition") is not None]
        by_part = _cut(part_keys, cfg.ratios, cfg.seed, table) if cfg.strict_facts else {}
        by_group = _cut([r["metadata"]["group_id"] for r in recs], cfg.ratios, cfg.seed, table + "#g")
        for r in recs:
            years = _years(r)
            if hold_years and years:
                if years <= hold_years:
                    out["test"].append(r)
                    continue
                if years & hold_years:
                    dropped.append(r)
                    continue
            p = r["metadata"].get("partition")
            split = by_part[p] if cfg.strict_facts and p is not None else by_group[r["metadata"]["group_id"]]
            out[split].append(r)
    if hold_years:  # a train/val fact must not reappear in a held-out test group, and vice versa
        test_facts = {f["fact_id"] for r in out["test"] for f in r["metadata"].get("facts", [])}
        for s in ("train", "val"):
            keep = []
            for r in out[s]:
                if any(f["fact_id"] in test_facts for f in r["metadata"].get("facts", [])):
                    dropped.append(r)
                else:
                    keep.append(r)
            out[s] = keep
        _strip_crossing_context(out)
    for s in SPLITS:
        for r in out[s]:
            r["metadata"]["split"] = s
    return out, dropped


def _answer_facts(recs: list[QARecord]) -> set[str]:
    return {f["fact_id"] for r in recs for f in r["metadata"].get("facts", [])}


def _strip_crossing_context(out: dict[str, list[QARecord]]) -> None:
    """Held-out years cut partitions across splits: context cards from another split become plain QA."""
    for s in SPLITS:
        others = set().union(*(_answer_facts(out[o]) for o in SPLITS if o != s))
        others |= {
            i for o in SPLITS if o != s for r in out[o] for i in r["metadata"].get("context_facts", [])
        }
        for r in out[s]:
            if others.intersection(r["metadata"].get("context_facts", [])):
                r["input"] = ""
                r["metadata"] = {k: v for k, v in r["metadata"].items() if k != "context_facts"}


def leakage(splits: dict[str, list[QARecord]]) -> dict[str, Any]:
    """Facts and paraphrase groups found in more than one split (all zero when the split is sound)."""
    facts = {  # facts an answer uses and facts shown as context cards in its input
        s: {f["fact_id"] for r in rs for f in r["metadata"].get("facts", [])}
        | {i for r in rs for i in r["metadata"].get("context_facts", [])}
        for s, rs in splits.items()
    }
    groups = {s: {r["metadata"]["group_id"] for r in rs} for s, rs in splits.items()}
    out: dict[str, Any] = {}
    for i, a in enumerate(SPLITS):
        for b in SPLITS[i + 1 :]:
            out[f"facts_{a}_{b}"] = len(facts.get(a, set()) & facts.get(b, set()))
            out[f"groups_{a}_{b}"] = len(groups.get(a, set()) & groups.get(b, set()))
    return out
