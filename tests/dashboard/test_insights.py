"""Telemetry insights from a store or bundle, and every kind of unreadable input as a message."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest
from dashboard.factories import events, write_store

from hotwire_assist.core.telemetry import MIGRATIONS
from hotwire_assist.evaluation.dashboard.insights import area_of, compute_insights, load_telemetry


def test_figures_from_a_store(tmp_path):
    store = write_store(tmp_path / "t.sqlite3", events(20))
    d = compute_insights(load_telemetry([store]))
    assert d["events"] == 20 * 2 + 15 * 3
    assert d["outcomes"]["shown"] == 20
    assert (d["outcomes"]["accepted"], d["outcomes"]["rejected"]) == (15, 5)
    assert d["outcomes"]["acceptance_rate"] == pytest.approx(0.75)
    assert [(p["age_s"], p["n"]) for p in d["survival"]] == [(30.0, 15), (120.0, 15), (600.0, 15)]
    assert [p["mean"] for p in d["survival"]] == pytest.approx([1.0, 0.8, 0.5])
    latencies = [100.0 + 10 * i for i in range(20)]
    assert d["latency_ms"]["n"] == 20
    assert d["latency_ms"]["p50"] == pytest.approx(np.percentile(latencies, 50))  # 195
    assert d["latency_ms"]["p95"] == pytest.approx(np.percentile(latencies, 95))
    assert d["by_file_type"]["erb"]["acceptance_rate"] == pytest.approx(0.5)  # even i: every other one rejected
    assert d["by_file_type"]["js"]["acceptance_rate"] == pytest.approx(1.0)
    assert d["by_engine"] == {"llama_cpp / tiny / hotwire-tiny": d["outcomes"]}
    assert d["by_area"]["turbo-frames"]["accepted"] == 5 and d["by_area"]["other"]["rejected"] == 5
    assert d["over_time"] == [{"period": "2026-01-01 00:00", "resolved": 20, "acceptance_rate": 0.75}]
    [pattern] = d["rejected_patterns"]
    assert pattern["count"] == 5
    assert [(f["rule"], f["line"]) for f in pattern["findings"]] == [("ujs/method-delete", 1)]


def test_bundle_keeps_good_lines_and_names_bad_ones(tmp_path):
    bundle = tmp_path / "events.jsonl"
    lines = [e.model_dump_json() for e in events(4)]
    lines.insert(2, '{"kind": "shown"}')
    lines.insert(3, "not json")
    bundle.write_text("\n".join(lines) + "\n")
    data = load_telemetry([bundle])
    assert len(data.events) == len(events(4))
    assert data.problems[0].startswith(f"{bundle}:3: not a telemetry event")
    assert data.problems[1].startswith(f"{bundle}:4: not JSON")


def test_without_code_there_are_no_patterns_or_areas(tmp_path):
    plain = [e.model_copy(update={"prefix": "", "suffix": "", "suggestion": ""}) for e in events(8)]
    d = compute_insights(load_telemetry([write_store(tmp_path / "t.sqlite3", plain)]))
    assert d["has_code"] is False and d["rejected_patterns"] == [] and d["by_area"] == {}
    assert d["outcomes"]["acceptance_rate"] == pytest.approx(0.75)


def test_empty_store_and_empty_input(tmp_path):
    d = compute_insights(load_telemetry([write_store(tmp_path / "t.sqlite3", [])]))
    assert d["events"] == 0 and d["problems"] == [] and d["outcomes"]["acceptance_rate"] is None
    assert d["latency_ms"]["p50"] is None and d["over_time"] == []
    assert compute_insights(load_telemetry([]))["events"] == 0


def test_older_store_is_read_through_a_copy_and_left_unchanged(tmp_path):
    old = tmp_path / "old.sqlite3"
    db = sqlite3.connect(old)
    db.execute("CREATE TABLE unrelated (x)")  # a schema-0 file: before the first migration
    db.commit()
    db.close()
    before = old.read_bytes()
    data = load_telemetry([old])
    assert data.events == [] and data.problems == []
    assert "older than" in data.notes[0] and "unchanged" in data.notes[0]
    assert old.read_bytes() == before


def test_newer_missing_and_corrupt_sources_are_problems(tmp_path):
    newer = write_store(tmp_path / "newer.sqlite3", events(2))
    db = sqlite3.connect(newer)
    db.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    db.commit()
    db.close()
    corrupt = tmp_path / "corrupt.sqlite3"
    corrupt.write_bytes(b"SQLite format 3\0" + b"\xff" * 200)
    data = load_telemetry([newer, tmp_path / "missing.sqlite3", corrupt])
    assert data.events == []
    assert "is newer than this hotwire-assist knows" in data.problems[0]
    assert "no such telemetry store or bundle" in data.problems[1]
    assert "not a readable telemetry store" in data.problems[2]
    assert corrupt.read_bytes().startswith(b"SQLite format 3\0")  # never moved aside or rewritten


@pytest.mark.parametrize(
    ("code", "area"),
    [
        ('<%= turbo_stream.append "items" %>', "turbo-streams"),
        ('<%= turbo_frame_tag "item" %>', "turbo-frames"),
        ('<div data-controller="toggle">', "stimulus"),
        ("<p>hello</p>", "other"),
    ],
)
def test_area_of(code, area):
    assert area_of(code) == area
