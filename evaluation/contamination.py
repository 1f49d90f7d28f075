"""Contamination check: no evaluation task may be an exact or near duplicate of training data.

Training data is read as files: Example JSONL through the core schema (`read_examples`) and source
trees (the starter corpus) as plain code files. "Near" is core.dedupe's one definition (MinHash
Jaccard ≥ 0.8 over word shingles); "exact" is equality after collapsing whitespace, which also
catches texts too short for shingles to say much.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hotwire_assist.core.dedupe import DEFAULT_THRESHOLD, NearDuplicateIndex
from hotwire_assist.core.hotwire import CODE_SUFFIXES
from hotwire_assist.core.schemas import Example, read_examples, read_pairs
from hotwire_assist.evaluation.tasks import FimTask, GenerationTask
from hotwire_assist.training.corpus import record_held_out

_TRAINING = Path(__file__).resolve().parent.parent / "training"  # the installed training data folder


def default_train_data() -> list[str]:
    """The curated set and the starter corpus, wherever the package is installed."""
    return [str(_TRAINING / "curated" / "*.jsonl"), str(_TRAINING / "starter_corpus")]


@dataclass(frozen=True)
class Duplicate:
    task_id: str
    part: str  # which text of the task matched: request, context:<path>, reference:<path>, file
    source: str  # training file (and example id)
    kind: str  # exact | near

    def describe(self) -> str:
        return f"task {self.task_id} ({self.part}) is an {self.kind} duplicate of {self.source}"


@dataclass
class ContaminationReport:
    checked_tasks: int
    training_texts: int
    sources: list[str]
    duplicates: list[Duplicate]

    @property
    def ok(self) -> bool:
        return not self.duplicates

    def to_json(self) -> dict:
        return {
            "ok": self.ok,
            "checked_tasks": self.checked_tasks,
            "training_texts": self.training_texts,
            "sources": self.sources,
            "duplicates": [d.__dict__ for d in self.duplicates],
        }


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _digest(text: str) -> str:
    return hashlib.sha256(_norm(text).encode()).hexdigest()


def example_texts(ex: Example) -> Iterator[tuple[str, str]]:
    """(part, text) of one training example: its request and each file it shows."""
    if ex.kind == "fim":
        yield "fim", ex.prefix + ex.middle + ex.suffix
    else:
        yield "input", ex.input
        for f in ex.output:
            yield f"output:{f.path}", f.content
    for f in ex.context:
        yield f"context:{f.path}", f.content


def training_texts(patterns: Sequence[str]) -> Iterator[tuple[str, str, str]]:
    """(source file or folder, label, text) for every training text the patterns name: JSONL files or
    source folders. A bad JSONL line raises DatasetError with file:line."""
    for pattern in patterns:
        paths = [Path(p) for p in sorted(glob.glob(pattern, recursive=True))] or [Path(pattern)]
        for path in paths:
            if path.is_dir():
                for f in sorted(path.rglob("*")):
                    if f.is_file() and f.name.endswith(CODE_SUFFIXES):
                        yield str(path), str(f), f.read_text(encoding="utf-8", errors="replace")
            elif path.is_file() and path.suffix == ".jsonl" and _holds_pairs(path):
                for pair in read_pairs(path):
                    if not record_held_out(pair):
                        yield str(path), f"{path}#{pair.id}:chosen", pair.prefix + pair.chosen + pair.suffix
            elif path.is_file() and path.suffix == ".jsonl":
                for ex in read_examples(path):
                    if record_held_out(ex):  # never trained on: the held-out tasks come from here
                        continue
                    for part, text in example_texts(ex):
                        yield str(path), f"{path}#{ex.id}:{part}", text


def _holds_pairs(path: Path) -> bool:
    """Whether a JSONL file holds preference pairs (its first record has `rejected`) rather than examples."""
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                try:
                    return "rejected" in json.loads(line)
                except ValueError:
                    return False  # read_examples reports the bad line with file:line
    return False


def task_texts(task: GenerationTask | FimTask) -> Iterator[tuple[str, str]]:
    if isinstance(task, FimTask):
        yield "file", task.original
        return
    yield "request", task.request
    for f in task.context:
        yield f"context:{f.path}", f.content
    for f in task.reference:
        yield f"reference:{f.path}", f.content


def check_contamination(
    tasks: Iterable[GenerationTask | FimTask],
    train_data: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> ContaminationReport:
    """Every task text against every training text; missing patterns are simply not sources."""
    patterns = list(train_data) if train_data is not None else default_train_data()
    index = NearDuplicateIndex(threshold)
    exact: dict[str, str] = {}
    count = 0
    sources: set[str] = set()
    for source, label, text in training_texts(patterns):
        if not text.strip():
            continue
        count += 1
        sources.add(source)
        exact.setdefault(_digest(text), label)
        key = f"{count}:{label}"
        index.add(key, text)
    tasks = list(tasks)
    dups = []
    for task in tasks:
        for part, text in task_texts(task):
            if not text.strip():
                continue
            if (hit := exact.get(_digest(text))) is not None:
                dups.append(Duplicate(task.id, part, hit, "exact"))
            elif (near := index.find(text)) is not None:
                dups.append(Duplicate(task.id, part, near.split(":", 1)[1], "near"))
    return ContaminationReport(len(tasks), count, sorted(sources), dups)
