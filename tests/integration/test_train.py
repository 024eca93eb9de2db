"""Training on CPU with the tiny SOLAR-architecture model: the same recipe and loader SOLAR goes through."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from hirachat.atomic import read_jsonl
from hirachat.config import Config, load_config
from hirachat.errors import HiraChatError
from hirachat.model.load import (
    ModelDirError,
    load_model,
    load_tokenizer,
    prepare_for_training,
    verify_model_dir,
)
from hirachat.paths import Workspace
from hirachat.prompt import solar_prompt
from hirachat.train.data import load_split, to_prompt_completion
from hirachat.train.recipe import RunPaths, train
from training_data import tiny_training_workspace

REPO = Path(__file__).resolve().parents[2]
BASE = [
    "training.batch_size=4",
    "training.grad_accum=1",
    "training.learning_rate=2e-3",
    "training.max_length=256",
    "training.gradient_checkpointing=false",
    "training.logging_steps=2",
    "lora.r=8",
    "lora.alpha=16",
    "training.warmup_ratio=0.0",
]


@pytest.fixture(scope="module")
def setup(real_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A workspace with a small train/val slice of the real-data QA set and a tiny model trained on its texts."""
    root = tmp_path_factory.mktemp("train")
    return root, tiny_training_workspace(real_store, root)


def cfg_for(root: Path, model: Path, *extra: str) -> tuple[Config, Workspace]:
    cfg = load_config(
        REPO / "config" / "config.yaml",
        [f"paths.workspace={root / 'workspace'}", f"paths.base_model={model}", *BASE, *extra],
    )
    return cfg, Workspace.of(cfg.paths).create()


def test_loss_is_on_the_answer_tokens_only(setup: tuple[Path, Path]) -> None:
    from trl import SFTConfig, SFTTrainer

    root, model_dir = setup
    ds = load_split(root / "workspace" / "data" / "hira" / "cleaned", "train").select(range(4))
    tok = load_tokenizer(model_dir)
    args = SFTConfig(
        output_dir=str(root / "mask"), max_length=256, completion_only_loss=True, report_to=[], use_cpu=True
    )
    trainer = SFTTrainer(model=load_model(model_dir), args=args, train_dataset=ds, processing_class=tok)
    batch = trainer.data_collator([trainer.train_dataset[i] for i in range(4)])
    for i in range(4):
        labelled = batch["input_ids"][i][batch["labels"][i] != -100]
        assert tok.decode(labelled) == ds[i]["completion"] + tok.eos_token
        prompt_part = batch["input_ids"][i][: (batch["labels"][i] != -100).nonzero()[0]]
        assert tok.decode(prompt_part, skip_special_tokens=True) == ds[i]["prompt"]


def test_one_template_for_training_and_serving(setup: tuple[Path, Path]) -> None:
    root, model_dir = setup
    rec = next(
        r for r in read_jsonl(root / "workspace" / "data" / "hira" / "cleaned" / "train.jsonl") if r["input"]
    )
    pc = to_prompt_completion(rec)
    cards = rec["input"].split("\n")
    assert pc["prompt"] == solar_prompt(rec["instruction"], cards)
    assert pc["prompt"].startswith("### System:\n") and pc["prompt"].endswith("### Assistant:\n")
    assert pc["prompt"].index("[자료]") < pc["prompt"].index(rec["instruction"])
    tok = load_tokenizer(model_dir)
    text = pc["prompt"] + pc["completion"]
    assert tok.decode(tok(text)["input_ids"], skip_special_tokens=True) == text  # byte-level: lossless Korean


def test_packed_sequences_do_not_attend_to_each_other(setup: tuple[Path, Path]) -> None:
    _, model_dir = setup
    model = prepare_for_training(load_model(model_dir)).train()  # as the recipe trains it (dropout is 0)
    a = torch.randint(3, 1000, (1, 9))
    b = torch.randint(3, 1000, (1, 7))
    with torch.no_grad():
        alone = model(input_ids=a).logits
        packed = model(
            input_ids=torch.cat([b, a], dim=1),
            position_ids=torch.cat([torch.arange(7), torch.arange(9)]).unsqueeze(0),
        ).logits
    assert torch.allclose(alone[0], packed[0, 7:], atol=1e-5)


@pytest.fixture(scope="module")
def basic_run(setup: tuple[Path, Path]) -> RunPaths:
    """One short training run (24 steps, validation every 8, merged export) shared by the tests that read it."""
    root, model_dir = setup
    cfg, ws = cfg_for(
        root,
        model_dir,
        "training.max_steps=24",
        "training.eval_steps=8",
        "training.run_name=basic",
        "training.merge=true",
    )
    return train(cfg, ws)


