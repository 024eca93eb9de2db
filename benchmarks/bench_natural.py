"""Natural-question benchmark: questions written the way analysts ask, answers computed from the raw files.

`benchmarks/natural/questions_*.jsonl` were written by analysts who never saw our parser; each
`reference_*.py` computes the expected answers from the raw files with pandas alone (no `hirachat` code)
into `expected_*.jsonl`. This script ingests every file under ../shared/data into a fresh store, asks every
question (a follow-up with its conversation before it) and scores the answers:

- exact: an answerable question answered with the expected figure (at the precision the answer prints),
  ranking (names in order), text or candidate list;
- confident wrong: a number (or a ranking) that is not the expected one, or any answer to an unanswerable
  question — the failure that must not happen;
- over-abstention: an answerable question answered with "no data";
- abstention correctness: unanswerable questions that abstained with a reason.

    python benchmarks/bench_natural.py [--data ../shared/data] [--show wrong|abstain|all] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "natural"
DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# the same 시도 as files and answers write it (full names in portal exports, short ones in data.go.kr files)
SIDO = {
    "서울특별시": "서울", "부산광역시": "부산", "대구광역시": "대구", "인천광역시": "인천", "광주광역시": "광주",
    "대전광역시": "대전", "울산광역시": "울산", "세종특별자치시": "세종", "경기도": "경기", "강원도": "강원",
    "강원특별자치도": "강원", "충청북도": "충북", "충청남도": "충남", "전라북도": "전북", "전북특별자치도": "전북",
    "전라남도": "전남", "경상북도": "경북", "경상남도": "경남", "제주특별자치도": "제주",
}  # fmt: skip
_NUM = re.compile(r"(?<![\w.])[-−+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.,])[-−+]?\d+(?:\.\d+)?")


def load(data: Path, out_dir: Path, here: Path = HERE) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Questions with their expected answers; the expected ones are computed now from the raw files."""
    pairs = []
    for qfile in sorted(here.glob("questions_*.jsonl")):
        part = qfile.stem.split("_", 1)[1]
        expected = out_dir / f"expected_{part}.jsonl"
        subprocess.run(
            [sys.executable, str(here / f"reference_{part}.py"), str(data), str(expected)],
            check=True,
            capture_output=True,
        )
        exp = {e["id"]: e for e in map(json.loads, expected.read_text(encoding="utf-8").splitlines())}
        for line in qfile.read_text(encoding="utf-8").splitlines():
            q = json.loads(line)
            pairs.append((q, exp[q["id"]]))
    return pairs


def numbers(text: str) -> list[tuple[float, int]]:
    """(value, decimals written) of each number in the answer's own sentence (not its notes or sources)."""
    head = re.split(r"\n(?:※|출처:|비슷한 자료:)", text)[0]
    head = re.sub(r"[A-Za-z]\d{2,}\w*", " ", head)  # codes (J20) are not numbers
    out = []
    for m in _NUM.finditer(head):
        s = m.group(0).replace(",", "").replace("−", "-")
        out.append((abs(float(s)), len(s.split(".")[1]) if "." in s else 0))
    return out


def score(exp: dict[str, Any], res: dict[str, Any]) -> str:
    """exact | wrong | over_abstain | abstain_ok | answered_unanswerable."""
    text, abstained = res["answer"], res["abstained"]
    kind = exp["kind"]
    if kind == "abstain":
        return "abstain_ok" if abstained else "answered_unanswerable"
    if kind == "candidates":
        return "exact" if all(c in text for c in exp["codes"]) else ("over_abstain" if abstained else "wrong")
    if abstained:
        return "over_abstain"
    if kind == "number":  # the value, or the same amount in another unit the file allows (천원 → 원)
        values = [abs(float(v)) for v in [exp["value"], *exp.get("alt_values", [])]]
        ok = any(
            abs(x - round(v, d)) <= 0.5 * 10**-d + 1e-9 * max(1, v) for v in values for x, d in numbers(text)
        )
        return "exact" if ok else "wrong"
    if kind == "ranking":
        pos = [max(text.find(str(n)), text.find(SIDO.get(str(n), str(n)))) for n in exp["names"]]
        return "exact" if all(p >= 0 for p in pos) and pos == sorted(pos) else "wrong"
    if kind == "blank":  # a blank attribute: said to be empty, never a value invented
        said = re.search(r"비어\s*있|값\s*없음|없습니다|등록되어 있지 않", text)
        return "exact" if said and not abstained else ("over_abstain" if abstained else "wrong")
    if kind == "text":
        return "exact" if exp["text"].replace(" ", "") in text.replace(" ", "") else "wrong"
    return "wrong"


