"""Ruby syntax by Prism (npm `@ruby/prism`, WASM on Node): one long-lived `node` process speaking JSON lines.

Prism parses the syntax of the Ruby version the app declares (3.3 and newer; older apps get 3.3's), so
`def f(*, **, &)` forwarding or Ruby 3.4's `it` are not reported as errors the way an older system Ruby
(Debian's 3.1) reports them. ERB is checked as the Ruby source Rails' Erubi handler makes of it (the Ruby
worker produces that source; Prism parses it). Without Node or the package, the engine falls back to the
Ruby worker's compile (see `engine`).
"""

from __future__ import annotations

import atexit
import json
import shutil
import subprocess
import threading
from pathlib import Path

SCRIPT = r"""
const { pathToFileURL } = await import("node:url");
const { loadPrism } = await import(pathToFileURL(process.argv[1]).href);
const readline = await import("node:readline");
const parse = await loadPrism();
process.stdout.write(JSON.stringify({ ready: true }) + "\n");
const rl = readline.createInterface({ input: process.stdin });
for await (const line of rl) {
  let req;
  try { req = JSON.parse(line); } catch { continue; }
  const res = { id: req.id, errors: [] };
  try {
    const bytes = Buffer.from(req.source, "utf8");
    const opts = req.version ? { version: req.version } : {};
    const seen = new Set();
    for (const e of parse(req.source, opts).errors) {
      const at = Math.min(e.location.startOffset, bytes.length);
      let ln = 1;
      for (let i = 0; i < at; i++) if (bytes[i] === 10) ln++;
      if (!seen.has(ln)) { seen.add(ln); res.errors.push({ line: ln, message: e.message }); }
      if (res.errors.length >= 5) break;
    }
  } catch (err) {
    res.skipped = String(err && err.message || err);
  }
  process.stdout.write(JSON.stringify(res) + "\n");
}
"""
SUPPORTED = ((3, 3), (3, 4), (3, 5), (4, 0), (4, 1))


def prism_version_option(ruby_version: str | None) -> str:
    """Prism's `version` option for an app's Ruby: its own when Prism knows it, else the nearest it knows."""
    try:
        v = tuple(int(x) for x in (ruby_version or "").split(".")[:2])
    except ValueError:
        v = ()
    if len(v) < 2:
        return "latest"
    known = [s for s in SUPPORTED if s <= v]
    best = known[-1] if known else SUPPORTED[0]
    return f"{best[0]}.{best[1]}"


def find_prism(search_from: list[Path] | None = None) -> Path | None:
    """The package's entry point in a node_modules above the files or the working folder."""
    if shutil.which("node") is None:
        return None
    starts = [p.resolve() for p in (search_from or [])] + [Path.cwd(), Path(__file__).resolve()]
    seen: set[Path] = set()
    for s in starts:
        for d in [s, *s.parents]:
            if d in seen:
                continue
            seen.add(d)
            cand = d / "node_modules" / "@ruby" / "prism" / "src" / "index.js"
            if cand.is_file():
                return cand
    return None


class PrismWorker:
    """A `node` child parsing sources with Prism, one JSON line each (thread-safe; restarts on death)."""

    def __init__(self, entry: Path | None = None, timeout: float = 30.0):
        self.entry = entry
        self.timeout = timeout
        self.proc: subprocess.Popen[str] | None = None
        self.lock = threading.Lock()
        self._next = 0

    @property
    def available(self) -> bool:
        if self.entry is None:
            self.entry = find_prism()
        return self.entry is not None

    def version(self) -> str:
        try:
            pkg = json.loads((self.entry.parents[1] / "package.json").read_text())  # type: ignore[union-attr]
            return f"prism {pkg.get('version', '')}".strip()
        except (OSError, ValueError, AttributeError):
            return "prism"

    def start(self) -> bool:
        if self.proc is not None and self.proc.poll() is None:
            return True
        if not self.available:
            return False
        try:
            self.proc = subprocess.Popen(
                ["node", "--no-warnings", "--input-type=module", "-e", SCRIPT, str(self.entry)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
            line = self.proc.stdout.readline() if self.proc.stdout else ""
            ok = bool(line) and json.loads(line).get("ready")
        except (OSError, ValueError):
            ok = False
        if not ok:
            self.close()
        return bool(ok)

    def check(self, items: list[tuple[str, str | None]]) -> list[list[tuple[int, str]] | None]:
        """Errors (line, message) for each (source, prism version) item; None where the worker failed."""
        with self.lock:
            if not items or not self.start():
                return [None] * len(items)
            proc = self.proc
            assert proc is not None and proc.stdin is not None and proc.stdout is not None
            ids = list(range(self._next, self._next + len(items)))
            self._next += len(items)

            def feed() -> None:
                try:
                    for i, (source, version) in zip(ids, items, strict=True):
                        proc.stdin.write(json.dumps({"id": i, "source": source, "version": version}) + "\n")
                    proc.stdin.flush()
                except (OSError, ValueError):
                    pass

            writer = threading.Thread(target=feed, daemon=True)
            writer.start()
            results: dict[int, list[tuple[int, str]] | None] = {}
            timer = threading.Timer(self.timeout + 0.01 * len(items), self.close)
            timer.start()
            try:
                while len(results) < len(items):
                    line = proc.stdout.readline()
                    if not line:
                        break
                    try:
                        res = json.loads(line)
                    except ValueError:
                        continue
                    ok = res.get("skipped") is None
                    results[res["id"]] = [(int(e["line"]), str(e["message"])) for e in res["errors"]] if ok else None
            finally:
                timer.cancel()
            writer.join(timeout=1)
            if len(results) < len(items):
                self.close()
            return [results.get(i) for i in ids]

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.kill()
                proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass


_WORKER: PrismWorker | None = None


def shared_prism() -> PrismWorker:
    """The process-wide Prism worker (the editor's long-lived one; CLI batches go through it too)."""
    global _WORKER
    if _WORKER is None:
        _WORKER = PrismWorker()
        atexit.register(_WORKER.close)
    return _WORKER
