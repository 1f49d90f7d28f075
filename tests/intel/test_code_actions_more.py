"""Extract to Stimulus controller and Convert Rails UJS to Turbo: as pure functions, and through the real
server (the code action's WorkspaceEdit applied to disk gives the expected files, and they are rules-clean)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from intel.test_generate import apply_edit, base_env, start
from lsprotocol import types

from hotwire_assist.core.appindex import index_app
from hotwire_assist.core.rules import check_source
from hotwire_assist.server.code_actions import EXTRACT_TITLE, UJS_TITLE, convert_ujs, extract_stimulus

INTEL = Path(__file__).resolve().parents[1] / "fixtures" / "intel_app"
UJS = """<%= link_to "Delete", @project, method: :delete, data: { confirm: "Sure?" } %>
<%= form_with model: @project, local: true do |f| %>
  <%= f.submit "Save", data: { disable_with: "Saving" } %>
<% end %>
<a href="/projects/1" data-method="delete" data-confirm="Really?">Remove</a>
"""
TURBO = """<%= link_to "Delete", @project, data: { turbo_method: :delete, turbo_confirm: "Sure?" } %>
<%= form_with model: @project do |f| %>
  <%= f.submit "Save", data: { turbo_submits_with: "Saving" } %>
<% end %>
<a href="/projects/1" data-turbo-method="delete" data-turbo-confirm="Really?">Remove</a>
"""
INLINE = """<h1>Projects</h1>
<div class="menu">
  <button type="button" onclick="this.classList.toggle('open'); return false">Menu</button>
  <script>
    console.log("menu ready")
  </script>
</div>
"""


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(INTEL, tmp_path / "app_root")
    return tmp_path / "app_root"


def clean(root: Path, *paths: Path) -> None:
    index = index_app(root)
    for p in paths:
        assert check_source(str(p), p.read_text(), index, external=False) == [], p


def test_convert_ujs_applies_every_fix_of_the_rules_engine_at_once(root: Path):
    view = root / "app/views/projects/show.html.erb"
    view.write_text(UJS)
    action = convert_ujs(str(view), UJS, index_app(root))
    assert action.new_text == TURBO
    assert UJS[: action.start] + action.replacement + UJS[action.end :] == TURBO
    assert convert_ujs(str(view), TURBO, index_app(root)) is None  # nothing left to convert
    assert convert_ujs(str(root / "app/models/task.rb"), "x = 1\n", None) is None


def test_extract_inline_js_to_a_stimulus_controller(root: Path):
    view = root / "app/views/projects/index.html.erb"
    view.write_text(INLINE)
    start = INLINE.index('<div class="menu">')
    action = extract_stimulus(str(view), INLINE, start, len(INLINE), index_app(root))
    assert action.title == EXTRACT_TITLE
    assert action.new_text == (
        "<h1>Projects</h1>\n"
        '<div data-controller="projects-index" class="menu">\n'
        '  <button type="button" data-action="click->projects-index#click">Menu</button>\n'
        "</div>\n"
    )
    [(js_path, js)] = action.creates.items()
    assert js_path == str(root / "app/javascript/controllers/projects_index_controller.js")
    assert js == (
        'import { Controller } from "@hotwired/stimulus"\n\n'
        "export default class extends Controller {\n"
        '  connect() {\n    console.log("menu ready")\n  }\n\n'
        "  click(event) {\n    event.currentTarget.classList.toggle('open')\n    event.preventDefault()\n  }\n"
        "}\n"
    )
    view.write_text(action.new_text)
    Path(js_path).write_text(js)
    clean(root, view, Path(js_path))


def test_extract_wraps_several_elements_and_declines_what_is_not_exact(root: Path):
    view = root / "app/views/projects/index.html.erb"
    two = '<a href="#" onclick="go()">A</a>\n<input onchange="save(this.value)">\n'
    action = extract_stimulus(str(view), two, 0, len(two), index_app(root))
    assert action.replacement == (
        '<div data-controller="projects-index">\n'
        '  <a href="#" data-action="click->projects-index#click">A</a>\n'
        '  <input data-action="change->projects-index#change">\n'
        "</div>\n"
    )
    assert "save(event.currentTarget.value)" in next(iter(action.creates.values()))
    erb = '<a onclick="go(<%= @id %>)">A</a>\n'
    assert extract_stimulus(str(view), erb, 0, len(erb), None) is None  # ERB inside the JS
    plain = "<p>no inline js</p>\n"
    assert extract_stimulus(str(view), plain, 0, len(plain), None) is None


@pytest.mark.asyncio
async def test_extract_and_convert_through_the_server(tmp_path: Path):
    root = tmp_path / "intel_app"
    shutil.copytree(INTEL, root)
    env = base_env(tmp_path) | {"HOTWIRE_ASSIST_MODEL_PATH": str(tmp_path / "missing.gguf")}
    client = await start(root, env)
    try:
        view = root / "app/views/projects/index.html.erb"
        view.write_text(INLINE + UJS)
        uri = view.as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "erb", 1, INLINE + UJS))
        )
        sel = types.Range(types.Position(1, 0), types.Position(6, 6))
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(types.TextDocumentIdentifier(uri), sel, types.CodeActionContext(diagnostics=[]))
        )
        [extract] = [a for a in actions if a.title == EXTRACT_TITLE]
        [convert] = [a for a in actions if a.title == UJS_TITLE]
        assert extract.kind == types.CodeActionKind.RefactorExtract
        apply_edit(convert.edit)
        assert view.read_text() == INLINE + TURBO
        view.write_text(INLINE + UJS)
        apply_edit(extract.edit)
        js = root / "app/javascript/controllers/projects_index_controller.js"
        assert 'data-controller="projects-index"' in view.read_text() and "connect()" in js.read_text()
        clean(root, js)
    finally:
        await client.shutdown_session()
        await client.stop()
