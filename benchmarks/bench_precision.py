"""Diagnostics on production apps: findings per rule and severity, and a seeded sample for labelling.

Runs the same code path as `hotwire-assist check APP/app` (tree-sitter rules, the Ruby/Prism syntax check
and herb-lint) over each app and prints, per app, the time taken and the findings per rule and severity.
`--sample N --seed S` then draws N findings from all the apps, stratified by rule (round robin over the
rules, each rule's findings shuffled with the seed), and prints each with a few lines of context for a
human to label TP/FP; `--jsonl FILE` writes that sample as label records (verdict and reason empty).

    python benchmarks/bench_precision.py /work/apps/fizzy /work/apps/once-campfire --sample 100 --seed 1
    python benchmarks/bench_precision.py /work/apps/railsdevs.com --json counts.json

An app's commit is read from a `COMMITS` file beside the apps (`name owner/repo sha` per line) when present.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import defaultdict
from pathlib import Path

from hotwire_assist.core.rules import Finding, check_paths

SEVERITIES = ("error", "warning", "info")


def app_commit(app: Path) -> str:
    """The commit recorded for an app in a COMMITS file beside it, else `unknown`."""
    commits = app.parent / "COMMITS"
    if commits.is_file():
        for line in commits.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 3 and parts[0] == app.name:
                return parts[2]
    return "unknown"


def check_app(app: Path, external: bool = True) -> tuple[list[Finding], float, int]:
    """Findings of `check APP/app` (or APP when it has no app/), the seconds it took, files checked."""
    target = app / "app" if (app / "app").is_dir() else app
    t0 = time.perf_counter()
    result = check_paths([target], external=external)
    seconds = time.perf_counter() - t0
    files = len({f.file for f in result.findings})
    return result.findings, seconds, files


def relative(app: Path, file: str) -> str:
    try:
        return str(Path(file).resolve().relative_to(app.resolve()))
    except ValueError:
        return file


def counts(findings: list[Finding]) -> dict[str, dict[str, int]]:
    """{rule: {severity: n}} plus a `total` row."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SEVERITIES, 0))
    for f in findings:
        out[f.rule][f.severity] += 1
        out["total"][f.severity] += 1
    return {k: dict(v) for k, v in sorted(out.items())}


def print_counts(name: str, commit: str, table: dict[str, dict[str, int]], seconds: float) -> None:
    total = table.get("total", dict.fromkeys(SEVERITIES, 0))
    print(f"\n== {name} @ {commit[:12]}: {total['error']} errors, {total['warning']} warnings, {total['info']} info "
          f"in {seconds:.1f} s")  # fmt: skip
    print(f"  {'rule':45} {'error':>6} {'warn':>6} {'info':>6}")
    for rule, row in table.items():
        if rule != "total":
            print(f"  {rule:45} {row['error']:>6} {row['warning']:>6} {row['info']:>6}")


def stratified_sample(items: list[dict], n: int, seed: int) -> list[dict]:
    """n items, round robin over rules (sorted), each rule's items shuffled with the seed."""
    rng = random.Random(seed)
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for it in items:
        by_rule[it["rule"]].append(it)
    for rule in sorted(by_rule):
        rng.shuffle(by_rule[rule])
    out: list[dict] = []
    depth = 0
    while len(out) < n and any(len(v) > depth for v in by_rule.values()):
        for rule in sorted(by_rule):
            if len(by_rule[rule]) > depth and len(out) < n:
                out.append(by_rule[rule][depth])
        depth += 1
    return out


def context(path: Path, line: int, around: int = 2) -> str:
    try:
        lines = path.read_text(errors="replace").split("\n")
    except OSError:
        return ""
    lo, hi = max(1, line - around), min(len(lines), line + around)
    return "\n".join(f"    {'>' if i == line else ' '}{i:5} {lines[i - 1][:160]}" for i in range(lo, hi + 1))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("apps", nargs="+", type=Path, help="app root folders (each holding app/)")
    ap.add_argument("--sample", type=int, default=0, help="draw this many findings, stratified by rule")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--severity", default="error,warning,info", help="severities to sample from (comma list)")
    ap.add_argument("--jsonl", type=Path, help="write the sample as label records (verdict/reason empty)")
    ap.add_argument("--json", type=Path, help="write the per-app counts and timings as JSON")
    ap.add_argument("--no-external", action="store_true", help="tree-sitter only (no Ruby/Prism, no herb-lint)")
    args = ap.parse_args(argv)

    pool: list[dict] = []
    report: dict[str, dict] = {}
    for app in args.apps:
        if not app.is_dir():
            print(f"{app}: not a folder", file=sys.stderr)
            return 2
        commit = app_commit(app)
        findings, seconds, _ = check_app(app, external=not args.no_external)
        table = counts(findings)
        print_counts(app.name, commit, table, seconds)
        report[app.name] = {"commit": commit, "seconds": round(seconds, 2), "counts": table}
        for f in findings:
            pool.append(
                {
                    "app": app.name,
                    "commit": commit,
                    "file": relative(app, f.file),
                    "line": f.line,
                    "rule": f.rule,
                    "severity": f.severity,
                    "message": f.message,
                    "_path": f.file,
                }
            )
    if args.json:
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    if args.sample:
        wanted = set(args.severity.split(","))
        sample = stratified_sample([it for it in pool if it["severity"] in wanted], args.sample, args.seed)
        print(f"\n== sample: {len(sample)} of {len(pool)} findings, seed {args.seed}, stratified by rule")
        for i, it in enumerate(sample, 1):
            print(f"\n[{i}] {it['app']} {it['file']}:{it['line']} {it['severity']} {it['rule']}\n    {it['message']}")
            print(context(Path(it["_path"]), it["line"]))
        if args.jsonl:
            with args.jsonl.open("w") as fh:
                for it in sample:
                    rec = {k: v for k, v in it.items() if not k.startswith("_")}
                    fh.write(json.dumps({**rec, "verdict": "", "reason": ""}) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
