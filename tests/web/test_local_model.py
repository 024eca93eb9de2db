"""The web app serving a local model (the tiny SOLAR-architecture stand-in, random weights): its streamed
text is checked sentence by sentence, the failed answer is replaced by the grounded one, the model joins the
arena by default, and the fallback is counted in the metrics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from conftest import QUESTION, Live, make_workspace
from hirachat.model.tiny import build_tiny


def test_local_model_is_streamed_through_the_grounding_gate(
    tmp_path: Path, real_store: Path, raw_dept: Any
) -> None:
    make_workspace(tmp_path, real_store)
    texts = [f"{QUESTION} 2,931,188명입니다.", "출처: 건강보험심사평가원"] * 20
    tiny = build_tiny(tmp_path / "tiny", texts, vocab_size=300, hidden=32, layers=1)
    inference = {"engine": "local", "max_new_tokens": 48}
    server = Live(tmp_path, {"rate_limit_per_minute": 0}, inference, base_model=tiny)
    server.add_user("rater")
    server.start()
    try:
        with server.client(server.login("rater")) as c:
            assert c.get("/api/arena").json() == {"enabled": True, "contestants": 2}  # grounded + local
            r = c.post("/api/chat", json={"question": QUESTION, "temperature": 0.8, "max_tokens": 32})
            evs = [
                (b.split("\n")[0][7:], json.loads(b.split("\n")[1][6:])) for b in r.text.strip().split("\n\n")
            ]
            done = evs[-1][1]
            value = f"{raw_dept[(2019, '서울', '내과')]['환자수']:,}"
            assert evs[-1][0] == "done" and done["model"] == "hira-chat"
            if done["engine"] == "grounded":  # the random model's text failed the check: users see the facts
                assert "grounding check" in done["fallback_reason"] and value in done["answer"]
                shown = ""
                for kind, data in evs[1:-1]:
                    shown = data["text"] if kind == "replace" else shown + data["text"]
                assert shown == done["answer"].split("\n비슷한 자료")[0]
            assert done["generated_tokens"] <= 32  # max_tokens applies to the model
        metrics = httpx.get(server.url + "/metrics").text
        assert 'hirachat_answers_total{engine="' in metrics and "hirachat_generated_tokens_total" in metrics
    finally:
        server.stop()
