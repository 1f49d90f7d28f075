"""The whole completion engine on real code: holes cut at Hotwire markers, asked over stdio.

For every app: a private copy is made; at the first occurrence on a line of a Hotwire marker
(`data-controller`, `data-action`, `static targets`, ...) a hole is cut right after the marker text, and
the expected answer is the rest of that line (compared stripped). Ordinary mid-line positions are cut the
same way and reported apart. Each hole is cut **in the file on disk** and the server's file watcher
re-indexes it before the document is opened, so no index, retrieval or cache ever sees the original line;
the file is restored (and re-indexed) after the answer. The real server (`hotwire-assist serve`) is asked
over stdio for inline completions with the debounce set to 0, so latency excludes it.

Beside the engine, in the same run: the retrieval-only baseline — the most common rest-of-line that
follows the same stripped line start in the app's other lines (the hole excluded).

    python benchmarks/bench_fim.py APP_DIR... [--limit 200] [--mid-line 40] [--json out.json]

Figures per marker: holes, exact match, edit similarity (engine and baseline), p50/p95 latency; a marker
with fewer than 10 holes is reported, not judged. Holes whose line ends at the marker (nothing to
complete) are counted apart. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass
from difflib import SequenceMatcher
from pathlib import Path

from hotwire_assist.core.hotwire import MARKER_RE

CODE_SUFFIXES = (".erb", ".rb", ".js", ".ts", ".mjs", ".jbuilder")
SKIP_DIRS = {"node_modules", ".git", "tmp", "log", "vendor", "coverage", "storage", "public", "dist", "build"}
JUDGED_MIN = 10


@dataclass(frozen=True)
class Hole:
    path: str  # relative to the app root
    line: int  # 0-based
    column: int  # where the hole starts (the rest of the line is cut)
    marker: str  # a marker, or "mid-line"
    expected: str  # the rest of the line, stripped


def app_files(root: Path) -> dict[str, list[str]]:
    """The app's code files (relative path -> lines), skipping dependencies and generated output."""
    out: dict[str, list[str]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
        for name in sorted(filenames):
            if name.endswith(CODE_SUFFIXES):
                p = Path(dirpath) / name
                try:
                    out[p.relative_to(root).as_posix()] = p.read_text(encoding="utf-8").split("\n")
                except (OSError, UnicodeDecodeError):
                    continue
    return out


def marker_holes(files: dict[str, list[str]]) -> list[Hole]:
    """One hole per line holding a marker: right after the first marker on it."""
    holes = []
    for rel, lines in files.items():
        for n, line in enumerate(lines):
            m = MARKER_RE.search(line)
            if m is not None:
                holes.append(Hole(rel, n, m.end(), m.group(0), line[m.end() :].strip()))
    return holes


def mid_line_holes(files: dict[str, list[str]], count: int, seed: int = 7) -> list[Hole]:
    """Ordinary positions: after the first word (and its space) of lines without a marker."""
    pool = []
    for rel, lines in files.items():
        if not rel.startswith("app/"):
            continue
        for n, line in enumerate(lines):
            s = line.strip()
            if len(s) < 16 or " " not in s or MARKER_RE.search(line) or s.startswith(("#", "//", "<%#")):
                continue
            col = len(line) - len(line.lstrip()) + s.index(" ") + 1
            pool.append(Hole(rel, n, col, "mid-line", line[col:].strip()))
    rng = random.Random(seed)
    return sorted(rng.sample(pool, min(count, len(pool))), key=lambda h: (h.path, h.line))


def spread(holes: list[Hole], limit: int) -> list[Hole]:
    """At most `limit` holes, taken evenly through the list (the markers keep their share)."""
    if len(holes) <= limit:
        return holes
    step = len(holes) / limit
    return [holes[int(i * step)] for i in range(limit)]


def baseline(files: dict[str, list[str]], hole: Hole) -> str:
    """The retrieval-only baseline: the most common rest-of-line after the same stripped line start
    in the app's other lines (the hole's own line excluded); "" when no other line starts so."""
    start = files[hole.path][hole.line][: hole.column].strip()
    if not start:
        return ""
    rests: Counter[str] = Counter()
    for rel, lines in files.items():
        for n, line in enumerate(lines):
            if rel == hole.path and n == hole.line:
                continue
            s = line.strip()
            if s.startswith(start):
                rests[s[len(start) :].strip()] += 1
    return rests.most_common(1)[0][0] if rests else ""


def scored(app: str, hole, suggestion: str, base: str, **extra) -> dict:
    """One result row: the hole, the engine's suggestion and the baseline's, each compared with the expected
    rest of the line (stripped), plus what the run adds (`latency_ms`, `items`, …)."""
    return {
        **asdict(hole),
        "app": app,
        "suggestion": suggestion,
        "exact": suggestion.strip() == hole.expected,
        "similarity": similarity(suggestion, hole.expected),
        "baseline": base,
        "baseline_exact": base == hole.expected,
        "baseline_similarity": similarity(base, hole.expected),
        **extra,
    }


def similarity(a: str, b: str) -> float:
    """Edit similarity of two stripped texts, 0..1 (1 - normalised Levenshtein distance)."""
    a, b = a.strip(), b.strip()
    if not a and not b:
        return 1.0
    try:
        from rapidfuzz.distance import Levenshtein

        return Levenshtein.normalized_similarity(a, b)
    except ImportError:
        return SequenceMatcher(None, a, b).ratio()


def cut(lines: list[str], hole: Hole) -> str:
    """The file's text with the hole cut: its line ends at the hole."""
    out = list(lines)
    out[hole.line] = out[hole.line][: hole.column]
    return "\n".join(out)


def copy_app(src: Path, dst: Path) -> Path:
    """A private copy of the app (code and config only; dependencies and generated output left out)."""
    shutil.copytree(
        src, dst, ignore=shutil.ignore_patterns(*SKIP_DIRS, ".*"), symlinks=True, ignore_dangling_symlinks=True
    )
    return dst


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


# --- the server -------------------------------------------------------------------------------------


class Server:
    """`hotwire-assist serve` over stdio on the app copy, with the debounce at 0 and no cache."""

    def __init__(self, root: Path, model: Path | None, ask_at_open: bool = False) -> None:
        self.root, self.model, self.ask_at_open = root, model, ask_at_open
        self.checked: dict[str, asyncio.Event] = {}  # uri -> set when the rules' findings for it came

    async def start(self) -> None:
        from lsprotocol import types
        from pygls.lsp.client import LanguageClient

        env = dict(os.environ)
        env.update(
            HOTWIRE_ASSIST_COMPLETION_DEBOUNCE_MS="0",
            HOTWIRE_ASSIST_COMPLETION_CACHE_SIZE="0",
            HOTWIRE_ASSIST_CONFIG=str(self.root / ".no-user-config.toml"),
        )
        if self.model is not None:
            env["HOTWIRE_ASSIST_MODEL_PATH"] = str(self.model)
        self.client = LanguageClient("bench-fim", "1")

        @self.client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def _diagnostics(params) -> None:  # opening a file runs the rules (Ruby and Herb too): done now
            self.checked.setdefault(params.uri, asyncio.Event()).set()

        @self.client.feature(types.WINDOW_SHOW_MESSAGE)
        def _message(params) -> None:
            print(f"  server: {params.message}", file=sys.stderr)

        await self.client.start_io(sys.executable, "-m", "hotwire_assist.cli", "serve", env=env, cwd=str(self.root))
        await self.client.initialize_async(
            types.InitializeParams(
                capabilities=types.ClientCapabilities(),
                root_uri=self.root.as_uri(),
                workspace_folders=[types.WorkspaceFolder(self.root.as_uri(), self.root.name)],
            )
        )
        self.client.initialized(types.InitializedParams())
        await self.updates()

    async def internal(self, key: str, default: int | str = 0) -> int | str:
        """One figure of the internals request (answered once the index is built, as the initialized
        handler awaits it)."""
        r = await self.client.protocol.send_request_async("hotwire-assist/internals", None)
        return r.get(key, default) if isinstance(r, dict) else getattr(r, key, default)

    async def updates(self) -> int:
        """Files the server's watcher has re-indexed so far."""
        return int(await self.internal("watcher_updates"))

    async def last_answer(self) -> tuple[str, bool]:
        """What answered the last request (index | retrieval | model | cache | none; "" from a server that
        does not say) and whether the model was asked for it."""
        return str(await self.internal("last_source", "")), bool(await self.internal("last_model_asked"))

    async def watcher_saw(self, before: int, timeout: float = 8.0) -> bool:
        """Wait until the server's watcher has re-indexed more than `before` files in all."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if await self.updates() > before:
                return True
            await asyncio.sleep(0.03)
        return False

    async def ask(self, rel: str, text: str, line: int, column: int) -> tuple[str, float]:
        """Open the (cut) document, ask for ghost text at the hole, close it: (first item, latency ms)."""
        from lsprotocol import types

        uri = (self.root / rel).as_uri()
        checked = self.checked[uri] = asyncio.Event()
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, _language_id(rel), 1, text))
        )
        if not self.ask_at_open:  # as a user who has the file open: the check that opening runs is over
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(checked.wait(), 20)
        t0 = time.perf_counter()
        r = await self.client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Automatic),
                text_document=types.TextDocumentIdentifier(uri),
                position=types.Position(line, column),
            )
        )
        ms = (time.perf_counter() - t0) * 1000
        self.client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
        items = r.items if isinstance(r, types.InlineCompletionList) else (r or [])
        first = items[0].insert_text if items else ""
        return (first if isinstance(first, str) else first.value), ms

    async def stop(self) -> None:
        try:
            await asyncio.wait_for(self.client.shutdown_async(None), 10)
            self.client.exit(None)
        finally:
            await self.client.stop()


def _language_id(rel: str) -> str:
    return {".erb": "erb", ".rb": "ruby", ".js": "javascript", ".ts": "typescript"}.get(Path(rel).suffix, "")


async def run_app(
    app: Path, holes: list[Hole], files: dict[str, list[str]], model: Path | None, ask_at_open: bool = False
) -> list[dict]:
    """Ask the server at every hole of one app (cut on disk first), beside the baseline."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-fim-") as tmp:
        root = copy_app(app, Path(tmp) / app.name)
        server = Server(root, model, ask_at_open)
        await server.start()
        unsynced = 0
        previous: str | None = None  # the file of the last hole, still cut on disk
        try:
            for k, hole in enumerate(holes, 1):
                path = root / hole.path
                text = cut(files[hole.path], hole)
                updates = await server.updates()
                changed = 1
                if previous is not None and previous != hole.path:  # restore the last hole's file
                    (root / previous).write_text("\n".join(files[previous]), encoding="utf-8")
                    changed = 2
                path.write_text(text, encoding="utf-8")
                previous = hole.path
                # the watcher re-indexes every changed file (index and line store) before the document opens
                synced = await server.watcher_saw(updates + changed - 1)
                unsynced += not synced
                suggestion, ms = await server.ask(hole.path, text, hole.line, hole.column)
                source, model_asked = await server.last_answer()
                base = baseline(files, hole)
                rows.append(
                    scored(
                        app.name,
                        hole,
                        suggestion,
                        base,
                        source=source,
                        model_asked=model_asked,
                        latency_ms=round(ms, 1),
                        watcher_synced=synced,
                    )
                )
                if k % 25 == 0:
                    print(f"  {app.name}: {k}/{len(holes)} holes", file=sys.stderr)
        finally:
            await server.stop()
        if unsynced:
            print(f"  {app.name}: the watcher did not confirm {unsynced} cut(s) within 8 s", file=sys.stderr)
    return rows


