"""Accounts: password hashing (scrypt), bearer/cookie tokens, and the ``current_user`` dependencies."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from hirachat.web.models import Token, User

COOKIE = "hc_token"
_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(
            password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


_DUMMY: list[str] = []  # a hash to check unknown users' passwords against (made once)


def authenticate(db: Session, username: str, password: str) -> User | None:
    """The active user whose password this is, else None. Exactly one scrypt either way: an unknown
    username takes as long as a known one (no user enumeration by timing)."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        if not _DUMMY:
            _DUMMY.append(hash_password(secrets.token_urlsafe(16)))
        verify_password(password, _DUMMY[0])
        return None
    ok = verify_password(password, user.password_hash)
    return user if ok and user.active else None


def revoke_all(db: Session, user: User) -> int:
    """Every login session and API token of the account stops working (password change, reset,
    deactivation). Returns how many were revoked; the caller commits."""
    result = db.execute(delete(Token).where(Token.user_id == user.id))
    return int(getattr(result, "rowcount", 0) or 0)


def client_address(request: Request) -> str:
    """The socket peer's address: never a header the client sends."""
    return request.client.host if request.client else "unknown"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def issue_token(db: Session, user: User, kind: str, ttl_hours: float | None, name: str | None = None) -> str:
    """A new random token for the user; only its hash is stored. ``ttl_hours=None``: no expiry (API)."""
    token = secrets.token_urlsafe(32)
    expires = datetime.now(UTC) + timedelta(hours=ttl_hours) if ttl_hours else None
    db.add(Token(token_hash=token_hash(token), user_id=user.id, kind=kind, name=name, expires_at=expires))
    return token


def presented_token(request: Request) -> str | None:
    """The bearer token from the Authorization header, else the login cookie."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.cookies.get(COOKIE)


def user_for_token(db: Session, token: str | None) -> User | None:
    """The token's active user. The lookup's transaction ends here, so its pooled connection goes back at
    once instead of being held while the request is answered (64 concurrent answers exhausted the pool)."""
    if not token:
        return None
    row = db.execute(
        select(Token, User).join(User, User.id == Token.user_id).where(Token.token_hash == token_hash(token))
    ).first()
    db.commit()
    if row is None:
        return None
    tok, user = row
    expires = tok.expires_at
    if expires is not None and expires.tzinfo is None:  # SQLite returns naive datetimes
        expires = expires.replace(tzinfo=UTC)
    if not user.active or (expires is not None and expires < datetime.now(UTC)):
        return None
    return user


def db_session(request: Request) -> Iterator[Session]:
    """One SQLAlchemy session per request."""
    with request.app.state.sessions() as db:
        yield db


DB = Annotated[Session, Depends(db_session)]


def current_user(request: Request, db: DB) -> User:
    user = user_for_token(db, presented_token(request))
    if user is None:
        raise HTTPException(401, "로그인이 필요합니다 (login required: a valid bearer token or session)")
    request.state.user = user.username
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def admin_user(user: CurrentUser) -> User:
    if user.role != "admin":
        raise HTTPException(403, "관리자 권한이 필요합니다 (admin only)")
    return user


AdminUser = Annotated[User, Depends(admin_user)]
