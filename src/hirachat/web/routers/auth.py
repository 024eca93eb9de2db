"""Login and logout (a bearer token, also set as an HttpOnly SameSite cookie), and who am I."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import delete, select

from hirachat.web.models import Token, User
from hirachat.web.security import (
    COOKIE,
    DB,
    CurrentUser,
    issue_token,
    presented_token,
    token_hash,
    user_for_token,
    verify_password,
)

router = APIRouter(prefix="/api/auth", tags=["auth"])


class Login(BaseModel):
    username: str = Field(..., min_length=1, max_length=64)
    password: str = Field(..., min_length=1, max_length=256)


def user_view(user: User) -> dict[str, Any]:
    return {"id": user.id, "username": user.username, "role": user.role}


@router.post("/login")
def login(body: Login, request: Request, response: Response, db: DB) -> dict[str, Any]:
    user = db.scalar(select(User).where(User.username == body.username))
    if user is None or not user.active or not verify_password(body.password, user.password_hash):
        raise HTTPException(401, "아이디 또는 비밀번호가 올바르지 않습니다 (invalid username or password)")
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
    return {"token": token, "user": user_view(user)}


@router.post("/logout")
def logout(request: Request, response: Response, db: DB) -> dict[str, bool]:
    token = presented_token(request)
    if token:
        db.execute(delete(Token).where(Token.token_hash == token_hash(token), Token.kind == "login"))
        db.commit()
    response.delete_cookie(COOKIE)
    return {"ok": True}


@router.get("/session")
def session(request: Request, db: DB) -> dict[str, Any]:
    """Who is logged in, if anyone (200 either way: the page asks this before showing the login form)."""
    user = user_for_token(db, presented_token(request))
    return {"user": user_view(user) if user else None}


@router.get("/me")
def me(user: CurrentUser) -> dict[str, Any]:
    return user_view(user)
