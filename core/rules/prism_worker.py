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
from pathlib import Path

from hotwire_assist.core.rules.worker_process import JsonLinesWorker

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


class PrismWorker(JsonLinesWorker):
    """A `node` child parsing sources with Prism, one JSON line each (thread-safe; restarts on death)."""

    def __init__(self, entry: Path | None = None, timeout: float = 30.0):
        super().__init__(timeout)
        self.entry = entry

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

    def command(self) -> list[str] | None:
        if not self.available:
            return None
        return ["node", "--no-warnings", "--input-type=module", "-e", SCRIPT, str(self.entry)]

    def check(self, items: list[tuple[str, str | None]]) -> list[list[tuple[int, str]] | None]:
        """Errors (line, message) for each (source, prism version) item; None where the worker failed."""
        out: list[list[tuple[int, str]] | None] = []
        for res in self.request([{"source": source, "version": version} for source, version in items]):
            if res is None or res.get("skipped") is not None:
                out.append(None)
            else:
                out.append([(int(e["line"]), str(e["message"])) for e in res.get("errors", [])])
        return out


_WORKER: PrismWorker | None = None


def shared_prism() -> PrismWorker:
    """The process-wide Prism worker (the editor's long-lived one; CLI batches go through it too)."""
    global _WORKER
    if _WORKER is None:
        _WORKER = PrismWorker()
        atexit.register(_WORKER.close)
    return _WORKER
