"""The QA record contract, defined once.

A record is the original project's format ``{"instruction", "input", "output", "metadata"}``.
``metadata`` keys:

- ``category``: table subject (질병, 진료비, 요양기관, ...); ``source``: citation of the table;
  ``year``: the year(s) the answer is about (int, list, or None)
- ``qtype``: lookup | sum | ranking | comparison | change | ratio | derived | definition | unanswerable |
  followup (an elliptical question; ``input`` holds "이전 질문: …", ``slots.previous`` the question itself)
- ``table_id``; ``group_id``: paraphrases of one structured query share it; ``split`` (after split)
- ``query``: the ``Query`` that yields the answer, as ``Query.as_dict()`` (table, op from ``Query.OPS``,
  measures, filters as lists, years, over, k, formula); executing it on the store gives the answer again.
  Unanswerable records add ``reason``, follow-ups ``follows``; definitions are ``{"op": "define", "term"}``
- ``facts``: every fact used, with its value, unit and provenance (file, sha256, sheet, row)
- ``derived``: each computed figure as ``{"op", "of": [fact ids], "value"}``; the numeric check recomputes it
- ``available``: for unanswerable questions, what the store does hold (years, measures, values)
- ``synthetic``: the facts come from synthetic sample tables
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypedDict

QTYPES = (
    "lookup",
    "sum",
    "ranking",
    "comparison",
    "change",
    "ratio",
    "derived",
    "definition",
    "unanswerable",
    "followup",
)


class QARecord(TypedDict):
    instruction: str
    input: str
    output: str
    metadata: dict[str, Any]


def group_id(query: dict[str, Any]) -> str:
    key = json.dumps(query, ensure_ascii=False, sort_keys=True, default=str)
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


PREVIOUS = "이전 질문: "  # a follow-up record's input: the question it follows


def conversation(rec: QARecord | dict[str, Any]) -> list[str]:
    """The questions a record's answer depends on: the one it follows (a follow-up) and its own."""
    inp = rec.get("input") or ""
    return [inp[len(PREVIOUS) :], rec["instruction"]] if inp.startswith(PREVIOUS) else [rec["instruction"]]


def record(instruction: str, output: str, metadata: dict[str, Any], input_text: str = "") -> QARecord:
    return {"instruction": instruction, "input": input_text, "output": output, "metadata": metadata}
