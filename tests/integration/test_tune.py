"""``hira-chat tune`` on CPU with the tiny model: trials, pruning, OOM, resume after a kill, best config, report."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import optuna
import pytest
import torch
from transformers import TrainerCallback

from hirachat.atomic import read_jsonl
from hirachat.config import Config, load_config
from hirachat.errors import ConfigError, HiraChatError
from hirachat.paths import Workspace
from hirachat.train.recipe import train
from hirachat.train.tune import TuneOptions, TuneResult, tune
from hirachat.train.tune_space import PARAMS, defaults, load_space
from hirachat.train.tune_study import counted
from hirachat.train.tune_trial import largest_fitting, probe_batch_size
from training_data import tiny_training_workspace

REPO = Path(__file__).resolve().parents[2]
BASE = [
    "training.batch_size=4",
    "training.grad_accum=1",
    "training.learning_rate=2e-3",
    "training.max_length=256",
    "training.gradient_checkpointing=false",
    "training.logging_steps=2",
    "training.warmup_ratio=0.0",
    "training.max_steps=8",
    "training.eval_steps=4",
    "training.save_total_limit=5",
    "lora.r=8",
    "lora.alpha=16",
]
# every value the study's trials use is a choice: the test decides which trial tries what
SPACE = """
learning_rate: {choices: [2.0e-3, 1.0e-7, 3.0e-3, 1.0e-3]}
lora_r: {choices: [4, 8]}
lora_alpha_ratio: {choices: [1, 2]}
search: {seed: 3, startup_trials: 1, warmup_evals: 0, numeric_questions: 4}
"""
PRUNED = {"learning_rate": 1e-7, "lora_r": 8, "lora_alpha_ratio": 2.0}  # barely learns: worse than the median
BETTER = {"learning_rate": 3e-3, "lora_r": 8, "lora_alpha_ratio": 2.0}
OOM = {"learning_rate": 1e-3, "lora_r": 4, "lora_alpha_ratio": 1.0}
BASELINE = {"learning_rate": 2e-3, "lora_r": 8, "lora_alpha_ratio": 2.0}  # the config's own settings


class OutOfMemoryAt(TrainerCallback):
    """Stands in for the CUDA allocator (there is no GPU here): the trial with this learning rate raises
    torch.OutOfMemoryError at its first step, as a CUDA run that does not fit does."""

    def __init__(self, lr: float) -> None:
        self.lr = lr

    def on_step_begin(self, args: Any, state: Any, control: Any, **kw: Any) -> None:
        if args.learning_rate == self.lr:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 GiB")


@pytest.fixture(scope="module")
def setup(real_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A workspace with a small train/val slice of the real-data QA set and a tiny model trained on its texts."""
    root = tmp_path_factory.mktemp("tune")
    model = tiny_training_workspace(real_store, root)
    (root / "space.yaml").write_text(SPACE, encoding="utf-8")
    return root, model


def overrides(root: Path, model: Path, *extra: str) -> list[str]:
    return [f"paths.workspace={root / 'workspace'}", f"paths.base_model={model}", *BASE, *extra]


def cfg_for(root: Path, model: Path, *extra: str) -> tuple[Config, Workspace]:
    cfg = load_config(REPO / "config" / "config.yaml", overrides(root, model, *extra))
    return cfg, Workspace.of(cfg.paths).create()


def load(ws: Workspace, name: str) -> Any:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{ws.tune / name / 'study.db'}")


@pytest.fixture(scope="module")
def study(setup: tuple[Path, Path]) -> tuple[TuneResult, Workspace]:
    """Five trials: the config's own settings, one that barely learns, one better, one out of memory, and
    the config's settings again (not trained twice)."""
    root, model = setup
    cfg, ws = cfg_for(root, model)
    opts = TuneOptions(
        trials=5, space=root / "space.yaml", study="main", first=[PRUNED, BETTER, OOM, BASELINE]
    )
    return tune(cfg, ws, opts, echo=lambda _: None, callbacks=[OutOfMemoryAt(OOM["learning_rate"])]), ws


@pytest.mark.slow
def test_every_trial_is_recorded_poor_ones_pruned_oom_ones_skipped(
    study: tuple[TuneResult, Workspace],
) -> None:
    res, ws = study
    trials = load(ws, "main").trials
    assert [t.state.name for t in trials] == ["COMPLETE", "PRUNED", "COMPLETE", "FAIL", "COMPLETE"]
    base, pruned, better, oom, again = trials
    assert base.user_attrs["defaults"] and base.params == BASELINE
    assert again.user_attrs["duplicate_of"] == 0 and again.value == base.value
    assert again.user_attrs["gpu_hours"] == 0 and again.user_attrs["run_root"] == 0
    # pruned at its first validation, where it was worse than the median of the finished trials
    assert [s for s, _ in pruned.user_attrs["val_losses"]] == [1]
    assert pruned.intermediate_values[1] > base.intermediate_values[1]
    assert oom.user_attrs["reason"] == "oom" and "out of memory" in oom.user_attrs["error"]
    for t in (base, pruned, better, oom):
        a = t.user_attrs
        assert a["seconds"] > 0 and a["gpu_hours"] > 0 and a["peak_rss_mb"] > 0 and "peak_memory_mb" in a
        assert a["config"]["training"]["learning_rate"] == t.params["learning_rate"]
    assert [s for s, _ in base.user_attrs["val_losses"]] == [1, 2]  # every validation reported
    assert base.value == min(v for _, v in base.user_attrs["val_losses"])
    assert better.value < base.value and res.best_number == 2 and res.finished == 5


