"""Administration: evaluator accounts (password reset and deactivation revoke every token; unlock after
failed logins), API tokens (issued with an expiry, listed, revoked), and the export of every rating and vote."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from hirachat.web import accounts, throttle
from hirachat.web import schemas as S
from hirachat.web.export import rating_rows, vote_rows
from hirachat.web.models import Token, User
from hirachat.web.security import DB, AdminUser, hash_password, revoke_all
from hirachat.web.services import token_view, user_view

router = APIRouter(prefix="/api/admin", tags=["admin"])


class UserIn(BaseModel):
    username: str = Field(..., pattern=r"^[A-Za-z0-9_.\-가-힣]{2,64}$")
    password: str = Field(..., min_length=8, max_length=256)
    role: Literal["admin", "evaluator"] = "evaluator"


class UserPatch(BaseModel):
    active: bool | None = Field(None, description="false: the account and all its tokens stop working")
    password: str | None = Field(None, min_length=8, max_length=256, description="A new password.")


class TokenIn(BaseModel):
    name: str = Field("api", min_length=1, max_length=64)


@router.post("/users", status_code=201, response_model=S.UserOut)
def add_user(body: UserIn, admin: AdminUser, db: DB) -> dict[str, Any]:
    try:
        return user_view(accounts.create_user(db, body.username, body.password, body.role))
    except accounts.AccountError as exc:
        raise HTTPException(409, str(exc)) from None


@router.get("/users", response_model=list[S.UserAdminOut])
def users(admin: AdminUser, db: DB) -> list[dict[str, Any]]:
    return [user_view(u) | {"active": u.active} for u in db.scalars(select(User).order_by(User.id))]


@router.patch("/users/{username}", response_model=S.UserAdminOut)
def update_user(username: str, body: UserPatch, admin: AdminUser, db: DB) -> dict[str, Any]:
    """Deactivate or reactivate an account, or set a new password (ratings stay attributed)."""
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise HTTPException(404, f"user {username!r} not found")
    if user.id == admin.id and body.active is False:
        raise HTTPException(409, "an admin cannot deactivate their own account")
    revoked = 0
    if body.active is not None:
        if body.active != user.active:
            revoked += revoke_all(db, user)  # deactivation (and the reactivation after) ends every session
        user.active = body.active
    if body.password is not None:
        user.password_hash = hash_password(body.password)
        revoked += revoke_all(db, user)
    db.commit()
    return user_view(user) | {"active": user.active, "revoked": revoked}


@router.post("/users/{username}/unlock", response_model=S.Unlocked)
def unlock(username: str, admin: AdminUser, db: DB) -> dict[str, Any]:
    """Clear an account's failed logins and lock (see docs/web.md)."""
    if db.scalar(select(User.id).where(User.username == username)) is None:
        raise HTTPException(404, f"user {username!r} not found")
    return {"username": username, "was_locked": throttle.unlock(db, username)}


@router.post("/users/{username}/tokens", status_code=201, response_model=S.NewToken)
def new_token(username: str, body: TokenIn, request: Request, admin: AdminUser, db: DB) -> dict[str, Any]:
    days = request.app.state.cfg.serve.api_token_days
    try:
        token = accounts.api_token(db, username, body.name, days)
    except accounts.AccountError as exc:
        raise HTTPException(404, str(exc)) from None
    return {"token": token, "username": username, "name": body.name, "expires_in_days": days or None}


@router.get("/users/{username}/tokens", response_model=list[S.TokenOut])
def user_tokens(username: str, admin: AdminUser, db: DB) -> list[dict[str, Any]]:
    user = db.scalar(select(User).where(User.username == username))
    if user is None:
        raise HTTPException(404, f"user {username!r} not found")
    rows = db.scalars(select(Token).where(Token.user_id == user.id).order_by(Token.id))
    return [token_view(t) for t in rows]


@router.get("/export")
def export(
    admin: AdminUser,
    db: DB,
    kind: Annotated[Literal["ratings", "votes"], Query()] = "ratings",
    format: Annotated[Literal["csv", "jsonl"], Query()] = "jsonl",
) -> Response:
    rows = rating_rows(db) if kind == "ratings" else vote_rows(db)
    if format == "jsonl":
        body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
        media = "application/x-ndjson; charset=utf-8"
    else:
        body = to_csv(rows)
        media = "text/csv; charset=utf-8"
    headers = {"Content-Disposition": f'attachment; filename="hirachat-{kind}.{format}"'}
    return Response(body.encode("utf-8"), media_type=media, headers=headers)


def _cell(v: Any) -> Any:
    """Spreadsheet-safe: a text cell that starts like a formula is prefixed with an apostrophe."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return v


def to_csv(rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # Excel opens UTF-8 Korean correctly with a BOM
    if rows:
        w = csv.DictWriter(out, fieldnames=list(rows[0]))
        w.writeheader()
        for r in rows:
            w.writerow({k: _cell(v) for k, v in r.items()})
    return out.getvalue()
