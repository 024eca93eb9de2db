"""Web building blocks: agreement and Bradley-Terry statistics, password hashing, the rate limiter, request
settings, spreadsheet-safe CSV, and migrations that build exactly the models' schema."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from hirachat.config import ServeConfig
from hirachat.web.db import make_engine, migrate
from hirachat.web.models import Base
from hirachat.web.ratelimit import RateLimiter
from hirachat.web.routers.admin import to_csv
from hirachat.web.routers.common import generation
from hirachat.web.security import hash_password, verify_password
from hirachat.web.stats import bradley_terry, krippendorff_alpha, leaderboard

# Krippendorff (2011), "Computing Krippendorff's alpha-reliability", the worked example: 4 coders, 12 units.
CODERS = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849)]
)
def test_krippendorff_alpha_matches_the_published_example(level: str, published: float) -> None:
    units = {u: [c[u] for c in CODERS if c[u] is not None] for u in range(12)}
    alpha = krippendorff_alpha(units, level)  # type: ignore[arg-type]
    assert alpha is not None and round(alpha, 3) == published


def test_alpha_edge_cases() -> None:
    assert krippendorff_alpha({1: [3, 3], 2: [3, 3]}) is None  # no variation: undefined
    assert krippendorff_alpha({1: [1], 2: [2]}) is None  # nothing rated twice
    assert krippendorff_alpha({1: ["correct", "correct"], 2: ["wrong", "wrong"]}) == 1.0


def test_bradley_terry_orders_by_strength_and_the_interval_covers_the_estimate() -> None:
    games = [("x", "y", 1.0)] * 30 + [("x", "y", 0.0)] * 10 + [("y", "z", 1.0)] * 20 + [("y", "z", 0.5)] * 5
    bt = bradley_terry(["x", "y", "z"], games)
    assert bt["x"] > bt["y"] > bt["z"] and abs(sum(bt.values()) / 3 - 1000) < 1e-6
    rows = {r["name"]: r for r in leaderboard(["x", "y", "z"], games)}
    assert rows["x"]["win_rate"] == 0.75 and rows["y"]["ties"] == 5 and rows["z"]["wins"] == 0
    for r in rows.values():
        assert r["ci_low"] <= r["score"] <= r["ci_high"]  # type: ignore[operator]
    undefeated = bradley_terry(["a", "b"], [("a", "b", 1.0)] * 5)
    assert 1000 < undefeated["a"] < 1400  # the prior keeps an undefeated player finite


def test_passwords_are_salted_scrypt_hashes() -> None:
    h1, h2 = hash_password("비밀번호1234"), hash_password("비밀번호1234")
    assert h1 != h2 and h1.startswith("scrypt$") and "비밀번호" not in h1
    assert verify_password("비밀번호1234", h1) and not verify_password("비밀번호1235", h1)
    assert not verify_password("x", "garbage")


def test_rate_limiter_window() -> None:
    rl = RateLimiter(3, window_s=0.2)
    assert [rl.allow("u")[0] for _ in range(4)] == [True, True, True, False]
    assert rl.allow("v")[0] and RateLimiter(0).allow("u")[0]
    import time

    time.sleep(0.25)
    assert rl.allow("u")[0]


def test_max_tokens_capped() -> None:
    serve = ServeConfig(max_tokens_cap=100)
    assert generation(serve, 0.3, 5000).max_new_tokens == 100
    assert (
        generation(serve, None, 50).max_new_tokens == 50
        and generation(serve, None, None).max_new_tokens is None
    )


def test_csv_neutralises_formulas_and_keeps_korean() -> None:
    text = to_csv([{"comment": '=HYPERLINK("x")', "question": "서울 내과"}])
    assert text.startswith("\ufeff") and "'=HYPERLINK" in text and "서울 내과" in text


def test_migrations_build_the_models_schema_and_rerun_cleanly(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    migrate(engine)
    migrate(engine)  # idempotent
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
        mode = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert diff == [], diff
    assert mode == "wal"
    assert {"users", "ratings", "battles", "alembic_version"} <= set(inspect(engine).get_table_names())


def test_the_shared_rate_limit_is_seen_by_every_worker_and_a_restart(tmp_path: Path) -> None:
    from hirachat.web.ratelimit import SharedRateLimiter

    path = tmp_path / "ratelimit.db"
    one, two = SharedRateLimiter(4, path), SharedRateLimiter(4, path)  # two worker processes' limiters
    got = [one.allow("u")[0], two.allow("u")[0], one.allow("u")[0], two.allow("u")[0]]
    assert got == [True] * 4
    ok, wait = two.allow("u")
    assert not ok and wait >= 1
    assert not SharedRateLimiter(4, path).allow("u")[0]  # after a restart the count is still there
    assert one.allow("someone else")[0] and SharedRateLimiter(0, path).allow("u")[0]


def test_upgrading_keeps_the_latest_rating_of_an_answer_and_the_others_as_history(tmp_path: Path) -> None:
    """Before revision 0002 an evaluator could rate one chat answer many times: the upgrade keeps the latest
    as the rating and the earlier ones as its history, then (user, message) is unique."""
    from alembic import command
    from alembic.config import Config as AlembicConfig
    from sqlalchemy import text

    from hirachat.web.db import MIGRATIONS

    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        conn.execute(text("INSERT INTO users VALUES (1, 'r', 'x', 'evaluator', 1, '2025-01-01')"))
        conn.execute(text("INSERT INTO conversations VALUES ('c', 1, 't', '2025-01-01')"))
        conn.execute(
            text(
                "INSERT INTO messages VALUES (1, 'c', 'q', 'a', 'grounded', 0, '{}', NULL, NULL, '2025-01-01')"
            )
        )
        for i, score in enumerate((2, 5), 1):
            conn.execute(
                text(
                    "INSERT INTO ratings (id, client_id, user_id, message_id, item_id, question, answer, engine, "
                    "score, factual, hallucination, comment, created_at) "
                    f"VALUES ({i}, 'c{i}', 1, 1, NULL, 'q', 'a', 'grounded', {score}, 'correct', 0, '', '2025-01-0{i}')"
                )
            )
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, score FROM ratings")).all() == [(2, 5)]
        history = conn.execute(text("SELECT rating_id, client_id FROM rating_history")).all()
        assert history == [(2, "c1")]
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == [], diff
