"""llama.cpp in-process (llama-cpp-python, GGUF): the embedded default backend."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from hotwire_assist.server.backends.base import BackendError, GenerationParams, Health, PromptTooLong


class LlamaCppBackend:
    name = "llama_cpp"

    def __init__(self, path: Path, context_size: int = 2048, threads: int = 0, preferred: Path | None = None) -> None:
        self.path = self._fallback = Path(path)
        self._preferred = Path(preferred) if preferred else None  # used instead of `path` whenever it exists
        self.model_id = self.path.name
        self._n_ctx = context_size
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._llm = None
        self._loaded_mtime: float | None = None
        self._lock = threading.Lock()

    def _model(self):  # -> llama_cpp.Llama
        """Load on first use, and again when the file changes (a rebuilt, repaired or promoted model)."""
        path = self._preferred if self._preferred and self._preferred.is_file() else self._fallback
        if path != self.path:
            self.path, self._llm = path, None
        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            self._llm = None
            raise BackendError(
                f"model file {self.path} does not exist",
                "Build the default model with `hotwire-assist model build-default` or set model.path.",
            ) from None
        if self._llm is None or mtime != self._loaded_mtime:
            try:
                from llama_cpp import Llama
            except ImportError:
                raise BackendError(
                    "llama-cpp-python is not installed",
                    "Install the [llama] extra, or choose another backend (model.backend).",
                ) from None
            self._llm = None
            try:
                self._llm = Llama(model_path=str(self.path), n_ctx=self._n_ctx, n_threads=self._threads, verbose=False)
                trained = self._llm._model.n_ctx_train()
                if 0 < trained < self._n_ctx:  # no memory for a window the model never learned (weights are mmapped)
                    self._llm.close()
                    self._llm = Llama(model_path=str(self.path), n_ctx=trained, n_threads=self._threads, verbose=False)
            except (ValueError, RuntimeError, OSError) as e:
                raise BackendError(
                    f"cannot load GGUF model {self.path}: {e}",
                    "The file is corrupt or not a GGUF model; rebuild or re-download it.",
                ) from None
            self._loaded_mtime = mtime
        return self._llm

    def tokenize(self, text: str) -> list[int]:
        with self._lock:
            return self._model().tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def generate(self, prompt: str, params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        with self._lock:  # one llama context: one generation at a time
            if cancel.is_set():
                return
            llm = self._model()
            tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
            room = llm.n_ctx() - params.max_tokens
            if len(tokens) > room:
                raise PromptTooLong(len(tokens), max(room, 0))
            stream = llm.create_completion(
                tokens,
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                top_p=params.top_p,
                seed=params.seed,
                stop=list(params.stop) or None,
                stream=True,
            )
            try:
                for chunk in stream:
                    if cancel.is_set():
                        break
                    yield chunk["choices"][0]["text"]
            finally:
                stream.close()

    def health(self) -> Health:
        try:
            self._model()
        except BackendError as e:
            return Health(False, str(e), e.fix)
        return Health(True, f"{self.path} loaded ({self._threads} threads, context {self._n_ctx})")

    def vocabulary_has(self, tokens: Sequence[str]) -> dict[str, bool] | None:
        return {t: len(self.tokenize(t)) == 1 for t in tokens}

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
            self._llm = None
