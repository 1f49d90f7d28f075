"""Five-dimension scores for evaluation and dataset filtering.

Each of syntax, conventions, efficiency, security and accessibility is worth 20 points (100 in all).
A finding deducts by severity from its own dimension: error 10, warning 4, info 1; a dimension
never goes below 0. A dimension with no applicable check scores None (not 20): a JavaScript file says
nothing about security, and averaging a free 20 in would flatter it. `applicable_dimensions` gives
the dimensions our checkers cover for a file kind.
"""

from __future__ import annotations

from collections.abc import Iterable

from hotwire_assist.core.parsing import file_kind
from hotwire_assist.core.rules.findings import DIMENSIONS, Finding

POINTS = 20.0
DEDUCTION = {"error": 10.0, "warning": 4.0, "info": 1.0}
_BY_KIND = {
    "erb": set(DIMENSIONS),
    "ruby": {"syntax", "conventions", "efficiency", "security"},
    "js": {"conventions"},
}


def applicable_dimensions(paths: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for p in paths:
        out |= _BY_KIND.get(file_kind(p) or "", set())
    return out


def score_dimensions(findings: Iterable[Finding], applicable: set[str] | None = None) -> dict[str, float | None]:
    """Points per dimension (see module docstring); `applicable=None` treats every dimension as checked."""
    dims = set(DIMENSIONS) if applicable is None else set(applicable)
    scores: dict[str, float | None] = {d: (POINTS if d in dims else None) for d in DIMENSIONS}
    for f in findings:
        if scores.get(f.dimension) is not None:
            scores[f.dimension] = max(0.0, scores[f.dimension] - DEDUCTION.get(f.severity, 0.0))  # type: ignore[operator]
    return scores
