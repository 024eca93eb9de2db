"""The small training set the training and tuning tests share (a helper module, not a conftest: two conftest
modules cannot both be imported by name)."""

from __future__ import annotations

from pathlib import Path

from hirachat.config import DataConfig


def tiny_training_workspace(real_store: Path, root: Path) -> Path:
    """Under ``root``: workspace/ with a small train/val/test slice of the real-data QA set, and a tiny
    SOLAR-architecture model (returned) whose tokenizer is trained on its texts."""
    from hirachat.atomic import read_jsonl, write_jsonl
    from hirachat.dataset.build import build_dataset
    from hirachat.model.tiny import build_tiny, dataset_texts

    c = DataConfig()
    c.build.pairs_per_type = 12
    build_dataset(real_store, root / "full", c)
    data = root / "workspace" / "data" / "hira" / "cleaned"
    for split, n in (("train", 160), ("val", 24), ("test", 24)):
        write_jsonl(data / f"{split}.jsonl", read_jsonl(root / "full" / f"{split}.jsonl")[:n])
    return build_tiny(
        root / "tiny", dataset_texts([data / "train.jsonl"]), vocab_size=1500, hidden=64, layers=2
    )
