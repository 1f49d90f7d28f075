"""The server's background `model adapt` job: progress from the child's JSON lines, outcome, cancel."""

from __future__ import annotations

import json
import os
import sys
import time

from hotwire_assist.server.adapt_job import AdaptJob, adapt_argv, adapt_request

FAKE = r"""
import json, signal, sys, time
def stop(*a):
    print(json.dumps({"event": "cancelled", "message": "stopped at step 2"}), flush=True)
    sys.exit(130)
signal.signal(signal.SIGTERM, stop)
for i in range(1, 4):
    print(json.dumps({"event": "progress", "stage": "training", "done": i, "total": 4}), flush=True)
    time.sleep(float(sys.argv[1]))
print("not json")
print(json.dumps({"event": "done", "reason": "edit similarity 0.40 → 0.46", "current_exact_match": 0.1,
                  "adapted_exact_match": 0.2}), flush=True)
sys.exit(int(sys.argv[2]))
"""


def _wait(job: AdaptJob, timeout: float = 20.0) -> dict:
    end = time.time() + timeout
    while job.running and time.time() < end:
        time.sleep(0.05)
    time.sleep(0.2)  # the reader thread publishes the outcome after the process ends
    return job.snapshot()


def test_progress_then_outcome_at_low_priority(tmp_path):
    finished = []
    job = AdaptJob()
    state = job.start(tmp_path, 1, [sys.executable, "-c", FAKE, "0.3", "0"], on_finish=finished.append)
    assert state["state"] == "running"
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    assert os.getpriority(os.PRIO_PROCESS, job._proc.pid) == min(19, mine + 10)
    again = job.start(tmp_path, 1, [sys.executable, "-c", "raise SystemExit(3)"])
    assert again["state"] == "running"  # one job at a time: a second start reports the first
    seen = set()
    while job.running:
        snap = job.snapshot()
        if snap.get("state") == "running":
            seen.add(snap["percent"])
        time.sleep(0.05)
    final = _wait(job)
    assert seen & {25, 50, 75}
    assert final["state"] == "done" and final["promoted"] and final["adapted_exact_match"] == 0.2
    assert "0.40 → 0.46" in final["message"] and finished and finished[0]["outcome"] == "promoted"


def test_not_better_failed_and_cancelled(tmp_path):
    job = AdaptJob()
    job.start(tmp_path, 1, [sys.executable, "-c", FAKE, "0", "1"])
    final = _wait(job)
    assert final["state"] == "done" and not final["promoted"] and "kept the current model" in final["outcome"]

    job.start(tmp_path, 1, [sys.executable, "-c", "import sys; sys.stderr.write('boom'); sys.exit(2)"])
    assert _wait(job)["state"] == "failed"

    job.start(tmp_path, 1, [sys.executable, "-c", FAKE, "5", "0"])
    while job.snapshot().get("percent", 0) == 0:  # the child is up (its handler installed)
        time.sleep(0.05)
    job.cancel()
    final = _wait(job)
    assert final["state"] == "cancelled" and "step 2" in final["message"]


def test_request_arguments_are_checked(tmp_path):
    job = AdaptJob()
    assert adapt_request(job, None, [], print)["state"] == "failed"  # no workspace
    assert "number" in adapt_request(job, tmp_path, [{"minutes": "ten"}], print)["message"]
    assert adapt_request(job, tmp_path, [{"minutes": 0}], print)["state"] == "failed"
    assert adapt_request(job, tmp_path, [{"cancel": True}], print)["state"] == "idle"  # nothing to cancel
    argv = adapt_argv(tmp_path, 2.5)
    assert argv[1:5] == ["-m", "hotwire_assist.cli", "model", "adapt"] and "--progress" in argv
    assert json.dumps(argv)  # plain strings
