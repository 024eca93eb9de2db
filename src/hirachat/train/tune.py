"""``hira-chat tune``: an Optuna study over the one SFT recipe: resumable, memory-aware, within a budget.

The study lives in ``workspace/tune/<study>/study.db`` (SQLite): rerunning the command resumes it, and a
trial cut off by a kill is retried in the same run folder, from its last complete checkpoint. Trial runs
are ``workspace/models/tune/<study>/trial-NNNN/``. The first trial is the config's own settings (the
baseline the report compares against). The best trial's settings become ``best_config.yaml``; its adapter
is kept and the other trials' adapters and checkpoints are deleted.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from hirachat.atomic import exclusive, write_text
from hirachat.config import Config
from hirachat.errors import HiraChatError
from hirachat.paths import Workspace
from hirachat.train.tune_space import TuneSpace, cap_batch_sizes, defaults, load_space
from hirachat.train.tune_study import INTERRUPTED, best_trial, counted, expected_hours, gpu_hours
from hirachat.train.tune_trial import probe_batch_size, run_trial

OBJECTIVES = ("val_loss", "numeric_accuracy")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


@dataclass
class TuneOptions:
    trials: int = 20
    budget_hours: float | None = None
    space: Path | None = None
    objective: str = "val_loss"  # val_loss | numeric_accuracy
    study: str | None = None
    find_batch_size: bool = False
    first: list[dict[str, Any]] = field(default_factory=list)  # settings tried after the baseline (new study)


@dataclass
class TuneResult:
    folder: Path
    finished: int
    best_number: int | None = None
    best_value: float | None = None
    best_config: Path | None = None
    best_adapter: Path | None = None
    stopped_by_budget: bool = False
    reports: list[Path] = field(default_factory=list)


def _locked(folder: Path) -> AbstractContextManager[None]:
    """One process per study: a second one would take the first one's running trial for a dead one."""
    return exclusive(folder / ".lock", HiraChatError(f"{folder}: this study is being run by another process"))


def run_name(study_name: str, root: int) -> str:
    return f"tune/{study_name}/trial-{root:04d}"


def open_study(folder: Path, name: str, objective: str, space: TuneSpace) -> Any:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    db = folder / "study.db"
    url = f"sqlite:///{db}"
    if db.exists():
        for s in optuna.get_all_study_summaries(url, include_best_trial=False):
            was = s.user_attrs.get("objective")
            if s.study_name == name and was not in (None, objective):
                raise HiraChatError(
                    f"study {name!r} optimises {was}; use --objective {was} or another --study"
                )
    p = space.search
    return optuna.create_study(
        storage=url,
        study_name=name,
        direction="minimize" if objective == "val_loss" else "maximize",
        sampler=optuna.samplers.TPESampler(seed=p.seed, n_startup_trials=p.startup_trials),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=p.startup_trials, n_warmup_steps=p.warmup_evals),
        load_if_exists=True,
    )


def fix_space(
    study: Any, cfg: Config, ws: Workspace, space: TuneSpace, opts: TuneOptions, echo: Any
) -> TuneSpace:
    """A new study records its space (Optuna cannot change a parameter's choices later) and queues the
    config's own settings as its first trial; a resumed one checks the space it is given is the same."""
    attrs = study.user_attrs
    if "space" not in attrs:
        cap = probe_batch_size(cfg, ws, space, echo) if opts.find_batch_size else None
        space = cap_batch_sizes(space, cap) if cap else space
        base = defaults(cfg, space)
        for k, v in {
            "objective": opts.objective,
            "space": space.model_dump(mode="json"),
            "batch_size_cap": cap,
            "defaults": base,
            "default_config": cfg.model_dump(mode="json"),
        }.items():
            study.set_user_attr(k, v)
        study.enqueue_trial(base, user_attrs={"defaults": True})
        for params in opts.first:
            study.enqueue_trial(params)
        return space
    cap = attrs.get("batch_size_cap")
    space = cap_batch_sizes(space, cap) if cap else space
    now, was = space.model_dump(mode="json"), attrs["space"]
    if now != was:
        changed = sorted(k for k in set(now) | set(was) if now.get(k) != was.get(k))
        raise HiraChatError(
            f"study {study.study_name!r} was created with another search space (differs in: "
            f"{', '.join(changed)}); pass the space it was created with, or use --study NEW"
        )
    if opts.find_batch_size:
        echo(f"the study's batch sizes were fixed at its creation (largest that fits: {cap or 'not probed'})")
    return space


