"""Index completions, hover and definition through the real server over stdio (pytest-lsp)."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest
import pytest_asyncio
from conftest import hotwire_assist_exe
from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client

INTEL = Path(__file__).resolve().parents[1] / "fixtures" / "intel_app"


pytestmark = pytest.mark.asyncio(loop_scope="module")


def server_env(home: Path) -> dict[str, str]:
    """No model at all: index features must not need one (the model path does not exist)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOTWIRE_ASSIST_")}
    env["HOTWIRE_ASSIST_CONFIG"] = str(home / "config.toml")
    env["HOTWIRE_ASSIST_DATA_DIR"] = str(home / "data")
    env["HOTWIRE_ASSIST_MODEL_PATH"] = str(home / "missing.gguf")
    env["HOTWIRE_ASSIST_COMPLETION_DEBOUNCE_MS"] = "0"
    return env


async def start(root: Path, env: dict[str, str], capabilities: types.ClientCapabilities):
    client = make_test_lsp_client()
    await client.start_io(hotwire_assist_exe(), "serve", env=env)
    folder = types.WorkspaceFolder(root.as_uri(), "app")
    await client.initialize_session(
        types.InitializeParams(capabilities=capabilities, root_uri=root.as_uri(), workspace_folders=[folder])
    )
    return client


def capabilities(inline: bool) -> types.ClientCapabilities:
    caps = client_capabilities("visual-studio-code")
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities() if inline else None
    return caps


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["inline", "no-inline"])
async def lsp(request, tmp_path_factory):
    """One server per client kind for the module (starting one costs seconds). Index items go to every
    client; only a client without inline completion also asks the model (here: none, and it fails)."""
    home = tmp_path_factory.mktemp("user")
    root = tmp_path_factory.mktemp("app") / "intel_app"
    shutil.copytree(INTEL, root)
    client = await start(root, server_env(home), capabilities(request.param == "inline"))
    client.root = root
    yield client
    await client.shutdown_session()
    await client.stop()


def open_doc(client, path: Path, text: str) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "erb", 1, text)))
    return uri


async def labels_at(client, rel: str, text: str) -> list[str]:
    """Open `rel` with `text` (cursor at the `|`) and ask for completions there."""
    before, after = text.split("|")
    uri = open_doc(client, client.root / rel, before + after)
    line = before.count("\n")
    char = len(before.rsplit("\n", 1)[-1])
    result = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, char))
    )
    items = result.items if isinstance(result, types.CompletionList) else result or []
    index_items = [i for i in items if i.detail != "hotwire-assist"]  # the model's item, if any, is not ours
    for i in index_items:  # each replaces exactly the word typed so far (never a quote or the attribute)
        assert i.text_edit.range.end == types.Position(line, char)
        assert re.fullmatch(r"[\w#>-]*", before.rsplit("\n", 1)[-1][i.text_edit.range.start.character :])
    return [i.label for i in index_items]


V = "app/views/projects/_scratch.html.erb"  # a new file: opening a real one replaces its facts with the test text


async def test_controller_identifiers(lsp):
    assert await labels_at(lsp, V, '<div data-controller="|"></div>') == ["admin--users", "clipboard", "task-form"]
    assert "task-form" in await labels_at(lsp, V, '<div data-controller="clipboard ta|"></div>')
    assert "clipboard" in await labels_at(lsp, V, '<%= tag.div data: { controller: "|" } %>')


async def test_targets(lsp):
    assert await labels_at(lsp, V, '<input data-task-form-target="|">') == ["title", "submit"]
    assert await labels_at(lsp, V, '<%= f.text_field :t, data: { task_form_target: "|" } %>') == ["title", "submit"]
    assert await labels_at(lsp, V, '<tr data-admin--users-target="|">') == ["row"]


async def test_action_descriptors(lsp):
    labels = await labels_at(lsp, V, '<div data-controller="clipboard"><button data-action="|">')
    assert labels == ["clipboard#copy", "click->clipboard#copy"]  # scoped to the file's controllers
    labels = await labels_at(lsp, V, '<div data-controller="task-form"><input data-action="input->|">')
    assert labels == ["input->task-form#reset", "input->task-form#submitEnd", "input->task-form#validate"]
    form = await labels_at(lsp, V, '<form data-controller="task-form" data-action="|">')
    assert "submit->task-form#validate" in form and not any("connect" in x for x in form)


async def test_value_class_outlet_attribute_names(lsp):
    labels = await labels_at(lsp, V, '<form data-controller="task-form" data-task-form-|')
    assert labels == [
        "data-task-form-target",
        "data-task-form-max-length-value",
        "data-task-form-endpoint-value",
        "data-task-form-invalid-class",
        "data-task-form-clipboard-outlet",
    ]


async def test_turbo_stream_actions_and_targets(lsp):
    actions = await labels_at(lsp, "app/views/tasks/create.turbo_stream.erb", "<%= turbo_stream.| %>")
    assert {"append", "prepend", "replace", "update", "remove", "before", "after", "morph", "refresh"} <= set(actions)
    targets = await labels_at(lsp, "app/views/tasks/create.turbo_stream.erb", '<%= turbo_stream.append "pro| %>')
    assert targets == ["flash", "new_task_frame", "project_header", "project_tasks", "projects_list"]
    html = await labels_at(lsp, "app/views/tasks/create.turbo_stream.erb", '<turbo-stream action="append" target="|">')
    assert "project_tasks" in html


