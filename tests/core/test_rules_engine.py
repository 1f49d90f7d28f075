"""Engine behaviour: bad input, external checkers, fixes that really fix, versions, scoring."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hotwire_assist.core.appindex import index_app
from hotwire_assist.core.rules import (
    DIMENSIONS,
    RULES,
    Finding,
    applicable_dimensions,
    check_paths,
    check_source,
    score_dimensions,
)
from hotwire_assist.core.rules.ruby_worker import RubyWorker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rules"
has_ruby = shutil.which("ruby") is not None


def _rules(findings: list[Finding]) -> set[str]:
    return {f.rule for f in findings}


# --- bad input -------------------------------------------------------------------------------------


def test_binary_file_is_a_clear_skip(tmp_path: Path):
    p = tmp_path / "logo.html.erb"
    p.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0IHDR" + bytes(range(256)))
    result = check_paths([p])
    assert [(f.rule, f.severity) for f in result.findings] == [("syntax/skipped", "info")]
    assert "binary" in result.findings[0].message


def test_huge_file_is_a_clear_skip(tmp_path: Path):
    p = tmp_path / "big.rb"
    p.write_text("x = 1\n" * 300_000)
    result = check_paths([p])
    assert [f.rule for f in result.findings] == ["syntax/skipped"]
    assert check_source("big.rb", "x = 1\n" * 300_000)[0].rule == "syntax/skipped"


def test_invalid_utf8_is_an_encoding_error_with_position(tmp_path: Path):
    p = tmp_path / "show.html.erb"
    p.write_bytes(b"<p>ok</p>\n<p>caf\xe9</p>\n")
    result = check_paths([p], external=False)
    enc = [f for f in result.findings if f.rule == "syntax/encoding"]
    assert len(enc) == 1 and (enc[0].line, enc[0].column) == (2, 7) and enc[0].severity == "error"


def test_good_utf8_has_no_encoding_error():
    assert "syntax/encoding" not in _rules(check_source("a.html.erb", "<p>café “quoted”</p>\n", external=False))


@pytest.mark.parametrize("external", [False, True])
def test_unterminated_erb_is_a_finding_not_a_crash(external: bool, tmp_path: Path):
    p = tmp_path / "x.html.erb"
    p.write_text("<div>\n  <%= link_to 'a', b\n</div>\n")
    result = check_paths([p], external=external)
    assert "syntax/erb" in _rules(result.findings)


def test_garbage_gives_well_formed_findings_not_exceptions(tmp_path: Path):
    """Broken input is findings with known rule ids inside the text, and the breakage is reported."""
    samples = ["<%", "%>", "<% end %>", "<turbo-stream", "<%= turbo_frame_tag", "def (", "\udcff", "<<~X\n", ""]
    found: dict[tuple[str, str], set[str]] = {}
    for i, s in enumerate(samples):
        for ext in ("html.erb", "rb", "js"):
            findings = check_source(f"f{i}.{ext}", s, external=False)
            lines = s.count("\n") + 1
            for f in findings:
                assert f.rule in RULES, f
                assert f.severity in ("error", "warning", "info"), f
                assert 1 <= f.line <= lines and f.column >= 1, f
            found[(s, ext)] = _rules(findings)
    for s in ("<%", "%>", "<% end %>", "def (", "<turbo-stream"):
        assert "syntax/ruby" in found[(s, "rb")], s  # not Ruby
    assert all("syntax/encoding" in found[("\udcff", ext)] for ext in ("html.erb", "rb", "js"))
    assert "syntax/erb" in found[("<%= turbo_frame_tag", "html.erb")]  # an unterminated tag
    assert found[("", "html.erb")] == found[("", "rb")] == found[("", "js")] == set()  # empty is fine


def test_unsupported_and_missing_files(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("hello")
    result = check_paths([tmp_path / "notes.txt", tmp_path / "gone.rb"], external=False)
    assert [f.rule for f in result.findings] == ["syntax/skipped", "syntax/skipped"]


# --- Ruby ------------------------------------------------------------------------------------------


@pytest.mark.skipif(not has_ruby, reason="ruby not installed")
def test_ruby_compiles_erb_like_rails():
    w = RubyWorker()
    try:
        layout = "<html><body><%= yield %><%= yield :sidebar %></body></html>\n"
        block = "<%= form_with model: @post do |f| %>\n  <%= f.text_field :title %>\n<% end %>\n"
        broken = "<h1>x</h1>\n<% if @a %>\n  <p>a</p>\n"
        res = w.check([("layout.html.erb", "erb", layout), ("b.html.erb", "erb", block), ("c.html.erb", "erb", broken)])
        if res[0] is not None and res[0].skipped:
            pytest.skip("actionview not installed")
        assert res[0].errors == [] and res[1].errors == []
        assert res[2].errors and 1 <= res[2].errors[0][0] <= 4
        rb = w.check([("m.rb", "ruby", "class A\n  def x\n    1\n  end\nend\n"), ("n.rb", "ruby", "def x(\n")])
        assert rb[0].errors == [] and rb[1].errors
        assert w.versions()["ruby"].startswith("ruby ")
    finally:
        w.close()


@pytest.mark.skipif(not has_ruby, reason="ruby not installed")
def test_check_paths_records_ruby_and_reports_ruby_errors():
    result = check_paths([FIXTURES / "syntax__ruby" / "bad"])
    assert "ruby" in result.checkers or "prism" in result.checkers
    hits = [f for f in result.findings if f.rule == "syntax/ruby"]
    assert hits and hits[0].message.endswith(("(ruby)", "(prism)"))


def test_missing_ruby_degrades_to_tree_sitter(monkeypatch: pytest.MonkeyPatch):
    from hotwire_assist.core.rules import ruby_worker

    monkeypatch.setattr(ruby_worker, "_WORKER", RubyWorker(ruby="/nonexistent/ruby"))
    monkeypatch.setenv("HOTWIRE_ASSIST_HERB", "/nonexistent/herb-lint")
    result = check_paths([FIXTURES / "syntax__ruby" / "bad"])
    assert "ruby" not in result.checkers and "herb-lint" not in result.checkers
    assert "syntax/ruby" in _rules(result.findings)


# --- Herb ------------------------------------------------------------------------------------------


def test_herb_findings_are_mapped(tmp_path: Path):
    from hotwire_assist.core.rules import herb

    if herb.find_herb([Path(__file__)]) is None:
        pytest.skip("herb-lint not installed (npm install)")
    p = tmp_path / "app" / "views" / "pages" / "home.html.erb"
    p.parent.mkdir(parents=True)
    p.write_text('<div id="a"></div>\n<div id="a"></div>\n<img src="/x.png">\n')
    result = check_paths([p])
    assert result.checkers["herb-lint"].startswith("herb-lint")
    dup = [f for f in result.findings if f.rule == "herb/html-no-duplicate-ids"]
    assert dup and dup[0].severity == "warning" and dup[0].dimension == "conventions" and dup[0].column >= 1
    alt = [f for f in result.findings if f.rule == "a11y/img-alt"]
    assert len(alt) == 1  # ours and Herb's are one finding
    assert all(f.severity != "error" for f in result.findings if f.rule.startswith("herb/"))


def test_herb_rule_mapping_is_deliberate():
    from hotwire_assist.core.rules.herb import herb_rule

    assert herb_rule("html-tag-name-lowercase").severity == "info"
    assert herb_rule("html-aria-role-must-be-valid").dimension == "accessibility"
    assert herb_rule("html-navigation-has-label").severity == "info"  # advice: one <nav> needs no name
    from hotwire_assist.core.rules.herb import COVERED, to_findings

    # codes our rules check with the app's context are never reported twice (nor without that context)
    assert "html-img-require-alt" in COVERED and "erb-no-unsafe-raw" in COVERED
    offense = {"code": "html-img-require-alt", "message": "alt", "location": {"start": {"line": 1, "column": 0}}}
    assert to_findings("x.html.erb", [offense], "<img src=x>") == []
    assert herb_rule("parser-no-errors").severity == "warning"
    assert "herb/html-tag-name-lowercase" in RULES


# --- fixes -----------------------------------------------------------------------------------------


def apply_fix(text: str, finding: Finding) -> str:
    """Apply a finding's fix the way an editor gets it: the server's diagnostic (its JSON, fix in `data`) comes
    back with a codeAction request, the server's quick fix answers, and the editor applies its TextEdits."""
    from lsprotocol import converters
    from lsprotocol import types as lsp

    from hotwire_assist.server.diagnostics import quick_fixes, to_diagnostics

    convert = converters.get_converter()
    sent = convert.unstructure(to_diagnostics([finding])[0])  # over the wire and back
    (action,) = quick_fixes("file:///x", [convert.structure(sent, lsp.Diagnostic)])
    return apply_lsp_edits(text, action.edit.changes["file:///x"])


