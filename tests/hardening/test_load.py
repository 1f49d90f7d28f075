"""A fast typist in several files: bounded caches and queues, no stale answers, no thread or task leak."""

from __future__ import annotations

import os

from hardening.conftest import fake_backend_env, record_stats, start_server
from hardening.fake_model import FakeModelServer
from hardening.load import Doc, type_for

SECONDS = float(os.environ.get("HOTWIRE_LOAD_S", "12"))


def settle(lsp) -> dict:
    """The server's internals once nothing is in flight (diagnostics debounce and generations ended)."""
    import time

    for _ in range(50):
        state = lsp.request("internals", "hotwire-assist/internals", None)["result"]
        if state["tickets"] == 0 and state["pending_checks"] == 0 and state["running_checks"] == 0:
            return state
        time.sleep(0.2)
    return state


def test_a_fast_typist_in_several_files(tmp_path):
    fake = FakeModelServer(reply="ZZZ", delay_s=0.05)
    fake.mode = "slow"  # every generation takes a little while, like a real model
    env = fake_backend_env(tmp_path, fake.url, completion_cache_size="64", completion_debounce_ms="20")
    (tmp_path / "Gemfile").write_text('gem "rails"\n')
    lsp = start_server(env, tmp_path)
    try:
        docs = [Doc(lsp, (tmp_path / f"app/views/todos/v{i}.html.erb").as_uri(), "<div>") for i in range(5)]
        # warm up under the same load: the thread pools grow (lazily, up to their bounds) to the size this load
        # drives them to, so growth in the measured run is a leak, not a pool starting a thread late
        type_for(lsp, docs, SECONDS)
        before = settle(lsp)
        result = type_for(lsp, docs, SECONDS)
        after = settle(lsp)
        record_stats("load.json", {"seconds": SECONDS, **result.__dict__, **after})
        assert result.unanswered == 0 and result.answered == result.keystrokes
        # Not asserted since the engine: index and retrieval answer at once, without debounce, often before the
        # next keystroke is sent, so a client cannot tell such an answer from a stale one (result.stale counts
        # both). The server drops an answer whose document changed while it was computed (inline_completion).
        assert result.suggestions > 0, "the last keystroke of a burst gets a suggestion"
        assert after["cache_entries"] <= 64 and after["typing_clocks"] <= len(docs)
        assert after["generation_queue"] == 0 and after["tickets"] == 0
        assert after["threads"] <= before["threads"] + 1, (before, after)
        assert after["tasks"] <= before["tasks"], (before, after)
        for doc in docs:
            lsp.notify("textDocument/didClose", {"textDocument": {"uri": doc.uri}})
        closed = settle(lsp)
        assert closed["open_documents"] == 0 and closed["cache_entries"] == 0 and closed["typing_clocks"] == 0
    finally:
        lsp.__exit__()
        fake.stop()
