"""Augmentation: more phrasings of the same paraphrase group, with query, facts and provenance kept.

New questions are rendered from the group's slots with templates it has not used yet, so an
augmented pair stays in its group (and therefore in its split) and its answer is unchanged.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path

from hirachat.atomic import read_jsonl, write_jsonl
from hirachat.dataset.generate import questions
from hirachat.dataset.records import QARecord


def augment(records: list[QARecord], factor: int, seed: int) -> list[QARecord]:
    """The new records only (``factor`` more phrasings per group where templates allow)."""
    groups: dict[str, list[QARecord]] = defaultdict(list)
    for r in records:
        groups[r["metadata"]["group_id"]].append(r)
    added: list[QARecord] = []
    for gid, recs in groups.items():
        rng = random.Random(f"{seed}:{gid}")
        have = {r["instruction"] for r in recs}
        base = recs[0]
        meta = base["metadata"]
        for q in questions(meta["qtype"], meta["slots"], rng, factor, avoid=have):
            added.append(
                {
                    "instruction": q,
                    "input": base["input"],
                    "output": base["output"],
                    "metadata": {**meta, "augmented": True},
                }
            )
    return added


def augment_file(src: Path, dst: Path, factor: int, seed: int) -> tuple[int, int]:
    from hirachat.dataset.clean import dedup_key

    records: list[QARecord] = read_jsonl(src)  # type: ignore[assignment]
    seen = {dedup_key(r) for r in records}
    new = [r for r in augment(records, factor, seed) if dedup_key(r) not in seen]
    write_jsonl(dst, [*records, *new])
    return len(new), len(records) + len(new)
