"""The labelling sample is seeded and stratified by rule (benchmarks/bench_precision.py)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_precision import app_commit, stratified_sample


def _pool() -> list[dict]:
    return (
        [{"rule": "a", "n": i} for i in range(10)] + [{"rule": "b", "n": i} for i in range(2)] + [{"rule": "c", "n": 0}]
    )


def test_round_robin_over_rules_then_deeper():
    got = stratified_sample(_pool(), 7, seed=3)
    assert [x["rule"] for x in got] == ["a", "b", "c", "a", "b", "a", "a"]
    assert len({(x["rule"], x["n"]) for x in got}) == 7


def test_same_seed_same_sample_and_all_when_asking_more():
    assert stratified_sample(_pool(), 5, seed=1) == stratified_sample(_pool(), 5, seed=1)
    assert len(stratified_sample(_pool(), 100, seed=1)) == len(_pool())


def test_commit_comes_from_the_commits_file(tmp_path: Path):
    (tmp_path / "shop").mkdir()
    (tmp_path / "COMMITS").write_text("shop owner/shop 0123abc\n")
    assert app_commit(tmp_path / "shop") == "0123abc"
    assert app_commit(tmp_path / "other") == "unknown"
