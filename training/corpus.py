"""Source files → training texts in the shared prompt format (plain documents and FIM holes)."""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from hotwire_assist.core.hotwire import CODE_SUFFIXES
from hotwire_assist.core.privacy import read_gated, workspace_globs
from hotwire_assist.core.prompt import PromptFamily, document_text, fim_training_text
from hotwire_assist.core.request import CompletionRequest, build_request, request_context


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


def held_out_key(record: object) -> str:
    """What the held-out split is keyed on: the source FILE a record was cut from, so every hole of one
    file falls on the same side (held-out loss is never measured on a file that was trained on).

    Mined records (source `mined:APP@COMMIT:PATH`) are keyed by app and path, not commit, so a re-mine at a
    newer commit keeps its split; telemetry records (`telemetry:DEVELOPER:SUGGESTION`) by developer and
    path; everything else (curated examples and pairs: one record per file set) by its id."""
    source = str(getattr(record, "source", "") or "")
    if source.startswith("mined:") and source.count(":") >= 2:
        _, origin, path = source.split(":", 2)
        return f"mined:{origin.split('@')[0]}:{path}"
    if source.startswith("telemetry:") and getattr(record, "path", ""):
        return f"telemetry:{source.split(':')[1]}:{record.path}"  # type: ignore[attr-defined]
    return str(record.id)  # type: ignore[attr-defined]


def record_held_out(record: object) -> bool:
    """Whether an Example or PreferencePair is on the held-out side (see held_out_key)."""
    return is_held_out(held_out_key(record))


# Tokens that only close what the code around them opened: a hole made of these alone teaches nothing
# (SAFIM-style holes are whole expressions, lines or blocks, never a lone `end` or `}`).
_CLOSERS = frozenset({"end", "}", ")", "]", ";", ",", "%", ">", "<", "/", "-", "|", "do", "else", "begin"})
_CLOSING_TAG = re.compile(r"</\w[\w-]*\s*>")
_TOKEN = re.compile(r"\w+|[^\w\s]")
# characters after which an expression may start inside a line (the cursor positions an editor asks at)
_BOUNDARY = set(" \t(=,:{[>|!")
MIN_HOLE_CHARS = 4


def trivial_hole(middle: str) -> bool:
    """A hole too small to teach: ≤ 3 characters, or only closers (`end`, `}`, `<% end %>`, `</div>`)."""
    text = middle.strip()
    if len(text) < MIN_HOLE_CHARS:
        return True
    tokens = _TOKEN.findall(_CLOSING_TAG.sub(" ", text))
    return not any(t not in _CLOSERS and re.search(r"\w", t) for t in tokens)


def random_hole(text: str, rng: random.Random, tries: int = 24) -> tuple[str, str, str]:
    """Cut a hole the way an editor asks, SAFIM-style: a whole line, the rest of a line from the start of
    an expression (never mid-word), or a block of 2-4 whole lines. Holes that only close something
    (`end`, `}`, `</div>`) or have under 4 characters are never cut; `(text, "", "")` when a file has none.

    The hole never includes the newline that ends its last line, as the server stops there.
    """
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    candidates = [n for n, line in enumerate(lines) if not trivial_hole(line)]
    for _ in range(tries if candidates else 0):
        i = rng.choice(candidates)
        line = lines[i]
        indent = len(line) - len(line.lstrip(" \t"))
        content_end = len(line.rstrip("\r\n"))
        shape = rng.random()
        last = i
        start = starts[i] + indent
        if shape < 0.35:  # the rest of the line from an expression boundary after its first token
            cuts = [p for p in range(indent + 1, content_end) if line[p - 1] in _BOUNDARY and line[p] not in " \t"]
            if cuts:
                start = starts[i] + rng.choice(cuts)
        elif shape >= 0.7:  # a block of whole lines
            last = min(len(lines) - 1, i + rng.choice([1, 2, 3]))
        end = starts[last] + len(lines[last].rstrip("\r\n"))
        if not trivial_hole(text[start:end]):
            return text[:start], text[start:end], text[end:]
    return text, "", ""


def hole_request(
    src: SourceFile, prefix: str, suffix: str, index=None, budget_chars: int = 0, retriever=None
) -> CompletionRequest:
    """The completion request the server builds at a hole (core.request.build_request): the document without
    the hole, the cursor where it was, and — given the app's index — the same app context."""
    gather = None
    if index is not None and budget_chars > 0:

        def gather(r: CompletionRequest):
            return request_context(r, index, budget_chars=budget_chars, retriever=retriever)

    return build_request(src.path, prefix + suffix, len(prefix), None, context=gather)


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
                r = hole_request(src, prefix, suffix)
                prompt, target = fim_training_text(family, r.prefix, middle, r.suffix, r.path, r.context)
                texts.append(prompt + target)
    rng.shuffle(texts)
    return texts