def test_training_writes_best_final_history_and_plot(basic_run: RunPaths) -> None:
    run = basic_run
    h = json.loads(run.history.read_text(encoding="utf-8"))
    assert h["global_step"] == 24 and h["token_efficiency"] >= 0.99 and h["packing"]
    losses = [s["loss"] for s in h["steps"]]
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3  # the loss falls
    evals = [e["eval_loss"] for e in h["evals"]]
    assert len(evals) == 3 and evals[-1] < evals[0]
    assert all(s["tokens_per_s"] > 0 for s in h["steps"][1:]) and h["epochs"] is not None
    best = json.loads((run.best / "eval.json").read_text())
    assert best["eval_loss"] == min(evals)
    for folder in (run.best, run.final):
        assert (folder / "adapter_config.json").exists() and (folder / "adapter_model.safetensors").exists()
    assert run.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (run.merged / "config.json").exists() and not (run.merged / "adapter_config.json").exists()


def test_merged_and_unmerged_models_give_the_same_logits(
    setup: tuple[Path, Path], basic_run: RunPaths
) -> None:
    from peft import PeftModel

    _, model_dir = setup
    run = basic_run
    ids = load_tokenizer(model_dir)(solar_prompt("2019년 서울 내과 환자수는?"), return_tensors="pt")[
        "input_ids"
    ]
    with torch.no_grad():
        peft = PeftModel.from_pretrained(load_model(model_dir), str(run.final)).eval()
        merged = load_model(run.merged).eval()
        base = load_model(model_dir).eval()
        a, m, b = peft(input_ids=ids).logits, merged(input_ids=ids).logits, base(input_ids=ids).logits
    assert torch.allclose(a, m, atol=1e-4) and not torch.allclose(a, b, atol=1e-4)


def test_local_engine_answers_or_falls_back_never_unchecked(
    setup: tuple[Path, Path], basic_run: RunPaths, real_store: Path
) -> None:
    from hirachat.answer.service import AskService
    from hirachat.config import InferenceConfig
    from hirachat.grounding import missing_figures

    _, model_dir = setup
    adapter = basic_run.best
    cfg = InferenceConfig(engine="local", adapter=adapter, max_new_tokens=40)
    with AskService(real_store, cfg, base_model=model_dir) as svc:
        res = svc.ask("2019년 서울 내과 환자수는?")
        abstain = svc.ask("2031년 서울 내과 환자수는?")
    assert res["generated_tokens"] > 0  # the tiny model did write something
    if res["engine"] == "local":
        assert not missing_figures(res["answer"], "2,931,188명", [], [])
    else:
        assert res["engine"] == "grounded" and "grounding check" in res["fallback_reason"]
        assert "2,931,188명" in res["answer"]
    assert abstain["abstained"] and abstain["engine"] == "grounded" and "generated_tokens" not in abstain


def train_cli(root: Path, model: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "hirachat.cli",
        "train",
        "--config",
        str(REPO / "config" / "config.yaml"),
        *(
            arg
            for kv in (f"paths.workspace={root / 'workspace'}", f"paths.base_model={model}", *BASE, *extra)
            for arg in ("--set", kv)
        ),
    ]


