"""A local server that speaks Ollama's documented API (NDJSON streaming, error JSON) with real
llama.cpp inference behind it: the Ollama backend is tested through the real `ollama` client."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from llama_cpp import Llama


class OllamaAPIServer:
    def __init__(self, gguf: Path, name: str = "hotwire-tiny", port: int = 0, delay_s: float = 0.0) -> None:
        self.name = name
        self.delay_s = delay_s
        self.requests: list[dict] = []
        self._connections: set[socket.socket] = set()
        self._llm = Llama(model_path=str(gguf), n_ctx=512, n_threads=2, verbose=False)
        self._lock = threading.Lock()
        self._http = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Go down like a killed process: no listener, and every open connection cut."""
        self._http.shutdown()
        self._http.server_close()
        for conn in list(self._connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)

    def _known(self, model: str) -> bool:
        return model in (self.name, f"{self.name}:latest")

    def _handler(self):
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # keep test output clean
                pass

            def setup(self):
                super().setup()
                api._connections.add(self.connection)

            def finish(self):
                api._connections.discard(self.connection)
                with contextlib.suppress(OSError):
                    super().finish()

            def _json(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict:
                return json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")

            def do_GET(self):
                if self.path == "/api/version":
                    return self._json(200, {"version": "0.0.0-test"})
                if self.path == "/api/tags":
                    return self._json(
                        200,
                        {
                            "models": [
                                {"name": f"{api.name}:latest", "model": f"{api.name}:latest", "size": 1, "digest": "0"}
                            ]
                        },
                    )
                return self._json(404, {"error": "not found"})

            def do_POST(self):
                body = self._body()
                api.requests.append({"path": self.path, **body})
                if not api._known(body.get("model", "")):
                    return self._json(404, {"error": f"model '{body.get('model')}' not found"})
                if self.path == "/api/show":
                    info = {"general.architecture": "llama"}
                    if body.get("verbose"):
                        m = api._llm._model
                        info["tokenizer.ggml.tokens"] = [m.token_get_text(i) for i in range(m.n_vocab())]
                    return self._json(200, {"model_info": info, "details": {"family": "llama"}})
                if self.path == "/api/generate":
                    return self._generate(body)
                return self._json(404, {"error": "not found"})

            def _generate(self, body: dict) -> None:
                opts = body.get("options") or {}
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
                    self.send_response(200)
                    self.send_header("Content-Type", "application/x-ndjson")
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    try:
                        for chunk in stream:
                            time.sleep(api.delay_s)
                            self._chunk(
                                {
                                    "model": body["model"],
                                    "created_at": datetime.now(UTC).isoformat(),
                                    "response": chunk["choices"][0]["text"],
                                    "done": False,
                                }
                            )
                        self._chunk(
                            {
                                "model": body["model"],
                                "created_at": datetime.now(UTC).isoformat(),
                                "response": "",
                                "done": True,
                                "done_reason": "stop",
                            }
                        )
                        self.wfile.write(b"0\r\n\r\n")
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # the client hung up: stop generating, as Ollama does
                    finally:
                        stream.close()

            def _chunk(self, obj: dict) -> None:
                data = (json.dumps(obj) + "\n").encode()
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler
