"""Big files: how long the server's event loop is blocked while a big ERB is opened, edited and asked about.

Starts `hotwire-assist serve` on a generated app whose views include a 2 MB ERB (and a file just under the
per-document cap), turns on the server's loop-lag monitor (a 10 ms timer; how late it fires), then for each
file: opens it, types keystrokes (didChange + inline completion + completion items + code actions, as an
editor does) and meanwhile asks `hotwire-assist/status` every 20 ms from a second thread, timing each answer.
Prints the monitor's longest lag, the status answers' latencies, and the one message a too-big file gets.
The model is a local fake OpenAI-compatible server, so the figures measure the server.

    python benchmarks/bench_bigfile.py [--mb 2] [--keystrokes 20]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import queue
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1] / "tests")]

from hardening.conftest import fake_backend_env, start_server  # noqa: E402
from hardening.fake_model import FakeModelServer  # noqa: E402

from hotwire_assist.server.documents import MAX_DOCUMENT_CHARS  # noqa: E402

CHUNK = """<%= turbo_frame_tag dom_id(item, :row_{n}) do %>
  <div id="item_{n}" class="row" data-controller="row" data-row-id-value="{n}">
    <%= form_with model: item, url: item_path(item), data: {{ action: "submit->row#save" }} do |f| %>
      <%= f.text_field :title, class: "input", data: {{ row_target: "title" }} %>
      <%= f.submit "Save" %>
    <% end %>
    <%= link_to "Edit", edit_item_path(item), data: {{ turbo_frame: "modal" }} %>
  </div>
