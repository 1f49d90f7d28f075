"""Model backends behind one interface; `make_backend` picks one from the configuration."""

from __future__ import annotations

import os
from pathlib import Path

from hotwire_assist.backends.base import (
    Backend,
    BackendError,
    GenerationParams,
    Health,
    sample,
    until_stop,
)
from hotwire_assist.core.config import Config, default_model_dir, embedded_model_dir, shipped_model_dir

__all__ = ["Backend", "BackendError", "GenerationParams", "Health", "make_backend", "sample", "until_stop"]


def model_candidates(workspace: Path | None = None) -> list[Path]:
    """The GGUFs the embedded backend may serve, best first; the first that exists is used, re-checked at
    every load: this workspace's adapted model, the generic promoted one (core.registry's slots), a
    default the user built (`model build-default`), the default shipped in the package."""
    from hotwire_assist.core.registry import GENERIC, Registry, workspace_key

    reg = Registry()
    slots = ([reg.model_path(workspace_key(workspace))] if workspace is not None else []) + [reg.model_path(GENERIC)]
    return [*slots, default_model_dir() / "model.gguf", shipped_model_dir() / "model.gguf"]


def make_backend(config: Config, workspace: Path | None = None) -> Backend:
    """Build the configured backend. Imports are local so the server never needs torch to start.
    `workspace`: the open folder, whose own adapted model (if any) it serves."""
    m = config.model
    if m.backend == "llama_cpp":
        from hotwire_assist.backends.llama_cpp import LlamaCppBackend

        if m.path:
            return LlamaCppBackend(m.path, context_size=m.context_size, threads=m.threads)
        # an adapted or promoted model wins over the embedded default, and is picked up without a restart
        paths = model_candidates(workspace)
        return LlamaCppBackend(paths[-1], context_size=m.context_size, threads=m.threads, preferred=paths[:-1])
    if m.backend == "ollama":
        from hotwire_assist.backends.ollama_backend import OllamaBackend

        return OllamaBackend(m.name, m.url, m.timeout_s, context_size=m.context_size)
    if m.backend == "openai":
        from hotwire_assist.backends.openai_compat import OpenAICompatBackend

        key = os.environ.get("HOTWIRE_ASSIST_API_KEY", "")
        return OpenAICompatBackend(m.url, m.name, m.timeout_s, key, context_size=m.context_size)
    from hotwire_assist.backends.transformers_backend import TransformersBackend

    base = m.path or str(embedded_model_dir() / "hf")
    if m.adapter:  # an explicit adapter is what the user asked for, in every workspace
        return TransformersBackend(base, m.adapter, m.threads, m.context_size)
    # else the workspace's promoted LoRA adapter (`model adapt`) when it was trained on this base, looked
    # up again at every load: a promotion is picked up without a restart, a rollback too
    from hotwire_assist.core.registry import Registry

    def workspace_adapter() -> Path | None:
        return Registry().resolve_adapter(workspace, base)

    preferred = workspace_adapter if workspace is not None else None
    return TransformersBackend(base, "", m.threads, m.context_size, preferred_adapter=preferred)
