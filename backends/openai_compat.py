"""OpenAI-compatible `/v1/completions` (vLLM, llama.cpp server, TGI) for a team's shared model."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator, Sequence

import httpx

from hotwire_assist.backends.base import BackendError, GenerationParams, Health, PromptTooLong, model_window

# How servers say a prompt is too long (vLLM, llama.cpp's server, OpenAI): the generation helper then shrinks it.
_TOO_LONG = re.compile(r"maximum context length|exceeds the available context|context length|too long", re.I)


class OpenAICompatBackend:
    name = "openai"

    def __init__(
        self, url: str, model: str = "", timeout_s: float = 10.0, api_key: str = "", context_size: int = 2048
    ) -> None:
        if not url:
            raise BackendError("model.url is empty", "Set model.url to the server, e.g. http://gpu-box:8000.")
        self.url = url.rstrip("/").removesuffix("/v1")
        self.model_id = model or "default"
        self.configured_window = context_size
        self._native: int | None = None
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.Client(base_url=self.url, timeout=timeout_s, headers=headers)

    def _explain(self, e: Exception) -> BackendError:
        if isinstance(e, httpx.HTTPStatusError):
            body = e.response.text[:200]
            if e.response.status_code == 400 and _TOO_LONG.search(body):
                return PromptTooLong(0, 0, message=f"{self.url} refused the prompt as too long: {body}")
            return BackendError(
                f"{self.url} answered HTTP {e.response.status_code}: {body}", "Check model.name and the server's logs."
            )
        if isinstance(e, httpx.TimeoutException):
            return BackendError(f"{self.url} did not answer in time", "Raise model.timeout_s or check the server.")
        if isinstance(e, (ValueError, KeyError, IndexError, TypeError)):
            return BackendError(f"{self.url} sent an answer that is not an OpenAI completion stream")
        return BackendError(f"cannot reach {self.url}: {e}", "Start the server or fix model.url.")

    def generate(self, prompt: str, params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        body = {
            "model": self.model_id,
            "prompt": prompt,
            "max_tokens": params.max_tokens,
            "temperature": params.temperature,
            "top_p": params.top_p,
            "stream": True,
        }
        if params.stop:
            body["stop"] = list(params.stop)[:4]  # the OpenAI API allows four; the pipeline cuts the rest
        if params.seed is not None:
            body["seed"] = params.seed
        try:
            with self._http.stream("POST", "/v1/completions", json=body) as r:
                if r.is_error:
                    r.read()
                r.raise_for_status()
                for line in r.iter_lines():
                    if cancel.is_set():
                        break
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    choices = json.loads(data)["choices"]
                    if choices:
                        yield choices[0].get("text") or ""
        except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as e:
            raise self._explain(e) from None

    def health(self) -> Health:
        try:
            r = self._http.get("/v1/models")
            r.raise_for_status()
            ids = [m.get("id") for m in r.json().get("data", [])]
        except (httpx.HTTPError, ValueError) as e:
            err = self._explain(e)
            return Health(False, str(err), err.fix)
        return Health(True, f"{self.url} serves {', '.join(map(str, ids)) or 'a model'}")

    def native_window(self) -> int | None:
        """The server's limit where it reports one: llama.cpp's server `/props` (`n_ctx`), vLLM's `/v1/models`
        (`max_model_len`), llama.cpp's `/v1/models` (`meta.n_ctx_train`). Asked once; None: not reported."""
        if self._native is None:
            try:
                self._native = self._ask_window() or 0
            except httpx.TransportError:
                return None  # unreachable now: ask again next time (generation reports the outage)
        return self._native or None

    def _ask_window(self) -> int | None:
        try:
            r = self._http.get("/props")
            if r.is_success:
                n = (r.json().get("default_generation_settings") or {}).get("n_ctx")
                if isinstance(n, int) and n > 0:
                    return n
            r = self._http.get("/v1/models")
            if r.is_success:
                models = r.json().get("data") or []
                mine = [m for m in models if m.get("id") == self.model_id] or models
                for m in mine:
                    n = m.get("max_model_len") or (m.get("meta") or {}).get("n_ctx_train")
                    if isinstance(n, int) and n > 0:
                        return n
        except httpx.TransportError:
            raise
        except (httpx.HTTPError, ValueError, AttributeError, TypeError):
            return None  # an answer that holds no limit
        return None

    def context_window(self) -> int:
        return model_window(self.native_window(), self.configured_window)

    def count_tokens(self, text: str) -> int | None:
        return None  # no tokenizer endpoint in the OpenAI API; a prompt the server refuses is shrunk on retry

    def vocabulary_has(self, tokens: Sequence[str]) -> dict[str, bool] | None:
        return None  # the OpenAI API has no tokenizer endpoint

    def close(self) -> None:
        self._http.close()
