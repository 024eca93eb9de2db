"""Streaming answers: the sentence gate releases only grounded sentences, the grounded engine streams its
text exactly, and the local model (a tiny SOLAR-architecture stand-in) stops when its generation is cancelled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch

from hirachat.answer.engines import Generation, LocalEngine, Written, make_engine
from hirachat.answer.service import AskService
from hirachat.answer.stream import Replace, SentenceGate, stream_answer
from hirachat.config import InferenceConfig
from hirachat.model.tiny import build_tiny
from stubs import StubLLM

QUESTION = "2019년 서울 내과 환자수는?"


@pytest.fixture(scope="module")
def svc(real_store: Path) -> Any:
    with AskService(real_store, InferenceConfig()) as s:
        yield s


def test_gate_releases_grounded_sentences_and_stops_at_an_invented_number(svc: Any, raw_dept: Any) -> None:
    value = raw_dept[(2019, "서울", "내과")]["환자수"]
    ans = svc.plan(QUESTION)
    gate = SentenceGate(ans)
    assert gate.feed(f"2019년 서울 내과 환자수는 {value:,}") == ""  # held until the sentence ends
    assert gate.feed("명입니다. 다음") == f"2019년 서울 내과 환자수는 {value:,}명입니다. "
    assert gate.feed("해에는 1,234,567명입니다.\n") == "" and "1,234,567" in (gate.problem or "")
    assert "1,234,567" not in gate.released


def test_grounded_engine_streams_its_exact_answer(svc: Any) -> None:
    ans = svc.plan(QUESTION)
    events = list(stream_answer(make_engine("grounded", InferenceConfig()), ans, Generation()))
    written = events[-1]
    assert isinstance(written, Written) and not any(isinstance(e, Replace) for e in events)
    assert "".join(e for e in events[:-1] if isinstance(e, str)) == written.text == ans.answer
    assert len(events) > 5


def test_local_model_stops_when_cancelled(tmp_path: Path) -> None:
    texts = ["2019년 서울 내과 환자수는 2,931,188명입니다.", "출처: 건강보험심사평가원"] * 20
    tiny = build_tiny(tmp_path / "tiny", texts, vocab_size=300, hidden=32, layers=1)
    engine = LocalEngine(InferenceConfig(max_new_tokens=400, temperature=1.0), tiny)
    torch.manual_seed(0)  # sampling: a fixed draw, so an early end-of-sequence cannot make this flaky
    gen = Generation()
    pieces = []
    for piece in engine.stream("### User:\n질문\n\n### Assistant:\n", gen):
        pieces.append(piece)
        if gen.tokens >= 5:
            gen.cancel.set()
    assert 5 <= gen.tokens < 40, gen.tokens  # stopped within a few tokens of the cancel, not at 400
    full = Generation(max_new_tokens=30)
    list(engine.stream("### User:\n질문\n\n### Assistant:\n", full))
    assert full.tokens <= 30  # the per-request cap applies


def test_streaming_endpoint_invented_number_is_never_shown(svc: Any, raw_dept: Any) -> None:
    value = raw_dept[(2019, "서울", "내과")]["환자수"]
    ans = svc.plan(QUESTION)
    with StubLLM(f"서울 내과는 {value:,}명입니다. 부산 내과는 1,234,567명입니다. 끝.") as llm:
        engine = make_engine("openai", InferenceConfig(engine="openai", endpoint=llm.url, model="m"))
        events = list(stream_answer(engine, ans, Generation()))
        assert llm.seen[-1]["body"]["stream"] is True
    shown = ""
    for e in events[:-1]:
        shown = e.text if isinstance(e, Replace) else shown + str(e)
    written = events[-1]
    assert (
        isinstance(written, Written)
        and written.engine == "grounded"
        and "1,234,567" in str(written.fallback_reason)
    )
    assert "1,234,567" not in "".join(str(e) for e in events[:-1] if isinstance(e, str))  # never released
    assert shown == written.text == ans.answer


def test_streaming_endpoint_down_falls_back(svc: Any) -> None:
    ans = svc.plan(QUESTION)
    cfg = InferenceConfig(engine="openai", endpoint="http://127.0.0.1:9/v1", model="m", timeout_s=2)
    events = list(stream_answer(make_engine("openai", cfg), ans, Generation()))
    written = events[-1]
    assert isinstance(written, Written) and written.engine == "grounded"
    assert (
        "model endpoint failed" in str(written.fallback_reason)
        and "".join(map(str, events[:-1])) == ans.answer
    )