class InProcess:
    """The server's completion path without the LSP layer, for finding where the engine loses: the same
    engine object, index, line store and veto the server builds, fed the same way (the index built from the
    app copy, each cut file re-indexed before asking, as the server's watcher does; the request built from
    the cut text as `suggest` builds it). Faster than stdio, and it returns every item with its source."""

    def __init__(self, root: Path, model: Path | None) -> None:
        from hotwire_assist.backends import make_backend
        from hotwire_assist.core.appindex import index_app, read_text
        from hotwire_assist.core.config import load_config
        from hotwire_assist.core.context import CURATED_DIR, ContextCache
        from hotwire_assist.server.completion import CompletionEngine
        from hotwire_assist.server.engine.retrieval import add_curated

        os.environ.update(HOTWIRE_ASSIST_COMPLETION_DEBOUNCE_MS="0", HOTWIRE_ASSIST_COMPLETION_CACHE_SIZE="0")
        os.environ["HOTWIRE_ASSIST_CONFIG"] = str(root / ".no-user-config.toml")
        if model is not None:
            os.environ["HOTWIRE_ASSIST_MODEL_PATH"] = str(model)
        self.root = root
        config = load_config(root)
        self.index = index = index_app(root)
        self.engine = engine = CompletionEngine(config, make_backend(config, root), notify=lambda _m: None)
        engine.index_provider = lambda: index
        add_curated(engine.lines, [CURATED_DIR, CURATED_DIR.parent / "starter_corpus"])
        engine.sync_lines = lambda: engine.lines.sync(index.files, lambda p: read_text(Path(p)), index.rel)
        engine.sync_lines()
        context = ContextCache.for_config(config, CURATED_DIR)
        engine.context_provider = lambda r: context.for_request(index, r)

    def changed(self, rel: str) -> None:
        self.index.update_file(str(self.root / rel))

    async def ask(self, rel: str, text: str, line: int, column: int) -> tuple[list[str], str, float]:
        """(items, source of the first, latency ms) at the hole."""
        from hotwire_assist.core.config import completion_allowed
        from hotwire_assist.core.hotwire import language_of
        from hotwire_assist.core.request import build_request

        if not completion_allowed(self.engine.config, language_of(rel, _language_id(rel)), self.root):
            return [], "", 0.0
        offset = sum(len(x) + 1 for x in text.split("\n")[:line]) + column
        request = build_request(str(self.root / rel), text, offset, self.root, _language_id(rel))
        t0 = time.perf_counter()
        s = await self.engine.complete(rel, request)
        ms = (time.perf_counter() - t0) * 1000
        return (s.items if s else []), (s.source if s else "none"), ms

    def close(self) -> None:
        self.engine.close()


