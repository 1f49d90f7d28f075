"""Pairing two evaluation runs for blind review: one pair per task both runs generated for.

A task that only one run has is not shown to reviewers; it becomes a problem line the page and the CLI
print, so nothing is dropped silently. Tasks a person need not judge are decided without review and
counted in the summary: an empty answer loses to any answer (both empty: a tie), and two answers that
are the same up to whitespace tie. A FIM pair carries the code around its hole, so reviewers judge a
completion where it goes, not a bare `end` against an `end`.
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
class FimContext:
    """Where a FIM answer goes: the file's path and the code just before and after the hole."""

    path: str
    before: str
    after: str


@dataclass
class Pair:
    id: str  # stable across restarts: the task id
    task_id: str
    category: str
    a: SampleResult
    b: SampleResult
    context: FimContext | None = None  # FIM tasks: the code around the hole


@dataclass
class Decided:
    """A task decided without a reviewer: `outcome` is the winning run ("A"/"B") or "tie"."""

    task_id: str
    category: str
    outcome: str
    reason: str


@dataclass
class Pairing:
    run_a: Run
    run_b: Run
    pairs: list[Pair]
    problems: list[str] = field(default_factory=list)
    decided: list[Decided] = field(default_factory=list)  # counted in the summary, never shown

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


def answer_text(sample: SampleResult) -> str:
    """What a sample answered, whitespace-normalised: two answers equal here are the same to a reviewer."""
    text = sample.completion if sample.task_kind == "fim" else "\n".join(f"{f.path}\n{f.content}" for f in sample.files)
    return " ".join(text.split())


CONTEXT_LINES = 12  # lines of code shown above and below a FIM hole


def _fim_contexts(task_ids: set[str]) -> dict[str, FimContext]:
    """The code around each FIM task's hole, from the evaluation's task set (tasks not found: none)."""
    from hotwire_assist.evaluation.tasks import TaskError, read_fim_tasks

    try:
        tasks = {t.id: t for t in read_fim_tasks() if t.id in task_ids}
    except (TaskError, OSError):
        return {}
    return {
        tid: FimContext(
            t.path,
            "".join(t.prefix.splitlines(keepends=True)[-CONTEXT_LINES:]),
            "".join(t.suffix.splitlines(keepends=True)[:CONTEXT_LINES]),
        )
        for tid, t in tasks.items()
    }


def pair_runs(run_a: Run, run_b: Run) -> Pairing:
    pairs, problems, decided = [], [], []
    only_a = sorted(set(run_a.samples) - set(run_b.samples))
    only_b = sorted(set(run_b.samples) - set(run_a.samples))
    for name, run, missing in (("A", run_a, only_b), ("B", run_b, only_a)):
        if missing:
            problems.append(f"run {name} ({run.path}) has no generation for {len(missing)} task(s): {_few(missing)}")
    shared = sorted(set(run_a.samples) & set(run_b.samples))
    fim = {t for t in shared if run_a.samples[t].task_kind == "fim"}
    contexts = _fim_contexts(fim) if fim else {}
    identical = []
    for task_id in shared:
        a, b = run_a.samples[task_id], run_b.samples[task_id]
        empty = [name for name, s in (("A", a), ("B", b)) if not has_output(s)]
        if len(empty) == 2:
            decided.append(Decided(task_id, a.category, "tie", "both answers empty"))
            problems.append(f"task {task_id}: runs A and B generated nothing; a tie, not shown for review")
        elif empty:
            winner = "B" if empty == ["A"] else "A"
            decided.append(Decided(task_id, a.category, winner, f"run {empty[0]} answered nothing"))
            problems.append(
                f"task {task_id}: run {empty[0]} generated nothing; counted as its loss, not shown for review"
            )
        elif answer_text(a) == answer_text(b):
            decided.append(Decided(task_id, a.category, "tie", "identical answers"))
            identical.append(task_id)
        else:
            pairs.append(Pair(task_id, task_id, a.category, a, b, contexts.get(task_id)))
    if identical:
        problems.append(
            f"{len(identical)} task(s) with identical answers: ties, not shown for review: {_few(identical)}"
        )
    return Pairing(run_a, run_b, pairs, problems, decided)


def load_pairing(run_a: Path, run_b: Path) -> Pairing:
    return pair_runs(load_run(run_a), load_run(run_b))


def _few(items: list[str], n: int = 5) -> str:
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")