<% end %>
"""


def erb_of(chars: int) -> str:
    parts, size, n = [], 0, 0
    while size < chars:
        part = CHUNK.format(n=n)
        parts.append(part)
        size += len(part)
        n += 1
    return "".join(parts)[:chars]


class StatusProbe(threading.Thread):
    """Asks for the status every `every_s` on its own ids and records each answer's latency."""

    def __init__(self, lsp, every_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.lsp, self.every_s = lsp, every_s
        self.sent: dict[str, float] = {}
        self.latencies_ms: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        n = 0
        while not self.stop.wait(self.every_s):
            n += 1
            msg_id = f"probe{n}"
            self.sent[msg_id] = time.perf_counter()
            body = {"jsonrpc": "2.0", "id": msg_id, "method": "hotwire-assist/status"}
            self.lsp.send_bodies([json.dumps(body).encode()])

    def answered(self, msg: dict) -> bool:
        start = self.sent.pop(str(msg.get("id")), None)
        if start is None:
            return False
        self.latencies_ms.append((msg["_arrived"] - start) * 1000)
        return True


class _Stamped(queue.Queue):
    """The raw client's inbox, stamping each message with its arrival time (the reader thread puts it)."""

    def put(self, item, *args, **kwargs):
        if isinstance(item, dict):
            item["_arrived"] = time.perf_counter()
        super().put(item, *args, **kwargs)


def ask(lsp, probe: StatusProbe, msg_id: str, method: str, params) -> dict:
    """A request from the main thread; the probe's answers read meanwhile still count."""
    lsp.send_bodies([json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()])
    while True:
        msg = lsp.read(timeout=120)
        if "method" in msg or probe.answered(msg):
            continue
        if msg.get("id") == msg_id:
            return msg["result"]


def exercise(lsp, uri: str, text: str, keystrokes: int, probe: StatusProbe) -> dict:
    """Open, type, ask; read everything until the last request is answered. Returns what was seen."""
    lsp.notify("textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "erb", "version": 1, "text": text}})
    line = text.count("\n") // 2
    last_id = None
    started = time.perf_counter()
    for k in range(keystrokes):
        pos = {"line": line, "character": k}
        change = {"range": {"start": pos, "end": pos}, "text": "x"}
        doc = {"uri": uri}
        after = {"line": line, "character": k + 1}
        msgs = [
            {"jsonrpc": "2.0", "method": "textDocument/didChange",
             "params": {"textDocument": {"uri": uri, "version": k + 2}, "contentChanges": [change]}},
            {"jsonrpc": "2.0", "id": f"i{k}", "method": "textDocument/inlineCompletion",
             "params": {"textDocument": doc, "position": after, "context": {"triggerKind": 2}}},
            {"jsonrpc": "2.0", "id": f"c{k}", "method": "textDocument/completion",
             "params": {"textDocument": doc, "position": after}},
            {"jsonrpc": "2.0", "id": f"a{k}", "method": "textDocument/codeAction",
             "params": {"textDocument": doc, "range": {"start": {"line": line - 3, "character": 0}, "end": after},
                        "context": {"diagnostics": []}}},
        ]  # fmt: skip
        lsp.send_bodies([json.dumps(m).encode() for m in msgs])
        last_id = f"a{k}"
        time.sleep(0.05)
    messages = []
    while True:
        msg = lsp.read(timeout=120)
        if msg.get("method") == "window/showMessage":
            messages.append(msg["params"]["message"])
        if "method" not in msg and probe.answered(msg):
            continue
        if msg.get("id") == last_id and "method" not in msg:
            break
    return {"seconds": time.perf_counter() - started, "messages": messages}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=2.0)
    ap.add_argument("--keystrokes", type=int, default=20)
    ap.add_argument("--idle-s", type=float, default=3.0)
    args = ap.parse_args()
    fake = FakeModelServer(reply="ZZZ")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "Gemfile").write_text('gem "rails"\ngem "turbo-rails"\n')
        views = root / "app" / "views" / "items"
        views.mkdir(parents=True)
        big = views / "big.html.erb"
        big.write_text(erb_of(int(args.mb * 1024 * 1024)))
        under = views / "under_cap.html.erb"
        under.write_text(erb_of(MAX_DOCUMENT_CHARS - 1024))
        t0 = time.perf_counter()
        lsp = start_server(fake_backend_env(root, fake.url, completion_prompt_chars="4000"), root)
        lsp._inbox = _Stamped()  # before anything else arrives (the initialize answer has been read)
        probe = StatusProbe(lsp)
        ask(lsp, probe, "mon", "hotwire-assist/internals", {"loop_monitor": True})
        probe.start()
        try:
            rows = []
            # Baseline: the same server idle, status probes only (on a shared machine, other processes' load
            # shows as lag here too: the figures below compare against it).
            ask(lsp, probe, "reset-idle", "hotwire-assist/internals", {"loop_monitor": True})
            idle_until = time.monotonic() + args.idle_s
            while time.monotonic() < idle_until:
                with contextlib.suppress(TimeoutError):
                    probe.answered(lsp.read(timeout=0.2))
            idle = ask(lsp, probe, "idle", "hotwire-assist/internals", None)
            rows.append(("(idle server, baseline)", 0, {"seconds": args.idle_s, "messages": []}, idle))
            for path in (big, under):
                text = path.read_text()
                ask(lsp, probe, f"reset-{path.name}", "hotwire-assist/internals", {"loop_monitor": True})
                seen = exercise(lsp, path.as_uri(), text, args.keystrokes, probe)
                after = ask(lsp, probe, f"after-{path.name}", "hotwire-assist/internals", None)
                rows.append((path.name, len(text), seen, after))
            probe.stop.set()
            probe.join()
            final = ask(lsp, probe, "final", "hotwire-assist/internals", None)
            deadline = time.monotonic() + 5
            while probe.sent and time.monotonic() < deadline:  # the last probes' answers
                try:
                    probe.answered(lsp.read(timeout=1))
                except TimeoutError:
                    break
        finally:
            lsp.__exit__()
            fake.stop()
    print(f"server up and index built in {time.perf_counter() - t0:.1f} s (whole run)")
    print(f"per-document cap: {MAX_DOCUMENT_CHARS:,} characters")
    for name, chars, seen, after in rows:
        what = f"{chars:,} chars; {args.keystrokes} keystrokes answered in" if chars else "for"
        print(
            f"{name}: {what} {seen['seconds']:.2f} s; messages: {seen['messages'] or 'none'}; "
            f"event-loop lag max {after['loop_lag_max_ms']} ms ({after['loop_lag_over_50ms']} of "
            f"{after['loop_lag_samples']} samples over 50 ms)"
        )
    lat = sorted(probe.latencies_ms)
    p = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    print(
        f"status answers while working: {len(lat)}; p50 {statistics.median(lat):.1f} ms, "
        f"p95 {p(0.95):.1f} ms, max {lat[-1]:.1f} ms; unanswered {len(probe.sent)}"
    )
    del final


if __name__ == "__main__":
    main()
