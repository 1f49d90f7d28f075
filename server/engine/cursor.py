"""The cursor every candidate source reads, and the candidate they all return.

Pure values: a source gets the text of the open buffer around the cursor (never the file on disk, which
may still hold the text the user is re-typing) and returns `Candidate`s that the ranking merges.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import PurePosixPath

SOURCE_PRIORS = {"index": 1.0, "retrieval": 0.8, "model": 0.35}
_KIND_BY_SUFFIX = {".erb": "erb", ".rb": "ruby", ".rake": "ruby", ".jbuilder": "ruby", ".js": "js", ".mjs": "js"}
_KIND_BY_SUFFIX[".ts"] = "js"


def kind_of(path: str) -> str:
    """erb | ruby | js | "" — the kind of file a line comes from (its language family)."""
    name = PurePosixPath(path).name
    if name in ("Gemfile", "Rakefile"):
        return "ruby"
    return _KIND_BY_SUFFIX.get(PurePosixPath(name).suffix, "")


@dataclass(frozen=True)
class Cursor:
    """Where the user is: workspace-relative path, the buffer's text before and after the cursor."""

    path: str
    prefix: str
    suffix: str

    @cached_property
    def line_prefix(self) -> str:
        return self.prefix.rsplit("\n", 1)[-1]

    @cached_property
    def line_suffix(self) -> str:
        return self.suffix.split("\n", 1)[0]

    @property
    def kind(self) -> str:
        return kind_of(self.path)

    @property
    def mid_line(self) -> bool:
        """Text follows the cursor on its line."""
        return bool(self.line_suffix.strip())

    @cached_property
    def line_no(self) -> int:
        return self.prefix.count("\n")

    @cached_property
    def stripped_lines(self) -> list[str]:
        """The buffer's lines, stripped, the cursor's line cut at the cursor (index `line_no`)."""
        return [line.strip() for line in self.prefix.split("\n") + self.suffix.split("\n")[1:]]

    def neighbour(self, offset: int) -> str | None:
        """The stripped buffer line `offset` lines from the cursor's (None off the buffer)."""
        k = self.line_no + offset
        return self.stripped_lines[k] if offset and 0 <= k < len(self.stripped_lines) else None

    @cached_property
    def other_lines(self) -> list[str]:
        """The buffer's lines except the cursor's own (the hole): what same-file retrieval may read."""
        before = self.prefix.split("\n")[:-1]
        after = self.suffix.split("\n")[1:]
        return before + after


@dataclass
class Candidate:
    """One proposed insertion at the cursor, with where it came from and how much it is backed."""

    text: str
    source: str  # index | retrieval | model
    score: float  # the source's own confidence, 0..1
    reason: str = ""
    support: list[str] = field(default_factory=list)  # other sources that proposed the same text

    @property
    def key(self) -> str:
        return normalize(self.text)


_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """What two candidates must share to agree: the same code, whitespace runs aside."""
    return _SPACE.sub(" ", text.strip())
