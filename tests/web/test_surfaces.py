"""One conversation path: the same three turns asked through the CLI (`ask --chat`), the web chat (one
conversation), `/v1` (the messages so far) and the service give the same typed answers: text, notes by kind,
figures and sources. The previous turns are read the same way everywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Live, cli
from hirachat.answer.service import AskService
from hirachat.config import InferenceConfig
from hirachat.paths import Workspace

TURNS = ["2019년 서울 내과 환자수는?", "그럼 부산은?", "정형외과는?"]


def _typed(res: dict[str, Any]) -> tuple[str, list[str], list[float], list[tuple[Any, ...]]]:
    sources = [(s["table"], s["row"], s["measure"], s["value"]) for s in res.get("sources") or []]
    return res["answer"], [n["kind"] for n in res.get("notes") or []], res.get("figures") or [], sources


def _sse_done(text: str) -> dict[str, Any]:
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        if lines.get("event") == "done":
            return dict(json.loads(lines["data"]))
    raise AssertionError(text[-500:])


def test_one_conversation_gives_one_answer_per_turn_on_every_surface(
    live: Live, rater_token: str, real_store: Path
) -> None:
    with AskService(real_store, InferenceConfig(), "grounded", hints=0) as svc:
        want = []
        for i in range(len(TURNS)):
            ans = svc.plan_turns(TURNS[: i + 1])
            want.append(_typed(svc.result(ans, svc.engine.write(ans), 0.0)))
    assert want[1][2] != want[0][2] != want[2][2]  # three different figures: the follow-ups were read

    lines = cli("ask", "--chat", "--json", "-c", str(live.config), stdin="\n".join(TURNS) + "\n")
    from_cli = [_typed(json.loads(x)) for x in lines.splitlines() if x.startswith("{")]

    from_web, from_v1 = [], []
    messages: list[dict[str, str]] = []
    with live.client(rater_token) as c:
        cid = None
        for q in TURNS:
            r = c.post("/api/chat", json={"question": q, **({"conversation_id": cid} if cid else {})})
            done = _sse_done(r.text)
            cid = done["conversation_id"]
            from_web.append(_typed(done))
            messages.append({"role": "user", "content": q})
            out = c.post("/v1/chat/completions", json={"model": "grounded", "messages": messages}).json()
            content = out["choices"][0]["message"]["content"]
            messages.append({"role": "assistant", "content": content})
            from_v1.append(_typed({"answer": content, **out["hirachat"]}))
    assert from_cli == want
    assert from_web == want
    assert from_v1 == want


def test_a_web_conversation_continues_from_the_context_stored_with_its_last_message(
    live: Live, rater_token: str, raw_dept: Any
) -> None:
    """The chat stores each turn's reading with its message and the next turn continues from it: changed in
    the database (부산 → 대구), the follow-up follows the stored context, not a replay of the questions."""
    import sqlite3

    db_path = Workspace(live.root / "ws").web_db
    with live.client(rater_token) as c:
        first = _sse_done(c.post("/api/chat", json={"question": "2019년 부산 내과 환자수는?"}).text)
        cid = first["conversation_id"]
        with sqlite3.connect(db_path) as db:
            (mid, meta) = db.execute(
                "SELECT id, meta FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT 1", (cid,)
            ).fetchone()
            stored = json.loads(meta)
            assert {e["value"] for e in stored["context"]["entities"]} >= {"부산", "내과"}
            stored["context"]["entities"] = [
                {**e, "value": "대구", "surface": "대구"} if e["value"] == "부산" else e
                for e in stored["context"]["entities"]
            ]
            db.execute(
                "UPDATE messages SET meta = ? WHERE id = ?", (json.dumps(stored, ensure_ascii=False), mid)
            )
        follow = _sse_done(
            c.post("/api/chat", json={"question": "그럼 외과는?", "conversation_id": cid}).text
        )
    assert (
        f"{raw_dept[(2019, '대구', '외과')]['환자수']:,}" in follow["answer"] and "대구" in follow["answer"]
    )


def test_a_question_back_offers_its_readings_on_every_surface(live: Live, rater_token: str) -> None:
    """'고성군' is a 군 of 강원 and of 경남: never their sum. The reply asks back with both readings, as
    choices in the web chat and in `/v1` (hirachat.clarify, and listed in the text), and as numbered choices
    in `ask --chat`, where answering '1' asks the first reading."""
    question = "2024년 4분기 고성군 약국 몇 곳이야?"
    with live.client(rater_token) as c:
        done = _sse_done(c.post("/api/chat", json={"question": question}).text)
        out = c.post(
            "/v1/chat/completions",
            json={"model": "grounded", "messages": [{"role": "user", "content": question}]},
        )
    assert done["abstained"] and done["kind"] == "clarify"
    assert [x.split()[2] for x in done["choices"]] == ["강원", "경남"]  # the question, read each way
    clarify = out.json()["hirachat"]["clarify"]
    content = out.json()["choices"][0]["message"]["content"]
    assert clarify == done["choices"] and "강원 고성군" in content and "경남 고성군" in content

    lines = cli("ask", "--chat", "-c", str(live.config), stdin=f"{question}\n1\n")
    first, picked = lines.split("Q: ")[1:3]
    assert f"1) {done['choices'][0]}" in first and f"2) {done['choices'][1]}" in first
    assert picked.startswith(done["choices"][0]) and "강원 고성군 약국의 기관수는" in picked
