""" "Generate from a request" through the real server over stdio: a scripted OpenAI-compatible model gives
known answers (a good one becomes one applyEdit whose files are rules-clean; bad ones become a message and
no edit), and the tiny real model answers without crashing the server."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import pytest_asyncio
from conftest import hotwire_assist_exe
from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client
from support.scripted_openai import ScriptedModelServer

from hotwire_assist.core.appindex import index_app
from hotwire_assist.core.rules import check_source
from hotwire_assist.server.generate import COMMAND

INTEL = Path(__file__).resolve().parents[1] / "fixtures" / "intel_app"
EOS = "<|endoftext|>"
pytestmark = pytest.mark.asyncio(loop_scope="module")

SUMMARY = """<%= turbo_frame_tag dom_id(project, :summary) do %>
  <h2><%= project.name %></h2>
  <button type="button" data-action="toggle#toggle">Details</button>
  <div data-toggle-target="panel" hidden><%= project.tasks.size %> tasks</div>
<% end %>
"""
TOGGLE = """import { Controller } from "@hotwired/stimulus"

export default class extends Controller {
  static targets = ["panel"]

  toggle() {
    this.panelTarget.hidden = !this.panelTarget.hidden
  }
}
"""
INDEX = """<h1>Projects</h1>
<%= turbo_frame_tag "projects_list" do %>
  <% @projects.each do |project| %>
    <div data-controller="toggle">
      <%= render "projects/summary", project: project %>
    </div>
  <% end %>
