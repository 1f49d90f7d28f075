"""End to end in headless Chromium against a real `hotwire-assist dashboard` process: blind review, votes stored,
the summary changing, and the telemetry insights page with its charts and numbers."""

from __future__ import annotations

import json
import sqlite3

import pytest
from dashboard.factories import events, write_runs, write_store

pytestmark = pytest.mark.slow


def _page(browser, dashboard):
    """A fresh browser profile (its own cookies) that records every URL it asks for."""
    context = browser.new_context()
    page = context.new_page()
    page.requested = []
    page.on("request", lambda r: page.requested.append(r.url))
    page.goto(dashboard.url)
    return page


def _sign_in(page, reviewer: str) -> None:
    page.click("text=Start reviewing")
    page.fill("#reviewer", reviewer)
    page.click("text=Continue")


def _vote_for_a(page, accept_a: bool = True) -> None:
    """Prefer run A's output (the Turbo Frame, wherever it landed) and answer 'accept?' for both sides."""
    a_side = "left" if "turbo_frame_tag" in page.inner_text("#left .code") else "right"
    b_side = "right" if a_side == "left" else "left"
    page.check(f"input[name={a_side}_accept][value={'yes' if accept_a else 'no'}]")
    page.check(f"input[name={b_side}_accept][value=no]")
    page.check(f"input[name=preference][value={a_side}]")
    page.fill("textarea[name=comment]", "frame keeps navigation scoped")
    page.click("#submit")


def test_blind_review_stores_votes_and_updates_the_summary(tmp_path, browser, start_dashboard):
    a, b = write_runs(tmp_path, n=3)
    d = start_dashboard("--runs", a, b)
    ann = _page(browser, d)
    assert ann.inner_text("#pair-count") == "3"
    _sign_in(ann, "ann")

    # blind: outputs side by side, highlighted, findings folded away, no model name anywhere
    assert ann.inner_text("h1").startswith("Pair 1 of 3")
    assert "Request for task-00" in ann.inner_text("#prompt")
    content = ann.content()
    assert "alpha-ft" not in content and "omega-generic" not in content
    assert ann.locator("#left .code span.nt").count() > 0 and ann.locator("#right .code span.nt").count() > 0
    assert ann.locator(".code span.cp").count() > 0  # run A's ERB tags, highlighted as ERB
    finding = ann.locator("details", has_text="Rules-engine findings (1)")
    assert not finding.locator("li").is_visible()
    finding.locator("summary").click()
    assert "turbo_frame_tag needs an id" in finding.locator("li").inner_text()

    _vote_for_a(ann)
    assert ann.inner_text("h1").startswith("Pair 2 of 3")  # the next pair, never the same one
    _vote_for_a(ann, accept_a=False)

    votes = json.loads(ann.request.get(d.base + "/api/reviews").text())["votes"]
    assert [(v["pair_id"], v["reviewer"], v["preference"]) for v in votes] == [
        ("task-00", "ann", "A"),
        ("task-01", "ann", "A"),
    ]
    assert [(v["answers"]["A"]["accept"], v["answers"]["B"]["accept"]) for v in votes] == [
        (True, False),
        (False, False),
    ]
    assert votes[0]["comment"] == "frame keeps navigation scoped"
    with sqlite3.connect(a / "reviews.sqlite3") as db:  # in the dashboard's own file, next to run A
        assert db.execute("SELECT COUNT(*) FROM votes").fetchone() == (2,)

    # a second vote on a reviewed pair is refused, even posted by hand
    again = ann.request.post(d.base + "/review/task-00", form={"preference": "right"})
    assert again.status == 409
    assert len(json.loads(ann.request.get(d.base + "/api/reviews").text())["votes"]) == 2

    ann.goto(d.base + "/summary")
    assert ann.inner_text("#model-a") == "alpha-ft" and ann.inner_text("#model-b") == "omega-generic"
    assert ann.inner_text("#reviewed") == "2" and ann.inner_text("#a-rate") == "100.0%"
    assert ann.inner_text("#a-ci") == "34.2–100.0%"  # Wilson 95 % for 2 of 2
    assert "No pair has been reviewed by two reviewers" in ann.inner_text("#agreement")

    bob = _page(browser, d)  # another reviewer (own cookie) starts at the first pair
    _sign_in(bob, "bob")
    assert bob.inner_text("h1").startswith("Pair 1 of 3")
    _vote_for_a(bob)
    bob.goto(d.base + "/summary")
    assert bob.inner_text("#votes") == "3" and bob.inner_text("#agreement") == "100.0%"
    assert "bob" in bob.inner_text("#reviewer-table")
    accept = bob.locator("#question-table tr", has_text="accept this in production").inner_text()
    assert "66.7% (2/3)" in accept and "0.0% (0/3)" in accept  # A: yes, no, yes; B: no three times
    bob.click("#export")
    assert "reviews.json" in bob.inner_text("#message")
    exported = json.loads((a / "reviews.json").read_text())
    assert exported["summary"]["preference"]["a_wins"] == 3

    for page in (ann, bob):  # offline: nothing but the dashboard itself was requested
        assert all(url.startswith(d.base) for url in page.requested)


def test_insights_page_renders_charts_and_right_numbers(tmp_path, browser, start_dashboard):
    store = write_store(tmp_path / "telemetry.sqlite3", events(20))
    d = start_dashboard("--telemetry", store)
    page = _page(browser, d)
    page.goto(d.base + "/insights")
    assert page.inner_text("#acceptance") == "75.0%"
    assert page.inner_text("#event-count") == "85"
    assert page.inner_text("#latency-p50") == "195"
    for chart in ("acceptance", "survival", "latency", "file_type", "area"):
        svg = page.locator(f"#chart-{chart} svg")
        assert svg.count() == 1 and svg.bounding_box()["width"] > 100
    survival = page.text_content("#chart-survival svg")
    assert "100%" in survival and "80%" in survival and "50%" in survival
    assert "100%" in page.text_content("#chart-file_type svg")  # js: every suggestion accepted
    assert "ujs/method-delete" in page.inner_text("#rejected")
    erb = page.locator("#by-file-type tr", has_text="erb").inner_text()
    assert "50.0%" in erb
    assert all(url.startswith(d.base) for url in page.requested)


def test_insights_explains_empty_and_older_stores(tmp_path, browser, start_dashboard):
    empty = write_store(tmp_path / "empty.sqlite3", [])
    old = tmp_path / "old.sqlite3"
    with sqlite3.connect(old) as db:
        db.execute("CREATE TABLE unrelated (x)")
    d = start_dashboard("--telemetry", empty, "--telemetry", old, "--telemetry", tmp_path / "gone.jsonl")
    page = _page(browser, d)
    page.goto(d.base + "/insights")
    assert "No telemetry events" in page.inner_text("#empty")
    assert "older than" in page.inner_text("#notes")
    assert "gone.jsonl: no such telemetry store or bundle" in page.inner_text("#problems")
