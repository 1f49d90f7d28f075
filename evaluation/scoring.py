"""Scoring generated code: five dimensions × 20 points, FIM match metrics and pass@k.

The mapping, in one place:

- Findings come from the Hotwire rules engine (`core.rules.check_texts`): every in-process (tree-sitter) rule, with
  an app index built from the task's context files plus the answer's files, so cross-file rules
  (unknown stream targets, Stimulus targets a controller does not declare) see the whole answer; and
  the real Ruby/ERB syntax check, batched through one Ruby worker when `ruby` is installed
  (tree-sitter parse errors otherwise). Herb is left out: one process per call costs ~1.4 s and its
  defaults report style at error level.
- Points: `core.rules.score_dimensions` (error −10, warning −4, info −1 from the finding's
  dimension, floor 0). Dimensions no checker covers for the answer's file kinds are None, never a
  free 20 (`applicable_dimensions`).
- A task expectation that fails is one error-level finding `expect/<name>` in the expectation's
  dimension (default conventions), which also makes that dimension applicable.
- An answer with no files scores 0 in every dimension (nothing usable was written).
- total = sum of applicable dimensions / (20 × their number) × 100.
- FIM: the completion is put in the hole and the whole file is scored, counting only findings the
  original file does not have (the model is not blamed for the file around the hole); exact match
  compares the completion and the original middle with trailing whitespace stripped; edit similarity
  is rapidfuzz's normalised Levenshtein similarity (0..1).
- passed: no error-level finding and every expectation (and dynamic check, when run) holds; FIM:
  exact match and no new error finding.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from hotwire_assist.core.rules import (
    DIMENSIONS,
    POINTS,
    Finding,
    applicable_dimensions,
    check_texts,
    score_dimensions,
)
from hotwire_assist.core.schemas import FileText
from hotwire_assist.evaluation.results import FindingRecord
from hotwire_assist.evaluation.tasks import Expectation, FimTask, glob_match


@dataclass
class FileScore:
    path: str
    scores: dict[str, float | None]
    total: float
    findings: list[Finding]


@dataclass
class Scored:
    """One answer's scores: the sample as a whole plus each file on its own."""

    scores: dict[str, float | None]
    total: float
    findings: list[Finding]
    expectations: dict[str, bool] = field(default_factory=dict)
    files: list[FileScore] = field(default_factory=list)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def passed(self) -> bool:
        return self.errors == 0 and all(self.expectations.values())

    def records(self) -> list[FindingRecord]:
        return [to_record(f) for f in self.findings]


@dataclass
class Sample:
    """What one scoring call needs: the answer's files, the task's context files and expectations."""

    files: Sequence[FileText]
    context: Sequence[FileText] = ()
    expectations: Sequence[Expectation] = ()


def to_record(f: Finding) -> FindingRecord:
    return FindingRecord(
        path=f.file, rule=f.rule, severity=f.severity, dimension=f.dimension, line=f.line, message=f.message
    )


def total_of(scores: dict[str, float | None]) -> float:
    """0–100 over the applicable dimensions (0 when none applies)."""
    got = [v for v in scores.values() if v is not None]
    return round(100.0 * sum(got) / (POINTS * len(got)), 2) if got else 0.0


def _expectation_finding(e: Expectation, files: Sequence[FileText]) -> Finding:
    what = [
        f"{k} {v!r}"
        for k, v in (("contains", e.contains), ("regex", e.regex), ("absent", e.absent), ("not_regex", e.not_regex))
        if v is not None
    ]
    detail = f" with {', '.join(what)}" if what else ""
    match = next((f.path for f in files if glob_match(e.file_glob, f.path)), e.file_glob)
    return Finding(
        match, 1, 1, 1, 1, f"expect/{e.name}", e.dimension, "error", f"expected a file {e.file_glob}{detail}"
    )


