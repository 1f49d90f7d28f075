"""Model-server faults seen through the real server over stdio: it stays up, answers empty, tells the user
once per outage episode (not per keystroke) and recovers by itself. tests/server/test_backends.py covers
each backend's error text; tests/e2e covers Ollama going down mid-session."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import time

import pytest
from hardening.conftest import REPLY, fake_backend_env, record_stats, start_server
from hardening.fake_model import FakeModelServer

LINE = "<%= turbo_stream."


class Typist:
    """Types one character per request into a document, so no answer comes from the typed-ahead cache."""

    def __init__(self, lsp, uri: str) -> None:
        self.lsp, self.uri, self.version, self.text = lsp, uri, 1, LINE + "\n"
        doc = {"uri": uri, "languageId": "erb", "version": 1, "text": self.text}
        lsp.notify("textDocument/didOpen", {"textDocument": doc})

    def keystroke(self, timeout: float = 60) -> list[dict]:
        col = len(self.text) - 1
        self.version += 1
        change = {"range": {"start": {"line": 0, "character": col}, "end": {"line": 0, "character": col}}, "text": "x"}
        self.text = self.text[:-1] + "x\n"
        self.lsp.notify(
            "textDocument/didChange",
            {"textDocument": {"uri": self.uri, "version": self.version}, "contentChanges": [change]},
        )
        params = {
            "textDocument": {"uri": self.uri},
            "position": {"line": 0, "character": col + 1},
            "context": {"triggerKind": 2},
        }
        answer = self.lsp.request(f"k{self.version}", "textDocument/inlineCompletion", params, timeout=timeout)
        return answer["result"]["items"]


def episode(lsp, typist: Typist, keystrokes: int = 3) -> tuple[list[list[dict]], list[str]]:
    """Keystrokes during an outage: their answers, and the messages shown meanwhile."""
    shown = len(lsp.messages_shown())
    answers = [typist.keystroke() for _ in range(keystrokes)]
    lsp.request("sync", "hotwire-assist/status", None)  # everything sent before it has been read
    return answers, lsp.messages_shown()[shown:]


def assert_recovers(lsp, typist: Typist) -> None:
    shown = len(lsp.messages_shown())
    assert [i["insertText"] for i in typist.keystroke()] == [REPLY]
    assert any("answering again" in m for m in lsp.messages_shown()[shown:])
    assert lsp.request("st", "hotwire-assist/status", None)["result"]["healthy"]


@pytest.fixture
def ws(tmp_path):
    (tmp_path / "Gemfile").write_text('gem "rails"\n')
    return tmp_path


@pytest.mark.parametrize(
    ("mode", "says"),
    [
        ("die_mid_stream", "cannot reach"),
        ("slow", "took longer than|did not answer in time"),  # the engine's or the HTTP client's timeout
        ("http500", "HTTP 500"),
        ("garbage", "not an OpenAI completion stream"),
        ("no_model", "HTTP 404"),
    ],
)
def test_a_failing_model_server_is_one_message_per_episode_then_recovery(tmp_path, ws, mode, says):
    fake = FakeModelServer(reply=REPLY, delay_s=1.5)
    lsp = start_server(fake_backend_env(tmp_path, fake.url, model_timeout_s="1"), ws)
    try:
        typist = Typist(lsp, (ws / "app/views/todos/create.turbo_stream.erb").as_uri())
        assert [i["insertText"] for i in typist.keystroke()] == [REPLY]
        fake.mode = mode
        answers, shown = episode(lsp, typist)
        assert answers == [[], [], []], "answers empty while the model fails"
        assert len(shown) == 1 and re.search(says, shown[0]), shown
        fake.mode = "ok"
        time.sleep(1.6 if mode == "slow" else 0)  # let the abandoned slow generation end
        assert_recovers(lsp, typist)
        assert lsp.proc.poll() is None
        record_stats("faults.json", {mode: f"stays up, answers empty, 1 message ({shown[0][:60]}...), recovers"})
    finally:
        lsp.__exit__()
        fake.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_model_server_down_at_start_then_started(tmp_path, ws):
    port = free_port()
    lsp = start_server(fake_backend_env(tmp_path, f"http://127.0.0.1:{port}"), ws)
    fake = None
    try:
        typist = Typist(lsp, (ws / "app/views/todos/create.turbo_stream.erb").as_uri())
        answers, shown = episode(lsp, typist)
        assert answers == [[], [], []]
        assert len(shown) == 1 and "cannot reach" in shown[0], shown
        fake = FakeModelServer(reply=REPLY, port=port)
        assert_recovers(lsp, typist)
        record_stats(
            "faults.json", {"down at start": "stays up, answers empty, 1 message, recovers when the server starts"}
        )
    finally:
        lsp.__exit__()
        if fake:
            fake.stop()


@pytest.fixture(scope="module")
def small_gguf(tmp_path_factory):
    """A valid GGUF in about a second (2 training steps): recovery needs a model that loads, not a good one."""
    from conftest import SAMPLE_APP

    from hotwire_assist.core.prompt import get_family
    from hotwire_assist.training.corpus import load_sources
    from hotwire_assist.training.tiny_model import RECIPES, build_model

    out = tmp_path_factory.mktemp("gguf")
    build_model(
        load_sources(SAMPLE_APP), get_family("hotwire-tiny"), out, dataclasses.replace(RECIPES["tiny"], steps=2)
    )
    return out / "model.gguf"


def test_missing_then_corrupt_gguf_then_repaired(tmp_path, ws, small_gguf):
    from hardening.conftest import base_env

    gguf = tmp_path / "model.gguf"
    env = base_env(tmp_path, model_path=str(gguf), completion_debounce_ms="0", model_timeout_s="60")
    lsp = start_server(env, ws)
    try:
        typist = Typist(lsp, (ws / "app/views/todos/create.turbo_stream.erb").as_uri())
        answers, shown = episode(lsp, typist)
        assert answers == [[], [], []] and len(shown) == 1 and "does not exist" in shown[0], shown
        gguf.write_bytes(b"GGUF" + os.urandom(4096))
        answers, shown = episode(lsp, typist)
        assert answers == [[], [], []]
        assert shown == [], "still the same outage: no second message"
        assert "cannot load GGUF" in lsp.request("s", "hotwire-assist/status", None)["result"]["detail"]
        shutil.copy(small_gguf, gguf)
        os.utime(gguf)
        shown_before = len(lsp.messages_shown())
        typist.keystroke()  # an answer, even an empty one, ends the outage
        assert any("answering again" in m for m in lsp.messages_shown()[shown_before:])
        assert lsp.request("s2", "hotwire-assist/status", None)["result"]["healthy"]
        record_stats(
            "faults.json", {"missing/corrupt GGUF": "stays up, answers empty, 1 message per outage, recovers on repair"}
        )
    finally:
        lsp.__exit__()
