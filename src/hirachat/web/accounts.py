"""Account operations shared by the admin API and the ``hira-chat users`` commands."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from hirachat.errors import HiraChatError
from hirachat.web.models import User
from hirachat.web.security import hash_password, issue_token

MIN_PASSWORD = 8


class AccountError(HiraChatError):
    pass


def create_user(db: Session, username: str, password: str, role: str) -> User:
    if role not in ("admin", "evaluator"):
        raise AccountError(f"role must be admin or evaluator, got {role!r}")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password must have at least {MIN_PASSWORD} characters")
    if db.scalar(select(User.id).where(User.username == username)) is not None:
        raise AccountError(f"user {username!r} exists")
    user = User(username=username, password_hash=hash_password(password), role=role, active=True)
    db.add(user)
    db.commit()
    return user


def api_token(db: Session, username: str, name: str = "api", days: float = 90) -> str:
    """An API token for the user that expires after ``days`` (0: never); shown once, only its hash is
    stored; listed and revoked at /api/auth/tokens and /api/admin/users/{name}/tokens."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"user {username!r} not found")
    token = issue_token(db, user, "api", days * 24 if days else None, name)
    db.commit()
    return token
