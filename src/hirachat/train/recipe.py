"""The fine-tuning recipe, top to bottom: data → base model → LoRA → TRL SFT → best, final, history, plot.

One YAML section (``training`` and ``lora``) drives it; ``key=value`` overrides change any field. The same
code trains SOLAR-10.7B on GPUs and the tiny stand-in on a laptop CPU. Multi-GPU: launch this same
command with ``torchrun`` or ``accelerate launch`` (see docs/training.md); the Trainer sets up DDP.
Run again after an interruption and it resumes from the last complete checkpoint.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hirachat.atomic import write_json
from hirachat.config import Config
from hirachat.errors import HiraChatError
from hirachat.model.load import load_model, load_tokenizer, prepare_for_training, verify_model_dir
from hirachat.model.manifest import write_manifest
from hirachat.paths import Workspace
from hirachat.train import callbacks as cb
from hirachat.train.data import load_split


@dataclass
class RunPaths:
    root: Path

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def best(self) -> Path:
        return self.root / "best_model"

    @property
    def final(self) -> Path:
        return self.root / "final_model"

    @property
    def merged(self) -> Path:
        return self.root / "merged_model"

    @property
    def history(self) -> Path:
        return self.root / "training_history.json"

    @property
    def plot(self) -> Path:
        return self.root / "loss_curve.png"


def micro_batches(cfg: Config, flash: bool) -> tuple[int, int]:
    """(per-device batch, accumulation). Packed bins are flattened into one row per micro-batch; only
    FlashAttention's varlen kernel keeps attention per sequence there. Without it (CPU, SDPA) the row's
    attention grows with the square of its length, so feed one bin per micro-step and accumulate the rest:
    the same bins per optimizer step, at linear cost."""
    t = cfg.training
    if t.packing and not flash:
        return 1, t.batch_size * t.grad_accum
    return t.batch_size, t.grad_accum


def sft_config(cfg: Config, run: RunPaths, use_cpu: bool, flash: bool = False) -> Any:
    import torch
    from trl import SFTConfig

    t = cfg.training
    batch, accum = micro_batches(cfg, flash)
    bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
    by_steps = t.eval_steps is not None
    return SFTConfig(
        output_dir=str(run.checkpoints),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        per_device_train_batch_size=batch,
        per_device_eval_batch_size=batch,
        gradient_accumulation_steps=accum,
        learning_rate=t.learning_rate,
        warmup_steps=t.warmup_ratio,  # a float below 1 is a ratio of the total steps
        lr_scheduler_type="cosine",
        max_length=t.max_length,
        packing=t.packing,  # best-fit decreasing bins, flattened: no token of padding is computed
        packing_strategy="bfd",
        pad_to_multiple_of=None if t.packing else t.max_length,
        completion_only_loss=True,
        eval_strategy="steps" if by_steps else "epoch",
        eval_steps=t.eval_steps,
        save_strategy="steps" if by_steps else "epoch",
        save_steps=t.eval_steps or 500,
        save_total_limit=t.save_total_limit,
        logging_steps=t.logging_steps,
        logging_first_step=True,
        logging_nan_inf_filter=False,  # a NaN loss must show, not be averaged away
        include_num_input_tokens_seen="all",
        bf16=bf16,
        gradient_checkpointing=t.gradient_checkpointing,
        gradient_checkpointing_kwargs={"use_reentrant": False} if t.gradient_checkpointing else None,
        seed=t.seed,
        data_seed=t.seed,
        report_to=["tensorboard"] if t.tensorboard else [],
        use_cpu=use_cpu,
        ddp_find_unused_parameters=False,
        disable_tqdm=False,
        dataset_num_proc=None,
    )


def lora_config(cfg: Config) -> Any:
    from peft import LoraConfig

    lo = cfg.lora
    return LoraConfig(
        r=lo.r,
        lora_alpha=lo.alpha,
        lora_dropout=lo.dropout,
        target_modules=lo.target_modules,
        bias="none",
        task_type="CAUSAL_LM",
    )


def lora_digest(model: Any) -> str:
    """A hash of every LoRA weight: equal on all ranks after a correct DDP run."""
    h = hashlib.sha256()
    for name, p in sorted(model.named_parameters()):
        if "lora_" in name:
            h.update(name.encode())
            h.update(p.detach().float().cpu().numpy().tobytes())
    return h.hexdigest()


def train(cfg: Config, ws: Workspace, callbacks: Sequence[Any] = ()) -> RunPaths:
    """Fine-tune ``paths.base_model`` on the QA dataset; returns where the run's files are.

    ``callbacks``: extra TrainerCallbacks that observe the run (``hira-chat tune`` reports and prunes
    through one)."""
    import torch
    from trl import SFTTrainer

    run = RunPaths(ws.models / cfg.training.run_name)
    run.root.mkdir(parents=True, exist_ok=True)
    base = ws.resolve(cfg.paths.base_model)
    verify_model_dir(base)
    data = cfg.training.data_dir or ws.cleaned
    train_ds, val_ds = load_split(data, "train"), load_split(data, "val")

    tokenizer = load_tokenizer(base)
    model = prepare_for_training(
        load_model(
            base, qlora_4bit=cfg.lora.qlora_4bit, gradient_checkpointing=cfg.training.gradient_checkpointing
        )
    )
    use_cpu = not torch.cuda.is_available()
    guard = cb.NanGuard()
    trainer = SFTTrainer(
        model=model,
        args=sft_config(cfg, run, use_cpu, flash="flash" in str(model.config._attn_implementation)),
        train_dataset=train_ds,
        eval_dataset=val_ds,
        processing_class=tokenizer,
        peft_config=lora_config(cfg),
    )
    prepared: Any = trainer.train_dataset
    real = int(sum(len(x) for x in prepared["input_ids"]))
    meta = {
        "base_model": str(base),
        "data": str(data),
        "train_pairs": len(train_ds),
        "val_pairs": len(val_ds),
        "real_tokens_per_epoch": real,
        "packing": cfg.training.packing,
        "config": cfg.model_dump(mode="json"),
        "world_size": int(os.environ.get("WORLD_SIZE", "1")),
        "attention": str(model.config._attn_implementation),
        "micro_batch": trainer.args.per_device_train_batch_size,
        "grad_accum": trainer.args.gradient_accumulation_steps,
        "device": "cuda" if not use_cpu else "cpu",
    }
    for c in (
        cb.HistoryCallback(run.history, real, meta),
        cb.BestModelCallback(run.best, cfg.training.early_stopping_patience),
        guard,
        cb.CheckpointMarker(),
        *callbacks,
    ):
        trainer.add_callback(c)
    resume = cb.last_complete_checkpoint(run.checkpoints)
    trainer.train(resume_from_checkpoint=str(resume) if resume else None)
    if guard.bad_step is not None:
        last = cb.last_complete_checkpoint(run.checkpoints)
        raise HiraChatError(
            f"loss became NaN/inf at step {guard.bad_step}; training stopped. "
            f"Last good checkpoint: {last or 'none'}. Lower training.learning_rate and rerun."
        )
    rank = int(os.environ.get("RANK", "0"))
    tuned: Any = trainer.model
    digest = lora_digest(tuned)
    if int(os.environ.get("WORLD_SIZE", "1")) > 1:
        write_json(run.root / "ddp" / f"rank{rank}.json", {"rank": rank, "lora_sha256": digest})
    if trainer.is_world_process_zero():
        tuned.save_pretrained(run.final)
        tokenizer.save_pretrained(run.final)
        write_json(
            run.final / "run.json",
            {"base_model": str(base), "global_step": trainer.state.global_step, "lora_sha256": digest},
        )
        if cfg.training.merge:
            merge_adapter(base, run.final, run.merged)
        plot_history(run.history, run.plot)
    return run


def merge_adapter(base: Path, adapter: Path, out: Path) -> Path:
    """Merge a LoRA adapter into its base and save a standalone model (loadable without PEFT)."""
    from peft import PeftModel

    model = PeftModel.from_pretrained(load_model(base), str(adapter), local_files_only=True)
    merged = model.merge_and_unload()
    tmp = out.with_name(out.name + ".tmp")
    merged.save_pretrained(tmp, safe_serialization=True)
    load_tokenizer(base).save_pretrained(tmp)
    write_manifest(tmp)  # last: loading the merged model checks its files against it
    if out.exists():
        import shutil

        shutil.rmtree(out)
    tmp.rename(out)
    return out


def plot_history(history: Path, png: Path) -> Path:
    """Loss curves (train and validation); Korean labels when a Korean font is installed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    h = json.loads(history.read_text(encoding="utf-8"))
    korean = next(
        (f.name for f in font_manager.fontManager.ttflist if "Nanum" in f.name or "Noto Sans CJK" in f.name),
        None,
    )
    if korean:
        plt.rcParams["font.family"] = korean
    labels = (
        ("학습 손실", "검증 손실", "스텝", "손실", "학습 곡선")
        if korean
        else ("train loss", "validation loss", "step", "loss", "training curve")
    )
    fig, ax = plt.subplots(figsize=(7, 4), dpi=120)
    ax.plot([s["step"] for s in h["steps"]], [s["loss"] for s in h["steps"]], label=labels[0])
    if h["evals"]:
        ax.plot([e["step"] for e in h["evals"]], [e["eval_loss"] for e in h["evals"]], "o-", label=labels[1])
    ax.set_xlabel(labels[2])
    ax.set_ylabel(labels[3])
    ax.set_title(labels[4])
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    tmp = png.with_name(png.stem + ".tmp.png")
    fig.savefig(tmp)
    plt.close(fig)
    tmp.replace(png)
    return png
