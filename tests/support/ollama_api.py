"""A local server that speaks Ollama's documented API (NDJSON streaming, error JSON) with real
llama.cpp inference behind it: the Ollama backend is tested through the real `ollama` client."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from llama_cpp import Llama

from support.fake_http import FakeHandler, FakeHTTPServer


class OllamaAPIServer(FakeHTTPServer):
    def __init__(self, gguf: Path, name: str = "hotwire-tiny", port: int = 0, delay_s: float = 0.0) -> None:
        self.name = name
        self.delay_s = delay_s
        self.requests: list[dict] = []
        self._llm = Llama(model_path=str(gguf), n_ctx=512, n_threads=2, verbose=False)
        self._lock = threading.Lock()
        super().__init__(_OllamaHandler, port)

    def known(self, model: str) -> bool:
        return model in (self.name, f"{self.name}:latest")


class _OllamaHandler(FakeHandler):
    api: OllamaAPIServer

    def do_GET(self):
        if self.path == "/api/version":
            return self.send_json(200, {"version": "0.0.0-test"})
        if self.path == "/api/tags":
            name = f"{self.api.name}:latest"
            return self.send_json(200, {"models": [{"name": name, "model": name, "size": 1, "digest": "0"}]})
        return self.send_json(404, {"error": "not found"})

    def do_POST(self):
        body = self.body()
        self.api.requests.append({"path": self.path, **body})
        if not self.api.known(body.get("model", "")):
            return self.send_json(404, {"error": f"model '{body.get('model')}' not found"})
        if self.path == "/api/show":
            info = {"general.architecture": "llama", "llama.context_length": self.api._llm._model.n_ctx_train()}
            if body.get("verbose"):
                m = self.api._llm._model
                info["tokenizer.ggml.tokens"] = [m.token_get_text(i) for i in range(m.n_vocab())]
            return self.send_json(200, {"model_info": info, "details": {"family": "llama"}})
        if self.path == "/api/generate":
            return self._generate(body)
        return self.send_json(404, {"error": "not found"})

    def _generate(self, body: dict) -> None:
        api, opts = self.api, body.get("options") or {}
        with api._lock:
            tokens = api._llm.tokenize(body.get("prompt", "").encode(), add_bos=False, special=True)
            # as Ollama does with a prompt longer than its context: keep the end, drop the start
            room = api._llm.n_ctx() - opts.get("num_predict", 32)
            tokens = tokens[-room:] if len(tokens) > room else tokens
            stream = api._llm.create_completion(
                tokens,
                max_tokens=opts.get("num_predict", 32),
                temperature=opts.get("temperature", 0.0),
                top_p=opts.get("top_p", 1.0),
                seed=opts.get("seed"),
                stop=opts.get("stop") or None,
                stream=True,
            )
            self.start_chunks("application/x-ndjson")
            try:
                for chunk in stream:
                    time.sleep(api.delay_s)
                    self._line(body, chunk["choices"][0]["text"], done=False)
                self._line(body, "", done=True)
                self.end_chunks()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client hung up: stop generating, as Ollama does
            finally:
                stream.close()

    def _line(self, body: dict, text: str, done: bool) -> None:
        line = {"model": body["model"], "created_at": datetime.now(UTC).isoformat(), "response": text, "done": done}
        self.chunk(json.dumps({**line, "done_reason": "stop"} if done else line) + "\n")
