"""``hira-chat doctor`` on this machine (CPU only, no SOLAR), and the model checks on a real tiny model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from hirachat.config import load_config
from hirachat.data.store import FactStore
from hirachat.model.load import load_model
from hirachat.model.manifest import MANIFEST, ManifestError
from hirachat.model.tiny import build_tiny
from hirachat.ops.checks import Report
from hirachat.ops.doctor import run_doctor

TEXTS = [
    "2023년 서울 내과 환자수는 1,234명입니다.",
    "### User:\n부산 외과 진료비는?",
    "출처: 건강보험심사평가원",
] * 20


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real (tiny) SOLAR-architecture model folder, written with its manifest."""
    return build_tiny(tmp_path_factory.mktemp("m") / "tiny", TEXTS, vocab_size=300, hidden=32, layers=1)


@pytest.fixture(scope="module")
def mpl_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh matplotlib cache: its font list is built from the fonts installed now (a cache built before
    fonts-nanum was installed would hide NanumGothic; the doctor reports that case on its own)."""
    return tmp_path_factory.mktemp("mpl")


def doctor(cwd: Path, mpl: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MPLCONFIGDIR": str(mpl)}
    return subprocess.run(
        [sys.executable, "-m", "hirachat.cli", "doctor", "-c", os.devnull, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def rows(report: Report | dict) -> dict[str, dict]:
    checks = report.as_dict()["checks"] if isinstance(report, Report) else report["checks"]
    return {c["name"]: c for c in checks}


def run(tmp_path: Path, *overrides: str, full: bool = False) -> Report:
    return run_doctor(load_config(None, [f"paths.workspace={tmp_path / 'ws'}", *overrides]), full=full)


@pytest.mark.slow  # a fresh process (torch, the font list) or the tiny model's build
def test_doctor_json_on_this_machine_fails_on_a_missing_model_the_config_uses(
    tmp_path: Path, mpl_dir: Path
) -> None:
    missing = tmp_path / "models" / "SOLAR-10.7B-v1.0"
    r = doctor(
        tmp_path, mpl_dir, "--json", "--set", "inference.engine=local", "--set", f"paths.base_model={missing}"
    )
    assert r.returncode == 1, r.stderr
    report = json.loads(r.stdout)
    assert report["ok"] is False and report["counts"]["fail"] >= 1
    by = rows(report)
    assert by["model"]["status"] == "fail" and str(missing) in by["model"]["value"]
    assert f"hira-chat model manifest {missing} --verify" in by["model"]["fix"]
    assert by["python"]["status"] == "ok" and by["packages"]["status"] == "ok"
    assert by["torch"]["status"] == "ok" and "2." in by["torch"]["value"]
    assert by["fonts"]["status"] == "ok" and "NanumGothic" in by["fonts"]["value"]
    assert by["workspace"]["status"] == "ok"
    assert by["store"]["status"] == "warn" and "hira-chat data ingest" in by["store"]["fix"]
    if not torch.cuda.is_available():
        assert by["gpu"]["status"] == "warn" and "no CUDA GPU" in by["gpu"]["value"] and by["gpu"]["fix"]
    for c in report["checks"]:
        assert c["status"] == "ok" or c["fix"], c  # every line that is not ok says what to do


@pytest.mark.slow  # a fresh process (torch, the font list) or the tiny model's build
def test_doctor_table_with_the_default_config_is_ready(tmp_path: Path, mpl_dir: Path) -> None:
    r = doctor(tmp_path, mpl_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.splitlines()
    assert any(line.startswith("WARN  model ") and "not found" in line for line in lines)
    assert any(line.startswith("OK    fonts ") for line in lines)
    assert any("→ hira-chat quickstart" in line for line in lines)  # a fix, under its row
    assert lines[-1].endswith("0 failures: ready")


@pytest.mark.slow  # a fresh process (torch, the font list) or the tiny model's build
def test_a_good_tiny_model_with_its_manifest_is_ok(tiny: Path, tmp_path: Path) -> None:
    assert (tiny / MANIFEST).is_file()
    by = rows(run(tmp_path, f"paths.base_model={tiny}", "inference.engine=local", full=True))
    assert by["model"]["status"] == "ok", by["model"]
    assert "sha256" in by["model"]["value"] and MANIFEST in by["model"]["value"]


@pytest.mark.slow  # a fresh process (torch, the font list) or the tiny model's build
def test_a_corrupt_copy_fails_naming_the_shard_in_doctor_and_in_loading(tiny: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copied"
    shutil.copytree(tiny, copy)
    shard = copy / "model.safetensors"
    data = bytearray(shard.read_bytes())
    data[-100] ^= 0xFF  # a flipped byte in the weights: same size
    shard.write_bytes(bytes(data))
    quick = rows(run(tmp_path, f"paths.base_model={copy}"))
    assert quick["model"]["status"] == "ok"  # sizes only: doctor --full is the thorough check
    report = run(tmp_path, f"paths.base_model={copy}", full=True)
    model = rows(report)["model"]
    assert report.failed and model["status"] == "fail"
    assert "model.safetensors: sha256 differs" in model["value"] and "--verify" in model["fix"]
    with pytest.raises(ManifestError, match=r"model\.safetensors: sha256"):
        load_model(copy)  # a copy is hashed on its first load, whatever stamp came with it
    shard.write_bytes(bytes(data[:1000]))
    truncated = rows(run(tmp_path, f"paths.base_model={copy}"))["model"]
    assert truncated["status"] == "fail" and "truncated copy" in truncated["value"]


def test_qlora_on_a_cpu_machine_and_an_unwritable_workspace_fail(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x", encoding="utf-8")
    report = run_doctor(load_config(None, ["lora.qlora_4bit=true", f"paths.workspace={blocker / 'ws'}"]))
    by = rows(report)
    assert (
        report.failed and by["workspace"]["status"] == "fail" and "paths.workspace" in by["workspace"]["fix"]
    )
    if not torch.cuda.is_available():
        assert by["gpu"]["status"] == "fail" and "lora.qlora_4bit" in by["gpu"]["fix"]
    assert by["model"]["status"] == "fail"  # QLoRA training needs the base model


def test_the_store_opens_read_only_and_reports_its_tables(tmp_path: Path) -> None:
    store = tmp_path / "store"
    with FactStore.open(store):
        pass  # an empty store: the catalog tables only
    by = rows(run(tmp_path, f"paths.store={store}"))
    assert by["store"]["status"] == "ok" and "0 tables" in by["store"]["value"]
    assert "version none" in by["store"]["value"]