async def run_app_in_process(
    app: Path, holes: list[Hole], files: dict[str, list[str]], model: Path | None
) -> list[dict]:
    """As `run_app`, in process (see `InProcess`); rows also carry every item and the first one's source."""
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-fim-") as tmp:
        root = copy_app(app, Path(tmp) / app.name)
        engine = InProcess(root, model)
        previous: str | None = None
        try:
            for hole in holes:
                text = cut(files[hole.path], hole)
                if previous is not None and previous != hole.path:
                    (root / previous).write_text("\n".join(files[previous]), encoding="utf-8")
                    engine.changed(previous)
                (root / hole.path).write_text(text, encoding="utf-8")
                engine.changed(hole.path)
                previous = hole.path
                items, source, ms = await engine.ask(hole.path, text, hole.line, hole.column)
                suggestion = items[0] if items else ""
                base = baseline(files, hole)
                rows.append(
                    scored(
                        app.name,
                        hole,
                        suggestion,
                        base,
                        items=items,
                        source=source,
                        model_asked=self_asked(engine),
                        latency_ms=round(ms, 1),
                        watcher_synced=True,
                    )
                )
        finally:
            engine.close()
    return rows


def self_asked(engine: InProcess) -> bool:
    """Whether the engine asked the model for its last answer (False from an engine that does not say)."""
    return bool(getattr(engine.engine, "last_model_asked", False))


