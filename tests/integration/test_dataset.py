"""The QA dataset built from the real files: every type, exact numbers, no leakage, deterministic.

Answers are checked against figures computed here from the raw CSV text with the csv module.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from hirachat.config import DataConfig
from hirachat.dataset.augment import augment
from hirachat.dataset.build import build_dataset
from hirachat.dataset.clean import check_numbers, clean, mask_pii
from hirachat.dataset.records import QTYPES

DEPT = "hira_dept_by_sido_cost_hospital_level"


def cfg(**build: Any) -> DataConfig:
    c = DataConfig()
    c.build.pairs_per_type = build.pop("pairs_per_type", 60)
    for k, v in build.items():
        setattr(c.build, k, v)
    return c


@pytest.fixture(scope="module")
def built(real_store: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, Any]]]:
    out = tmp_path_factory.mktemp("ds")
    build_dataset(real_store, out, cfg())
    return {
        s: [json.loads(x) for x in (out / f"{s}.jsonl").read_text(encoding="utf-8").splitlines()]
        for s in ("train", "val", "test")
    }


@pytest.fixture(scope="module")
def raw_dept(real_dir: Path) -> dict[tuple[int, str, str], dict[str, int]]:
    """(year, 시도, 진료과목) → measures, straight from the CP949 files."""
    out = {}
    for p in sorted(real_dir.glob(f"{DEPT}_*.csv")):
        rows = list(csv.reader(io.StringIO(p.read_bytes().decode("cp949"))))
        for r in rows[1:]:
            rec = dict(zip(rows[0], r, strict=True))
            key = (int(rec["진료년도"]), rec["시도"], rec["진료과목"])
            out[key] = {
                "환자수": int(rec["환자수"]),
                "명세서청구건수": int(rec["명세서 청구건수"]),
                "요양급여비용총액": int(rec["요양급여비용총액"]),
                "보험자부담금": int(rec["보험자부담금"]),
            }
            if "입내원일수" in rec:
                out[key]["입내원일수"] = int(rec["입내원일수"])
    return out


def all_records(built: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [r for rs in built.values() for r in rs]


def test_every_question_type_in_the_original_format(built: dict[str, list[dict[str, Any]]]) -> None:
    recs = all_records(built)
    assert {r["metadata"]["qtype"] for r in recs} == set(QTYPES)
    for r in recs:
        assert set(r) == {"instruction", "input", "output", "metadata"}
        assert {"category", "source", "year", "qtype", "table_id", "query", "facts"} <= set(r["metadata"])
    for split in ("train", "val", "test"):
        assert {r["metadata"]["qtype"] for r in built[split]} >= {"lookup", "sum", "ranking", "unanswerable"}
    with_facts = [r for r in recs if r["metadata"]["facts"]]
    assert all(
        f["source"]["file"] and f["source"]["sha256"] and f["source"]["row"] >= 2
        for r in with_facts
        for f in r["metadata"]["facts"]
    )


def test_no_fact_and_no_group_in_two_splits(built: dict[str, list[dict[str, Any]]]) -> None:
    seen_fact: dict[str, str] = {}
    seen_group: dict[str, str] = {}
    for split, recs in built.items():
        for r in recs:
            assert seen_group.setdefault(r["metadata"]["group_id"], split) == split
            for f in r["metadata"]["facts"]:
                key = json.dumps([f["table_id"], f["dims"], f["measure"]], sort_keys=True, ensure_ascii=False)
                assert seen_fact.setdefault(key, split) == split, key
    assert len(built["train"]) > 4 * len(built["test"]) > 0


def test_lookup_sum_ranking_change_match_the_raw_files(
    built: dict[str, list[dict[str, Any]]], raw_dept: dict[tuple[int, str, str], dict[str, int]]
) -> None:
    recs = [r for r in all_records(built) if r["metadata"]["table_id"] == DEPT]
    checked = defaultdict(int)
    for r in recs:
        q, out = r["metadata"]["query"], r["output"]  # Query.as_dict(): filters are lists, years apart
        f = {d: v[0] for d, v in q.get("filters", {}).items()}
        m, years = q.get("measures", [None])[0], q.get("years", [])
        if q["op"] == "lookup" and r["metadata"]["qtype"] == "lookup":
            v = raw_dept[(years[0], f["시도"], f["진료과목"])][m]
            assert f"{v:,}" in out
        elif q["op"] == "sum" and q["over"] == ["시도"]:
            parts = [vals[m] for (y, _, d), vals in raw_dept.items() if y == years[0] and d == f["진료과목"]]
            assert f"{sum(parts):,}" in out
            if m == "환자수":
                assert "실제 환자 수보다 많을 수 있습니다" in out
        elif q["op"] == "ranking" and q["over"] == ["시도"]:
            ranked = sorted(
                (
                    (vals[m], s)
                    for (y, s, d), vals in raw_dept.items()
                    if y == years[0] and d == f["진료과목"]
                ),
                key=lambda t: (-t[0], t[1]),
            )[: q["k"]]
            positions = [out.index(f"{i + 1}위 {s} {v:,}") for i, (v, s) in enumerate(ranked)]
            assert positions == sorted(positions)
        elif q["op"] == "change":
            y1, y2 = years
            a = raw_dept[(y1, f["시도"], f["진료과목"])][m]
            b = raw_dept[(y2, f["시도"], f["진료과목"])][m]
            if a == b:
                assert "변화가 없습니다" in out and f"{a:,}" in out
                continue
            assert f"{b - a:+,}" in out and f"{(b - a) / a * 100:+.2f}%".replace("+-", "-") in out.replace(
                "(+-", "(-"
            )
        else:
            continue
        checked[q["op"]] += 1
        # cited by what its schema says (the file is named in English): its dimensions and scope
        assert "「시도·진료과목별 통계 (병원급 이상)」" in out and "출처: 건강보험심사평가원" in out
    assert min(checked.values()) >= 5 and len(checked) == 4, checked


def test_every_record_is_its_stored_query_executed_again(
    built: dict[str, list[dict[str, Any]]], real_store: Path
) -> None:
    """A record stores the Query it was answered by (``Query.as_dict()``, ops from ``Query.OPS``): running
    that query on the store again gives the record's figures, for the whole built dataset."""
    from hirachat.data.store import FactStore
    from hirachat.query.execute import Executor
    from hirachat.query.model import OPS, Query
    from hirachat.vocab import load_vocab

    recs = [r for r in all_records(built) if r["metadata"]["qtype"] not in ("definition", "unanswerable")]
    assert {r["metadata"]["query"]["op"] for r in recs} <= set(OPS)
    store = FactStore.open(real_store, read_only=True)
    try:
        x = Executor(store, load_vocab())
        tables = {t.table_id: t for t in store.tables()}
        done = set()
        bad = []
        for r in recs:
            q = r["metadata"]["query"]
            key = json.dumps(q, sort_keys=True, ensure_ascii=False)
            if key in done:
                continue
            done.add(key)
            query = Query(**{k: v for k, v in q.items() if k != "follows"})
            run = x.run(query, tables[query.table])
            again = sorted(round(d["value"], 6) for d in run.derived)
            stored = sorted(round(d["value"], 6) for d in r["metadata"].get("derived", []))
            if again != stored or not {f["fact_id"] for f in run.facts} >= {
                f["fact_id"] for f in r["metadata"]["facts"]
            }:
                bad.append((q, again, stored))
        assert bad == [] and len(done) > 100, (len(bad), len(done), bad[:3])
    finally:
        store.close()


