"""The JSON-RPC 2.0 / LSP 3.17 cases a random fuzzer rarely hits, sent on purpose: every request gets exactly
one answer, with the error code the spec names.

- a request whose method starts with `$/`: MethodNotFound (LSP: "must error with MethodNotFound");
- a request carrying a notification's method name (with an id): an error, and the notification's work is
  not done (`exit` with an id does not stop the server);
- params that are a string, a number, an array or null where the method takes an object: InvalidParams;
- a request cancelled by `$/cancelRequest` while it runs: RequestCancelled or its result, once;
- any request after `shutdown`: InvalidRequest (LSP: "should error with InvalidRequest").
"""

from __future__ import annotations

import json
import time

import pytest
from hardening.conftest import fake_backend_env, record_stats, start_server
from hardening.fake_model import FakeModelServer

METHOD_NOT_FOUND, INVALID_PARAMS, INVALID_REQUEST, CANCELLED = -32601, -32602, -32600, -32800

DOLLAR_REQUESTS = ["$/bogusRequest", "$/progress", "$/logTrace", "$/cancelRequest", "$/setTrace"]
NOTIFICATION_NAMES = [
    "initialized",
    "textDocument/didOpen",
    "textDocument/didChange",
    "textDocument/didSave",
    "textDocument/didClose",
    "workspace/didChangeConfiguration",
    "workspace/didChangeWatchedFiles",
    "window/workDoneProgress/cancel",
    "hotwire-assist/dismissed",
    "exit",
]
TYPED_REQUESTS = [
    "textDocument/hover",
    "textDocument/completion",
    "textDocument/inlineCompletion",
    "textDocument/codeAction",
    "textDocument/definition",
    "workspace/executeCommand",
]
BAD_PARAMS = ["a string", 42, 3.5, True, [], [1, 2], None]


@pytest.fixture(scope="module")
def model():
    server = FakeModelServer(reply="ZZZ", delay_s=0.0)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    (root / "Gemfile").write_text('gem "rails"\n')
    (root / "app" / "views").mkdir(parents=True)
    return root


@pytest.fixture(scope="module")
def server(model, ws, tmp_path_factory):
    lsp = start_server(fake_backend_env(tmp_path_factory.mktemp("home"), model.url), ws)
    yield lsp
    lsp.__exit__()


class Tally:
    """Requests sent and answers read, per id: the figure for BENCHMARKS.md."""

    def __init__(self) -> None:
        self.sent: list[str] = []
        self.answers: dict[str, list[dict]] = {}

    def send_all(self, lsp, requests: list[tuple[str, str, object]], extra: list[bytes] = ()) -> None:
        """Send every request (and `extra` bodies after them), then read until each has an answer and a
        final status request (sent last) has come back: a second answer to any of them would arrive first."""
        bodies = []
        for msg_id, method, params in requests:
            msg = {"jsonrpc": "2.0", "id": msg_id, "method": method}
            if params is not _OMIT:
                msg["params"] = params
            bodies.append(json.dumps(msg).encode())
            self.sent.append(msg_id)
        fence = f"fence{len(self.sent)}"
        lsp.send_bodies(
            [*bodies, *extra, json.dumps({"jsonrpc": "2.0", "id": fence, "method": "hotwire-assist/status"}).encode()]
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = lsp.read(timeout=60)
            if "method" in msg:
                continue
            if msg.get("id") == fence:
                break
            self.answers.setdefault(msg.get("id"), []).append(msg)
        lsp.request(f"after{fence}", "hotwire-assist/status", None)  # late duplicates would show by now
        for msg in _drain(lsp):
            self.answers.setdefault(msg.get("id"), []).append(msg)

    def one_answer(self, msg_id: str) -> dict:
        got = self.answers.get(msg_id, [])
        assert len(got) == 1, f"{msg_id}: {len(got)} answers {got}"
        return got[0]

    @property
    def answered(self) -> int:
        return sum(1 for i in self.sent if len(self.answers.get(i, [])) == 1)


_OMIT = object()


def _drain(lsp) -> list[dict]:
    out = []
    while True:
        try:
            msg = lsp.read(timeout=0.2)
        except TimeoutError:
            return out
        if "method" not in msg:
            out.append(msg)


def test_dollar_requests_get_method_not_found(server):
    tally = Tally()
    tally.send_all(server, [(f"d{i}", m, {"id": 1}) for i, m in enumerate(DOLLAR_REQUESTS)])
    for i, method in enumerate(DOLLAR_REQUESTS):
        assert tally.one_answer(f"d{i}")["error"]["code"] == METHOD_NOT_FOUND, method
    record_stats("protocol.json", {"dollar": [tally.answered, len(tally.sent)]})


def test_a_notification_name_with_an_id_is_answered_and_not_run(server, ws):
    uri = (ws / "app/views/n.html.erb").as_uri()
    open_params = {"textDocument": {"uri": uri, "languageId": "erb", "version": 1, "text": "<p>x</p>\n"}}
    params = {"textDocument/didOpen": open_params, "exit": None, "initialized": {}}
    open_before = server.request("open0", "hotwire-assist/internals", None)["result"]["open_documents"]
    tally = Tally()
    tally.send_all(server, [(f"n{i}", m, params.get(m, {})) for i, m in enumerate(NOTIFICATION_NAMES)])
    for i, method in enumerate(NOTIFICATION_NAMES):
        assert tally.one_answer(f"n{i}")["error"]["code"] in (METHOD_NOT_FOUND, INVALID_REQUEST), method
    assert server.proc.poll() is None, "`exit` with an id stopped the server"
    internals = server.request("open?", "hotwire-assist/internals", None)["result"]
    assert internals["open_documents"] == open_before, "didOpen sent as a request opened the document"
    record_stats("protocol.json", {"notification_names": [tally.answered, len(tally.sent)]})


def test_params_that_are_not_an_object_get_invalid_params(server):
    tally = Tally()
    cases = [(f"p{i}_{j}", m, p) for i, m in enumerate(TYPED_REQUESTS) for j, p in enumerate(BAD_PARAMS)]
    cases += [(f"omit{i}", m, _OMIT) for i, m in enumerate(TYPED_REQUESTS)]
    tally.send_all(server, cases)
    for msg_id, method, params in cases:
        answer = tally.one_answer(msg_id)
        assert "error" in answer, (method, params, answer)
        assert answer["error"]["code"] == INVALID_PARAMS, (method, params, answer)
    # methods whose params are free-form answer with a result, whatever the params
    free = [(f"s{j}", "hotwire-assist/status", p) for j, p in enumerate(BAD_PARAMS)]
    tally.send_all(server, free)
    for msg_id, _, _ in free:
        assert "result" in tally.one_answer(msg_id)
    record_stats("protocol.json", {"params": [tally.answered, len(tally.sent)]})


def test_cancelled_requests_are_answered_once(server, model, ws):
    """Cancels for requests still running (a slow model), already answered, and never sent."""
    uri, other = (ws / "app/views/c.html.erb").as_uri(), (ws / "app/views/d.html.erb").as_uri()
    for u in (uri, other):
        server.notify(
            "textDocument/didOpen", {"textDocument": {"uri": u, "languageId": "erb", "version": 1, "text": "<p>\n"}}
        )
    model.mode, model.delay_s = "slow", 1.5
    try:
        ask = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 3}, "context": {"triggerKind": 1}}
        action = {
            "textDocument": {"uri": uri},
            "range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
            "context": {"diagnostics": []},
        }
        pos = {"textDocument": {"uri": uri}, "position": {"line": 0, "character": 1}}
        # completion asks the model too (this client has no inline completion): on the same document it
        # would supersede c1 (answered empty) before c1's cancel is read
        elsewhere = {"textDocument": {"uri": other}, "position": {"line": 0, "character": 1}}
        requests = [
            ("c1", "textDocument/inlineCompletion", ask),
            ("c2", "textDocument/codeAction", action),
            ("c3", "textDocument/completion", elsewhere),
            ("c4", "textDocument/hover", pos),
            ("c5", "hotwire-assist/status", None),
        ]
        cancels = [
            json.dumps({"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": i}}).encode()
            for i in ["c1", "c2", "c3", "c4", "c5", "never-sent", 12345]
        ]
        tally = Tally()
        tally.send_all(server, requests, extra=cancels)
        for msg_id, method, _ in requests:
            answer = tally.one_answer(msg_id)
            assert "result" in answer or answer["error"]["code"] == CANCELLED, (method, answer)
        assert not tally.answers.get("never-sent") and not tally.answers.get(12345)
        # the slow generation was still running when its cancel came: cancelled, not finished
        assert tally.one_answer("c1").get("error", {}).get("code") == CANCELLED, tally.one_answer("c1")
    finally:
        model.mode, model.delay_s = "ok", 0.0
    record_stats("protocol.json", {"cancelled": [tally.answered, len(tally.sent)]})


