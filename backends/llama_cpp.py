"""llama.cpp in-process (llama-cpp-python, GGUF): the embedded default backend."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from hotwire_assist.backends.base import BackendError, GenerationParams, Health, PromptTooLong, model_window
from hotwire_assist.core.install import install_hint


def gguf_context_length(path: Path) -> int | None:
    """The window the model was trained with (GGUF `<general.architecture>.context_length`), read from a
    vocabulary-only load: no weights, no context, so no memory and no warning. None when the file cannot tell."""
    import ctypes

    import llama_cpp
    from llama_cpp._utils import suppress_stdout_stderr  # what Llama(verbose=False) uses to keep loads quiet

    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    with suppress_stdout_stderr(disable=False):
        model = llama_cpp.llama_model_load_from_file(str(path).encode("utf-8"), params)
    if not model:
        return None
    try:
        buf = ctypes.create_string_buffer(128)

        def meta(key: bytes) -> bytes | None:
            return buf.value if llama_cpp.llama_model_meta_val_str(model, key, buf, len(buf)) >= 0 else None

        arch = meta(b"general.architecture")
        value = meta(arch + b".context_length") if arch else None
    finally:
        llama_cpp.llama_model_free(model)
    return int(value) if value and value.isdigit() and int(value) > 0 else None


def _stop_at_special(llm, stop: Sequence[str], prompt_len: int):
    """Stop at a stop string that is one special token (a FIM marker, `<|file_sep|>`). llama.cpp renders
    special tokens as no text, so the text-level stop never sees them and it generated on past them,
    where transformers (which stops at those token ids) ended: the two backends gave different answers
    on the same weights. The check sees a token once it is evaluated: after it was yielded as ""."""
    import llama_cpp

    ids = set()
    for s in stop:
        toks = llm.tokenize(s.encode("utf-8"), add_bos=False, special=True)
        if len(toks) == 1 and not llm.detokenize(toks, special=False):
            ids.add(toks[0])
    if not ids:
        return None

    def hit(input_ids, logits) -> bool:
        return len(input_ids) > prompt_len and int(input_ids[-1]) in ids

    return llama_cpp.StoppingCriteriaList([hit])


class LlamaCppBackend:
    name = "llama_cpp"

    def __init__(
        self,
        path: Path,
        context_size: int = 2048,
        threads: int = 0,
        preferred: Path | Sequence[Path] | None = None,
    ) -> None:
        self.path = self._fallback = Path(path)
        # used instead of `path` whenever one exists, the first that does (checked at every load)
        many = [preferred] if isinstance(preferred, str | Path) else list(preferred or [])
        self._preferred = [Path(p) for p in many]
        self.model_id = self.path.name
        self.configured_window = context_size
        self._n_ctx = context_size  # the loaded model's window: its own, lowered by the configuration
        self._trained: int | None = None
        self._threads = threads or min(4, os.cpu_count() or 1)
        self._llm = None
        self._loaded_mtime: float | None = None
        self._lock = threading.Lock()

    def _model(self):  # -> llama_cpp.Llama
        """Load on first use, and again when the file changes (a rebuilt, repaired or promoted model)."""
        path = next((p for p in self._preferred if p.is_file()), self._fallback)
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
                    f"The embedded backend {install_hint('llama')}; or choose another backend (model.backend).",
                ) from None
            self._llm = None
            try:
                # load at the model's own window (never more: no memory for a window it never learned)
                self._trained = gguf_context_length(self.path)
                self._n_ctx = model_window(self._trained, self.configured_window)
                self._llm = Llama(model_path=str(self.path), n_ctx=self._n_ctx, n_threads=self._threads, verbose=False)
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

    def count_tokens(self, text: str) -> int | None:
        return len(self.tokenize(text))

    def native_window(self) -> int | None:
        """The model's own window (GGUF metadata)."""
        with self._lock:
            self._model()
            return self._trained

    def context_window(self) -> int:
        with self._lock:
            self._model()
            return self._n_ctx

    def generate(self, prompt: str, params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        with self._lock:  # one llama context: one generation at a time
            if cancel.is_set():
                return
            llm = self._model()
            tokens = llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
            room = llm.n_ctx() - params.max_tokens
            if len(tokens) > room:  # backends.generation fits prompts first; this guards direct callers
                raise PromptTooLong(len(tokens), max(room, 0))
            stream = llm.create_completion(
                tokens,
                max_tokens=params.max_tokens,
                temperature=params.temperature,
                top_p=params.top_p,
                seed=params.seed,
                stop=list(params.stop) or None,
                stopping_criteria=_stop_at_special(llm, params.stop, len(tokens)),
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
        return Health(True, f"{self.path} loaded ({self._threads} threads, context window {self._n_ctx} tokens)")

    def vocabulary_has(self, tokens: Sequence[str]) -> dict[str, bool] | None:
        return {t: len(self.tokenize(t)) == 1 for t in tokens}

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
            self._llm = None
