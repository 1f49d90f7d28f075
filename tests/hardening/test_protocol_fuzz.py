"""Protocol fuzzing: thousands of generated messages against ONE running server over stdio.

The server must never exit or stall, and must answer every request it could parse exactly once, with a
result or a JSON-RPC error as the spec says (a parse error or Invalid Request with a null id for bodies
that are not requests at all). The incremental-sync test checks the server's view of a document, as the
prompt it sends to the model, against a model of the editor's buffer after random edits.
"""

from __future__ import annotations

import functools
import itertools
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hardening.conftest import REPLY, record_stats
from hardening.fake_model import split_prompt
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

ALLOWED_ERRORS = {-32700, -32600, -32601, -32602, -32800}  # never -32603: an internal error is a server bug
_ids = itertools.count(1)

REQUESTS = [
    "textDocument/inlineCompletion",
    "textDocument/completion",
    "textDocument/codeAction",
    "textDocument/hover",
    "textDocument/definition",
    "workspace/executeCommand",
    "hotwire-assist/status",
    "textDocument/documentSymbol",
    "bogus/method",
    "$/bogusRequest",
    "$/cancelRequest",  # a notification's name with an id: a request all the same, to be answered
    "textDocument/didOpen",
    "textDocument/didChange",
    "initialized",
    "hotwire-assist/dismissed",
]
NOTIFICATIONS = [
    "textDocument/didChange",
    "textDocument/didSave",
    "textDocument/didClose",
    "hotwire-assist/dismissed",
    "$/cancelRequest",
    "$/setTrace",
    "$/bogusNotification",
    "workspace/didChangeConfiguration",
    "bogus/notification",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=5,
)
numbers = st.one_of(st.integers(0, 30), st.integers(-(2**40), 2**40), st.just(2**31 - 1), st.floats(allow_nan=False))
positions = st.fixed_dictionaries({"line": numbers, "character": numbers}) | json_values


@functools.cache
def uris(opened: tuple[str, ...]):
    others = st.sampled_from(["file:///nope/missing.rb", "untitled:Untitled-1", "not a uri", "file:///%zz/a.erb", ""])
    return st.sampled_from(opened) | others | st.text(max_size=30)


@functools.cache
def params_for(method: str, opened: tuple[str, ...]):
    """Mostly well-shaped params with hostile values, sometimes any JSON at all."""
    doc = st.fixed_dictionaries({"uri": uris(opened)})
    rng = st.fixed_dictionaries({"start": positions, "end": positions})
    shaped = {
        "textDocument/inlineCompletion": st.fixed_dictionaries(
            {"textDocument": doc, "position": positions, "context": st.just({"triggerKind": 1})}
        ),
        "textDocument/completion": st.fixed_dictionaries({"textDocument": doc, "position": positions}),
        "textDocument/hover": st.fixed_dictionaries({"textDocument": doc, "position": positions}),
        "textDocument/definition": st.fixed_dictionaries({"textDocument": doc, "position": positions}),
        "textDocument/codeAction": st.fixed_dictionaries(
            {
                "textDocument": doc,
                "range": rng,
                "context": st.fixed_dictionaries(
                    {"diagnostics": st.lists(st.fixed_dictionaries({"range": rng, "message": st.text(max_size=9)}))}
                ),
            }
        ),
        "workspace/executeCommand": st.fixed_dictionaries(
            {"command": st.sampled_from(["hotwire-assist.accepted", "nope"]), "arguments": st.lists(json_values)}
        ),
        "textDocument/didChange": st.fixed_dictionaries(
            {
                "textDocument": st.fixed_dictionaries({"uri": uris(opened), "version": numbers}),
                "contentChanges": st.lists(
                    st.fixed_dictionaries({"range": rng, "text": st.text(max_size=10)}) | json_values, max_size=3
                ),
            }
        ),
        "$/cancelRequest": st.fixed_dictionaries({"id": st.integers(0, 10**6) | st.text(max_size=5)}),
    }.get(method)
    return (shaped | json_values) if shaped is not None else json_values


@dataclass
class Batch:
    bodies: list[bytes] = field(default_factory=list)
    request_ids: list[str | int] = field(default_factory=list)
    null_id_bodies: list[bytes] = field(default_factory=list)  # to answer with a parse error or Invalid Request


