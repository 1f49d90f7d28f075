"""Statistics over runs: summaries, pass@k, and paired A/B comparison.

A is the current model, B the candidate, everywhere (compare, report, gate); differences are B − A.
A comparison pairs the two runs task by task (the mean over a task's samples), so every task is its
own control, and every figure beside a paired difference is a paired mean: A's and B's means over
exactly the tasks that difference is taken over, never each run's mean over its own tasks. For each
score (total, the five dimensions, and on FIM tasks edit similarity and exact match) it gives the mean
difference, a bootstrap 95% CI of it and the Wilcoxon signed-rank p-value; for pass/fail it pairs
(task, sample) outcomes and gives the exact McNemar p-value (a binomial test on the discordant pairs).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from hotwire_assist.core.rules.findings import DIMENSIONS
from hotwire_assist.evaluation.results import RUN_FILE, SampleResult, read_results
from hotwire_assist.evaluation.scoring import pass_at_k

METRICS: tuple[str, ...] = ("total", *DIMENSIONS)
FIM_METRICS: tuple[str, ...] = ("edit_similarity", "exact_match")  # FIM tasks only, 0..1
COMPARED: tuple[str, ...] = (*METRICS, *FIM_METRICS)
ALPHA = 0.05
BOOTSTRAP_RESAMPLES = 2000


def _mean(xs: Iterable[float | None]) -> float | None:
    got = [x for x in xs if x is not None]
    return float(np.mean(got)) if got else None


def _round(x: float | None, nd: int = 3) -> float | None:
    return None if x is None else round(x, nd)


def by_task(results: Iterable[SampleResult]) -> dict[str, list[SampleResult]]:
    out: dict[str, list[SampleResult]] = defaultdict(list)
    for r in results:
        out[r.task_id].append(r)
    return dict(out)


def task_means(results: Iterable[SampleResult]) -> dict[str, dict[str, float | None]]:
    """Per task: the mean of each metric over its samples (None where no sample had the dimension)."""
    out = {}
    for task, rs in by_task(results).items():
        row: dict[str, float | None] = {"total": _mean(r.total for r in rs)}
        for d in DIMENSIONS:
            row[d] = _mean(r.scores.get(d) for r in rs)
        row["passed"] = _mean(float(r.passed) for r in rs)
        row["edit_similarity"] = _mean(r.edit_similarity for r in rs)
        row["exact_match"] = _mean(None if r.exact_match is None else float(r.exact_match) for r in rs)
        out[task] = row
    return out


def pass_at(results: Iterable[SampleResult], ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """Mean unbiased pass@k over tasks, for every k no larger than the fewest samples of a task."""
    groups = by_task(results)
    if not groups:
        return {}
    n_min = min(len(rs) for rs in groups.values())
    out = {}
    for k in ks:
        if k <= n_min:
            vals = [pass_at_k(len(rs), sum(r.passed for r in rs), k) for rs in groups.values()]
            out[f"pass@{k}"] = round(float(np.mean(vals)), 4)
    return out


def run_summary(results: Sequence[SampleResult]) -> dict:
    """The headline figures of one run (run.json `totals`, report, gate)."""
    means = task_means(results)
    fim = [r for r in results if r.task_kind == "fim"]
    return {
        "samples": len(results),
        "tasks": len(means),
        "mean": {m: _round(_mean(row[m] for row in means.values())) for m in METRICS},
        "pass_rate": _round(_mean(float(r.passed) for r in results)),
        **pass_at(results),
        "fim_exact_match": _round(_mean(float(bool(r.exact_match)) for r in fim)),
        "fim_edit_similarity": _round(_mean(r.edit_similarity for r in fim)),
        "by_kind": {
            kind: {"samples": len(rs), "mean_total": _round(_mean(r.total for r in rs))}
            for kind in ("generation", "fim")
            if (rs := [r for r in results if r.task_kind == kind])
        },
    }


def load_run(run_dir: Path) -> tuple[dict, list[SampleResult]]:
    """(run.json, results); run.json is {} when absent. Raises ResultsError for a bad results file."""
    results = list(read_results(run_dir))
    run_file = run_dir / RUN_FILE
    try:
        run = json.loads(run_file.read_text(encoding="utf-8")) if run_file.is_file() else {}
    except (OSError, ValueError) as e:
        raise ValueError(f"{run_file}: not valid JSON: {e}") from None
    return run, results


def bootstrap_ci(diffs: Sequence[float], confidence: float = 0.95, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap CI of the mean difference (scipy); a constant sample has a zero-width CI."""
    from scipy.stats import bootstrap

    arr = np.asarray(diffs, dtype=float)
    if len(arr) < 2 or np.all(arr == arr[0]):
        v = float(arr[0]) if len(arr) else 0.0
        return v, v
    res = bootstrap(
        (arr,),
        np.mean,
        confidence_level=confidence,
        n_resamples=BOOTSTRAP_RESAMPLES,
        method="percentile",
        rng=np.random.default_rng(seed),
    )
    return float(res.confidence_interval.low), float(res.confidence_interval.high)


