"""Bad configuration and odd workspaces: a clear message, defaults where needed, never a crash."""

from __future__ import annotations

import json
import os
import threading

import pytest
from hardening.conftest import fake_backend_env, record_stats, start_server
from hardening.fake_model import FakeModelServer

from hotwire_assist.core.appindex import index_app, iter_app_files


@pytest.fixture(scope="module")
def fake():
    server = FakeModelServer(reply="ZZZ")
    yield server
    server.stop()


def ask(lsp, path) -> list:
    uri = path.as_uri()
    doc = {"uri": uri, "languageId": "ruby", "version": 1, "text": "class Todo\n  \nend\n"}
    lsp.notify("textDocument/didOpen", {"textDocument": doc})
    params = {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 2}, "context": {"triggerKind": 1}}
    return lsp.request("ask", "textDocument/inlineCompletion", params)["result"]["items"]


@pytest.mark.parametrize(
    ("name", "write", "says"),
    [
        ("invalid TOML", lambda p: p.write_text("[model\nbackend = "), "not valid TOML"),
        ("unreadable config", lambda p: p.mkdir(), "not valid TOML"),
        ("bad value", lambda p: p.write_text("[completion]\ndebounce_ms = -5\n"), "'completion.debounce_ms'"),
        ("misspelt key", lambda p: p.write_text("[model]\nbackedn = 'x'\n"), "'model.backedn': unknown setting"),
    ],
)
def test_a_bad_user_config_is_one_clear_message_and_the_server_keeps_working(tmp_path, fake, name, write, says):
    env = fake_backend_env(tmp_path, fake.url)
    write(tmp_path / "config.toml")
    lsp = start_server(env, tmp_path)
    try:
        assert lsp.request("s", "hotwire-assist/status", None)["result"]["enabled"]
        shown = lsp.messages_shown()
        assert len(shown) == 1 and says in shown[0] and "Using defaults" in shown[0], shown
        record_stats("config.json", {name: f"one message: {shown[0][:80]}"})
    finally:
        lsp.__exit__()


def test_a_workspace_that_is_not_a_rails_app_or_does_not_exist(tmp_path, fake):
    for root in (tmp_path / "plain", tmp_path / "gone"):
        if root.name == "plain":
            root.mkdir()
            (root / "notes.txt").write_text("hello\n")
        lsp = start_server(fake_backend_env(tmp_path, fake.url), root)
        try:
            assert [i["insertText"] for i in ask(lsp, root / "x.rb")] == ["ZZZ"]
            assert lsp.proc.poll() is None
        finally:
            lsp.__exit__()
    record_stats("config.json", {"workspace not a Rails app / missing": "serves completions, no crash"})


def test_files_outside_the_workspace(tmp_path, fake):
    root, outside = tmp_path / "app", tmp_path / "elsewhere"
    root.mkdir()
    outside.mkdir()
    lsp = start_server(fake_backend_env(tmp_path, fake.url), root)
    try:
        assert [i["insertText"] for i in ask(lsp, outside / "lib.rb")] == ["ZZZ"]
        assert lsp.request("s", "hotwire-assist/status", None)["result"]["healthy"]
    finally:
        lsp.__exit__()
    record_stats("config.json", {"file outside the workspace": "served, no crash"})


def symlink_loops(root):
    """An app whose tree loops back on itself twice (each loop doubles the paths a naive walk visits)."""
    (root / "app/views/todos").mkdir(parents=True)
    (root / "Gemfile").write_text('gem "rails"\n')
    (root / "app/views/todos/index.html.erb").write_text('<%= turbo_frame_tag "todos" %>\n')
    os.symlink("..", root / "app/views/up")
    os.symlink("../..", root / "app/views/todos/top")
    os.symlink("missing-target", root / "app/dangling")
    return root


def test_symlink_loops_in_the_workspace_are_walked_once(tmp_path):
    root = symlink_loops(tmp_path / "looped")
    result: list = []
    walker = threading.Thread(target=lambda: result.append(iter_app_files(root)), daemon=True)
    walker.start()
    walker.join(30)
    assert result, "the walk did not finish: it follows symlink loops"
    assert [p.name for p in result[0]].count("index.html.erb") == 1
    assert '"todos"' in json.dumps(index_app(root).to_json()["frames"]), "the app behind the loops is still indexed"
    record_stats("config.json", {"symlink loops": f"walked once ({len(result[0])} files)"})


def test_the_server_starts_in_a_workspace_with_symlink_loops(tmp_path, fake):
    root = symlink_loops(tmp_path / "looped")
    lsp = start_server(fake_backend_env(tmp_path, fake.url), root)
    try:
        assert [i["insertText"] for i in ask(lsp, root / "app/models/todo.rb")] == ["ZZZ"]
    finally:
        lsp.__exit__()
