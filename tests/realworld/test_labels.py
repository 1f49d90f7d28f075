"""Findings labelled false positive on production apps must not come back at warning or error.

`labels.jsonl` holds findings of `check` on public Hotwire apps, each labelled TP/FP by a reviewer with a
one-line reason (no app code): a seeded sample drawn before the rules were tuned, and a held-out sample from
an app the rules were not tuned on. The apps are not in the repository: point $HOTWIRE_ASSIST_REALWORLD_APPS
at a folder holding them by name (fizzy, once-campfire, maybe, railsdevs.com, rubygems.org, rubyevents,
human-essentials, homeward-tails, manyfold, hcb, casa, theodinproject, stocks-in-the-future, writebook,
skillrx), each at the labelled commit (a COMMITS file beside them, `name owner/repo sha` per line, is checked
when present). A finding "comes back" when the same app, file, line and rule is reported at warning or error; an
info lead on that spot is allowed. A label with `"open": true` is a false positive of the newest held-out app,
measured and not fixed yet: it is left out here (fixing it removes the flag).
CI reproduces every FP pattern in small apps instead (test_fp_patterns.py).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path

import pytest

LABELS = Path(__file__).with_name("labels.jsonl")
APPS = os.environ.get("HOTWIRE_ASSIST_REALWORLD_APPS")


def _labels() -> list[dict]:
    return [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()]


def test_labels_are_well_formed():
    rows = _labels()
    assert len(rows) >= 100
    keys = {"app", "commit", "file", "line", "rule", "severity", "verdict", "reason", "sample"}
    for r in rows:
        assert keys <= set(r), r
        assert r["verdict"] in ("TP", "FP") and r["reason"].strip()
    assert {r["sample"].split(" ")[0] for r in rows} >= {"tuning", "held-out"}


def _commits(root: Path) -> dict[str, str]:
    f = root / "COMMITS"
    if not f.is_file():
        return {}
    return {p[0]: p[2] for p in (line.split() for line in f.read_text().splitlines()) if len(p) >= 3}


@pytest.mark.skipif(not APPS, reason="set HOTWIRE_ASSIST_REALWORLD_APPS to a folder holding the labelled apps")
def test_false_positives_do_not_come_back():
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    from bench_precision import check_app, relative

    root = Path(APPS or ".")
    commits = _commits(root)
    by_app: dict[str, list[dict]] = defaultdict(list)
    for r in _labels():
        if r["verdict"] == "FP" and not r.get("open"):
            by_app[r["app"]].append(r)
    back: list[str] = []
    checked = 0
    for app, rows in sorted(by_app.items()):
        folder = root / app
        if not folder.is_dir() or (commits and commits.get(app) not in (None, rows[0]["commit"])):
            continue  # absent, or at another commit than the one labelled
        findings, _, _ = check_app(folder)
        loud = {(relative(folder, f.file), f.line, f.rule) for f in findings if f.severity != "info"}
        checked += 1
        back += [
            f"{app} {r['file']}:{r['line']} {r['rule']} ({r['reason']})"
            for r in rows
            if (r["file"], r["line"], r["rule"]) in loud
        ]
    if not checked:
        pytest.skip(f"none of the labelled apps is in {root} at its labelled commit")
    assert back == [], "false positives came back:\n" + "\n".join(back)
