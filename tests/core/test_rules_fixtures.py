"""Every rule has a failing and a passing example under tests/fixtures/rules/<rule id with / as __>/."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotwire_assist.core.rules import RULES, check_paths
from hotwire_assist.core.rules.findings import RANK

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
# Rules whose examples are generated in the tests (bytes a fixture file should not hold).
GENERATED = {"syntax/encoding", "syntax/skipped", "syntax/ruby-version"}


def _rule_dirs() -> list[str]:
    return sorted(p.name.replace("__", "/") for p in FIXTURES.iterdir() if p.is_dir())


def test_every_rule_has_fixtures():
    ours = {r for r in RULES if not r.startswith("herb/")}
    assert ours - GENERATED <= set(_rule_dirs())
    assert set(_rule_dirs()) <= ours


@pytest.mark.parametrize("rule", _rule_dirs())
def test_bad_example_is_flagged(rule: str):
    result = check_paths([FIXTURES / rule.replace("/", "__") / "bad"], external=False)
    hits = [f for f in result.findings if f.rule == rule]
    assert hits, f"{rule} not reported; got {[(f.rule, f.line) for f in result.findings]}"
    # the catalogued severity is the most a rule reports; the bad example reaches it
    assert any(f.severity == RULES[rule].severity for f in hits), [(f.line, f.severity) for f in hits]
    for f in hits:
        assert RANK[f.severity] <= RANK[RULES[rule].severity] and f.dimension == RULES[rule].dimension
        assert f.line >= 1 and f.column >= 1


@pytest.mark.parametrize("rule", _rule_dirs())
def test_good_example_is_clean(rule: str):
    result = check_paths([FIXTURES / rule.replace("/", "__") / "good"], external=False)
    assert [f for f in result.findings if f.rule == rule] == []
    assert [f for f in result.findings if f.severity == "error"] == []
