"""Ingest and QA generation on a large synthetic HIRA-like table; prints rows/s, pairs/s and ratios.

Target (issue): ingest + build of 1M fact rows within 60 s on a 2-core machine. The baseline, run in
the same process, is a plain ``csv.reader`` pass over the same file (decode + split, no
normalisation, no store): the ratio says how much our full ingest costs over just reading the bytes.

    python benchmarks/bench_data.py --rows 1000000
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from pathlib import Path

from hirachat.config import DataConfig
from hirachat.data.ingest import ingest
from hirachat.data.synthetic import write_large
from hirachat.dataset.build import build_dataset


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pairs-per-type", type=int, default=200)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        t = time.perf_counter()
        path = write_large(root / f"SYNTHETIC_large_{args.rows}.csv", args.rows)
        print(
            f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.1f} MB CP949) in {time.perf_counter() - t:.1f} s"
        )

        t = time.perf_counter()
        n = sum(1 for _ in csv.reader(io.StringIO(path.read_bytes().decode("cp949")))) - 1
        base = time.perf_counter() - t
        print(f"baseline: decode + csv.reader        {base:6.2f} s  {n / base:12,.0f} rows/s")

        cfg = DataConfig()
        cfg.build.pairs_per_type = args.pairs_per_type
        t = time.perf_counter()
        (rep,) = ingest([path], root / "store", cfg, root / "raw")
        t_ingest = time.perf_counter() - t
        assert rep.status == "stored" and rep.rows_stored == args.rows, rep.line()
        print(
            f"ingest (read, normalise, store)      {t_ingest:6.2f} s  {args.rows / t_ingest:12,.0f} rows/s"
            f"  ({t_ingest / base:.1f}x the baseline)"
        )

        t = time.perf_counter()
        res = build_dataset(root / "store", root / "cleaned", cfg)
        t_build = time.perf_counter() - t
        pairs = sum(s["pairs"] for s in res.stats["splits"].values())
        print(
            f"build (generate, clean, split, write) {t_build:6.2f} s  {pairs / t_build:12,.0f} pairs/s ({pairs:,} pairs)"
        )
        total = t_ingest + t_build
        print(
            f"ingest + build: {total:.1f} s for {args.rows:,} fact rows (target 60 s: {'met' if total <= 60 else 'MISSED'};"
            f" {60 / total:.2f}x headroom)"
        )


if __name__ == "__main__":
    main()
