"""Login and logout (a bearer token, also set as an HttpOnly SameSite cookie), password change, who am I,
and one's own API tokens (listed without their secret, revocable)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, select

from hirachat.web import schemas as S
from hirachat.web import throttle
from hirachat.web.models import Token, User
from hirachat.web.routers.common import RowId
from hirachat.web.security import (
    COOKIE,
    DB,
    CurrentUser,
    authenticate,
    client_address,
    hash_password,
    issue_token,
    presented_token,
    revoke_all,
    token_hash,
    user_for_token,
    verify_password,
)
from hirachat.web.services import token_view, user_view

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Login(BaseModel):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=256)


@router.post("/login", response_model=S.LoginOut)
def login(body: Login, request: Request, response: Response, db: DB) -> dict[str, Any]:
    """Throttled per account and per client address (docs/web.md); the same work for unknown users."""
    cfg = request.app.state.cfg.serve
    address = client_address(request)
    throttle.check(db, cfg, body.username, address)
    user = authenticate(db, body.username, body.password)
    if user is None:
        throttle.failed(db, cfg, body.username, address)
        raise HTTPException(401, "아이디 또는 비밀번호가 올바르지 않습니다 (invalid username or password)")
    throttle.succeeded(db, body.username)
    token = _session(db, user, request, response)
    return {"token": token, "user": user_view(user)}


class PasswordChange(BaseModel):
    current: str = Field(..., min_length=1, max_length=256)
    new: str = Field(..., min_length=8, max_length=256)


@router.post("/password", response_model=S.PasswordOut)
def change_password(
    body: PasswordChange, user: CurrentUser, request: Request, response: Response, db: DB
) -> dict[str, Any]:
    """A new password: every session and API token of the account is revoked; this browser gets a new one."""
    if not verify_password(body.current, user.password_hash):
        raise HTTPException(403, "현재 비밀번호가 올바르지 않습니다 (current password is wrong)")
    user.password_hash = hash_password(body.new)
    revoked = revoke_all(db, user)
    token = _session(db, user, request, response)
    return {"token": token, "user": user_view(user), "revoked": revoked}


def _session(db: DB, user: User, request: Request, response: Response) -> str:
    ttl = request.app.state.cfg.serve.token_ttl_hours
    token = issue_token(db, user, "login", ttl)
    db.commit()
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(ttl * 3600),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return token


@router.post("/logout", response_model=S.Ok)
def logout(request: Request, response: Response, db: DB) -> dict[str, bool]:
    token = presented_token(request)
    if token:
        db.execute(delete(Token).where(Token.token_hash == token_hash(token), Token.kind == "login"))
        db.commit()
    response.delete_cookie(COOKIE)
    return {"ok": True}


@router.get("/session", response_model=S.SessionOut)
def session(request: Request, db: DB) -> dict[str, Any]:
    """Who is logged in, if anyone (200 either way: the page asks this before showing the login form)."""
    user = user_for_token(db, presented_token(request))
    return {"user": user_view(user) if user else None}


@router.get("/me", response_model=S.UserOut)
def me(user: CurrentUser) -> dict[str, Any]:
    return user_view(user)


@router.get("/tokens", response_model=list[S.TokenOut])
def my_tokens(user: CurrentUser, db: DB) -> list[dict[str, Any]]:
    """The caller's API tokens (never the token itself: only its hash is stored)."""
    rows = db.scalars(select(Token).where(Token.user_id == user.id, Token.kind == "api").order_by(Token.id))
    return [token_view(t) for t in rows]


@router.delete("/tokens/{token_id}", response_model=S.Revoked)
def revoke_my_token(token_id: RowId, user: CurrentUser, db: DB) -> dict[str, bool]:
    tok = db.get(Token, token_id)
    if tok is None or (tok.user_id != user.id and user.role != "admin"):
        raise HTTPException(404, f"token {token_id} not found")
    db.delete(tok)
    db.commit()
    return {"revoked": True}
