"""The OpenAI-compatible engine against a real HTTP server on loopback, and the ask CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hirachat.answer.service import AskService
from hirachat.config import InferenceConfig
from stubs import StubLLM

QUESTION = "2019년 서울 내과 환자수는?"


@pytest.fixture(scope="module")
def llm() -> Iterator[StubLLM]:
    with StubLLM() as stub:
        yield stub


def service(store: Path, endpoint: str) -> AskService:
    cfg = InferenceConfig(engine="openai", endpoint=endpoint, model="solar-hira", timeout_s=5)
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
