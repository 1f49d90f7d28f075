"""Small Rails apps written by a test, and the findings `check` reports on them (our rules only)."""

from __future__ import annotations

from pathlib import Path

from hotwire_assist.core.rules import check_paths

# a Stimulus controller file; `% body` fills in the class body
STIMULUS_CONTROLLER = (
    'import { Controller } from "@hotwired/stimulus"\nexport default class extends Controller {\n%s}\n'
)


def write_app(root: Path, files: dict[str, str]) -> Path:
    """A Gemfile and `files` (relative path -> text) under `root`."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "Gemfile").write_text('source "https://rubygems.org"\n')
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


def findings_of(root: Path, rule: str, loud: bool = False) -> list[tuple[str, int, str]]:
    """(file name, line, severity) of `rule`'s findings in app/, sorted; `loud`: warnings and errors only.
    External checkers (Herb, Ruby) are off: these are our rules."""
    result = check_paths([root / "app"], external=False)
    return sorted(
        (Path(f.file).name, f.line, f.severity)
        for f in result.findings
        if f.rule == rule and not (loud and f.severity == "info")
    )