def score_batch(samples: Sequence[Sample], ruby: bool = True) -> list[Scored]:
    """Score many answers; all Ruby/ERB of the batch goes through the Ruby worker at once."""
    groups = [([(f.path, f.content) for f in s.files], [(c.path, c.content) for c in s.context]) for s in samples]
    return [_score_one(s, per_file) for s, per_file in zip(samples, check_texts(groups, ruby=ruby), strict=True)]


def _score_one(sample: Sample, found_per_file: list[list[Finding]]) -> Scored:
    if not sample.files:
        zero: dict[str, float | None] = dict.fromkeys(DIMENSIONS, 0.0)
        empty = Finding("(answer)", 1, 1, 1, 1, "eval/no-files", "syntax", "error", "the answer holds no files")
        checks = {e.name: False for e in sample.expectations}
        return Scored(zero, 0.0, [empty], checks)
    per_file: list[FileScore] = []
    for f, found in zip(sample.files, found_per_file, strict=True):
        scores = score_dimensions(found, applicable_dimensions([f.path]))
        per_file.append(FileScore(f.path, scores, total_of(scores), found))
    findings = [x for fs in per_file for x in fs.findings]
    checks: dict[str, bool] = {}
    applicable = applicable_dimensions([f.path for f in sample.files])
    for e in sample.expectations:
        checks[e.name] = e.check(sample.files)
        if not checks[e.name]:
            findings.append(_expectation_finding(e, sample.files))
            applicable.add(e.dimension)
    scores = score_dimensions(findings, applicable)
    return Scored(scores, total_of(scores), findings, checks, per_file)


def score_files(
    files: Sequence[FileText],
    expectations: Sequence[Expectation] = (),
    context: Sequence[FileText] = (),
    ruby: bool = True,
) -> Scored:
    return score_batch([Sample(files, context, expectations)], ruby)[0]


# --- FIM -----------------------------------------------------------------------------------------------


def _norm(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).rstrip()


def exact_match(completion: str, reference: str) -> bool:
    return _norm(completion) == _norm(reference)


def edit_similarity(completion: str, reference: str) -> float:
    """1 − normalised Levenshtein distance (rapidfuzz), on the texts with trailing whitespace stripped."""
    from rapidfuzz.distance import Levenshtein

    return float(Levenshtein.normalized_similarity(_norm(completion), _norm(reference)))


@dataclass
class FimScore:
    scored: Scored
    exact_match: bool
    edit_similarity: float

    @property
    def passed(self) -> bool:
        return self.exact_match and self.scored.errors == 0


def new_findings(found: list[Finding], reference: list[Finding]) -> list[Finding]:
    """Findings beyond those the reference has (counted per rule): what the completion introduced."""
    budget = Counter(f.rule for f in reference)
    out = []
    for f in found:
        if budget[f.rule] > 0:
            budget[f.rule] -= 1
        else:
            out.append(f)
    return out


def score_fim_batch(items: Sequence[tuple[FimTask, str]], ruby: bool = True) -> list[FimScore]:
    """Score (task, completion) pairs; each filled file is judged against its original (module doc)."""
    samples = []
    for task, completion in items:
        samples.append(Sample([FileText(path=task.path, content=task.prefix + completion + task.suffix)]))
        samples.append(Sample([FileText(path=task.path, content=task.original)]))
    scored = score_batch(samples, ruby)
    out = []
    for n, (task, completion) in enumerate(items):
        filled, original = scored[2 * n], scored[2 * n + 1]
        extra = new_findings(filled.findings, original.findings)
        scores = score_dimensions(extra, applicable_dimensions([task.path]))
        result = Scored(scores, total_of(scores), extra)
        out.append(FimScore(result, exact_match(completion, task.middle), edit_similarity(completion, task.middle)))
    return out


# --- pass@k --------------------------------------------------------------------------------------------


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 − C(n−c, k)/C(n, k), as a running product (no huge binomials)."""
    if not (0 <= c <= n) or not (1 <= k <= n):
        raise ValueError(f"pass@k needs 0 ≤ c ≤ n and 1 ≤ k ≤ n (got n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))