<% end %>
"""
GOOD = (
    f"### File: app/views/projects/_summary.html.erb\n{SUMMARY}\n"
    f"### File: app/javascript/controllers/toggle_controller.js\n{TOGGLE}\n"
    f"### File: app/views/projects/index.html.erb\n{INDEX}{EOS}"
)


def apply_edit(edit: types.WorkspaceEdit) -> None:
    """Apply a WorkspaceEdit to disk as an editor does (files created, then edited in place)."""
    for change in edit.document_changes or []:
        if isinstance(change, types.CreateFile):
            path = Path(change.uri.removeprefix("file://"))
            assert not path.exists(), f"{path} would be overwritten"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("")
            continue
        path = Path(change.text_document.uri.removeprefix("file://"))
        lines = path.read_text().split("\n")
        for e in sorted(change.edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
            head = "\n".join([*lines[: e.range.start.line], lines[e.range.start.line][: e.range.start.character]])
            tail = "\n".join([lines[e.range.end.line][e.range.end.character :], *lines[e.range.end.line + 1 :]])
            lines = (head + e.new_text + tail).split("\n")
        path.write_text("\n".join(lines))


async def start(root: Path, env: dict[str, str]):
    client = make_test_lsp_client()
    client.edits = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        client.edits.append(params)
        apply_edit(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    await client.start_io(hotwire_assist_exe(), "serve", env=env)
    folder = types.WorkspaceFolder(root.as_uri(), "app")
    caps = client_capabilities("visual-studio-code")
    client.init = await client.initialize_session(
        types.InitializeParams(capabilities=caps, root_uri=root.as_uri(), workspace_folders=[folder])
    )
    client.root = root
    return client


def base_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTWIRE_ASSIST_")}
    env["HOTWIRE_ASSIST_CONFIG"] = str(home / "config.toml")
    env["HOTWIRE_ASSIST_DATA_DIR"] = str(home / "data")
    return env


@pytest.fixture(scope="module")
def model():
    fake = ScriptedModelServer()
    yield fake
    fake.stop()


@pytest_asyncio.fixture(loop_scope="module")
async def lsp(model, tmp_path):
    """A fresh copy of the app per test (applied edits write files); the scripted model behind `openai`."""
    root = tmp_path / "intel_app"
    shutil.copytree(INTEL, root)
    env = base_env(tmp_path)
    env |= {"HOTWIRE_ASSIST_MODEL_BACKEND": "openai", "HOTWIRE_ASSIST_MODEL_URL": model.url}
    env["HOTWIRE_ASSIST_MODEL_NAME"] = "scripted"
    (root / ".hotwire-assist.toml").write_text('[privacy]\nexclude = ["app/views/secret/**"]\n')
    client = await start(root, env)
    yield client
    await client.shutdown_session()
    await client.stop()


async def generate(client, *arguments):
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=COMMAND, arguments=list(arguments))
    )


async def test_the_command_is_advertised(lsp):
    assert COMMAND in lsp.init.capabilities.execute_command_provider.commands


async def test_a_good_answer_is_one_previewed_edit_whose_files_are_rules_clean(lsp, model):
    model.reply = GOOD
    show = lsp.root / "app/views/projects/show.html.erb"
    result = await generate(lsp, "a collapsible summary per project", show.as_uri())
    assert result["applied"] is True, result
    assert result["files"] == [
        "app/views/projects/_summary.html.erb",
        "app/javascript/controllers/toggle_controller.js",
        "app/views/projects/index.html.erb",
    ]
    [sent] = lsp.edits
    changes = sent.edit.document_changes
    creates = [c.uri for c in changes if isinstance(c, types.CreateFile)]
    assert creates == [(lsp.root / f).as_uri() for f in result["files"][:2]]  # the index view exists: edited
    annotated = [e for c in changes if isinstance(c, types.TextDocumentEdit) for e in c.edits]
    assert all(isinstance(e, types.AnnotatedTextEdit) for e in annotated)
    assert sent.edit.change_annotations["hotwire-assist.generate"].needs_confirmation is True
    assert (lsp.root / "app/views/projects/_summary.html.erb").read_text() == SUMMARY
    assert (lsp.root / "app/javascript/controllers/toggle_controller.js").read_text() == TOGGLE
    assert (lsp.root / "app/views/projects/index.html.erb").read_text() == INDEX
    index = index_app(lsp.root)
    for rel in result["files"]:
        path = lsp.root / rel
        assert check_source(str(path), path.read_text(), index, external=False) == [], rel
    # the prompt: the request, the current file and its neighbours, in the instruction layout
    prompt = model.requests[-1]["prompt"]
    assert prompt.startswith("### File: app/views/projects/show.html.erb\n")
    assert "### File: app/controllers/projects_controller.rb" in prompt
    assert prompt.endswith("### Request\na collapsible summary per project\n\n### Response\n")
    assert 0 < model.requests[-1]["max_tokens"] <= 1024
    assert any("generated" in m.message for m in lsp.messages)


async def test_a_client_that_previews_itself_gets_the_edit_and_no_apply_request(lsp, model):
    model.reply = GOOD
    result = await generate(lsp, {"request": "a collapsible summary per project", "apply": False})
    assert result["applied"] is False and lsp.edits == []
    kinds = [c.get("kind", "edit") for c in result["edit"]["documentChanges"]]
    assert kinds == ["create", "edit", "create", "edit", "edit"]
    assert not (lsp.root / "app/views/projects/_summary.html.erb").exists()
    # no current file: the prompt still shows the app's files the request names
    assert "### File: app/views/projects/" in model.requests[-1]["prompt"]


BAD = {
    "html_safe on params": (
        "### File: app/views/projects/_bio.html.erb\n<p><%= params[:bio].html_safe %></p>\n",
        "_bio.html.erb:1 has an error",
    ),
    "broken ERB": ("### File: app/views/projects/_bio.html.erb\n<p><%= link_to 'x', '/' </p>\n", "has an error"),
    "outside the workspace": ("### File: ../../etc/evil.rb\nputs 1\n", "outside the workspace"),
    "private file": ("### File: app/views/secret/x.html.erb\n<p>x</p>\n", "privacy settings exclude"),
    "no files": ("Sure! Here is how you could do it with Turbo.", "no `### File: path` blocks"),
    "empty": ("", "no `### File: path` blocks"),
}


@pytest.mark.parametrize("case", list(BAD))
async def test_a_bad_answer_is_a_message_and_no_edit(lsp, model, case):
    reply, why = BAD[case]
    model.reply = reply + EOS
    before = sorted(p for p in lsp.root.rglob("*") if p.is_file())
    result = await generate(lsp, "show a bio")
    assert result["applied"] is False and result["edit"] is None
    assert why in result["message"], result["message"]
    assert lsp.edits == []
    assert any(why in m.message and m.type == types.MessageType.Warning for m in lsp.messages)
    assert sorted(p for p in lsp.root.rglob("*") if p.is_file()) == before


async def test_bad_arguments_are_a_message(lsp):
    result = await generate(lsp)
    assert result["applied"] is False and "request text" in result["message"]
    result = await generate(lsp, {"request": "  "})
    assert "request text" in result["message"]


async def test_the_tiny_real_model_answers_without_crashing(server_env, tmp_path):
    root = tmp_path / "intel_app"
    shutil.copytree(INTEL, root)
    client = await start(root, server_env)
    try:
        show = root / "app/views/projects/show.html.erb"
        result = await generate(client, "inline-edit a task title with a Turbo Frame", show.as_uri())
        assert isinstance(result["message"], str) and result["message"]
        # 1024 new tokens asked of a 256-token model: fitted to its window, never "does not fit"
        assert "model failed" not in result["message"] and "does not fit" not in result["message"], result
        if result["applied"]:  # whatever it offered was rules-clean (no error-level finding)
            index = index_app(root)
            for rel in result["files"]:
                path = root / rel
                assert [f for f in check_source(str(path), path.read_text(), index) if f.severity == "error"] == []
        else:
            assert client.edits == [] and result["edit"] is None
        # the server is still answering
        assert (await generate(client, {"request": ""}))["applied"] is False
    finally:
        await client.shutdown_session()
        await client.stop()