def test_requests_after_shutdown_get_invalid_request(model, ws, tmp_path):
    lsp = start_server(fake_backend_env(tmp_path, model.url), ws)
    try:
        assert lsp.request("bye", "shutdown", None)["result"] is None
        tally = Tally()
        late = [("l1", "hotwire-assist/status", None), ("l2", "textDocument/hover", {}), ("l3", "shutdown", None)]
        bodies = [json.dumps({"jsonrpc": "2.0", "id": i, "method": m, "params": p}).encode() for i, m, p in late]
        lsp.send_bodies(bodies)
        tally.sent += [i for i, _, _ in late]
        got: dict = {}
        deadline = time.monotonic() + 30
        while len(got) < len(late) and time.monotonic() < deadline:
            msg = lsp.read(timeout=30)
            if "method" not in msg:
                got.setdefault(msg["id"], []).append(msg)
        tally.answers = got
        for msg_id, method, _ in late:
            assert tally.one_answer(msg_id)["error"]["code"] == INVALID_REQUEST, method
        lsp.notify("exit", None)
        assert lsp.proc.wait(10) == 0
    finally:
        lsp.__exit__()
    record_stats("protocol.json", {"after_shutdown": [tally.answered, len(tally.sent)]})


def test_lone_surrogates_reach_no_handler(server, ws):
    """JSON may escape half a UTF-16 pair; every handler answers with a result, and the id comes back as sent."""
    uri = (ws / "app/views/s.html.erb").as_uri()[:-9] + "\ud800.html.erb"  # pathlib cannot encode it
    text = '<div data-controller="a\udc00b">\n  <%= turbo_frame_tag "x\ud83d" %>\n</div>\n'
    server.notify(
        "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "erb", "version": 1, "text": text}}
    )
    pos = {"textDocument": {"uri": uri}, "position": {"line": 1, "character": 25}}
    whole = {"start": {"line": 0, "character": 0}, "end": {"line": 3, "character": 0}}
    requests = [
        ("u1", "textDocument/inlineCompletion", {**pos, "context": {"triggerKind": 1}}),
        ("u2", "textDocument/completion", pos),
        ("u3", "textDocument/hover", pos),
        ("u4", "textDocument/definition", pos),
        (
            "u5",
            "textDocument/codeAction",
            {"textDocument": {"uri": uri}, "range": whole, "context": {"diagnostics": []}},
        ),
        ("u6\udfff", "hotwire-assist/status", "\ud800"),
    ]
    for msg_id, method, params in requests:
        answer = server.request(msg_id, method, params)
        assert "result" in answer, (method, answer)
