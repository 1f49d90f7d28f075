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


STRAY_END = "<div>\n  <p>Hi</p>\n<% end %>\n</div>\n"
UNCLOSED_IF = "<h1>x</h1>\n<% if @a %>\n  <p>a</p>\n"


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby not installed")
@pytest.mark.parametrize("with_prism", [True, False])
def test_stray_erb_end_is_reported_on_its_own_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, with_prism):
    """A stray `<% end %>` used to close the checker's wrapper method, so the error landed on the file's last
    line (or on a later line) instead of the stray `end`."""
    if with_prism and find_prism() is None:
        pytest.skip("node or @ruby/prism not installed (npm ci)")
    if not with_prism:
        monkeypatch.setattr(prism_worker, "_WORKER", PrismWorker(entry=tmp_path / "missing.js"))
    views = tmp_path / "app" / "views" / "posts"
    views.mkdir(parents=True)
    (tmp_path / "Gemfile").write_text('source "https://rubygems.org"\n')
    (views / "show.html.erb").write_text(STRAY_END)
    (views / "index.html.erb").write_text(UNCLOSED_IF)
    result = check_paths([tmp_path / "app"], external=True)
    if not with_prism and "actionview" not in result.checkers:
        pytest.skip("actionview not installed")
    syntax = {(Path(f.file).name, f.line) for f in result.findings if f.rule == "syntax/erb"}
    assert ("show.html.erb", 3) in syntax and ("show.html.erb", 4) not in syntax
    assert {n for n, _ in syntax} == {"show.html.erb", "index.html.erb"}
    assert not any("}" in f.message for f in result.findings if f.rule == "syntax/erb")
