"""``ask``: question(s) in, JSON-ready answers out. Opens the store read-only, builds the lexicon once."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from hirachat.answer.engines import Engine, Written, make_engine
from hirachat.answer.intent import Intent
from hirachat.answer.lexicon import Lexicon
from hirachat.answer.plan import Planner
from hirachat.answer.retrieve import CardIndex
from hirachat.answer.understand import understand
from hirachat.config import InferenceConfig
from hirachat.data.store import FactStore
from hirachat.paths import active_store, index_dir
from hirachat.query.display import display
from hirachat.query.model import Answer

SUGGEST_FOR = ("entity", "dimension", "ambiguous")
TURNS = 8  # a conversation's questions a turn is read against (the last ones)


def carried(ans: Answer, previous: Intent | None) -> Intent | None:
    """What the next question is read against: this turn's reading (an abstained turn too: it is still
    what the user refers to), except a definition, which leaves the conversation where it was."""
    return ans.intent if ans.intent is not None and ans.intent.qtype != "definition" else previous


class AskService:
    def __init__(
        self,
        store_dir: Path,
        cfg: InferenceConfig,
        engine: str | None = None,
        base_model: Path | None = None,
        hints: int = 3,
        engine_instance: Engine | None = None,
    ) -> None:
        folder = active_store(
            store_dir
        )  # a versioned store: the version current now, for this service's life
        self.version = folder.name if folder != store_dir else None
        self.store = FactStore.open(folder, read_only=True)
        self.lexicon = Lexicon.build(self.store)
        self.planner = Planner(self.store, self.lexicon)
        self.engine: Engine = engine_instance or make_engine(engine or cfg.engine, cfg, base_model)
        self.index_dir = index_dir(folder)
        self._index: CardIndex | None = None
        self.hints = hints
        understand("준비", self.lexicon)  # load the morphological analyser before the first question

    def plan(self, question: str, previous: Intent | None = None) -> Answer:
        """Understand the question (a follow-up against ``previous``) and run its query."""
        ans = self.planner.answer(understand(question, self.lexicon, previous=previous))
        ans.context = carried(ans, previous)
        return ans

    def turn(self, question: str, previous: Intent | None) -> Answer:
        """One turn of a conversation that stored where it stands (``previous``: the last turn's context):
        the web chat and ``ask --chat`` continue from it instead of re-reading earlier questions."""
        return self._suggest(self.plan(question, previous))

    def plan_turns(self, questions: list[str]) -> Answer:
        """The last of a conversation given as its questions (/v1, evaluation, a chat stored before turns kept
        their context): each earlier one read as the context of the next, by the same rule as ``turn``."""
        previous: Intent | None = None
        ans: Answer | None = None
        for q in questions[-TURNS:]:
            ans = self.plan(q, previous)
            previous = ans.context
        assert ans is not None
        return self._suggest(ans)

    def _suggest(self, ans: Answer) -> Answer:
        """After a refusal that a near miss may explain, the stored rows closest to the question (part of
        the reply, so every surface shows the same text)."""
        if ans.reason in SUGGEST_FOR and self.hints and not ans.reply.hints:
            ans.reply.hints = self.similar(ans.question, self.hints)
        return ans

    def ask(self, question: str, previous: Intent | None = None) -> dict[str, Any]:
        t0 = time.perf_counter()
        ans = self._suggest(self.plan(question, previous))
        return self.result(ans, self.engine.write(ans), t0)

    def result(self, ans: Answer, written: Written, t0: float) -> dict[str, Any]:
        """The JSON-ready answer: text, sources, query, engine, timings, abstention reason and hints."""
        out: dict[str, Any] = {
            "question": ans.question,
            "answer": written.text,
            "abstained": ans.abstained,
            "qtype": ans.qtype,
            "kind": ans.kind,
            "table": ans.table_id,
            "sources": ans.sources(),
            "query": ans.query,
            "interpretation": ans.interpretation,
            "notes": [n.as_dict() for n in ans.reply.notes],  # typed: what kind each note is
            "figures": ans.figures() if not ans.abstained else [],
            "engine": written.engine,
            "latency_ms": round((time.perf_counter() - t0) * 1000, 2),
        }
        if self.version:
            out["data_version"] = self.version
        shown = display(ans)
        if shown is not None:
            out["display"] = shown
        if written.fallback_reason:
            out["fallback_reason"] = written.fallback_reason
        if written.generated_tokens is not None:
            out["generated_tokens"] = written.generated_tokens
        if ans.reason:
            out["reason"] = ans.reason
        if ans.choices:
            out["choices"] = ans.choices  # a question back: the question read each way (ask one to pick it)
        if ans.reply.hints:
            out["similar"] = ans.reply.hints
        if ans.intent is not None and getattr(ans.intent, "words", None):
            out["words"] = ans.intent.words  # every morpheme and the reading that claimed it (None: unread)
        if ans.context is not None:
            out["context"] = (
                ans.context.state()
            )  # stored with a chat message: the next turn continues from it
        return out

    def similar(self, question: str, k: int = 3) -> list[str]:
        """Headers (no values) of the stored rows closest to the question, as hints after an abstention."""
        if self._index is None:
            self._index = CardIndex.load_or_build(self.store, self.index_dir)
        # across tables (the chosen one is the one that lacks it), matching named values only
        hits = self._index.search(question, k, values_only=True)
        return [self._index.render(self.store, h, values=False) for h in hits]

    def ask_many(self, questions: Iterable[str]) -> Iterator[dict[str, Any]]:
        for q in questions:
            if q.strip():
                yield self.ask(q.strip())

    def converse(self, questions: Iterable[str]) -> Iterator[dict[str, Any]]:
        """A conversation: each question is read against the one before (elliptical follow-ups)."""
        previous: Intent | None = None
        choices: list[str] = []
        for q in questions:
            if not q.strip():
                continue
            t0 = time.perf_counter()
            picked = q.strip()
            if picked.isdigit() and 1 <= int(picked) <= len(choices):  # '2': the second reading offered
                picked = choices[int(picked) - 1]
            ans = self.turn(picked, previous)
            previous, choices = ans.context, ans.choices
            yield self.result(ans, self.engine.write(ans), t0)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> AskService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
