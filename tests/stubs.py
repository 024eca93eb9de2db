"""Test stand-ins for what cannot run here: an OpenAI-compatible model server (vLLM serving SOLAR)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class StubLLM:
    """Answers ``POST /v1/chat/completions`` with ``reply`` (a string, or a function of the request body)
    and records every request in ``seen``."""

    def __init__(self, reply: str | Callable[[dict[str, Any]], str] = "") -> None:
        self.reply = reply
        self.seen: list[dict[str, Any]] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stub.seen.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
                text = stub.reply(body) if callable(stub.reply) else stub.reply
                if body.get("stream"):  # server-sent events, one word per chunk, as vLLM streams
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.end_headers()
                    for word in re.findall(r"\S+\s*", text):
                        chunk = {"choices": [{"index": 0, "delta": {"content": word}}]}
                        self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.write(b"data: [DONE]\n\n")
                    return
                out = json.dumps(
                    {
                        "choices": [{"message": {"role": "assistant", "content": text}}],
                        "usage": {"completion_tokens": 17},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> StubLLM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
