"""The OpenAI-compatible engine (the official ``openai`` client) against real HTTP servers on loopback: a
scripted one (replies, failures, delays) and our own ``hira-chat serve`` API; and the ask CLI on both."""

from __future__ import annotations

import contextlib
import json
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from hirachat.answer.engines import Generation, make_engine
from hirachat.answer.service import AskService
from hirachat.config import InferenceConfig
from hirachat.model.stops import TEMPLATE_STOPS
from hirachat.paths import Workspace
from stubs import StubLLM

QUESTION = "2019년 서울 내과 환자수는?"


@pytest.fixture(scope="module")
def llm() -> Iterator[StubLLM]:
    with StubLLM() as stub:
        yield stub


def service(store: Path, endpoint: str, model: str = "solar-hira", **settings: Any) -> AskService:
    cfg = InferenceConfig(engine="openai", endpoint=endpoint, model=model, **{"timeout_s": 5, **settings})
    return AskService(store, cfg)


def test_model_answer_with_grounded_numbers_is_used(
    real_store: Path, llm: StubLLM, raw_dept: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "local-key")
    value = raw_dept[(2019, "서울", "내과")]["환자수"]
    llm.reply = f"2019년 서울 내과 환자는 {value:,}명(약 293만 명)입니다."
    with service(real_store, llm.url) as svc:
        res = svc.ask(QUESTION)
    assert res["engine"] == "openai" and "fallback_reason" not in res
    assert res["answer"].startswith(llm.reply) and "출처:" in res["answer"]
    req = llm.seen[-1]
    assert req["path"] == "/v1/chat/completions" and req["auth"] == "Bearer local-key"
    assert req["body"]["model"] == "solar-hira" and f"{value:,}" in req["body"]["messages"][1]["content"]
    assert req["body"]["stop"] == list(TEMPLATE_STOPS)  # the template's turn headers end the answer


def test_invented_number_falls_back_to_the_grounded_answer(
    real_store: Path, llm: StubLLM, raw_dept: Any
) -> None:
    value = raw_dept[(2019, "서울", "내과")]["환자수"]
    llm.reply = f"2019년 서울 내과 환자수는 {value + 1000:,}명입니다."
    with service(real_store, llm.url) as svc:
        res = svc.ask(QUESTION)
    assert res["engine"] == "grounded" and "grounding check" in res["fallback_reason"]
    assert f"{value:,}명" in res["answer"] and f"{value + 1000:,}" not in res["answer"]


def test_an_answer_without_the_figure_falls_back(real_store: Path, llm: StubLLM) -> None:
    llm.reply = "서울 내과 환자가 많습니다."  # no number: nothing wrong, nothing answered
    with service(real_store, llm.url) as svc:
        res = svc.ask(QUESTION)
    assert res["engine"] == "grounded" and "leaves out" in res["fallback_reason"]


def test_unreachable_endpoint_falls_back(real_store: Path) -> None:
    with service(real_store, "http://127.0.0.1:9/v1") as svc:
        res = svc.ask(QUESTION)
    assert res["engine"] == "grounded" and "endpoint failed" in res["fallback_reason"]


def test_abstentions_never_reach_the_model(real_store: Path, llm: StubLLM) -> None:
    before = len(llm.seen)
    with service(real_store, llm.url) as svc:
        res = svc.ask("2031년 서울 내과 환자수는?")
    assert res["abstained"] and len(llm.seen) == before


