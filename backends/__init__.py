"""Model backends behind one interface; `make_backend` picks one from the configuration."""

from __future__ import annotations

import os

from hotwire_assist.backends.base import (
    Backend,
    BackendError,
    GenerationParams,
    Health,
    sample,
    until_stop,
)
from hotwire_assist.core.config import Config, default_model_dir, promoted_model_dir

__all__ = ["Backend", "BackendError", "GenerationParams", "Health", "make_backend", "sample", "until_stop"]


def make_backend(config: Config) -> Backend:
    """Build the configured backend. Imports are local so the server never needs torch to start."""
    m = config.model
    if m.backend == "llama_cpp":
        from hotwire_assist.backends.llama_cpp import LlamaCppBackend

        if m.path:
            return LlamaCppBackend(m.path, context_size=m.context_size, threads=m.threads)
        # a promoted model wins over the embedded default, and is picked up without a restart
        paths = [promoted_model_dir() / "model.gguf", default_model_dir() / "model.gguf"]
        return LlamaCppBackend(paths[-1], context_size=m.context_size, threads=m.threads, preferred=paths[0])
    if m.backend == "ollama":
        from hotwire_assist.backends.ollama_backend import OllamaBackend

        return OllamaBackend(m.name, m.url, m.timeout_s, context_size=m.context_size)
    if m.backend == "openai":
        from hotwire_assist.backends.openai_compat import OpenAICompatBackend

        key = os.environ.get("HOTWIRE_ASSIST_API_KEY", "")
        return OpenAICompatBackend(m.url, m.name, m.timeout_s, key, context_size=m.context_size)
    from hotwire_assist.backends.transformers_backend import TransformersBackend

    return TransformersBackend(m.path or str(default_model_dir() / "hf"), m.adapter, m.threads, m.context_size)
