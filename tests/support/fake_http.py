"""The HTTP plumbing the fake model servers share: a threaded loopback server on a free (or given) port
that can go down like a killed process, and a quiet handler with JSON, body and chunked-stream helpers.
Each fake (Ollama API, OpenAI-compatible) only says what it answers."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a client hanging up mid-request is part of these tests, not an error to print


class FakeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api: FakeHTTPServer  # the fake this handler answers for (set by FakeHTTPServer)

    def log_message(self, *args):  # keep test output clean
        pass

    def setup(self):
        super().setup()
        self.api._connections.add(self.connection)

    def finish(self):
        self.api._connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def body(self) -> dict:
        return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

    def send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_json(self, status: int, body: dict) -> None:
        self.send(status, json.dumps(body).encode())

    def start_chunks(self, ctype: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def chunk(self, data: str) -> None:
        raw = data.encode()
        self.wfile.write(f"{len(raw):x}\r\n".encode() + raw + b"\r\n")
        self.wfile.flush()

    def end_chunks(self) -> None:
        self.wfile.write(b"0\r\n\r\n")


class FakeHTTPServer:
    """Serves `handler` (a FakeHandler subclass) on 127.0.0.1 from a daemon thread."""

    def __init__(self, handler: type[FakeHandler], port: int = 0) -> None:
        self._connections: set[socket.socket] = set()
        self._http = _QuietServer(("127.0.0.1", port), type("Handler", (handler,), {"api": self}))
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
