"""The installed `hotwire-assist serve` driven over stdio by a real LSP client (pytest-lsp)."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess

import pytest
from conftest import SAMPLE_APP, hotwire_assist_exe
from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client
from support.ollama_api import OllamaAPIServer
from support.raw_lsp import RawLSP

CREATE = SAMPLE_APP / "app/views/todos/create.turbo_stream.erb"


async def start(env: dict[str, str], options: dict | None = None, capabilities=None):
    client = make_test_lsp_client()
    await client.start_io(hotwire_assist_exe(), "serve", env=env)
    result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities or client_capabilities("visual-studio-code"),
            root_uri=SAMPLE_APP.as_uri(),
            workspace_folders=[types.WorkspaceFolder(SAMPLE_APP.as_uri(), "todo_app")],
            initialization_options=options,
        )
    )
    return client, result


async def stop(client) -> None:
    await client.shutdown_session()
    await client.stop()


def open_doc(client, path, text: str, version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "ruby", version, text)))
    return uri


def edit(client, uri: str, version: int, where: types.Range, text: str) -> None:
    change = types.TextDocumentContentChangePartial(range=where, text=text)
    identifier = types.VersionedTextDocumentIdentifier(version=version, uri=uri)
    client.text_document_did_change(types.DidChangeTextDocumentParams(identifier, [change]))


async def inline(client, uri: str, line: int, character: int) -> list[types.InlineCompletionItem]:
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Invoked),
            text_document=types.TextDocumentIdentifier(uri),
            position=types.Position(line, character),
        )
    )
    return list(result.items if isinstance(result, types.InlineCompletionList) else result or [])


@pytest.fixture
async def lsp(server_env):
    client, result = await start(server_env)
    client.init_result = result
    yield client
    await stop(client)


async def test_inline_completions_over_stdio(lsp):
    assert lsp.init_result.capabilities.inline_completion_provider is not None
    uri = open_doc(lsp, CREATE, "<%= turbo_stream.\n")
    items = await inline(lsp, uri, 0, len("<%= turbo_stream."))
    assert 1 <= len(items) <= 3 and all(i.insert_text.strip() for i in items)  # the client cycles through them
    assert all(i.command.command == "hotwire-assist.accepted" for i in items)
    await lsp.workspace_execute_command_async(
        types.ExecuteCommandParams(command="hotwire-assist.accepted", arguments=items[0].command.arguments)
    )


async def test_completion_items_for_clients_without_inline_support(server_env):
    """Clients with inline completion get the model's suggestion as ghost text only; others as an item.
    The index's deterministic items (here: stream actions) go to every client."""
    inline_caps = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(inline_completion=types.InlineCompletionClientCapabilities())
    )
    for caps, expect_item in ((inline_caps, False), (types.ClientCapabilities(), True)):
        client, _ = await start(server_env, capabilities=caps)
        try:
            uri = open_doc(client, CREATE, "<%= turbo_stream.\n")
            here = types.Position(0, len("<%= turbo_stream."))
            result = await client.text_document_completion_async(
                types.CompletionParams(types.TextDocumentIdentifier(uri), here)
            )
            model_items = [i for i in result.items if i.detail == "hotwire-assist"]
            assert {i.label for i in result.items} >= {"append", "replace"}  # index items: every client
            assert bool(model_items) == expect_item
            if expect_item:
                edit = model_items[0].text_edit
                assert edit.range.start == here and edit.new_text.strip()
        finally:
            await stop(client)


async def test_an_edit_cancels_the_request_in_flight(server_env):
    env = dict(server_env, HOTWIRE_ASSIST_COMPLETION_DEBOUNCE_MS="300")
    client, _ = await start(env)
    try:
        uri = open_doc(client, CREATE, "<%= turbo_stream.\n")
        pending = asyncio.ensure_future(inline(client, uri, 0, len("<%= turbo_stream.")))
        await asyncio.sleep(0.05)
        edit(client, uri, 2, types.Range(types.Position(1, 0), types.Position(1, 0)), "x")
        assert await pending == []  # superseded: never shown
        edit(client, uri, 3, types.Range(types.Position(1, 0), types.Position(1, 1)), "")  # back to the start
        assert (await inline(client, uri, 0, len("<%= turbo_stream.")))[0].insert_text.strip()
    finally:
        await stop(client)


def test_requests_with_undeserializable_params_get_an_error(server_env):
    with RawLSP([hotwire_assist_exe(), "serve"], server_env) as raw:
        raw.request(1, "initialize", {"capabilities": {}, "rootUri": SAMPLE_APP.as_uri()})
        raw.notify("initialized", {})
        assert raw.request(2, "textDocument/inlineCompletion", 42)["error"]["code"] == -32602
        assert raw.request(3, "textDocument/hover", None)["error"]["code"] in (-32602, -32601)
        assert raw.request(4, "bogus/method", {})["error"]["code"] == -32601
        raw.send_body(b"{not json")
        assert raw.read()["error"]["code"] == -32700
        status = raw.request(5, "hotwire-assist/status", None)["result"]
        assert status["backend"] == "llama_cpp" and status["healthy"]


