"""The HTTP edge as a typed contract: every JSON route documents its response in /openapi.json, and live
responses of a real server (a chat turn, its conversation, a rating, the `/v1` completion with its
`hirachat` extension, the admin and evaluation views) validate against that document."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
from jsonschema import Draft202012Validator

from conftest import QUESTION, Live

NOT_JSON = {("/api/chat", "post"), ("/metrics", "get"), ("/api/admin/export", "get")}  # SSE, text, files


def _schema(doc: dict[str, Any], path: str, method: str, status: int) -> dict[str, Any]:
    resp = doc["paths"][path][method]["responses"][str(status)]
    return dict(resp["content"]["application/json"]["schema"])


def _check(doc: dict[str, Any], path: str, method: str, r: httpx.Response) -> Any:
    """The response's body against what the document says this route returns with this status."""
    body = r.json()
    schema = _schema(doc, path, method, r.status_code)
    errors = list(Draft202012Validator({**schema, "components": doc["components"]}).iter_errors(body))
    assert errors == [], (path, r.status_code, [e.message for e in errors[:3]])
    return body


def test_every_json_route_documents_its_response(live: Live) -> None:
    doc = httpx.get(live.url + "/openapi.json").json()
    undocumented = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if (path, method) in NOT_JSON:
                continue
            ok = [s for s in op["responses"] if s.startswith("2")]
            schema = op["responses"][ok[0]].get("content", {}).get("application/json", {}).get("schema", {})
            if not ({"$ref", "type", "anyOf", "items"} & set(schema)):
                undocumented.append(f"{method.upper()} {path}")
    assert undocumented == []
    ext = doc["components"]["schemas"]["AnswerExtension"]["properties"]
    assert {"notes", "figures", "sources", "interpretation", "abstained"} <= set(ext)


def test_live_responses_match_the_openapi_document(live: Live, rater_token: str, admin_token: str) -> None:
    doc = httpx.get(live.url + "/openapi.json").json()
    _check(doc, "/healthz", "get", httpx.get(live.url + "/healthz"))
    _check(doc, "/api/auth/session", "get", httpx.get(live.url + "/api/auth/session"))
    with live.client(rater_token) as c:
        _check(doc, "/api/auth/session", "get", c.get("/api/auth/session"))
        _check(doc, "/api/auth/me", "get", c.get("/api/auth/me"))
        _check(doc, "/api/models", "get", c.get("/api/models"))
        r = c.post("/api/chat", json={"question": QUESTION})
        done = json.loads(r.text.strip().split("\n\n")[-1].split("data: ", 1)[1])
        first = json.loads(r.text.split("\n\n")[0].split("data: ", 1)[1])
        cid = first["conversation_id"]
        _check(doc, "/api/conversations", "get", c.get("/api/conversations"))
        conv = _check(doc, "/api/conversations/{cid}", "get", c.get(f"/api/conversations/{cid}"))
        assert conv["messages"][-1]["sources"] and conv["messages"][-1]["answer"] == done["answer"]
        rating = {
            "client_id": uuid.uuid4().hex,
            "message_id": done["message_id"],
            "score": 5,
            "factual": "correct",
            "hallucination": False,
            "comment": "",
        }
        _check(doc, "/api/ratings", "post", c.post("/api/ratings", json=rating))
        _check(doc, "/api/ratings", "post", c.post("/api/ratings", json=rating))  # the retry: 200
        _check(doc, "/api/ratings/mine", "get", c.get("/api/ratings/mine"))
        _check(doc, "/api/campaigns", "get", c.get("/api/campaigns"))
        _check(doc, "/api/arena", "get", c.get("/api/arena"))
        _check(doc, "/api/arena/leaderboard", "get", c.get("/api/arena/leaderboard"))
        _check(doc, "/v1/models", "get", c.get("/v1/models"))
        body = {"model": "grounded", "messages": [{"role": "user", "content": "2019년 서울 환자수 합계는?"}]}
        out = _check(doc, "/v1/chat/completions", "post", c.post("/v1/chat/completions", json=body))
        ext = out["hirachat"]
        assert not ext["abstained"] and ext["kind"] == "figure" and ext["figures"] and ext["sources"]
        assert all(n["kind"] and n["text"] in out["choices"][0]["message"]["content"] for n in ext["notes"])
    with live.client(admin_token) as a:
        _check(doc, "/api/admin/users", "get", a.get("/api/admin/users"))
        _check(doc, "/api/admin/campaigns", "get", a.get("/api/admin/campaigns"))
        _check(doc, "/api/admin/monitor", "get", a.get("/api/admin/monitor"))
        _check(doc, "/api/admin/data/versions", "get", a.get("/api/admin/data/versions"))
