"""How a user gets an optional part of hotwire-assist, as a command that works: it is installed from a clone
(no package index has it), and `scripts/install` there installs every extra into the clone's `.venv`."""

from __future__ import annotations

# What each extra enables, for messages and the README's table (one source).
EXTRAS = {
    "llama": "the embedded llama.cpp backend (serve, complete, quickstart with the default model)",
    "train": "model build-default, train run/finetune/export, the transformers backend (torch, CPU build)",
    "eval": "eval run/compare/report/gate, model promote, dashboard",
    "dev": "the test suite",
}


def install_hint(extra: str) -> str:
    """'needs the [train] extra: …' advice naming commands that work from a clone."""
    return (
        f"needs the [{extra}] extra ({EXTRAS.get(extra, extra)}): in your hotwire-assist clone run "
        f"scripts/install (every extra), or .venv/bin/pip install '.[{extra}]'"
    )