def run(data: Path, here: Path = HERE, masters: Path | None = None) -> dict[str, Any]:
    from hirachat.answer.service import AskService
    from hirachat.config import DataConfig, InferenceConfig
    from hirachat.data.ingest import ingest

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pairs = load(data, root, here)
        folders = [p for p in (data / "hira_real", data / "code_masters") if p.is_dir()] or [data]
        if masters is not None:
            folders.append(masters)
        ingest(folders, root / "store", DataConfig(), root / "raw")
        by_id = {q["id"]: q for q, _ in pairs}
        items = []
        with AskService(root / "store", InferenceConfig(), "grounded", None, 0) as svc:
            for q, exp in pairs:
                chain = [q["question"]]
                prev = q.get("prev")
                while prev:
                    chain.insert(0, by_id[prev]["question"])
                    prev = by_id[prev].get("prev")
                t0 = time.perf_counter()
                ans = svc.plan_turns(chain)
                res = svc.result(ans, svc.engine.write(ans), t0)
                items.append(
                    {
                        "id": q["id"],
                        "class": q["class"],
                        "question": q["question"],
                        "expected": exp,
                        "answer": res["answer"],
                        "interpretation": res.get("interpretation", ""),
                        "abstained": res["abstained"],
                        "outcome": score(exp, res),
                        "ms": (time.perf_counter() - t0) * 1000,
                    }
                )
    return summarise(items)


def summarise(items: list[dict[str, Any]]) -> dict[str, Any]:
    answerable = [i for i in items if i["expected"]["answerable"]]
    unanswerable = [i for i in items if not i["expected"]["answerable"]]
    outcomes = Counter(i["outcome"] for i in items)
    by_class: dict[str, Counter[str]] = defaultdict(Counter)
    for i in items:
        by_class[i["class"]][i["outcome"]] += 1
    return {
        "questions": len(items),
        "answerable": len(answerable),
        "exact": outcomes["exact"],
        "exact_rate": outcomes["exact"] / max(1, len(answerable)),
        "confident_wrong": outcomes["wrong"] + outcomes["answered_unanswerable"],
        "wrong_numbers": outcomes["wrong"],
        "answered_unanswerable": outcomes["answered_unanswerable"],
        "over_abstentions": outcomes["over_abstain"],
        "unanswerable": len(unanswerable),
        "abstained_correctly": outcomes["abstain_ok"],
        "by_class": {k: dict(v) for k, v in sorted(by_class.items())},
        "p95_ms": sorted(i["ms"] for i in items)[int(0.95 * (len(items) - 1))] if items else 0.0,
        "items": items,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--show", choices=("wrong", "abstain", "all", "none"), default="wrong")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument(
        "--set",
        type=Path,
        default=HERE,
        help="question folder: benchmarks/natural (CI) or benchmarks/natural_holdout (kept out of development)",
    )
    ap.add_argument(
        "--masters",
        type=Path,
        default=None,
        help="a folder of code masters ingested with the data (as a user keeps KCD beside portal downloads)",
    )
    args = ap.parse_args()
    r = run(args.data, args.set, args.masters)
    show = {"wrong": {"wrong", "answered_unanswerable"}, "abstain": {"over_abstain"}, "none": set()}
    for i in r["items"]:
        if args.show == "all" or i["outcome"] in show.get(args.show, set()):
            print(f"[{i['outcome']}] {i['id']} {i['question']}\n   expected: {i['expected']}")
            print("   " + i["answer"].replace("\n", "\n   ") + f"\n   {i['interpretation']}")
    print(f"\nquestions: {r['questions']} ({r['answerable']} answerable, {r['unanswerable']} unanswerable)")
    print(f"exact on answerable: {r['exact']}/{r['answerable']} = {r['exact_rate']:.1%}")
    print(
        f"confident wrong: {r['confident_wrong']} ({r['wrong_numbers']} wrong figures, "
        f"{r['answered_unanswerable']} unanswerable questions answered)"
    )
    print(f"over-abstentions: {r['over_abstentions']}")
    print(f"unanswerable abstained with a reason: {r['abstained_correctly']}/{r['unanswerable']}")
    print(f"ask latency p95: {r['p95_ms']:.1f} ms")
    print("by class (outcome counts):")
    for k, v in r["by_class"].items():
        print(f"  {k:14s} " + ", ".join(f"{o} {n}" for o, n in sorted(v.items())))
    if args.json:
        args.json.write_text(json.dumps(r, ensure_ascii=False, indent=1, default=str), encoding="utf-8")


if __name__ == "__main__":
    main()
