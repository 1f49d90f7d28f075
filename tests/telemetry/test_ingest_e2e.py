"""The feedback loop end to end: a scripted editor session over the real LSP (suggest, accept, edit,
dismiss) → events in the store → export bundle → `data ingest-telemetry` → examples and pairs → a tiny
fine-tune on them. Plus ingestion rules on synthetic events, and the store's durability under SIGKILL."""

from __future__ import annotations

import asyncio
import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from conftest import SAMPLE_APP, hotwire_assist_exe
from lsprotocol import types
from pytest_lsp import client_capabilities
from pytest_lsp.client import make_test_lsp_client
from typer.testing import CliRunner

from hotwire_assist.cli.data import data_app
from hotwire_assist.cli.telemetry import telemetry_app
from hotwire_assist.cli.train import train_app
from hotwire_assist.core.schemas import TelemetryEvent, read_examples, read_pairs, write_examples
from hotwire_assist.core.telemetry import TelemetryStore
from hotwire_assist.training.ingest import cap_share, from_events, ingest

runner = CliRunner()
PARTIAL = "app/views/todos/_todo.html.erb"


def _event(sid: str, kind: str, ts: float, **kw) -> TelemetryEvent:
    code = {"path": PARTIAL, "prefix": "<div>\n  ", "suffix": "\n</div>\n", "suggestion": "<%= todo.title %>"}
    return TelemetryEvent(suggestion_id=sid, kind=kind, ts=ts, **{**code, **kw})


def test_only_surviving_accepts_become_examples_and_dismissals_become_pairs():
    events = [
        _event("a", "shown", 1),
        _event("a", "accepted", 2),
        _event("a", "survival", 32, age_s=30, survival=1.0, surviving="<%= todo.title %>"),
        _event("a", "survival", 122, age_s=120, survival=0.9, surviving="<%= todo.title.upcase %>"),
        _event("b", "shown", 3),
        _event("b", "accepted", 4),
        _event("b", "survival", 34, age_s=30, survival=0.1, surviving="<p>rewritten</p>"),
        _event("c", "shown", 5, suggestion="<%= raw todo.title %>"),
        _event("c", "rejected", 6, suggestion="<%= raw todo.title %>"),
        _event("d", "shown", 7),
        _event("d", "ignored", 8),
        _event("e", "accepted", 9, suggestion="<%= params[:q].html_safe %>"),
        _event("e", "survival", 39, age_s=30, survival=1.0, surviving="<%= params[:q].html_safe %>"),
        _event("g", "accepted", 11),
        _event("g", "survival", 41, age_s=30, survival=0.0, surviving=""),  # accepted, then deleted
        TelemetryEvent(suggestion_id="f", kind="accepted", ts=10),  # events level: no code
    ]
    got = from_events("dev-a", events)
    (ex,) = got.examples
    assert ex.middle == "<%= todo.title.upcase %>"  # the latest surviving, user-edited text
    assert ex.source == "telemetry:dev-a:a" and ex.path == PARTIAL
    pairs = {p.id: p for p in got.pairs}
    dismissed = pairs["telemetry:dev-a:c"]
    assert dismissed.rejected == "<%= raw todo.title %>" and dismissed.chosen == ""
    # accepted then corrected: chosen = what the developer kept, rejected = the suggestion
    edited = pairs["telemetry:dev-a:a:corrected"]
    assert (edited.chosen, edited.rejected) == ("<%= todo.title.upcase %>", "<%= todo.title %>")
    rewritten = pairs["telemetry:dev-a:b:corrected"]  # too changed for an example, still a pair
    assert (rewritten.chosen, rewritten.rejected) == ("<p>rewritten</p>", "<%= todo.title %>")
    deleted = pairs["telemetry:dev-a:g:deleted"]
    assert (deleted.chosen, deleted.rejected) == ("", "<%= todo.title %>") and deleted.source == "telemetry:dev-a:g"
    assert len(pairs) == 4
    assert got.skipped == {
        "accepted, then mostly rewritten (kept as a pair)": 2,
        "not accepted or dismissed (ignored, partial or pending)": 1,
        "reconstructed file fails the rules engine": 1,
        "no code (events level)": 1,
    }


