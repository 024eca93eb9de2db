"""The app's bridge to the answering stack: one facts store and planner, one or more named engines.

The serving engine is published as model ``hira-chat``; arena contestants (``serve.arena``) under their
own names. Answers read the facts store's current version and cite it (``data_version``). Planning uses one DuckDB connection and one analyser, so it runs under a lock (milliseconds);
models generate outside it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from hirachat.answer.engines import Engine, Generation, Written, make_engine
from hirachat.answer.intent import Intent
from hirachat.answer.service import AskService
from hirachat.answer.stream import Event, Replace, stream_answer
from hirachat.config import Config, ContestantConfig
from hirachat.paths import CURRENT_FILE, Workspace
from hirachat.query.model import Answer

SERVING = "hira-chat"
log = logging.getLogger(__name__)


def default_arena(cfg: Config) -> list[ContestantConfig]:
    arena = [ContestantConfig(name="grounded", engine="grounded")]
    inf = cfg.inference
    if inf.engine != "grounded":
        name = inf.model if inf.engine == "openai" and inf.model else inf.engine
        arena.append(ContestantConfig(name=name, engine=inf.engine))
    return arena


class Answerer:
    """Answers on the store's current version; a new version (``data update``/``rollback``, or the admin
    action) is picked up at the next question, and questions already being answered finish on the old one."""

    def __init__(self, cfg: Config) -> None:
        ws = Workspace.of(cfg.paths)
        base = ws.resolve(cfg.paths.base_model)
        self.store_dir = ws.store_dir
        self.cfg = cfg
        self.engine = make_engine(cfg.inference.engine, cfg.inference, base)  # kept across versions
        self.lock = threading.RLock()
        self._switching = threading.Lock()
        self._seen = self._marker()
        self._svc = self._open()
        self._users: dict[int, int] = {}
        self.switch_error: str | None = None
        self.engines: dict[str, Engine] = {SERVING: self.engine}
        contestants = cfg.serve.arena or default_arena(cfg)
        self.arena = [c.name for c in contestants]
        for c in contestants:
            overrides = (c.adapter, c.endpoint, c.model, c.temperature)
            if c.engine == cfg.inference.engine and all(v is None for v in overrides):
                self.engines[c.name] = self.engine  # the serving engine under another name: share it
                continue
            updates = {k: v for k, v in c.model_dump().items() if k != "name" and v is not None}
            self.engines[c.name] = make_engine(c.engine, cfg.inference.model_copy(update=updates), base)

    def _open(self) -> AskService:
        return AskService(
            self.store_dir, self.cfg.inference, hints=self.cfg.retrieval.top_k, engine_instance=self.engine
        )

    def _marker(self) -> tuple[int, int] | None:
        try:
            st = (self.store_dir / CURRENT_FILE).stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_ino)

    @property
    def svc(self) -> AskService:
        return self._svc

    @property
    def version(self) -> str | None:
        return self._svc.version

    @property
    def models(self) -> list[str]:
        return list(self.engines)

    def refresh(self, wait: bool = False) -> None:
        """Open the current version if CURRENT changed (one stat per question when it has not)."""
        if self._marker() == self._seen:
            return
        if not self._switching.acquire(blocking=wait):
            return  # another question is opening it; this one is answered on the version in use
        try:
            marker = self._marker()
            if marker == self._seen:
                return
            try:
                new = self._open()
            except Exception as exc:  # a version that cannot be opened: keep serving the one in use
                self.switch_error = f"{self.store_dir}: {exc}"
                log.error("data version not switched, still serving %s: %s", self.version, exc)
                self._seen = marker
                return
            with self.lock:
                old, self._svc, self._seen, self.switch_error = self._svc, new, marker, None
                if not self._users.get(id(old)):
                    old.close()
            log.info("data version %s → %s", old.version, new.version)
        finally:
            self._switching.release()

    @contextmanager
    def _pinned(self) -> Iterator[AskService]:
        """The version in use now, kept open until this question's answer is finished."""
        self.refresh()
        with self.lock:
            svc = self._svc
            self._users[id(svc)] = self._users.get(id(svc), 0) + 1
        try:
            yield svc
        finally:
            with self.lock:
                self._users[id(svc)] -= 1
                if not self._users[id(svc)]:
                    del self._users[id(svc)]
                    if svc is not self._svc:
                        svc.close()

    def _plan(
        self, svc: AskService, question: str, history: Sequence[str], context: dict[str, Any] | None
    ) -> Answer:
        """The question, read against the conversation's stored ``context`` (the last turn's reading), or
        else as a follow-up of its earlier questions (``history``: /v1, conversations stored before)."""
        with self.lock:
            if context is not None:
                return svc.turn(question, Intent.from_state(context))
            return svc.plan_turns([*history, question])

    def _finish(
        self, svc: AskService, ans: Answer, written: Written, t0: float, model: str
    ) -> dict[str, Any]:
        with self.lock:
            out = svc.result(ans, written, t0)
        out["model"] = model
        return out

    def answer(
        self,
        question: str,
        model: str = SERVING,
        gen: Generation | None = None,
        history: Sequence[str] = (),
        context: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        t0 = time.perf_counter()
        with self._pinned() as svc:
            ans = self._plan(svc, question, history, context)
            written = self.engines[model].write(ans, gen or Generation())
            return self._finish(svc, ans, written, t0, model)

    def stream(
        self,
        question: str,
        model: str,
        gen: Generation,
        history: Sequence[str] = (),
        context: dict[str, Any] | None = None,
    ) -> Iterator[Event | dict[str, Any]]:
        """Text deltas and replacements as they are released, then the finished answer (a dict)."""
        t0 = time.perf_counter()
        with self._pinned() as svc:
            ans = self._plan(svc, question, history, context)
            for ev in stream_answer(self.engines[model], ans, gen):
                if isinstance(ev, str | Replace):
                    yield ev
                else:
                    yield self._finish(svc, ans, ev, t0, model)

    def close(self) -> None:
        self._svc.close()
