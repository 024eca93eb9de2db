"""The real ``hira-chat`` command, run as a newcomer would, in an empty folder."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def hira(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hirachat.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.slow
def test_quickstart_from_an_empty_folder(tmp_path: Path) -> None:
    r = hira(tmp_path, "quickstart", "--config", str(REPO / "config" / "config.yaml"))
    assert r.returncode == 0, r.stderr
    cleaned = tmp_path / "workspace" / "data" / "hira" / "cleaned"
    for name in ("train.jsonl", "val.jsonl", "test.jsonl", "stats.md", "manifest.json"):
        assert (cleaned / name).is_file(), name
    assert "leakage across splits: 0" in r.stdout and "[5/6] grounded answers" in r.stdout
    assert "'MRI'" in r.stdout and "출처: 건강보험심사평가원" in r.stdout.split("[5/6]")[1]
    run = tmp_path / "workspace" / "models" / "tiny-quickstart"
    history = json.loads((run / "training_history.json").read_text(encoding="utf-8"))
    assert history["steps"][-1]["loss"] < history["steps"][0]["loss"] and (run / "loss_curve.png").exists()
    assert "train loss" in r.stdout.split("[4/6]")[1]
    report = tmp_path / "workspace" / "eval" / "quickstart"
    assert (report / "report.html").exists() and "[6/6] evaluation" in r.stdout
    metrics = json.loads((report / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["variants"]["grounded"]["overall"]["accuracy"] >= 0.9
    first = json.loads((cleaned / "train.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert first["metadata"]["synthetic"] is True or first["metadata"]["table_id"] == "glossary"
    again = hira(tmp_path, "data", "ingest", "workspace/data/samples")
    assert again.returncode == 0 and "0 stored" in again.stdout and "unchanged" in again.stdout
    tables = hira(tmp_path, "data", "tables")
    assert "입내원일수(일)" in tables.stdout and "SYNTHETIC" in tables.stdout


def test_ingest_real_file_and_bad_file_exit_codes(tmp_path: Path, real_dir: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02" * 10)
    r = hira(
        tmp_path, "data", "ingest", str(real_dir / "hira_kcd3_by_sex_inout_2023.csv"), str(bad), "--json"
    )
    assert r.returncode == 1
    reports = json.loads(r.stdout)
    assert reports[0]["status"] == "stored" and reports[0]["rows_stored"] == 6227
    assert reports[1]["status"] == "error" and "bad.csv" in reports[1]["error"]


def test_config_errors_are_clear(tmp_path: Path) -> None:
    r = hira(tmp_path, "config", "--set", "training.lr=1")
    assert r.returncode == 2 and "training.lr: unknown key" in r.stderr and "Traceback" not in r.stderr
    r = hira(tmp_path, "data", "build", "--store", str(tmp_path / "nowhere"))
    assert r.returncode == 2 and "no facts store here" in r.stderr


def test_a_bad_vocabulary_file_fails_at_start_naming_file_line_and_key(
    tmp_path: Path, real_dir: Path
) -> None:
    vocab = tmp_path / "workspace" / "vocab.yaml"
    vocab.parent.mkdir(parents=True)
    vocab.write_text(
        "measures:\n  - name: 환자수\n    words: [아픈사람]\n    colour: red\n", encoding="utf-8"
    )
    r = hira(tmp_path, "ask", "2019년 서울 내과 환자수")
    assert r.returncode == 2 and "vocab.yaml" in r.stderr and "line 4" in r.stderr and "colour" in r.stderr
    assert "Traceback" not in r.stderr
    # a valid file extends the words understood, without code changes
    vocab.write_text("measures:\n  - name: 환자수\n    words: [아픈사람수]\n", encoding="utf-8")
    assert (
        hira(
            tmp_path, "data", "ingest", str(real_dir / "hira_dept_by_sido_cost_hospital_level_2019.csv")
        ).returncode
        == 0
    )
    r = hira(tmp_path, "ask", "2019년 서울 내과 아픈사람수", "--json")
    res = json.loads(r.stdout)
    assert (
        not res["abstained"] and res["query"]["measures"] == ["환자수"] and "환자수" in res["interpretation"]
    )


def test_one_override_convention_and_old_spellings_give_the_new_one(tmp_path: Path) -> None:
    r = hira(tmp_path, "config", "--set", "training.epochs=3", "--set", "paths.store=/data/hira")
    assert r.returncode == 0, r.stderr
    shown = json.loads(r.stdout)
    assert shown["training"]["epochs"] == 3 and shown["paths"]["store"] == "/data/hira"
    for old, new in (
        (["config", "training.epochs=3"], "--set training.epochs=3"),
        (["train", "training.epochs=3"], "--set training.epochs=3"),
        (["data", "build", "data.split.seed=1"], "--set data.split.seed=1"),
        (["serve", "--port", "8123"], "--set serve.port=8123"),
        (["ask", "--engine", "openai", "질문"], "--set inference.engine=openai"),
    ):
        r = hira(tmp_path, *old)
        assert r.returncode == 2 and new in r.stderr and "Traceback" not in r.stderr, (old, r.stderr)
    # every command takes -c and --set
    for cmd in (["data", "ingest"], ["data", "update"], ["data", "versions"], ["data", "rollback"], ["data", "tables"],
                ["data", "build"], ["data", "synth"], ["data", "augment"], ["ask"], ["train"], ["eval"], ["serve"],
                ["quickstart"], ["model", "tiny"], ["model", "export"], ["users", "add"], ["users", "token"],
                ["ratings", "export"], ["config"], ["doctor"], ["tune"], ["model", "manifest"],
                ["monitor", "purge"]):  # fmt: skip
        help_text = hira(tmp_path, *cmd, "--help").stdout
        assert "--config" in help_text and "--set" in help_text, cmd
    # --store wherever a store is read
    for cmd in (
        ["data", "tables"],
        ["data", "build"],
        ["ask"],
        ["eval"],
        ["serve"],
        ["data", "versions"],
        ["tune"],
    ):
        assert "--store" in hira(tmp_path, *cmd, "--help").stdout, cmd
