"""The promotion gate: a retrained model replaces the current one only if it is at least as good.

"At least as good within the margin", on the held-out task set (every evaluation task is held out:
the run refuses to start when a task duplicates training data, and run.json records that check):

- both runs answered the same task set (same digest) and passed the contamination check;
- mean total over paired tasks: candidate ≥ current − margin (points of 100);
- pass rate over paired (task, sample) outcomes: candidate ≥ current − margin (percentage points).

Dimensions are reported by `compare`, not gated: a dimension-level gate on 20-point scales would veto
on noise of one warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from hotwire_assist.evaluation.stats import compare_runs, load_run


@dataclass
class GateResult:
    passed: bool
    reasons: list[str]  # why it failed; empty when it passed
    margin: float
    comparison: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        c = self.comparison
        return {
            "passed": self.passed,
            "reasons": self.reasons,
            "margin": self.margin,
            "total": c.get("metrics", {}).get("total"),
            "pass": c.get("pass"),
            "paired_tasks": c.get("paired_tasks"),
        }


def _run_problems(name: str, run: dict) -> list[str]:
    if not run:
        return [f"the {name} run has no run.json (not made by `eval run`)"]
    problems = []
    if not run.get("contamination", {}).get("ok", False):
        problems.append(f"the {name} run did not pass the contamination check")
    if not run.get("complete", False):
        problems.append(f"the {name} run is incomplete (interrupted?); resume it with the same `eval run` command")
    return problems


def gate(candidate_dir: Path, current_dir: Path, margin: float = 2.0) -> GateResult:
    """Compare the candidate (B) against the current model (A); see the module docstring."""
    run_c, _ = load_run(candidate_dir)
    run_a, _ = load_run(current_dir)
    reasons = _run_problems("candidate", run_c) + _run_problems("current", run_a)
    digest_c, digest_a = run_c.get("tasks", {}).get("digest"), run_a.get("tasks", {}).get("digest")
    if run_c and run_a and digest_c != digest_a:
        reasons.append(f"the runs answered different task sets ({digest_a} vs {digest_c}); rerun on the same set")
    c = compare_runs(current_dir, candidate_dir)
    if c["paired_tasks"] == 0:
        reasons.append("the runs share no task")
    total = c["metrics"]["total"]
    if total["mean_diff"] is not None and total["mean_diff"] < -margin:
        reasons.append(
            f"mean total {total['mean_b']} is {-total['mean_diff']:.2f} points below the current {total['mean_a']}"
            f" (margin {margin})"
        )
    p = c["pass"]
    if p["rate_a"] is not None and p["rate_b"] is not None and (p["rate_b"] - p["rate_a"]) * 100 < -margin:
        reasons.append(
            f"pass rate {p['rate_b']:.1%} is {(p['rate_a'] - p['rate_b']) * 100:.1f} points below the current "
            f"{p['rate_a']:.1%} (margin {margin})"
        )
    return GateResult(not reasons, reasons, margin, c)
