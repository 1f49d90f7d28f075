"""The promotion gate: a retrained model replaces the current one only if it is at least as good, on a
run that can show it, of the very model that will be promoted.

A is the current model, B the candidate (as in `compare` and `report`). The gate refuses when:

- a run is not a whole, clean `eval run`: no run.json, the contamination check failed, interrupted,
  or limited (`--limit`: a smoke run, not the suite; runs made before the limit was recorded count as
  limited);
- the candidate run does not record its model's sha256 (`model promote` checks the file against it);
- the runs answered different task sets (digest) or were scored by different scorer versions (the
  rules engine and the scorer, `scoring.scorer_version`): their scores are not comparable;
- the runs share fewer than `MIN_PAIRED_TASKS` (50) tasks. Why 50: one task can move a mean total by up
  to 100/n points, so below 50 tasks a single task alone can exceed the default 2-point margin;
- the paired 95% interval of the total difference is wider than ±`MAX_HALF_WIDTH` (10) points: the
  per-task differences are too spread for this many tasks to tell a regression from noise (the
  message says how many tasks this spread needs: n ≈ (1.96·sd / 10)²);
- the candidate is junk: a 0 % pass rate, or a mean total at or below the known-junk level
  (`scoring.FAILED_CAP`, 30), whatever the current model scores;
- on the paired tasks the candidate falls more than `margin` below the current model in mean total
  (points of 100), pass rate (percentage points) or FIM edit similarity (points of 100).

Dimensions are reported by `compare`, not gated: a dimension-level gate on 20-point scales would veto
on noise of one warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from hotwire_assist.evaluation.scoring import FAILED_CAP
from hotwire_assist.evaluation.stats import compare_runs, load_run, run_summary

MIN_PAIRED_TASKS = 50
MAX_HALF_WIDTH = 10.0  # points of 100: the widest paired 95% interval of the total difference accepted
Z95 = 1.96


@dataclass
class GateResult:
    passed: bool
    reasons: list[str]  # why it failed; empty when it passed
    margin: float
    comparison: dict = field(default_factory=dict)
    candidate_sha256: str | None = None  # the model file the candidate run evaluated
    candidate: dict = field(default_factory=dict)  # the candidate run's headline figures

    def to_json(self) -> dict:
        c = self.comparison
        metrics = c.get("metrics", {})
        return {
            "passed": self.passed,
            "reasons": self.reasons,
            "margin": self.margin,
            "candidate_sha256": self.candidate_sha256,
            "total": metrics.get("total"),
            "edit_similarity": metrics.get("edit_similarity"),
            "exact_match": metrics.get("exact_match"),
            "pass": c.get("pass"),
            "paired_tasks": c.get("paired_tasks"),
            "min_paired_tasks": MIN_PAIRED_TASKS,
            "max_half_width": MAX_HALF_WIDTH,
        }


def run_limit(run: dict) -> int | str | None:
    """The run's --limit: an int, None (the whole suite), or "unknown" (a run.json that predates it)."""
    settings = run.get("settings", {})
    return settings.get("limit", "unknown")


def _run_problems(name: str, run: dict) -> list[str]:
    if not run:
        return [f"the {name} run has no run.json (not made by `eval run`)"]
    problems = []
    if not run.get("contamination", {}).get("ok", False):
        problems.append(f"the {name} run did not pass the contamination check")
    if not run.get("complete", False):
        problems.append(f"the {name} run is incomplete (interrupted?); resume it with the same `eval run` command")
    limit = run_limit(run)
    if limit == "unknown":
        problems.append(f"the {name} run does not record whether it was limited (made by an older version); rerun it")
    elif limit is not None:
        problems.append(f"the {name} run is limited (--limit {limit}): a smoke run; run the whole suite")
    if not run.get("scorer_version"):
        problems.append(f"the {name} run does not record its scorer version (made by an older version); rerun it")
    return problems


def gate(candidate_dir: Path, current_dir: Path, margin: float = 2.0) -> GateResult:
    """Compare the candidate (B) against the current model (A); see the module docstring."""
    run_c, res_c = load_run(candidate_dir)
    run_a, _ = load_run(current_dir)
    reasons = _run_problems("candidate", run_c) + _run_problems("current", run_a)
    sha = (run_c.get("model_identity") or {}).get("sha256")
    if run_c and not sha:
        reasons.append("the candidate run does not record its model's sha256, so no file can be bound to it")
    digest_c, digest_a = run_c.get("tasks", {}).get("digest"), run_a.get("tasks", {}).get("digest")
    if run_c and run_a and digest_c != digest_a:
        reasons.append(f"the runs answered different task sets ({digest_a} vs {digest_c}); rerun on the same set")
    ver_c, ver_a = run_c.get("scorer_version"), run_a.get("scorer_version")
    if ver_c and ver_a and ver_c != ver_a:
        reasons.append(f"the runs were scored by different scorer versions ({ver_a} vs {ver_c}); rescore both")
    c = compare_runs(current_dir, candidate_dir)
    if c["paired_tasks"] < MIN_PAIRED_TASKS:
        reasons.append(
            f"the runs share {c['paired_tasks']} tasks; the gate needs at least {MIN_PAIRED_TASKS} (one task can move"
            f" the mean total by 100/n points: below {MIN_PAIRED_TASKS} one task alone exceeds a 2-point margin)"
        )
    total = c["metrics"]["total"]
    if total["ci95"] is not None and c["paired_tasks"] >= MIN_PAIRED_TASKS:
        half = (total["ci95"][1] - total["ci95"][0]) / 2
        if half > MAX_HALF_WIDTH:
            need = math.ceil((Z95 * total["sd_diff"] / MAX_HALF_WIDTH) ** 2)
            reasons.append(
                f"the paired 95% interval of the total difference is ±{half:.1f} points over {total['n']} tasks, wider"
                f" than ±{MAX_HALF_WIDTH:g}: too few tasks for this spread (sd {total['sd_diff']:.1f}; about {need}"
                " tasks needed)"
            )
    summary = run_summary(res_c)
    if summary["pass_rate"] is not None and summary["pass_rate"] == 0:
        reasons.append("the candidate passes no task (0 % pass rate): junk is never promoted")
    mean_total = summary["mean"]["total"]
    if mean_total is not None and mean_total <= FAILED_CAP:
        reasons.append(f"the candidate's mean total {mean_total:.1f} is at the known-junk level (≤ {FAILED_CAP:g})")
    if total["mean_diff"] is not None and total["mean_diff"] < -margin:
        reasons.append(
            f"mean total {total['mean_b']} is {-total['mean_diff']:.2f} points below the current {total['mean_a']}"
            f" on the same {total['n']} tasks (margin {margin})"
        )
    es = c["metrics"]["edit_similarity"]
    if es["mean_diff"] is not None and es["mean_diff"] * 100 < -margin:
        reasons.append(
            f"FIM edit similarity {es['mean_b']:.3f} is {-es['mean_diff'] * 100:.1f} points below the current"
            f" {es['mean_a']:.3f} on the same {es['n']} holes (margin {margin})"
        )
    p = c["pass"]
    if p["rate_a"] is not None and p["rate_b"] is not None and (p["rate_b"] - p["rate_a"]) * 100 < -margin:
        reasons.append(
            f"pass rate {p['rate_b']:.1%} is {(p['rate_a'] - p['rate_b']) * 100:.1f} points below the current "
            f"{p['rate_a']:.1%} (margin {margin})"
        )
    return GateResult(not reasons, reasons, margin, c, sha, summary)