@st.composite
def batches(draw, opened: tuple[str, ...]) -> Batch:
    batch = Batch()
    for _ in range(draw(st.integers(60, 100))):
        kind = draw(st.sampled_from(["request"] * 5 + ["notification"] * 3 + ["garbage", "non_object", "bad_utf8"]))
        if kind in ("request", "bad_utf8"):
            method = draw(st.sampled_from(REQUESTS))
            n = next(_ids)
            msg_id: int | str = n if draw(st.booleans()) else f"r{n}"
            msg = {"jsonrpc": "2.0", "id": msg_id, "method": method, "params": draw(params_for(method, opened))}
            body = json.dumps(msg).encode()
            if kind == "bad_utf8":  # invalid UTF-8 inside the JSON: the body cannot be decoded at all
                cut = 1 + draw(st.integers(0, 10**6)) % (len(body) - 1)  # ids vary: no length-dependent bounds
                body = (
                    body[:cut]
                    + draw(st.sampled_from([b"\xff", b"\xc3\x28", b"\x80", b"\xf8\x88\x80\x80\x80"]))
                    + body[cut:]
                )
                batch.null_id_bodies.append(body)
            else:
                batch.request_ids.append(msg_id)
                if draw(st.integers(0, 9)) == 0:  # cancel some right away
                    cancel = {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": msg_id}}
                    batch.bodies.append(body)
                    body = json.dumps(cancel).encode()
        elif kind == "notification":
            method = draw(st.sampled_from(NOTIFICATIONS))
            body = json.dumps({"jsonrpc": "2.0", "method": method, "params": draw(params_for(method, opened))}).encode()
        elif kind == "garbage":  # framed correctly, not JSON
            body = draw(st.sampled_from([b"{", b"}", b"{not json", b"\x00\x01", b'{"jsonrpc": "2.0",']))
            body += draw(st.binary(max_size=20)).replace(b"}", b"")
            batch.null_id_bodies.append(body)
        else:  # JSON, but no JSON-RPC message
            body = json.dumps(draw(st.lists(json_values, max_size=3) | st.integers() | st.text())).encode()
            batch.null_id_bodies.append(body)
        batch.bodies.append(body)
    return batch


def check_answers(lsp, batch: Batch, stats: dict[str, int]) -> None:
    """Every request answered exactly once with a result or an allowed error; the right number of null ids."""
    sentinel = f"sentinel{next(_ids)}"
    status = {"jsonrpc": "2.0", "id": sentinel, "method": "hotwire-assist/status"}
    lsp.send_bodies([*batch.bodies, json.dumps(status).encode()])
    pending = set(batch.request_ids)
    seen: dict = {}
    null_ids = 0
    sentinel_seen = False
    while pending or not sentinel_seen:
        msg = lsp.read(timeout=60)
        if "method" in msg:
            continue  # the server's own notifications and requests (diagnostics, messages)
        if msg.get("id") is None:
            null_ids += 1
            assert msg["error"]["code"] in (-32700, -32600), msg
            continue
        if msg["id"] == sentinel:
            sentinel_seen = True
            continue
        seen[msg["id"]] = seen.get(msg["id"], 0) + 1
        pending.discard(msg["id"])
        if "error" in msg:
            assert msg["error"]["code"] in ALLOWED_ERRORS, msg
        else:
            assert "result" in msg, msg
    # everything sent before the sentinel was read before it: late duplicates would show now
    lsp.request(f"after{next(_ids)}", "hotwire-assist/status", None)
    stats["messages"] += len(batch.bodies)
    stats["requests"] += len(batch.request_ids)
    stats["answered"] += sum(1 for i in batch.request_ids if seen.get(i) == 1)
    assert all(n == 1 for n in seen.values()), {k: n for k, n in seen.items() if n > 1}
    assert null_ids == len(batch.null_id_bodies), unanswered_bodies(lsp, batch.null_id_bodies)
    assert lsp.proc.poll() is None, "the server exited"


def unanswered_bodies(lsp, bodies: list[bytes]) -> list[bytes]:
    """Which of these bodies, sent one at a time, get no answer (for a readable failure)."""
    silent = []
    for body in bodies:
        lsp.send_bodies([body, b'{"jsonrpc": "2.0", "id": "probe", "method": "hotwire-assist/status"}'])
        if all(m.get("id") == "probe" for m in lsp.collect("probe") if "method" not in m):
            silent.append(body)
    return silent


def open_doc(lsp, uri: str, text: str, language: str = "ruby") -> None:
    doc = {"uri": uri, "languageId": language, "version": 1, "text": text}
    lsp.notify("textDocument/didOpen", {"textDocument": doc})


@pytest.fixture(scope="module")
def opened(lsp, workspace) -> tuple[str, ...]:
    """Documents the fuzzer targets: small ones, a huge one, one with astral characters and lone surrogates."""
    docs = {
        "app/views/todos/index.html.erb": '<%= turbo_frame_tag "todos" do %>\n  <%= render @todos %>\n<% end %>\n',
        "app/models/todo.rb": "class Todo < ApplicationRecord\n  broadcasts_to :list\nend\n",
        "app/javascript/controllers/x_controller.js": "import { Controller } from '@hotwired/stimulus'\n",
        "app/models/huge.rb": "x = 1 # filler filler filler filler\n" * 30_000,  # 1 MB
        "app/views/todos/emoji.html.erb": "<p>a😀b\ud800c\udfff</p>\n",
    }
    uris = []
    for rel, text in docs.items():
        uri = (workspace / rel).as_uri()
        open_doc(lsp, uri, text, "erb" if rel.endswith(".erb") else "ruby")
        uris.append(uri)
    return tuple(uris)


def test_generated_messages_are_each_answered_once_and_the_server_survives(lsp, opened):
    """At least 10,000 generated messages against one server; every request answered exactly once."""
    stats = {"messages": 0, "requests": 0, "answered": 0}

    @settings(
        max_examples=130,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],  # shrinking a 60-message batch takes minutes; the failure says enough
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.function_scoped_fixture],
    )
    @given(data=st.data())
    def fuzz(data):
        check_answers(lsp, data.draw(batches(opened)), stats)

    fuzz()
    assert stats["messages"] >= 10_000, stats
    assert stats["answered"] == stats["requests"], stats
    assert lsp.request("final", "hotwire-assist/status", None)["result"]["backend"] == "openai"
    server_cpu_s = sum(int(x) for x in Path(f"/proc/{lsp.proc.pid}/stat").read_text().split()[13:15]) / 100
    record_stats(
        "fuzz.json",
        {
            **stats,
            "unanswered": stats["requests"] - stats["answered"],
            "duplicates": 0,
            "server_cpu_s": server_cpu_s,
            "test_cpu_s": os.times().user,
        },
    )


