"""`hotwire-assist.adaptModel`: run `hotwire-assist model adapt` for the workspace in the background.

The server never trains in-process (it must import without torch and keep answering): it starts the CLI
as a child process at low priority (nice 10, one torch thread) and reads its `--progress json` lines, so
the editor's status item can show the stage and percentage. One job per server; asking again while one
runs reports it; `cancel` sends SIGTERM, which makes the CLI save a checkpoint (a later start resumes).
Exit codes of the CLI: 0 promoted, 1 not better (kept the current model), 2 cannot adapt, 130 cancelled.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

COMMAND = "hotwire-assist.adaptModel"
NICENESS = 10  # added to the server's own
_OUTCOME = {0: "promoted", 1: "not better: kept the current model", 2: "failed", 130: "cancelled"}


def adapt_argv(workspace: Path, minutes: float) -> list[str]:
    """The CLI call the job runs (this interpreter, so the server's own install does the training)."""
    return [
        sys.executable,
        "-m",
        "hotwire_assist.cli",
        "model",
        "adapt",
        str(workspace),
        "--minutes",
        f"{minutes:g}",
        "--threads",
        "1",
        "--progress",
        "json",
    ]


class AdaptJob:
    """The background adaptation of one server's workspace, and what the status item shows of it."""

    def __init__(self) -> None:
        self._proc: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()
        self._state: dict[str, Any] = {"state": "idle"}
        self._on_finish: Callable[[dict[str, Any]], None] | None = None
        self._cancel_asked = False

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return dict(self._state)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def start(
        self,
        workspace: Path | None,
        minutes: float = 10.0,
        argv: list[str] | None = None,
        on_finish: Callable[[dict[str, Any]], None] | None = None,
    ) -> dict[str, Any]:
        """Start unless one runs (then its state); a workspace is required (adaptation is per workspace).
        `on_finish(state)` is called from the reader thread when the process ends."""
        if workspace is None:
            return {"state": "failed", "message": "open a folder first: a model is adapted to a workspace"}
        if not 0 < minutes <= 240:
            return {"state": "failed", "message": f"minutes must be in (0, 240], got {minutes}"}
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                return dict(self._state)
            self._on_finish = on_finish
            self._cancel_asked = False
            env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false")
            try:
                self._proc = subprocess.Popen(
                    argv or adapt_argv(workspace, minutes),
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    env=env,
                )
                if hasattr(os, "setpriority"):  # low priority before it loads torch (threads inherit it)
                    mine = os.getpriority(os.PRIO_PROCESS, 0)
                    os.setpriority(os.PRIO_PROCESS, self._proc.pid, min(19, mine + NICENESS))
            except OSError as e:
                self._state = {"state": "failed", "message": f"cannot start adaptation: {e}"}
                return dict(self._state)
            self._state = {
                "state": "running",
                "workspace": str(workspace),
                "stage": "starting",
                "done": 0,
                "total": 1,
                "percent": 0,
                "started_at": time.time(),
            }
            proc = self._proc
        threading.Thread(target=self._read, args=(proc,), name="adapt-job", daemon=True).start()
        return self.snapshot()

    def cancel(self) -> dict[str, Any]:
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.terminate()  # the CLI saves a checkpoint and exits 130
                self._cancel_asked = True
                self._state["stage"] = "cancelling"
            return dict(self._state)

    def close(self) -> None:
        """Server shutdown: stop the child (its checkpoint keeps the work)."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()

    def _read(self, proc: subprocess.Popen[str]) -> None:
        result: dict[str, Any] = {}
        message = ""
        assert proc.stdout is not None
        for line in proc.stdout:
            try:
                event = json.loads(line)
            except ValueError:
                continue  # the result JSON of --format json, or noise: progress lines are one object each
            if not isinstance(event, dict):
                continue
            kind = event.get("event")
            with self._lock:
                if kind == "progress":
                    total = float(event.get("total") or 1)
                    done = float(event.get("done") or 0)
                    self._state.update(
                        stage=str(event.get("stage", "")), done=done, total=total, percent=round(100 * done / total)
                    )
                elif kind == "done":
                    result = event
                elif kind in ("error", "cancelled"):
                    message = str(event.get("message", ""))
        stderr = proc.stderr.read() if proc.stderr else ""
        code = proc.wait()
        if self._cancel_asked and code < 0:  # stopped before it could install its handler (nothing to keep)
            code = 130
        outcome = _OUTCOME.get(code, "failed")
        with self._lock:
            self._state = {
                "state": "cancelled" if code == 130 else "failed" if outcome == "failed" else "done",
                "workspace": self._state.get("workspace", ""),
                "promoted": code == 0,
                "outcome": outcome,
                "message": message or result.get("reason", "") or stderr.strip()[-300:],
                "current_exact_match": result.get("current_exact_match"),
                "adapted_exact_match": result.get("adapted_exact_match"),
                "finished_at": time.time(),
                "exit_code": code,
            }
            state = dict(self._state)
        if code not in _OUTCOME:
            log.warning("model adapt exited %s: %s", code, stderr[-2000:])
        if self._on_finish is not None:
            try:
                self._on_finish(state)
            except Exception:  # a notification failure must not kill the reader
                log.exception("adapt job: on_finish failed")


def adapt_request(
    job: AdaptJob, root: Path | None, args: tuple | list, on_finish: Callable[[dict[str, Any]], None]
) -> dict[str, Any]:
    """The command's arguments → start or cancel the job; the job's state as the answer."""
    opts = args[0] if args and isinstance(args[0], dict) else {}
    if opts.get("cancel"):
        return job.cancel()
    try:
        minutes = float(opts.get("minutes", 10.0))
    except (TypeError, ValueError):
        return {"state": "failed", "message": f"minutes must be a number, got {opts.get('minutes')!r}"}
    return job.start(root, minutes, on_finish=on_finish)
