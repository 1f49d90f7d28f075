"""The one way every caller asks a model: fit the prompt and `max_tokens` to the model's window in tokens,
rebuild a shorter prompt when it is too long, and stop at the stop set.

Server completions, "generate a feature", `eval run` and the CLI all come through `generate_fitted`, so a
prompt that is too long is never an error a user sees while a shorter one would do: `max_tokens` gives way
first (never below what the answer needs to start), then the prompt's context shrinks.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from hotwire_assist.backends.base import Backend, GenerationParams, PromptTooLong, until_stop

# Backends that cannot count (HTTP without a tokenizer endpoint) are asked with this estimate; a prompt
# an OpenAI-compatible server still refuses is shrunk again (Ollama cuts silently, so the estimate is low:
# code averages 3–4 characters a token with large vocabularies, 2.2 with the embedded model's 512).
CHARS_PER_TOKEN = 2.0
# `max_tokens` never takes more than this share of the window from a prompt that needs it.
ANSWER_SHARE = 0.5
MIN_BUDGET_CHARS = 16  # below this a prompt builder has nothing left to cut
TRIES = 8

PromptBuilder = Callable[[int], str]
"""budget in characters -> prompt; a smaller budget gives a prompt no longer than a larger one."""


@dataclass(frozen=True)
class Fitted:
    prompt: str
    max_tokens: int
    prompt_tokens: int
    window: int
    budget_chars: int


def count_tokens(backend: Backend, text: str) -> int:
    """Tokens `text` takes: the backend's own count, else an estimate (rounded up)."""
    counter = getattr(backend, "count_tokens", None)
    n = counter(text) if counter is not None else None
    return n if n is not None else math.ceil(len(text) / CHARS_PER_TOKEN)


def window_of(backend: Backend) -> int | None:
    """The backend's window; None for a backend that cannot say (a test double): then only the backend's own
    PromptTooLong shrinks the prompt."""
    window = getattr(backend, "context_window", None)
    return window() if window is not None else None


def fit_prompt(backend: Backend, build: PromptBuilder, budget_chars: int, max_tokens: int) -> Fitted:
    """The largest prompt (up to `budget_chars`) that fits the window together with the answer.

    `max_tokens` is lowered when it would leave the prompt less than its share of the window (a 1024-token
    answer asked of a 512-token model gets what is left, not an error)."""
    window = window_of(backend)
    prompt = build(budget_chars)
    if window is None:
        return Fitted(prompt, max_tokens, count_tokens(backend, prompt), 0, budget_chars)
    tokens = count_tokens(backend, prompt)
    answer = max(1, min(max_tokens, window - min(tokens, int(window * (1 - ANSWER_SHARE)))))
    room = window - answer
    for _ in range(TRIES):
        if tokens <= room:
            return Fitted(prompt, answer, tokens, window, budget_chars)
        smaller = max(MIN_BUDGET_CHARS, int(min(budget_chars, len(prompt)) * room / tokens * 0.9))
        if smaller >= budget_chars:
            break
        budget_chars = smaller
        shorter = build(budget_chars)
        if len(shorter) >= len(prompt) and budget_chars <= MIN_BUDGET_CHARS:
            break  # the builder cannot cut more (what is left is the request itself)
        prompt, tokens = shorter, count_tokens(backend, shorter)
    raise PromptTooLong(
        tokens,
        room,
        "Shorten the request, or use a model with a larger context window.",
        f"even the shortest prompt ({tokens} tokens) does not fit the {room} tokens the model's "
        f"{window}-token window leaves beside a {answer}-token answer",
    )


def generate_fitted(
    backend: Backend,
    build: PromptBuilder,
    budget_chars: int,
    params: GenerationParams,
    cancel: threading.Event,
    consume: Callable[[Iterable[str]], str] = "".join,
) -> str:
    """Generate from the largest prompt that fits, cut at the stop set; `consume` reads the stream (it may stop
    early, which stops the model). A backend that still refuses the prompt (its count differs from the
    estimate) gets a shorter one."""
    for _ in range(4):
        fit = fit_prompt(backend, build, budget_chars, params.max_tokens)
        p = replace(params, max_tokens=fit.max_tokens)
        chunks = until_stop(backend.generate(fit.prompt, p, cancel), p.stop)
        try:
            return consume(chunks)
        except PromptTooLong as e:
            ratio = e.room / e.tokens if e.tokens and e.room else 0.75
            budget_chars = max(MIN_BUDGET_CHARS, int(min(fit.budget_chars, len(fit.prompt)) * ratio * 0.9))
        finally:
            chunks.close()
    raise PromptTooLong(0, 0, "Lower completion.prompt_chars.", "the model keeps refusing the prompt as too long")
