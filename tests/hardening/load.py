"""A simulated fast typist in several open files, shared by the load test and benchmarks/bench_load.py.

Keystrokes come in bursts: each keystroke is a didChange followed by an inline completion request,
without waiting for answers. Every request but the last of a burst is followed by another keystroke in the
same document, so the server must answer it empty (a suggestion for a text that no longer exists is
stale); the last of each burst may get a suggestion.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    keystrokes: int = 0
    answered: int = 0
    suggestions: int = 0
    stale: int = 0
    unanswered: int = 0


class Doc:
    def __init__(self, lsp, uri: str, line: str) -> None:
        self.lsp, self.uri, self.version, self.text = lsp, uri, 1, line + "\n"
        lsp.notify(
            "textDocument/didOpen", {"textDocument": {"uri": uri, "languageId": "erb", "version": 1, "text": self.text}}
        )

    def keystroke(self, char: str, req_id: str) -> None:
        here = self._cursor()
        self.version += 1
        self.text = self.text[:-1] + char + "\n"
        change = {"range": {"start": here, "end": here}, "text": char}
        self.lsp.send_change_and_request(self.uri, self.version, change, req_id, self._cursor())

    def _cursor(self) -> dict[str, int]:
        return {"line": self.text.count("\n") - 1, "character": len(self.text.rsplit("\n", 2)[-2])}


def type_for(lsp, docs: list[Doc], seconds: float, seed: int = 7, gap_s: float = 0.03) -> LoadResult:
    """Type in random bursts across the documents for `seconds`; collect and classify every answer."""
    rng = random.Random(seed)
    result = LoadResult()
    expect_empty: set[str] = set()
    pending: set[str] = set()
    deadline = time.monotonic() + seconds
    n = 0
    while time.monotonic() < deadline:
        doc = rng.choice(docs)
        burst = [f"t{(n := n + 1)}" for _ in range(rng.randint(1, 8))]
        for i, req_id in enumerate(burst):
            doc.keystroke(rng.choice('abcdefghijklmnopqrstuvwxy <%=."\n' if i else "abc"), req_id)
            if i < len(burst) - 1:
                expect_empty.add(req_id)
            pending.add(req_id)
            result.keystrokes += 1
            time.sleep(gap_s)
        drain(lsp, pending, expect_empty, result, wait=rng.random() < 0.3)
    drain(lsp, pending, expect_empty, result, wait=True)
    return result


def drain(lsp, pending: set[str], expect_empty: set[str], result: LoadResult, wait: bool) -> None:
    """Read what has arrived (or everything still owed, when `wait`)."""
    while pending:
        try:
            msg = lsp.read(timeout=60 if wait else 0.001)
        except TimeoutError:
            if wait:
                result.unanswered += len(pending)
                pending.clear()
            return
        if msg.get("id") not in pending or "method" in msg:
            continue
        pending.discard(msg["id"])
        result.answered += 1
        items = msg.get("result", {}).get("items", []) if isinstance(msg.get("result"), dict) else []
        if items:
            result.suggestions += 1
            result.stale += msg["id"] in expect_empty