def test_every_record_keeps_its_target_in_parts(built: dict[str, list[dict[str, Any]]]) -> None:
    """A record stores its reply's parts beside the text: the text is those parts rendered, and the
    grounding check reads the parts (a definition's citation and every note included), never the text."""
    from hirachat.dataset.clean import normalize_text, stated
    from hirachat.query.reply import CITE, Reply

    recs = all_records(built)
    for r in recs:
        reply = Reply.from_dict(r["metadata"]["reply"])
        assert normalize_text(reply.render()) == r["output"], r["output"]
        cited = r["metadata"]["qtype"] != "unanswerable"  # a refusal cites nothing
        assert reply.citation.startswith(CITE) == cited and CITE not in stated(r)
    assert {"definition", "unanswerable"} <= {r["metadata"]["qtype"] for r in recs}


def test_the_engine_answers_every_question_the_dataset_teaches(
    built: dict[str, list[dict[str, Any]]], real_store: Path
) -> None:
    """A generated question is one the grounded engine reads and answers (every word accounted for): the
    model is never taught an answer our own engine would refuse."""
    from hirachat.answer.service import AskService
    from hirachat.config import InferenceConfig
    from hirachat.dataset.records import conversation

    recs = [r for r in all_records(built) if r["metadata"]["qtype"] not in ("unanswerable", "definition")]
    with AskService(real_store, InferenceConfig(), "grounded", None, 0) as svc:
        refused = [
            (conversation(r), a.answer[:80]) for r in recs if (a := svc.plan_turns(conversation(r))).abstained
        ]
    assert refused == [] and len(recs) > 300


