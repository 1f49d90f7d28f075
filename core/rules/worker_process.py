"""One long-lived child process speaking JSON lines: the lifecycle the Ruby and Prism workers share.

The child prints one JSON "ready" line when it can take work, then answers each request line
(`{"id": n, ...}`) with one response line carrying the same id. Requests of a batch are written from a
thread while responses are read, so a batch larger than the pipe buffers cannot deadlock. A child that
dies, hangs past the batch's timeout or answers short is killed; the next call starts a fresh one.
Thread-safe: one batch at a time.
"""

from __future__ import annotations

import json
import subprocess
import threading


class JsonLinesWorker:
    """Spawn, ready line, JSON-lines request/response by id, restart on death, timeout per batch."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.proc: subprocess.Popen[str] | None = None
        self.info: dict = {}  # the ready line (versions the child reports)
        self.lock = threading.Lock()
        self._next = 0

    def command(self) -> list[str] | None:
        """The child's command line; None when it cannot run here."""
        raise NotImplementedError

    def start(self) -> bool:
        """Start the child unless it runs; False when it cannot start or never says it is ready."""
        if self.proc is not None and self.proc.poll() is None:
            return True
        cmd = self.command()
        if not cmd:
            return False
        try:
            self.proc = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                encoding="utf-8",
                errors="replace",
                bufsize=1,
            )
            line = self.proc.stdout.readline() if self.proc.stdout else ""
            self.info = json.loads(line) if line else {}
        except (OSError, ValueError):
            self.info = {}
        if not (isinstance(self.info, dict) and self.info.get("ready")):
            self.close()
            return False
        return True

    def request(self, payloads: list[dict]) -> list[dict | None]:
        """The child's response to each payload (sent with an `id` added); None where it gave none."""
        with self.lock:
            if not payloads or not self.start():
                return [None] * len(payloads)
            proc = self.proc
            assert proc is not None and proc.stdin is not None and proc.stdout is not None
            ids = list(range(self._next, self._next + len(payloads)))
            self._next += len(payloads)

            def feed() -> None:
                try:
                    for i, payload in zip(ids, payloads, strict=True):
                        proc.stdin.write(json.dumps({"id": i, **payload}) + "\n")
                    proc.stdin.flush()
                except (OSError, ValueError):
                    pass

            writer = threading.Thread(target=feed, daemon=True)
            writer.start()
            results: dict[int, dict] = {}
            timer = threading.Timer(self.timeout + 0.01 * len(payloads), self.close)
            timer.start()
            try:
                while len(results) < len(payloads):
                    line = proc.stdout.readline()
                    if not line:
                        break
                    try:
                        res = json.loads(line)
                    except ValueError:
                        continue
                    if isinstance(res, dict) and isinstance(res.get("id"), int):
                        results[res["id"]] = res
            finally:
                timer.cancel()
            writer.join(timeout=1)
            if len(results) < len(payloads):
                self.close()  # a hung or dead child restarts on the next call
            return [results.get(i) for i in ids]

    def close(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            try:
                proc.kill()
                proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