def latency_by_path(rows: list[dict]) -> dict:
    """Latency split by what answered: `cheap` where the index or retrieval answered without the model (the
    30 ms target's figure), `model` where the model was asked (its generation included), each with count.
    Rows from a server that does not say what answered are left out."""
    out = {}
    for name, rs in (
        ("cheap", [r for r in rows if r.get("source") and not r.get("model_asked")]),
        ("model", [r for r in rows if r.get("source") and r.get("model_asked")]),
    ):
        lat = [r["latency_ms"] for r in rs]
        out[name] = {
            "holes": len(rs),
            "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1),
            "sources": dict(Counter(r["source"] for r in rs)),
        }
    return out


def summarize(rows: list[dict]) -> dict:
    """Per marker and overall: holes, exact/similarity of engine and baseline, latency percentiles."""

    def block(rs: list[dict]) -> dict:
        lat = [r["latency_ms"] for r in rs]
        n = len(rs)
        return {
            "holes": n,
            "judged": n >= JUDGED_MIN,
            "exact": round(sum(r["exact"] for r in rs) / n, 3) if n else 0.0,
            "similarity": round(sum(r["similarity"] for r in rs) / n, 3) if n else 0.0,
            "baseline_exact": round(sum(r["baseline_exact"] for r in rs) / n, 3) if n else 0.0,
            "baseline_similarity": round(sum(r["baseline_similarity"] for r in rs) / n, 3) if n else 0.0,
            "shown": round(sum(bool(r["suggestion"].strip()) for r in rs) / n, 3) if n else 0.0,
            "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1),
        }

    by_marker: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_marker[r["marker"]].append(r)
    markers = [r for r in rows if r["marker"] != "mid-line"]
    return {
        "markers": block(markers),
        "mid_line": block(by_marker.get("mid-line", [])),
        "per_marker": {m: block(rs) for m, rs in sorted(by_marker.items()) if m != "mid-line"},
        "latency_by_path": latency_by_path(rows),
    }


