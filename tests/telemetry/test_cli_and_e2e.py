"""The `telemetry` CLI, and the real server over stdio writing shown + accepted events."""

from __future__ import annotations

import json
import tomllib

import pytest
from conftest import SAMPLE_APP, hotwire_assist_exe
from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client
from typer.testing import CliRunner

from hotwire_assist.cli.telemetry import set_enabled_in_toml, telemetry_app
from hotwire_assist.core.config import load_config, user_config_path
from hotwire_assist.core.schemas import TelemetryEvent
from hotwire_assist.core.telemetry import TelemetryStore, default_store_path, developer_id, read_bundle

runner = CliRunner()


def test_enable_and_disable_keep_the_rest_of_the_user_config(isolated_user):
    path = user_config_path()
    path.write_text('# my settings\n[model]\nbackend = "ollama"  # local\n\n[telemetry]\nlevel = "code"\n')
    assert runner.invoke(telemetry_app, ["enable"]).exit_code == 0
    text = path.read_text()
    assert text.startswith('# my settings\n[model]\nbackend = "ollama"  # local\n')
    assert tomllib.loads(text)["telemetry"] == {"enabled": True, "level": "code"}
    assert load_config(None).telemetry.enabled
    assert runner.invoke(telemetry_app, ["disable"]).exit_code == 0
    assert tomllib.loads(path.read_text())["telemetry"] == {"enabled": False, "level": "code"}


def test_set_enabled_in_toml_adds_the_section_when_missing():
    assert tomllib.loads(set_enabled_in_toml("", True)) == {"telemetry": {"enabled": True}}
    out = set_enabled_in_toml('[telemetry]\nenabled = true\n[privacy]\nexclude = ["*.secret"]\n', False)
    assert tomllib.loads(out) == {"telemetry": {"enabled": False}, "privacy": {"exclude": ["*.secret"]}}


def test_status_show_export_purge(isolated_user, tmp_path):
    result = runner.invoke(telemetry_app, ["status", "--format", "json"])
    assert result.exit_code == 0 and '"enabled": false' in result.output
    assert not default_store_path().exists()  # reading never creates the store
    with TelemetryStore() as store:
        store.record(TelemetryEvent(suggestion_id="s1", kind="shown", ts=1.0))
        store.record(TelemetryEvent(suggestion_id="s1", kind="accepted", ts=2.0))
    assert '"acceptance_rate": 1.0' in runner.invoke(telemetry_app, ["status", "--format", "json"]).output
    assert "accepted" in runner.invoke(telemetry_app, ["show"]).output
    out = tmp_path / "events.jsonl"
    assert runner.invoke(telemetry_app, ["export", str(out)]).exit_code == 0
    developer, events = read_bundle(out)
    assert [e.kind for e in events] == ["shown", "accepted"] and developer == developer_id()
    assert len(developer) == 12 and json.loads(out.read_text().splitlines()[0])["version"] == 1
    assert "2 events deleted" in runner.invoke(telemetry_app, ["purge", "--yes"]).output


def test_redact_prints_what_would_be_stored(tmp_path):
    f = tmp_path / "snippet.rb"
    f.write_text('url = "postgres://admin:s3cr3tP4ss@db/app"\nputs url\n')
    result = runner.invoke(telemetry_app, ["redact", str(f)])
    assert result.exit_code == 0
    assert result.stdout == 'url = "postgres://admin:[REDACTED:url-password]@db/app"\nputs url\n'


@pytest.mark.slow
async def test_the_real_server_records_shown_and_accepted(server_env, isolated_user):
    env = dict(server_env, HOTWIRE_ASSIST_TELEMETRY_ENABLED="true")
    client = make_test_lsp_client()
    await client.start_io(hotwire_assist_exe(), "serve", env=env)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=SAMPLE_APP.as_uri(),
            workspace_folders=[types.WorkspaceFolder(SAMPLE_APP.as_uri(), "todo_app")],
        )
    )
    try:
        uri = (SAMPLE_APP / "app/views/todos/create.turbo_stream.erb").as_uri()
        text = "<%= turbo_stream.\n"
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "ruby", 1, text)))
        result = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Invoked),
                text_document=types.TextDocumentIdentifier(uri),
                position=types.Position(0, len("<%= turbo_stream.")),
            )
        )
        item = result.items[0]  # the first of up to three (the client cycles through them)
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="hotwire-assist.accepted", arguments=item.command.arguments)
        )
    finally:
        await client.shutdown_session()
        await client.stop()
    with TelemetryStore(isolated_user / "data" / "telemetry.sqlite3") as store:
        events = store.events()
    sid = item.command.arguments[0]
    assert [(e.kind, e.suggestion_id) for e in events] == [("shown", sid), ("accepted", sid)]
    assert events[0].backend == "llama_cpp" and events[0].prompt_format == "hotwire-tiny" and events[0].model
    assert events[0].prefix == ""  # the default level records no code


def test_a_corrupt_store_is_set_aside_with_a_message_and_a_newer_one_refused(isolated_user):
    path = default_store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    result = runner.invoke(telemetry_app, ["status"])
    assert result.exit_code == 0 and "was corrupt: it was moved to" in result.output
    assert list(path.parent.glob("telemetry.sqlite3.corrupt-*"))
    with TelemetryStore() as store:
        store._db.execute("PRAGMA user_version = 99")
    result = runner.invoke(telemetry_app, ["status"])
    assert result.exit_code == 1 and "cannot open the telemetry store" in result.output and "newer" in result.output