def test_one_developers_share_is_capped_and_duplicates_are_dropped():
    assert {d: len(v) for d, v in cap_share({"a": list(range(10)), "b": [1, 2]}, 8, 0.25).items()} == {"a": 3, "b": 2}

    def accepted(dev: str, n: int) -> list[TelemetryEvent]:
        out = []
        for k in range(n):
            line = f"<%= link_to todo.title, todo_path(todo), class: 'item-{dev}-{k}', id: 'x{k}' %>"
            out += [
                _event(f"{dev}{k}", "accepted", k, suggestion=line),  # kept as suggested: no correction pair
                _event(f"{dev}{k}", "survival", k + 30, age_s=30, survival=1.0, surviving=line, suggestion=line),
            ]
        return out

    got = ingest([("alice", accepted("alice", 6)), ("bob", accepted("bob", 2))], max_share=0.5)
    by_dev = {d: sum(ex.source.startswith(f"telemetry:{d}:") for ex in got.examples) for d in ("alice", "bob")}
    assert by_dev["alice"] <= 0.5 * len(got.examples) and by_dev["bob"] == 2
    assert got.skipped["over the developer's share cap"] == 6 - by_dev["alice"]

    twice = ingest([("alice", accepted("alice", 1)), ("carol", accepted("alice", 1))], max_share=1.0)
    assert len(twice.examples) == 1 and twice.skipped["near-duplicate of an existing example"] == 1


