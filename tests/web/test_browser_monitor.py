"""The admin's 모니터링 tab in Debian's Chromium: after questions were answered (one abstained), the
dashboard draws its five charts with Korean labels and lists the abstained question."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from test_browser import browser, login  # noqa: F401  (the Chromium fixture)

from conftest import QUESTION, Live

NOT_HELD = "2022년 남극 내과 환자수는?"
CHARTS = {
    "#chart-questions": "질문 수",
    "#chart-latency": "응답 시간 (ms)",
    "#chart-rates": "비율 (%)",
    "#chart-ratings": "평가 수",
    "#chart-tables": "질문 수",
}


@pytest.mark.browser
@pytest.mark.slow
def test_admin_dashboard_draws_the_charts_in_korean(
    browser: Browser,  # noqa: F811
    live: Live,
    admin_token: str,
    tmp_path: Path,
) -> None:
    with live.client(admin_token) as c:
        for q in (QUESTION, NOT_HELD):
            assert c.post("/api/chat", json={"question": q}).status_code == 200
        deadline = time.monotonic() + 30
        while not any(
            (a["question"] or "") == NOT_HELD
            for a in c.get("/api/admin/monitor").json()["abstained_questions"]
        ):
            assert time.monotonic() < deadline, "the abstained question never reached the log"
            time.sleep(0.2)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live, "admin")
    tab = page.locator("#tabs button[data-tab=monitor]")
    expect(tab).to_have_text("모니터링")
    tab.click()
    expect(page.locator("#monitor-summary")).to_contain_text("답변 보류율")
    for sel, axis in CHARTS.items():
        expect(page.locator(sel)).to_be_visible()
        drawn = page.evaluate(
            """(sel) => { const c = window.Chart && window.Chart.getChart(document.querySelector(sel));
                 if (!c) return null;
                 const scale = c.options.indexAxis === "y" ? c.options.scales.x : c.options.scales.y;
                 return { axis: scale.title.text, labels: c.data.datasets.map((d) => d.label),
                          width: c.width, height: c.height }; }""",
            sel,
        )
        assert drawn is not None, f"{sel} has no chart"
        assert drawn["axis"] == axis and drawn["width"] > 100 and drawn["height"] > 100
        assert all(any("가" <= ch <= "힣" for ch in label) for label in drawn["labels"]), drawn["labels"]
    expect(page.locator("#monitor-abstained table")).to_contain_text(NOT_HELD)
    expect(page.locator("#monitor-recent table")).to_contain_text("채팅")
    page.locator("#monitor-form select[name=days]").select_option("7")
    page.locator("#monitor-form button[type=submit]").click()
    expect(page.locator("#monitor-summary")).to_contain_text("질문")
    page.screenshot(path=str(tmp_path / "monitor.png"), full_page=True)
    if os.environ.get("HIRACHAT_SCREENSHOTS"):
        (Path(os.environ["HIRACHAT_SCREENSHOTS"]) / "monitor.png").write_bytes(
            (tmp_path / "monitor.png").read_bytes()
        )
    assert errors == []
