"""Time the app index on a generated app of ~1,500 files: cold build and one file's update.

Run: python benchmarks/bench_index.py [--resources 136]
Prints figures; asserts nothing (targets: cold build <= 2 s, per-file update <= 20 ms).
The app is the rules benchmark's generated app (same files), so both benchmarks measure one shape.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from bench_rules import generate  # a sibling script: `python benchmarks/bench_index.py` puts it on sys.path

from hotwire_assist.core.appindex import index_app


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--resources", type=int, default=136, help="11 files each (136 -> ~1,500 files)")
    ap.add_argument("--updates", type=int, default=50, help="single-file updates to time")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "bench_app"
        n = generate(root, args.resources)
        index_app(root / "app" / "views" / "layouts")  # warm the parsers, as a running server has
        t = time.perf_counter()
        index = index_app(root)
        cold = time.perf_counter() - t
        print(f"cold index of {n} files: {cold:.2f} s ({len(index.files)} indexed, {1000 * cold / n:.2f} ms/file)")
        files = [root / f"app/views/widget{i}s/_widget{i}.html.erb" for i in range(min(args.updates, args.resources))]
        times = []
        for path in files:
            text = path.read_text().replace("</article>", '  <div id="extra"></div>\n  </article>')
            t = time.perf_counter()
            index.update_file(path, text)
            _ = index.ids, index.stimulus_controllers  # the queries a completion makes right after
            times.append(1000 * (time.perf_counter() - t))
        print(f"per-file update + queries: median {statistics.median(times):.1f} ms, max {max(times):.1f} ms")


if __name__ == "__main__":
    main()
