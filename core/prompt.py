"""Prompt formats: the one place that turns (prefix, suffix, context, path) into model text.

The server builds every prompt here (Ollama gets it raw), and training builds its examples
with the same functions, so a model is always asked in the format it learned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Snippet:
    """A related file (or part of one) shown to the model before the current file."""

    path: str
    text: str


@dataclass(frozen=True)
class PromptFamily:
    name: str
    fim_prefix: str
    fim_suffix: str
    fim_middle: str
    eos: str
    file_sep: str | None = None  # token that introduces a file path, where the family has one
    pad: str | None = None
    # CodeLlama puts a space after <PRE> and before <SUF>/<MID>; the others glue tokens to text.
    spaced: bool = False

    @property
    def special_tokens(self) -> tuple[str, ...]:
        """Tokens that must exist in the model's vocabulary for this format to work."""
        extra = tuple(t for t in (self.file_sep, self.pad) if t)
        return (self.fim_prefix, self.fim_suffix, self.fim_middle, self.eos, *extra)

    @property
    def stop(self) -> list[str]:
        """Text that ends a completion: end of text, a new file, or a FIM marker echoed back."""
        return list(
            dict.fromkeys(
                [
                    self.eos,
                    *(t for t in (self.file_sep, self.pad) if t),
                    self.fim_prefix,
                    self.fim_suffix,
                    self.fim_middle,
                ]
            )
        )