@pytest.mark.slow
def test_resume_after_kill_ends_where_an_uninterrupted_run_ends(setup: tuple[Path, Path]) -> None:
    root, model_dir = setup
    common = ["training.max_steps=20", "training.eval_steps=5", "training.save_total_limit=5"]
    subprocess.run(
        train_cli(root, model_dir, *common, "training.run_name=straight"), check=True, capture_output=True
    )
    ckpts = root / "workspace" / "models" / "killed" / "checkpoints"
    proc = subprocess.Popen(
        train_cli(root, model_dir, *common, "training.run_name=killed"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.time() + 300
    while not (ckpts / "checkpoint-10" / "COMPLETE").exists():
        assert proc.poll() is None and time.time() < deadline, "the run ended before it could be killed"
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not (root / "workspace" / "models" / "killed" / "final_model").exists()
    subprocess.run(
        train_cli(root, model_dir, *common, "training.run_name=killed"), check=True, capture_output=True
    )
    straight = json.loads((root / "workspace/models/straight/final_model/run.json").read_text())
    resumed = json.loads((root / "workspace/models/killed/final_model/run.json").read_text())
    assert resumed["global_step"] == straight["global_step"] == 20
    assert resumed["lora_sha256"] == straight["lora_sha256"]
    hist = json.loads((root / "workspace/models/killed/training_history.json").read_text())
    assert hist["resumed_at_step"] >= 10 and hist["steps"][0]["step"] == 1


def test_a_half_written_checkpoint_is_never_loaded(tmp_path: Path) -> None:
    from hirachat.train.callbacks import COMPLETE, last_complete_checkpoint

    for step, done in ((5, True), (10, True), (15, False)):
        (tmp_path / f"checkpoint-{step}").mkdir()
        if done:
            (tmp_path / f"checkpoint-{step}" / COMPLETE).write_text(str(step))
    assert last_complete_checkpoint(tmp_path) == tmp_path / "checkpoint-10"
    assert (tmp_path / "incomplete-checkpoint-15").is_dir()


def test_nan_loss_stops_with_a_clear_error_and_keeps_the_last_good_checkpoint(
    setup: tuple[Path, Path],
) -> None:
    import shutil

    from safetensors.torch import load_file, save_file

    from hirachat.model.manifest import write_manifest

    root, model_dir = setup
    cfg, ws = cfg_for(
        root, model_dir, "training.max_steps=4", "training.eval_steps=4", "training.run_name=nan"
    )
    train(cfg, ws)  # four good steps, checkpoint-4 complete
    broken = root / "nan-base"
    shutil.copytree(model_dir, broken)
    weights = load_file(broken / "model.safetensors")
    weights["model.norm.weight"] = torch.full_like(weights["model.norm.weight"], float("nan"))
    save_file(weights, broken / "model.safetensors", metadata={"format": "pt"})
    write_manifest(broken)  # changed on purpose: recorded again, or loading refuses the folder
    cfg, ws = cfg_for(
        root,
        broken,
        "training.max_steps=8",
        "training.eval_steps=4",
        "training.run_name=nan",
        "training.logging_steps=1",
    )
    ckpts = root / "workspace" / "models" / "nan" / "checkpoints"
    with pytest.raises(HiraChatError, match=r"NaN/inf at step 5.*checkpoint-4"):
        train(cfg, ws)
    assert (ckpts / "checkpoint-4" / "COMPLETE").exists() and not (ckpts / "checkpoint-8").exists()


@pytest.mark.slow
def test_two_process_ddp_keeps_lora_weights_identical(setup: tuple[Path, Path]) -> None:
    root, model_dir = setup
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [
        str(torchrun),
        "--nproc-per-node",
        "2",
        "--master-port",
        "29533",
        "-m",
        "hirachat.cli",
        "train",
        *train_cli(root, model_dir, "training.max_steps=6", "training.eval_steps=3", "training.run_name=ddp")[
            4:
        ],
    ]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    assert out.returncode == 0, out.stderr[-3000:]
    ranks = [json.loads((root / "workspace/models/ddp/ddp" / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert ranks[0]["lora_sha256"] == ranks[1]["lora_sha256"]
    hist = json.loads((root / "workspace/models/ddp/training_history.json").read_text())
    assert hist["world_size"] == 2


def test_model_directory_errors_name_what_is_missing(setup: tuple[Path, Path], tmp_path: Path) -> None:
    _, model_dir = setup
    with pytest.raises(ModelDirError, match="model directory not found"):
        verify_model_dir(tmp_path / "nope")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ModelDirError, match=r"config\.json.*tokenizer.*tokenizer_config\.json.*weights"):
        verify_model_dir(empty)
    sharded = tmp_path / "sharded"
    sharded.mkdir()
    for f in ("config.json", "tokenizer.json", "tokenizer_config.json"):
        (sharded / f).write_bytes((model_dir / f).read_bytes())
    (sharded / "model.safetensors.index.json").write_text(
        json.dumps(
            {"weight_map": {"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}
        )
    )
    (sharded / "model-00001-of-00002.safetensors").write_bytes(b"x")
    with pytest.raises(ModelDirError, match=r"weight shard model-00002-of-00002\.safetensors"):
        verify_model_dir(sharded)
    (sharded / "config.json").write_text("{broken")
    with pytest.raises(ModelDirError, match="not valid JSON"):
        verify_model_dir(sharded)
    assert verify_model_dir(model_dir) is None


def test_cpu_cannot_do_qlora(setup: tuple[Path, Path]) -> None:
    _, model_dir = setup
    with pytest.raises(ModelDirError, match="needs a CUDA GPU"):
        load_model(model_dir, qlora_4bit=True)
