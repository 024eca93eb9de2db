"""BM25 retrieval over fact cards (bm25s), with Kiwi tokens.

One card per stored row. A card's tokens are the Kiwi morphemes of its dimension values and its year
(codes stay whole); since values repeat across millions of rows, each distinct value is tokenised once.
Measure names are left out: every row of a table has the same ones, so they only lengthen cards.
The index is saved under ``processed/index/`` with the store's state (its active sources), and rebuilt
only when that state changes. Searching can be restricted to one table (structured filter), and card
text is rendered from the store on demand, so the index holds no copy of the data.

Uses: the facts shown as "similar data" when a question cannot be answered, and hard negatives (cards
near the question but not its answer) in retrieval-style training prompts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from hirachat import korean as K
from hirachat.answer.lexicon import squash
from hirachat.answer.morph import kiwi
from hirachat.data.schema import YEAR
from hirachat.data.store import FactStore
from hirachat.query.cards import card
from hirachat.vocab import current

CONTENT_TAGS = ("NN", "SL", "SN", "XR", "VV", "VA")
CODE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]\d{2}(?:\.\d{1,2})?(?![A-Za-z0-9])")


@lru_cache(maxsize=200_000)
def value_tokens(text: str) -> tuple[str, ...]:
    return tuple(t.form for t in kiwi().tokenize(text) if t.tag.startswith(CONTENT_TAGS))


@lru_cache(maxsize=1)
def measure_tokens() -> frozenset[str]:
    """Tokens of every measure word: generic in a question, never what makes a row similar."""
    words = {squash(w) for m in current().measures for w in (m.name, *m.synonyms, *m.labels, *m.words)}
    return frozenset({tok for w in words for tok in value_tokens(w)} | words)


def question_tokens(question: str) -> list[str]:
    codes = [c.upper() for c in CODE.findall(question)]  # a code is one token (Kiwi splits J20 into J + 20)
    return codes + [
        t.form for t in kiwi().tokenize(CODE.sub(" ", question)) if t.tag.startswith(CONTENT_TAGS)
    ]


def store_state(store: FactStore) -> str:
    ids = sorted(s.source_id for s in store.sources())
    return hashlib.sha256("|".join(ids).encode()).hexdigest()[:16]


@dataclass
class Hit:
    table_id: str
    rowid: int
    score: float


class CardIndex:
    def __init__(
        self, retriever: object, tables: list[str], table_of: np.ndarray, rowids: np.ndarray, state: str
    ):
        self.retriever = retriever
        self.tables = tables
        self.table_of = table_of  # per card: index into ``tables``
        self.rowids = rowids  # per card: DuckDB rowid in that table
        self.state = state

    @classmethod
    def build(cls, store: FactStore) -> CardIndex:
        import bm25s

        corpus: list[list[str]] = []
        tables, table_of, rowids = [], [], []
        for ti, t in enumerate(store.tables()):
            tables.append(t.table_id)
            cols = ", ".join(f'"{d}"' for d in t.dims)
            rows = store.con.execute(f'SELECT rowid, {cols} FROM "{t.physical}" ORDER BY rowid').fetchall()
            for r in rows:
                toks: list[str] = []
                for d, v in zip(t.dims, r[1:], strict=True):
                    if v is None or str(v) == "계":
                        continue
                    if d == YEAR or d.endswith("코드"):
                        toks.append(str(v))
                    else:
                        toks += value_tokens(K.value_phrase(d, v))
                corpus.append(toks)
                table_of.append(ti)
                rowids.append(r[0])
        retriever = bm25s.BM25()
        retriever.index(corpus, show_progress=False)
        return cls(
            retriever,
            tables,
            np.asarray(table_of, dtype=np.int32),
            np.asarray(rowids, dtype=np.int64),
            store_state(store),
        )

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.retriever.save(str(folder / "bm25"), show_progress=False)  # type: ignore[attr-defined]
        np.save(folder / "table_of.npy", self.table_of)
        np.save(folder / "rowids.npy", self.rowids)
        (folder / "manifest.json").write_text(
            json.dumps({"state": self.state, "tables": self.tables}), encoding="utf-8"
        )

    @classmethod
    def load_or_build(cls, store: FactStore, folder: Path) -> CardIndex:
        import bm25s

        state = store_state(store)
        manifest = folder / "manifest.json"
        if manifest.exists():
            meta = json.loads(manifest.read_text(encoding="utf-8"))
            if meta.get("state") == state:
                retriever = bm25s.BM25.load(str(folder / "bm25"))
                return cls(
                    retriever,
                    meta["tables"],
                    np.load(folder / "table_of.npy"),
                    np.load(folder / "rowids.npy"),
                    state,
                )
        index = cls.build(store)
        with contextlib.suppress(OSError):  # a read-only workspace still answers; it rebuilds next time
            index.save(folder)
        return index

    def search(
        self, question: str, k: int = 5, table_id: str | None = None, values_only: bool = False
    ) -> list[Hit]:
        """Top cards; ``values_only`` ignores years and measure names (hints must share a named value)."""
        toks = question_tokens(question)
        if values_only:
            generic = measure_tokens()
            toks = [t for t in toks if not t.isdigit() and t not in generic]
        if not toks or not len(self.rowids):
            return []
        mask = None
        if table_id is not None:
            if table_id not in self.tables:
                return []
            mask = (self.table_of == self.tables.index(table_id)).astype(np.float32)
        k = min(k, len(self.rowids))
        docs, scores = self.retriever.retrieve([toks], k=k, show_progress=False, weight_mask=mask)  # type: ignore[attr-defined]
        return [
            Hit(self.tables[self.table_of[d]], int(self.rowids[d]), float(s))
            for d, s in zip(docs[0], scores[0], strict=True)
            if s > 0
        ]

    def render(self, store: FactStore, hit: Hit, values: bool = True) -> str:
        """The card of a hit, from the store (with values, or only its header)."""
        t = store.table(hit.table_id)
        row = store.con.execute(f'SELECT * FROM "{t.physical}" WHERE rowid = ?', [hit.rowid]).df().iloc[0]
        dims = {d: (int(row[d]) if d == YEAR else str(row[d])) for d in t.dims}
        vals = (
            {m: (float(row[m]), t.measure(m)["unit"]) for m in t.measure_names if row[m] == row[m]}
            if values
            else {}
        )
        text = card(dims, vals)
        return text.split(" | ")[0] if not values else text
