"""A raw JSON-RPC peer over stdio: sends exactly the bytes a test wants, malformed ones included.

A background thread reads the server's output into a queue, so a test may send thousands of
messages without reading in between (the server never blocks on a full pipe), then collect.
"""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from typing import Any, BinaryIO

_EOF = object()


class RawLSP:
    def __init__(self, cmd: list[str], env: dict[str, str], stderr: int | BinaryIO | None = subprocess.DEVNULL) -> None:
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env)
        self._inbox: queue.Queue = queue.Queue()
        self.framing_errors: list[bytes] = []
        self.notifications: list[dict] = []  # everything the server sent without an id, as read
        self._reader = threading.Thread(target=self._read_loop, daemon=True)
        self._reader.start()

    def __enter__(self) -> RawLSP:
        return self

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def _read_loop(self) -> None:
        """Parse `Content-Length` frames from the server; anything else is a framing error."""
        out = self.proc.stdout
        try:
            while True:
                length = 0
                while True:
                    line = out.readline()
                    if not line:
                        return
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                    elif line in (b"\r\n", b"\n") and length:
                        break
                    elif not line.lower().startswith(b"content-type:"):
                        self.framing_errors.append(line)
                body = out.read(length)
                try:
                    self._inbox.put(json.loads(body))
                except ValueError:
                    self.framing_errors.append(body)
        finally:
            self._inbox.put(_EOF)

    def send_body(self, body: bytes) -> None:
        self.send_bodies([body])

    def send_bodies(self, bodies: list[bytes]) -> None:
        """Frame and write many bodies in one write (fast enough for thousands of messages)."""
        self.proc.stdin.write(b"".join(b"Content-Length: %d\r\n\r\n" % len(b) + b for b in bodies))
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send_body(json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode())

    def send_change_and_request(self, uri: str, version: int, change: dict, req_id: str, position: dict) -> None:
        """A keystroke as an editor sends it: the edit, then an inline completion request at the cursor."""
        edit = {"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}
        ask = {"textDocument": {"uri": uri}, "position": position, "context": {"triggerKind": 2}}
        self.send_bodies(
            [
                json.dumps({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": edit}).encode(),
                json.dumps(
                    {"jsonrpc": "2.0", "id": req_id, "method": "textDocument/inlineCompletion", "params": ask}
                ).encode(),
            ]
        )

    def read(self, timeout: float = 60) -> dict:
        """The next message from the server (requests and notifications from it included)."""
        try:
            msg = self._inbox.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"the server sent nothing for {timeout:g} s (is it deadlocked?)") from None
        if msg is _EOF:
            self._inbox.put(_EOF)
            raise EOFError("the server closed its output (did it exit?)")
        if "method" in msg and "id" not in msg:
            self.notifications.append(msg)
        return msg

    def messages_shown(self) -> list[str]:
        """The `window/showMessage` texts read so far."""
        return [n["params"]["message"] for n in self.notifications if n["method"] == "window/showMessage"]

    def request(self, msg_id: int | str, method: str, params: Any, timeout: float = 60) -> dict:
        """Send a request and return its response, skipping anything else the server sends."""
        self.send_body(json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode())
        while True:
            msg = self.read(timeout)
            if msg.get("id") == msg_id and "method" not in msg:
                return msg

    def collect(self, until_id: int | str, timeout: float = 60) -> list[dict]:
        """Everything the server sends up to and including the response to `until_id`."""
        got = []
        while True:
            msg = self.read(timeout)
            got.append(msg)
            if msg.get("id") == until_id and "method" not in msg:
                return got