# --- incremental sync: the server's document equals a model of the editor's buffer ----------------------

ALPHABET = st.sampled_from([*"ab <%=>\"'_.", "\n", "\r\n", "\r", "😀", "é", "\t", "\u2028", "\x0c", "\x85"])


def utf16_position(text: str, offset: int) -> dict[str, int]:
    """The LSP position (UTF-16 code units; lines end at \\n, \\r\\n or \\r only) of a code-point offset."""
    before = text[:offset].replace("\r\n", "\n").replace("\r", "\n")
    line = before.count("\n")
    col = before[before.rfind("\n") + 1 :]
    return {"line": line, "character": len(col.encode("utf-16-le")) // 2}


@st.composite
def edits(draw, text: str):
    start = draw(st.integers(0, len(text)))
    end = draw(st.integers(start, min(len(text), start + 6)))
    if text[start - 1 : start + 1] == "\r\n" and start > 0:  # never split a CRLF: editors do not
        start -= 1
    if text[end - 1 : end + 1] == "\r\n" and end > 0:
        end -= 1
    return start, max(start, end), "".join(draw(st.lists(ALPHABET, max_size=5)))


@settings(max_examples=40, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_incremental_edits_keep_the_servers_document_equal_to_the_editors(lsp, fake_model, workspace, data):
    uri = (workspace / f"app/models/edited_{next(_ids)}.rb").as_uri()
    text = "".join(data.draw(st.lists(ALPHABET, max_size=30)))
    open_doc(lsp, uri, text)
    versions = range(2, data.draw(st.integers(3, 25)))
    for version in versions:
        start, end, new = data.draw(edits(text))
        change = {"range": {"start": utf16_position(text, start), "end": utf16_position(text, end)}, "text": new}
        lsp.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]},
        )
        text = text[:start] + new + text[end:]
    cursor = data.draw(st.integers(0, len(text)))
    cursor -= text[cursor - 1 : cursor + 1] == "\r\n"
    before = len(fake_model.prompts)
    answer = lsp.request(
        f"sync{next(_ids)}",
        "textDocument/inlineCompletion",
        {"textDocument": {"uri": uri}, "position": utf16_position(text, cursor), "context": {"triggerKind": 1}},
    )
    assert "result" in answer, answer
    lsp.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
    assert len(fake_model.prompts) > before, "the model was not asked"
    prefix, suffix = split_prompt(fake_model.prompts[-1])
    assert prefix + suffix == text
    assert prefix == text[:cursor]
    shown = [item["insertText"] for item in answer["result"]["items"]]
    assert shown == [] or REPLY in shown  # retrieval may add its own items; the model's answer is among them
