"""Training callbacks: history and throughput, best model, early stopping, NaN guard, checkpoint markers.

They observe the Trainer's loop (no loop of our own). Only rank 0 writes files.
"""

from __future__ import annotations

import math
import shutil
import time
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from hirachat.atomic import write_json

COMPLETE = "COMPLETE"  # written into a checkpoint folder once the Trainer has finished saving it


class HistoryCallback(TrainerCallback):
    """training_history.json: step losses, eval losses, lr, tokens/s, token efficiency, epoch times, memory."""

    def __init__(self, path: Path, real_tokens_per_epoch: int, extra: dict[str, Any]) -> None:
        self.path = path
        self.real_per_epoch = real_tokens_per_epoch
        self.h: dict[str, Any] = {**extra, "steps": [], "evals": [], "epochs": []}
        self._epoch_start = time.perf_counter()
        self._t0 = time.perf_counter()
        self._last = (time.perf_counter(), 0)

    def on_train_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if self.path.exists():  # resumed: keep what was recorded before the interruption
            import json

            old = json.loads(self.path.read_text(encoding="utf-8"))
            self.h.update({k: old.get(k, []) for k in ("steps", "evals", "epochs")})
            self.h["resumed_at_step"] = state.global_step
        self._last = (time.perf_counter(), state.num_input_tokens_seen)

    def on_epoch_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        self.h["epochs"].append(
            {
                "epoch": round(state.epoch or 0, 4),
                "seconds": round(time.perf_counter() - self._epoch_start, 3),
            }
        )

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        import torch

        logs = logs or {}
        now, seen = time.perf_counter(), state.num_input_tokens_seen
        if "loss" in logs:
            dt = max(now - self._last[0], 1e-9)
            self.h["steps"].append(
                {
                    "step": state.global_step,
                    "epoch": round(state.epoch or 0, 4),
                    "loss": logs["loss"],
                    "lr": logs.get("learning_rate"),
                    "grad_norm": logs.get("grad_norm"),
                    "tokens_per_s": round((seen - self._last[1]) / dt, 1),
                    "peak_memory_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1)
                    if torch.cuda.is_available()
                    else None,
                }
            )
            self._last = (now, seen)
        if "eval_loss" in logs:
            self.h["evals"].append(
                {
                    "step": state.global_step,
                    "epoch": round(state.epoch or 0, 4),
                    "eval_loss": logs["eval_loss"],
                }
            )
        self._summary(state)
        if state.is_world_process_zero:
            write_json(self.path, self.h)

    def _summary(self, state: Any) -> None:
        seen = state.num_input_tokens_seen
        real = self.real_per_epoch * (state.epoch or 0)
        self.h["processed_tokens"] = seen
        self.h["token_efficiency"] = round(min(1.0, real / seen), 4) if seen else None
        self.h["train_seconds"] = round(time.perf_counter() - self._t0, 2)

    def on_train_end(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        import torch

        self._summary(state)
        self.h["global_step"] = state.global_step
        self.h["peak_memory_mb"] = (
            round(torch.cuda.max_memory_allocated() / 2**20, 1) if torch.cuda.is_available() else None
        )
        if state.is_world_process_zero:
            write_json(self.path, self.h)


class BestModelCallback(TrainerCallback):
    """Keeps ``best_model/`` (lowest validation loss) and stops after ``patience`` evaluations without gain."""

    def __init__(self, folder: Path, patience: int) -> None:
        self.folder = folder
        self.patience = patience
        self.best = math.inf
        self.bad = 0
        marker = folder / "eval.json"
        if marker.exists():  # resumed run: remember the best so far
            import json

            self.best = json.loads(marker.read_text(encoding="utf-8"))["eval_loss"]

    def on_evaluate(
        self,
        args: Any,
        state: Any,
        control: Any,
        metrics: dict[str, float] | None = None,
        model: Any = None,
        **kw: Any,
    ) -> None:
        loss = (metrics or {}).get("eval_loss")
        if loss is None:
            return
        if loss < self.best:
            self.best, self.bad = loss, 0
            if state.is_world_process_zero and model is not None:
                tmp = self.folder.with_name(self.folder.name + ".tmp")
                shutil.rmtree(tmp, ignore_errors=True)
                model.save_pretrained(tmp)
                kw["processing_class"].save_pretrained(tmp) if kw.get("processing_class") else None
                write_json(
                    tmp / "eval.json", {"eval_loss": loss, "step": state.global_step, "epoch": state.epoch}
                )
                shutil.rmtree(self.folder, ignore_errors=True)
                tmp.rename(self.folder)
        else:
            self.bad += 1
            if self.patience and self.bad >= self.patience:
                control.should_training_stop = True


class NanGuard(TrainerCallback):
    """A NaN or infinite loss stops the run before anything is saved from it.

    A non-finite loss makes the update non-finite, so the trainable (LoRA) weights are checked after every
    optimizer step, before the Trainer logs, evaluates or saves; a non-finite logged loss also stops it.
    """

    def __init__(self) -> None:
        self.bad_step: int | None = None

    def _stop(self, state: Any, control: Any) -> None:
        self.bad_step = self.bad_step or state.global_step
        control.should_training_stop = True
        control.should_save = False
        control.should_evaluate = False

    def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **kw: Any) -> None:
        import torch

        if model is not None and any(
            not torch.isfinite(p).all() for p in model.parameters() if p.requires_grad
        ):
            self._stop(state, control)

    def on_log(
        self, args: Any, state: Any, control: Any, logs: dict[str, Any] | None = None, **kw: Any
    ) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self._stop(state, control)


class CheckpointMarker(TrainerCallback):
    """Marks a checkpoint complete after the Trainer saved it; resume ignores unmarked (half-written) ones."""

    def on_save(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if state.is_world_process_zero:
            ckpt = Path(args.output_dir) / f"checkpoint-{state.global_step}"
            if ckpt.is_dir():
                (ckpt / COMPLETE).write_text(str(state.global_step), encoding="utf-8")


def last_complete_checkpoint(folder: Path) -> Path | None:
    """The newest checkpoint with its marker; half-written ones are renamed aside (kept, never loaded)."""
    if not folder.is_dir():
        return None
    ckpts = sorted(
        (p for p in folder.glob("checkpoint-*") if p.is_dir()), key=lambda p: int(p.name.split("-")[1])
    )
    for p in ckpts:
        if not (p / COMPLETE).exists():
            p.rename(p.with_name("incomplete-" + p.name))
    done = [p for p in ckpts if (p / COMPLETE).exists()]
    return done[-1] if done else None
