"""The HTTP API against a real uvicorn process: auth, streamed chat, the official openai client, ratings,
campaigns with agreement, blind A/B with the leaderboard, export, limits and error shapes, metrics."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import httpx
import openai
import pytest

from conftest import QUESTION, Live
from hirachat.config import load_config
from hirachat.eval.run import human_ratings
from hirachat.numbers import extract_numbers


def events(text: str) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.split("\n"))
        out.append((lines.get("event", "message"), json.loads(lines["data"])))
    return out


def chat(c: httpx.Client, question: str, **kw: Any) -> list[tuple[str, dict[str, Any]]]:
    r = c.post("/api/chat", json={"question": question, **kw})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/event-stream")
    return events(r.text)


def test_health_and_security_headers(live: Live) -> None:
    r = httpx.get(live.url + "/healthz")
    assert r.json()["status"] == "ok" and r.json()["tables"] > 0 and r.json()["database"] == "ok"
    page = httpx.get(live.url + "/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert page.headers["x-content-type-options"] == "nosniff" and "보건의료 통계 챗봇" in page.text
    assert '<html lang="ko">' in page.text and "/static/app.js" in page.text
    assert httpx.get(live.url + "/docs").status_code == 404  # CDN-backed docs are off; the schema is served
    assert httpx.get(live.url + "/openapi.json").json()["info"]["title"] == "hira-chat"


def test_login_required_and_roles(live: Live, rater_token: str) -> None:
    assert httpx.post(live.url + "/api/chat", json={"question": QUESTION}).status_code == 401
    bad = httpx.post(live.url + "/api/auth/login", json={"username": "admin", "password": "wrong-password"})
    assert bad.status_code == 401
    with live.client(rater_token) as c:
        assert c.get("/api/auth/me").json()["username"] == "평가자1"
        assert c.get("/api/admin/users").status_code == 403
        assert c.get("/api/admin/export").status_code == 403
    assert (
        httpx.get(live.url + "/api/admin/users", headers={"Authorization": "Bearer forged"}).status_code
        == 401
    )


def test_admin_creates_and_deactivates_an_evaluator(live: Live, admin_token: str) -> None:
    with live.client(admin_token) as a:
        r = a.post("/api/admin/users", json={"username": "임시평가자", "password": "short"})
        assert r.status_code == 422  # a password under 8 characters
        r = a.post("/api/admin/users", json={"username": "임시평가자", "password": "long-enough-1"})
        assert r.status_code == 201 and r.json()["role"] == "evaluator"
        assert (
            a.post(
                "/api/admin/users", json={"username": "임시평가자", "password": "long-enough-1"}
            ).status_code
            == 409
        )
        login = httpx.post(
            live.url + "/api/auth/login", json={"username": "임시평가자", "password": "long-enough-1"}
        )
        token = login.json()["token"]
        assert (
            httpx.get(live.url + "/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
            == 200
        )
        assert a.patch("/api/admin/users/임시평가자", json={"active": False}).json()["active"] is False
        assert (
            httpx.get(live.url + "/api/auth/me", headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )
        assert a.patch("/api/admin/users/admin", json={"active": False}).status_code == 409
        stored = {u["username"]: u for u in a.get("/api/admin/users").json()}
        assert stored["임시평가자"]["active"] is False and "password_hash" not in stored["임시평가자"]


def test_chat_streams_the_answer_with_sources_and_keeps_history(
    live: Live, rater_token: str, raw_dept: Any
) -> None:
    value = raw_dept[(2019, "서울", "내과")]["환자수"]
    with live.client(rater_token) as c:
        evs = chat(c, QUESTION)
        kinds = [k for k, _ in evs]
        assert kinds[0] == "meta" and kinds[-1] == "done" and kinds.count("delta") > 3
        done = evs[-1][1]
        streamed = "".join(d["text"] for k, d in evs if k == "delta")
        assert streamed == done["answer"] and f"{value:,}" in streamed
        assert done["abstained"] is False and done["sources"][0]["value"] == value
        assert done["sources"][0]["dims"]["시도"] == "서울" and done["message_id"] > 0
        cid = evs[0][1]["conversation_id"]
        follow = chat(c, "2019년 부산 내과 환자수는?", conversation_id=cid)
        assert follow[0][1]["conversation_id"] == cid
        conv = c.get(f"/api/conversations/{cid}").json()
        assert [m["question"] for m in conv["messages"]] == [QUESTION, "2019년 부산 내과 환자수는?"]
        assert conv["messages"][0]["sources"][0]["value"] == value
        assert cid in [x["id"] for x in c.get("/api/conversations").json()]
        # an elliptical follow-up is read against the conversation, and says what it carried over
        busan = raw_dept[(2019, "부산", "내과")]["환자수"]
        done = chat(c, "그럼 정형외과는?", conversation_id=cid)[-1][1]
        other = raw_dept[(2019, "부산", "정형외과")]["환자수"]
        assert f"{other:,}" in done["answer"] and "이어받음" in done["interpretation"] and busan != other


def test_chat_streams_a_model_endpoint_through_the_gate(live: Live, rater_token: str, raw_dept: Any) -> None:
    """The arena's model (an OpenAI-compatible endpoint) streams; its text reaches the user as it comes."""
    value = f"{raw_dept[(2019, '서울', '내과')]['환자수']:,}"
    with live.client(rater_token) as c:
        evs = chat(c, QUESTION, model="solar-lora")
    done = evs[-1][1]
    assert done["engine"] == "openai" and done["model"] == "solar-lora" and "fallback_reason" not in done
    deltas = [d["text"] for k, d in evs if k == "delta"]
    assert (
        "".join(deltas) == done["answer"]
        and deltas[0].startswith("자료에 따르면")
        and value in done["answer"]
    )
    assert done["generated_tokens"] >= 3  # one per streamed chunk


