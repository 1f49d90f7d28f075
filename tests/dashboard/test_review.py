"""Pairing runs, storing votes (never the same pair twice) and the un-blinded summary."""

from __future__ import annotations

import json

import pytest
from dashboard.factories import sample, write_runs

from hotwire_assist.evaluation.dashboard.pairs import RunError, load_pairing
from hotwire_assist.evaluation.dashboard.summary import REVIEWS_FILE, export_reviews, summarize
from hotwire_assist.evaluation.dashboard.votes import QUESTIONS, AlreadyReviewed, VoteStore
from hotwire_assist.evaluation.results import append_result


def _answers(accept_a: bool, accept_b: bool) -> dict:
    return {"A": {"accept": accept_a}, "B": {"accept": accept_b}}


def test_a_reviewer_never_gets_the_same_pair_twice(tmp_path):
    store = VoteStore(tmp_path / "votes.sqlite3")
    pairs = ["t1", "t2", "t3"]
    assert store.next_pair("cmp", "ann", pairs) == "t1"
    store.record("cmp", "t1", "ann", "A", _answers(True, False))
    assert store.next_pair("cmp", "ann", pairs) == "t2"
    with pytest.raises(AlreadyReviewed):
        store.record("cmp", "t1", "ann", "B", _answers(False, True))
    assert [v.preference for v in store.votes("cmp")] == ["A"]  # the first vote stands
    assert store.next_pair("cmp", "bob", pairs) == "t1"  # another reviewer still gets it
    store.close()

    reopened = VoteStore(tmp_path / "votes.sqlite3")  # survives a restart
    assert reopened.next_pair("cmp", "ann", pairs) == "t2"
    reopened.record("cmp", "t2", "ann", "tie", {})
    reopened.record("cmp", "t3", "ann", "B", {})
    assert reopened.next_pair("cmp", "ann", pairs) is None
    assert reopened.next_pair("other-comparison", "ann", pairs) == "t1"


def test_sides_are_random_per_pair_but_stable_for_a_reviewer(tmp_path):
    store = VoteStore(tmp_path / "v.sqlite3")
    sides = [store.left_run("cmp", f"t{i}", "ann") for i in range(40)]
    assert set(sides) == {"A", "B"}
    assert sides == [store.left_run("cmp", f"t{i}", "ann") for i in range(40)]
    vote = store.record("cmp", "t0", "ann", "A", {})
    assert vote.left_run == sides[0]


def test_bad_preference_is_refused(tmp_path):
    store = VoteStore(tmp_path / "v.sqlite3")
    with pytest.raises(ValueError, match="one of A, B, tie"):
        store.record("cmp", "t1", "ann", "left", {})


def test_pairing_reports_missing_generations(tmp_path):
    a, b = write_runs(tmp_path, n=3)
    append_result(a, sample("only-in-a", "alpha-ft", "stimulus/targets", "<div></div>"))
    append_result(b, sample("empty", "omega-generic", "stimulus/targets", "   "))
    append_result(a, sample("empty", "alpha-ft", "stimulus/targets", "<div></div>"))
    pairing = load_pairing(a, b)
    assert [p.id for p in pairing.pairs] == ["task-00", "task-01", "task-02"]
    assert (pairing.run_a.label, pairing.run_b.label) == ("alpha-ft", "omega-generic")
    assert any("run B" in p and "only-in-a" in p for p in pairing.problems)
    assert any("task empty: run B generated nothing" in p for p in pairing.problems)


def test_unreadable_runs_are_clear_errors(tmp_path):
    a, _ = write_runs(tmp_path, n=1)
    with pytest.raises(RunError, match="does not exist"):
        load_pairing(a, tmp_path / "nope")
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunError, match=r"holds no results\.jsonl"):
        load_pairing(a, tmp_path / "empty")
    with (a / "results.jsonl").open("a") as f:
        f.write("{not json\n")
    with pytest.raises(RunError, match=r"results\.jsonl:2:"):
        load_pairing(a, a)


def test_summary_unblinds_and_counts(tmp_path):
    a, b = write_runs(tmp_path, n=4)
    pairing = load_pairing(a, b)
    store = VoteStore(tmp_path / "v.sqlite3")
    c = pairing.comparison
    for pair_id, pref in [("task-00", "A"), ("task-01", "A"), ("task-02", "B"), ("task-03", "tie")]:
        store.record(c, pair_id, "ann", pref, _answers(True, pref == "B"))
    for pair_id, pref in [("task-00", "A"), ("task-01", "B")]:
        store.record(c, pair_id, "bob", pref, {"A": {"accept": False}, "B": {}})
    s = summarize(pairing, store.votes(c))
    assert s["models"] == {"A": "alpha-ft", "B": "omega-generic"}
    assert (s["pairs"], s["pairs_reviewed"], s["reviewers"]) == (4, 4, 2)
    p = s["preference"]
    assert (p["votes"], p["a_wins"], p["b_wins"], p["ties"]) == (6, 3, 2, 1)
    assert p["a_rate"] == pytest.approx(0.6)
    assert p["ci95"][0] < 0.6 < p["ci95"][1]
    assert s["meets_bar"] is False
    assert s["by_reviewer"]["bob"]["a_wins"] == 1
    assert s["by_category"]["turbo-frames/navigation"]["votes"] == 3  # task-00 (twice) and task-03
    assert s["agreement"]["shared_items"] == 2
    assert s["agreement"]["raw_agreement"] == pytest.approx(0.5)
    accept = s["questions"]["accept"]
    assert (accept["A"]["yes"], accept["A"]["answered"]) == (4, 6)
    assert (accept["B"]["yes"], accept["B"]["answered"]) == (1, 4)  # bob left B unanswered
    assert s["questions"]["scale"]["A"]["answered"] == 0
    assert set(s["questions"]) == set(QUESTIONS)

    data, path = export_reviews(pairing, store.votes(c))
    assert path == a / REVIEWS_FILE
    on_disk = json.loads(path.read_text())
    assert on_disk["votes"] == data["votes"]
    assert on_disk["summary"]["preference"]["a_wins"] == 3 and len(on_disk["votes"]) == 6