def test_a_writer_killed_mid_stream_loses_no_committed_event(tmp_path):
    store_path = tmp_path / "t.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys
        from hotwire_assist.core.schemas import TelemetryEvent
        from hotwire_assist.core.telemetry import TelemetryStore
        store = TelemetryStore({str(store_path)!r})
        for n in range(1000):
            store.record(TelemetryEvent(suggestion_id=f"s{{n}}", kind="shown", ts=float(n), prefix="x" * 2000))
            print(n, flush=True)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    committed = []
    for line in proc.stdout:  # type: ignore[union-attr]
        committed.append(int(line))
        if len(committed) == 300:
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    db = sqlite3.connect(store_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
    with TelemetryStore(store_path) as store:
        ids = {e.suggestion_id for e in store.events()}
    assert {f"s{n}" for n in committed} <= ids


@pytest.mark.slow
async def test_editor_session_to_dataset_to_fine_tune(server_env, isolated_user, tiny_model, tmp_path):
    app = tmp_path / "todo_app"
    shutil.copytree(SAMPLE_APP, app)
    config = tmp_path / "user.toml"
    config.write_text('[telemetry]\nenabled = true\nlevel = "code"\nsurvival_ages_s = [0.3, 0.6, 0.9]\n')
    env = dict(server_env, HOTWIRE_ASSIST_CONFIG=str(config))
    client = make_test_lsp_client()
    await client.start_io(hotwire_assist_exe(), "serve", env=env)
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=app.as_uri(),
            workspace_folders=[types.WorkspaceFolder(app.as_uri(), "todo_app")],
        )
    )
    uri = (app / PARTIAL).as_uri()
    before, after = '<div id="<%= dom_id(todo) %>">\n  ', "\n</div>\n"
    edited = '<%= link_to todo.title, todo_path(todo), data: { turbo_frame: "_top" } %>'

    async def suggest(version: int, text: str, line: int, col: int) -> types.InlineCompletionItem:
        result = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                context=types.InlineCompletionContext(types.InlineCompletionTriggerKind.Invoked),
                text_document=types.TextDocumentIdentifier(uri),
                position=types.Position(line, col),
            )
        )
        assert result and result.items, f"no suggestion at version {version}"
        return result.items[0]

    def change(version: int, text: str) -> None:
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                types.VersionedTextDocumentIdentifier(version=version, uri=uri),
                [types.TextDocumentContentChangeWholeDocument(text)],
            )
        )

    try:
        text = before + after
        client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "erb", 1, text)))
        item = await suggest(1, text, 1, 2)
        accepted_id = item.command.arguments[0]
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="hotwire-assist.accepted", arguments=item.command.arguments)
        )
        change(2, before + str(item.insert_text) + after)  # the editor inserts the ghost text
        change(3, before + edited + after)  # the developer rewrites it
        await asyncio.sleep(1.2)
        change(4, before + edited + after + "\n")  # any edit runs the due survival checks

        item = await suggest(4, "", 3, 0)
        dismissed_id = item.command.arguments[0]
        client.protocol.notify("hotwire-assist/dismissed", {"id": dismissed_id})
        await asyncio.sleep(0.3)
    finally:
        await client.shutdown_session()
        await client.stop()

    bundle = tmp_path / "bundle.jsonl"
    assert runner.invoke(telemetry_app, ["export", str(bundle), "--developer", "dev-1"]).exit_code == 0
    kinds = [json.loads(line).get("kind") for line in bundle.read_text().splitlines()[1:]]
    assert kinds.count("survival") == 3 and "rejected" in kinds and "accepted" in kinds

    examples, pairs = tmp_path / "tel.jsonl", tmp_path / "tel-pairs.jsonl"
    args = ["ingest-telemetry", str(bundle), "--out", str(examples), "--pairs-out", str(pairs), "--min-survival", "0"]
    result = runner.invoke(data_app, [*args, "--max-share", "1"])
    assert result.exit_code == 0, result.output
    (ex,) = read_examples(examples)
    assert ex.middle == edited and ex.source == f"telemetry:dev-1:{accepted_id}" and ex.path == PARTIAL
    assert ex.prefix == before and ex.suffix == after  # the file around the hole when it was shown
    got = {p.id: p for p in read_pairs(pairs)}
    assert got[f"telemetry:dev-1:{dismissed_id}"].rejected and not got[f"telemetry:dev-1:{dismissed_id}"].chosen
    corrected = got[f"telemetry:dev-1:{accepted_id}:corrected"]  # accepted, then rewritten: a full pair
    assert corrected.chosen == edited and corrected.rejected and len(got) == 2

    curated = tmp_path / "curated.jsonl"
    write_examples(curated, [ex.model_copy(update={"id": f"c{n}", "source": "test"}) for n in range(4)])
    out = tmp_path / "adapter"
    args = ["finetune", str(tiny_model / "hf"), "--data", str(examples), "--data", str(curated), "--pairs", str(pairs)]
    result = runner.invoke(train_app, [*args, "--out", str(out), "--steps", "2", "--max-len", "256"])
    assert result.exit_code == 0, result.output
    info = json.loads((out / "train.json").read_text())
    assert info["data"]["pairs"] == [str(pairs)] and info["items"]["train"] >= 1


def test_dismissals_are_capped_as_a_share_of_the_pairs_they_join():
    from hotwire_assist.training.dataset import curated_pairs

    curated = list(read_pairs(curated_pairs()))
    events = []
    for k in range(10):
        bad = f"<%= raw todo.note_{k} %>"
        events += [_event(f"d{k}", "shown", k, suggestion=bad), _event(f"d{k}", "rejected", k + 0.5, suggestion=bad)]
    got = ingest([("alice", events)], max_share=0.1, existing_pairs=curated)
    assert len(got.pairs) == int(0.1 * (len(curated) + len(got.pairs)))  # the newest dismissals, within 10 %
    assert got.pairs[-1].id == "telemetry:alice:d9"
    assert len(ingest([("alice", events)], max_share=1.0, existing_pairs=curated).pairs) == 10