def apply_lsp_edits(text: str, edits) -> str:
    """An editor's application of TextEdits: 0-based lines, UTF-16 columns, all against the original text."""
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(pos) -> int:
        line = lines[pos.line] if pos.line < len(lines) else ""
        units = 0
        for i, ch in enumerate(line):
            if units >= pos.character:
                return starts[pos.line] + i
            units += 2 if ord(ch) > 0xFFFF else 1
        return starts[min(pos.line, len(lines) - 1)] + len(line)

    spans = sorted(((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits), reverse=True)
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


FIXABLE = sorted(r.id for r in RULES.values() if r.fixable and not r.id.startswith("herb/"))


@pytest.mark.parametrize("rule", FIXABLE)
def test_fix_removes_the_finding(rule: str, tmp_path: Path):
    src = FIXTURES / rule.replace("/", "__") / "bad"
    dst = tmp_path / "app"
    shutil.copytree(src, dst)
    before = [f for f in check_paths([dst], external=False).findings if f.rule == rule and f.fix]
    assert before, f"no fix offered for {rule}"
    for path in {f.file for f in before}:
        # one fix at a time (edits of different findings may overlap), re-checking between
        for _ in range(10):
            found = [f for f in check_paths([Path(path)], external=False).findings if f.rule == rule and f.fix]
            if not found:
                break
            text = Path(path).read_text()
            Path(path).write_text(apply_fix(text, found[0]))
    after = [f for f in check_paths([dst], external=False).findings if f.rule == rule and f.fix]
    assert after == []


def test_method_delete_fix_text():
    text = '<%= link_to "Delete", @post, method: :delete, class: "x" %>\n'
    f = next(f for f in check_source("a.html.erb", text, external=False) if f.rule == "ujs/method-delete")
    assert apply_fix(text, f) == '<%= link_to "Delete", @post, data: { turbo_method: :delete }, class: "x" %>\n'
    text2 = '<%= link_to "Delete", @post, method: :delete, data: { turbo_confirm: "Sure?" } %>\n'
    f2 = next(f for f in check_source("a.html.erb", text2, external=False) if f.rule == "ujs/method-delete")
    assert apply_fix(text2, f2) == (
        '<%= link_to "Delete", @post, data: { turbo_method: :delete, turbo_confirm: "Sure?" } %>\n'
    )


# --- versions and cross-file -----------------------------------------------------------------------


def test_morph_needs_turbo_rails_2(tmp_path: Path):
    app = tmp_path / "old"
    (app / "app" / "views" / "posts").mkdir(parents=True)
    (app / "Gemfile.lock").write_text("GEM\n  specs:\n    turbo-rails (1.5.0)\n      railties (>= 6.0.0)\n")
    view = app / "app" / "views" / "posts" / "update.turbo_stream.erb"
    view.write_text('<%= turbo_stream.refresh %>\n<%= turbo_stream.replace "post_1", partial: "posts/post" %>\n')
    hits = [f for f in check_paths([app], external=False).findings if f.rule == "turbo/unknown-stream-action"]
    assert len(hits) == 1 and "1.5.0" in hits[0].message
    (app / "Gemfile.lock").write_text("GEM\n  specs:\n    turbo-rails (2.0.5)\n")
    assert not [f for f in check_paths([app], external=False).findings if f.rule == "turbo/unknown-stream-action"]


def test_custom_stream_actions_are_known(tmp_path: Path):
    app = tmp_path / "app_root"
    (app / "app" / "javascript").mkdir(parents=True)
    (app / "app" / "views" / "x").mkdir(parents=True)
    (app / "app" / "javascript" / "application.js").write_text(
        'import { StreamActions } from "@hotwired/turbo"\nStreamActions.log = function () { console.log(this) }\n'
    )
    (app / "app" / "views" / "x" / "a.turbo_stream.erb").write_text('<%= turbo_stream.action :log, "x" %>\n')
    index = index_app(app)
    text = (app / "app" / "views" / "x" / "a.turbo_stream.erb").read_text()
    assert "turbo/unknown-stream-action" not in _rules(check_source("a.turbo_stream.erb", text, index, external=False))
    assert "turbo/unknown-stream-action" in _rules(check_source("a.turbo_stream.erb", text, None, external=False))


def test_partial_sees_controller_of_its_renderer(tmp_path: Path):
    app = tmp_path / "r"
    (app / "app" / "views" / "todos").mkdir(parents=True)
    (app / "app" / "views" / "todos" / "index.html.erb").write_text(
        '<div data-controller="sortable"><%= render @todos %></div>\n'
    )
    (app / "app" / "views" / "todos" / "_todo.html.erb").write_text(
        '<div id="<%= dom_id(todo) %>" data-sortable-target="item"></div>\n'
    )
    (app / "app" / "views" / "todos" / "_other.html.erb").write_text('<div data-menu-target="item"></div>\n')
    result = check_paths([app], external=False)
    outside = [f for f in result.findings if f.rule == "stimulus/outside-controller"]
    assert [Path(f.file).name for f in outside] == ["_other.html.erb"]


# --- scoring ---------------------------------------------------------------------------------------


def _finding(dim: str, sev: str) -> Finding:
    return Finding("a", 1, 1, 1, 1, "x/y", dim, sev, "m")  # type: ignore[arg-type]


def test_scores_deduct_by_severity_and_floor_at_zero():
    s = score_dimensions(
        [_finding("security", "error"), _finding("conventions", "warning"), _finding("conventions", "info")]
        + [_finding("syntax", "error")] * 3
    )
    assert s == {"syntax": 0.0, "conventions": 15.0, "efficiency": 20.0, "security": 10.0, "accessibility": 20.0}


def test_scores_none_where_not_applicable():
    dims = applicable_dimensions(["app/javascript/controllers/x_controller.js"])
    s = score_dimensions([], dims)
    assert s["conventions"] == 20.0 and s["security"] is None and set(s) == set(DIMENSIONS)
    assert applicable_dimensions(["a.html.erb"]) == set(DIMENSIONS)
