"""A scriptable OpenAI-compatible `/v1/completions` server for fault and load tests.

It answers from the prompt it receives (so a test can see the server's view of a document) and can be
switched, while the language server runs, into each way a real model server fails.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from hotwire_assist.core.prompt import get_family

FAMILY = get_family("hotwire-tiny")
_FIM = re.compile(
    re.escape(FAMILY.fim_prefix) + r"(.*)" + re.escape(FAMILY.fim_suffix) + r"(.*)" + re.escape(FAMILY.fim_middle),
    re.S,
)
MODES = ("ok", "http500", "garbage", "slow", "die_mid_stream", "no_model")


def split_prompt(prompt: str) -> tuple[str, str] | None:
    """(prefix, suffix) of a FIM prompt built by core/prompt for the hotwire-tiny family."""
    m = _FIM.search(prompt)
    return (m.group(1), m.group(2)) if m else None


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        pass  # a client hanging up mid-request is part of these tests, not an error to print


class FakeModelServer:
    """`mode` decides every answer; `prompts` records what was asked (thread-safe append)."""

    def __init__(self, reply: str = "turbo_frame_tag", port: int = 0, delay_s: float = 0.0) -> None:
        self.reply = reply
        self.mode = "ok"
        self.delay_s = delay_s
        self.prompts: list[str] = []
        self._connections: set[socket.socket] = set()
        self._http = _QuietServer(("127.0.0.1", port), self._handler())
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Go down like a killed process: no listener, and every open connection cut."""
        self._http.shutdown()
        self._http.server_close()
        for conn in list(self._connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def setup(self):
                super().setup()
                api._connections.add(self.connection)

            def finish(self):
                api._connections.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                self._send(200, json.dumps({"data": [{"id": "fake"}]}).encode())

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                api.prompts.append(body.get("prompt", ""))
                mode = api.mode
                if mode == "http500":
                    return self._send(500, b'{"error": "CUDA out of memory"}')
                if mode == "no_model":
                    return self._send(404, b'{"error": {"message": "The model `fake` does not exist."}}')
                if mode == "garbage":
                    return self._send(200, b"data: {not json at all\n\n", "text/event-stream")
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for i, word in enumerate(api.reply.split("_")):
                        if mode == "slow":
                            time.sleep(api.delay_s)
                        text = word if i == 0 else "_" + word
                        self._chunk(f"data: {json.dumps({'choices': [{'text': text, 'index': 0}]})}\n\n")
                        if mode == "die_mid_stream":
                            self.connection.shutdown(socket.SHUT_RDWR)  # the model server crashed mid-answer
                            return
                    self._chunk("data: [DONE]\n\n")
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass  # the client hung up (cancelled): stop, as a real server does

            def _chunk(self, data: str) -> None:
                raw = data.encode()
                self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
                self.wfile.flush()

        return Handler