def test_unanswerable_answers_hold_no_invented_number(built: dict[str, list[dict[str, Any]]]) -> None:
    un = [r for r in all_records(built) if r["metadata"]["qtype"] == "unanswerable"]
    reasons = {r["metadata"]["query"]["reason"] for r in un}
    assert {"year", "measure", "entity", "drift"} <= reasons
    for r in un:
        assert "자료가 없습니다" in r["output"] or "없어" in r["output"]
        assert check_numbers(r) is None
    drift = next(r for r in un if r["metadata"]["query"]["reason"] == "drift")
    assert "입내원일수" in drift["output"] and "2019년" in drift["output"]


def test_numeric_check_catches_a_wrong_number_and_a_forged_derivation(
    built: dict[str, list[dict[str, Any]]],
) -> None:
    lookup = next(r for r in built["train"] if r["metadata"]["qtype"] == "lookup")
    value = int(lookup["metadata"]["facts"][0]["value"])
    forged = {**lookup, "output": lookup["output"].replace(f"{value:,}", f"{value + 1:,}", 1)}
    assert check_numbers(forged) and "not in its facts" in check_numbers(forged)  # type: ignore[operator]
    summed = next(r for r in built["train"] if r["metadata"]["qtype"] == "sum")
    meta = json.loads(json.dumps(summed["metadata"]))
    meta["derived"][0]["value"] *= 1.01  # a forged figure (1% off), whatever its size
    assert "does not follow" in (check_numbers({**summed, "metadata": meta}) or "")
    result = clean([forged, lookup], DataConfig().clean)
    assert len(result.kept) == 1 and result.quarantined[0]["kind"] == "numeric_inconsistent"


def test_pii_is_masked_and_near_duplicates_removed(built: dict[str, list[dict[str, Any]]]) -> None:
    text, found = mask_pii("문의 010-1234-5678, hong@example.com, 900101-1234567 / 2,209,852,216,590원")
    assert found == ["resident_id", "phone", "email"] and "2,209,852,216,590원" in text
    rec = built["train"][0]
    spaced = {**rec, "instruction": rec["instruction"].replace(" ", "  ") + " "}
    result = clean([rec, spaced], DataConfig().clean)
    assert len(result.kept) == 1 and result.counts["exact_or_near_duplicate"] == 1


def test_build_is_deterministic(real_store: Path, tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    build_dataset(real_store, a, cfg(pairs_per_type=15))
    build_dataset(real_store, b, cfg(pairs_per_type=15))
    for name in ("train.jsonl", "val.jsonl", "test.jsonl"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert json.loads((a / "manifest.json").read_text())["pairs"]["train"] > 0


def test_holdout_year_and_augmentation_keep_groups_whole(real_store: Path, tmp_path: Path) -> None:
    c = cfg(pairs_per_type=20, augment=2)
    c.split.holdout_years = [2019]
    res = build_dataset(real_store, tmp_path, c)
    test = [json.loads(x) for x in (tmp_path / "test.jsonl").read_text(encoding="utf-8").splitlines()]
    train = [json.loads(x) for x in (tmp_path / "train.jsonl").read_text(encoding="utf-8").splitlines()]
    for r in train:
        assert all(f["dims"].get("진료년도") != 2019 for f in r["metadata"]["facts"])
    assert any(f["dims"].get("진료년도") == 2019 for r in test for f in r["metadata"]["facts"])
    assert res.stats["splits"]["train"]["augmented"] > 0 and sum(res.stats["leakage"].values()) == 0
    groups = {r["metadata"]["group_id"] for r in train if r["metadata"]["qtype"] == "lookup"}
    members = [r for r in train if r["metadata"]["group_id"] in groups]
    extra = augment(members, 2, 1)
    assert extra and all(e["output"] in {t["output"] for t in members} for e in extra)
    assert not {e["instruction"] for e in extra} & {t["instruction"] for t in members}


def test_retrieval_style_inputs_hold_the_answer_facts(built: dict[str, list[dict[str, Any]]]) -> None:
    with_cards = [r for r in all_records(built) if r["input"]]
    share = len(with_cards) / len(all_records(built))
    assert 0.2 < share < 0.7
    for r in with_cards[:300]:
        lines = r["input"].split("\n")
        assert all(" | " in ln for ln in lines)
        for f in r["metadata"]["facts"]:
            assert any(f"{int(f['value']):,}" in ln for ln in lines), (f, r["input"])
        assert set(r["metadata"]["context_facts"]) >= {f["fact_id"] for f in r["metadata"]["facts"]}
