"""The server opens network connections only to the configured model host (an audit hook in its process)."""

from __future__ import annotations

import json
import os

from hardening.conftest import fake_backend_env, start_server
from hardening.fake_model import FakeModelServer

SITECUSTOMIZE = """
import json, os, sys

def _log_connects(event, args):
    if event == "socket.connect":
        with open(os.environ["HOTWIRE_EGRESS_LOG"], "a") as f:
            f.write(json.dumps(args[1] if isinstance(args[1], (str, tuple)) else repr(args[1])) + "\\n")

sys.addaudithook(_log_connects)
"""


def test_connections_go_only_to_the_configured_model_host(tmp_path):
    hook = tmp_path / "hook"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "connects.jsonl"
    fake = FakeModelServer(reply="ZZZ")
    app = tmp_path / "app"
    (app / "app/views/todos").mkdir(parents=True)
    (app / "Gemfile").write_text('gem "rails"\ngem "turbo-rails"\n')
    env = fake_backend_env(tmp_path, fake.url)
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(hook), env.get("PYTHONPATH")])), HOTWIRE_EGRESS_LOG=str(log)
    )
    lsp = start_server(env, app)
    try:
        uri = (app / "app/views/todos/index.html.erb").as_uri()
        doc = {"uri": uri, "languageId": "erb", "version": 1, "text": '<%= turbo_frame_tag "x" do %>\n'}
        lsp.notify("textDocument/didOpen", {"textDocument": doc})
        params = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 5}, "context": {"triggerKind": 1}}
        for i in range(3):
            lsp.request(f"i{i}", "textDocument/inlineCompletion", params)
        lsp.request(
            "c", "textDocument/completion", {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 5}}
        )
        lsp.request("s", "hotwire-assist/status", None)
    finally:
        lsp.__exit__()
        fake.stop()
    targets = [json.loads(line) for line in log.read_text().splitlines()]
    assert targets, "the hook saw no connection at all (is it installed?)"
    inet = [tuple(t[:2]) for t in targets if isinstance(t, list)]
    assert set(inet) == {("127.0.0.1", fake.port)}, targets
    assert all(isinstance(t, list) for t in targets), f"unexpected non-IP connections: {targets}"
