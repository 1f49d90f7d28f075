"""Wilson intervals and kappa against published values."""

from __future__ import annotations

import pytest

from hotwire_assist.evaluation.dashboard.stats import agreement, cohen_kappa, wilson_interval


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        (7, 10, 0.3968, 0.8922),  # Wilson (1927) score interval, as tabulated by Newcombe (1998)
        (0, 10, 0.0, 0.2775),
        (10, 10, 0.7225, 1.0),
        (81, 263, 0.2553, 0.3662),  # Newcombe (1998), example (c)
    ],
)
def test_wilson_interval_matches_known_values(k, n, low, high):
    got = wilson_interval(k, n)
    assert got == pytest.approx((low, high), abs=1e-4)


def test_wilson_interval_is_none_without_trials_and_refuses_impossible_counts():
    assert wilson_interval(0, 0) is None
    with pytest.raises(ValueError, match="between 0 and trials"):
        wilson_interval(5, 3)


def test_cohen_kappa_textbook_example():
    # Wikipedia's worked example: 20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no → p_o 0.7, p_e 0.5, κ 0.4
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4)


def test_cohen_kappa_perfect_chance_and_undefined():
    assert cohen_kappa("ABAB", "ABAB") == pytest.approx(1.0)
    assert cohen_kappa("AABB", "ABAB") == pytest.approx(0.0)
    assert cohen_kappa("AAAA", "AAAA") is None  # one label throughout: chance agreement is 1
    assert cohen_kappa([], []) is None


def test_agreement_uses_only_shared_items_and_averages_pairwise_kappa():
    labels = {
        "ann": {"p1": "A", "p2": "B", "p3": "A", "p4": "tie"},
        "bob": {"p1": "A", "p2": "B", "p3": "B"},  # shares p1..p3 with ann: 2 of 3 agree
        "cid": {"p9": "A"},  # shares nothing with anyone
    }
    got = agreement(labels)
    assert got["shared_items"] == 3
    assert got["raw_agreement"] == pytest.approx(2 / 3)
    assert got["kappa"] == pytest.approx(cohen_kappa(["A", "B", "A"], ["A", "B", "B"]))
    assert [p["reviewers"] for p in got["pairs"]] == [["ann", "bob"]]


def test_agreement_without_overlap():
    got = agreement({"ann": {"p1": "A"}, "bob": {"p2": "B"}})
    assert got == {"shared_items": 0, "raw_agreement": None, "kappa": None, "pairs": []}
