"""Monitoring against real servers: answers from the chat and from /v1 (the official openai client) land in
the question log with their fields; the monitor endpoint's figures match what was asked; a later rating
joins its answer; /metrics carries the same figures and every series the Grafana dashboard queries; with
``log_question_text: false`` no question text is stored; retention deletes old rows only, also at start-up;
a log that cannot be written never breaks an answer. The figures are checked on PostgreSQL too."""

from __future__ import annotations

import json
import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families
from test_postgres import pg_url  # noqa: F401  (the throwaway PostgreSQL cluster fixture)

from conftest import QUESTION, Live, make_workspace
from hirachat.answer.reading import without_unread
from hirachat.config import Config
from hirachat.web.db import make_engine, migrate, sessions
from hirachat.web.metrics import Metrics
from hirachat.web.models import Conversation, Message, QuestionLog, QuestionLogTable, Rating, User
from hirachat.web.monitor import overview, purge_configured, purge_question_log
from hirachat.web.questionlog import QuestionLogWriter, entry, write_rows

T = TypeVar("T")
GRAFANA = Path(__file__).resolve().parents[2] / "docs" / "grafana" / "hira-chat.json"
TABLE = "hira_dept_by_sido_cost_hospital_level"
NO_DATA = "2023년 MRI 검사 건수는?"
SECRET = "2019년 우주정거장 내과 방문객 수는?"  # a question whose text must not be logged


def wait_for(check: Callable[[], T | None], what: str, timeout: float = 30) -> T:
    """The first truthy result of ``check`` (the log is written by a background thread)."""
    deadline = time.monotonic() + timeout
    while True:
        got = check()
        if got:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def ask(c: httpx.Client, question: str, **kw: Any) -> dict[str, Any]:
    """The ``done`` event of a chat answer."""
    r = c.post("/api/chat", json={"question": question, **kw})
    assert r.status_code == 200, r.text
    blocks = [b for b in r.text.strip().split("\n\n") if b.startswith("event: done")]
    assert blocks, r.text
    return dict(json.loads(blocks[0].split("data: ", 1)[1]))


