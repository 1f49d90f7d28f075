"""A raw JSON-RPC peer over stdio: sends exactly the bytes a test wants, malformed ones included."""

from __future__ import annotations

import json
import subprocess
from typing import Any


class RawLSP:
    def __init__(self, cmd: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )

    def __enter__(self) -> RawLSP:
        return self

    def __exit__(self, *exc) -> None:
        self.proc.kill()
        self.proc.wait(10)

    def send_body(self, body: bytes) -> None:
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: Any) -> None:
        self.send_body(json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode())

    def read(self) -> dict:
        """The next message from the server (requests and notifications from it included)."""
        length = 0
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise EOFError("the server closed its output (did it exit?)")
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
            elif line in (b"\r\n", b"\n") and length:
                return json.loads(self.proc.stdout.read(length))

    def request(self, msg_id: int, method: str, params: Any) -> dict:
        """Send a request and return its response, skipping anything else the server sends."""
        self.send_body(json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode())
        while True:
            msg = self.read()
            if msg.get("id") == msg_id and "method" not in msg:
                return msg
