"""Gem versions from `Gemfile.lock` (the ones rules and completions depend on)."""

from __future__ import annotations

import re
from pathlib import Path

TRACKED_GEMS = ("rails", "turbo-rails", "stimulus-rails", "importmap-rails", "actionview", "bootstrap_form",
                "turbo_power")  # fmt: skip


def parse_gemfile_lock(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in re.finditer(r"^    ([\w.-]+) \(([^)]+)\)$", text, re.M):
        if m.group(1) in TRACKED_GEMS:
            out[m.group(1)] = m.group(2).split("-")[0]
    return out


RUBY_DECLARATIONS = (
    ("Gemfile", r"^\s*ruby\s+[\"'](\d+\.\d+(?:\.\d+)?)"),
    ("Gemfile.lock", r"RUBY VERSION\s+ruby (\d+\.\d+(?:\.\d+)?)"),
)


def app_ruby_version(root: Path) -> str | None:
    """The Ruby an app declares: `.ruby-version`, else Gemfile `ruby "x.y"`, else Gemfile.lock's RUBY VERSION."""
    try:
        rv = (root / ".ruby-version").read_text().strip()
        m = re.search(r"(\d+\.\d+(?:\.\d+)?)", rv)
        if m:
            return m.group(1)
    except OSError:
        pass
    for name, pattern in RUBY_DECLARATIONS:
        try:
            m = re.search(pattern, (root / name).read_text(), re.M)
        except OSError:
            continue
        if m:
            return m.group(1)
    return None
