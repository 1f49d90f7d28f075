"""The privacy gate: the one check every path that reads user text goes through.

Prompts (related-file context), telemetry capture and its store, export bundles, bug reports,
ingestion, `telemetry redact`, the app index's file walk and the miner all ask the same two questions:
1. may this file be read at all? (`excluded_by`): never for the never-capture list, files ignored by any
   `.gitignore` between the workspace root and the file or by `.git/info/exclude`, and the user's
   `[privacy] exclude` globs; an excluded file is never opened;
2. what may leave? (`redact`, core.secrets): the text with every secret value replaced by a typed marker.
`read_gated` and `gate_text` do both in that order.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import pathspec

from hotwire_assist.core.secrets import redact, redact_fim

if TYPE_CHECKING:
    from hotwire_assist.core.schemas import TelemetryEvent

__all__ = [
    "ALWAYS_EXCLUDED",
    "Exclusion",
    "excluded_by",
    "gate_event",
    "gate_text",
    "is_excluded",
    "read_gated",
    "redact",
    "redact_fim",
    "repo_root",
    "workspace_globs",
]

# Never read into a prompt, telemetry, a bundle, a bug report, a dataset or the index, whatever the
# configuration says. Patterns with a slash match at any depth (an app inside a monorepo too).
ALWAYS_EXCLUDED = (
    ".env*",
    "config/master.key",
    "config/*.key",
    "config/credentials*",
    ".kamal/secrets*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    ".netrc",
    ".npmrc",
    ".pypirc",
    ".git-credentials",
    ".bundle/config",
    ".aws/credentials",
    ".docker/config.json",
    "*.tfstate",
    "*.tfvars",
    ".git/",
    # VCR / WebMock cassettes: recorded HTTP exchanges, with their headers and tokens
    "cassettes/",
    "vcr_cassettes/",
    "*_cassettes/",
    "fixtures/vcr/",
    "fixtures/webmock/",
)


@dataclass(frozen=True)
class Exclusion:
    """Why a file is excluded: the rule (a glob) and where it comes from."""

    rule: str
    source: str

    def __str__(self) -> str:
        return f"`{self.rule}` ({self.source})"


def _anywhere(glob: str) -> str:
    glob = glob.lstrip("/")
    return glob if glob.startswith("**/") else f"**/{glob}"


@lru_cache(maxsize=1)
def _always_any() -> pathspec.GitIgnoreSpec:
    """The whole list as one spec: one match decides most files; the rule is named only on a hit."""
    return pathspec.GitIgnoreSpec.from_lines([_anywhere(g) for g in ALWAYS_EXCLUDED])


@lru_cache(maxsize=1)
def _always() -> tuple[tuple[str, pathspec.PathSpec], ...]:
    return tuple((g, pathspec.GitIgnoreSpec.from_lines([_anywhere(g)])) for g in ALWAYS_EXCLUDED)


@lru_cache(maxsize=64)
def _user_spec(globs: tuple[str, ...]) -> pathspec.GitIgnoreSpec:
    return pathspec.GitIgnoreSpec.from_lines(globs)


_STAT_TTL_S = 2.0  # how stale an ignore file may be seen (edits are picked up within this)


@lru_cache(maxsize=512)
def _ignore_file(path: str, mtime: float) -> tuple[pathspec.GitIgnoreSpec, tuple[str, ...]] | None:
    del mtime  # part of the cache key: an edited .gitignore is read again
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines), tuple(lines)


def _load_ignore(path: str) -> tuple[pathspec.GitIgnoreSpec, tuple[str, ...]] | None:
    return _load_ignore_at(path, int(time.monotonic() // _STAT_TTL_S))


@lru_cache(maxsize=4096)
def _load_ignore_at(path: str, tick: int) -> tuple[pathspec.GitIgnoreSpec, tuple[str, ...]] | None:
    """One stat per ignore file per couple of seconds, however many files a walk asks about."""
    del tick  # part of the cache key
    try:
        mtime = os.stat(path).st_mtime
    except OSError:
        return None
    return _ignore_file(path, mtime)


def repo_root(path: Path) -> Path | None:
    """The nearest folder above `path` holding `.git` (the workspace a lone file belongs to)."""
    for d in [path, *path.parents][:40]:
        if (d / ".git").exists():
            return d
    return None


def _relative(path: Path, workspace: Path | None) -> Path | None:
    if workspace is None:
        return None
    for p, w in ((path, workspace), (path.absolute(), workspace.absolute())):
        try:
            return p.relative_to(w)
        except ValueError:
            pass
    try:
        return path.resolve().relative_to(workspace.resolve())
    except (ValueError, OSError):
        return None


def _gitignored(rel: Path, workspace: Path) -> Exclusion | None:
    """The deciding rule of `.git/info/exclude` and every `.gitignore` from the root down to the file's
    folder (a deeper file overrides a shallower one, a `!` pattern re-includes, as git does)."""
    verdict: Exclusion | None = None
    rel_s, root = rel.as_posix(), str(workspace)
    parts = rel_s.split("/")
    sources = [(f"{root}/.git/info/exclude", rel_s, ".git/info/exclude")]
    for i in range(len(parts)):  # the root, then each folder above the file
        folder = "/".join(parts[:i])
        name = f"{folder}/.gitignore" if folder else ".gitignore"
        sources.append((f"{root}/{name}", "/".join(parts[i:]), name))
    for file, target, name in sources:
        loaded = _load_ignore(file)
        if loaded is None:
            continue
        spec, lines = loaded
        result = spec.check_file(target)
        if result.include is True:
            verdict = Exclusion(_rule_text(spec, lines, result.index), name)
        elif result.include is False:
            verdict = None
    return verdict


def _rule_text(spec: pathspec.GitIgnoreSpec, lines: tuple[str, ...], index: int | None) -> str:
    """The .gitignore line of the matching pattern (pathspec indexes the patterns it kept)."""
    if index is None:
        return "?"
    pattern = spec.patterns[index]
    return getattr(pattern, "pattern", None) or (lines[index] if index < len(lines) else "?")


def workspace_globs(workspace: Path) -> tuple[str, ...]:
    """The user's `[privacy] exclude` globs for a workspace (user config + the workspace's file).

    A configuration that does not load is reported where it is loaded for real (server, CLI); here it
    gives no extra globs rather than stopping an index or a miner."""
    from hotwire_assist.core.config import ConfigError, load_config

    try:
        return tuple(load_config(workspace).privacy.exclude)
    except ConfigError:
        return ()


def excluded_by(path: str | Path, workspace: Path | None = None, extra_globs: Sequence[str] = ()) -> Exclusion | None:
    """The rule that keeps this file out of every prompt, store, bundle, report, dataset and index,
    or None when it may be read. Without a workspace, the git repository around the file is used."""
    p = Path(path)
    if workspace is None and p.is_absolute():
        workspace = repo_root(p.parent)
    rel = _relative(p, workspace)
    target = (rel if rel is not None else p).as_posix().lstrip("/")
    if _always_any().match_file(target):
        for glob, spec in _always():
            if spec.match_file(target):
                return Exclusion(glob, "never-capture list")
    if extra_globs:
        spec = _user_spec(tuple(extra_globs))
        result = spec.check_file(target)
        if result.include is not True:
            result = spec.check_file(p.name)
        if result.include is True:
            return Exclusion(str(extra_globs[result.index or 0]), "[privacy] exclude")
    if workspace is not None and rel is not None and not rel.is_absolute() and rel.parts:
        return _gitignored(rel, workspace)
    return None


def is_excluded(path: str | Path, workspace: Path | None = None, extra_globs: Sequence[str] = ()) -> bool:
    """True when the file must stay out of prompts, telemetry, datasets and the index (see `excluded_by`)."""
    return excluded_by(path, workspace, extra_globs) is not None


def _default_read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None


def read_gated(
    path: str | Path,
    workspace: Path | None = None,
    extra_globs: Sequence[str] = (),
    read: Callable[[Path], str | None] = _default_read,
) -> str | None:
    """The file's text with secrets redacted, or None when it is excluded (then it is never opened) or
    unreadable."""
    p = Path(path)
    if excluded_by(p, workspace, extra_globs) is not None:
        return None
    text = read(p)
    return redact(text, p.as_posix()) if text else text


def gate_text(
    text: str, path: str | Path | None = None, workspace: Path | None = None, extra_globs: Sequence[str] = ()
) -> str | None:
    """Text already in memory (an editor buffer, a log): None when its file is excluded, else redacted."""
    if path is not None and excluded_by(path, workspace, extra_globs) is not None:
        return None
    return redact(text, Path(path).as_posix() if path is not None else None)


CODE_FIELDS = ("prefix", "suffix", "suggestion", "surviving")


def gate_event(event: TelemetryEvent) -> TelemetryEvent:
    """A telemetry event as it may be stored, exported or ingested: code from a never-capture file
    dropped, every code field redacted with the event's file name (idempotent: markers stay markers)."""
    if not any(getattr(event, f) for f in CODE_FIELDS):
        return event
    if event.path and excluded_by(event.path) is not None:
        return event.model_copy(update={f: "" for f in (*CODE_FIELDS, "path")})
    name = event.path or None
    prefix, suggestion, suffix = redact_fim(event.prefix, event.suggestion, event.suffix, name)
    surviving = redact_fim(event.prefix, event.surviving, event.suffix, name)[1]
    update = {"prefix": prefix, "suggestion": suggestion, "suffix": suffix, "surviving": surviving}
    return event.model_copy(update=update)
