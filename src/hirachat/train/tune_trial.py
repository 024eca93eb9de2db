"""One trial of ``hira-chat tune``: the recipe on a trial's config, pruning, OOM, memory, and the batch probe.

A trial is one call of ``recipe.train`` (no loop of our own) with a callback that reports each validation
loss to Optuna and stops the run when the pruner says so. Out-of-memory and NaN runs are recorded as failed
trials with a reason; anything else unexpected stops the study.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable, Sequence
from typing import Any, Literal

from transformers import TrainerCallback

from hirachat.config import Config
from hirachat.errors import ConfigError, HiraChatError
from hirachat.paths import Workspace
from hirachat.train.tune_space import TuneSpace, apply, suggest

Objective = Literal["val_loss", "numeric_accuracy"]


class PruningCallback(TrainerCallback):
    """Reports every validation loss to the Optuna trial; stops the run when the pruner says so.

    The step reported is the validation's index (the epoch, or global step / eval_steps): trials with
    different batch sizes are compared after the same data. A maximised objective gets the negated loss
    (the pruner compares in the study's direction)."""

    def __init__(self, trial: Any, sign: float, losses: list[list[float]] | None = None) -> None:
        self.trial, self.sign = trial, sign
        self.pruned = False
        self.losses: list[list[float]] = list(losses or [])

    def on_evaluate(
        self, args: Any, state: Any, control: Any, metrics: dict[str, float] | None = None, **kw: Any
    ) -> None:
        loss = (metrics or {}).get("eval_loss")
        if loss is None:
            return
        by_steps = str(getattr(args.eval_strategy, "value", args.eval_strategy)) == "steps"
        step = int(state.global_step // args.eval_steps if by_steps else round(state.epoch or 0))
        self.losses = [x for x in self.losses if x[0] != step] + [[step, float(loss)]]
        self.trial.set_user_attr("val_losses", self.losses)
        self.trial.report(self.sign * float(loss), step)
        if self.trial.should_prune():
            self.pruned = True
            control.should_training_stop = True
            control.should_save = False  # no checkpoint of a run that is thrown away


def is_oom(exc: BaseException) -> bool:
    """CUDA out of memory (torch.OutOfMemoryError, or the older RuntimeError), or a failed CPU allocation."""
    import torch

    text = str(exc)
    return isinstance(exc, torch.OutOfMemoryError) or (
        isinstance(exc, RuntimeError) and ("out of memory" in text or "can't allocate memory" in text)
    )


def free_memory() -> None:
    import torch

    gc.collect()
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def gpu_count() -> int:
    """GPUs a trial occupies: GPU-hours are wall hours × this (on CPU, plain hours)."""
    import torch

    return max(1, torch.cuda.device_count()) if torch.cuda.is_available() else 1


def peak_memory() -> dict[str, float | None]:
    """Peak GPU memory of this trial; the process's peak resident memory (the only one the OS keeps)."""
    import resource

    import torch

    cuda = round(torch.cuda.max_memory_allocated() / 2**20, 1) if torch.cuda.is_available() else None
    rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return {"peak_memory_mb": cuda, "peak_rss_mb": rss}


def objective_value(objective: Objective, tcfg: Config, ws: Workspace, run: Any, space: TuneSpace) -> float:
    """The lowest validation loss (the kept adapter's), or that adapter's numeric exact accuracy on
    validation questions (the model's own answers, greedy)."""
    marker = run.best / "eval.json"
    if not marker.exists():
        raise HiraChatError(
            "the trial ran no validation (max_steps ended it before an epoch did): set training.eval_steps"
        )
    if objective == "val_loss":
        return float(json.loads(marker.read_text(encoding="utf-8"))["eval_loss"])
    from hirachat.eval.run import evaluate

    data = tcfg.training.data_dir or ws.cleaned
    metrics = evaluate(
        tcfg,
        ws.store_dir,
        data / "val.jsonl",
        run.root / "eval",
        ["model"],
        [0.0],
        space.search.numeric_questions,
        ws.resolve(tcfg.paths.base_model),
        run.best,
    )
    return float(next(iter(metrics["variants"].values()))["overall"].get("numeric_accuracy") or 0.0)


def run_trial(
    study: Any,
    trial: Any,
    cfg: Config,
    ws: Workspace,
    space: TuneSpace,
    run_name: str,
    callbacks: Sequence[Any],
    echo: Callable[[str], None],
) -> None:
    """Train one trial's settings into ``models/<run_name>`` and tell the study how it went."""
    import torch
    from optuna.trial import TrialState

    from hirachat.train.recipe import train

    finished = (TrialState.COMPLETE, TrialState.PRUNED)
    objective: Objective = trial.user_attrs["objective"]
    params = suggest(trial, space)
    twin = next(
        (
            t
            for t in study.get_trials(deepcopy=False, states=finished)
            if t.params == params and t.number != trial.number
        ),
        None,
    )
    if twin is not None:  # same settings, same seed: the same run; the GPU is not spent twice
        for k in ("config", "run_dir", "run_root", "val_loss", "val_losses"):
            if k in twin.user_attrs:
                trial.set_user_attr(k, twin.user_attrs[k])
        trial.set_user_attr("duplicate_of", twin.number)
        trial.set_user_attr("gpu_hours", 0.0)
        study.tell(trial, twin.value if twin.state == TrialState.COMPLETE else None, state=twin.state)
        echo(f"trial {trial.number}: same settings as trial {twin.number}, its result reused {params}")
        return
    retry_of = trial.user_attrs.get("retry_of")
    if retry_of is not None:  # the interrupted attempt's validations count for the pruner too
        old = study.get_trials(deepcopy=False)[retry_of]
        for step, v in old.intermediate_values.items():
            trial.report(v, step)
        trial.set_user_attr("val_losses", old.user_attrs.get("val_losses", []))
    try:
        tcfg = apply(cfg, params, run_name)
    except ConfigError as exc:
        trial.set_user_attr("reason", "invalid")
        trial.set_user_attr("error", str(exc))
        study.tell(trial, state=TrialState.FAIL)
        echo(f"trial {trial.number}: invalid settings, skipped: {exc}")
        return
    trial.set_user_attr("config", tcfg.model_dump(mode="json"))
    trial.set_user_attr("run_dir", str(ws.models / run_name))
    pruning = PruningCallback(
        trial, 1.0 if objective == "val_loss" else -1.0, trial.user_attrs.get("val_losses")
    )
    if torch.cuda.is_available():
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    failure: tuple[str, str] | None = None
    value = 0.0
    try:
        run = train(tcfg, ws, callbacks=[pruning, *callbacks])
        if not pruning.pruned:
            value = objective_value(objective, tcfg, ws, run, space)
    except Exception as exc:
        if is_oom(exc):
            failure = ("oom", str(exc)[:500])
        elif isinstance(exc, HiraChatError):
            failure = ("nan" if "NaN" in str(exc) else "error", str(exc)[:500])
        else:
            trial.set_user_attr("reason", "crash")
            trial.set_user_attr("error", repr(exc)[:500])
            study.tell(trial, state=TrialState.FAIL)
            raise
    seconds = time.perf_counter() - t0
    free_memory()  # outside the except block: no traceback holds the model any more
    trial.set_user_attr("seconds", round(seconds, 2))
    trial.set_user_attr("gpu_hours", seconds * gpu_count() / 3600)
    for k, m in peak_memory().items():
        trial.set_user_attr(k, m)
    if pruning.losses:
        trial.set_user_attr("val_loss", min(v for _, v in pruning.losses))
    if failure is not None:
        trial.set_user_attr("reason", failure[0])
        trial.set_user_attr("error", failure[1])
        study.tell(trial, state=TrialState.FAIL)
        echo(f"trial {trial.number}: failed ({failure[0]}): {failure[1][:200]}")
    elif pruning.pruned:
        study.tell(trial, state=TrialState.PRUNED)
        echo(f"trial {trial.number}: pruned after {len(pruning.losses)} validations {params}")
    else:
        study.tell(trial, value)
        echo(f"trial {trial.number}: {objective} {value:.4f} in {seconds:.0f} s {params}")


def largest_fitting(largest: int, step: Callable[[int], None]) -> int | None:
    """Halve the batch from ``largest`` until ``step(batch)`` runs without running out of memory."""
    b = largest
    while b >= 1:
        fits = True
        try:
            step(b)
        except Exception as exc:
            if not is_oom(exc):
                raise
            fits = False
        free_memory()
        if fits:
            return b
        b //= 2
    return None


def probe_batch_size(cfg: Config, ws: Workspace, space: TuneSpace, echo: Callable[[str], None]) -> int | None:
    """The largest batch size (halving from the space's largest) whose forward and backward step fits at
    the space's longest max_length and largest rank; None on CPU, or when a micro-batch is one packed bin
    whatever the batch size."""
    import torch

    sizes = space.batch_size.values() if space.batch_size else [cfg.training.batch_size]
    if not torch.cuda.is_available():
        echo("--find-batch-size: no CUDA GPU here; the batch sizes stay as the space declares them")
        return None
    length = max(space.max_length.values()) if space.max_length else cfg.training.max_length
    rank = max(space.lora_r.values()) if space.lora_r else cfg.lora.r
    probe = apply(cfg, {"lora_r": rank, "lora_alpha_ratio": 1.0, "max_length": length}, "probe")
    found = _largest_on_gpu(probe, ws, max(sizes), echo)
    free_memory()  # the probe's model is gone once _largest_on_gpu has returned
    if found is not None:
        echo(f"--find-batch-size: batch {found} fits at max_length {length} (r {rank}); larger ones dropped")
    return found


def _largest_on_gpu(probe: Config, ws: Workspace, largest: int, echo: Callable[[str], None]) -> int | None:
    import torch
    from peft import get_peft_model

    from hirachat.model.load import load_model, prepare_for_training
    from hirachat.train.recipe import lora_config

    t = probe.training
    base = load_model(
        ws.resolve(probe.paths.base_model),
        qlora_4bit=probe.lora.qlora_4bit,
        gradient_checkpointing=t.gradient_checkpointing,
    )
    if t.packing and "flash" not in str(base.config._attn_implementation):
        echo("--find-batch-size: without FlashAttention a packed micro-batch is one bin; batch size is free")
        return None
    model = get_peft_model(prepare_for_training(base), lora_config(probe))
    if not probe.lora.qlora_4bit:
        model.to("cuda")
    vocab, length = int(model.config.vocab_size), t.max_length

    def step(b: int) -> None:
        # packed: b bins flattened into one row, positions restarting per bin (what the collator feeds)
        shape = (1, b * length) if t.packing else (b, length)
        ids = torch.randint(3, vocab, shape, device="cuda")
        pos = torch.arange(length, device="cuda").repeat(b).unsqueeze(0) if t.packing else None
        model(input_ids=ids, position_ids=pos, labels=ids).loss.backward()
        model.zero_grad(set_to_none=True)

    found = largest_fitting(largest, step)
    if found is None:
        raise HiraChatError(
            f"batch size 1 does not fit at max_length {length}; lower max_length or use QLoRA"
        )
    return found
