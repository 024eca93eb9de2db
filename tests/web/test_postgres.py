"""The same app on PostgreSQL (serve.database_url): migrations build the models' schema, and a real server
process stores idempotent ratings and survives kill -9. A throwaway cluster is started from Debian's
postgresql package (CI installs it), or ``HIRACHAT_TEST_PG_URL`` names an existing database."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from conftest import QUESTION, Live, free_port, make_workspace
from hirachat.web.db import make_engine, migrate
from hirachat.web.models import Base


def _as_postgres(*cmd: str) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    subprocess.run([*prefix, *cmd], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    if os.environ.get("HIRACHAT_TEST_PG_URL"):
        yield os.environ["HIRACHAT_TEST_PG_URL"]
        return
    bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not bins:
        pytest.fail("PostgreSQL not found: apt-get install postgresql (or set HIRACHAT_TEST_PG_URL)")
    bindir = Path(bins[-1]).parent
    root = Path(
        tempfile.mkdtemp(prefix="hirachat-pg-")
    )  # not under pytest's root-only tmp: postgres reads it
    data, sock = root / "data", root / "sock"
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
        shutil.chown(sock, "postgres")
    port = free_port()
    _as_postgres(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
    opts = f"-p {port} -k {sock} -c listen_addresses=''"
    _as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w", "-l", str(root / "log"), "start")
    try:
        _as_postgres(str(bindir / "createdb"), "-h", str(sock), "-p", str(port), "-U", "postgres", "hirachat")
        yield f"postgresql+psycopg://postgres@/hirachat?host={sock}&port={port}"
    finally:
        _as_postgres(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def test_migrations_on_postgres(pg_url: str) -> None:
    engine = make_engine(pg_url)
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_server_on_postgres_keeps_every_acknowledged_rating_once(
    pg_url: str, tmp_path: Path, real_store: Path
) -> None:
    make_workspace(tmp_path, real_store)
    server = Live(tmp_path, {"rate_limit_per_minute": 0, "database_url": pg_url})
    name = f"pg{uuid.uuid4().hex[:6]}"
    server.add_user(name)
    server.start()
    try:
        token = server.login(name)
        with server.client(token) as c:
            mid = int(
                c.post("/api/chat", json={"question": QUESTION})
                .text.rsplit('"message_id": ', 1)[1]
                .split(",")[0]
            )
            bodies = [
                {
                    "client_id": uuid.uuid4().hex,
                    "message_id": mid,
                    "score": s,
                    "factual": "correct",
                    "hallucination": False,
                }
                for s in (1, 2, 3, 4, 5)
            ]
            # one rating per evaluator and answer: the first is stored, the others revise it
            assert [c.post("/api/ratings", json=b).status_code for b in bodies] == [201, 200, 200, 200, 200]
        server.kill()
        server.start()
        with server.client(token) as c:
            assert all(c.post("/api/ratings", json=b).json()["duplicate"] for b in bodies)  # none re-applied
            mine = c.get("/api/ratings/mine").json()
        assert [(r["client_id"], r["score"]) for r in mine] == [(bodies[-1]["client_id"], 5)]
    finally:
        server.stop()
        time.sleep(0.1)
