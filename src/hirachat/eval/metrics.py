"""Metrics for Korean statistical answers: numbers first, then text.

- numeric exact: every figure of the reference (years and quarters aside) appears in the answer, read with the
  shared Korean number parser (commas, decimals, %, 만/억/조 compounds), at the precision written;
- hallucination: the answer states a number found neither in the reference nor in the facts given;
- abstention: whether the answer says the data cannot answer;
- chrF (sacrebleu) and character-level ROUGE-L for Korean text similarity.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hirachat.numbers import Number, extract_numbers
from hirachat.query.reply import prose

ABSTAIN = re.compile(r"자료가 없|자료에 없|알 수 없|찾지 못했|답할 자료|제공되지 않")
_PERIOD_AFTER = re.compile(r"^\s*(년|분기)")


def key_numbers(text: str) -> list[Number]:
    """Figures in an answer's body (before 출처), without years and quarters; codes are not numbers."""
    body = prose(text)
    return [n for n in extract_numbers(body) if not _PERIOD_AFTER.match(body[n.end : n.end + 3])]


def abstains(text: str) -> bool:
    return bool(ABSTAIN.search(text))


def _found(n: Number, pool: Iterable[Number | float]) -> bool:
    """``n`` equals something in ``pool`` at the precision ``n`` was written."""
    return any(n.matches(p.value if isinstance(p, Number) else float(p)) for p in pool)


def numeric_exact(answer: str, reference: str) -> bool:
    """Each reference figure is stated by the answer at least as precisely as the reference wrote it."""
    have = key_numbers(answer)
    return all(any(r.matches(a.value) for a in have) for r in key_numbers(reference))


def hallucinated(answer: str, reference: str, facts: Sequence[float] = ()) -> list[str]:
    """Numbers the answer states that neither the reference nor the facts hold."""
    pool: list[Number | float] = [*key_numbers(reference), *facts]
    return [n.text for n in key_numbers(answer) if not _found(n, pool)]


def chrf(answer: str, reference: str) -> float:
    import sacrebleu

    return float(sacrebleu.sentence_chrf(answer, [reference]).score) / 100


def rouge_l_chars(answer: str, reference: str) -> float:
    """Character-level ROUGE-L F1 (spaces ignored): Korean words inflect, characters compare fairly."""
    a, b = answer.replace(" ", ""), reference.replace(" ", "")
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b):
            cur.append(prev[j] + 1 if ca == cb else max(prev[j + 1], cur[j]))
        prev = cur
    lcs = prev[-1]
    if not lcs:
        return 0.0
    p, r = lcs / len(a), lcs / len(b)
    return 2 * p * r / (p + r)


@dataclass
class Scored:
    correct: bool
    hallucinated: list[str]
    abstained: bool
    chrf: float
    rouge_l: float


def score(answer: str, reference: str, unanswerable: bool, facts: Sequence[float] = ()) -> Scored:
    abst = abstains(answer)
    correct = abst if unanswerable else (not abst and numeric_exact(answer, reference))
    a_body, r_body = prose(answer), prose(reference)
    return Scored(
        correct,
        hallucinated(answer, reference, facts),
        abst,
        chrf(a_body, r_body),
        rouge_l_chars(a_body, r_body),
    )


def summarize(items: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Aggregate per-item scores: accuracy, hallucination rate, abstention P/R, text metrics, speed."""
    if not items:
        return {"n": 0}
    answerable = [i for i in items if not i["unanswerable"]]
    unanswerable = [i for i in items if i["unanswerable"]]
    predicted = [i for i in items if i["abstained"]]
    lat = sorted(i["latency_ms"] for i in items)
    tps = [i["tokens_per_s"] for i in items if i.get("tokens_per_s")]

    def mean(xs: Sequence[float]) -> float | None:
        return round(sum(xs) / len(xs), 4) if xs else None

    return {
        "n": len(items),
        "numeric_accuracy": mean([float(i["correct"]) for i in answerable]),
        "accuracy": mean([float(i["correct"]) for i in items]),
        "hallucination_rate": mean([float(bool(i["hallucinated"])) for i in items]),
        "abstention_precision": mean([float(i["unanswerable"]) for i in predicted]),
        "abstention_recall": mean([float(i["abstained"]) for i in unanswerable]),
        "chrf": mean([i["chrf"] for i in items]),
        "rouge_l": mean([i["rouge_l"] for i in items]),
        "latency_p50_ms": lat[len(lat) // 2],
        "latency_p95_ms": lat[min(len(lat) - 1, int(0.95 * len(lat)))],
        "tokens_per_s": mean(tps),
        "answer_chars": mean([float(len(i["answer"])) for i in items]),
    }
