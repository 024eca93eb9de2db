"""QA records → prompt/completion pairs in the one prompt format (``hirachat.prompt``).

The prompt is SOLAR's instruct template; a record with fact cards in its ``input`` becomes the
retrieval-style variant. TRL computes the loss on the completion only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hirachat.atomic import read_jsonl
from hirachat.dataset.records import conversation
from hirachat.errors import HiraChatError
from hirachat.prompt import solar_prompt


def to_prompt_completion(rec: dict[str, Any]) -> dict[str, str]:
    if len(conversation(rec)) > 1:  # a follow-up: the question it follows, then its own
        return {
            "prompt": solar_prompt(f"{rec['input']}\n{rec['instruction']}", None),
            "completion": rec["output"],
        }
    cards = [c for c in rec["input"].split("\n") if c.strip()] if rec.get("input") else None
    return {"prompt": solar_prompt(rec["instruction"], cards), "completion": rec["output"]}


def load_split(folder: Path, name: str) -> Any:
    from datasets import Dataset

    path = folder / f"{name}.jsonl"
    if not path.exists():
        raise HiraChatError(f"{path}: no {name} split; run `hira-chat data build` first")
    rows = [to_prompt_completion(r) for r in read_jsonl(path)]
    if not rows:
        raise HiraChatError(f"{path}: the {name} split is empty")
    return Dataset.from_list(rows)
