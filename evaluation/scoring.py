"""Scoring generated code: expectations first, then five rule dimensions × 20 points; FIM by exact
match and edit similarity; pass@k.

The mapping, in one place:

- Findings come from the Hotwire rules engine (`core/rules`): every in-process (tree-sitter) rule, with
  an app index built from the task's context files plus the answer's files, so cross-file rules
  (unknown stream targets, Stimulus targets a controller does not declare) see the whole answer; and
  the real Ruby/ERB syntax check, batched through one Ruby worker when `ruby` is installed
  (tree-sitter parse errors otherwise). Herb is left out: one process per call costs ~1.4 s and its
  defaults report style at error level.
- Rule points: `core.rules.score_dimensions` (error −10, warning −4, info −1 from the finding's
  dimension, floor 0). Dimensions no checker covers for the answer's file kinds are None, never a
  free 20 (`applicable_dimensions`). rule total = sum of applicable dimensions / (20 × their number) × 100.
- Generation tasks are graded by their expectations first (`expectation_factor`): an expectation is a
  *must-have* (a file, `contains`, `regex`) and/or a *must-not* (`absent`, `not_regex`).
  * every expectation holds → the rule total, unchanged (the dimensions grade only these answers);
  * some fail → at most `FAILED_CAP` (30): 30 × (share of expectations met) × rule total / 100;
  * no must-have holds at all (empty, random, `end`, a comment, another language, another task's
    code: none of the task's required constructs) → 0, with an `eval/off-task` finding.
  The five dimension scores are scaled by the same factor, so they never call junk "20/20 secure".
  A failed expectation is also recorded as an error-level finding `expect/<name>` (reports show it).
- An answer with no files scores 0 in every dimension (nothing usable was written).
- FIM: the completion is first cut to the hole's syntactic unit (`truncate_fim`, as SAFIM does): the
  rest of the line for a one-line hole; for a hole of n whole lines, n lines, extended while they leave
  more constructs (brackets, Ruby/ERB blocks, HTML elements) open than the hole's own text, and never
  into a line that repeats the suffix. Then exact match (trailing whitespace stripped) and edit similarity (rapidfuzz's
  normalised Levenshtein similarity, 0..1). The truncated completion is put in the hole and the whole
  file is scored, counting only findings the original file does not have. FIM total = 100 × edit
  similarity, at most 30 when the completion adds an error-level finding; dimensions = rule points ×
  edit similarity (an empty or unrelated completion is worth nothing in any dimension).
- passed: no error-level finding and every expectation (and dynamic check, when run) holds; FIM:
  exact match and no new error finding.

`scorer_version()` fingerprints the rules engine and this module: runs scored by different versions
are not compared by the gate.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

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
    rule_scores = score_dimensions(findings, applicable_dimensions([f.path for f in sample.files]))
    checks = {e.name: e.check(sample.files) for e in sample.expectations}
    factor, off_task = expectation_factor(sample.expectations, sample.files, checks)
    findings += [_expectation_finding(e, sample.files) for e in sample.expectations if not checks[e.name]]
    if off_task:
        findings.append(
            Finding(
                sample.files[0].path, 1, 1, 1, 1, "eval/off-task", "conventions", "error",
                "the answer has none of the task's required constructs",
            )
        )  # fmt: skip
    scores = _scaled(rule_scores, factor)
    return Scored(scores, round(total_of(rule_scores) * factor, 2), findings, checks, per_file)


FAILED_CAP = 30.0  # the most a generation answer that misses an expectation can score


def _must_have(e: Expectation) -> Expectation | None:
    """The positive part of an expectation (a file exists / contains / matches), or None if it only forbids."""
    if (e.absent is not None or e.not_regex is not None) and e.contains is None and e.regex is None:
        return None
    return e.model_copy(update={"absent": None, "not_regex": None})


def expectation_factor(
    expectations: Sequence[Expectation], files: Sequence[FileText], checks: dict[str, bool] | None = None
) -> tuple[float, bool]:
    """(factor on the rule total, off-task?): 1 when every expectation holds; 0 when none of the
    must-haves holds (off-task); else FAILED_CAP/100 × the share of expectations met."""
    if not expectations:
        return 1.0, False
    checks = checks if checks is not None else {e.name: e.check(files) for e in expectations}
    musts = [m for e in expectations if (m := _must_have(e)) is not None]
    if musts and not any(m.check(files) for m in musts):
        return 0.0, True
    met = sum(checks.values())
    if met == len(expectations):
        return 1.0, False
    return FAILED_CAP / 100.0 * met / len(expectations), False


def _scaled(scores: dict[str, float | None], factor: float) -> dict[str, float | None]:
    return {d: None if v is None else round(v * factor, 3) for d, v in scores.items()}


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
    completion: str = ""  # the completion as scored: cut to the hole's unit (truncate_fim)

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


_OPEN_BLOCK = re.compile(
    r"^\s*(?:<%-?=?\s*)?(?:def|class|module|if|unless|case|begin|while|until|for)\b(?!.*\bend\b)"
    r"|\bdo(?:\s*\|[^|]*\|)?\s*(?:-?%>)?\s*$"
)
_END = re.compile(r"^\s*(?:<%-?\s*)?end\b")
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^<>]*?(/?)>")
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


def _depth(lines: Sequence[str]) -> int:
    """How many constructs the lines open and do not close: brackets, Ruby/ERB blocks, HTML elements."""
    depth = 0
    for line in lines:
        code = re.sub(r"(['\"])(?:\\.|(?!\1).)*\1", "", line)  # strings cannot open anything
        depth += sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")
        depth += bool(_OPEN_BLOCK.search(line)) - bool(_END.search(line))
        for close, name, selfclose in _TAG.findall(line):
            if name.lower() not in _VOID and not selfclose:
                depth += -1 if close else 1
    return depth


def truncate_fim(completion: str, middle: str, suffix: str) -> str:
    """Cut a completion to the hole's syntactic unit (SAFIM-style syntax-aware truncation).

    One-line hole: the first line, minus a tail that repeats the rest of the line (`%>`, `)`). Hole of n
    whole lines: n lines, extended while they leave more constructs open than the hole's own text does
    (the model's block is completed to its end), but never into a line that repeats the suffix's first
    line (the model running on into the code after the hole)."""
    line_rest = suffix.split("\n", 1)[0].strip()
    if "\n" not in middle.strip("\n"):
        text = completion.lstrip("\n").split("\n", 1)[0].rstrip()
        if line_rest and text.endswith(line_rest):
            text = text[: -len(line_rest)].rstrip()
        return text
    unit = middle.strip("\n").split("\n")
    lines = completion.strip("\n").split("\n")
    next_line = next((x.strip() for x in suffix.split("\n") if x.strip()), None)
    k, target = min(len(unit), len(lines)), _depth(unit)
    while k < len(lines) and _depth(lines[:k]) > target and lines[k].strip() != next_line:
        k += 1
    return "\n".join(lines[:k]).rstrip()


def score_fim_batch(items: Sequence[tuple[FimTask, str]], ruby: bool = True) -> list[FimScore]:
    """Score (task, completion) pairs; each filled file is judged against its original (module doc)."""
    samples = []
    cut = [truncate_fim(completion, task.middle, task.suffix) for task, completion in items]
    for (task, _), completion in zip(items, cut, strict=True):
        samples.append(Sample([FileText(path=task.path, content=task.prefix + completion + task.suffix)]))
        samples.append(Sample([FileText(path=task.path, content=task.original)]))
    scored = score_batch(samples, ruby)
    out = []
    for n, ((task, _), completion) in enumerate(zip(items, cut, strict=True)):
        filled, original = scored[2 * n], scored[2 * n + 1]
        extra = new_findings(filled.findings, original.findings)
        similarity = edit_similarity(completion, task.middle)
        scores = _scaled(score_dimensions(extra, applicable_dimensions([task.path])), similarity)
        total = 100.0 * similarity
        if any(f.severity == "error" for f in extra):
            total = min(total, FAILED_CAP)
        result = Scored(scores, round(total, 2), extra)
        out.append(FimScore(result, exact_match(completion, task.middle), similarity, completion))
    return out


# --- the scorer's identity -----------------------------------------------------------------------------


def scorer_version() -> str:
    """A hash of the rules engine's source (rules, parsing, app index) and this module's: a change in
    either can move every score, so the gate compares only runs scored by the same version."""
    import hotwire_assist.core.rules as rules

    h = hashlib.sha256()
    core = Path(rules.__file__).parent.parent
    files = [
        f
        for part in ("rules", "appindex", "parsing.py", "appindex.py")
        for f in sorted((core / part).rglob("*") if (core / part).is_dir() else [core / part])
        if f.is_file() and "__pycache__" not in f.parts
    ]
    for f in [*files, Path(__file__)]:
        h.update(f.relative_to(core.parent).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


# --- pass@k --------------------------------------------------------------------------------------------


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k (Chen et al. 2021): 1 − C(n−c, k)/C(n, k), as a running product (no huge binomials)."""
    if not (0 <= c <= n) or not (1 <= k <= n):
        raise ValueError(f"pass@k needs 0 ≤ c ≤ n and 1 ≤ k ≤ n (got n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return float(1.0 - np.prod(1.0 - k / np.arange(n - c + 1, n + 1)))
