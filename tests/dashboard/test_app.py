"""Routes in-process (starlette's test client): odd task ids, bad form input and runs with nothing to review."""

from __future__ import annotations

from dashboard.factories import sample
from starlette.testclient import TestClient

from hotwire_assist.evaluation.dashboard.app import DashboardState, create_app
from hotwire_assist.evaluation.dashboard.insights import TelemetryData
from hotwire_assist.evaluation.dashboard.pairs import load_pairing
from hotwire_assist.evaluation.dashboard.votes import VoteStore
from hotwire_assist.evaluation.results import append_result


def _client(tmp_path, task_ids: list[str], b_code: str = "<div></div>") -> tuple[TestClient, DashboardState]:
    a, b = tmp_path / "a", tmp_path / "b"
    for t in task_ids:
        append_result(a, sample(t, "alpha-ft", "stimulus/values", '<%= turbo_frame_tag "x" %>'))
        append_result(b, sample(t, "omega-generic", "stimulus/values", b_code))
    state = DashboardState(load_pairing(a, b), VoteStore(tmp_path / "v.sqlite3"), TelemetryData())
    client = TestClient(create_app(state), base_url="http://127.0.0.1")
    return client, state


def test_task_ids_with_slashes_and_spaces_round_trip(tmp_path):
    client, state = _client(tmp_path, ["turbo-frames/nav 1"])
    assert client.post("/reviewer", data={"reviewer": "ann"}, follow_redirects=False).status_code == 303
    page = client.get("/review").text
    assert 'action="/review/turbo-frames/nav%201"' in page
    r = client.post("/review/turbo-frames/nav%201", data={"preference": "tie"}, follow_redirects=False)
    assert r.status_code == 303
    assert [(v.pair_id, v.preference) for v in state.votes.votes(state.pairing.comparison)] == [
        ("turbo-frames/nav 1", "tie")
    ]


def test_bad_reviewer_and_missing_preference_are_messages(tmp_path):
    client, state = _client(tmp_path, ["t1"])
    r = client.post("/reviewer", data={"reviewer": "<script>"})
    assert r.status_code == 400 and "Use 1–64 letters" in r.text
    client.post("/reviewer", data={"reviewer": "ann"})
    r = client.post("/review/t1", data={"left_accept": "yes"})
    assert r.status_code == 400 and "Choose left, right or tie" in r.text
    assert client.post("/review/nope", data={"preference": "tie"}).status_code == 404
    assert state.votes.votes(state.pairing.comparison) == []


def test_runs_without_any_output_say_so(tmp_path):
    client, _ = _client(tmp_path, ["t1"], b_code="")
    client.post("/reviewer", data={"reviewer": "ann"})
    r = client.get("/review")
    assert "Nothing to review" in r.text and "run B generated nothing" in r.text
    assert client.get("/api/pairs").json() == {
        "pairs": [],
        "problems": ["task t1: run B generated nothing; counted as its loss, not shown for review"],
    }