def wilcoxon_p(diffs: Sequence[float]) -> float:
    """Two-sided Wilcoxon signed-rank p; 1.0 when every difference is zero (no evidence either way)."""
    from scipy.stats import wilcoxon

    arr = np.asarray(diffs, dtype=float)
    if len(arr) == 0 or np.all(arr == 0):
        return 1.0
    # With ties or zeros scipy falls back to a permutation test (seconds per call); the normal
    # approximation is the textbook answer there and the exact distribution is used otherwise.
    ties = len(np.unique(np.abs(arr))) < len(arr) or np.any(arr == 0)
    return float(wilcoxon(arr, zero_method="wilcox", method="asymptotic" if ties else "auto").pvalue)


def mcnemar_p(a_only: int, b_only: int) -> float:
    """Exact McNemar: among pairs where exactly one run passed, is either side more likely than 1/2?"""
    from scipy.stats import binomtest

    n = a_only + b_only
    return 1.0 if n == 0 else float(binomtest(min(a_only, b_only), n, 0.5).pvalue)


def _verdict(mean_diff: float, p: float) -> str:
    if p < ALPHA:
        return "B better" if mean_diff > 0 else "A better"
    return "no significant difference"


def compare_results(a: Sequence[SampleResult], b: Sequence[SampleResult]) -> dict:
    """Paired comparison of two runs' results (B − A); see the module docstring."""
    ma, mb = task_means(a), task_means(b)
    paired = sorted(set(ma) & set(mb))
    metrics = {}
    for m in COMPARED:
        both = [t for t in paired if ma[t][m] is not None and mb[t][m] is not None]
        diffs = [mb[t][m] - ma[t][m] for t in both]  # type: ignore[operator]
        if not diffs:
            metrics[m] = {
                "n": 0, "mean_a": None, "mean_b": None, "mean_diff": None, "sd_diff": None, "ci95": None,
                "p": None, "test": "wilcoxon", "verdict": "no paired data",
            }  # fmt: skip
            continue
        low, high = bootstrap_ci(diffs)
        mean_diff = float(np.mean(diffs))
        p = wilcoxon_p(diffs)
        metrics[m] = {
            "n": len(diffs),
            "mean_a": _round(_mean(ma[t][m] for t in both)),  # paired: the same tasks as the difference
            "mean_b": _round(_mean(mb[t][m] for t in both)),
            "mean_diff": round(mean_diff, 3),
            "sd_diff": round(float(np.std(diffs, ddof=1)), 3) if len(diffs) > 1 else 0.0,
            "ci95": [round(low, 3), round(high, 3)],
            "p": round(p, 5),
            "test": "wilcoxon",
            "verdict": _verdict(mean_diff, p),
        }
    pa = {(r.task_id, r.sample): r.passed for r in a}
    pb = {(r.task_id, r.sample): r.passed for r in b}
    pairs = sorted(set(pa) & set(pb))
    a_only = sum(1 for k in pairs if pa[k] and not pb[k])
    b_only = sum(1 for k in pairs if pb[k] and not pa[k])
    p = mcnemar_p(a_only, b_only)
    pass_rate_a = _mean(float(pa[k]) for k in pairs)
    pass_rate_b = _mean(float(pb[k]) for k in pairs)
    diff = (pass_rate_b or 0.0) - (pass_rate_a or 0.0)
    return {
        "paired_tasks": len(paired),
        "only_in_a": sorted(set(ma) - set(mb)),
        "only_in_b": sorted(set(mb) - set(ma)),
        "metrics": metrics,
        "pass": {
            "pairs": len(pairs),
            "rate_a": _round(pass_rate_a),
            "rate_b": _round(pass_rate_b),
            "a_only": a_only,
            "b_only": b_only,
            "p": round(p, 5),
            "test": "mcnemar-exact",
            "verdict": _verdict(diff, p),
        },
        "per_task": [
            {
                "task_id": t,
                "a": _round(ma[t]["total"]),
                "b": _round(mb[t]["total"]),
                "diff": _round(mb[t]["total"] - ma[t]["total"]),
            }  # type: ignore[operator]
            for t in paired
        ],
    }


def compare_runs(a_dir: Path, b_dir: Path) -> dict:
    """Paired comparison of two run folders: A the current model, B the candidate."""
    run_a, res_a = load_run(a_dir)
    run_b, res_b = load_run(b_dir)
    out = compare_results(res_a, res_b)
    for side, role, run, d in (("a", "current", run_a, a_dir), ("b", "candidate", run_b, b_dir)):
        out[side] = {
            "role": role,
            "dir": str(d),
            "label": run.get("label", d.name),
            "digest": run.get("tasks", {}).get("digest"),
            "scorer_version": run.get("scorer_version"),
            "model_sha256": (run.get("model_identity") or {}).get("sha256"),
            "limit": run.get("settings", {}).get("limit"),
        }
    return out
