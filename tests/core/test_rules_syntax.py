"""Ruby-version-aware syntax checks: Prism parses the app's Ruby; an older system Ruby says so once per app."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotwire_assist.core.rules import check_paths, prism_worker, ruby_worker
from hotwire_assist.core.rules.prism_worker import PrismWorker, find_prism, prism_version_option

# Ruby 3.2+ accepts anonymous block forwarding next to keywords; Ruby 3.1's parser rejects it
NEW_SYNTAX = (
    "module LinksHelper\n  def wrap(label, data: {}, **options, &)\n"
    "    tag.span(label, data: data, **options, &)\n  end\nend\n"
)
BROKEN = "class Broken\n  def x(\nend\n"


def _app(tmp_path: Path, ruby_version: str) -> Path:
    (tmp_path / "app" / "helpers").mkdir(parents=True)
    (tmp_path / ".ruby-version").write_text(ruby_version + "\n")
    (tmp_path / "Gemfile").write_text('source "https://rubygems.org"\n')
    (tmp_path / "app" / "helpers" / "links_helper.rb").write_text(NEW_SYNTAX)
    (tmp_path / "app" / "helpers" / "other_helper.rb").write_text(NEW_SYNTAX.replace("LinksHelper", "OtherHelper"))
    return tmp_path


def test_prism_version_option_maps_app_rubies():
    assert prism_version_option("3.4.8") == "3.4"
    assert prism_version_option("3.1.2") == "3.3"  # Prism's oldest
    assert prism_version_option(None) == "latest"


@pytest.mark.skipif(find_prism() is None, reason="node or @ruby/prism not installed (npm ci)")
def test_prism_accepts_newer_syntax_and_reports_real_errors(tmp_path: Path):
    app = _app(tmp_path, "3.4.1")
    (app / "app" / "helpers" / "broken_helper.rb").write_text(BROKEN)
    result = check_paths([app / "app"])
    assert "prism" in result.checkers
    syntax = [f for f in result.findings if f.rule.startswith("syntax/")]
    assert {Path(f.file).name for f in syntax if f.severity == "error"} == {"broken_helper.rb"}
    assert all(f.message.endswith("(prism)") for f in syntax)


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby not installed")
def test_old_system_ruby_says_so_once_per_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(prism_worker, "_WORKER", PrismWorker(entry=tmp_path / "missing.js"))
    monkeypatch.setattr(prism_worker, "find_prism", lambda *a: None)
    worker = ruby_worker.RubyWorker()
    monkeypatch.setattr(ruby_worker, "_WORKER", worker)
    try:
        if not worker.start() or tuple(int(x) for x in worker.info["ruby"].split(".")[:2]) >= (3, 3):
            pytest.skip("needs a system Ruby older than 3.3 (one that rejects `&` forwarding)")
        app = _app(tmp_path, "3.4.1")
        result = check_paths([app / "app"])
    finally:
        worker.close()
    assert [f for f in result.findings if f.rule == "syntax/ruby"] == []
    notes = [f for f in result.findings if f.rule == "syntax/ruby-version"]
    assert len(notes) == 1 and notes[0].severity == "info"
    assert "2 file(s)" in notes[0].message and "3.4.1" in notes[0].message
