"""A running server switches data versions without a restart: a CLI update, a rollback, the admin action."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import Live, cli
from hirachat.config import DataConfig
from hirachat.data.versions import update
from hirachat.paths import Workspace

DEPT = "hira_dept_by_sido_cost_hospital_level_{}.csv"
NEW_YEAR = "2015년 서울 내과 환자수는?"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, real_dir: Path) -> Iterator[Live]:
    root = tmp_path_factory.mktemp("versions")
    ws = Workspace(root / "ws").create()
    files = [real_dir / DEPT.format(y) for y in (2013, 2014)]
    assert update(files, ws.store_dir, DataConfig(), ws.raw).version == "v0001"
    live = Live(root, {"rate_limit_per_minute": 0})
    live.add_user("admin", "admin")
    live.add_user("rater")
    live.start()
    yield live
    live.stop()


def ask(live: Live, token: str, question: str) -> dict[str, object]:
    with live.client(token) as c:
        r = c.post(
            "/v1/chat/completions",
            json={"model": "hira-chat", "messages": [{"role": "user", "content": question}]},
        )
    r.raise_for_status()
    return dict(r.json()["hirachat"])


def test_an_update_is_answered_without_restart_and_rollback_switches_back(
    server: Live, real_dir: Path
) -> None:
    token = server.api_token("rater")
    pid = server.proc.pid if server.proc else None
    before = ask(server, token, NEW_YEAR)
    assert before["abstained"] is True and before["data_version"] == "v0001"

    out = cli("data", "update", str(real_dir / DEPT.format(2015)), "-c", str(server.config))
    assert "version v0002 made from v0001" in out and "added 696" in out
    after = ask(server, token, NEW_YEAR)
    assert after["abstained"] is False and after["data_version"] == "v0002"
    assert server.proc is not None and server.proc.pid == pid and server.proc.poll() is None

    cli("data", "rollback", "v1", "-c", str(server.config))
    back = ask(server, token, NEW_YEAR)
    assert back == {**before, "latency_ms": back["latency_ms"]}


def test_the_admin_switches_versions_while_questions_are_answered(server: Live, real_dir: Path) -> None:
    admin = server.login("admin")
    rater = server.login("rater")
    with server.client(rater) as c:
        assert c.get("/api/admin/data/versions").status_code == 403
    with server.client(admin) as c:
        listed = c.get("/api/admin/data/versions").json()
        names = [v["name"] for v in listed["versions"]]
        assert "v0001" in names and listed["serving"] == listed["current"]
        if "v0002" not in names:  # run alone: make the second version
            cli("data", "update", str(real_dir / DEPT.format(2015)), "-c", str(server.config))
        assert c.post("/api/admin/data/versions/v42/activate").status_code == 404

    token = server.api_token("rater")
    # answers keep coming while the versions switch back and forth: none fails
    with ThreadPoolExecutor(8) as pool:
        asked = [pool.submit(ask, server, token, NEW_YEAR) for _ in range(24)]
        with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {admin}"}, timeout=60) as c:
            for name in ("v0002", "v0001", "v0002"):
                r = c.post(f"/api/admin/data/versions/{name}/activate")
                assert r.status_code == 200 and r.json() == {"serving": name}
        results = [f.result() for f in asked]
    assert {r["data_version"] for r in results} <= {"v0001", "v0002"}
    for r in results:  # each answer is consistent with the version it cites
        assert r["abstained"] is (r["data_version"] == "v0001")
    assert ask(server, token, NEW_YEAR)["data_version"] == "v0002"
