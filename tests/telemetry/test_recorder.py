"""Recorder flows with a fake clock: nothing here waits for real time."""

from __future__ import annotations

import pytest

from hotwire_assist.core.config import Config
from hotwire_assist.core.telemetry import REDACTED, TelemetryStore, default_store_path
from hotwire_assist.server.completion import Suggestion
from hotwire_assist.server.telemetry import TelemetryRecorder, survival

PREFIX = "<div>\n  <%= turbo_stream."
SUGGESTION = 'replace "todo_1", partial: "todos/todo"'
SUFFIX = " %>\n</div>\n"
PATH = "/app/app/views/todos/create.turbo_stream.erb"
URI = "file://" + PATH


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def rec(tmp_path):
    clock = Clock()
    store_path = tmp_path / "t.db"
    config = Config.model_validate({"telemetry": {"enabled": True, "level": "code"}})
    recorder = TelemetryRecorder(config, lambda: TelemetryStore(store_path), clock=clock)
    recorder.set_engine("llama_cpp", "hotwire-tiny.gguf", "hotwire-tiny")
    recorder.clock_ = clock

    def events():
        recorder.flush()
        with TelemetryStore(store_path) as store:
            return store.events()

    recorder.events = events
    yield recorder
    recorder.close()


def show(rec, sid="s1", prefix=PREFIX, suffix=SUFFIX, text=SUGGESTION, path=PATH):
    rec.shown(Suggestion(sid, text, latency_ms=42.0), "file://" + path, path, prefix, suffix)


def test_shown_accepted_then_survival_at_30s_2min_10min(rec):
    show(rec)
    rec.clock_.now += 1
    rec.on_change(URI, PREFIX + SUGGESTION + SUFFIX)  # the editor inserts it, then runs the command
    rec.accepted("s1")
    for age in (29, 30, 119, 120, 599, 600, 5000):
        rec.clock_.now = 1001 + age
        rec.tick()
    events = rec.events()
    assert [e.kind for e in events] == ["shown", "accepted", "survival", "survival", "survival"]
    assert [e.age_s for e in events[2:]] == [30, 120, 600]
    assert all(e.survival == 1.0 for e in events[2:])
    shown = events[0]
    assert (shown.backend, shown.model, shown.prompt_format) == ("llama_cpp", "hotwire-tiny.gguf", "hotwire-tiny")
    assert shown.latency_ms == 42.0 and shown.language == "erb" and shown.file_type == "erb"
    assert shown.prefix == PREFIX and shown.suggestion == SUGGESTION and shown.suffix == SUFFIX
    assert events[1].accepted_chars == len(SUGGESTION)


def test_deleting_half_the_accepted_text_gives_about_half(rec):
    show(rec)
    rec.accepted("s1")
    half = SUGGESTION[: len(SUGGESTION) // 2]
    rec.clock_.now += 10
    rec.on_change(URI, "# a line added above\n" + PREFIX + half + SUFFIX + "more below\n")
    rec.clock_.now += 30
    rec.tick()
    (s,) = [e for e in rec.events() if e.kind == "survival"]
    assert s.survival == pytest.approx(0.5, abs=0.05)


def test_survival_measure():
    assert survival(PREFIX, SUFFIX, SUGGESTION, PREFIX + SUGGESTION + SUFFIX) == 1.0
    assert survival(PREFIX, SUFFIX, SUGGESTION, PREFIX + SUFFIX) == 0.0
    edited = PREFIX + SUGGESTION.replace("todo_1", "todo_2") + SUFFIX
    assert 0.9 < survival(PREFIX, SUFFIX, SUGGESTION, edited) < 1.0
    # the surrounding text changed too: a window around the old place still finds it
    moved = "x" * 10 + SUGGESTION + "y" * 10
    assert survival(PREFIX, SUFFIX, SUGGESTION, moved) == 1.0


def test_dismissed_is_a_rejection(rec):
    show(rec)
    rec.dismissed("s1")
    rec.dismissed("s1")  # twice, or for an unknown id: nothing more
    rec.dismissed("nope")
    assert [e.kind for e in rec.events()] == ["shown", "rejected"]


def test_a_newer_suggestion_supersedes_an_unaccepted_one_as_ignored(rec):
    show(rec, "s1")
    show(rec, "s2")
    rec.accepted("s1")  # too late: it was already resolved
    assert [(e.kind, e.suggestion_id) for e in rec.events()] == [("shown", "s1"), ("ignored", "s1"), ("shown", "s2")]


def test_partial_acceptance_is_detected_from_the_following_edits(rec):
    show(rec)
    rec.on_change(URI, PREFIX + "replace " + SUFFIX)  # accept-word
    rec.on_change(URI, PREFIX + 'replace "todo_1", ' + SUFFIX)  # and again
    rec.closed(URI)
    events = rec.events()
    assert [e.kind for e in events] == ["shown", "partial"]
    assert events[1].accepted_chars == len('replace "todo_1", ')


def test_a_suggestion_left_alone_is_ignored_after_a_while(rec):
    show(rec)
    rec.on_change(URI, PREFIX + "something else" + SUFFIX)
    rec.clock_.now += 121
    rec.tick()
    assert [e.kind for e in rec.events()] == ["shown", "ignored"]


def test_events_level_records_no_code(tmp_path):
    config = Config.model_validate({"telemetry": {"enabled": True, "level": "events"}})
    rec = TelemetryRecorder(config, lambda: TelemetryStore(tmp_path / "t.db"))
    show(rec)
    rec.close()
    (e,) = TelemetryStore(tmp_path / "t.db").events()
    assert (e.prefix, e.suffix, e.suggestion) == ("", "", "") and e.kind == "shown"


def test_code_is_redacted_and_never_taken_from_excluded_files(rec):
    show(rec, "s1", prefix='Stripe.api_key = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"\n')
    show(rec, "s2", path="/app/config/master.key", prefix="abc", suffix="def")
    events = rec.events()
    assert "sk_live_4eC39HqLyjWDarjtT1zdp7dc" not in events[0].prefix and REDACTED in events[0].prefix
    excluded = [e for e in events if e.suggestion_id == "s2"]
    assert excluded and all((e.prefix, e.suffix, e.suggestion) == ("", "", "") for e in excluded)


def test_disabled_writes_nothing_not_even_the_file(isolated_user):
    rec = TelemetryRecorder(Config())  # the default: off, default store path
    show(rec)
    rec.on_change(URI, PREFIX + SUGGESTION + SUFFIX)
    rec.accepted("s1")
    rec.dismissed("s1")
    rec.superseded(URI)
    rec.tick()
    rec.flush()
    rec.close()
    assert not default_store_path().exists()
    assert not (isolated_user / "data").exists()
