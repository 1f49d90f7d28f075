"""The JSON-lines child lifecycle the Ruby and Prism workers share (core/rules/worker_process.py)."""

from __future__ import annotations

import sys

from hotwire_assist.core.rules.worker_process import JsonLinesWorker

# echoes each request's `n` doubled; `die` exits without answering; `hang` stops answering
CHILD = r"""
import json, sys, time
print(json.dumps({"ready": True, "pid": __import__("os").getpid()}), flush=True)
for line in sys.stdin:
    req = json.loads(line)
    if req.get("die"):
        sys.exit(1)
    if req.get("hang"):
        time.sleep(60)
    print(json.dumps({"id": req["id"], "twice": req["n"] * 2}), flush=True)
"""


class Doubler(JsonLinesWorker):
    def __init__(self, script: str = CHILD, timeout: float = 5.0):
        super().__init__(timeout)
        self.script = script

    def command(self) -> list[str] | None:
        return [sys.executable, "-c", self.script]


def test_answers_by_id_and_keeps_one_child():
    w = Doubler()
    try:
        assert [r["twice"] for r in w.request([{"n": i} for i in range(500)])] == [2 * i for i in range(500)]
        pid = w.info["pid"]
        assert w.request([{"n": 4}])[0]["twice"] == 8 and w.info["pid"] == pid
    finally:
        w.close()


def test_a_dead_or_hung_child_is_replaced_on_the_next_call():
    w = Doubler(timeout=0.5)
    try:
        first = w.start() and w.info["pid"]
        assert w.request([{"n": 1}, {"die": True}, {"n": 2}])[1:] == [None, None]
        assert w.request([{"n": 3}])[0]["twice"] == 6 and w.info["pid"] != first
        second = w.info["pid"]
        assert w.request([{"hang": True}]) == [None]
        assert w.request([{"n": 5}])[0]["twice"] == 10 and w.info["pid"] != second
    finally:
        w.close()


def test_a_child_that_never_gets_ready_is_unavailable():
    w = Doubler(script="import sys; sys.exit(0)")
    assert w.start() is False and w.proc is None
    assert w.request([{"n": 1}]) == [None]
