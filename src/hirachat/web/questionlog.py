"""The question log's writer: every answered question becomes a ``question_log`` row, written by one
background thread so that logging never slows or breaks an answer; also the retention purge's schedule.

``record`` only builds a small dict and puts it on a bounded queue (microseconds); the thread writes what
has queued up in one transaction. A row that cannot be queued or written is counted
(``hirachat_question_log_failures_total{stage}``) and logged, never raised to the user. Rows older than
``serve.log_retention_days`` are deleted when the thread starts and then once a day.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import re
import threading
import time
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert
from sqlalchemy.orm import Session, sessionmaker

from hirachat.answer.reading import without_unread
from hirachat.config import ServeConfig
from hirachat.web.models import QuestionLog, QuestionLogTable
from hirachat.web.monitor import purge_question_log, tables_used

if TYPE_CHECKING:
    from hirachat.web.metrics import Metrics

log = logging.getLogger("hirachat.web")
QUEUE_MAX = 10_000  # answers waiting to be written; beyond this (database gone for minutes) they are dropped
BATCH = 500
PURGE_EVERY_S = 24 * 3600
_SPACE = re.compile(r"\s+")
_TRAILING = re.compile(r"[\s?？.!。~]+$")
_STOP = object()


def question_key(text: str) -> str:
    """The form abstained questions are grouped by: NFKC, case folded, spaces collapsed, no final '?'."""
    key = _SPACE.sub(" ", unicodedata.normalize("NFKC", text).casefold()).strip()
    return _TRAILING.sub("", key)[:500]


def _short(v: Any, n: int) -> str | None:
    return None if v is None or v == "" else str(v)[:n]


def entry(
    result: dict[str, Any],
    surface: str,
    user_id: int | None,
    message_id: int | None,
    keep_text: bool,
) -> dict[str, Any]:
    """The log row of one answer (``question`` and its key only when ``keep_text``)."""
    question = str(result.get("question") or "")
    tokens = result.get("generated_tokens")
    return {
        "created_at": datetime.now(UTC),
        "user_id": user_id,
        "surface": surface[:16],
        "engine": str(result.get("engine") or "?")[:64],
        "model": _short(result.get("model"), 64),
        "question": question if keep_text and question else None,
        "question_key": question_key(question) if keep_text and question else None,
        "interpretation": _short(
            result.get("interpretation")
            if keep_text
            else without_unread(str(result.get("interpretation") or "")),
            2000,
        ),
        "data_version": _short(result.get("data_version"), 64),
        "latency_ms": float(result.get("latency_ms") or 0.0),
        "abstained": bool(result.get("abstained")),
        "reason": _short(result.get("reason"), 64),
        "fallback": bool(result.get("fallback_reason")),
        "fallback_reason": _short(result.get("fallback_reason"), 2000),
        "generated_tokens": int(tokens) if tokens is not None else None,
        "message_id": message_id,
        "tables": tables_used(result),
    }


def write_rows(db: Session, rows: Sequence[dict[str, Any]]) -> int:
    """Insert log rows (as ``entry`` builds them) in one transaction, as two bulk inserts; the number written."""
    if not rows:
        return 0
    fields = [{k: v for k, v in row.items() if k != "tables"} for row in rows]
    ids = db.scalars(
        insert(QuestionLog).returning(QuestionLog.id, sort_by_parameter_order=True), fields
    ).all()
    used = [{"log_id": i, "table_id": t} for i, row in zip(ids, rows, strict=True) for t in row["tables"]]
    if used:
        db.execute(insert(QuestionLogTable), used)
    db.commit()
    return len(ids)


class QuestionLogWriter:
    """Queues answered questions and writes them from one daemon thread (``start``/``close`` in the app's
    lifespan). With ``serve.log_questions: false`` nothing is queued and nothing is purged."""

    def __init__(self, sessions: sessionmaker[Session], serve: ServeConfig, metrics: Metrics) -> None:
        self.sessions = sessions
        self.enabled = serve.log_questions
        self.keep_text = serve.log_question_text
        self.retention_days = serve.log_retention_days
        self.metrics = metrics
        self.queue: queue.Queue[Any] = queue.Queue(maxsize=QUEUE_MAX)
        self.thread: threading.Thread | None = None

    def record(
        self,
        result: dict[str, Any],
        surface: str,
        user_id: int | None = None,
        message_id: int | None = None,
    ) -> None:
        """Queue one answer for the log; never raises (a failure is counted and logged)."""
        if not self.enabled:
            return
        try:
            self.queue.put_nowait(entry(result, surface, user_id, message_id, self.keep_text))
        except queue.Full:
            self._failed("queue", 1, "question log queue full: an answer was not logged")
        except Exception:
            self._failed("queue", 1, "question log entry could not be built", exc_info=True)

    def start(self) -> None:
        if self.enabled and self.thread is None:
            self.thread = threading.Thread(target=self._run, name="question-log", daemon=True)
            self.thread.start()

    def close(self, timeout: float = 10.0) -> None:
        """Write what is queued, then stop the thread."""
        if self.thread is None:
            return
        with contextlib.suppress(queue.Full):  # a full queue still drains: the thread stops at the join
            self.queue.put(_STOP, timeout=timeout)
        self.thread.join(timeout)
        self.thread = None

    def _failed(self, stage: str, n: int, message: str, exc_info: bool = False) -> None:
        try:
            self.metrics.question_log_failures.labels(stage).inc(n)
            log.error(message, exc_info=exc_info)
        except Exception:  # the failure's own report must not fail the caller either
            pass

    def _run(self) -> None:
        next_purge = 0.0  # purge as soon as the thread starts, then daily
        while True:
            if time.monotonic() >= next_purge:
                self._purge()
                next_purge = time.monotonic() + PURGE_EVERY_S
            try:
                first = self.queue.get(timeout=max(1.0, next_purge - time.monotonic()))
            except queue.Empty:
                continue
            batch, stop = [], first is _STOP
            if not stop:
                batch.append(first)
            while len(batch) < BATCH and not stop:
                try:
                    item = self.queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                else:
                    batch.append(item)
            if batch:
                self._write(batch)
            if stop:
                return

    def _write(self, batch: list[dict[str, Any]]) -> None:
        try:
            with self.sessions() as db:
                self.metrics.question_log_written.inc(write_rows(db, batch))
        except Exception:
            self._failed("write", len(batch), f"question log: {len(batch)} rows not written", exc_info=True)

    def _purge(self) -> None:
        if not self.retention_days:
            return
        try:
            with self.sessions() as db:
                n = purge_question_log(db, self.retention_days)
            if n:
                log.info("question log: %d rows older than %d days deleted", n, self.retention_days)
        except Exception:
            self._failed("purge", 1, "question log purge failed", exc_info=True)
