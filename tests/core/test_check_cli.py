"""`check` and `index` commands through Typer, and the LSP conversions of findings."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from lsprotocol import types as lsp
from typer.testing import CliRunner

from hotwire_assist.cli.check import check_command, index_command
from hotwire_assist.core.rules import check_source
from hotwire_assist.server.diagnostics import quick_fixes, to_diagnostics

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "rules"
app = typer.Typer()
app.command("check")(check_command)
app.command("index")(index_command)
runner = CliRunner()


def test_check_json_format_and_exit_code():
    bad = FIXTURES / "security__raw" / "bad"
    r = runner.invoke(app, ["check", str(bad), "--format", "json", "--no-external"])
    assert r.exit_code == 1, r.output
    data = json.loads(r.stdout)
    assert isinstance(data, list) and data
    keys = {"file", "line", "column", "rule", "dimension", "severity", "message", "fix"}
    assert all(keys <= set(d) for d in data)
    raw = next(d for d in data if d["rule"] == "security/raw")
    assert (raw["line"], raw["column"], raw["severity"], raw["dimension"]) == (1, 10, "error", "security")


def test_check_exit_zero_without_errors_and_text_output():
    good = FIXTURES / "ujs__remote" / "bad"  # warnings only
    r = runner.invoke(app, ["check", str(good), "--no-external"])
    assert r.exit_code == 0, r.output
    assert "new.html.erb:1:29: warning" in r.stdout and "[ujs/remote]" in r.stdout
    assert "0 errors, 1 warnings" in r.stdout


def test_check_json_fix_is_serialised():
    r = runner.invoke(app, ["check", str(FIXTURES / "turbo__form-local" / "bad"), "--format", "json", "--no-external"])
    d = next(d for d in json.loads(r.stdout) if d["rule"] == "turbo/form-local")
    assert d["fix"]["edits"][0]["new_text"] == "" and d["fix"]["description"]


def test_index_command():
    r = runner.invoke(app, ["index", str(ROOT / "examples" / "todo_app"), "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert {c["identifier"] for c in data["stimulus_controllers"]} == {"auto-dismiss", "todo-form"}
    assert data["versions"]["turbo-rails"] == "2.0.5"


def test_diagnostics_are_zero_based_and_carry_fixes():
    text = '<p>x</p>\n<%= link_to "Delete", @post, method: :delete %>\n'
    findings = check_source("a.html.erb", text, external=False)
    diags = to_diagnostics(findings)
    d = next(d for d in diags if d.code == "ujs/method-delete")
    assert (d.range.start.line, d.range.start.character) == (1, 29)
    assert d.source == "hotwire-assist" and d.severity == lsp.DiagnosticSeverity.Warning
    actions = quick_fixes("file:///a.html.erb", diags, d.range)
    assert len(actions) == 1 and actions[0].kind == lsp.CodeActionKind.QuickFix
    edit = actions[0].edit.changes["file:///a.html.erb"][0]
    assert edit.new_text == "data: { turbo_method: :delete }"
    assert (edit.range.start.line, edit.range.start.character, edit.range.end.character) == (1, 29, 44)
    far = lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=1))
    assert quick_fixes("file:///a.html.erb", diags, far) == []
    assert len(quick_fixes("file:///a.html.erb", findings)) == 1


def test_info_findings_are_hints_in_the_editor():
    from hotwire_assist.core.rules import Finding

    f = Finding("x.html.erb", 1, 1, 1, 2, "turbo/eager-frame", "efficiency", "info", "a lead")
    assert to_diagnostics([f])[0].severity == lsp.DiagnosticSeverity.Hint