def print_summary(title: str, s: dict) -> None:
    print(f"\n{title}")
    cols = ("holes", "exact", "base", "sim", "b.sim", "shown", "p50ms", "p95ms")
    print(f"  {'marker':22} " + " ".join(f"{c:>6}" for c in cols))
    for name, b in [*s["per_marker"].items(), ("ALL MARKERS", s["markers"]), ("mid-line", s["mid_line"])]:
        if not b["holes"]:
            continue
        flag = "" if b["judged"] else "  (not judged: < 10 holes)"
        print(
            f"  {name:22} {b['holes']:5d} {b['exact']:6.3f} {b['baseline_exact']:6.3f} {b['similarity']:6.3f}"
            f" {b['baseline_similarity']:6.3f} {b['shown']:6.3f} {b['p50_ms']:7.1f} {b['p95_ms']:7.1f}{flag}"
        )
    for path, b in s.get("latency_by_path", {}).items():
        label = "index/retrieval, no model" if path == "cheap" else "model asked"
        print(
            f"  latency, {label}: {b['holes']} holes, p50 {b['p50_ms']:.1f} ms, p95 {b['p95_ms']:.1f} ms {b['sources']}"
        )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("apps", nargs="+", type=Path, help="Rails app folders (read only: each is copied first)")
    ap.add_argument("--limit", type=int, default=200, help="marker holes per app, taken evenly (default 200)")
    ap.add_argument("--mid-line", type=int, default=40, help="ordinary mid-line holes per app (default 40)")
    ap.add_argument("--model", type=Path, default=None, help="GGUF to serve (default: the embedded default)")
    ap.add_argument("--json", type=Path, default=None, help="write every hole's row and the summaries here")
    ap.add_argument(
        "--in-process",
        action="store_true",
        help="call the server's engine in this process instead of over stdio (same holes, same cutting; "
        "for development: latencies are not the server's)",
    )
    ap.add_argument(
        "--ask-at-open",
        action="store_true",
        help="ask the moment the document opens, racing the rules check that opening starts (Ruby, Herb); "
        "by default the request waits for that check's findings, as for a file the user has open",
    )
    args = ap.parse_args(argv)
    report: dict = {"apps": {}, "rows": []}
    all_rows: list[dict] = []
    for app in args.apps:
        app = app.resolve()
        files = app_files(app)
        holes = marker_holes(files)
        empty = [h for h in holes if not h.expected]
        holes = spread([h for h in holes if h.expected], args.limit) + mid_line_holes(files, args.mid_line)
        print(f"{app.name}: {len(holes)} holes ({len(empty)} marker lines with nothing after the marker left out)")
        t0 = time.perf_counter()
        if args.in_process:
            rows = asyncio.run(run_app_in_process(app, holes, files, args.model))
        else:
            rows = asyncio.run(run_app(app, holes, files, args.model, args.ask_at_open))
        summary = summarize(rows)
        summary["seconds"] = round(time.perf_counter() - t0, 1)
        summary["empty_rest_left_out"] = len(empty)
        summary["load_average"] = [round(x, 2) for x in os.getloadavg()]
        report["apps"][app.name] = summary
        all_rows += rows
        print_summary(f"{app.name} ({summary['seconds']:.0f} s, load average {summary['load_average']})", summary)
    if len(args.apps) > 1:
        report["all"] = summarize(all_rows)
        print_summary("ALL APPS", report["all"])
    report["rows"] = all_rows
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