def test_chat_abstains_without_numbers(live: Live, rater_token: str) -> None:
    with live.client(rater_token) as c:
        done = chat(c, "2023년 MRI 검사 건수는?")[-1][1]
    assert done["abstained"] is True and done["sources"] == []
    said = done["answer"].split("비슷한 자료")[0]
    stated = [n.value for n in extract_numbers(said) if n.value != 2023]  # no count, only the asked year
    assert all(v < 100 for v in stated) and "MRI" in said  # (digits of codes/titles such as J20, kcd3 aside)


def test_official_openai_client_plain_and_streaming(live: Live, raw_dept: Any) -> None:
    value = raw_dept[(2019, "서울", "내과")]["환자수"]
    client = openai.OpenAI(base_url=live.url + "/v1", api_key=live.api_token("admin"))
    assert {"hira-chat", "grounded", "solar-lora"} <= {m.id for m in client.models.list()}
    res = client.chat.completions.create(model="hira-chat", messages=[{"role": "user", "content": QUESTION}])
    text = res.choices[0].message.content or ""
    assert f"{value:,}" in text and res.choices[0].finish_reason == "stop" and res.usage is not None
    assert res.model_extra is not None and res.model_extra["hirachat"]["sources"][0]["value"] == value
    assert res.model_extra["hirachat"]["interpretation"].startswith("이해한 질문:")
    # the conversation's earlier user messages make "그럼 부산은?" a follow-up
    busan = raw_dept[(2019, "부산", "내과")]["환자수"]
    history = [
        {"role": "user", "content": QUESTION},
        {"role": "assistant", "content": text},
        {"role": "user", "content": "그럼 부산은?"},
    ]
    follow = client.chat.completions.create(model="hira-chat", messages=history)  # type: ignore[arg-type]
    assert f"{busan:,}" in (follow.choices[0].message.content or "")
    assert follow.model_extra is not None and "이어받음" in follow.model_extra["hirachat"]["interpretation"]
    stream = client.chat.completions.create(
        model="hira-chat",
        messages=[{"role": "system", "content": "간결하게"}, {"role": "user", "content": QUESTION}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    joined = "".join(ch.choices[0].delta.content or "" for ch in chunks if ch.choices)
    assert joined == text and len(chunks) > 4
    assert [ch.choices[0].finish_reason for ch in chunks if ch.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0
    no_data = [{"role": "user", "content": "2023년 MRI 검사 건수는?"}]
    plain = client.chat.completions.create(model="hira-chat", messages=no_data)
    parts = client.chat.completions.create(model="hira-chat", messages=no_data, stream=True)
    streamed = "".join(ch.choices[0].delta.content or "" for ch in parts if ch.choices)
    assert streamed == plain.choices[0].message.content and "비슷한 자료" in streamed  # hints come along
    assert plain.model_extra is not None and plain.model_extra["hirachat"]["abstained"] is True
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": QUESTION}])
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=live.url + "/v1", api_key="not-a-key").models.list()


def test_bad_requests_get_clear_4xx(live: Live, admin_token: str) -> None:
    with live.client(admin_token) as c:
        h = {"Content-Type": "application/json"}
        r = c.post("/v1/chat/completions", content=b"{not json", headers=h)
        assert 400 <= r.status_code < 500 and "malformed JSON" in r.json()["error"]["message"]
        r = c.post("/api/chat", content=b"{not json", headers=h)
        assert r.status_code == 422 and "malformed JSON" in r.json()["detail"]
        r = c.post("/v1/chat/completions", json={"model": "hira-chat", "messages": "hello"})
        assert r.status_code == 422 and "messages" in r.json()["error"]["message"]
        r = c.post("/api/chat", json={"question": 12})
        assert r.status_code == 422 and "question" in r.json()["detail"]
        r = c.post("/api/chat", json={"question": "가" * 501})
        assert r.status_code == 422 and "limit is 500" in r.json()["detail"]
        r = c.post("/api/chat", json={"question": " \u0000 "})
        assert r.status_code == 422 and "empty" in r.json()["detail"]
        r = c.post("/api/chat", json={"question": QUESTION, "temperature": 9})
        assert r.status_code == 422
        r = c.post(
            "/v1/chat/completions",
            json={"model": "hira-chat", "messages": [{"role": "system", "content": "x"}]},
        )
        assert r.status_code == 400 and "user message" in r.json()["error"]["message"]
        big = json.dumps({"question": "가" * 70000})
        r = c.post("/api/chat", content=big.encode(), headers=h)
        assert r.status_code == 413
        r = c.post(
            "/api/ratings", json={"client_id": "short", "score": 9, "factual": "maybe", "hallucination": "x"}
        )
        assert r.status_code == 422 and "score" in r.json()["detail"]


def _rating(target: dict[str, int], score: int = 4, **kw: Any) -> dict[str, Any]:
    return {
        "client_id": uuid.uuid4().hex,
        **target,
        "score": score,
        "factual": "correct",
        "hallucination": False,
        "comment": "",
        **kw,
    }


def test_ratings_are_idempotent_and_attributed(live: Live, rater_token: str, admin_token: str) -> None:
    with live.client(rater_token) as c:
        mid = chat(c, QUESTION)[-1][1]["message_id"]
        body = _rating({"message_id": mid}, comment="정확함")
        first = c.post("/api/ratings", json=body)
        again = c.post("/api/ratings", json=body)
        assert first.status_code == 201 and again.status_code == 200 and again.json()["duplicate"] is True
        assert again.json()["id"] == first.json()["id"]
        assert c.post("/api/ratings", json=body | {"score": 1}).status_code == 409
        assert c.post("/api/ratings", json=_rating({"message_id": 10**9})).status_code == 404
    with live.client(admin_token) as a:
        rows = [
            json.loads(x) for x in a.get("/api/admin/export", params={"format": "jsonl"}).text.splitlines()
        ]
    mine = [r for r in rows if r["client_id"] == body["client_id"]]
    assert len(mine) == 1 and mine[0]["evaluator"] == "평가자1" and mine[0]["comment"] == "정확함"
    assert mine[0]["question"] == QUESTION and mine[0]["engine"] == "grounded"


def test_campaign_progress_agreement_and_export(live: Live, admin_token: str) -> None:
    with live.client(admin_token) as a:
        r = a.post(
            "/api/admin/campaigns",
            json={"name": "2019 검증", "split": "test", "limit": 4, "evaluators": ["평가자1", "rater2"]},
        )
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        assert r.json()["items"] == 4
        assert a.post("/api/admin/campaigns", json={"name": "2019 검증", "split": "test"}).status_code == 409
        assert (
            a.post(
                "/api/admin/campaigns", json={"name": "x", "split": "test", "evaluators": ["nobody"]}
            ).status_code
            == 404
        )
    scores = {"평가자1": [5, 4, 2, 1], "rater2": [5, 4, 2, 2]}
    for name, marks in scores.items():
        with live.client(live.login(name)) as c:
            assert [x["id"] for x in c.get("/api/campaigns").json()] == [cid]
            for s in marks:
                item = c.get(f"/api/campaigns/{cid}/next").json()["item"]
                assert item["answer"] and "engine" not in item  # the model is not named to the evaluator
                factual = "correct" if s >= 4 else "wrong"
                assert (
                    c.post(
                        "/api/ratings", json=_rating({"item_id": item["id"]}, s, factual=factual)
                    ).status_code
                    == 201
                )
            assert c.get(f"/api/campaigns/{cid}/next").json()["item"] is None
    with live.client(admin_token) as a:
        progress = next(x for x in a.get("/api/admin/campaigns").json() if x["id"] == cid)["progress"]
        assert {p["username"]: p["rated"] for p in progress} == {"평가자1": 4, "rater2": 4}
        ag = a.get(f"/api/admin/campaigns/{cid}/agreement").json()
        assert ag["items_rated_by_two_or_more"] == 4 and ag["raters"] == 2
        assert 0.5 < ag["score_alpha_interval"] < 1 and ag["factual_alpha_nominal"] == 1.0
        text = a.get("/api/admin/export", params={"format": "csv"}).text
        rows = [r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff"))) if r["campaign"] == "2019 검증"]
        assert len(rows) == 8 and {r["evaluator"] for r in rows} == {"평가자1", "rater2"}
    from conftest import cli

    cli("ratings", "export", "-c", str(live.config))
    summary = human_ratings(load_config(live.config))
    assert summary is not None and summary["ratings"] >= 8 and summary["factual_wrong"] >= 4


def test_blind_ab_vote_reveals_names_and_feeds_the_leaderboard(live: Live, rater_token: str) -> None:
    with live.client(rater_token) as c:
        assert c.get("/api/arena").json() == {"enabled": True, "contestants": 2}
        b = c.post("/api/arena/battles", json={"question": QUESTION}).json()
        assert set(b) == {"battle_id", "question", "a", "b"}  # no names before the vote
        assert "grounded" not in json.dumps(b["a"]) + json.dumps(b["b"]).replace("grounded", "")
        vote = {"client_id": uuid.uuid4().hex, "vote": "a"}
        r = c.post(f"/api/arena/battles/{b['battle_id']}/vote", json=vote)
        assert {r.json()["a"], r.json()["b"]} == {"grounded", "solar-lora"}
        assert c.post(f"/api/arena/battles/{b['battle_id']}/vote", json=vote).status_code == 200  # retry
        assert (
            c.post(f"/api/arena/battles/{b['battle_id']}/vote", json=vote | {"vote": "b"}).status_code == 409
        )
        board = c.get("/api/arena/leaderboard").json()
        rows = {x["name"]: x for x in board["rows"]}
        winner = r.json()["a"]
        assert (
            rows[winner]["wins"] >= 1
            and rows[winner]["ci_low"] <= rows[winner]["score"] <= rows[winner]["ci_high"]
        )
        assert board["votes"] >= 1


def test_metrics_count_requests_answers_and_abstentions(live: Live, rater_token: str) -> None:
    with live.client(rater_token) as c:
        chat(c, "2023년 MRI 검사 건수는?")
    text = httpx.get(live.url + "/metrics").text
    assert 'hirachat_http_requests_total{method="POST",route="/api/chat",status="200"}' in text
    assert "hirachat_answers_total" in text and "hirachat_abstentions_total" in text
    assert "hirachat_http_request_seconds_bucket" in text and "hirachat_ratings_total" in text


def test_rate_limit_per_user(tmp_path_factory: pytest.TempPathFactory, real_store: Any) -> None:
    from conftest import make_workspace

    root = tmp_path_factory.mktemp("limited")
    make_workspace(root, real_store)
    server = Live(root, {"rate_limit_per_minute": 5})
    server.add_user("a1")
    server.add_user("a2")
    server.start()
    try:
        t1, t2 = server.login("a1"), server.login("a2")
        with server.client(t1) as c1, server.client(t2) as c2:
            codes = [c1.get("/api/auth/me").status_code for _ in range(7)]
            assert codes[:4] == [200] * 4 and codes[-1] == 429
            limited = c1.get("/api/auth/me")
            assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
            assert c2.get("/api/auth/me").status_code == 200  # another user is not affected
    finally:
        server.stop()
