"""Robustness against a real server: schemathesis over the OpenAPI schema (no 5xx, every response as the
schema documents it), 1,000 requests at 32 concurrent (no errors), kill -9 while ratings are submitted
(every acknowledged rating exactly once), and a client that disconnects stops its generation."""

from __future__ import annotations

import asyncio
import queue
import re
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from conftest import PASSWORD, QUESTION, Live, free_port, make_workspace
from hirachat.answer.engines import Generation, Written
from hirachat.config import Config
from hirachat.query.model import Answer
from hirachat.web.accounts import create_user
from hirachat.web.answers import Answerer
from hirachat.web.app import create_app


@pytest.fixture()
def own_server(tmp_path: Path, real_store: Path) -> Iterator[Live]:
    make_workspace(tmp_path, real_store)
    server = Live(tmp_path, {"rate_limit_per_minute": 0})
    server.add_user("admin", "admin")
    server.add_user("rater")
    yield server
    server.stop()


def test_schemathesis_finds_no_server_errors_and_no_undocumented_response(own_server: Live) -> None:
    server = own_server.start()
    token = server.api_token("admin")  # an API token: the fuzzed logout call cannot revoke it
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "schemathesis.cli",
            "run",
            server.url + "/openapi.json",
            "--checks",
            "not_a_server_error,response_schema_conformance",
            "--max-examples",
            "25",
            "--seed",
            "7",
            "--header",
            f"Authorization: Bearer {token}",
            "--request-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=900,
    )
    tail = out.stdout[-4000:] + out.stderr[-2000:]
    assert out.returncode == 0, tail
    done = re.search(r"(\d+) generated, (\d+) passed", out.stdout)
    assert done and done.group(1) == done.group(2) and int(done.group(1)) > 500, (
        tail
    )  # every case, no failure
    assert "Traceback" not in server.log.read_text()


def test_load_1000_requests_at_32_concurrent(live: Live, raw_dept: Any) -> None:
    token = live.api_token("admin")
    value = f"{raw_dept[(2019, '서울', '내과')]['환자수']:,}"
    questions = [
        QUESTION,
        "2019년 부산 내과 환자수는?",
        "2023년 MRI 검사 건수는?",
        "2020년 서울 진료비 상위 3개 진료과목은?",
    ]

    async def run() -> tuple[list[str], list[float]]:
        errors: list[str] = []
        latencies: list[float] = []
        sem = asyncio.Semaphore(32)
        headers = {"Authorization": f"Bearer {token}"}
        limits = httpx.Limits(max_connections=32)
        async with httpx.AsyncClient(base_url=live.url, headers=headers, timeout=60, limits=limits) as c:

            async def one(i: int) -> None:
                q = questions[i % len(questions)]
                body = {
                    "model": "hira-chat",
                    "messages": [{"role": "user", "content": q}],
                    "stream": i % 5 == 0,
                }
                async with sem:
                    t0 = time.perf_counter()
                    try:
                        r = await c.post("/v1/chat/completions", json=body)
                        ok = r.status_code == 200 and (
                            ("[DONE]" in r.text) if body["stream"] else bool(r.json()["choices"])
                        )
                        if ok and q == QUESTION and value not in r.text:
                            ok = False
                        if not ok:
                            errors.append(f"{i}: {r.status_code} {r.text[:200]}")
                    except httpx.HTTPError as exc:
                        errors.append(f"{i}: {type(exc).__name__} {exc}")
                    latencies.append(time.perf_counter() - t0)

            await asyncio.gather(*(one(i) for i in range(1000)))
        return errors, latencies

    t0 = time.perf_counter()
    errors, latencies = asyncio.run(run())
    wall = time.perf_counter() - t0
    latencies.sort()
    print(
        f"1000 requests @32: {1000 / wall:.0f} req/s, p50 {latencies[500] * 1000:.0f} ms, "
        f"p95 {latencies[950] * 1000:.0f} ms"
    )
    assert errors == [] and len(latencies) == 1000


