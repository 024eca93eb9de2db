"""The web API under load: answers over HTTP against the same answers in process, and rating writes.

Baseline (same process, same questions): ``AskService.ask`` called directly, one at a time. The server is
a real ``hira-chat serve`` process; the client sends ``POST /v1/chat/completions`` at concurrency 1, 32
and 64 (transport errors counted, never fatal), then submits ratings (each one a committed SQLite
transaction, synchronous=FULL) at concurrency 8 and times failed logins for a known and an unknown user;
then the same answers with ``serve.workers=2``. Ratios say what HTTP, JSON, auth, metrics and the thread pool
add per answer, and what a second worker process adds. Last, with each worker count, the answers at
concurrency 32 while the store's version is switched back and forth (``data rollback``'s CURRENT file) every
0.2 s: target, no request dropped.

    python benchmarks/bench_serve.py --requests 1000
"""

from __future__ import annotations

import argparse
import asyncio
import json
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
from hirachat.data.synthetic import write_samples
from hirachat.data.versions import activate, update
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
                try:
                    r = await c.post(path, json=body)
                    errors += r.status_code >= 400
                except httpx.TransportError:  # counted, never fatal: the run reports every failure
                    errors += 1
                lat.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        return time.perf_counter() - t0, lat, errors


async def lean(url: str, token: str, n: int, conc: int, make: Any) -> tuple[float, int]:
    """``conc`` keep-alive connections sending requests back to back with a minimal HTTP/1.1 client: far
    less client CPU per request than httpx, so on a small machine the server, not the client, is measured
    (what a second worker process can add)."""
    host, port = url.split("//", 1)[1].split(":")
    nxt = iter(range(n))
    errors = 0

    async def conn() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        for i in nxt:
            path, body = make(i)
            data = json.dumps(body).encode()
            head = (
                f"POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
            )
            writer.write(head.encode() + data)
            status = (await reader.readline()).split(b" ", 2)[1]
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            await reader.readexactly(length)
            errors += not status.startswith(b"2")
        writer.close()

    t0 = time.perf_counter()
    await asyncio.gather(*(conn() for _ in range(conc)))
    return time.perf_counter() - t0, errors


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--requests", type=int, default=1000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        ws = Workspace(root / "ws").create()
        samples = write_samples(ws.samples)
        update(samples[:-1], ws.store_dir, DataConfig(), ws.raw)  # two versions to switch between
        update(samples[-1:], ws.store_dir, DataConfig(), ws.raw)

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
        serve = {
            "port": port,
            "rate_limit_per_minute": 0,
            "login_max_failures": 10**6,
            "login_max_per_address": 10**6,
        }
        cfg.write_text(yaml.safe_dump({"paths": {"workspace": str(ws.root)}, "serve": serve}))
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
        url = f"http://127.0.0.1:{port}"

        def answer(i: int) -> tuple[str, dict[str, Any]]:
            q = questions[i % len(questions)]
            return "/v1/chat/completions", {
                "model": "hira-chat",
                "messages": [{"role": "user", "content": q}],
            }

        rates: dict[tuple[int, int], float] = {}
        for workers in (1, 2):
            server = subprocess.Popen(
                [*cli, "serve", "-c", str(cfg), "--set", f"serve.workers={workers}"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=os.environ.copy(),
            )
            try:
                wait_up(url)
                for conc in (1, 32, 64) if workers == 1 else (32, 64):
                    wall, lat, errors = asyncio.run(blast(url, token, args.requests, conc, answer))
                    rates[(workers, conc)] = args.requests / wall
                    print(
                        f"HTTP {workers} worker(s) @{conc:<2}  {args.requests / wall:6.0f} answers/s  "
                        f"p50 {pct(lat, 0.5) * 1000:6.1f} ms  p95 {pct(lat, 0.95) * 1000:6.1f} ms  errors {errors}  "
                        f"wall per answer / in-process: {(wall / args.requests) / direct:.2f}x"
                    )
                wall, errors = asyncio.run(lean(url, token, args.requests, 32, answer))
                rates[(workers, 0)] = args.requests / wall
                print(
                    f"lean client {workers} worker(s) @32  {args.requests / wall:6.0f} answers/s  errors {errors}"
                )
                if workers == 1:
                    ratings(url, token, questions[0], args.requests, direct)
                    logins(url)
                switching(url, token, args.requests, answer, ws.store_dir, workers)
            finally:
                server.terminate()
                server.wait(30)
        print(
            f"2 workers / 1 worker, answers/s @32: {rates[(2, 32)] / rates[(1, 32)]:.2f}x  "
            f"@64: {rates[(2, 64)] / rates[(1, 64)]:.2f}x  (lean client @32: {rates[(2, 0)] / rates[(1, 0)]:.2f}x)"
        )


def switching(url: str, token: str, n: int, make: Any, store: Path, workers: int) -> None:
    """Answers at concurrency 32 while another thread flips the current version every 0.2 s."""
    import threading

    stop = threading.Event()
    flips = 0

    def flip() -> None:
        nonlocal flips
        while not stop.wait(0.2):
            activate(store, "v0001" if flips % 2 else "v0002")
            flips += 1

    flipper = threading.Thread(target=flip)
    flipper.start()
    try:
        wall, lat, errors = asyncio.run(blast(url, token, n, 32, make))
    finally:
        stop.set()
        flipper.join()
    print(
        f"version switching {workers} worker(s) @32  {n / wall:6.0f} answers/s  p95 {pct(lat, 0.95) * 1000:6.1f} ms"
        f"  {flips} switches  errors {errors} (target 0: {'met' if errors == 0 else 'MISSED'})"
    )


def wait_up(url: str) -> None:
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if httpx.get(url + "/healthz").status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("server did not start")


def ratings(url: str, token: str, question: str, n: int, direct: float) -> None:
    """Rating commits (one evaluator revising one answer: an update and a history row per commit)."""
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        text = c.post("/api/chat", json={"question": question}).text
    mid = int(text.rsplit('"message_id": ', 1)[1].split(",")[0])

    def rating(i: int) -> tuple[str, dict[str, Any]]:
        return "/api/ratings", {
            "client_id": uuid.uuid4().hex,
            "message_id": mid,
            "score": 1 + i % 5,
            "factual": "correct",
            "hallucination": False,
        }

    wall, lat, errors = asyncio.run(blast(url, token, n, 8, rating))
    print(
        f"ratings @8 {n / wall:6.0f} commits/s  p95 {pct(lat, 0.95) * 1000:6.1f} ms  "
        f"errors {errors}  (vs answers @1: {(wall / n) / direct:.2f}x in-process ask)"
    )


def logins(url: str, n: int = 20) -> None:
    """Failed logins for a known and an unknown username: the same password-hash work (no enumeration)."""

    def timed(user: str) -> float:
        t0 = time.perf_counter()
        for i in range(n):
            httpx.post(url + "/api/auth/login", json={"username": user, "password": f"wrong-{i}"})
        return (time.perf_counter() - t0) / n

    timed("nobody")  # warm-up
    known, unknown = timed("bench"), timed("nobody-at-all")
    print(
        f"failed login: known user {known * 1000:.1f} ms, unknown {unknown * 1000:.1f} ms, ratio {max(known, unknown) / min(known, unknown):.2f}x"
    )


if __name__ == "__main__":
    main()