def rows(db_path: Path, where: str = "1=1", args: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
    with sqlite3.connect(db_path) as con:
        con.row_factory = sqlite3.Row
        out = [dict(r) for r in con.execute(f"SELECT * FROM question_log WHERE {where} ORDER BY id", args)]
        for r in out:
            r["tables"] = sorted(
                t
                for (t,) in con.execute("SELECT table_id FROM question_log_tables WHERE log_id=?", (r["id"],))
            )
    return out


def user_id(db_path: Path, name: str) -> int:
    with sqlite3.connect(db_path) as con:
        return int(con.execute("SELECT id FROM users WHERE username=?", (name,)).fetchone()[0])


def db_of(server: Live) -> Path:
    return server.root / "ws" / "web" / "hirachat.db"


@pytest.fixture(scope="module")
def mon(tmp_path_factory: pytest.TempPathFactory, real_store: Path, fake_llm: str) -> Iterator[Live]:
    """A server of this module's own (its counts are only what these tests asked), with a model contestant
    whose answers to a ratio question fail the grounding check (a fallback)."""
    root = tmp_path_factory.mktemp("monitor")
    make_workspace(root, real_store)
    arena = [
        {"name": "grounded", "engine": "grounded"},
        {"name": "solar-lora", "engine": "openai", "endpoint": fake_llm, "model": "solar-hira"},
    ]
    server = Live(root, {"rate_limit_per_minute": 0, "arena": arena})
    server.add_user("monadmin", "admin")
    server.add_user("monrater")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def admin(mon: Live) -> httpx.Client:
    return mon.client(mon.login("monadmin"))


@pytest.fixture(scope="module")
def rater(mon: Live) -> httpx.Client:
    return mon.client(mon.login("monrater"))


def monitor(admin: httpx.Client, days: int = 7) -> dict[str, Any]:
    r = admin.get("/api/admin/monitor", params={"days": days, "tz": 540})
    assert r.status_code == 200, r.text
    return dict(r.json())


@pytest.mark.slow
def test_chat_and_api_answers_are_logged_with_their_fields(mon: Live, rater: httpx.Client) -> None:
    db = db_of(mon)
    done = ask(rater, QUESTION)
    client = openai.OpenAI(base_url=mon.url + "/v1", api_key=mon.api_token("monadmin"))
    plain = client.chat.completions.create(
        model="hira-chat", messages=[{"role": "user", "content": QUESTION}]
    )
    stream = client.chat.completions.create(
        model="hira-chat", messages=[{"role": "user", "content": NO_DATA}], stream=True
    )
    assert "".join(ch.choices[0].delta.content or "" for ch in stream if ch.choices)
    assert plain.model_extra is not None
    fell = ask(rater, "2019년 서울 내과 보험자부담률은?", model="solar-lora")
    assert fell["fallback_reason"]

    chat = wait_for(lambda: rows(db, "message_id=?", (done["message_id"],)), "the chat answer's log row")[0]
    assert chat["surface"] == "chat" and chat["user_id"] == user_id(db, "monrater")
    assert chat["question"] == QUESTION and chat["engine"] == "grounded" and chat["model"] == "hira-chat"
    assert chat["interpretation"] == done["interpretation"] and chat["interpretation"].startswith(
        "이해한 질문:"
    )
    assert chat["tables"] == [TABLE] and chat["abstained"] == 0 and chat["reason"] is None
    assert chat["fallback"] == 0 and chat["latency_ms"] == done["latency_ms"] > 0
    assert chat["data_version"] == done.get("data_version")  # what the answer cited, when it cites one

    api = wait_for(
        lambda: rows(db, "surface='api'") if len(rows(db, "surface='api'")) >= 2 else None, "api rows"
    )
    admin_id = user_id(db, "monadmin")
    assert [(r["question"], r["user_id"], r["message_id"]) for r in api] == [
        (QUESTION, admin_id, None),
        (NO_DATA, admin_id, None),
    ]
    assert api[0]["interpretation"] == plain.model_extra["hirachat"]["interpretation"]
    assert (
        api[1]["abstained"] == 1
        and api[1]["reason"] == "entity"
        and api[1]["question_key"] == "2023년 mri 검사 건수는"
    )

    model = wait_for(lambda: rows(db, "message_id=?", (fell["message_id"],)), "the fallback's log row")[0]
    assert model["fallback"] == 1 and model["fallback_reason"] == fell["fallback_reason"]
    assert model["engine"] == "grounded" and model["model"] == "solar-lora"
    assert model["generated_tokens"] == fell["generated_tokens"] > 0


@pytest.mark.slow
def test_monitor_figures_match_what_was_asked(mon: Live, admin: httpx.Client, rater: httpx.Client) -> None:
    before = monitor(admin)
    unknown = "2021년 화성 내과 환자수는?"  # asked three times: the most frequently abstained question here
    asked = [QUESTION, NO_DATA, unknown, unknown + " ", unknown.replace("?", "")]
    done = [ask(rater, q) for q in asked]
    abstained = sum(d["abstained"] for d in done)
    assert abstained == 4  # (the three spellings of one unknown question and the MRI one)
    after = wait_for(
        lambda: (m := monitor(admin))["totals"]["questions"] == before["totals"]["questions"] + 5 and m,
        "five more questions in the monitor",
    )
    tot, was = after["totals"], before["totals"]
    assert tot["abstained"] - was["abstained"] == abstained
    assert tot["abstention_rate"] == round(tot["abstained"] / tot["questions"], 4)
    assert tot["fallback_rate"] == round(tot["fallbacks"] / tot["questions"], 4)
    today = after["daily"][-1]
    assert len(after["daily"]) == 7 and today["questions"] == tot["questions"]  # all asked today
    assert today["p50_ms"] <= today["p95_ms"] <= today["p99_ms"]
    latencies = sorted(r["latency_ms"] for r in rows(db_of(mon)))
    assert today["p99_ms"] == round(latencies[-(-99 * len(latencies) // 100) - 1], 1)  # nearest rank
    top = after["abstained_questions"][0]
    assert (top["question"].rstrip("?"), top["reason"], top["count"]) == (unknown.rstrip("?"), "entity", 3)
    assert top["interpretation"].startswith("이해한 질문:")
    tables = {t["table"]: t for t in after["tables"]}
    prior = {t["table"]: t["questions"] for t in before["tables"]}
    assert tables[TABLE]["questions"] - prior.get(TABLE, 0) == 1  # QUESTION (the others had no source)
    assert tables[TABLE]["title"] == "시도·진료과목별 통계 (병원급 이상)"
    surfaces = {(s["surface"], s["engine"]): s["questions"] for s in after["by_surface"]}
    assert sum(surfaces.values()) == tot["questions"] and surfaces[("chat", "grounded")] >= 5
    assert after["settings"] == {"log_questions": True, "log_question_text": True, "log_retention_days": 180}


@pytest.mark.slow
def test_a_later_rating_joins_its_answer(mon: Live, admin: httpx.Client, rater: httpx.Client) -> None:
    done = ask(rater, "2019년 부산 내과 환자수는?")
    mid = done["message_id"]
    wait_for(lambda: rows(db_of(mon), "message_id=?", (mid,)), "the log row")
    before = monitor(admin)["totals"]["rated"]
    body = {
        "client_id": uuid.uuid4().hex,
        "message_id": mid,
        "score": 2,
        "factual": "wrong",
        "hallucination": False,
    }
    assert rater.post("/api/ratings", json=body).status_code == 201
    after = monitor(admin)
    entry_ = next(r for r in after["recent"] if r["message_id"] == mid)
    assert (entry_["ratings"], entry_["mean_score"]) == (1, 2.0)
    assert after["totals"]["rated"]["rated_answers"] == before["rated_answers"] + 1
    today = after["ratings"][-1]
    assert today["ratings"] >= 1 and 1 <= today["mean_score"] <= 5


@pytest.mark.slow
def test_monitor_is_for_admins_only(mon: Live, rater: httpx.Client) -> None:
    assert rater.get("/api/admin/monitor").status_code == 403
    assert httpx.get(mon.url + "/api/admin/monitor").status_code == 401
    assert rater.get("/api/admin/monitor", params={"days": 0}).status_code in (403, 422)


def metric_samples(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out.setdefault(s.name, []).append((s.labels, s.value))
    return out


@pytest.mark.slow
def test_metrics_show_the_question_log_series(mon: Live, rater: httpx.Client) -> None:
    db = db_of(mon)
    n_before = len(rows(db))
    ask(rater, QUESTION)
    ask(rater, NO_DATA)

    def settled() -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
        m, logged = metric_samples(httpx.get(mon.url + "/metrics").text), rows(db)
        done = m["hirachat_question_log_written_total"][0][1] == len(logged) >= n_before + 2
        return (m, logged) if done else None

    m, logged = wait_for(settled, "the two answers logged")
    chat = sum(r["surface"] == "chat" for r in logged)
    assert ({"surface": "chat"}, chat) in m["hirachat_questions_24h"]
    rate = m["hirachat_abstention_rate_24h"][0][1]
    assert rate == pytest.approx(sum(r["abstained"] for r in logged) / len(logged))
    assert any(lb == {"table": TABLE} and v >= 2 for lb, v in m["hirachat_table_answers_total"])
    assert ({"reason": "entity"}, pytest.approx(sum(r["reason"] == "entity" for r in logged))) in [
        (lb, pytest.approx(v)) for lb, v in m["hirachat_abstentions_total"]
    ]
    assert {lb["stage"]: v for lb, v in m["hirachat_question_log_failures_total"]} == {
        "queue": 0.0,
        "write": 0.0,
        "purge": 0.0,
    }
    with sqlite3.connect(db) as con:
        stored = dict(con.execute("SELECT score, count(*) FROM ratings GROUP BY score").fetchall())
    assert {int(lb["score"]): v for lb, v in m["hirachat_ratings_stored"]} == {
        s: float(stored.get(s, 0)) for s in range(1, 6)
    }


@pytest.mark.slow
def test_grafana_dashboard_queries_only_metrics_we_export(mon: Live, rater: httpx.Client) -> None:
    ask(rater, QUESTION)
    ask(rater, NO_DATA)  # every labelled series has a sample
    exported = set(metric_samples(httpx.get(mon.url + "/metrics").text))
    dash = json.loads(GRAFANA.read_text(encoding="utf-8"))
    panels = [p for p in dash["panels"] if p.get("type") != "row"]
    exprs = [t["expr"] for p in panels for t in p.get("targets", [])]
    assert len(panels) >= 8 and all(p.get("targets") for p in panels) and dash["title"]
    queried = {name for e in exprs for name in re.findall(r"\bhirachat_[a-z0-9_]+", e)}
    assert len(queried) >= 8 and queried <= exported, sorted(queried - exported)
    titles = " ".join(p["title"] for p in panels)
    for figure in ("질문", "응답 시간", "보류", "대체", "평가", "표"):
        assert figure in titles


@pytest.mark.slow
def test_excluded_text_retention_at_startup_and_a_failing_log(tmp_path: Path, real_store: Path) -> None:
    """``log_question_text: false``: the question is nowhere in the log, the dashboard lists abstentions by
    interpretation and reason; a row past retention is deleted when the server starts, a recent one kept;
    with the log's table gone, answers still come and the failure is counted."""
    make_workspace(tmp_path, real_store)
    server = Live(
        tmp_path, {"rate_limit_per_minute": 0, "log_question_text": False, "log_retention_days": 30}
    )
    db = db_of(server)
    db.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    migrate(engine)
    now = datetime.now(UTC)
    with sessions(engine)() as s:
        old = entry(
            {"question": "오래된 질문", "engine": "grounded", "latency_ms": 5.0}, "chat", None, None, False
        )
        keep = old | {"created_at": now - timedelta(days=29)}
        write_rows(s, [old | {"created_at": now - timedelta(days=31)}, keep])
    engine.dispose()
    server.add_user("hider", "admin")
    server.start()
    try:
        with server.client(server.login("hider")) as c:
            wait_for(lambda: len(rows(db)) == 1 or None, "the start-up purge")
            done = ask(c, SECRET)
            assert done["abstained"] is True
            client = openai.OpenAI(base_url=server.url + "/v1", api_key=server.api_token("hider"))
            client.chat.completions.create(model="hira-chat", messages=[{"role": "user", "content": SECRET}])
            logged = wait_for(lambda: len(r := rows(db)) == 3 and r, "two rows")
            for r in logged:
                assert r["question"] is None and r["question_key"] is None
                assert "우주정거장" not in json.dumps(r, ensure_ascii=False, default=str)
            with sqlite3.connect(db) as con:
                dump = "\n".join(con.iterdump())
            log_lines = [ln for ln in dump.splitlines() if "question_log" in ln]
            assert log_lines and not any("우주정거장" in ln for ln in log_lines)
            m = c.get("/api/admin/monitor", params={"days": 1}).json()
            top = m["abstained_questions"][0]
            assert top["question"] is None and top["count"] == 2 and top["reason"] == done["reason"]
            # the reading without the question's own unread words ('이해하지 못한 말: 우주정거장'): no text kept
            assert top["interpretation"] == without_unread(done["interpretation"]) != done["interpretation"]
            assert m["settings"]["log_question_text"] is False

            with sqlite3.connect(db) as con:  # the log's tables gone: answering must not notice
                con.execute("DROP TABLE question_log_tables")
                con.execute("DROP TABLE question_log")
            assert ask(c, QUESTION)["abstained"] is False

            def failures() -> float | None:
                m = metric_samples(c.get("/metrics").text)
                return {lb["stage"]: v for lb, v in m["hirachat_question_log_failures_total"]}[
                    "write"
                ] or None

            assert wait_for(failures, "a counted write failure") == 1
    finally:
        server.stop()


def _seed(url: str, now: datetime) -> dict[str, Any]:
    """The same log (and a rating) in a fresh database at ``url``; the dashboard's figures of it."""
    engine = make_engine(url)
    migrate(engine)
    with sessions(engine)() as db:
        user = User(username=f"u{uuid.uuid4().hex[:8]}", password_hash="x", role="evaluator")
        db.add(user)
        db.flush()
        conv = Conversation(id=str(uuid.uuid4()), user_id=user.id, title="t")
        db.add(conv)
        db.flush()
        msg = Message(
            conversation_id=conv.id, question="q", answer="a", engine="grounded", abstained=False, meta={}
        )
        db.add(msg)
        db.flush()
        made = []
        for i in range(40):
            res = {
                "question": ["2019년 서울 내과 환자수는?", "화성 환자수?", "화성 환자수"][i % 3],
                "engine": "grounded" if i % 4 else "openai",
                "latency_ms": float(7 * i + 3),
                "abstained": i % 3 != 0,
                "reason": "entity" if i % 3 else None,
                "fallback_reason": "model answer failed the grounding check" if i % 4 == 0 else None,
                "interpretation": "이해한 질문: 2019년",
                "sources": [{"table": "a"}, {"table": "b" if i % 2 else "a"}],
            }
            row = entry(res, ["chat", "api"][i % 2], user.id, msg.id if i == 0 else None, True)
            made.append(
                row | {"created_at": now - timedelta(hours=5 * i)}
            )  # over 9 days, both sides of midnight
        write_rows(db, made)
        db.add(
            Rating(
                client_id=uuid.uuid4().hex,
                user_id=user.id,
                message_id=msg.id,
                question="q",
                answer="a",
                engine="grounded",
                score=4,
                factual="correct",
                hallucination=False,
                comment="",
                created_at=now,
            )
        )
        db.commit()
        out = overview(db, 10, 540, now=now)
    engine.dispose()
    for r in out["recent"]:
        r.pop("id")
    return out


@pytest.mark.slow
@pytest.mark.postgres
def test_figures_are_the_same_on_postgres_and_sqlite(pg_url: str, tmp_path: Path) -> None:  # noqa: F811
    now = datetime(2024, 5, 10, 3, 30, tzinfo=UTC)  # 12:30 in Korea
    lite = _seed(f"sqlite:///{tmp_path / 'm.db'}", now)
    pg = _seed(pg_url, now)
    assert pg == lite
    days = {d["day"]: d for d in lite["daily"]}
    assert sum(d["questions"] for d in lite["daily"]) == lite["totals"]["questions"] == 40
    assert days["2024-05-10"]["questions"] == 3  # 12:30, 07:30, 02:30 KST (the next row is the 9th, 21:30)
    assert (
        lite["abstained_questions"][0]["count"] == 26 and lite["abstained_questions"][0]["reason"] == "entity"
    )
    assert lite["tables"][0] == {"table": "a", "questions": 40, "abstained": 26}
    assert lite["totals"]["rated"] == {"rated_answers": 1, "ratings": 1, "mean_score": 4.0}
    assert lite["ratings"][-1] == {"day": "2024-05-10", "ratings": 1, "mean_score": 4.0}


def test_retention_purge_deletes_old_rows_only(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "web").mkdir(parents=True)
    engine = make_engine(f"sqlite:///{ws / 'web' / 'hirachat.db'}")
    migrate(engine)
    now = datetime.now(UTC)
    res = {"question": "q", "engine": "grounded", "latency_ms": 1.0, "sources": [{"table": "t"}]}
    ages = (400, 181, 179, 31, 1)
    with sessions(engine)() as db:
        write_rows(
            db, [entry(res, "chat", None, None, True) | {"created_at": now - timedelta(days=d)} for d in ages]
        )
        assert purge_question_log(db, 0) == 0  # 0: kept forever
        assert purge_question_log(db, 180) == 2
        left = sorted(
            round((now - _aware(r.created_at)).total_seconds() / 86400) for r in db.query(QuestionLog)
        )
        assert left == [1, 31, 179]
        assert db.query(QuestionLogTable).count() == 3  # the purged rows' tables went with them
    engine.dispose()
    cfg = Config.model_validate({"paths": {"workspace": str(ws)}, "serve": {"log_retention_days": 30}})
    assert purge_configured(cfg) == 2  # as the CLI runs it: 179 and 31 days old
    assert purge_configured(cfg) == 0


def _aware(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def test_a_log_that_cannot_be_written_never_raises(tmp_path: Path) -> None:
    """No table to write to, and an answer whose fields cannot be read: both counted, nothing raised."""
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    metrics = Metrics()
    serve = Config().serve
    writer = QuestionLogWriter(sessions(engine), serve, metrics)
    writer.start()
    writer.record({"question": "q", "engine": "grounded", "latency_ms": "not a number"}, "chat")
    writer.record({"question": "q", "engine": "grounded", "latency_ms": 3.0}, "api")
    writer.close()
    text = metrics.render().decode()
    assert 'hirachat_question_log_failures_total{stage="queue"} 1.0' in text
    assert 'hirachat_question_log_failures_total{stage="write"} 1.0' in text
    assert 'hirachat_question_log_failures_total{stage="purge"} 1.0' in text  # no table to purge either
    engine.dispose()
