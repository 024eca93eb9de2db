"""The natural-question benchmark as a test: analysts' questions, answers computed from the raw files by
reference scripts that import nothing of ours (benchmarks/natural/). No confident wrong answer is allowed;
disease names are linked through the KCD master in ../shared/data/code_masters."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_natural_benchmark(real_dir: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_natural", ROOT / "benchmarks" / "bench_natural.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    r = bench.run(real_dir.parent)
    assert r["questions"] >= 250 and r["unanswerable"] >= 0.2 * r["questions"]
    wrong = [
        (i["id"], i["question"], i["answer"][:120])
        for i in r["items"]
        if i["outcome"] in ("wrong", "answered_unanswerable")
    ]
    assert wrong == []  # the invariant: never a confident wrong number
    assert r["abstained_correctly"] == r["unanswerable"]
    answerable = [i for i in r["items"] if i["expected"]["answerable"]]
    names = [i for i in answerable if i["class"] in ("name", "master")]
    assert len(names) >= 40
    for group in (answerable, names):
        exact = sum(i["outcome"] == "exact" for i in group)
        assert exact >= 0.97 * len(group), f"{exact}/{len(group)}"


def test_natural_master_lookups() -> None:
    """Masters of six shapes (약가 workbook, ATC map, 수가 master and its change file, 상병마스터, 주성분) and an
    analyst's questions on them (benchmarks/natural_masters, written without reading our parser)."""
    spec = importlib.util.spec_from_file_location("bench_natural", ROOT / "benchmarks" / "bench_natural.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    here = ROOT / "benchmarks" / "natural_masters"
    r = bench.run(here / "files", here)
    assert r["questions"] >= 40 and r["unanswerable"] >= 5
    wrong = [(i["id"], i["question"], i["answer"][:120]) for i in r["items"] if i["outcome"] == "wrong"]
    assert wrong == [] and r["abstained_correctly"] == r["unanswerable"]
    answerable = [i for i in r["items"] if i["expected"]["answerable"]]
    assert sum(i["outcome"] == "exact" for i in answerable) >= 0.97 * len(answerable)