def test_ask_cli_reads_a_file_and_stdin(real_store: Path, tmp_path: Path) -> None:
    qfile = tmp_path / "q.txt"
    qfile.write_text("2019년 서울 내과 환자수\n\n2023년 MRI 검사 건수는?\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "hirachat.cli", "ask", "--store", str(real_store), "--json"]
    out = subprocess.run(
        [*cmd, "--file", str(qfile)], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    lines = [json.loads(x) for x in out.stdout.splitlines()]
    assert [x["abstained"] for x in lines] == [False, True]
    assert "'MRI'" in lines[1]["answer"] and not lines[1]["sources"]
    piped = subprocess.run(
        cmd, input="서울 요양기관 수\n", capture_output=True, text=True, check=True, cwd=tmp_path
    )
    (one,) = [json.loads(x) for x in piped.stdout.splitlines()]
    assert "24,887개소" in one["answer"] and one["latency_ms"] > 0


def test_closing_the_stream_stops_reading(real_store: Path, llm: StubLLM, raw_dept: Any) -> None:
    value = raw_dept[(2019, "서울", "내과")]["환자수"]
    llm.reply = f"2019년 서울 내과 환자는 {value:,}명입니다. " * 20
    with service(real_store, llm.url) as svc:
        ans = svc.plan(QUESTION)
        gen = Generation()
        got = []
        for piece in svc.engine.stream_text(ans, gen):  # type: ignore[attr-defined]
            got.append(piece)
            gen.cancel.set()  # the client went away
    assert len(got) == 1 and gen.tokens == 1
    assert llm.seen[-1]["body"]["stream"] is True and llm.seen[-1]["body"]["stream_options"]["include_usage"]


class Flaky:
    """A real server in OpenAI's shape: 503 for the first ``failures`` requests, then ``reply`` after
    ``delay`` seconds."""

    def __init__(self, reply: str, failures: int = 0, delay: float = 0.0) -> None:
        self.requests = 0
        flaky = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                flaky.requests += 1
                if flaky.requests <= failures:
                    body, status = {"error": {"message": "overloaded", "type": "server_error"}}, 503
                else:
                    time.sleep(delay)
                    choice = {"index": 0, "message": {"role": "assistant", "content": reply}}
                    body, status = {"id": "c1", "object": "chat.completion", "choices": [choice]}, 200
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                with contextlib.suppress(OSError):  # the client may have given up (timeout)
                    self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> Flaky:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()


def test_a_failed_request_is_retried(real_store: Path, raw_dept: Any) -> None:
    reply = f"2019년 서울 내과 환자는 {raw_dept[(2019, '서울', '내과')]['환자수']:,}명입니다."
    with Flaky(reply, failures=1) as once, service(real_store, once.url, max_retries=1) as svc:
        res = svc.ask(QUESTION)
    assert res["engine"] == "openai" and once.requests == 2
    with Flaky(reply, failures=1) as again, service(real_store, again.url, max_retries=0) as svc:
        res = svc.ask(QUESTION)
    assert res["engine"] == "grounded" and "endpoint failed" in res["fallback_reason"]
    assert again.requests == 1


def test_a_slow_endpoint_times_out_to_the_grounded_answer(real_store: Path) -> None:
    with (
        Flaky("늦은 답", delay=3) as slow,
        service(real_store, slow.url, timeout_s=0.5, max_retries=0) as svc,
    ):
        res = svc.ask(QUESTION)
    assert res["engine"] == "grounded" and "timed out" in res["fallback_reason"]


# ---- our own OpenAI-compatible API (hira-chat serve) as the endpoint ---------------------------------
@pytest.fixture(scope="module")
def hira_api(real_store: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``hira-chat serve`` process (grounded engine, served as model ``hira-chat``): its ``/v1``."""
    root = tmp_path_factory.mktemp("api")
    ws = Workspace(root / "ws").create()
    shutil.copytree(real_store, ws.store_dir, dirs_exist_ok=True)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    serve = {"port": port, "api_requires_token": False, "rate_limit_per_minute": 0}
    config = root / "config.yaml"
    config.write_text(
        yaml.safe_dump({"paths": {"workspace": str(ws.root)}, "serve": serve}), encoding="utf-8"
    )
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "hirachat.cli", "serve", "-c", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.time() + 120
        while True:
            assert proc.poll() is None and time.time() < deadline, (root / "server.log").read_text()[-2000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def test_our_own_api_as_the_endpoint_streamed_and_not(real_store: Path, hira_api: str) -> None:
    """The client reads our API's JSON and server-sent events (usage chunk included) alike. Our API takes
    the whole user message (fact cards and question) as its question, so its reply states no figure."""
    with service(real_store, hira_api, model="hira-chat") as svc:
        engine: Any = svc.engine
        ans = svc.plan(QUESTION)
        text, tokens = engine.complete(ans, Generation())
        gen = Generation()
        streamed = "".join(engine.stream_text(ans, gen))
        res = svc.ask(QUESTION)
    assert text and streamed == text and tokens and gen.tokens == tokens
    assert res["engine"] == "grounded" and "grounding check" in res["fallback_reason"]


def test_ask_cli_with_the_openai_engine(
    real_store: Path, llm: StubLLM, raw_dept: Any, tmp_path: Path
) -> None:
    value = f"{raw_dept[(2019, '서울', '내과')]['환자수']:,}"
    llm.reply = f"2019년 서울 내과 환자는 {value}명입니다."
    cmd = [sys.executable, "-m", "hirachat.cli", "ask", QUESTION, "--store", str(real_store), "--json"]
    sets = ["inference.engine=openai", f"inference.endpoint={llm.url}", "inference.model=hira"]
    out = subprocess.run(
        [*cmd, *(x for kv in sets for x in ("--set", kv))],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    (res,) = [json.loads(x) for x in out.stdout.splitlines()]
    assert res["engine"] == "openai" and res["answer"].startswith(llm.reply)
    assert llm.seen[-1]["body"]["model"] == "hira"


def test_an_unknown_model_name_falls_back_with_the_servers_reason(real_store: Path, hira_api: str) -> None:
    engine = make_engine("openai", InferenceConfig(engine="openai", endpoint=hira_api, model="nope"))
    with AskService(real_store, InferenceConfig(), engine_instance=engine) as svc:
        res = svc.ask(QUESTION)
    assert res["engine"] == "grounded" and "not found" in res["fallback_reason"]
