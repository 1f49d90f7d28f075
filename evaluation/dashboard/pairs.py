"""Pairing two evaluation runs for blind review: one pair per task both runs generated for.

A task that only one run has, or whose sample holds no output, is not shown to reviewers; each becomes a
problem line the page and the CLI print, so nothing is dropped silently.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from hotwire_assist.evaluation.results import RUN_FILE, ResultsError, SampleResult, read_results


class RunError(ValueError):
    """A run folder cannot be read: missing, no results, or a bad line (the message says which)."""


@dataclass
class Run:
    path: Path
    label: str  # the model label the run recorded (un-blinded only in the summary)
    samples: dict[str, SampleResult]  # task_id → the lowest-index sample


@dataclass
class Pair:
    id: str  # stable across restarts: the task id
    task_id: str
    category: str
    a: SampleResult
    b: SampleResult


@dataclass
class Pairing:
    run_a: Run
    run_b: Run
    pairs: list[Pair]
    problems: list[str] = field(default_factory=list)

    @property
    def comparison(self) -> str:
        """What votes are keyed by, so reviewing another pair of runs never reuses these votes."""
        key = f"{self.run_a.path.resolve()}\0{self.run_b.path.resolve()}"
        return hashlib.sha256(key.encode()).hexdigest()[:16]

    def by_id(self, pair_id: str) -> Pair | None:
        return next((p for p in self.pairs if p.id == pair_id), None)


def has_output(sample: SampleResult) -> bool:
    return any(f.content.strip() for f in sample.files) if sample.task_kind == "generation" else bool(sample.completion)


def load_run(path: Path) -> Run:
    if not path.is_dir():
        raise RunError(f"run folder {path} does not exist")
    try:
        results = list(read_results(path))
    except (ResultsError, OSError) as e:
        raise RunError(str(e)) from None
    if not results:
        raise RunError(f"{path} holds no results: the run wrote no samples")
    samples: dict[str, SampleResult] = {}
    for r in sorted(results, key=lambda r: r.sample):
        samples.setdefault(r.task_id, r)
    return Run(path, _label(path, results[0].model), samples)


def _label(path: Path, fallback: str) -> str:
    """The run's model label from run.json when it has one, else the label its results carry."""
    try:
        info = json.loads((path / RUN_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return fallback or path.name
    label = info.get("model") if isinstance(info, dict) else None
    if isinstance(label, dict):
        label = label.get("label") or label.get("name")
    return str(label) if label else (fallback or path.name)


def pair_runs(run_a: Run, run_b: Run) -> Pairing:
    pairs, problems = [], []
    only_a = sorted(set(run_a.samples) - set(run_b.samples))
    only_b = sorted(set(run_b.samples) - set(run_a.samples))
    for name, run, missing in (("A", run_a, only_b), ("B", run_b, only_a)):
        if missing:
            problems.append(f"run {name} ({run.path}) has no generation for {len(missing)} task(s): {_few(missing)}")
    for task_id in sorted(set(run_a.samples) & set(run_b.samples)):
        a, b = run_a.samples[task_id], run_b.samples[task_id]
        empty = [name for name, s in (("A", a), ("B", b)) if not has_output(s)]
        if empty:
            problems.append(f"task {task_id}: run {' and '.join(empty)} generated nothing; not shown for review")
            continue
        pairs.append(Pair(task_id, task_id, a.category, a, b))
    return Pairing(run_a, run_b, pairs, problems)


def load_pairing(run_a: Path, run_b: Path) -> Pairing:
    return pair_runs(load_run(run_a), load_run(run_b))


def _few(items: list[str], n: int = 5) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")
