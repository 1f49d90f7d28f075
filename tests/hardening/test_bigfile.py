"""Big files: per-document work is capped with one message, runs off the event loop, and the server keeps
answering while it runs; incremental edits of big documents are spliced in exactly as pygls would."""

from __future__ import annotations

import json
import time

import pytest
from hardening.conftest import fake_backend_env, start_server
from hardening.fake_model import FakeModelServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lsprotocol import types
from pygls.workspace import TextDocument

from hotwire_assist.server.documents import MAX_DOCUMENT_CHARS, SPLICE_FROM_CHARS, LspTextDocument

ROW = '<div id="row_{n}" data-controller="row">\n  <%= link_to "é😀 {n}", item_path({n}) %>\n</div>\n'


def view_of(chars: int) -> str:
    out, n = [], 0
    while sum(map(len, out)) < chars:
        out.append(ROW.format(n=n))
        n += 1
    return "".join(out)


@pytest.fixture(scope="module")
def model():
    server = FakeModelServer(reply="ZZZ")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    (root / "Gemfile").write_text('gem "rails"\n')
    (root / "app" / "views").mkdir(parents=True)
    return root


def test_a_document_over_the_cap_gets_one_message_and_no_work_and_the_server_keeps_answering(model, ws, tmp_path):
    lsp = start_server(fake_backend_env(tmp_path, model.url), ws)
    try:
        lsp.request("mon", "hotwire-assist/internals", {"loop_monitor": True})
        uri = (ws / "app/views/big.html.erb").as_uri()
        text = view_of(MAX_DOCUMENT_CHARS * 8)  # ~1 MB
        doc = {"uri": uri, "languageId": "erb", "version": 1, "text": text}
        lsp.notify("textDocument/didOpen", {"textDocument": doc})
        line = text.count("\n") // 2
        bodies = []
        for k in range(10):
            pos = {"line": line, "character": k}
            change = {"range": {"start": pos, "end": pos}, "text": "x"}
            edit = {"textDocument": {"uri": uri, "version": k + 2}, "contentChanges": [change]}
            bodies.append(json.dumps({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": edit}).encode())
            ask = {"textDocument": {"uri": uri}, "position": pos, "context": {"triggerKind": 2}}
            msg = {"jsonrpc": "2.0", "id": f"i{k}", "method": "textDocument/inlineCompletion", "params": ask}
            bodies.append(json.dumps(msg).encode())
            items = {"textDocument": {"uri": uri}, "position": pos}
            bodies.append(
                json.dumps(
                    {"jsonrpc": "2.0", "id": f"c{k}", "method": "textDocument/completion", "params": items}
                ).encode()
            )
        lsp.send_bodies(bodies)
        started = time.monotonic()
        answers: dict = {}
        while len(answers) < 20:
            msg = lsp.read(timeout=30)
            if "id" in msg and "method" not in msg:
                answers[msg["id"]] = msg
        assert time.monotonic() - started < 30
        assert all(a["result"]["items"] == [] for a in answers.values())  # no suggestion, no item
        status = lsp.request("st", "hotwire-assist/status", None)
        assert status["result"]["backend"] == "openai"
        internals = lsp.request("in", "hotwire-assist/internals", None)["result"]
        shown = [m for m in lsp.messages_shown() if "big.html.erb" in m]
        assert len(shown) == 1 and "over the 128 KB limit" in shown[0], lsp.messages_shown()
        assert not [n for n in lsp.notifications if n["method"] == "textDocument/publishDiagnostics"]
        # The monitor ran the whole time; 1 MB documents were opened and edited ten times meanwhile.
        assert internals["loop_lag_samples"] > 10
        # Indexing or checking 1 MB on the loop blocked it for seconds (the issue saw 40 s at 2 MB). The bound
        # is loose because a shared CI machine's own load shows as lag too (an idle server measured 81 ms at a
        # load of 15 on 2 cores); benchmarks/bench_bigfile.py measures the figure against an idle baseline.
        assert internals["loop_lag_max_ms"] < 1000, internals
        assert model.prompts == []  # nothing reached the model
    finally:
        lsp.__exit__()


def test_a_document_under_the_cap_is_checked_in_the_worker_and_status_answers_meanwhile(model, ws, tmp_path):
    lsp = start_server(fake_backend_env(tmp_path, model.url), ws)
    try:
        uri = (ws / "app/views/under.html.erb").as_uri()
        text = view_of(MAX_DOCUMENT_CHARS - 4096) + '<turbo-frame id="x">\n'  # unclosed: a finding at the end
        lsp.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "erb", "version": 1, "text": text}}
        )
        waited = []
        for n in range(5):  # the rules run meanwhile: each status is answered on its own
            t = time.monotonic()
            lsp.request(f"s{n}", "hotwire-assist/status", None)
            waited.append(time.monotonic() - t)
        deadline = time.monotonic() + 60
        while not [n for n in lsp.notifications if n["method"] == "textDocument/publishDiagnostics"]:
            lsp.read(timeout=max(0.1, deadline - time.monotonic()))
        assert max(waited) < 2, waited
        assert not [m for m in lsp.messages_shown() if "limit" in m]
    finally:
        lsp.__exit__()


edits = st.tuples(st.integers(0, 10**6), st.integers(0, 40), st.sampled_from(["", "x", "é", "😀", "a\nb", "\n"]))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edits, min_size=1, max_size=8), st.integers(0, 120))
def test_big_documents_take_incremental_edits_exactly_as_pygls_does(script, column):
    text = view_of(SPLICE_FROM_CHARS + 1000)
    ours = LspTextDocument("file:///a.erb", source=text, version=1)
    theirs = TextDocument("file:///a.erb", source=text, version=1)
    lines = text.count("\n")
    for seed, width, new in script:
        line = seed % (lines + 1)
        start = types.Position(line, column)
        end = types.Position(min(lines, line + width // 20), (column + width) % 130)
        if (end.line, end.character) < (start.line, start.character):
            start, end = end, start
        change = types.TextDocumentContentChangePartial(range=types.Range(start, end), text=new)
        ours.apply_change(change)
        theirs.apply_change(types.TextDocumentContentChangePartial(range=types.Range(start, end), text=new))
        assert ours.source == theirs.source
