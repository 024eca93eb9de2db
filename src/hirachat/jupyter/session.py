"""Notebook sessions: parameters become a config and workspace (as on the command line), the tiny stand-in
that runs both notebooks on a CPU in a minute (CI, laptops), and the model and LoRA facts the first cells show.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hirachat.config import Config
from hirachat.errors import HiraChatError
from hirachat.paths import Workspace, store_path

TINY_MODEL = Path("models/tiny-solar-nb")  # under the workspace, apart from the quickstart's tiny-solar
# A few optimizer steps on a small dataset: every stage runs for real, nothing is learnt. Given before the
# user's overrides, which win.
TINY_SET = [
    f"paths.base_model={TINY_MODEL}",
    "data.build.pairs_per_type=10",
    "training.run_name=tiny-notebook",
    "training.max_steps=8",
    "training.eval_steps=4",
    "training.batch_size=4",
    "training.grad_accum=1",
    "training.learning_rate=2e-3",
    "training.max_length=256",
    "training.warmup_ratio=0",
    "training.gradient_checkpointing=false",
    "training.logging_steps=2",
    "lora.r=8",
    "lora.alpha=16",
    "inference.max_new_tokens=32",
]
TINY_EVAL_LIMIT = 12  # questions per evaluation in tiny mode (round-robin over question types)


def split_list(text: str) -> list[str]:
    """The items of a parameter string, separated by ';' or new lines; blank items dropped."""
    return [s.strip() for line in text.splitlines() for s in line.split(";") if s.strip()]


def project_root(start: Path | None = None) -> Path:
    """Where ``hira-chat`` is run from: the nearest folder, from ``start`` (the notebook's) up, holding
    config/config.yaml; ``start`` itself when there is none."""
    here = (start or Path.cwd()).resolve()
    return next((p for p in (here, *here.parents) if (p / "config" / "config.yaml").is_file()), here)


def setup(config: str, overrides: str, tiny: bool = False) -> tuple[Config, Workspace]:
    """The config and workspace ``hira-chat`` would use, from the project root, so that relative paths in the
    config (workspace, model folders) mean what they mean on the command line. ``overrides`` win."""
    from hirachat.runtime import prepare

    os.chdir(project_root())
    return prepare(Path(config) if config else None, [*(TINY_SET if tiny else []), *split_list(overrides)])


def input_files(files: str, ws: Workspace, tiny: bool) -> list[Path]:
    """What the data step ingests: the FILES parameter; in tiny mode the synthetic samples; nothing when the
    facts store already holds data (the dataset is then rebuilt from it)."""
    named = [Path(f).expanduser() for f in split_list(files)]
    if named:
        return named
    if tiny:
        from hirachat.data.synthetic import write_samples

        return write_samples(ws.samples)
    if store_path(ws.store_dir).exists():
        return []
    raise HiraChatError(
        f"{ws.store_dir}: the facts store is empty; set FILES (HIRACHAT_NB_FILES) to your HIRA downloads"
    )


def ensure_tiny_model(cfg: Config, ws: Workspace) -> Path:
    """The tiny SOLAR-architecture model at ``paths.base_model``, built from the dataset's texts when missing."""
    from hirachat.model.tiny import build_tiny, dataset_texts

    base = ws.resolve(cfg.paths.base_model)
    if not (base / "config.json").exists():
        build_tiny(base, dataset_texts([ws.cleaned / "train.jsonl"]), vocab_size=2000, hidden=64, layers=2)
    return base


def ensure_tiny_workspace(cfg: Config, ws: Workspace) -> Path:
    """Tiny mode without the training notebook run first: samples → store → dataset → tiny model, as needed."""
    from hirachat.data.ingest import ingest
    from hirachat.data.synthetic import write_samples
    from hirachat.dataset.build import build_dataset

    if not store_path(ws.store_dir).exists():
        ingest(write_samples(ws.samples), ws.store_dir, cfg.data, ws.raw)
    if not (ws.cleaned / "test.jsonl").exists():
        build_dataset(ws.store_dir, ws.cleaned, cfg.data)
    return ensure_tiny_model(cfg, ws)


def find_adapter(cfg: Config, ws: Workspace, given: str = "") -> Path | None:
    """The LoRA adapter to load: the ADAPTER parameter, else ``inference.adapter``, else this config's training
    run (best_model/, then final_model/); None answers with the base model alone."""
    if given:
        return Path(given).expanduser().resolve()
    if cfg.inference.adapter is not None:
        return ws.resolve(cfg.inference.adapter)
    run = ws.models / cfg.training.run_name
    return next(
        (d for d in (run / "best_model", run / "final_model") if (d / "adapter_config.json").exists()), None
    )


def example_questions(ws: Workspace) -> list[str]:
    """A few test questions of different types and one the data cannot answer (the quickstart's choice)."""
    from hirachat.quickstart import demo_questions

    test = ws.cleaned / "test.jsonl"
    return (
        demo_questions(test) if test.exists() else ["2019년 서울 내과 환자수는?", "2023년 MRI 검사 건수는?"]
    )


def eval_dir(ws: Workspace, kind: str, files: list[Path], note: str = "") -> Path:
    """An evaluation folder named after what it scores (the question file, adapter weights, ``note``): a rerun
    with the same inputs resumes it, a new dataset or adapter gets a fresh one."""
    import hashlib

    from hirachat.data.ingest import sha256_file

    key = "\n".join([note, *(sha256_file(f) for f in files)])
    return ws.eval / f"notebook-{kind}-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:10]}"


def _meta_model(base: Path) -> Any:
    """The model's structure without its weights (meta device): counts cost no memory and no load time."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from hirachat.model.load import offline, verify_model_dir

    verify_model_dir(base)
    offline()
    with torch.device("meta"):
        return AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(str(base), local_files_only=True))


def model_facts(base: Path) -> dict[str, Any]:
    """Architecture and parameter count of the base model, and the memory its weights take here."""
    import torch

    from hirachat.model.load import pick_dtype

    model = _meta_model(base)
    c = model.config
    n = sum(p.numel() for p in model.parameters())
    dtype = pick_dtype()
    size = torch.empty(0, dtype=dtype).element_size()
    return {
        "folder": str(base),
        "architecture": ", ".join(c.architectures or [type(model).__name__]),
        "layers": c.num_hidden_layers,
        "hidden size": c.hidden_size,
        "attention heads (key-value heads)": f"{c.num_attention_heads} ({c.num_key_value_heads})",
        "vocabulary": c.vocab_size,
        "parameters": f"{n:,} ({n / 1e9:.3f} B)",
        "dtype here": str(dtype).removeprefix("torch."),
        "weights in memory": f"{n * size / 2**30:.2f} GiB",
    }


def lora_facts(cfg: Config, base: Path) -> dict[str, Any]:
    """The ``lora`` section as the recipe applies it, with the trainable share it gives this base model."""
    from peft import get_peft_model

    from hirachat.train.recipe import lora_config

    trainable, total = get_peft_model(_meta_model(base), lora_config(cfg)).get_nb_trainable_parameters()
    t = cfg.training
    return {
        **cfg.lora.model_dump(mode="json"),
        "trainable parameters": f"{trainable:,} ({100 * trainable / total:.3f}% of {total:,})",
        "effective batch (per GPU, per step)": t.batch_size * t.grad_accum,
        "learning rate": t.learning_rate,
        "epochs (max steps)": f"{t.epochs} ({t.max_steps})",
        "max length": t.max_length,
        "packing": t.packing,
    }
