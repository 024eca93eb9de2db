"""One ASGI middleware for what every request goes through: body size limit, per-user rate limit,
security headers (a strict CSP: only this server's own scripts, styles and connections), and metrics."""

from __future__ import annotations

import json
import time
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hirachat.web.metrics import Metrics
from hirachat.web.ratelimit import Limiter
from hirachat.web.security import presented_token, token_hash

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
LIMITED = ("/api/", "/v1/")


class BodyTooLarge(Exception):
    pass


def _error(status: int, message: str, path: str, extra: list[tuple[bytes, bytes]] | None = None) -> list[Any]:
    if path.startswith("/v1/"):
        kind = "rate_limit_exceeded" if status == 429 else "invalid_request_error"
        body: dict[str, Any] = {"error": {"message": message, "type": kind, "param": None, "code": None}}
    else:
        body = {"detail": message}
    data = json.dumps(body, ensure_ascii=False).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    return [headers + (extra or []), data]


class Guard:
    def __init__(self, app: ASGIApp, metrics: Metrics, limiter: Limiter, max_body: int) -> None:
        self.app, self.metrics, self.limiter, self.max_body = app, metrics, limiter, max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        t0 = time.perf_counter()
        status = {"code": 500}

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message["headers"] = list(message.get("headers", [])) + HEADERS
            await send(message)

        async def reply(code: int, msg: str, extra: list[tuple[bytes, bytes]] | None = None) -> None:
            headers, data = _error(code, msg, path, extra)
            await send_wrapped({"type": "http.response.start", "status": code, "headers": headers})
            await send({"type": "http.response.body", "body": data})

        headers = dict(scope.get("headers") or [])
        length = headers.get(b"content-length")
        try:
            declared = int(length) if length is not None else 0
        except ValueError:
            declared = -1
        if declared < 0 or declared > self.max_body:
            await reply(413 if declared > 0 else 400, f"request body must be at most {self.max_body} bytes")
            self._observe(scope, path, status["code"], t0)
            return
        if path.startswith(LIMITED) and not path.startswith("/api/auth/logout"):
            ok, wait = self.limiter.allow(self._who(scope))
            if not ok:
                self.metrics.rate_limited.inc()
                retry = str(max(1, int(wait + 0.999))).encode()
                await reply(
                    429,
                    "요청이 너무 많습니다. 잠시 후 다시 시도하세요 (rate limit exceeded)",
                    [(b"retry-after", retry)],
                )
                self._observe(scope, path, status["code"], t0)
                return

        received = {"n": 0}

        async def receive_limited() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                received["n"] += len(message.get("body", b""))
                if received["n"] > self.max_body:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, receive_limited, send_wrapped)
        except BodyTooLarge:
            await reply(413, f"request body must be at most {self.max_body} bytes")
        finally:
            self._observe(scope, path, status["code"], t0)

    @staticmethod
    def _who(scope: Scope) -> str:
        """The rate-limit key: the token presented (hashed), else the client address."""
        token = presented_token(Request(scope))
        if token:
            return "t:" + token_hash(token)[:32]
        client = scope.get("client") or ("?", 0)
        return f"a:{client[0]}"

    def _observe(self, scope: Scope, path: str, code: int, t0: float) -> None:
        route = scope.get("route")
        name = getattr(route, "path", None) or ("/static" if path.startswith("/static/") else "unmatched")
        self.metrics.requests.labels(scope["method"], name, str(code)).inc()
        self.metrics.latency.labels(name).observe(time.perf_counter() - t0)