FAMILIES: dict[str, PromptFamily] = {
    f.name: f
    for f in (
        # Our own small model (built by `hotwire-assist model build-default`).
        PromptFamily(
            "hotwire-tiny", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<|endoftext|>", file_sep="<file_sep>"
        ),
        PromptFamily(
            "qwen2.5-coder",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|endoftext|>",
            file_sep="<|file_sep|>",
            pad="<|fim_pad|>",
        ),
        PromptFamily(
            "starcoder2", "<fim_prefix>", "<fim_suffix>", "<fim_middle>", "<|endoftext|>", file_sep="<file_sep>"
        ),
        PromptFamily("deepseek-coder", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>", "<｜end▁of▁sentence｜>"),
        PromptFamily("codellama", "<PRE>", "<SUF>", "<MID>", "<EOT>", spaced=True),
    )
}


def get_family(name: str) -> PromptFamily:
    try:
        return FAMILIES[name]
    except KeyError:
        known = ", ".join(sorted(FAMILIES))
        raise ValueError(f"unknown prompt family '{name}' (known: {known})") from None


DEFAULT_PROMPT_CHARS = 4000  # completion.prompt_chars's default


def context_budget(prompt_chars: int) -> int:
    """The prompt's share for related files and examples: a third of its character budget (server, CLI,
    training and evaluation size the context alike)."""
    return prompt_chars // 3


def _file_header(family: PromptFamily, path: str) -> str:
    if family.file_sep:
        return f"{family.file_sep}{path}\n"
    return f"# {path}\n" if path else ""


def fit_window(prefix: str, suffix: str, budget_chars: int) -> tuple[str, str]:
    """Keep the text nearest the cursor: 3/4 of the budget before it, the rest after it.

    Cuts fall on line boundaries so the model never starts mid-token.
    """
    suffix_budget = budget_chars // 4
    prefix_budget = budget_chars - min(len(suffix), suffix_budget)
    if len(prefix) > prefix_budget:
        cut = prefix[-prefix_budget:]
        nl = cut.find("\n")
        prefix = cut[nl + 1 :] if 0 <= nl < len(cut) - 1 else cut
    if len(suffix) > suffix_budget:
        cut = suffix[:suffix_budget]
        nl = cut.rfind("\n")
        suffix = cut[: nl + 1] if nl > 0 else cut
    return prefix, suffix


def fim_prompt(
    family: PromptFamily,
    prefix: str,
    suffix: str,
    path: str = "",
    context: Sequence[Snippet] = (),
    budget_chars: int | None = None,
) -> str:
    """The prompt whose continuation is the text between prefix and suffix (PSM order)."""
    if budget_chars is not None:
        room = context_budget(budget_chars) if context else 0
        prefix, suffix = fit_window(prefix, suffix, budget_chars - room)
        kept, used = [], 0
        for s in context:
            if used + len(s.text) > room:
                break
            kept.append(s)
            used += len(s.text)
        context = kept
    head = "".join(_file_header(family, s.path) + s.text.rstrip("\n") + "\n" for s in context)
    head += _file_header(family, path)
    if family.spaced:
        return f"{head}{family.fim_prefix} {prefix} {family.fim_suffix}{suffix} {family.fim_middle}"
    return f"{head}{family.fim_prefix}{prefix}{family.fim_suffix}{suffix}{family.fim_middle}"


def fim_training_text(
    family: PromptFamily,
    prefix: str,
    middle: str,
    suffix: str,
    path: str = "",
    context: Sequence[Snippet] = (),
) -> tuple[str, str]:
    """(prompt, target) for one FIM training example; the target ends with the family's EOS."""
    return fim_prompt(family, prefix, suffix, path, context), middle + family.eos


def document_text(family: PromptFamily, path: str, text: str) -> str:
    """A whole file as plain left-to-right training text (what the model sees without a hole)."""
    return _file_header(family, path) + text + family.eos


REQUEST_HEADER = "### Request"
MIN_CUT_CHARS = 80  # a context file cut shorter than this is dropped rather than sent as a fragment
_FILE_HEADER = re.compile(r"^### File: *(\S.*?) *$", re.M)


def instruction_prompt(request: str, context: Sequence[Snippet] = (), budget_chars: int | None = None) -> str:
    """A plain instruction prompt for base models: the related files, the request, then the answer.

    With `budget_chars`, context files are kept in order (most related first) while they fit, the first one
    that does not fit is cut to its head (whole lines), the rest dropped; the request is always whole."""
    if budget_chars is not None:
        kept, room = [], budget_chars
        for s in context:
            room -= len(s.path) + 14  # the header and blank line
            if len(s.text) <= room:
                kept.append(s)
                room -= len(s.text)
                continue
            head = s.text[: max(room, 0)]
            head = head[: head.rfind("\n") + 1]
            if len(head.strip()) >= MIN_CUT_CHARS:
                kept.append(Snippet(s.path, head))
            break
        context = kept
    files = "".join(f"### File: {s.path}\n{s.text.rstrip()}\n\n" for s in context)
    return f"{files}{REQUEST_HEADER}\n{request.strip()}\n\n### Response\n"


def instruction_stop(family: PromptFamily) -> list[str]:
    """What ends an instruction answer: the family's stop set, or the model starting a new request."""
    return [*family.stop, "\n" + REQUEST_HEADER]


def instruction_target(outputs: Sequence[Snippet], family: PromptFamily) -> str:
    """The answer to an instruction prompt: each output file in the prompt's own `### File:` layout.
    Training learns it; evaluation and the server's "generate from a request" parse it back."""
    body = "\n".join(f"### File: {f.path}\n{f.text.rstrip()}\n" for f in outputs)
    return body + family.eos


def parse_files(answer: str, default_path: str = "") -> list[Snippet]:
    """Files from a generated answer in the `### File:` layout (the inverse of instruction_target).

    A header counts only at the start of a line; a path in backticks loses them. An answer with no header
    is one file at `default_path` (nothing when that is empty). A body is its text without the blank lines
    around it, ending in one newline ("" when empty)."""
    heads = list(_FILE_HEADER.finditer(answer))
    if not heads:
        body = answer.strip("\n").rstrip()
        return [Snippet(default_path, body + "\n")] if body.strip() and default_path else []
    files: list[Snippet] = []
    for h, nxt in zip(heads, [*heads[1:], None], strict=True):
        path = h.group(1).strip().strip("`").strip()
        body = answer[h.end() : nxt.start() if nxt else len(answer)].strip("\n").rstrip()
        if path:
            files.append(Snippet(path, body + "\n" if body.strip() else ""))
    return files
