"""Cleaning: normalise text, mask PII, enforce lengths, remove duplicates, and check every number.

The numeric-consistency check is independent of the generator: it recomputes each derived figure
(sum, difference, ratio, share, change rate, count, rank) from the facts the record carries, then
requires every number written in the answer to equal a fact, a recomputed figure, or a period the
facts or the catalog name. A record that fails any check is quarantined with the reason.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from hirachat.config import CleanConfig
from hirachat.data.vocab import TERMS
from hirachat.dataset.records import QARecord, conversation
from hirachat.grounding import ungrounded
from hirachat.numbers import extract_numbers
from hirachat.query.reply import Reply, prose

PII = {
    "resident_id": re.compile(r"(?<!\d)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])\s?-\s?[1-8]\d{6}(?!\d)"),
    "phone": re.compile(r"(?<![\d,])(01[016789]|0[2-6]\d?)[-.\s]\d{3,4}[-.\s]\d{4}(?!\d)"),
    "email": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
}
PII_MASK = "[개인정보 삭제]"


def normalize_text(s: str) -> str:
    s = unicodedata.normalize("NFC", s).replace("\u00a0", " ").replace("\r\n", "\n")
    lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in s.split("\n")]
    return "\n".join(ln for ln in lines if ln)


def mask_pii(s: str) -> tuple[str, list[str]]:
    found = []
    for name, rx in PII.items():
        if rx.search(s):
            found.append(name)
            s = rx.sub(PII_MASK, s)
    return s, found


def stated(rec: QARecord | dict[str, Any]) -> str:
    """What a record's target states: its reply's body and notes while the output is that reply rendered;
    an output written or edited by a person since is read as written, up to its source line."""
    reply = Reply.from_dict(rec["metadata"]["reply"]) if "reply" in rec["metadata"] else None
    if reply is not None and normalize_text(reply.render()) == rec["output"]:
        return reply.stated()
    return prose(rec["output"])


def check_numbers(rec: QARecord) -> str | None:
    """None if every number in the answer is traceable to the record's facts; else the reason."""
    meta = rec["metadata"]
    query = meta.get("query", {})
    avail = meta.get("available", {})
    filters = {
        k: v if isinstance(v, list) else [v] for k, v in query.get("filters", {}).items()
    }  # Query.as_dict()
    extra = [float(x) for k, v in filters.items() if k in ("진료년도", "분기") for x in v]
    extra += [float(y) for y in query.get("years", [])] + [float(y) for y in avail.get("years", [])]
    extra += [float(str(p)[:4]) for p in avail.get("measure_years", [])]
    if "asked_year" in avail:
        extra.append(float(avail["asked_year"]))
    strip = [str(x) for k, v in filters.items() if k not in ("진료년도", "분기") for x in v]
    strip += re.findall(r"「([^」]*)」", meta.get("source", ""))  # table titles may hold digits (3단상병)
    if meta.get("qtype") == "definition":
        term = query.get("term", "")
        extra += [n.value for n in extract_numbers(TERMS.get(term, ""))]
        strip.append(term)
    problem = ungrounded(stated(rec), meta.get("facts", []), meta.get("derived", []), extra, strip)
    return problem and problem.replace("is not in the facts", "in the answer is not in its facts")


def question_key(question: str) -> str:
    """A question up to spacing, punctuation and case."""
    return re.sub(r"[\s\W_]+", "", question).lower()


def dedup_key(rec: QARecord) -> str:
    """Near-duplicates: the same question up to spacing and punctuation, with the same answer."""
    return question_key("\n".join(conversation(rec))) + "\x00" + rec["output"]


@dataclass
class CleanResult:
    kept: list[QARecord]
    quarantined: list[dict[str, Any]]
    counts: Counter[str] = field(default_factory=Counter)


def clean(records: list[QARecord], cfg: CleanConfig) -> CleanResult:
    kept: list[QARecord] = []
    quarantined: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    seen: dict[str, int] = {}
    answers_by_question: dict[str, str] = {}

    def reject(rec: QARecord, reason: str, kind: str) -> None:
        counts[kind] += 1
        quarantined.append({"reason": reason, "kind": kind, "record": rec})

    for rec in records:
        texts = {k: mask_pii(normalize_text(rec[k])) for k in ("instruction", "input", "output")}
        rec = {
            "instruction": texts["instruction"][0],
            "input": texts["input"][0],
            "output": texts["output"][0],
            "metadata": rec["metadata"],
        }
        masked = [name for _, found in texts.values() for name in found]
        if masked:
            counts["pii_masked"] += 1
            rec["metadata"] = {**rec["metadata"], "pii_masked": sorted(set(masked))}
        if len(rec["instruction"]) > cfg.max_instruction_chars:
            reject(rec, f"instruction longer than {cfg.max_instruction_chars} chars", "too_long")
            continue
        if len(rec["output"]) > cfg.max_output_chars:
            reject(rec, f"output longer than {cfg.max_output_chars} chars", "too_long")
            continue
        if len(rec["output"]) < cfg.min_output_chars or not rec["instruction"]:
            reject(rec, "empty or too short", "too_short")
            continue
        problem = check_numbers(rec)
        if problem:
            reject(rec, problem, "numeric_inconsistent")
            continue
        qkey = question_key("\n".join(conversation(rec)))
        if qkey in answers_by_question and answers_by_question[qkey] != rec["output"]:
            reject(rec, "same question as an earlier pair with a different answer", "conflicting")
            continue
        key = dedup_key(rec)
        if key in seen:
            counts["exact_or_near_duplicate"] += 1
            continue
        seen[key] = len(kept)
        answers_by_question[qkey] = rec["output"]
        kept.append(rec)
    return CleanResult(kept, quarantined, counts)
