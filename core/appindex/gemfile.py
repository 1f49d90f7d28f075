"""Gem versions from `Gemfile.lock` (the ones rules and completions depend on)."""

from __future__ import annotations

import re

TRACKED_GEMS = ("rails", "turbo-rails", "stimulus-rails", "importmap-rails", "actionview")


def parse_gemfile_lock(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in re.finditer(r"^    ([\w.-]+) \(([^)]+)\)$", text, re.M):
        if m.group(1) in TRACKED_GEMS:
            out[m.group(1)] = m.group(2).split("-")[0]
    return out