def recover(study: Any, ws: Workspace, echo: Callable[[str], None]) -> None:
    """Trials a killed process left running are marked interrupted and queued again with the same settings
    and run folder, so the retry resumes from the last complete checkpoint. The time the interrupted attempt
    trained (from its history file) counts against the budget."""
    import json

    import optuna
    from optuna.trial import TrialState

    from hirachat.train.tune_trial import gpu_count

    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        trial = optuna.trial.Trial(study, t._trial_id)
        trial.set_user_attr("reason", INTERRUPTED)
        history = ws.models / run_name(study.study_name, t.user_attrs.get("run_root", t.number))
        history = history / "training_history.json"
        if history.exists():
            h = json.loads(history.read_text(encoding="utf-8"))
            trial.set_user_attr("gpu_hours", float(h.get("train_seconds") or 0) * gpu_count() / 3600)
        study.tell(t.number, state=TrialState.FAIL)
        keep = {k: t.user_attrs[k] for k in ("run_root", "defaults") if k in t.user_attrs}
        study.enqueue_trial(t.params, user_attrs={**keep, "retry_of": t.number})
        echo(f"trial {t.number} was interrupted; it is retried from its last complete checkpoint")


def prune_disk(study: Any, ws: Workspace) -> None:
    """Keep the best trial's adapter; delete the checkpoints and adapters of every other finished run. A run
    folder whose latest attempt was interrupted keeps its checkpoints for the retry."""
    latest: dict[int, Any] = {}
    for t in study.get_trials(deepcopy=False):
        if "run_root" in t.user_attrs:
            latest[int(t.user_attrs["run_root"])] = t
    best = best_trial(study)
    best_root = None if best is None else best.user_attrs.get("run_root")
    for root, t in latest.items():
        if not counted(t):
            continue
        run = ws.models / run_name(study.study_name, root)
        keep = root == best_root
        for sub in ("checkpoints", "final_model", "merged_model", *(() if keep else ("best_model",))):
            shutil.rmtree(run / sub, ignore_errors=True)


def write_best_config(study: Any, folder: Path, cfg: Config) -> tuple[Path, Path] | None:
    """best_config.yaml: the best trial's full config (``hira-chat train -c`` accepts it), with its kept
    adapter as ``inference.adapter``. Returns (config file, adapter)."""
    best = best_trial(study)
    if best is None:
        return None
    tree = best.user_attrs["config"]
    adapter = Path(best.user_attrs["run_dir"]) / "best_model"
    tree["training"]["run_name"] = f"{cfg.training.run_name}-tuned"
    tree["training"]["merge"] = cfg.training.merge  # trials skip the merge; the real run does as configured
    tree["inference"]["adapter"] = str(adapter)
    Config.model_validate(tree)  # what we write must load
    path = folder / "best_config.yaml"
    header = (
        f"# hira-chat tune: study {study.study_name}, best of {len(study.trials)} trials: trial {best.number}, "
        f"{best.user_attrs.get('objective')} {best.value:.6g}\n# train with it: hira-chat train -c {path}\n"
    )
    write_text(path, header + yaml.safe_dump(tree, allow_unicode=True, sort_keys=False))
    return path, adapter


def tune(
    cfg: Config,
    ws: Workspace,
    opts: TuneOptions,
    echo: Callable[[str], None] = print,
    callbacks: Sequence[Any] = (),
) -> TuneResult:
    """Run (or resume) the study until it holds ``opts.trials`` finished trials or the next trial would pass
    the budget; then write best_config.yaml and the report. ``callbacks`` join every trial's Trainer."""
    from hirachat.train.tune_report import write_report

    if opts.objective not in OBJECTIVES:
        raise HiraChatError(f"objective {opts.objective!r}: use {' or '.join(OBJECTIVES)}")
    name = opts.study or cfg.training.run_name
    if not _NAME.match(name):
        raise HiraChatError(f"--study {name!r}: use letters, digits, '_', '.' or '-' (at most 64)")
    space = load_space(opts.space)
    folder = ws.tune / name
    folder.mkdir(parents=True, exist_ok=True)
    stopped = False
    with _locked(folder):
        study = open_study(folder, name, opts.objective, space)
        space = fix_space(study, cfg, ws, space, opts, echo)
        recover(study, ws, echo)
        while True:
            trials = study.get_trials(deepcopy=False)
            if sum(1 for t in trials if counted(t)) >= opts.trials:
                break
            if opts.budget_hours is not None:
                used, nxt = gpu_hours(trials), expected_hours(trials)
                if used + nxt > opts.budget_hours:
                    echo(
                        f"budget: {used:.3f} GPU-hours spent, next trial ~{nxt:.3f}, budget {opts.budget_hours}"
                    )
                    stopped = True
                    break
            trial = study.ask()
            root = int(trial.user_attrs.get("run_root", trial.number))
            trial.set_user_attr("run_root", root)
            trial.set_user_attr("objective", opts.objective)
            run_trial(study, trial, cfg, ws, space, run_name(name, root), callbacks, echo)
            prune_disk(study, ws)
        prune_disk(study, ws)
        best = write_best_config(study, folder, cfg)
        reports = write_report(study, folder, opts.budget_hours)
    finished = sum(1 for t in study.get_trials(deepcopy=False) if counted(t))
    result = TuneResult(folder, finished, stopped_by_budget=stopped, reports=reports)
    if best is not None:
        b = best_trial(study)
        result.best_number, result.best_value = b.number, b.value
        result.best_config, result.best_adapter = best
    return result
