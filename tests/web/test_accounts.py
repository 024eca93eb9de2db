"""Accounts as an attacker tries them (issue: the web app as experts use it, 6): login throttling per account
and per client address whatever headers are sent, lockout with admin unlock, the same password-hash work for
unknown and known usernames, every token revoked on password change/reset and deactivation, API tokens with
an expiry that owners and admins list and revoke, /metrics behind a token when configured."""

from __future__ import annotations

import hashlib
import secrets
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.orm import Session

from conftest import PASSWORD, Live, make_workspace
from hirachat.web import security
from hirachat.web.db import make_engine, migrate
from hirachat.web.models import User

LIMIT, PER_ADDRESS = 5, 12


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, real_store: Any) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("accounts")
    make_workspace(root, real_store)
    live = Live(
        root,
        {
            "login_max_failures": LIMIT,
            "login_max_per_address": PER_ADDRESS,
            "rate_limit_per_minute": 0,
            "metrics_require_token": True,
            "api_token_days": 30,
        },
    )
    for name in ("root", "victim", "rater", "mover"):
        live.add_user(name, "admin" if name == "root" else "evaluator")
    live.start()
    yield live
    live.stop()


def _from(address: str, live: Live) -> httpx.Client:
    """A client whose connections come from another loopback address (the server sees that peer)."""
    return httpx.Client(base_url=live.url, transport=httpx.HTTPTransport(local_address=address), timeout=30)


def _login(c: httpx.Client, user: str, password: str, **headers: str) -> httpx.Response:
    return c.post("/api/auth/login", json={"username": user, "password": password}, headers=headers)


def test_500_wrong_passwords_lock_the_account_whatever_the_headers(server: Live) -> None:
    clients = [_from(f"127.0.0.{i}", server) for i in range(2, 12)]
    codes: Counter[int] = Counter()
    first = []
    for n in range(500):
        headers = {
            "Authorization": f"Bearer {secrets.token_urlsafe(12)}",
            "X-Forwarded-For": f"10.{n % 250}.{n // 250}.9",
        }
        r = _login(clients[n % len(clients)], "victim", f"wrong-{n}", **headers)
        codes[r.status_code] += 1
        if n < LIMIT + 2:
            first.append(r.status_code)
    assert first[:LIMIT] == [401] * LIMIT and first[LIMIT:] == [423, 423]
    assert codes[200] == 0 and codes[401] == LIMIT and codes[423] == 500 - LIMIT
    right = _login(clients[0], "victim", PASSWORD)
    assert right.status_code == 423 and int(right.headers["retry-after"]) > 0  # refused until unlocked
    with server.client(server.login("root")) as admin:
        assert admin.post("/api/admin/users/victim/unlock").json()["was_locked"] is True
    assert _login(clients[0], "victim", PASSWORD).status_code == 200
    for c in clients:
        c.close()


def test_one_address_is_throttled_across_accounts(server: Live) -> None:
    with _from("127.0.0.40", server) as c, _from("127.0.0.41", server) as other:
        codes = [_login(c, f"nobody{i}", "wrong-password").status_code for i in range(PER_ADDRESS + 2)]
        assert codes[:PER_ADDRESS] == [401] * PER_ADDRESS and codes[PER_ADDRESS:] == [429, 429]
        assert _login(c, "rater", PASSWORD).status_code == 429  # the right password, from that address
        assert _login(other, "rater", PASSWORD).status_code == 200  # another address is not affected


def test_unknown_and_known_users_cost_the_same_hash_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    migrate(engine)
    with Session(engine) as db:
        db.add(
            User(username="known", password_hash=security.hash_password("right-password"), role="evaluator")
        )
        db.commit()
        calls: list[str] = []
        real = hashlib.scrypt

        def counting(*a: Any, **k: Any) -> bytes:
            calls.append("scrypt")
            return real(*a, **k)

        monkeypatch.setattr(hashlib, "scrypt", counting)
        security.authenticate(db, "unknown-user", "whatever")  # the dummy hash is made on first use
        calls.clear()
        assert security.authenticate(db, "unknown-user", "whatever") is None
        unknown = len(calls)
        calls.clear()
        assert security.authenticate(db, "known", "wrong-password") is None
        assert unknown == len(calls) == 1


def test_password_reset_change_and_deactivation_revoke_every_token(server: Live) -> None:
    with server.client(server.login("root")) as admin:
        login = server.login("mover")
        api = admin.post("/api/admin/users/mover/tokens", json={"name": "script"}).json()["token"]
        for t in (login, api):
            assert server.client(t).get("/api/auth/me").status_code == 200
        r = admin.patch("/api/admin/users/mover", json={"password": "reset-password-2"})
        assert r.status_code == 200 and r.json()["revoked"] == 2
        for t in (login, api):
            assert server.client(t).get("/api/auth/me").status_code == 401
        fresh = httpx.post(
            server.url + "/api/auth/login", json={"username": "mover", "password": "reset-password-2"}
        ).json()["token"]
        assert admin.patch("/api/admin/users/mover", json={"active": False}).status_code == 200
        assert admin.patch("/api/admin/users/mover", json={"active": True}).status_code == 200
        assert server.client(fresh).get("/api/auth/me").status_code == 401  # not back after reactivation
    again = httpx.post(
        server.url + "/api/auth/login", json={"username": "mover", "password": "reset-password-2"}
    ).json()["token"]
    with server.client(again) as me:
        assert (
            me.post("/api/auth/password", json={"current": "wrong", "new": "another-pass-3"}).status_code
            == 403
        )
        r = me.post("/api/auth/password", json={"current": "reset-password-2", "new": "another-pass-3"})
        assert r.status_code == 200
    assert server.client(again).get("/api/auth/me").status_code == 401  # the old session is gone
    assert server.client(r.json()["token"]).get("/api/auth/me").status_code == 200  # the new one works


def test_api_tokens_expire_and_are_listed_and_revoked(server: Live) -> None:
    with server.client(server.login("root")) as admin:
        made = admin.post("/api/admin/users/rater/tokens", json={"name": "notebook"}).json()
        assert made["expires_in_days"] == 30
        listed = admin.get("/api/admin/users/rater/tokens").json()
        mine = [t for t in listed if t["name"] == "notebook"]
        assert len(mine) == 1 and mine[0]["expires_at"] and "token" not in mine[0]
    with server.client(made["token"]) as owner:
        own = owner.get("/api/auth/tokens").json()
        assert [t["name"] for t in own] == ["notebook"]
        assert owner.delete(f"/api/auth/tokens/{own[0]['id']}").json()["revoked"] is True
    assert server.client(made["token"]).get("/api/auth/me").status_code == 401
    with server.client(server.login("root")) as admin:
        roots = admin.get("/api/admin/users/root/tokens").json()
    with server.client(server.login("rater")) as other:  # someone else's token: not theirs to revoke
        assert other.delete(f"/api/auth/tokens/{roots[0]['id']}").status_code == 404


def test_metrics_require_an_admin_token_when_configured(server: Live) -> None:
    assert httpx.get(server.url + "/metrics").status_code == 401
    assert server.client(server.login("rater")).get("/metrics").status_code == 401
    r = server.client(server.login("root")).get("/metrics")
    assert r.status_code == 200 and "hirachat" in r.text
