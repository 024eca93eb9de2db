"""``hira-chat eval`` on the real-data split: grounded and a (random) tiny model, resume, report files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hirachat.config import DataConfig, load_config
from hirachat.dataset.build import build_dataset
from hirachat.eval.run import evaluate
from hirachat.model.tiny import build_tiny, dataset_texts

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def parts(real_store: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("eval")
    c = DataConfig()
    c.build.pairs_per_type = 6
    build_dataset(real_store, root / "data", c)
    tiny = build_tiny(
        root / "tiny", dataset_texts([root / "data" / "train.jsonl"]), vocab_size=800, hidden=32, layers=1
    )
    return root, tiny


def test_grounded_near_one_model_reported_honestly_and_resume(
    parts: tuple[Path, Path], real_store: Path
) -> None:
    root, tiny = parts
    cfg = load_config(
        REPO / "config" / "config.yaml", [f"paths.workspace={root / 'ws'}", "inference.max_new_tokens=24"]
    )
    out = root / "ws" / "eval" / "run"
    data = root / "data" / "test.jsonl"
    first = evaluate(cfg, real_store, data, out, ["grounded", "model"], [0.0, 0.7], 8, tiny, None)
    assert len((out / "items.jsonl").read_text(encoding="utf-8").splitlines()) == 3 * 8
    m = evaluate(cfg, real_store, data, out, ["grounded", "model"], [0.0, 0.7], 12, tiny, None)
    items = [json.loads(x) for x in (out / "items.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(items) == 3 * 12  # the first 8 per variant were not recomputed
    assert (
        first["variants"]["grounded"]["overall"]["n"] == 8 and m["variants"]["grounded"]["overall"]["n"] == 12
    )
    g = m["variants"]["grounded"]["overall"]
    assert g["accuracy"] >= 0.9 and g["hallucination_rate"] == 0.0 and g["abstention_recall"] in (None, 1.0)
    model = m["variants"]["model@t0.7"]["overall"]
    assert model["accuracy"] < g["accuracy"] and model["tokens_per_s"] and model["n"] == 12
    assert all(
        i["ttft_ms"] is not None and i["generated_tokens"] > 0
        for i in items
        if i["variant"].startswith("model")
    )
    cmp = next(c for c in m["comparisons"] if c["variant"] == "model@t0.7" and c["metric"] == "correct")
    assert cmp["difference"] < 0 and cmp["ci95"][0] <= cmp["difference"] <= cmp["ci95"][1]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in html and "질문" not in m and "평가 보고서" in html
    assert "accuracy_by_type" in html and "sweep" in html
    assert "|---|" not in html and "<pre>| variant" not in html  # tables as HTML, not Markdown text
    assert "변형별 요약" in html and "<table id='items'>" in html and "틀린 답만" in html
    assert html.count("<tr class='wrong'") == sum(
        not i["correct"] for i in items
    )  # every item, wrong ones marked
    assert "http://" not in html and "https://" not in html  # opens from a file, no network
    assert (out / "report.md").read_text(encoding="utf-8").startswith("# 평가 보고서")
