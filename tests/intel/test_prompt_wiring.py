"""The running server puts the related-file context into the prompt it sends the model.

Tested through the server as an editor drives it (stdio, `initialize`, `didOpen`, an inline completion
request) against a fake OpenAI-compatible model that records each prompt: the wiring under test is the
server's own (setup -> engine.context_provider -> prompt_context -> the context cache), not a copy of it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hardening.conftest import fake_backend_env, start_server
from hardening.fake_model import FakeModelServer

INTEL = Path(__file__).resolve().parents[1] / "fixtures" / "intel_app"


@pytest.fixture
def model():
    server = FakeModelServer(reply='append "project_tasks", @task')
    yield server
    server.stop()


def ask(lsp, path: Path, text: str, line: int, character: int) -> list[dict]:
    uri = path.as_uri()
    doc = {"uri": uri, "languageId": "erb", "version": 1, "text": text}
    lsp.notify("textDocument/didOpen", {"textDocument": doc})
    params = {
        "textDocument": {"uri": uri},
        "position": {"line": line, "character": character},
        "context": {"triggerKind": 1},
    }
    return lsp.request(f"ask-{path.name}", "textDocument/inlineCompletion", params)["result"]["items"]


def test_the_servers_context_reaches_the_prompt(model, tmp_path):
    root = tmp_path / "app_root"
    shutil.copytree(INTEL, root)
    lsp = start_server(fake_backend_env(tmp_path, model.url, completion_prompt_chars="6000"), root)
    try:
        view = root / "app/views/tasks/create.turbo_stream.erb"
        items = ask(lsp, view, "<%= turbo_stream. %>\n", 0, len("<%= turbo_stream."))
        assert [i["insertText"] for i in items] == ['append "project_tasks", @task']
        prompt = model.prompts[-1]
        assert "class TasksController" in prompt  # the view's controller, a Rails neighbour from the index
        assert prompt.index("app/controllers/tasks_controller.rb") < prompt.rindex("<%= turbo_stream.")
        # a file the index does not know has no neighbours: its prompt holds no other app file
        lone = root / "app/views/none/lone.html.erb"
        lone.parent.mkdir(parents=True)
        ask(lsp, lone, "<div>\n", 1, 0)
        assert "class TasksController" not in model.prompts[-1]
    finally:
        lsp.__exit__()
