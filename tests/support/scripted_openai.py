"""An OpenAI-compatible model server (`/v1/models`, streaming `/v1/completions`) whose answer a test
scripts: the language server talks to it through its real `openai` backend, over HTTP, as it would to
vLLM or llama.cpp's server. It honours `max_tokens` (counted in chunks of a few characters) and `stop`,
and records every request body."""

from __future__ import annotations

import json
import threading

from support.fake_http import FakeHandler, FakeHTTPServer

CHUNK_CHARS = 8  # one streamed "token"


class ScriptedModelServer(FakeHTTPServer):
    """`reply` is what every completion request gets; `requests` holds each request's JSON body."""

    def __init__(self, reply: str = "") -> None:
        self.reply = reply
        self.requests: list[dict] = []
        self._lock = threading.Lock()
        super().__init__(_ScriptedHandler)

    def completion(self, body: dict) -> str:
        """The reply cut at the first stop sequence and at max_tokens chunks, as a real server cuts it."""
        text = self.reply
        for s in body.get("stop") or []:
            if s and s in text:
                text = text[: text.index(s)]
        return text[: int(body.get("max_tokens") or 16) * CHUNK_CHARS]


class _ScriptedHandler(FakeHandler):
    api: ScriptedModelServer

    def do_GET(self):
        if self.path.rstrip("/") != "/v1/models":
            return self.send(404, b'{"error": "not found"}')
        self.send_json(200, {"data": [{"id": "scripted"}]})

    def do_POST(self):
        if self.path.rstrip("/") != "/v1/completions":
            return self.send(404, b'{"error": "not found"}')
        body = self.body()
        with self.api._lock:
            self.api.requests.append(body)
        text = self.api.completion(body)
        events = [text[i : i + CHUNK_CHARS] for i in range(0, len(text), CHUNK_CHARS)]
        stream = "".join(f"data: {json.dumps({'choices': [{'text': t, 'index': 0}]})}\n\n" for t in events)
        self.send(200, (stream + "data: [DONE]\n\n").encode(), "text/event-stream")
