"""The app's bridge to the answering stack: one facts store and planner, one or more named engines.

The serving engine is published as model ``hira-chat``; arena contestants (``serve.arena``) under their
own names. Planning uses one DuckDB connection and one analyser, so it runs under a lock (milliseconds);
models generate outside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from hirachat.answer.engines import Engine, Generation, Written, make_engine
from hirachat.answer.service import AskService
from hirachat.answer.stream import Event, Replace, stream_answer
from hirachat.config import Config, ContestantConfig
from hirachat.paths import Workspace
from hirachat.query.model import Answer

SERVING = "hira-chat"


def default_arena(cfg: Config) -> list[ContestantConfig]:
    arena = [ContestantConfig(name="grounded", engine="grounded")]
    inf = cfg.inference
    if inf.engine != "grounded":
        name = inf.model if inf.engine == "openai" and inf.model else inf.engine
        arena.append(ContestantConfig(name=name, engine=inf.engine))
    return arena


class Answerer:
    def __init__(self, cfg: Config) -> None:
        ws = Workspace(cfg.paths.workspace)
        base = ws.resolve(cfg.paths.base_model)
        self.svc = AskService(ws.store_dir, cfg.inference, base_model=base, hints=cfg.retrieval.top_k)
        self.lock = threading.RLock()
        self.engines: dict[str, Engine] = {SERVING: self.svc.engine}
        contestants = cfg.serve.arena or default_arena(cfg)
        self.arena = [c.name for c in contestants]
        for c in contestants:
            overrides = (c.adapter, c.endpoint, c.model, c.temperature)
            if c.engine == cfg.inference.engine and all(v is None for v in overrides):
                self.engines[c.name] = self.svc.engine  # the serving engine under another name: share it
                continue
            updates = {k: v for k, v in c.model_dump().items() if k != "name" and v is not None}
            self.engines[c.name] = make_engine(c.engine, cfg.inference.model_copy(update=updates), base)

    @property
    def models(self) -> list[str]:
        return list(self.engines)

    def plan(self, question: str, history: Sequence[str] = ()) -> Answer:
        """The question, read as a follow-up of the conversation's earlier questions (``history``)."""
        with self.lock:
            return self.svc.plan_turns([*history, question])

    def finish(self, ans: Answer, written: Written, t0: float, model: str) -> dict[str, Any]:
        with self.lock:
            out = self.svc.result(ans, written, t0)
        out["model"] = model
        return out

    def answer(
        self, question: str, model: str = SERVING, gen: Generation | None = None, history: Sequence[str] = ()
    ) -> dict[str, Any]:
        t0 = time.perf_counter()
        ans = self.plan(question, history)
        written = self.engines[model].write(ans, gen or Generation())
        return self.finish(ans, written, t0, model)

    def stream(
        self, question: str, model: str, gen: Generation, history: Sequence[str] = ()
    ) -> Iterator[Event | dict[str, Any]]:
        """Text deltas and replacements as they are released, then the finished answer (a dict)."""
        t0 = time.perf_counter()
        ans = self.plan(question, history)
        for ev in stream_answer(self.engines[model], ans, gen):
            if isinstance(ev, str | Replace):
                yield ev
            else:
                yield self.finish(ans, ev, t0, model)

    def close(self) -> None:
        self.svc.close()
