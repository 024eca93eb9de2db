"""Login throttling: failed logins counted per account and per client address in the web database.

The client address is the socket's peer (never a header the client sends, so a varying Authorization or
X-Forwarded-For changes nothing). An account with ``login_max_failures`` wrong passwords in the window is
locked for ``login_lockout_minutes`` (an admin can unlock it): even the right password is refused until
then. An address with ``login_max_per_address`` failures in the window gets 429 whatever account it tries.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi import HTTPException
from sqlalchemy import delete
from sqlalchemy.orm import Session

from hirachat.config import ServeConfig
from hirachat.web.models import LoginThrottle


def _aware(t: datetime | None) -> datetime | None:
    return t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t  # SQLite drops the zone


def _row(db: Session, key: str) -> LoginThrottle | None:
    return db.get(LoginThrottle, key)


def check(db: Session, cfg: ServeConfig, username: str, address: str) -> None:
    """Raise 429 (address throttled) or 423 (account locked) before any password is checked."""
    now = datetime.now(UTC)
    addr = _row(db, f"addr:{address}")
    window = timedelta(minutes=cfg.login_window_minutes)
    start = _aware(addr.window_start) if addr else None
    if addr and start and start > now - window and addr.failures >= cfg.login_max_per_address:
        wait = int((start + window - now).total_seconds()) + 1
        raise HTTPException(
            429,
            "로그인 실패가 너무 많습니다. 잠시 후 다시 시도하세요 (too many failed logins from this address)",
            headers={"Retry-After": str(wait)},
        )
    user = _row(db, f"user:{username}")
    until = _aware(user.locked_until) if user else None
    if until and until > now:
        raise HTTPException(
            423,
            "로그인 실패가 반복되어 계정이 잠겼습니다. 관리자에게 잠금 해제를 요청하거나 잠시 후 다시 시도하세요 "
            "(account locked after repeated failures)",
            headers={"Retry-After": str(int((until - now).total_seconds()) + 1)},
        )


def _count(db: Session, key: str, window: timedelta, now: datetime) -> LoginThrottle:
    row = _row(db, key)
    if row is None:
        row = LoginThrottle(key=key, failures=0, window_start=now)
        db.add(row)
    start = _aware(row.window_start)
    if start is None or start <= now - window:
        row.failures, row.window_start = 0, now
    row.failures += 1
    return row


def failed(db: Session, cfg: ServeConfig, username: str, address: str) -> None:
    """Count a failed login for the account and the address; lock the account at the limit."""
    now = datetime.now(UTC)
    window = timedelta(minutes=cfg.login_window_minutes)
    _count(db, f"addr:{address}", window, now)
    user = _count(db, f"user:{username}", window, now)
    if user.failures >= cfg.login_max_failures:
        user.locked_until = now + timedelta(minutes=cfg.login_lockout_minutes)
    db.commit()


def succeeded(db: Session, username: str) -> None:
    db.execute(delete(LoginThrottle).where(LoginThrottle.key == f"user:{username}"))


def unlock(db: Session, username: str) -> bool:
    """An admin's unlock: the account's failures and lock are cleared. True if it was locked."""
    row = _row(db, f"user:{username}")
    until = _aware(row.locked_until) if row else None
    locked = until is not None and until > datetime.now(UTC)
    succeeded(db, username)
    db.commit()
    return locked
