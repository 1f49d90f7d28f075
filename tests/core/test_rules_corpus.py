"""Idiomatic production Hotwire must produce zero error-level findings, with and without Ruby/Node."""

from __future__ import annotations

from pathlib import Path

import pytest

from hotwire_assist.core.rules import check_paths

ROOT = Path(__file__).resolve().parents[2]
CLEAN = ROOT / "tests" / "fixtures" / "clean_app"
TODO = ROOT / "examples" / "todo_app"


@pytest.mark.parametrize("app", [CLEAN, TODO], ids=["clean_app", "todo_app"])
@pytest.mark.parametrize("external", [False, True], ids=["tree-sitter", "external"])
def test_zero_errors(app: Path, external: bool):
    result = check_paths([app], external=external)
    errors = [f for f in result.findings if f.severity == "error"]
    assert errors == [], "\n".join(f"{f.file}:{f.line}:{f.column} {f.rule} {f.message}" for f in errors)
    assert "tree-sitter" in result.checkers


def test_clean_app_has_no_warnings_from_our_rules():
    """Our own rules stay quiet on the clean corpus (Herb's style infos may remain)."""
    result = check_paths([CLEAN], external=False)
    assert [(f.file, f.line, f.rule) for f in result.findings] == []


def test_clean_app_is_large_enough_to_mean_something():
    files = [p for p in CLEAN.rglob("*") if p.is_file()]
    assert len(files) >= 25
