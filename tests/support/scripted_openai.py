"""An OpenAI-compatible model server (`/v1/models`, streaming `/v1/completions`) whose answer a test
scripts: the language server talks to it through its real `openai` backend, over HTTP, as it would to
vLLM or llama.cpp's server. It honours `max_tokens` (counted in chunks of a few characters) and `stop`,
and records every request body."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CHUNK_CHARS = 8  # one streamed "token"


class ScriptedModelServer:
    """`reply` is what every completion request gets; `requests` holds each request's JSON body."""

    def __init__(self, reply: str = "") -> None:
        self.reply = reply
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}"
        threading.Thread(target=self._http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self._http.shutdown()
        self._http.server_close()

    def completion(self, body: dict) -> str:
        """The reply cut at the first stop sequence and at max_tokens chunks, as a real server cuts it."""
        text = self.reply
        for s in body.get("stop") or []:
            if s and s in text:
                text = text[: text.index(s)]
        return text[: int(body.get("max_tokens") or 16) * CHUNK_CHARS]

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.rstrip("/") != "/v1/models":
                    return self._send(404, b'{"error": "not found"}')
                self._send(200, json.dumps({"data": [{"id": "scripted"}]}).encode())

            def do_POST(self):
                if self.path.rstrip("/") != "/v1/completions":
                    return self._send(404, b'{"error": "not found"}')
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                with api._lock:
                    api.requests.append(body)
                text = api.completion(body)
                events = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]
                stream = "".join(f"data: {json.dumps({'choices': [{'text': t, 'index': 0}]})}\n\n" for t in events)
                self._send(200, (stream + "data: [DONE]\n\n").encode(), "text/event-stream")

        return Handler
