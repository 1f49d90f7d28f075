"""Ollama through the official client: raw prompts from the shared prompt module, streamed."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence

import httpx
import ollama

from hotwire_assist.backends.base import BackendError, GenerationParams, Health, model_window

DEFAULT_URL = "http://127.0.0.1:11434"


class OllamaBackend:
    name = "ollama"

    def __init__(self, model: str, url: str = "", timeout_s: float = 10.0, context_size: int = 2048) -> None:
        if not model:
            raise BackendError(
                "model.name is empty", "Set model.name to an Ollama model, e.g. qwen2.5-coder:1.5b-base."
            )
        self.model_id = model
        self.url = url or DEFAULT_URL
        self.configured_window = context_size
        self._native: int | None = None
        self._client = ollama.Client(host=self.url, timeout=timeout_s)

    def _explain(self, e: Exception) -> BackendError:
        if isinstance(e, ollama.ResponseError) and (e.status_code == 404 or "not found" in str(e.error)):
            return BackendError(f"Ollama has no model '{self.model_id}'", f"Run `ollama pull {self.model_id}`.")
        if isinstance(e, ollama.ResponseError):
            return BackendError(f"Ollama answered with an error: {e.error} (HTTP {e.status_code})")
        if isinstance(e, httpx.TimeoutException):
            return BackendError(
                f"Ollama at {self.url} did not answer in time", "Check the server's load or raise model.timeout_s."
            )
        return BackendError(f"cannot reach Ollama at {self.url}", "Start it with `ollama serve` or fix model.url.")

    def generate(self, prompt: str, params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        options = {
            "num_ctx": self.context_window(),  # Ollama's own default is smaller than most models' window
            "num_predict": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "stop": list(params.stop),
        }
        if params.seed is not None:
            options["seed"] = params.seed
        stream = None
        try:
            # raw: Ollama applies no template (and ignores `suffix`); the prompt is already in FIM form.
            stream = self._client.generate(
                model=self.model_id, prompt=prompt, raw=True, stream=True, options=options, keep_alive="30m"
            )
            for part in stream:
                if cancel.is_set():
                    break
                yield part.response
        except (ollama.ResponseError, httpx.HTTPError, ConnectionError, ValueError) as e:
            raise self._explain(e) from None
        finally:
            if stream is not None:
                stream.close()  # closes the HTTP response, which stops Ollama generating

    def health(self) -> Health:
        try:
            names = {m.model for m in self._client.list().models}
        except (ollama.ResponseError, httpx.HTTPError, ConnectionError) as e:
            err = self._explain(e)
            return Health(False, str(err), err.fix)
        if self.model_id not in names and f"{self.model_id}:latest" not in names:
            return Health(False, f"Ollama has no model '{self.model_id}'", f"Run `ollama pull {self.model_id}`.")
        return Health(True, f"Ollama at {self.url} serves {self.model_id}")

    def native_window(self) -> int | None:
        """The model's own window: `<arch>.context_length` from /api/show (asked once; None while unreachable)."""
        if self._native is None:
            try:
                info = self._client.show(self.model_id).modelinfo or {}
            except (ollama.ResponseError, httpx.HTTPError, ConnectionError, ValueError):
                return None
            found = [v for k, v in info.items() if k.endswith(".context_length") and isinstance(v, int) and v > 0]
            self._native = found[0] if found else 0
        return self._native or None

    def context_window(self) -> int:
        return model_window(self.native_window(), self.configured_window)

    def count_tokens(self, text: str) -> int | None:
        return None  # Ollama has no tokenizer endpoint

    def vocabulary_has(self, tokens: Sequence[str]) -> dict[str, bool] | None:
        """Reads the GGUF token list that /api/show returns with verbose=true (documented API)."""
        try:
            r = httpx.post(f"{self.url}/api/show", json={"model": self.model_id, "verbose": True}, timeout=30)
            r.raise_for_status()
            vocab = r.json().get("model_info", {}).get("tokenizer.ggml.tokens")
        except (httpx.HTTPError, ValueError):
            return None
        if not vocab:
            return None
        known = set(vocab)
        return {t: t in known for t in tokens}

    def close(self) -> None:
        self._client.close()
