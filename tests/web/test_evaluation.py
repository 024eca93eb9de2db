"""Evaluation integrity (issue: the web app as experts use it, 5): one rating per evaluator and answer (a second
submission revises it, the earlier one kept in history), an arena side that fell back to the grounded text is
badged and its battle left out of the leaderboard, campaign references hidden until the item is rated,
evaluators go back to an item, admins browse every item's ratings."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from test_api import _rating, chat

from conftest import PASSWORD, QUESTION, Live

FALLBACK_QUESTION = "2019년 서울 내과 보험자부담률은?"  # a percentage: the stub model states no figure of it


def test_a_second_rating_of_an_answer_revises_it(live: Live, admin_token: str) -> None:
    with live.client(live.login("rater2")) as c:
        mid = chat(c, QUESTION)[-1][1]["message_id"]
        first = c.post("/api/ratings", json=_rating({"message_id": mid}, 5, comment="처음"))
        second = c.post("/api/ratings", json=_rating({"message_id": mid}, 2, comment="다시 보니 틀림"))
        assert first.status_code == 201 and second.status_code == 200 and second.json()["revised"] is True
        assert second.json()["id"] == first.json()["id"]
        conv = [x for x in c.get("/api/conversations").json()]
        shown = c.get(f"/api/conversations/{conv[0]['id']}").json()["messages"][-1]
        assert shown["rating"]["score"] == 2 and shown["rating"]["comment"] == "다시 보니 틀림"
    with live.client(admin_token) as a:
        rows = [
            json.loads(x) for x in a.get("/api/admin/export", params={"format": "jsonl"}).text.splitlines()
        ]
    assert [r["score"] for r in rows if r.get("message_id") == mid] == [2]  # counted once, as revised
    db = sqlite3.connect(live.root / "ws" / "web" / "hirachat.db")
    history = db.execute(
        "SELECT previous FROM rating_history WHERE rating_id = ?", (first.json()["id"],)
    ).fetchall()
    assert [json.loads(h[0])["score"] for h in history] == [5]


def test_an_arena_side_that_fell_back_is_badged_and_not_counted(live: Live) -> None:
    with live.client(live.login("평가자1")) as c:
        before = c.get("/api/arena/leaderboard").json()
        b = c.post("/api/arena/battles", json={"question": FALLBACK_QUESTION}).json()
        sides = [b["a"], b["b"]]
        assert sorted(s["fallback"] for s in sides) == [False, True]  # the model side fell back, visibly
        vote = c.post(f"/api/arena/battles/{b['battle_id']}/vote", json={"client_id": "f" * 32, "vote": "a"})
        assert vote.status_code == 200
        after = c.get("/api/arena/leaderboard").json()
    assert after["excluded_fallback"] == before["excluded_fallback"] + 1
    assert after["votes"] == before["votes"]  # the vote judged the grounded text twice: no one's win

    def games(board: dict[str, Any]) -> dict[str, int]:
        return {r["name"]: r["games"] for r in board["rows"]}

    assert games(after) == games(before)


def test_campaign_reference_after_rating_going_back_and_browsing(live: Live, admin_token: str) -> None:
    items = [
        {"question": QUESTION, "reference": "2,931,188명"},
        {"question": "2019년 부산 내과 환자수는?", "reference": "1,008,750명"},
    ]
    with live.client(admin_token) as a:  # evaluators of this test only (other tests count their campaigns)
        for name in ("ev-first", "ev-later"):
            a.post("/api/admin/users", json={"username": name, "password": PASSWORD})
        r = a.post(
            "/api/admin/campaigns",
            json={"name": "참고 정답 과제", "items": items, "evaluators": ["ev-first"]},
        )
        assert r.status_code == 201, r.text
        cid = r.json()["id"]
        assigned = a.post(f"/api/admin/campaigns/{cid}/assign", json={"evaluators": ["ev-later"]}).json()
        assert assigned["assigned"] == ["ev-later"]
    with live.client(live.login("ev-first")) as c:
        item = c.get(f"/api/campaigns/{cid}/next").json()["item"]
        assert item["reference"] is None and item["reference_hidden"] is True  # no anchoring before rating
        assert c.post("/api/ratings", json=_rating({"item_id": item["id"]}, 4)).status_code == 201
        back = c.get(f"/api/campaigns/{cid}/items/{item['position']}").json()["item"]
        assert back["reference"] == items[0]["reference"] and back["rating"]["score"] == 4
        assert c.post("/api/ratings", json=_rating({"item_id": item["id"]}, 3)).json()["revised"] is True
        assert c.get(f"/api/campaigns/{cid}/items/5").status_code == 404
    with live.client(live.login("ev-later")) as other:  # assigned after creation: sees the campaign
        assert cid in [x["id"] for x in other.get("/api/campaigns").json()]
    with live.client(admin_token) as a:
        browse = a.get(f"/api/admin/campaigns/{cid}/items").json()
        first = browse["items"][0]
        assert browse["reference_shown"] == "after_rating" and first["reference"] == items[0]["reference"]
        assert [(x["evaluator"], x["score"]) for x in first["ratings"]] == [("ev-first", 3)]
