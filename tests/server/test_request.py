"""One completion request for one cursor: the server, the CLI `complete`, telemetry, training and evaluation
build the same value through their own code paths (core.request is the only builder)."""

from __future__ import annotations

import asyncio
import json
import shutil
from dataclasses import replace
from pathlib import Path

from lsprotocol import types
from pygls.workspace import Workspace
from support.scripted_openai import ScriptedModelServer
from typer.testing import CliRunner

from hotwire_assist.core.appindex import index_app
from hotwire_assist.core.config import load_config
from hotwire_assist.core.context import CURATED_DIR, ExampleRetriever
from hotwire_assist.core.prompt import context_budget
from hotwire_assist.core.request import CompletionRequest, relative_path, workspace_root
from hotwire_assist.core.telemetry import TelemetryStore
from hotwire_assist.evaluation.runner import fim_task_request
from hotwire_assist.evaluation.tasks import FimTask
from hotwire_assist.server import app as server_app
from hotwire_assist.training.corpus import SourceFile, hole_request

REPO = Path(__file__).resolve().parents[2]
FILE = "app/views/todos/_todo.html.erb"


def _hole(root: Path) -> tuple[str, str, str, int, int]:
    """Cut the rest of the `time_tag` line out of the file on disk, as a user typing it anew sees it:
    (prefix, middle, suffix, 1-based line, 1-based column). Nothing else in the app goes on from `time_tag`,
    so the engine asks the model there (and gathers the prompt's context): an index answer needs none."""
    path = root / FILE
    text = path.read_text()
    marker = text.index("time_tag") + len("time_tag")
    end = text.index("\n", marker)
    prefix, middle, suffix = text[:marker], text[marker:end], text[end:]
    path.write_text(prefix + suffix)
    line = prefix.count("\n") + 1
    col = len(prefix) - (prefix.rfind("\n") + 1) + 1
    return prefix, middle, suffix, line, col


async def _server_request(root: Path, line: int, col: int) -> tuple[CompletionRequest, list]:
    """Through the inline-completion handler of an in-process server (real setup, index and context)."""
    server = server_app.HotwireServer()
    server.protocol._workspace = Workspace(root.as_uri())
    params = types.InitializeParams(capabilities=types.ClientCapabilities(), root_uri=root.as_uri())
    server_app.initialize(server, params)
    await server.build_index()
    uri = (root / FILE).as_uri()
    text = (root / FILE).read_text()
    server.workspace.put_text_document(types.TextDocumentItem(uri=uri, language_id="ruby", version=1, text=text))
    seen = []
    complete = server.engine.complete

    async def spy(doc, request):
        s = await complete(doc, request)
        seen.append(s)
        return s

    server.engine.complete = spy
    position = types.Position(line=line - 1, character=col - 1)
    params = types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=position,
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
    )
    items = await server_app.inline_completion(server, params)
    server.telemetry.close()
    server.engine.close()
    return seen[0].request, items.items


async def test_server_cli_telemetry_training_and_evaluation_build_the_same_request(tmp_path, isolated_user):
    model = ScriptedModelServer(reply=' "todo" do')
    root = tmp_path / "todo_app"
    shutil.copytree(REPO / "examples" / "todo_app", root)
    # the workspace file the editor's server and `complete` must both read (the model, telemetry at code level)
    (root / ".hotwire-assist.toml").write_text(
        f'[model]\nbackend = "openai"\nurl = "{model.url}"\ncontext_size = 131072\n'
        '[completion]\ndebounce_ms = 0\n[telemetry]\nenabled = true\nlevel = "code"\n'
    )
    try:
        prefix, middle, suffix, line, col = _hole(root)
        served, items = await _server_request(root, line, col)
        assert items and items[0].insert_text.strip()

        # the CLI, from a folder below the workspace root
        args = ["complete", f"{root / FILE}:{line}:{col}", "--format", "json"]
        res = await asyncio.to_thread(CliRunner().invoke, server_app_cli(), args)  # its own event loop
        assert res.exit_code == 0, res.output
        out = json.loads(res.stdout)
        assert out["suggestion"] == items[0].insert_text  # what the editor is shown first
        cli = CompletionRequest(**{**out["request"], "context": ()})
        cli_context = [(s["path"], s["text"]) for s in out["request"]["context"]]

        # telemetry's shown event (code level): the path, language, prefix and suffix it recorded
        shown = [e for e in TelemetryStore().events() if e.kind == "shown"]
        assert len(shown) == 1
        recorded = (shown[0].path, shown[0].language, shown[0].prefix, shown[0].suffix)

        # training: the hole as the corpus/fine-tuning cut it, with the app's context sized as served
        config = load_config(root)
        src = SourceFile(FILE, prefix + middle + suffix, root / FILE)
        retriever = ExampleRetriever.from_folder(CURATED_DIR)
        trained = hole_request(
            src, prefix, suffix, index_app(root), context_budget(config.completion.prompt_chars), retriever
        )

        # evaluation: a FIM task of that hole (the model alone: no app context, by design)
        task = FimTask(
            id="t", category="turbo-frames/navigation", path=FILE, prefix=prefix, middle=middle, suffix=suffix
        )
        evaluated = fim_task_request(task)
    finally:
        model.stop()

    assert served.path == FILE and served.language == "erb"
    assert served.prefix == prefix and served.suffix == suffix
    assert served.context and any(s.path.startswith("app/") for s in served.context)  # related files came along
    assert replace(served, context=()) == cli and [(s.path, s.text) for s in served.context] == cli_context
    assert recorded == (served.path, served.language, served.prefix, served.suffix)
    assert trained == served
    assert evaluated == replace(served, context=())
    # and the model was asked with that request: its prompt holds the request's context and hole
    sent = model.requests[0]["prompt"]
    assert served.context[0].text.strip()[:40] in sent and sent.endswith("<fim_middle>")


def server_app_cli():
    from hotwire_assist.cli.main import app

    return app


def test_paths_are_workspace_relative_everywhere(tmp_path):
    app = tmp_path / "shop"
    (app / "app" / "views" / "items").mkdir(parents=True)
    view = app / "app" / "views" / "items" / "show.html.erb"
    view.write_text("<p>\n")
    assert relative_path(view, app) == "app/views/items/show.html.erb"
    assert relative_path(view, None) == "app/views/items/show.html.erb"  # from the Rails app it is in
    assert relative_path(tmp_path / "notes.txt", app) == "notes.txt"  # never a path into the user's home
    assert relative_path("app/x.rb", app) == "app/x.rb"
    assert workspace_root(view) == app
    (app / "app" / ".hotwire-assist.toml").write_text("")
    assert workspace_root(view) == app / "app"  # the nearest workspace file wins


def test_complete_text_output_shows_latency(tmp_path, isolated_user):
    model = ScriptedModelServer(reply="ok")
    root = tmp_path / "todo_app"
    shutil.copytree(REPO / "examples" / "todo_app", root)
    (root / ".hotwire-assist.toml").write_text(f'[model]\nbackend = "openai"\nurl = "{model.url}"\n')
    try:
        res = CliRunner().invoke(server_app_cli(), ["complete", f"{root / FILE}:1:1"])
    finally:
        model.stop()
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("ok\n")
    assert " ms; app/views/todos/_todo.html.erb (erb), " in res.stderr
