"""The Hotwire rules engine: one set of checks behind editor diagnostics, evaluation scoring and
dataset filtering. See `findings.RULES` for the catalogue and `scoring` for the five dimensions."""

from hotwire_assist.core.rules.engine import check_paths, check_source, check_texts
from hotwire_assist.core.rules.findings import DIMENSIONS, RULES, CheckResult, Edit, Finding, Fix, Rule
from hotwire_assist.core.rules.scoring import POINTS, applicable_dimensions, score_dimensions

__all__ = [
    "DIMENSIONS",
    "POINTS",
    "RULES",
    "CheckResult",
    "Edit",
    "Finding",
    "Fix",
    "Rule",
    "applicable_dimensions",
    "check_paths",
    "check_source",
    "check_texts",
    "score_dimensions",
]
