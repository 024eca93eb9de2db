"""The one query contract: what the planner produces, the dataset generator samples, the executor runs.

A ``Query`` names the table, the filters (every constraint applied, as the table's own values), the
operation and its parameters, the measures (as the table's columns) or a formula over them. The executor
(``query/execute.py``) is the only place figures are computed from rows; an ``Answer`` is what engines
word and cite; ``Abstain`` carries why the data cannot answer.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from hirachat.data.store import TableInfo
from hirachat.query.facts import Fact
from hirachat.query.reply import Reply

OPS = ("lookup", "sum", "ranking", "share", "comparison", "change", "ratio", "derived")
# what an answer is, for every surface: one figure, several side by side, a series, an order, the parts of a
# whole, a code master's entry, a term, a refusal (with its reason), a question back
KINDS = ("figure", "table", "trend", "ranking", "breakdown", "lookup", "definition", "refusal", "clarify")
MASTER_OPS = ("master", "master_count", "master_changes")
# every operation an answer's query may name: computed over a table (OPS), read from a term list or a code
# master, or refused; the one list the planner, the dataset and evaluation use
ANSWER_OPS = (*OPS, "define", *MASTER_OPS, "abstain")


@dataclass
class Query:
    """One structured question over one table."""

    table: str
    op: str  # one of OPS; ratio/derived: a formula (ranked over ``over`` when ``ranked``)
    measures: list[str]  # the table's columns the answer uses
    filters: dict[str, list[Any]] = field(default_factory=dict)  # dim → values (several: compared)
    unions: dict[str, list[str]] = field(default_factory=dict)  # dim → values summed as one (age bands)
    excluded: dict[str, list[str]] = field(default_factory=dict)  # dim → values left out ('약국은 빼고')
    years: list[int] = field(default_factory=list)
    over: list[str] = field(default_factory=list)  # the dimension(s) ranked, shared or summed over
    k: int = 3
    lowest: bool = False
    at: int | None = None  # one place of the order ('7위는?'), not the top k
    ranked: bool = False
    percent: bool = False  # a comparison also as "A는 B의 x%"
    times: bool = False  # a change also as a multiple ("2019년은 2013년의 약 0.37배")
    formula: dict[str, Any] | None = None  # {"op": ratio|diff, "a", "b", "percent"} over figure names
    figure: str | None = None  # the formula's name as asked ("1인당 진료비")
    resolved: dict[str, str] = field(default_factory=dict)  # figure name → the table's column
    labels: dict[str, str] = field(default_factory=dict)  # how a union is said ("20대")

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown query op {self.op!r}: one of {', '.join(OPS)}")

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, [], {}, False)}


@dataclass
class Answer:
    """What the planner returns: the reply in parts (body, typed notes, citation) and everything needed
    to cite and check it. ``answer`` is the reply rendered as text, once."""

    question: str
    reply: Reply
    abstained: bool
    qtype: str
    table_id: str | None = None
    facts: list[Fact] = field(default_factory=list)
    derived: list[dict[str, Any]] = field(default_factory=list)
    query: dict[str, Any] = field(default_factory=dict)
    reason: str | None = None  # why it abstained: year, measure, entity, dimension, drift, ambiguous, ...
    extra: list[float] = field(default_factory=list)  # numbers the answer may state besides facts (years)
    strip: list[str] = field(default_factory=list)  # names whose digits are not numbers (titles)
    interpretation: str = ""  # one Korean line: the query as understood ("이해한 질문: …")
    choices: list[str] = field(default_factory=list)  # a question back: the question read each possible way
    intent: Any = None  # the planner's reading (an Intent): what a follow-up question builds on
    context: Any = (
        None  # the reading the next turn continues from (this one's, or the one before a definition)
    )

    def __post_init__(self) -> None:
        if self.query and self.query.get("op") not in ANSWER_OPS:
            raise ValueError(f"unknown answer op {self.query.get('op')!r}: one of {', '.join(ANSWER_OPS)}")

    @property
    def answer(self) -> str:
        return self.reply.render()

    @property
    def kind(self) -> str:
        """One of KINDS."""
        q = self.query
        op = q.get("op")
        if self.abstained:
            return "clarify" if self.reason == "ambiguous" else "refusal"
        if op == "define":
            return "definition"
        if op in MASTER_OPS:
            return "lookup"
        if op == "ranking" or (op in ("ratio", "derived") and q.get("k")):
            return "ranking"
        if op == "share" and q.get("over") and q["over"] not in q.get("filters", {}):
            return "breakdown"
        if op == "change" and len(q.get("years", [])) > 2:
            return "trend"
        if op == "comparison":
            return "table"
        return "figure"

    def figures(self) -> list[float]:
        """The figures the answer states: its computed ones where it has them (ranks aside), else the facts."""
        derived = [
            float(d["value"]) for d in self.derived if d.get("op") != "rank" and d.get("value") is not None
        ]
        return derived or [float(f["value"]) for f in self.facts if f.get("value") is not None]

    def sources(self) -> list[dict[str, Any]]:
        return [
            {
                "table": f["table_id"],
                "file": f["source"].get("file"),
                "sheet": f["source"].get("sheet"),
                "row": f["source"].get("row"),
                "measure": f["measure"],
                "value": f["value"],
                "unit": f["unit"],
                "dims": f["dims"],
            }
            for f in self.facts
        ]


class Abstain(Exception):
    def __init__(
        self,
        reason: str,
        text: str,
        table: TableInfo | None = None,
        extra: list[float] | None = None,
        choices: list[str] | None = None,
    ):
        super().__init__(text)
        self.reason, self.text, self.table, self.extra = reason, text, table, extra or []
        self.choices = choices or []  # a question back: each choice is the question, read one way
