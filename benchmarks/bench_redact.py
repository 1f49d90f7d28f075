"""Time secret redaction (core.privacy.redact) on 1,000-line files, and measure what it gets wrong.

Run: python benchmarks/bench_redact.py [--apps /work/apps] [--runs 15] [--format json]
Prints, per 1,000 lines: wall ms (median, p95) and CPU ms (process time, robust to a shared machine)
for ordinary Rails code, for a secret-dense file (the planted corpus of tests/privacy) and for the
previous implementation (every detect-secrets plugin on every line, as `snippet.rb`). Then the planted
corpus (secrets surviving, ordinary lines kept) and false redactions on real public apps when present
(never copied into the repository: read in place). Asserts nothing (target: <= 50 ms per 1,000 lines).
"""

from __future__ import annotations

import argparse
import difflib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from hotwire_assist.core.privacy import redact

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from privacy.planted import ORDINARY_FILES, build  # noqa: E402

SUFFIXES = (".rb", ".erb", ".js", ".yml", ".yaml")
SKIP = {"node_modules", ".git", "vendor", "tmp", "log", "storage", "coverage"}


def app_lines(apps: Path) -> list[tuple[str, str]]:
    """(file name, line) of every code file of the public apps, in a stable order."""
    out = []
    for app in sorted(p for p in apps.iterdir() if p.is_dir()):
        for p in sorted(app.rglob("*")):
            if p.suffix in SUFFIXES and p.is_file() and not SKIP & set(p.relative_to(app).parts):
                try:
                    text = p.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError):
                    continue
                out += [(p.relative_to(app).as_posix(), line) for line in text.splitlines()]
    return out


def old_redact(text: str) -> str:
    """The previous redactor: every detect-secrets plugin, line by line, as if every text were `snippet.rb`."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    plugins = [cls() for cls in get_mapping_from_secret_type_to_class().values()]
    out = []
    for line in text.splitlines(keepends=True):
        for plugin in plugins:
            for secret in plugin.analyze_line(filename="snippet.rb", line=line):
                if secret.secret_value:
                    line = line.replace(secret.secret_value, "[REDACTED]")
        out.append(line)
    return "".join(out)


def timed(fn, text: str, name: str | None, runs: int) -> dict:
    fn(text, name) if name is not None else fn(text)  # warm: imports, compiled expressions
    walls, cpus = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn(text, name) if name is not None else fn(text)
        walls.append((time.perf_counter() - w) * 1000)
        cpus.append((time.process_time() - c) * 1000)
    walls.sort()
    return {
        "wall_ms_median": round(statistics.median(walls), 1),
        "wall_ms_p95": round(walls[min(len(walls) - 1, int(0.95 * len(walls)))], 1),
        "cpu_ms_median": round(statistics.median(cpus), 1),
    }


def per_1000(lines: list[str]) -> str:
    return "\n".join((lines * (1000 // max(1, len(lines)) + 1))[:1000]) + "\n"


def planted_figures(root: Path) -> dict:
    corpus = build(root)
    surviving, kept, ordinary, false = 0, 0, 0, []
    for rel, text in corpus.files.items():
        out = redact(text, rel)
        values = [v for _, v in corpus.secrets.get(rel, [])]
        surviving += sum(1 for v in values if v in out)
        before, after = text.splitlines(), out.splitlines()
        same = set()
        for b in difflib.SequenceMatcher(None, before, after, autojunk=False).get_matching_blocks():
            same.update(range(b.a, b.a + b.size))
        plain = [i for i, line in enumerate(before) if not any(v in line or line.strip() in v for v in values)]
        ordinary += len(plain)
        kept += sum(1 for i in plain if i in same)
        false += [f"{rel}: {before[i].strip()}" for i in plain if i not in same and "-----" not in before[i]]
    return {
        "files": len(corpus.files),
        "secrets": len(corpus.all_secrets()),
        "secrets_surviving": surviving,
        "ordinary_lines": ordinary,
        "ordinary_kept": kept,
        "false_redactions": false,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--apps", type=Path, default=Path("/work/apps"), help="Folder of public Rails apps (optional).")
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--format", default="text", choices=["text", "json"])
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        planted = planted_figures(Path(tmp))
        corpus = build(Path(tmp) / "again")
        dense = per_1000([line for text in corpus.files.values() for line in text.splitlines()])

    real = app_lines(args.apps) if args.apps.is_dir() else []
    if real:
        window = real[len(real) // 3 : len(real) // 3 + 1000]
        ordinary = "\n".join(line for _, line in window) + "\n"
        name = "app/models/sample.rb"
    else:
        ordinary = per_1000([line for text in ORDINARY_FILES.values() for line in text.splitlines()])
        name = "app/models/sample.rb"
    report = {
        "ordinary_1000_lines": timed(redact, ordinary, name, args.runs),
        "ordinary_1000_lines_yaml_rules": timed(redact, ordinary, "config/sample.yml", args.runs),
        "secret_dense_1000_lines": timed(redact, dense, None, args.runs),
        "previous_implementation_ordinary_1000_lines": timed(old_redact, ordinary, None, max(3, args.runs // 5)),
        "planted_corpus": planted,
    }
    if real:
        changed, examples = 0, []
        t0 = time.process_time()
        by_file: dict[str, list[str]] = {}
        for f, line in real:
            by_file.setdefault(f, []).append(line)
        for f, lines in by_file.items():
            out = redact("\n".join(lines), f).split("\n")
            for a, b in zip(lines, out, strict=False):
                if a != b:
                    changed += 1
                    examples.append(f"{f}: {a.strip()[:100]}")
        report["public_apps"] = {
            "apps": sorted(p.name for p in args.apps.iterdir() if p.is_dir()),
            "lines": len(real),
            "lines_changed": changed,
            "false_redaction_rate": round(changed / len(real), 6),
            "cpu_ms_per_1000_lines": round((time.process_time() - t0) * 1000 / len(real) * 1000, 1),
            "changed": examples,
        }
    if args.format == "json":
        print(json.dumps(report, indent=2))
        return
    for key in (
        "ordinary_1000_lines",
        "ordinary_1000_lines_yaml_rules",
        "secret_dense_1000_lines",
        "previous_implementation_ordinary_1000_lines",
    ):
        r = report[key]
        print(
            f"{key:45} wall {r['wall_ms_median']:7.1f} ms (p95 {r['wall_ms_p95']:.1f})  cpu {r['cpu_ms_median']:.1f} ms"
        )
    p = report["planted_corpus"]
    print(
        f"planted corpus: {p['secrets']} secrets in {p['files']} files, {p['secrets_surviving']} surviving; "
        f"ordinary lines kept {p['ordinary_kept']}/{p['ordinary_lines']}; false redactions {p['false_redactions']}"
    )
    if "public_apps" in report:
        a = report["public_apps"]
        print(
            f"public apps {', '.join(a['apps'])}: {a['lines_changed']} of {a['lines']} lines changed "
            f"({a['false_redaction_rate']:.4%}), {a['cpu_ms_per_1000_lines']} cpu ms per 1,000 lines"
        )
        for line in a["changed"]:
            print("  ", line)


if __name__ == "__main__":
    main()
