"""The web API under load: answers over HTTP against the same answers in process, and rating writes.

Baseline (same process, same questions): ``AskService.ask`` called directly, one at a time. The server is
a real ``hira-chat serve`` process; the client sends ``POST /v1/chat/completions`` at concurrency 1 and
32, then submits ratings (each one a committed SQLite transaction, synchronous=FULL) at concurrency 8.
Ratios say what HTTP, JSON, auth, metrics and the thread pool add per answer.

    python benchmarks/bench_serve.py --requests 1000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml

from hirachat.answer.service import AskService
from hirachat.config import DataConfig, InferenceConfig
from hirachat.data.ingest import ingest
from hirachat.data.synthetic import write_samples
from hirachat.paths import Workspace

CANDIDATES = [
    f"{y}년 {r} {d} {m}는?"
    for y in range(2018, 2025)
    for r in ("서울", "부산", "경기", "대구")
    for d in ("내과", "정형외과", "소아청소년과")
    for m in ("환자수", "진료비")
]
PASSWORD = "bench-password-1"


def pct(xs: list[float], q: float) -> float:
    return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def blast(url: str, token: str, n: int, conc: int, make: Any) -> tuple[float, list[float], int]:
    sem = asyncio.Semaphore(conc)
    lat: list[float] = []
    errors = 0
    async with httpx.AsyncClient(
        base_url=url,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
        limits=httpx.Limits(max_connections=conc),
    ) as c:

        async def one(i: int) -> None:
            nonlocal errors
            path, body = make(i)
            async with sem:
                t = time.perf_counter()
                r = await c.post(path, json=body)
                lat.append(time.perf_counter() - t)
                errors += r.status_code >= 400

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - t0, lat, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = Workspace(root / "ws").create()
        ingest(write_samples(ws.samples), ws.store_dir, DataConfig(), ws.raw)

        with AskService(ws.store_dir, InferenceConfig()) as svc:
            answered = [q for q in CANDIDATES if not svc.ask(q)["abstained"]]
            questions = [*answered, "2023년 MRI 검사 건수는?", "서울 진료비 상위 3개 진료과목은?"]
            print(f"{len(answered)} answerable questions (+2 others), cycled")
            t0 = time.perf_counter()
            for i in range(args.requests):
                svc.ask(questions[i % len(questions)])
            direct = (time.perf_counter() - t0) / args.requests
        print(f"baseline  in-process ask: {direct * 1000:.2f} ms per answer ({1 / direct:.0f}/s)")

        port = free_port()
        cfg = root / "config.yaml"
        cfg.write_text(
            yaml.safe_dump(
                {"paths": {"workspace": str(ws.root)}, "serve": {"port": port, "rate_limit_per_minute": 0}}
            )
        )
        cli = [sys.executable, "-m", "hirachat.cli"]
        subprocess.run(
            [*cli, "users", "add", "bench", "--role", "admin", "--password-stdin", "-c", str(cfg)],
            input=PASSWORD + "\n",
            text=True,
            check=True,
            capture_output=True,
        )
        token = subprocess.run(
            [*cli, "users", "token", "bench", "-c", str(cfg)], text=True, check=True, capture_output=True
        ).stdout.strip()
        server = subprocess.Popen(
            [*cli, "serve", "-c", str(cfg)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=os.environ.copy(),
        )
        url = f"http://127.0.0.1:{port}"
        try:
            while True:
                try:
                    if httpx.get(url + "/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.2)

            def answer(i: int) -> tuple[str, dict[str, Any]]:
                q = questions[i % len(questions)]
                return "/v1/chat/completions", {
                    "model": "hira-chat",
                    "messages": [{"role": "user", "content": q}],
                }

            for conc in (1, 32):
                wall, lat, errors = asyncio.run(blast(url, token, args.requests, conc, answer))
                per = wall / args.requests
                print(
                    f"HTTP @{conc:<2}  {args.requests / wall:6.0f} answers/s  p50 {pct(lat, 0.5) * 1000:6.1f} ms  "
                    f"p95 {pct(lat, 0.95) * 1000:6.1f} ms  errors {errors}  "
                    f"wall per answer / in-process: {per / direct:.2f}x"
                )

            with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
                text = c.post("/api/chat", json={"question": questions[0]}).text
            mid = int(text.rsplit('"message_id": ', 1)[1].split(",")[0])

            def rating(i: int) -> tuple[str, dict[str, Any]]:
                return "/api/ratings", {
                    "client_id": uuid.uuid4().hex,
                    "message_id": mid,
                    "score": 4,
                    "factual": "correct",
                    "hallucination": False,
                }

            wall, lat, errors = asyncio.run(blast(url, token, args.requests, 8, rating))
            print(
                f"ratings @8 {args.requests / wall:6.0f} commits/s  p95 {pct(lat, 0.95) * 1000:6.1f} ms  "
                f"errors {errors}  (vs answers @1: {(wall / args.requests) / direct:.2f}x in-process ask)"
            )
        finally:
            server.terminate()
            server.wait(30)


if __name__ == "__main__":
    main()
