"""Per-user request rate limit: a one-minute window per token (or per address without one).

``RateLimiter`` keeps its counts in memory (one process, tests); ``SharedRateLimiter`` keeps them in a small
SQLite file beside the web database, so every ``serve --workers N`` process and a restart see the same
counts (WAL, no fsync per request: a lost count after a crash only relaxes the limit for a minute). Both
approximate a sliding window from the current and previous fixed minute."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections import deque
from pathlib import Path
from typing import Protocol


class Limiter(Protocol):
    def allow(self, key: str) -> tuple[bool, float]:
        """(allowed, seconds until the next request would be allowed)."""
        ...


class RateLimiter:
    def __init__(self, per_minute: int, window_s: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self.hits: dict[str, deque[float]] = {}
        self.lock = threading.Lock()

    def allow(self, key: str) -> tuple[bool, float]:
        """(allowed, seconds until the next request would be allowed)."""
        if self.per_minute <= 0:
            return True, 0.0
        now = time.monotonic()
        with self.lock:
            q = self.hits.setdefault(key, deque())
            while q and q[0] <= now - self.window_s:
                q.popleft()
            if len(q) >= self.per_minute:
                return False, q[0] + self.window_s - now
            q.append(now)
            if len(self.hits) > 10000:  # forget idle keys
                for k in [k for k, v in self.hits.items() if not v or v[-1] <= now - self.window_s]:
                    del self.hits[k]
            return True, 0.0


class SharedRateLimiter:
    """The same contract as ``RateLimiter``, counted in SQLite (shared by worker processes)."""

    def __init__(self, per_minute: int, path: Path, window_s: float = 60.0) -> None:
        self.per_minute = per_minute
        self.window_s = window_s
        self.path = path
        self.local = threading.local()
        if per_minute > 0:
            with self._con() as con:
                con.execute(
                    "CREATE TABLE IF NOT EXISTS hits (key TEXT, win INTEGER, n INTEGER, PRIMARY KEY (key, win))"
                )

    def _con(self) -> sqlite3.Connection:
        con = getattr(self.local, "con", None)
        if con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=OFF")
            self.local.con = con
        return con

    def allow(self, key: str) -> tuple[bool, float]:
        if self.per_minute <= 0:
            return True, 0.0
        now = time.time()
        win = int(now // self.window_s)
        elapsed = (now % self.window_s) / self.window_s
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            rows = dict(
                con.execute("SELECT win, n FROM hits WHERE key = ? AND win >= ?", (key, win - 1)).fetchall()
            )
            weighted = rows.get(win, 0) + rows.get(win - 1, 0) * (1 - elapsed)
            if weighted >= self.per_minute:
                con.execute("COMMIT")
                return False, max(1.0, (1 - elapsed) * self.window_s)
            con.execute(
                "INSERT INTO hits VALUES (?, ?, 1) ON CONFLICT (key, win) DO UPDATE SET n = n + 1", (key, win)
            )
            if win % 10 == 0 and rows.get(win, 0) == 0:  # now and then, forget old windows
                con.execute("DELETE FROM hits WHERE win < ?", (win - 1,))
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return True, 0.0