def test_kill_9_loses_no_acknowledged_rating_and_counts_none_twice(own_server: Live) -> None:
    server = own_server.start()
    token = server.login("rater")
    with server.client(token) as c:
        done = c.post("/api/chat", json={"question": QUESTION}).text
    mid = int(done.rsplit('"message_id": ', 1)[1].split(",")[0])
    acked: list[str] = []
    pending: list[dict[str, Any]] = []  # sent, no acknowledgement seen (the server died mid-request)
    lock = threading.Lock()
    stop = threading.Event()

    def submitter() -> None:
        with server.client(token) as c:
            while not stop.is_set():
                body = {
                    "client_id": uuid.uuid4().hex,
                    "message_id": mid,
                    "score": 3,
                    "factual": "unsure",
                    "hallucination": False,
                }
                try:
                    r = c.post("/api/ratings", json=body, timeout=10)
                    with lock:
                        (
                            acked.append(body["client_id"])
                            if r.status_code in (200, 201)
                            else pending.append(body)
                        )
                except httpx.HTTPError:
                    with lock:
                        pending.append(body)
                    return

    threads = [threading.Thread(target=submitter) for _ in range(6)]
    for t in threads:
        t.start()
    while len(acked) < 150:
        time.sleep(0.01)
    server.kill()  # SIGKILL while ratings are in flight
    stop.set()
    for t in threads:
        t.join()
    server.start()
    with server.client(token) as c:  # the login token survived; clients retry what was never acknowledged
        for body in pending:
            assert c.post("/api/ratings", json=body).status_code in (200, 201)
        for cid in acked[:20]:  # and a retry of an acknowledged one is not counted again
            again = {
                "client_id": cid,
                "message_id": mid,
                "score": 3,
                "factual": "unsure",
                "hallucination": False,
            }
            assert c.post("/api/ratings", json=again).json()["duplicate"] is True
    # one rating per evaluator and answer: every submission is its current version or a kept revision
    db = sqlite3.connect(server.root / "ws" / "web" / "hirachat.db")
    current = db.execute("SELECT id, client_id FROM ratings WHERE message_id = ?", (mid,)).fetchall()
    history = [
        r[0] for r in db.execute("SELECT client_id FROM rating_history WHERE rating_id = ?", (current[0][0],))
    ]
    ids = [current[0][1], *history]
    assert len(current) == 1 and len(ids) == len(set(ids))  # none counted twice
    assert set(acked) <= set(ids) and set(ids) == set(acked) | {p["client_id"] for p in pending}  # none lost
    print(f"kill -9: {len(acked)} acknowledged before the kill, {len(pending)} in flight, all stored once")


class SlowModel:
    """A stand-in for a model that streams (SOLAR cannot run here). Like the local engine, it generates in
    its own thread, one piece per 10 ms, and checks ``gen.cancel`` before every token."""

    name = "slow"

    def __init__(self) -> None:
        self.produced = 0
        self.stopped = threading.Event()

    def write(self, ans: Answer, gen: Generation | None = None) -> Written:
        return Written(ans.answer, "grounded")

    def stream_text(self, ans: Answer, gen: Generation) -> Iterator[str]:
        pieces: queue.Queue[str | None] = queue.Queue()

        def generate() -> None:
            for i in range(500):
                if gen.cancel.is_set():
                    self.stopped.set()
                    break
                gen.tokens += 1
                self.produced += 1
                pieces.put("자료를 보면\n" if i % 4 == 3 else "진료 ")
                time.sleep(0.01)
            pieces.put(None)

        threading.Thread(target=generate, daemon=True).start()
        while (piece := pieces.get()) is not None:
            yield piece


def test_client_disconnect_stops_generation(tmp_path: Path, real_store: Path) -> None:
    make_workspace(tmp_path, real_store)
    cfg = Config.model_validate(
        {"paths": {"workspace": str(tmp_path / "ws")}, "serve": {"rate_limit_per_minute": 0}}
    )
    answerer = Answerer(cfg)
    model = SlowModel()
    answerer.engines["slow"] = model
    app = create_app(cfg, answerer)
    with app.state.sessions() as db:
        create_user(db, "rater", PASSWORD, "evaluator")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        while not server.started:
            time.sleep(0.05)
        token = httpx.post(url + "/api/auth/login", json={"username": "rater", "password": PASSWORD}).json()[
            "token"
        ]
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30) as c:
            with c.stream("POST", "/api/chat", json={"question": QUESTION, "model": "slow"}) as r:
                for line in r.iter_lines():
                    if line.startswith("event: delta"):
                        break  # the reader goes away after the first piece of the answer
            assert model.stopped.wait(10), "generation went on after the client disconnected"
            assert model.produced < 100
            assert "hirachat_generations_cancelled_total 1.0" in c.get("/metrics").text
    finally:
        server.should_exit = True
        thread.join(10)