async def test_private_files_are_never_sent_to_the_model(lsp):
    uri = open_doc(lsp, SAMPLE_APP / ".env.development", "SECRET_KEY=\n")
    assert await inline(lsp, uri, 0, len("SECRET_KEY=")) == []


async def test_backend_down_then_back_the_server_survives_and_recovers(tiny_model, server_env):
    api = OllamaAPIServer(tiny_model / "model.gguf")
    port = api.port
    env = dict(
        server_env,
        HOTWIRE_ASSIST_MODEL_BACKEND="ollama",
        HOTWIRE_ASSIST_MODEL_NAME="hotwire-tiny",
        HOTWIRE_ASSIST_MODEL_URL=api.url,
        HOTWIRE_ASSIST_MODEL_TIMEOUT_S="5",
        # the fake streams a token per HTTP chunk (slow on a loaded machine); the prompt, fitted to the tiny
        # model's 256-token window, leaves it no context to stop early, so a short answer stays in the timeout
        HOTWIRE_ASSIST_MODEL_MAX_TOKENS="8",
    )
    client, _ = await start(env)
    try:
        uri = open_doc(client, CREATE, "<%= turbo_stream.\n")
        col = len("<%= turbo_stream.")
        assert (await inline(client, uri, 0, col))[0].insert_text.strip()
        api.stop()
        # where no index or retrieval candidate answers, the model is asked: down, so nothing is shown
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
        uri = open_doc(client, CREATE, "<%= zq_frobnicate(\n")
        assert await inline(client, uri, 0, len("<%= zq_frobnicate(")) == []
        assert await inline(client, uri, 0, len("<%= zq_frobnicate")) == []
        warnings = [m.message for m in client.messages if "cannot reach Ollama" in m.message]
        assert len(warnings) == 1, "told once per episode, not per keystroke"
        api = OllamaAPIServer(tiny_model / "model.gguf", port=port)
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
        uri = open_doc(client, CREATE, "<%= zq_frobnicate(\n")  # only the model answers here
        await inline(client, uri, 0, len("<%= zq_frobnicate("))
        assert any("answering again" in m.message for m in client.messages)
    finally:
        await stop(client)
        api.stop()


def test_complete_cli_prints_a_suggestion(server_env, tmp_path):
    # The rest of the line is cut on disk, as when the user is typing it (a complete line has nothing to add).
    app = shutil.copytree(SAMPLE_APP, tmp_path / "app")
    create = app / CREATE.relative_to(SAMPLE_APP)
    lines = create.read_text().splitlines(keepends=True)
    create.write_text("<%= turbo_stream.\n" + "".join(lines[1:]))
    out = subprocess.run(
        [hotwire_assist_exe(), "complete", f"{create}:1:18", "--format", "json"],
        env=server_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["suggestion"].strip()


def test_complete_cli_rejects_a_bad_position(server_env):
    out = subprocess.run(
        [hotwire_assist_exe(), "complete", f"{CREATE}:99:1"], env=server_env, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2 and "no such position" in out.stderr


def test_doctor_checks_the_fim_tokens(server_env):
    out = subprocess.run(
        [hotwire_assist_exe(), "doctor", "--format", "json"], env=server_env, capture_output=True, text=True, timeout=60
    )
    checks = {c["name"]: c for c in json.loads(out.stdout)["checks"]}
    assert checks["fim tokens"]["ok"] and "all present" in checks["fim tokens"]["detail"]
    bad = dict(server_env, HOTWIRE_ASSIST_MODEL_FAMILY="qwen2.5-coder")
    out = subprocess.run(
        [hotwire_assist_exe(), "doctor", "--format", "json"], env=bad, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 1 and "missing: <|fim_prefix|>" in out.stdout


async def test_rules_findings_arrive_as_diagnostics_with_quick_fixes(lsp):
    path = SAMPLE_APP / "app/views/todos/_legacy.html.erb"
    uri = open_doc(lsp, path, '<%= link_to "Delete", todo_path(todo), method: :delete %>\n')
    await asyncio.wait_for(lsp.wait_for_notification("textDocument/publishDiagnostics"), 60)
    diagnostics = lsp.diagnostics[uri]
    ujs = [d for d in diagnostics if d.code == "ujs/method-delete"]
    assert ujs, [d.code for d in diagnostics]
    actions = await lsp.text_document_code_action_async(
        types.CodeActionParams(types.TextDocumentIdentifier(uri), ujs[0].range, types.CodeActionContext(ujs))
    )
    new_text = actions[0].edit.changes[uri][0].new_text
    assert "turbo_method" in new_text
