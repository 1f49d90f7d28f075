"""benchmarks/bench_fim.py measures what it says: holes at the markers with the rest of the line expected, a
baseline that never sees the hole, and a run over stdio on a planted app whose right answers are known."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from bench_fim import app_files, baseline, cut, main, marker_holes, scored

ROW = '  <div data-controller="search" data-search-url-value="/search">\n'
PLANTED = {
    "Gemfile": 'source "https://rubygems.org"\ngem "rails"\n',
    "app/views/items/index.html.erb": ROW + "  </div>\n",
    "app/views/items/show.html.erb": ROW + "  </div>\n",
    "app/views/orders/index.html.erb": ROW + '    <p data-action="click->search#go">x</p>\n  </div>\n',
    "app/javascript/controllers/search_controller.js": (
        'import { Controller } from "@hotwired/stimulus"\n'
        "export default class extends Controller {\n  static values = { url: String }\n  go() {}\n}\n"
    ),
}


def _app(root: Path) -> Path:
    for rel, text in PLANTED.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def test_holes_cut_after_the_marker_and_the_baseline_never_sees_the_hole(tmp_path: Path):
    files = app_files(_app(tmp_path))
    holes = {(h.path, h.marker): h for h in marker_holes(files)}
    hole = holes[("app/views/orders/index.html.erb", "data-action")]
    assert hole.expected == '="click->search#go">x</p>' and cut(files[hole.path], hole).split("\n")[1].endswith(
        "data-action"
    )
    assert baseline(files, hole) == ""  # the only line that starts so is the hole's own
    frame = holes[("app/views/items/show.html.erb", "data-controller")]
    assert baseline(files, frame) == frame.expected  # two other views start alike and go on the same way
    row = scored("planted", frame, frame.expected + "  ", "")
    assert row["exact"] and row["similarity"] == 1.0 and not row["baseline_exact"]


@pytest.mark.slow
def test_a_run_over_stdio_on_a_planted_app_scores_the_known_answers(tmp_path: Path, isolated_user):
    app = _app(tmp_path / "planted")
    before = {p: p.read_bytes() for p in app.rglob("*") if p.is_file()}
    out = tmp_path / "report.json"
    assert main([str(app), "--limit", "20", "--mid-line", "0", "--model", "/nonexistent", "--json", str(out)]) == 0
    rows = json.loads(out.read_text())["rows"]
    assert {p: p.read_bytes() for p in app.rglob("*") if p.is_file()} == before  # the app itself is untouched
    by = {(r["path"], r["marker"]): r for r in rows}
    same_start = by[("app/views/items/show.html.erb", "data-controller")]
    assert same_start["baseline_exact"] and same_start["exact"], same_start  # the app's majority, from retrieval
    # the server says what answered, so latency is split by it (index/retrieval without the model vs the model)
    assert same_start["source"] in ("index", "retrieval") and not same_start["model_asked"], same_start
    cheap = json.loads(out.read_text())["apps"]["planted"]["latency_by_path"]["cheap"]
    assert cheap["holes"] >= 1 and cheap["p95_ms"] > 0, cheap
    targets = by[("app/javascript/controllers/search_controller.js", "static values")]
    assert targets["expected"] == "= { url: String }" and targets["similarity"] > 0.5, targets
    shutil.rmtree(app)
