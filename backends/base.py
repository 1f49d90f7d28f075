"""The small interface every model backend implements, and what they share."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Protocol


@dataclass(frozen=True)
class GenerationParams:
    max_tokens: int = 48
    stop: Sequence[str] = ()
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None
    n: int = 1  # samples per prompt; see sample()


@dataclass(frozen=True)
class Health:
    ok: bool
    detail: str
    fix: str = ""


class BackendError(RuntimeError):
    """A backend cannot answer. `fix` tells the user what to do about it."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix

    def user_message(self) -> str:
        return f"{self}. {self.fix}" if self.fix else str(self)


class PromptTooLong(BackendError):
    """The prompt does not fit the model's context; `backends.generation` rebuilds it smaller."""

    def __init__(self, tokens: int, room: int, fix: str = "", message: str = "") -> None:
        """`tokens`/`room` are 0 where the backend cannot count (a server that only says "too long")."""
        message = message or f"prompt of {tokens} tokens does not fit the {room} tokens left in the context"
        super().__init__(message, fix)
        self.tokens = tokens
        self.room = room


def model_window(model_limit: int | None, configured: int) -> int:
    """The window to use: the model's own limit, which the configuration can only lower."""
    return min(model_limit, configured) if model_limit and model_limit > 0 else configured


class Backend(Protocol):
    name: str
    model_id: str

    def generate(self, prompt: str, params: GenerationParams, cancel: threading.Event) -> Iterator[str]:
        """Stream the continuation of a raw prompt; stop soon after `cancel` is set."""
        ...

    def health(self) -> Health: ...

    def native_window(self) -> int | None:
        """The model's own window in tokens (GGUF metadata, Ollama's `show`, the server's limit); None: unknown."""
        ...

    def context_window(self) -> int:
        """Tokens the model accepts, prompt and answer together: its own window, lowered by model.context_size."""
        ...

    def count_tokens(self, text: str) -> int | None:
        """Tokens `text` takes as a prompt (None: the backend cannot tell; the caller estimates)."""
        ...

    def vocabulary_has(self, tokens: Sequence[str]) -> dict[str, bool] | None:
        """Which of these tokens are single tokens in the model's vocabulary (None: cannot tell)."""
        ...

    def close(self) -> None: ...


def until_stop(chunks: Iterable[str], stop: Sequence[str]) -> Iterator[str]:
    """Pass text through until a stop sequence appears (also across chunk borders), then end.

    Closing this generator closes the backend's stream, which stops its generation.
    """
    held = ""
    longest = max((len(s) for s in stop), default=0)
    try:
        for chunk in chunks:
            held += chunk
            hits = [i for i in (held.find(s) for s in stop) if i >= 0]
            if hits:
                if min(hits):
                    yield held[: min(hits)]
                return
            safe = len(held) - (longest - 1) if longest else len(held)
            if safe > 0:
                yield held[:safe]
                held = held[safe:]
        if held:
            yield held
    finally:
        if close := getattr(chunks, "close", None):
            close()


def sample(backend: Backend, prompt: str, params: GenerationParams) -> list[str]:
    """n independent samples (seed, seed+1, …), for pass@k in evaluation."""
    cancel = threading.Event()
    outs = []
    for i in range(params.n):
        seed = None if params.seed is None else params.seed + i
        one = replace(params, seed=seed, n=1)
        outs.append("".join(until_stop(backend.generate(prompt, one, cancel), one.stop)))
    return outs


@dataclass
class Episode:
    """Tells the user about a failing backend once per episode, not once per keystroke."""

    failing: bool = False

    def failed(self) -> bool:
        """True for the first failure of an episode: the one to tell the user about."""
        first = not self.failing
        self.failing = True
        return first

    def recovered(self) -> bool:
        was = self.failing
        self.failing = False
        return was
