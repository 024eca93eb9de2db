"""Grounded answering over ~1M facts: index build time and ask latency p50/p95.

Target (issue "One typed answer"): p95 at most 20 ms per question on a 2-core machine. The baseline, run
in the same process, is the bare DuckDB lookup of one row by its dimension values: the ratio says what understanding,
planning, composing and the grounding check cost on top of the database itself.

    python benchmarks/bench_ask.py --facts 1000000
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from hirachat.answer.retrieve import CardIndex
from hirachat.answer.service import AskService
from hirachat.config import DataConfig, InferenceConfig
from hirachat.data.ingest import ingest
from hirachat.data.store import FactStore
from hirachat.data.synthetic import write_large
from hirachat.dataset.build import build_dataset
from hirachat.dataset.records import conversation
from hirachat.numbers import extract_numbers

MEASURES_PER_ROW = 4


def pct(xs: list[float], q: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--facts", type=int, default=1_000_000)
    ap.add_argument("--questions", type=int, default=400)
    ap.add_argument(
        "--masters",
        type=Path,
        default=Path(__file__).resolve().parents[2] / "shared" / "data" / "code_masters",
        help="code masters ingested with the facts (names, master lookups); skipped if the folder is absent",
    )
    args = ap.parse_args()
    rows = args.facts // MEASURES_PER_ROW
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = write_large(root / "SYNTHETIC_large_2023.csv", rows)
        (rep,) = ingest([path], root / "store", DataConfig(), root / "raw")
        print(
            f"store: {rep.rows_stored:,} rows × {MEASURES_PER_ROW} measures = {rep.rows_stored * MEASURES_PER_ROW:,} facts"
        )
        if args.masters.is_dir():
            masters = ingest([args.masters], root / "store", DataConfig(), root / "raw")
            print(
                f"code masters: {', '.join(dict.fromkeys(Path(r.file).name for r in masters))} (names and lookups on every question)"
            )

        with FactStore.open(root / "store", read_only=True) as store:
            t = time.perf_counter()
            index = CardIndex.build(store)
            print(f"BM25 card index build: {time.perf_counter() - t:.1f} s for {len(index.rowids):,} cards")
            t = time.perf_counter()
            hits = [
                index.search(q, 5)
                for q in ("2022년 서울 내과 A01 환자수", "부산 정형외과 진료비", "B07 경기")
            ]
            print(
                f"BM25 search: {(time.perf_counter() - t) / 3 * 1000:.1f} ms per query ({sum(map(len, hits))} hits)"
            )

        cfg = DataConfig()
        cfg.build.pairs_per_type = max(10, args.questions // 8)
        cfg.build.phrasings = 1
        build_dataset(root / "store", root / "cleaned", cfg)
        recs = [
            json.loads(x) for x in (root / "cleaned" / "train.jsonl").read_text(encoding="utf-8").splitlines()
        ]
        recs = [r for r in recs if r["metadata"]["qtype"] != "definition"][: args.questions]

        with AskService(root / "store", InferenceConfig()) as svc:
            lookups = [r for r in recs if r["metadata"]["qtype"] == "lookup"]
            table = svc.store.table(lookups[0]["metadata"]["table_id"])
            base = []
            for r in lookups:
                q = r["metadata"]["query"]  # Query.as_dict(): one value per filter, the year apart
                f = {k: v[0] for k, v in q.get("filters", {}).items()}
                f.update({"진료년도": q["years"][0]} if q.get("years") else {})
                where = " AND ".join(f'"{k}" = ?' for k in f)
                t = time.perf_counter()
                svc.store.con.execute(
                    f'SELECT * FROM "{table.physical}" WHERE {where}', list(f.values())
                ).fetchall()
                base.append((time.perf_counter() - t) * 1000)
            lat, correct, missed = [], 0, []
            for r in recs:
                t = time.perf_counter()
                ans = svc.plan_turns(conversation(r))  # a follow-up with the question it follows
                res = svc.result(ans, svc.engine.write(ans), t)
                lat.append((time.perf_counter() - t) * 1000)
                ref = [n.value for n in extract_numbers(r["output"].split("\n출처:")[0])]
                got = [n for n in extract_numbers(res["answer"])]
                ok = (
                    res["abstained"]
                    if r["metadata"]["qtype"] == "unanswerable"
                    else (not res["abstained"] and all(any(g.matches(v) for g in got) for v in ref))
                )
                correct += ok
                if not ok:
                    missed.append(f"{' / '.join(conversation(r))} → {res['answer'][:300]}")
        print(
            f"baseline: bare DuckDB row lookup  p50 {statistics.median(base):6.2f} ms  p95 {pct(base, 0.95):6.2f} ms"
        )
        print(
            f"ask (grounded engine), {len(lat)} questions: p50 {statistics.median(lat):6.2f} ms  p95 {pct(lat, 0.95):6.2f} ms"
            f"  ({statistics.median(lat) / statistics.median(base):.1f}x the bare lookup at p50)"
        )
        print(f"answers matching the reference: {correct}/{len(recs)}")
        for m in missed[:5]:
            print(f"  not matching: {m}")
        print(f"target p95 <= 20 ms: {'met' if pct(lat, 0.95) <= 20 else 'MISSED'}")


if __name__ == "__main__":
    main()
