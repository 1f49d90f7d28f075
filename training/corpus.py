"""Source files → training texts in the shared prompt format (plain documents and FIM holes)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hotwire_assist.core.hotwire import CODE_SUFFIXES
from hotwire_assist.core.privacy import read_gated, workspace_globs
from hotwire_assist.core.prompt import PromptFamily, document_text, fim_training_text


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative, as the model sees it (e.g. app/views/todos/_todo.html.erb)
    text: str
    origin: Path | None = None  # the file on disk, for the related-file context of its app


def starter_corpus_dir() -> Path:
    """The Hotwire starter corpus shipped inside the package."""
    return Path(str(resources.files("hotwire_assist.training") / "starter_corpus"))


def load_sources(root: Path) -> list[SourceFile]:
    """Every code file under root that passes the privacy gate (secrets redacted); the model-visible path
    starts at the Rails `app/` (or `config/`)."""
    exclude = workspace_globs(root)
    files = []
    for p in sorted(root.rglob("*")):
        if not p.is_file() or not p.name.endswith(CODE_SUFFIXES):
            continue
        parts = p.relative_to(root).parts
        for anchor in ("app", "config", "db", "lib"):
            if anchor in parts:
                parts = parts[parts.index(anchor) :]
                break
        text = read_gated(p, root, exclude)
        if text and text.strip():
            files.append(SourceFile("/".join(parts), text, p))
    if not files:
        raise FileNotFoundError(f"no source files ({', '.join(CODE_SUFFIXES)}) under {root}")
    return files


def is_held_out(key: str, percent: int = 10) -> bool:
    """A fixed split by hash: the same file is held out on every machine and every run."""
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100 < percent


def random_hole(text: str, rng: random.Random) -> tuple[str, str, str]:
    """Cut a hole the way an editor asks: the rest of a line, sometimes a few whole lines.

    The hole never includes the newline that ends its last line, as the server stops there.
    """
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    i = rng.choice([n for n, line in enumerate(lines) if line.strip()])
    line = lines[i]
    indent = len(line) - len(line.lstrip(" \t"))
    content_end = len(line.rstrip("\r\n"))
    whole = rng.random() < 0.3
    start = starts[i] + (indent if whole else rng.randint(indent, max(indent, content_end - 1)))
    last = min(len(lines) - 1, i + (rng.choice([0, 0, 1, 2, 3]) if whole else 0))
    end = starts[last] + len(lines[last].rstrip("\r\n"))
    return text[:start], text[start:end], text[end:]


def training_texts(
    sources: list[SourceFile], family: PromptFamily, rng: random.Random, fim_per_file: int = 4
) -> list[str]:
    """One pass of fresh examples: each file once as a document and a few times with a random hole."""
    texts = []
    for src in sources:
        texts.append(document_text(family, src.path, src.text))
        for _ in range(fim_per_file):
            prefix, middle, suffix = random_hole(src.text, rng)
            if middle.strip():
                prompt, target = fim_training_text(family, prefix, middle, suffix, src.path)
                texts.append(prompt + target)
    rng.shuffle(texts)
    return texts