@pytest.mark.slow
def test_best_config_loads_and_trains_and_only_its_adapter_is_kept(
    setup: tuple[Path, Path], study: tuple[TuneResult, Workspace]
) -> None:
    res, ws = study
    assert res.best_config is not None and res.best_adapter is not None
    cfg = load_config(res.best_config)
    assert cfg.training.learning_rate == BETTER["learning_rate"] and cfg.lora.r == 8 and cfg.lora.alpha == 16
    assert cfg.inference.adapter == res.best_adapter
    assert (res.best_adapter / "adapter_model.safetensors").exists()
    runs = sorted((ws.models / "tune" / "main").iterdir())
    assert [r.name for r in runs] == ["trial-0000", "trial-0001", "trial-0002", "trial-0003"]
    assert [r.name for r in runs if (r / "best_model").exists()] == ["trial-0002"]
    assert not any((r / "checkpoints").exists() or (r / "final_model").exists() for r in runs)
    run = train(load_config(res.best_config, ["training.max_steps=2", "training.eval_steps=2"]), ws)
    assert (run.final / "adapter_model.safetensors").exists() and run.root.name == "solar-hira-lora-tuned"


@pytest.mark.slow
def test_report_in_korean_with_plots_importances_and_defaults(study: tuple[TuneResult, Workspace]) -> None:
    res, ws = study
    folder = ws.tune / "main"
    assert {folder / "report.md", folder / "report.html"} <= set(res.reports)
    md = (folder / "report.md").read_text(encoding="utf-8")
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "하이퍼파라미터 탐색 보고서" in md and "최적 설정과 기본 설정" in md and "가지치기" in md
    assert "| learning_rate | 0.002 | 0.003 |" in md  # the config's value against the best
    assert "| 3 | 실패 | oom |" in md
    assert "<img" in page and "기본값" in page and "lang='ko'" in page
    for png in ("trial_history.png", "val_loss_curves.png", "importances.png"):
        assert (folder / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "learning_rate:" in md.split("## 하이퍼파라미터 중요도")[1].split("##")[0]
    from matplotlib import font_manager

    if any(Path(f).stem == "NanumGothic" for f in font_manager.findSystemFonts()):  # fonts-nanum (CI has it)
        assert "(font: NanumGothic)" in md  # even when matplotlib's cached font list predates the font


@pytest.mark.slow
def test_budget_and_a_changed_space_or_objective(
    setup: tuple[Path, Path], study: tuple[TuneResult, Workspace], tmp_path: Path
) -> None:
    root, model = setup
    cfg, ws = cfg_for(root, model)
    said: list[str] = []
    res = tune(
        cfg,
        ws,
        TuneOptions(trials=10, budget_hours=1e-9, space=root / "space.yaml", study="main"),
        said.append,
    )
    assert res.stopped_by_budget and res.finished == 5 and len(load(ws, "main").trials) == 5
    assert any(s.startswith("budget:") for s in said)
    other = tmp_path / "other.yaml"
    other.write_text(
        SPACE.replace("lora_r: {choices: [4, 8]}", "lora_r: {choices: [4, 16]}"), encoding="utf-8"
    )
    with pytest.raises(HiraChatError, match=r"another search space \(differs in: lora_r\)"):
        tune(cfg, ws, TuneOptions(trials=5, space=other, study="main"))
    with pytest.raises(HiraChatError, match="optimises val_loss"):
        tune(
            cfg,
            ws,
            TuneOptions(trials=5, space=root / "space.yaml", study="main", objective="numeric_accuracy"),
        )


def tune_cli(root: Path, model: Path, space: Path, study: str) -> list[str]:
    sets = [x for o in overrides(root, model, "training.max_steps=12") for x in ("--set", o)]
    cmd = [sys.executable, "-m", "hirachat.cli", "tune", "-c", str(REPO / "config" / "config.yaml"), *sets]
    return [*cmd, "--trials", "2", "--space", str(space), "--study", study]


@pytest.mark.slow
def test_a_killed_study_resumes_and_retries_the_cut_trial_from_its_checkpoint(
    setup: tuple[Path, Path],
) -> None:
    root, model = setup
    space = root / "resume.yaml"  # a continuous learning rate: the sampled trial cannot repeat the baseline
    space.write_text("learning_rate: {low: 1.0e-3, high: 3.0e-3, log: true}\nsearch: {startup_trials: 10}\n")
    cmd = tune_cli(root, model, space, "killed")
    ws = Workspace(root / "workspace")
    ckpt = ws.models / "tune" / "killed" / "trial-0001" / "checkpoints" / "checkpoint-4" / "COMPLETE"
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 600
    while not ckpt.exists():
        assert proc.poll() is None and time.time() < deadline, "the study ended before it could be killed"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    before = load(ws, "killed").trials
    assert [t.state.name for t in before] == ["COMPLETE", "RUNNING"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "trial 1 was interrupted" in out.stdout
    after = load(ws, "killed").trials
    assert [t.state.name for t in after] == ["COMPLETE", "FAIL", "COMPLETE"]
    assert after[0].datetime_complete == before[0].datetime_complete  # the finished trial was not rerun
    assert after[1].user_attrs["reason"] == "interrupted" and after[1].user_attrs["gpu_hours"] > 0  # budgeted
    retry = after[2]
    assert (
        retry.params == after[1].params
        and retry.user_attrs["retry_of"] == 1
        and retry.user_attrs["run_root"] == 1
    )
    history = json.loads((ws.models / "tune" / "killed" / "trial-0001" / "training_history.json").read_text())
    assert history["resumed_at_step"] >= 4
    assert sum(1 for t in after if counted(t)) == 2
    assert (ws.tune / "killed" / "best_config.yaml").exists() and (
        ws.tune / "killed" / "report.html"
    ).exists()


@pytest.mark.slow
def test_numeric_accuracy_objective_scores_the_adapter_on_validation_questions(
    setup: tuple[Path, Path], real_store: Path
) -> None:
    root, model = setup
    cfg, ws = cfg_for(root, model, f"paths.store={real_store}", "inference.max_new_tokens=16")
    res = tune(
        cfg, ws, TuneOptions(trials=1, space=root / "space.yaml", study="acc", objective="numeric_accuracy")
    )
    s = load(ws, "acc")
    assert s.direction.name == "MAXIMIZE" and res.best_value is not None and 0.0 <= res.best_value <= 1.0
    items = read_jsonl(ws.models / "tune" / "acc" / "trial-0000" / "eval" / "items.jsonl")
    assert len(items) == 4 and all(i["variant"] == "model@t0" for i in items)
    assert s.trials[0].user_attrs["val_loss"] > 0  # the validation loss is kept beside the objective


def test_space_errors_name_the_key(tmp_path: Path) -> None:
    cases = {
        "lora_r: {choices: [0, 8]}\n": r"lora_r: .*at least 1",
        "learning_rate: {low: 1.0e-3, high: 1.0e-4}\n": r"learning_rate: .*low .* is above high",
        "learning_rate: {low: 1.0e-4}\n": r"learning_rate: .*give low and high",
        "lora_alpha_ratio: {choices: [0.1]}\n": r"lora_alpha_ratio: .*0\.25",
        "batch_sizes: {choices: [1]}\n": r"batch_sizes: unknown key",
        "search: {seeds: 1}\n": r"search\.seeds: unknown key",
        "target_modules: {choices: [all-linear, 3]}\n": r"target_modules",
    }
    for text, pattern in cases.items():
        path = tmp_path / "space.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=pattern):
            load_space(path)
    with pytest.raises(ConfigError, match="not found"):
        load_space(tmp_path / "missing.yaml")


def test_default_space_holds_the_config_settings_as_the_baseline() -> None:
    space = load_space()
    assert space.searched() == list(PARAMS)
    base = defaults(load_config(REPO / "config" / "config.yaml"), space)
    assert base == {
        "learning_rate": 2e-4,
        "lora_r": 16,
        "lora_alpha_ratio": 2.0,
        "lora_dropout": 0.05,
        "target_modules": "all-linear",
        "epochs": 10,
        "batch_size": 2,
        "grad_accum": 4,
        "max_length": 512,
    }


def test_batch_size_is_halved_until_a_step_fits() -> None:
    tried: list[int] = []

    def step(b: int) -> None:
        tried.append(b)
        if b > 3:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 8.00 GiB")

    assert largest_fitting(16, step) == 2 and tried == [16, 8, 4, 2]
    assert (
        largest_fitting(4, lambda b: (_ for _ in ()).throw(torch.OutOfMemoryError("out of memory"))) is None
    )

    def broken(b: int) -> None:
        raise ValueError("not a memory problem")

    with pytest.raises(ValueError):
        largest_fitting(4, broken)


def test_find_batch_size_on_cpu_says_so_and_changes_nothing(tmp_path: Path) -> None:
    said: list[str] = []
    cfg = load_config(REPO / "config" / "config.yaml", [f"paths.workspace={tmp_path}"])
    assert probe_batch_size(cfg, Workspace.of(cfg.paths), load_space(), said.append) is None
    assert said and "no CUDA GPU" in said[0]
