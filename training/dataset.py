"""Dataset tools behind `hotwire-assist data …`: validate, report (the seed's bias detector) and mine.

Every function reads examples through the core schema and judges code with the core rules engine and
core.dedupe, so the dataset, the server and the evaluation agree on what is valid and what is a copy.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from hotwire_assist.core.appindex import AppIndex
from hotwire_assist.core.dedupe import NearDuplicateIndex
from hotwire_assist.core.hotwire import CODE_SUFFIXES, language_of
from hotwire_assist.core.schemas import CATEGORIES, Example, PreferencePair, read_examples, read_pairs
from hotwire_assist.training.corpus import held_out_key, random_hole, record_held_out

PAIRS_FILE = "pairs.jsonl"
# Mined or ingested code that teaches none of the seed categories: counted, never passed off as one.
OTHER = "other"


def _curated_dir() -> Path:
    return Path(str(resources.files("hotwire_assist.training") / "curated"))


def curated_files() -> list[Path]:
    """The curated example files shipped inside the package (the preference pairs are apart)."""
    return sorted(p for p in _curated_dir().glob("*.jsonl") if p.name != PAIRS_FILE)


def curated_pairs() -> Path:
    return _curated_dir() / PAIRS_FILE


def example_files(ex: Example) -> list[tuple[str, str]]:
    """(path, whole text) of the code an example teaches."""
    if ex.kind == "fim":
        return [(ex.path, ex.prefix + ex.middle + ex.suffix)]
    return [(f.path, f.content) for f in ex.output]


def dedupe_text(ex: Example | PreferencePair) -> str:
    """What two examples must not share: the taught code (a FIM hole with some of its surroundings)."""
    if isinstance(ex, PreferencePair):  # compared with other pairs only: what is rejected, where
        return ex.prefix[-400:] + ex.rejected + ex.suffix[:200]
    if ex.kind == "fim":
        return ex.prefix[-400:] + ex.middle + ex.suffix[:200]
    return "\n".join(f.content for f in ex.output)


def is_pairs_file(path: Path) -> bool:
    """A PreferencePair JSONL file (by its first record's fields, or its name when it is empty), so a glob
    such as `curated/*.jsonl` that also matches pairs.jsonl reads each file by its own schema."""
    try:
        with Path(path).open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    head = json.loads(line)
                    return isinstance(head, dict) and ("rejected" in head or "chosen" in head)
    except (OSError, ValueError):
        return False
    return Path(path).name == PAIRS_FILE


def source_file_key(ex: Example | PreferencePair) -> str:
    """The file a record was cut from: FIM holes of one file share it (siblings), other records are their own."""
    key = held_out_key(ex)
    if ex.kind == "fim" and key == ex.id:
        return f"{ex.source}:{ex.path}"
    return key


def duplicates(examples: Iterable[Example | PreferencePair]) -> list[tuple[str, str]]:
    """(later id, earlier id) for each record that repeats an earlier id or nearly repeats the code of
    another file. Sibling holes of one file share most of their text by construction: never flagged."""
    seen = NearDuplicateIndex()
    file_of: dict[str, str] = {}
    out = []
    for ex in examples:
        if ex.id in file_of:
            out.append((ex.id, ex.id))
            continue
        key = source_file_key(ex)
        dup = seen.find(dedupe_text(ex))
        if dup is not None and file_of[dup] != key:
            out.append((ex.id, dup))
        elif dup is None:
            seen.add(ex.id, dedupe_text(ex))
        file_of[ex.id] = key
    return out


# --- validate -----------------------------------------------------------------------------------


@dataclass
class Validation:
    examples: int = 0
    pairs: int = 0
    bad_lines: list[str] = field(default_factory=list)
    # record id → findings "path:line severity rule: message"
    findings: dict[str, list[str]] = field(default_factory=dict)
    errors: int = 0
    duplicates: list[tuple[str, str]] = field(default_factory=list)
    held_out: int = 0

    @property
    def ok(self) -> bool:
        return not self.bad_lines and not self.errors and not self.duplicates


def _check_files(out: Validation, rec_id: str, files, context, external: bool, count_errors: bool = True) -> int:
    """Rules-engine findings of one record's files (seen with its context as one app); error count."""
    from hotwire_assist.core.rules import check_source

    index = AppIndex()  # the record's own app: cross-file rules see its frames, targets, actions
    for path, text in [*files, *context]:
        index.update_file(path, text)
    errors = 0
    for path, text in files:
        for f in check_source(path, text, index, external=external):
            out.findings.setdefault(rec_id, []).append(f"{path}:{f.line} {f.severity} {f.rule}: {f.message}")
            errors += f.severity == "error"
    if count_errors:
        out.errors += errors
    return errors


def pair_files(pair: PreferencePair, side: str) -> list[tuple[str, str]]:
    """(path, whole text) of one side of a pair: a FIM side sits between the pair's prefix and suffix."""
    text = getattr(pair, side)
    return [(pair.path, pair.prefix + text + pair.suffix if pair.kind == "fim" else text)]


def validate(paths: Sequence[Path], external: bool = True, progress=None) -> Validation:
    """Schema of every line (examples, or preference pairs for a pairs file), rules-engine findings of every
    example's code and of each pair's chosen side, near-duplicates (sibling holes of one file excepted)."""
    out = Validation()
    examples: list[Example] = []
    pairs: list[PreferencePair] = []
    for p in paths:
        if is_pairs_file(p):
            pairs += read_pairs(p, skip_bad=True, problems=out.bad_lines)
        else:
            examples += read_examples(p, skip_bad=True, problems=out.bad_lines)
    task = progress.add_task("validating", total=len(examples) + len(pairs)) if progress else None
    for ex in examples:
        out.examples += 1
        out.held_out += record_held_out(ex)
        _check_files(out, ex.id, example_files(ex), [(c.path, c.content) for c in ex.context], external)
        if progress:
            progress.advance(task)
    for pair in pairs:
        out.pairs += 1
        out.held_out += record_held_out(pair)
        context = [(c.path, c.content) for c in pair.context]
        if pair.chosen:  # the side we teach must be clean; the rejected side is bad by the pair's own label
            _check_files(out, f"{pair.id}:chosen", pair_files(pair, "chosen"), context, external)
        if pair.chosen.strip() == pair.rejected.strip():
            out.findings.setdefault(pair.id, []).append(f"{pair.path}:1 error pair/identical: chosen = rejected")
            out.errors += 1
        if progress:
            progress.advance(task)
    out.duplicates = duplicates(examples) + duplicates(pairs)
    return out


# --- report (bias detector) ---------------------------------------------------------------------

_CLIENT_JS = re.compile(r"\bfetch\(|XMLHttpRequest|\$\.ajax|axios\.|innerHTML\s*=|document\.querySelector")
_SECURITY = re.compile(
    r"\.require\(|\.permit\(|authenticate|authorize|Current\.user|current_user\.\w+\.find|sanitize|"
    r"protect_from_forgery|csrf|signed_stream|turbo_stream_from\s+\w+,|"
    r"before_action\s+:(require|authenticat|authoriz|ensure|verify|restrict)\w*"  # not every callback: access control
)
_A11Y = re.compile(r"aria-|aria:|\brole=|role:|<label|label_tag|\.label\b|alt=|alt:|sr-only|tabindex|visually-hidden")


def _is_js(path: str) -> bool:
    return language_of(path) in ("javascript", "typescript")


def report(paths: Sequence[Path]) -> dict:
    """The seed's bias detector: category balance, client-side JS vs server-side share, security and
    accessibility coverage, duplicates. One JSON-able dict; `total` and `by_category` always present."""
    problems: list[str] = []
    pair_paths = [p for p in paths if is_pairs_file(p)]
    examples = [ex for p in paths if p not in pair_paths for ex in read_examples(p, skip_bad=True, problems=problems)]
    pairs = sum(1 for p in pair_paths for _ in read_pairs(p, skip_bad=True, problems=problems))
    by_category = Counter(ex.category for ex in examples)
    by_group = Counter(ex.category.split("/")[0] for ex in examples)
    js_lines = server_lines = client_heavy = fetch_js = security = a11y = 0
    for ex in examples:
        files = example_files(ex)
        js = sum(t.count("\n") + 1 for p, t in files if _is_js(p))
        srv = sum(t.count("\n") + 1 for p, t in files if not _is_js(p))
        js_lines, server_lines = js_lines + js, server_lines + srv
        client_heavy += js > srv
        text = "\n".join(t for _, t in files)
        fetch_js += bool(_CLIENT_JS.search(text))
        security += bool(_SECURITY.search(text)) or ex.category == "advanced/security"
        a11y += bool(_A11Y.search(text)) or ex.category == "advanced/accessibility"
    total = len(examples)
    mean = total / max(1, len(CATEGORIES))
    share = lambda n: round(n / total, 3) if total else 0.0  # noqa: E731
    return {
        "total": total,
        "pairs": pairs,
        "by_category": dict(sorted(by_category.items())),
        "by_group": dict(sorted(by_group.items())),
        "by_kind": dict(Counter(ex.kind for ex in examples)),
        "missing_categories": [c for c in CATEGORIES if c not in by_category],
        "underrepresented": sorted(c for c in CATEGORIES if 0 < by_category.get(c, 0) < 0.5 * mean),
        "unknown_categories": sorted(c for c in by_category if c not in CATEGORIES and c != OTHER),
        "other": by_category.get(OTHER, 0),
        "held_out": sum(record_held_out(ex) for ex in examples),
        "client_js_share": round(js_lines / max(1, js_lines + server_lines), 3),  # of all code lines
        "client_heavy_examples": client_heavy,
        "client_side_fetch_examples": fetch_js,
        "security_coverage": share(security),
        "accessibility_coverage": share(a11y),
        "near_duplicates": [list(d) for d in duplicates(examples)],
        "bad_lines": problems,
    }


# --- mine ---------------------------------------------------------------------------------------

MINED_DIRS = ("app/views", "app/controllers", "app/models", "app/javascript", "app/components")
MINED_SUFFIXES = CODE_SUFFIXES


_STIMULUS_CONTROLLER = re.compile(r"""from\s+["']@hotwired/stimulus["']|extends\s+(\w+\.)?Controller\b""")
_NATIVE = re.compile(
    r"turbo_native_app\?|hotwire_native_app\?|recede_or_redirect|refresh_or_redirect|"
    r"resume_or_redirect|BridgeComponent|@hotwired/(strada|hotwire-native-bridge)"
)
_PERFORMANCE = re.compile(
    r"\.(includes|preload|eager_load|find_each|in_batches)\b|counter_cache|Rails\.cache|"
    r"<%\s*cache\b|\bcache\s*\(|fresh_when|stale\?|loading:\s*:lazy|loading=\"lazy\""
)
_SECURITY_CODE = re.compile(
    r"\.permit\(|params\.(require|expect)\(|authenticat|authoriz|protect_from_forgery|"
    r"has_secure_password|\bsanitize\b|csrf|signed_id|verify_|rate_limit|"
    r"turbo_stream_from\s+\w+,|signed_stream"
)
_STREAM_ACTION = re.compile(r"turbo_stream\.(append|prepend|replace|update|remove|before|after|refresh|action)\b")
_A11Y_ATTRS = re.compile(r"aria-|aria:\s*\{|\brole=|\brole:|sr-only|visually-hidden|tabindex|\balt=|\balt:")


def infer_category(path: str, text: str) -> str:
    """The seed category a mined file most teaches, from what its content does; `other` when it teaches
    none (a plain model or helper is not "security", a JS utility is not a Stimulus controller)."""
    if _NATIVE.search(text):
        return "advanced/native"
    if _is_js(path):
        if "StreamActions" in text:
            return "turbo-streams/actions"
        if not _STIMULUS_CONTROLLER.search(text):
            return OTHER
        if re.search(r"static\s+outlets", text):
            return "stimulus/outlets"
        if re.search(r"static\s+values", text):
            return "stimulus/values"
        if re.search(r"\bevent\.params\b|\{\s*params\s*\}", text):
            return "stimulus/action-params"
        if re.search(r"static\s+targets", text):
            return "stimulus/targets"
        return "stimulus/lifecycle"
    if path.endswith(".turbo_stream.erb") or (path.endswith(".erb") and _STREAM_ACTION.search(text)):
        return "turbo-streams/actions"
    if re.search(r"broadcasts\b|broadcasts_to|broadcasts_refreshes|broadcast_\w+_to|turbo_stream_from", text):
        return "turbo-streams/broadcasts"
    if path.endswith(".rb") and re.search(r"format\.turbo_stream|render\s+turbo_stream:|turbo_stream\.", text):
        return "turbo-streams/error-handling" if "unprocessable" in text else "turbo-streams/controller-responses"
    if re.search(r"turbo_frame_tag|<turbo-frame", text):
        if re.search(r"\bsrc:|\bsrc=", text):
            return "turbo-frames/lazy-loading"
        return "turbo-frames/forms" if re.search(r"form_with|form_for|<form", text) else "turbo-frames/navigation"
    if re.search(r"data-turbo-permanent|turbo_permanent|turbo_refreshes_with|turbo-refresh-method|morph", text):
        return "turbo-frames/permanent-morphing"
    if path.endswith(".erb"):
        for pattern, category in (
            (r"-outlet=|_outlet:", "stimulus/outlets"),
            (r"-value=|_value:", "stimulus/values"),
            (r"-param=|_param:", "stimulus/action-params"),
            (r"-target=|_target:|target:", "stimulus/targets"),
        ):
            if re.search(r"data-controller|controller:", text) and re.search(pattern, text):
                return category
    if _SECURITY_CODE.search(text):
        return "advanced/security"
    if _PERFORMANCE.search(text):
        return "advanced/performance"
    if path.endswith(".erb") and _A11Y_ATTRS.search(text):
        return "advanced/accessibility"
    if re.search(r"<noscript|data-turbo=\"false\"|turbo:\s*false", text):
        return "advanced/progressive-enhancement"
    return OTHER


def repo_provenance(root: Path) -> tuple[str, str]:
    """(name@commit, license) of a local repository; commit and license are 'unknown' when absent."""
    commit = "unknown"
    try:
        got = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
        commit = got.stdout.strip() or commit
    except OSError:
        pass
    license = "unknown"
    for name in ("LICENSE", "LICENSE.md", "LICENSE.txt", "MIT-LICENSE", "COPYING"):
        lic = root / name
        if lic.is_file():
            head = lic.read_text(encoding="utf-8", errors="replace")[:400]
            for spdx, pattern in (
                ("MIT", "MIT License|Permission is hereby granted"),
                ("Apache-2.0", "Apache License"),
            ):
                if re.search(pattern, head):
                    license = spdx
                    break
            else:
                license = f"see {name}"
            break
    return f"{root.resolve().name}@{commit}", license


@dataclass
class MineResult:
    examples: list[Example] = field(default_factory=list)
    files_seen: int = 0
    files_rejected: dict[str, list[str]] = field(default_factory=dict)  # path → rules that rejected it
    duplicates: int = 0  # files dropped as near-duplicates


def mine(
    root: Path,
    holes_per_file: int = 3,
    against: Iterable[Example] = (),
    seed: int = 0,
    progress=None,
    exclude: Sequence[str] | None = None,
) -> MineResult:
    """FIM examples from a local Rails app: only files the rules engine passes (no error-level finding:
    warnings and infos are style, and production apps are full of them);
    a file that nearly duplicates another mined file or a file of `against` (other sources) is dropped
    whole; provenance (repo, commit, path) and the repo's license on each example. Files pass the
    privacy gate (never-capture list, .gitignore, `exclude` — default: the app's `[privacy] exclude`)
    and secrets in them are redacted."""
    from hotwire_assist.core.privacy import is_excluded, read_gated, workspace_globs
    from hotwire_assist.core.rules import check_source

    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    if exclude is None:
        exclude = workspace_globs(root)
    origin, license = repo_provenance(root)
    index = NearDuplicateIndex()
    for ex in against:
        for path, text in example_files(ex):
            if f"{ex.id}:{path}" not in index:
                index.add(f"{ex.id}:{path}", text)
    files = [
        p
        for d in MINED_DIRS
        for p in sorted((root / d).rglob("*"))
        if p.is_file() and p.name.endswith(MINED_SUFFIXES) and not is_excluded(p, root, exclude)
    ]
    out = MineResult()
    rng = random.Random(seed)
    task = progress.add_task(f"mining {root.name}", total=len(files)) if progress else None
    for p in files:
        out.files_seen += 1
        rel = p.relative_to(root).as_posix()
        text = read_gated(p, root, exclude) or ""
        bad = [f.rule for f in check_source(rel, text) if f.severity == "error"]
        if bad or not text.strip():
            out.files_rejected[rel] = sorted(set(bad)) or ["empty"]
        elif index.add_if_new(f"{origin}:{rel}", text) is not None:
            out.duplicates += 1
        else:
            category = infer_category(rel, text)
            cut: set[tuple[int, int]] = set()
            for n in range(holes_per_file):
                prefix, middle, suffix = random_hole(text, rng)
                if not middle.strip() or (len(prefix), len(middle)) in cut:  # no hole, or the same hole twice
                    continue
                cut.add((len(prefix), len(middle)))
                out.examples.append(
                    Example(
                        id=f"mined:{origin}:{rel}#{n}",
                        kind="fim",
                        path=rel,
                        prefix=prefix,
                        middle=middle,
                        suffix=suffix,
                        category=category,
                        source=f"mined:{origin}:{rel}",
                        license=license,
                    )
                )
        if progress:
            progress.advance(task)
    return out