async def test_frame_ids(lsp):
    ids = ["new_task_frame", "project_header", "projects_list"]
    expected = [*ids, "_top", "_self"]  # _top/_self name a target frame, never a frame's own id
    assert await labels_at(lsp, V, '<%= turbo_frame_tag "| %>') == ids
    assert await labels_at(lsp, V, "<%= turbo_frame_tag :| %>") == ids
    assert await labels_at(lsp, V, "<%= turbo_frame_tag | %>") == ids
    assert await labels_at(lsp, V, '<a href="/" data-turbo-frame="|">') == expected
    assert await labels_at(lsp, V, '<%= link_to "x", "/", data: { turbo_frame: "|" } %>') == expected
    assert await labels_at(lsp, V, '<%= turbo_frame_tag @project, target: "|" %>') == expected


async def test_no_index_items_outside_those_contexts(lsp):
    assert await labels_at(lsp, V, '<div class="|"></div>') == []
    assert await labels_at(lsp, V, '<form action="|">') == []


async def hover_at(client, rel: str, text: str) -> tuple[types.Hover | None, list[types.Location]]:
    before, after = text.split("|")
    uri = open_doc(client, client.root / rel, before + after)
    pos = types.Position(before.count("\n"), len(before.rsplit("\n", 1)[-1]))
    hover = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), pos))
    found = await client.text_document_definition_async(types.DefinitionParams(types.TextDocumentIdentifier(uri), pos))
    return hover, list(found or [])


async def test_hover_and_definition_of_a_stimulus_controller(lsp):
    hover, locs = await hover_at(lsp, V, '<div data-controller="task-f|orm"></div>')
    text = hover.contents.value
    assert "task-form" in text and "`title`" in text and "`maxLength: Number`" in text and "`validate`" in text
    assert "app/javascript/controllers/task_form_controller.ts" in text
    ts = lsp.root / "app/javascript/controllers/task_form_controller.ts"
    assert [(loc.uri, loc.range.start.line) for loc in locs] == [(ts.as_uri(), 2)]  # `export default class`


async def test_definition_of_an_action_goes_to_the_method(lsp):
    hover, locs = await hover_at(lsp, V, '<button data-action="click->clipboard#co|py">')
    assert "Action `copy`" in hover.contents.value
    js = lsp.root / "app/javascript/controllers/clipboard_controller.js"
    assert [(loc.uri, loc.range.start.line) for loc in locs] == [(js.as_uri(), 6)]
    _, locs = await hover_at(lsp, V, '<input data-task-form-tar|get="title">')
    assert locs[0].uri.endswith("task_form_controller.ts")


async def test_hover_and_definition_of_a_frame_id(lsp):
    hover, locs = await hover_at(
        lsp, "app/views/tasks/create.turbo_stream.erb", '<a data-turbo-frame="new_task|_frame">'
    )
    assert "new_task_frame" in hover.contents.value and "app/views/projects/show.html.erb:8" in hover.contents.value
    show = lsp.root / "app/views/projects/show.html.erb"
    assert [(loc.uri, loc.range.start.line) for loc in locs] == [(show.as_uri(), 7)]
    hover, locs = await hover_at(lsp, V, "<p>plain te|xt</p>")
    assert hover is None and locs == []


async def test_a_controller_created_on_disk_is_offered_without_reopening(lsp):
    path = lsp.root / "app/javascript/controllers/sortable_controller.js"
    path.write_text('import { Controller } from "@hotwired/stimulus"\nexport default class extends Controller {}\n')
    try:
        for _ in range(200):
            if "sortable" in await labels_at(lsp, V, '<div data-controller="|"></div>'):
                break
            await asyncio.sleep(0.05)
        assert "sortable" in await labels_at(lsp, V, '<div data-controller="|"></div>')
    finally:
        path.unlink()
    for _ in range(200):
        if "sortable" not in await labels_at(lsp, V, '<div data-controller="|"></div>'):
            break
        await asyncio.sleep(0.05)
    assert "sortable" not in await labels_at(lsp, V, '<div data-controller="|"></div>')


async def test_code_actions_arrive_as_one_workspace_edit(lsp):
    view = lsp.root / "app/views/projects/index.html.erb"
    uri = open_doc(lsp, view, view.read_text())
    sel = types.Range(types.Position(0, 0), types.Position(0, 17))
    actions = await lsp.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), sel, types.CodeActionContext(diagnostics=[]))
    )
    [wrap] = [a for a in actions if a.title == "Wrap in Turbo Frame"]
    assert wrap.kind == types.CodeActionKind.RefactorRewrite
    [edit] = wrap.edit.document_changes
    assert edit.edits[0].new_text == '<%= turbo_frame_tag "projects_index" do %>\n  <h1>Projects</h1>\n<% end %>\n'
    ctrl = lsp.root / "app/controllers/tasks_controller.rb"
    uri = open_doc(lsp, ctrl, ctrl.read_text())
    here = types.Range(types.Position(17, 4), types.Position(17, 4))  # inside `def complete`
    actions = await lsp.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), here, types.CodeActionContext(diagnostics=[]))
    )
    [respond] = [a for a in actions if a.title == "Respond with Turbo Stream"]
    create, fill, change = respond.edit.document_changes
    stream = lsp.root / "app/views/tasks/complete.turbo_stream.erb"
    assert isinstance(create, types.CreateFile) and create.uri == stream.as_uri()
    assert fill.edits[0].new_text == "<%= turbo_stream.replace @task %>\n"
    assert change.text_document.uri == uri and "format.turbo_stream" in change.edits[0].new_text
    assert change.edits[0].range == types.Range(types.Position(18, 0), types.Position(19, 0))
