"""Issue 19's review and insights honesty: FIM pairs with their code, identical answers skipped, empty answers
lost, a store and its own export counted once, the configured survival ages."""

from __future__ import annotations

import re

from dashboard.factories import events, sample, write_store
from starlette.testclient import TestClient

from hotwire_assist.core.telemetry import write_bundle
from hotwire_assist.evaluation.dashboard.app import DashboardState, create_app
from hotwire_assist.evaluation.dashboard.insights import TelemetryData, compute_insights, load_telemetry
from hotwire_assist.evaluation.dashboard.pairs import load_pairing
from hotwire_assist.evaluation.dashboard.summary import summarize
from hotwire_assist.evaluation.dashboard.votes import VoteStore
from hotwire_assist.evaluation.results import SampleResult, append_result
from hotwire_assist.evaluation.tasks import read_fim_tasks


def _fim(task_id: str, model: str, completion: str) -> SampleResult:
    return SampleResult(
        task_id=task_id,
        task_kind="fim",
        category="turbo-frames/navigation",
        model=model,
        prompt="app/views/x.html.erb",
        completion=completion,
        scores={"syntax": 1.0},
        total=100.0,
        passed=True,
    )


def test_identical_answers_tie_empty_answers_lose_and_neither_is_shown(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    outcomes = {  # task → (A's code, B's code)
        "same": ("<p>x</p>\n", "<p>x</p>"),  # the same up to whitespace: a tie
        "b-empty": ("<p>y</p>", "  "),  # an empty answer loses
        "a-empty": ("", "<p>z</p>"),
        "both-empty": ("", ""),
        "real": ("<p>a</p>", "<p>b</p>"),
    }
    for task, (code_a, code_b) in outcomes.items():
        append_result(a, sample(task, "alpha", "stimulus/values", code_a))
        append_result(b, sample(task, "omega", "stimulus/values", code_b))
    pairing = load_pairing(a, b)
    assert [p.id for p in pairing.pairs] == ["real"]
    decided = {d.task_id: d.outcome for d in pairing.decided}
    assert decided == {"same": "tie", "b-empty": "A", "a-empty": "B", "both-empty": "tie"}
    s = summarize(pairing, [])
    assert (s["preference"]["a_wins"], s["preference"]["b_wins"], s["preference"]["ties"]) == (1, 1, 2)
    assert s["preference"]["votes"] == 0 and s["preference"]["decided_without_review"] == 4
    assert s["by_category"]["stimulus/values"]["a_wins"] == 1
    assert any("with identical answers" in p for p in pairing.problems)


def test_a_fim_pair_is_reviewed_with_the_code_around_its_hole(tmp_path):
    task = next(t for t in read_fim_tasks() if t.prefix.count("\n") >= 2 and t.suffix.strip())
    a, b = tmp_path / "a", tmp_path / "b"
    append_result(a, _fim(task.id, "alpha", "end"))
    append_result(b, _fim(task.id, "omega", task.middle))
    pairing = load_pairing(a, b)
    (pair,) = pairing.pairs
    assert pair.context is not None and pair.context.path == task.path
    assert task.prefix.endswith(pair.context.before) and task.suffix.startswith(pair.context.after)
    client = TestClient(
        create_app(DashboardState(pairing, VoteStore(tmp_path / "v.sqlite3"), TelemetryData())),
        base_url="http://127.0.0.1",
    )
    client.post("/reviewer", data={"reviewer": "ann"})
    page = client.get("/review").text
    assert 'id="context"' in page and "the answer goes here" in page
    words = re.findall(r"[A-Za-z_]{4,}", pair.context.before + pair.context.after)
    assert words and all(w in page for w in words)  # the code around the hole is on the page
    assert page.index(words[0]) < page.index('<mark class="hole">') < page.index('id="left"')


def test_a_store_and_its_own_export_count_each_event_once(tmp_path):
    evs = events(8)
    store = write_store(tmp_path / "t.sqlite3", evs)
    bundle = tmp_path / "export.jsonl"
    write_bundle(bundle, evs, "dev")
    data = load_telemetry([store, bundle])
    assert len(data.events) == len(evs)
    assert any(str(bundle) in n and f"{len(evs)} of its {len(evs)} events" in n for n in data.notes)
    assert compute_insights(data)["outcomes"]["shown"] == 8


def test_insights_use_the_configured_survival_ages(tmp_path):
    from hotwire_assist.core.config import user_config_path

    user_config_path().parent.mkdir(parents=True, exist_ok=True)
    user_config_path().write_text("[telemetry]\nsurvival_ages_s = [5.0, 60.0, 3600.0]\n")
    d = compute_insights(TelemetryData(events=events(4)))  # events measured at 30 s, 2 min and 10 min
    assert [p["age_s"] for p in d["survival"]] == [5.0, 30.0, 60.0, 120.0, 600.0, 3600.0]
    assert {p["age_s"]: p["n"] for p in d["survival"]}[3600.0] == 0
