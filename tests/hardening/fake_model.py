"""A scriptable OpenAI-compatible `/v1/completions` server for fault and load tests.

It answers from the prompt it receives (so a test can see the server's view of a document) and can be
switched, while the language server runs, into each way a real model server fails.
"""

from __future__ import annotations

import json
import re
import socket
import time

from support.fake_http import FakeHandler, FakeHTTPServer

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


class FakeModelServer(FakeHTTPServer):
    """`mode` decides every answer; `prompts` records what was asked (thread-safe append)."""

    def __init__(self, reply: str = "turbo_frame_tag", port: int = 0, delay_s: float = 0.0) -> None:
        self.reply = reply
        self.mode = "ok"
        self.delay_s = delay_s
        self.prompts: list[str] = []
        super().__init__(_FaultyHandler, port)


class _FaultyHandler(FakeHandler):
    api: FakeModelServer

    def do_GET(self):
        self.send_json(200, {"data": [{"id": "fake"}]})

    def do_POST(self):
        api = self.api
        body = self.body()
        api.prompts.append(body.get("prompt", ""))
        mode = api.mode
        if mode == "http500":
            return self.send(500, b'{"error": "CUDA out of memory"}')
        if mode == "no_model":
            return self.send(404, b'{"error": {"message": "The model `fake` does not exist."}}')
        if mode == "garbage":
            return self.send(200, b"data: {not json at all\n\n", "text/event-stream")
        self.start_chunks("text/event-stream")
        try:
            for i, word in enumerate(api.reply.split("_")):
                if mode == "slow":
                    time.sleep(api.delay_s)
                text = word if i == 0 else "_" + word
                self.chunk(f"data: {json.dumps({'choices': [{'text': text, 'index': 0}]})}\n\n")
                if mode == "die_mid_stream":
                    self.connection.shutdown(socket.SHUT_RDWR)  # the model server crashed mid-answer
                    return
            self.chunk("data: [DONE]\n\n")
            self.end_chunks()
        except OSError:
            pass  # the client hung up (cancelled): stop, as a real server does
