"""The web UI in Debian's Chromium driven by Playwright: log in, ask, watch the answer stream in with its
sources, rate it, cast a blind A/B vote, and find both in the database; HTML in questions and model answers
is shown as text; a screenshot shows the Korean page."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import PASSWORD, QUESTION, XSS, Live

CHROMIUM = Path(os.environ.get("HIRACHAT_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium fonts-nanum)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def login(page: Page, live: Live, name: str) -> None:
    page.goto(live.url + "/")
    page.fill("#login-form input[name=username]", name)
    page.fill("#login-form input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#username")).to_contain_text(name)


def test_login_ask_stream_rate_vote(browser: Browser, live: Live, raw_dept: Any, tmp_path: Path) -> None:
    value = f"{raw_dept[(2019, '서울', '내과')]['환자수']:,}"
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="ko-KR")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    login(page, live, "rater2")

    page.fill("#question", QUESTION)
    page.click("#ask")
    answer = page.locator(".message").last
    expect(answer.locator(".answer")).not_to_have_class("answer streaming", timeout=20000)
    expect(answer.locator(".answer-text")).to_contain_text(value)
    expect(answer.locator(".sources table")).to_contain_text("서울")
    expect(answer.locator(".sources")).to_contain_text("내과")
    answer.locator("input[name=score][value='4']").check()
    answer.locator("input[name=factual][value=correct]").check()
    answer.locator("input[name=comment]").fill("출처와 수치 일치")
    answer.locator(".rating button[type=submit]").click()
    expect(answer.locator(".rating .status")).to_have_text("저장됨 ✓")
    page.screenshot(path=str(tmp_path / "chat.png"), full_page=True)

    page.click("#tabs button[data-tab=arena]")
    page.fill("#arena-question", QUESTION)
    page.click("#arena-form button[type=submit]")
    expect(page.locator(".sides .side")).to_have_count(2, timeout=20000)
    expect(page.locator(".reveal")).to_have_text("")  # names are hidden until the vote
    page.click(".votes button[data-vote=a]")
    expect(page.locator(".reveal")).to_contain_text("A = ")
    expect(page.locator("#leaderboard table")).to_contain_text("solar-lora")
    page.screenshot(path=str(tmp_path / "arena.png"), full_page=True)
    if os.environ.get("HIRACHAT_SCREENSHOTS"):
        for name in ("chat.png", "arena.png"):
            (Path(os.environ["HIRACHAT_SCREENSHOTS"]) / name).write_bytes((tmp_path / name).read_bytes())

    db = sqlite3.connect(live.root / "ws" / "web" / "hirachat.db")
    uid = db.execute("SELECT id FROM users WHERE username = 'rater2'").fetchone()[0]
    ratings = db.execute(
        "SELECT r.score, r.factual, r.comment, m.question FROM ratings r JOIN messages m ON m.id = r.message_id "
        "WHERE r.user_id = ?",
        (uid,),
    ).fetchall()
    assert ratings == [(4, "correct", "출처와 수치 일치", QUESTION)]
    votes = db.execute(
        "SELECT vote, contestant_a, contestant_b FROM battles WHERE user_id = ?", (uid,)
    ).fetchall()
    assert len(votes) == 1 and votes[0][0] == "a" and {votes[0][1], votes[0][2]} == {"grounded", "solar-lora"}
    assert errors == []


def test_html_in_questions_and_answers_is_shown_as_text(browser: Browser, live: Live) -> None:
    page = browser.new_page()
    login(page, live, "평가자1")
    page.fill("#question", XSS + " 2019년 서울 내과 환자수는?")
    page.click("#ask")
    msg = page.locator(".message").last
    expect(msg.locator(".answer")).not_to_have_class("answer streaming", timeout=20000)
    expect(msg.locator(".question")).to_contain_text("<img src=x")  # the payload, as text
    page.click("#tabs button[data-tab=arena]")
    for _ in range(6):  # the model contestant's answer carries the payload; it is on side A or B
        page.fill("#arena-question", QUESTION)
        page.click("#arena-form button[type=submit]")
        expect(page.locator(".sides .side")).to_have_count(2, timeout=20000)
        if "<img" in page.locator(".sides").inner_text():
            break
        page.click(".votes button[data-vote=tie]")
    assert "onerror" in page.locator(".sides").inner_text()
    assert page.locator("main img").count() == 0
    assert page.evaluate("window.__xss") is None


def test_admin_page_creates_a_campaign_and_shows_progress(browser: Browser, live: Live) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live, "admin")
    page.click("#tabs button[data-tab=admin]")
    expect(page.locator("#users")).to_contain_text("평가자1")
    form = page.locator("#campaign-form")
    form.locator("input[name=name]").fill("브라우저 과제")
    form.locator("select[name=split]").select_option("")
    form.locator("textarea[name=items]").fill("2019년 서울 내과 환자수는?\n2019년 부산 내과 환자수는?")
    form.locator("input[name=evaluators]").fill("평가자1, rater2")
    form.locator("button[type=submit]").click()
    expect(form.locator(".status")).to_contain_text("문항 2개, 평가자 2명")
    card = page.locator("#progress .card", has_text="브라우저 과제")
    expect(card).to_contain_text("평가자1: 0/2")
    expect(card).to_contain_text("Krippendorff")
    assert errors == []


def test_phone_layout_ranking_table_trend_chart_and_follow_up(
    browser: Browser, live: Live, raw_dept: Any, tmp_path: Path
) -> None:
    """At 390 px: nothing wider than the screen, the ask button in view; Enter sends; a ranking comes with a
    table (its ranked rows marked), a trend with a chart and every year (a gap said), a follow-up carries
    the previous reading; sampling controls only for a model that generates."""
    page = browser.new_page(viewport={"width": 390, "height": 844}, locale="ko-KR")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, live, "평가자1")
    page.select_option("#model", "grounded")
    expect(page.locator("label.sampling").first).to_be_hidden()
    page.select_option("#model", "solar-lora")
    expect(page.locator("label.sampling").first).to_be_visible()
    page.select_option("#model", "grounded")

    def ask(question: str) -> Any:
        page.fill("#question", question)
        page.press("#question", "Enter")  # Enter sends
        msg = page.locator(".message").last
        expect(msg.locator(".answer")).not_to_have_class("answer streaming", timeout=20000)
        return msg

    msg = ask("2019년 진료비가 가장 많은 시도 3곳")
    table = msg.locator(".display table.ranking")
    expect(table.locator("tbody tr")).to_have_count(17)  # every 시도, ranked
    expect(table.locator("tbody tr.marked")).to_have_count(3)
    expect(table.locator("tbody tr").first).to_contain_text("서울")
    expect(msg.locator(".sources")).not_to_have_attribute("open", "")  # collapsed by default

    msg = ask("2013년부터 2019년까지 서울 내과 환자수 추이")
    expect(msg.locator("canvas.chart")).to_have_count(1)
    rows = msg.locator(".display.trend tbody tr")
    expect(rows).to_have_count(7)  # 2013..2019, 2018 without data
    expect(rows.nth(5)).to_contain_text("자료 없음")
    first = f"{raw_dept[(2013, '서울', '내과')]['환자수']:,}"
    assert rows.nth(0).locator("span").get_attribute("title") == f"{first}명"  # exact figure on hover

    msg = ask("부산은?")  # a follow-up of the trend question
    expect(msg.locator(".interpretation")).to_contain_text("부산")
    expect(msg.locator(".answer-text")).to_contain_text(f"{raw_dept[(2019, '부산', '내과')]['환자수']:,}")

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 391, f"page is {width}px wide on a 390px screen"
    box = page.locator("#ask").bounding_box()
    assert box is not None and box["x"] + box["width"] <= 390
    page.screenshot(path=str(tmp_path / "phone.png"), full_page=True)
    if os.environ.get("HIRACHAT_SCREENSHOTS"):
        (Path(os.environ["HIRACHAT_SCREENSHOTS"]) / "phone.png").write_bytes(
            (tmp_path / "phone.png").read_bytes()
        )
    page.click("#new-topic")
    expect(page.locator(".message")).to_have_count(0)
    assert errors == []


def test_arena_fallback_badge(browser: Browser, live: Live) -> None:
    page = browser.new_page()
    login(page, live, "rater2")
    page.click("#tabs button[data-tab=arena]")
    page.fill("#arena-question", "2019년 서울 내과 보험자부담률은?")
    page.click("#arena-form button[type=submit]")
    expect(page.locator(".sides .side")).to_have_count(2, timeout=20000)
    expect(page.locator(".sides .badge.fallback")).to_have_count(1)
    page.click(".votes button[data-vote=tie]")
    expect(page.locator("#leaderboard")).to_contain_text("제외")


def test_evaluation_report_filters_and_sorts_offline(browser: Browser, tmp_path: Path) -> None:
    """report.html opened from a file: HTML tables, wrong answers first, filters by variant and type."""
    from hirachat.eval.report import write_report

    overall = {"n": 2, "accuracy": 0.5, "hallucination_rate": 0.0}
    metrics = {
        "n_questions": 2,
        "data": "test.jsonl",
        "variants": {
            n: {
                "overall": overall,
                "by_qtype": {"lookup": {"n": 2, "accuracy": 0.5}},
                "temperature": None,
                "engine": "grounded",
            }
            for n in ("grounded", "model")
        },
        "comparisons": [],
    }
    items = [
        {
            "variant": v,
            "qtype": q,
            "question": f"{v} {q} 질문",
            "answer": "답",
            "reference": "정답",
            "correct": ok,
            "hallucinated": [],
            "latency_ms": 10.0 + k,
        }
        for k, (v, q, ok) in enumerate(
            [
                ("grounded", "lookup", True),
                ("grounded", "ranking", True),
                ("model", "lookup", False),
                ("model", "ranking", True),
            ]
        )
    ]
    write_report(metrics, items, tmp_path)
    page = browser.new_page()
    page.goto((tmp_path / "report.html").as_uri())
    rows = page.locator("#items tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_have_class("wrong")  # wrong answers first
    page.select_option("#f-variant", "grounded")
    expect(page.locator("#items tbody tr:visible")).to_have_count(2)
    page.select_option("#f-variant", "")
    page.check("#f-wrong")
    expect(page.locator("#items tbody tr:visible")).to_have_count(1)
    expect(page.locator("#shown")).to_have_text("1개 표시")
    expect(page.locator("table").first).to_contain_text("정확도")


def test_a_question_back_is_answered_by_picking_a_button(browser: Browser, live: Live) -> None:
    """A name several places carry is asked back with a button per reading; a click asks that reading."""
    page = browser.new_page(locale="ko-KR")
    login(page, live, "평가자1")
    page.select_option("#model", "grounded")
    page.fill("#question", "2024년 4분기 고성군 약국 몇 곳이야?")
    page.press("#question", "Enter")
    msg = page.locator(".message").last
    buttons = msg.locator(".choices button.choice")
    expect(buttons).to_have_count(2)
    expect(buttons.first).to_contain_text("강원 고성군")
    count = page.locator(".message").count()
    buttons.first.click()
    expect(page.locator(".message")).to_have_count(count + 1)
    answered = page.locator(".message").last
    expect(answered.locator(".answer")).not_to_have_class("answer streaming", timeout=20000)
    expect(answered.locator(".answer-text")).to_contain_text("강원 고성군 약국의 기관수는")
    expect(answered.locator(".badge.abstained")).to_have_count(0)
