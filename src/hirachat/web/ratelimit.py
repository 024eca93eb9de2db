"""Per-user request rate limit: a sliding one-minute window per token (or per address without one)."""

from __future__ import annotations

import threading
import time
from collections import deque


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
