"""A real ``hira-chat serve`` process on loopback, over a workspace whose store holds the real HIRA files.

``Live`` starts, kills (SIGKILL) and restarts the server process and logs in; accounts are created with the
``hira-chat users`` command, as an operator would.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from hirachat.paths import Workspace
from stubs import StubLLM

PASSWORD = "비밀번호-test-1234"
QUESTION = "2019년 서울 내과 환자수는?"
XSS = '<img src=x onerror="window.__xss=true">'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli(*args: str, stdin: str | None = None) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "hirachat.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


class Live:
    def __init__(
        self,
        root: Path,
        serve: dict[str, Any],
        inference: dict[str, Any] | None = None,
        base_model: Path | None = None,
    ) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.config = root / "config.yaml"
        tree = {"paths": {"workspace": str(root / "ws")}, "serve": {"port": self.port, **serve}}
        if inference:
            tree["inference"] = inference
        if base_model:
            tree["paths"]["base_model"] = str(base_model)
        self.config.write_text(yaml.safe_dump(tree, allow_unicode=True), encoding="utf-8")
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = root / "server.log"

    def start(self) -> Live:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "hirachat.cli", "serve", "-c", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.time() + 90
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def add_user(self, name: str, role: str = "evaluator") -> None:
        cli(
            "users",
            "add",
            name,
            "--role",
            role,
            "--password-stdin",
            "-c",
            str(self.config),
            stdin=PASSWORD + "\n",
        )

    def api_token(self, name: str) -> str:
        return cli("users", "token", name, "-c", str(self.config)).strip()

    def login(self, name: str) -> str:
        r = httpx.post(self.url + "/api/auth/login", json={"username": name, "password": PASSWORD})
        r.raise_for_status()
        return str(r.json()["token"])

    def client(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=60)


def make_workspace(root: Path, store: Path) -> Path:
    """A workspace with the real store and a small test split (the record format the dataset builds)."""
    ws = Workspace(root / "ws").create()
    shutil.copytree(store, ws.store_dir, dirs_exist_ok=True)
    recs = [
        ("2019년 서울 내과 환자수는?", "lookup"),
        ("2019년 부산 내과 환자수는?", "lookup"),
        ("2019년 서울 소아청소년과 환자수는?", "lookup"),
        ("2019년 경기 내과 내원일수는?", "lookup"),
    ]
    with (ws.cleaned / "test.jsonl").open("w", encoding="utf-8") as fh:
        for q, t in recs:
            fh.write(
                json.dumps(
                    {"instruction": q, "input": "", "output": "", "metadata": {"qtype": t}},
                    ensure_ascii=False,
                )
                + "\n"
            )
    return ws.root


def model_reply(body: dict[str, Any]) -> str:
    """An arena contestant's model: it states the first fact it was given, followed by an HTML payload
    (which the UI must show as text)."""
    found = re.search(r"\d{1,3}(?:,\d{3})+", body["messages"][-1]["content"])  # first figure with separators
    return f"자료에 따르면 {found.group(0) if found else ''}입니다. {XSS}"


@pytest.fixture(scope="session")
def fake_llm() -> Iterator[str]:
    with StubLLM(model_reply) as stub:
        yield stub.url


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory, real_store: Path, fake_llm: str) -> Iterator[Live]:
    """The shared server: admin + two evaluators, an arena of the grounded engine and a model endpoint."""
    root = tmp_path_factory.mktemp("web")
    make_workspace(root, real_store)
    arena = [
        {"name": "grounded", "engine": "grounded"},
        {"name": "solar-lora", "engine": "openai", "endpoint": fake_llm, "model": "solar-hira"},
    ]
    server = Live(root, {"rate_limit_per_minute": 0, "arena": arena})
    server.add_user("admin", "admin")
    server.add_user("평가자1")
    server.add_user("rater2")
    server.start()
    yield server
    server.stop()
    if os.environ.get("HIRACHAT_KEEP_LOGS"):
        print(server.log.read_text())


@pytest.fixture(scope="session")
def admin_token(live: Live) -> str:
    return live.login("admin")


@pytest.fixture(scope="session")
def rater_token(live: Live) -> str:
    return live.login("평가자1")
