"""Run the hardening tests and print what they found: messages fuzzed, crashes, unanswered requests,
peak RSS under load, stale answers, and each fault scenario with its outcome.

    python benchmarks/hardening_report.py            # about three minutes on two busy cores
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def load(stats: Path, name: str) -> dict:
    try:
        return json.loads((stats / name).read_text())
    except (OSError, ValueError):
        return {}


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        stats = Path(tmp)
        env = dict(os.environ, HOTWIRE_HARDENING_STATS=str(stats))
        run = subprocess.run(
            [sys.executable, "-m", "pytest", "tests/hardening", "-q", "-p", "no:cacheprovider"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        )
        fuzz, load_run = load(stats, "fuzz.json"), load(stats, "load.json")
        faults, config = load(stats, "faults.json"), load(stats, "config.json")
        protocol = load(stats, "protocol.json")
    summary = run.stdout.strip().splitlines()[-1] if run.stdout.strip() else run.stderr[-500:]
    print(f"pytest tests/hardening: {summary}")
    print(
        f"messages fuzzed:        {fuzz.get('messages', '?')} ({fuzz.get('requests', '?')} requests) against one server"
    )
    print(f"crashes:                {0 if run.returncode == 0 else 'see failures above'}")
    print(f"unanswered requests:    {fuzz.get('unanswered', '?')} (fuzz), {load_run.get('unanswered', '?')} (load)")
    print(f"duplicate answers:      {fuzz.get('duplicates', '?')}")
    answered, sent = (sum(v[i] for v in protocol.values()) for i in (0, 1))
    cases = ", ".join(f"{k} {a}/{n}" for k, (a, n) in protocol.items())
    print(f"spec cases answered:    {answered}/{sent} ({cases})")
    print(
        f"load run:               {load_run.get('keystrokes', '?')} keystrokes in {load_run.get('seconds', '?')} s,"
        f" peak RSS {load_run.get('peak_rss_kb', 0) / 1024:.1f} MiB,"
        f" threads {load_run.get('threads', '?')}, tasks {load_run.get('tasks', '?')}"
    )
    print(f"stale answers:          {load_run.get('stale', '?')}")
    print("fault scenarios:")
    for name, outcome in {**faults, **config}.items():
        print(f"  {name:38} {outcome}")
    if run.returncode:
        print(run.stdout[-4000:])
    return run.returncode


if __name__ == "__main__":
    raise SystemExit(main())
