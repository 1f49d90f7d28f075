"""Prompt privacy: the one check that decides whether a file's text may reach a model."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import pathspec

# Never sent to a model and never captured by telemetry, whatever the configuration says.
ALWAYS_EXCLUDED = (
    ".env",
    ".env.*",
    "config/credentials*",
    "config/master.key",
    "*.key",
    "*.pem",
    "*.p12",
    "id_rsa*",
    "id_ed25519*",
)


@lru_cache(maxsize=64)
def _gitignore_spec(root: str, mtime: float) -> pathspec.PathSpec:
    del mtime  # part of the cache key: an edited .gitignore is re-read
    try:
        lines = Path(root, ".gitignore").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        lines = []
    return pathspec.PathSpec.from_lines("gitignore", lines)


def _gitignore(root: Path) -> pathspec.PathSpec:
    try:
        mtime = (root / ".gitignore").stat().st_mtime
    except OSError:
        mtime = 0.0
    return _gitignore_spec(str(root), mtime)


def is_excluded(path: str | Path, workspace: Path | None = None, extra_globs: Sequence[str] = ()) -> bool:
    """True when the file must stay out of prompts and telemetry.

    Matches the built-in secrets list and the user's globs by relative path and by name,
    and the workspace's top-level .gitignore.
    """
    p = Path(path)
    rel = p
    if workspace is not None:
        try:
            rel = p.resolve().relative_to(workspace.resolve())
        except (ValueError, OSError):
            rel = p
    spec = pathspec.PathSpec.from_lines("gitignore", [*ALWAYS_EXCLUDED, *extra_globs])
    rel_s = rel.as_posix()
    if spec.match_file(rel_s) or spec.match_file(p.name):
        return True
    return workspace is not None and not rel.is_absolute() and _gitignore(workspace).match_file(rel_s)
