"""Ingest and QA generation on a large synthetic HIRA-like table; prints rows/s, pairs/s and ratios.

Targets: ingest + build of 1M fact rows within 60 s on a 2-core machine; the KCD-9 master workbook in
≤ 30 s and ≤ 1 GB peak; a workbook declaring 1,048,576 × 16,384 cells with 100 used rows in ≤ 10 s and
≤ 500 MB (each measured in a fresh process); a portal CSV with years side by side holding 1,000,000 facts in
≤ 60 s and ≤ 1 GB; ``data update`` of the largest real file (a new store version)
in ≤ 2x a plain ingest of it. The baseline, run in
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


def _measured(code: str) -> tuple[float, float]:
    """(seconds, peak resident MB) of ``code`` run in a fresh Python process (peak memory is per process)."""
    import json
    import subprocess
    import sys

    # VmHWM, not ru_maxrss: Linux keeps ru_maxrss across exec, so a child would inherit this process's peak
    wrapper = (
        "import json, re, time\nt = time.perf_counter()\n" + code + "\n"
        "hwm = int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
        "print(json.dumps([time.perf_counter() - t, hwm / 1024]))"
    )
    out = subprocess.run([sys.executable, "-c", wrapper], check=True, capture_output=True, text=True).stdout
    seconds, mb = json.loads(out.strip().splitlines()[-1])
    return float(seconds), float(mb)


def masters(root: Path, kcd: Path) -> None:
    """Code masters and hostile workbooks: time and peak memory, against opening the workbook alone."""
    import re
    import zipfile

    import openpyxl

    base_s, base_mb = _measured(
        f"import openpyxl\nwb = openpyxl.load_workbook({str(kcd)!r}, read_only=True)\nwb.close()"
    )
    print(f"baseline: open the KCD workbook (read-only)       {base_s:6.2f} s  {base_mb:7.0f} MB peak")
    s, mb = _measured(
        "from pathlib import Path\nfrom hirachat.config import DataConfig\nfrom hirachat.data.ingest import ingest\n"
        f"rs = ingest([Path({str(kcd)!r})], Path({str(root / 'kcd')!r}), DataConfig(), Path({str(root / 'raw')!r}))\n"
        "assert rs and all(r.status == 'master' for r in rs), [r.line() for r in rs]"
    )
    print(
        f"KCD-9 master ingest                               {s:6.2f} s  {mb:7.0f} MB peak"
        f"  (target 30 s / 1024 MB: {'met' if s <= 30 and mb <= 1024 else 'MISSED'}; {s / base_s:.1f}x the open)"
    )
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["진료년도", "주상병코드", "환자수"])
    for i in range(100):
        ws.append([2023, f"A{i:02d}", i + 1])
    small, huge = root / "small.xlsx", root / "huge.xlsx"
    wb.save(small)
    with zipfile.ZipFile(small) as zin, zipfile.ZipFile(huge, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):  # declare the whole grid: A1:XFD1048576
                data = re.sub(rb'<dimension ref="[^"]+"/>', b'<dimension ref="A1:XFD1048576"/>', data)
            zout.writestr(item, data)
    s, mb = _measured(
        "from pathlib import Path\nfrom hirachat.config import DataConfig\nfrom hirachat.data.ingest import ingest\n"
        f"(r,) = ingest([Path({str(huge)!r})], Path({str(root / 'huge')!r}), DataConfig(), Path({str(root / 'raw')!r}))\n"
        "assert r.rows_stored == 100, r.line()"
    )
    print(
        f"XLSX declaring 1,048,576 x 16,384 (100 rows used) {s:6.2f} s  {mb:7.0f} MB peak"
        f"  (target 10 s / 500 MB: {'met' if s <= 10 and mb <= 500 else 'MISSED'})"
    )


def side_by_side(root: Path, facts: int, years: int = 5) -> None:
    """A portal CSV with periods side by side (a row of years, blank to the right, over repeated measures):
    ingest of ``facts`` facts in ≤ 60 s and ≤ 1 GB, each in a fresh process, against decode + csv.reader."""
    import random

    measures = ["환자수", "내원일수", "요양급여비용총액"]
    rows = facts // (years * len(measures))
    rng = random.Random(7)
    path = root / f"side_by_side_{facts}.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["질병 소분류 통계 (단위: 명, 일, 천원)"])
        w.writerow(["심사년도", "", "", *[c for y in range(2019, 2019 + years) for c in (str(y), "", "")]])
        w.writerow(["시도", "진료과목", "상병코드", *measures * years])
        sido = ["서울", "부산", "대구", "인천", "광주", "대전", "울산", "경기"]
        for i in range(rows):
            vals = [f"{rng.randint(1, 10**6):,}" if rng.random() > 0.01 else "-" for _ in range(years * 3)]
            w.writerow([sido[i % 8], f"과목{(i // 8) % 50}", f"X{i // 400:05d}", *vals])
    mb = path.stat().st_size / 1e6
    base_s, base_mb = _measured(
        f"import csv, io\nn = sum(1 for _ in csv.reader(io.StringIO(open({str(path)!r}, encoding='utf-8-sig').read())))"
    )
    s, peak = _measured(
        "from pathlib import Path\nfrom hirachat.config import DataConfig\nfrom hirachat.data.ingest import ingest\n"
        f"(r,) = ingest([Path({str(path)!r})], Path({str(root / 'sbs')!r}), DataConfig(), Path({str(root / 'raw')!r}))\n"
        f"assert r.status == 'stored' and r.rows_stored == {rows}, r.line()"
    )
    print(
        f"side-by-side years CSV: {rows:,} rows × {years} years × 3 measures = {rows * years * 3:,} facts ({mb:.0f} MB)"
    )
    print(f"baseline: decode + csv.reader        {base_s:6.2f} s  {base_mb:7.0f} MB peak")
    print(
        f"ingest (layout, unpivot, store)      {s:6.2f} s  {peak:7.0f} MB peak  ({s / base_s:.1f}x the baseline; "
        f"target 60 s and 1 GB: {'met' if s <= 60 and peak <= 1024 else 'MISSED'})"
    )


def release_update(root: Path, real: Path) -> None:
    """``data update`` of the largest real file (a new version: copy, ingest, compare) against a plain ingest
    of the same file into an empty store. Target: ≤ 2x."""
    from hirachat.data.versions import update

    files = sorted(real.glob("*.csv")) + sorted(real.glob("*.xlsx"))
    largest = max(files, key=lambda p: p.stat().st_size)
    others = [p for p in files if p != largest]
    update(others, root / "versioned", DataConfig(), root / "raw")  # v0001: every other real file (warms up)
    t = time.perf_counter()
    (rep,) = ingest([largest], root / "plain", DataConfig(), root / "raw")
    plain = time.perf_counter() - t
    assert rep.status == "stored", rep.line()
    t = time.perf_counter()
    result = update([largest], root / "versioned", DataConfig(), root / "raw")
    t_update = time.perf_counter() - t
    assert result.status == "created", result.describe()
    ratio = t_update / plain
    print(
        f"release update of {largest.name} ({largest.stat().st_size / 1e6:.1f} MB) onto a version of "
        f"{len(others)} other files: {t_update:.2f} s vs plain ingest {plain:.2f} s = {ratio:.2f}x "
        f"(target ≤ 2x: {'met' if ratio <= 2 else 'MISSED'})"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--pairs-per-type", type=int, default=200)
    ap.add_argument("--side-by-side-facts", type=int, default=1_000_000)
    ap.add_argument("--only-side-by-side", action="store_true", help="run the side-by-side layout case alone")
    ap.add_argument(
        "--kcd",
        type=Path,
        default=Path(__file__).resolve().parents[1].parent
        / "shared/data/code_masters/kcd9_koicd_masterfile_20250701.xlsx",
        help="the KCD-9 master workbook for the master case (skipped when absent)",
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        side_by_side(root, args.side_by_side_facts)
        if args.only_side_by_side:
            return
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
        if args.kcd.exists():
            masters(root, args.kcd)
        real = args.kcd.parents[1] / "hira_real"
        if real.is_dir():
            release_update(root, real)


if __name__ == "__main__":
    main()
